"""Several deployments in one test process: each with its own nats-server (its JetStream domain),
its own database on the shared PostgreSQL, and every one of its services running for real; the
lower ones joined to the upper one as leaf nodes through a proxy the test can cut."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import nats
from nats.aio.client import Client as NatsClient

from ketnap.operations.bootstrap import bootstrap
from ketnap.operations.embedded import EmbeddedNats, free_port
from ketnap.platform.bus import requests
from ketnap.platform.service import Service, serve
from ketnap.platform.settings import Settings
from ketnap.services import all_services
from tests.conftest import new_database, unique
from tests.integration.harness import consumers_caught_up

LINK_CUT_AFTER_SECONDS = 5.0
"""Short, so a test sees a cut link shown cut soon; still several heartbeats of a live link."""


class LinkProxy:
    """A TCP relay between a lower server and the upper's leaf port: `cut()` drops the link the
    way a broken line would (both servers stay up), `restore()` lets it connect again."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.server: asyncio.Server | None = None
        self.pipes: set[asyncio.Task[None]] = set()

    async def restore(self) -> None:
        self.server = await asyncio.start_server(self._connect, "127.0.0.1", self.port)

    async def cut(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for pipe in list(self.pipes):
            pipe.cancel()
        await asyncio.gather(*self.pipes, return_exceptions=True)

    async def _connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self.pipes.add(task)
            task.add_done_callback(self.pipes.discard)

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


@dataclass
class Deployment:
    id: str
    root: Path
    postgres_url: str
    upper: Deployment | None = None
    lowers: list[str] = field(default_factory=list)
    further_below: tuple[tuple[str, str], ...] = ()
    nats: EmbeddedNats | None = None
    proxy: LinkProxy | None = None
    settings: Settings | None = None
    services: list[Service] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    nc: NatsClient | None = None
    pool: asyncpg.Pool | None = None

    async def start_nats(self) -> None:
        leaf_port = free_port() if self.lowers else None
        upper_url = None
        if self.upper is not None:
            assert self.upper.nats and self.upper.nats.leaf_port
            self.proxy = LinkProxy(self.upper.nats.leaf_port)
            await self.proxy.restore()
            upper_url = f"nats-leaf://127.0.0.1:{self.proxy.port}"
        self.nats = EmbeddedNats(
            self.root / "nats", free_port(), server_name=self.id, domain=self.id, leaf_port=leaf_port, upper_leaf_url=upper_url
        )
        await asyncio.to_thread(self.nats.start)

    async def start(self) -> None:
        assert self.nats
        self.settings = Settings(
            nats_url=self.nats.url,
            database_url=await new_database(self.postgres_url, "fed_"),
            deployment_id=self.id,
            upper_deployment=self.upper.id if self.upper else None,
            lower_deployments=tuple(self.lowers),
            further_below=self.further_below,
            gateway_port=free_port(),
            keys_dir=self.root / "keys",
            anchor_interval_seconds=0.5,
            link_cut_after_seconds=LINK_CUT_AFTER_SECONDS,
            # Each service re-checks its whole log this often: an edit in place is found within seconds.
            chain_check_interval_seconds=2.0,
        )
        self.services = all_services(self.settings)
        await bootstrap(self.settings, self.services)
        self.pool = await asyncpg.create_pool(self.settings.database_url, min_size=1, max_size=5)
        self.nc = await nats.connect(self.nats.url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
        for service in self.services:
            self.tasks.append(asyncio.create_task(serve(service, self.settings, self.stop), name=f"{self.id}.{service.name}"))
        for service in self.services:
            await _answering(self.nc, service.name, self.tasks)

    async def close(self) -> None:
        """Stop whatever was started, however far `start` got; the server is stopped whatever
        fails before it (a nats-server left behind outlives the test run)."""
        try:
            self.stop.set()
            if self.tasks:
                await asyncio.wait(self.tasks, timeout=15)
            if self.nc:
                await self.nc.close()
            if self.pool:
                await self.pool.close()
            if self.proxy:
                await self.proxy.cut()
        finally:
            if self.nats:
                await asyncio.to_thread(self.nats.stop)

    async def send(self, service: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        assert self.nc
        return await requests.command(self.nc, service, name, {"idempotency_key": unique("key-"), **body}, timeout=15)

    async def ask(self, service: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        assert self.nc
        reply = await requests.query(self.nc, service, name, body, timeout=30)
        assert reply["ok"], reply
        return reply["result"]

    async def caught_up(self) -> bool:
        assert self.pool
        async with self.pool.acquire() as conn:
            return await consumers_caught_up(conn, self.services)

    async def head(self, log: str) -> int:
        assert self.pool
        async with self.pool.acquire() as conn:
            return await conn.fetchval(f"SELECT coalesce(max(position), 0) FROM {log}.events")


async def _answering(nc: NatsClient, name: str, tasks: list[asyncio.Task[None]], timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        for task in tasks:
            if task.done():
                task.result()
        with contextlib.suppress(Exception):
            await nc.request(f"{name}.query.status", b"{}", timeout=0.5)
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"{name} did not answer within {timeout} s")


@contextlib.asynccontextmanager
async def linked_deployments(root: Path, postgres_url: str, upper: str, lowers: list[str]):
    top = Deployment(upper, root / upper, postgres_url, lowers=list(lowers))
    below = [Deployment(d, root / d, postgres_url, upper=top) for d in lowers]
    everything = [top, *below]
    try:
        for deployment in everything:
            await deployment.start_nats()
        for deployment in everything:
            await deployment.start()
        yield top, below
    finally:
        await _close(everything)


@contextlib.asynccontextmanager
async def chained_deployments(root: Path, postgres_url: str, ids: list[str]):
    """Deployments one below the other (`ids` from the top down), each joined to the one above
    through a proxy the test can cut; every level keeps the logs of every level below it."""
    chain: list[Deployment] = []
    for n, deployment_id in enumerate(ids):
        chain.append(Deployment(
            deployment_id, root / deployment_id, postgres_url, upper=chain[-1] if chain else None,
            lowers=ids[n + 1:n + 2], further_below=tuple((below, ids[n + 1]) for below in ids[n + 2:]),
        ))
    try:
        for deployment in chain:
            await deployment.start_nats()
        # Bottom up: a stream above sources one that then exists already.
        for deployment in reversed(chain):
            await deployment.start()
        yield chain
    finally:
        await _close(chain)


async def _close(everything: list[Deployment]) -> None:
    closing = await asyncio.gather(*(d.close() for d in reversed(everything)), return_exceptions=True)
    if failed := [e for e in closing if isinstance(e, BaseException)]:
        raise failed[0]
