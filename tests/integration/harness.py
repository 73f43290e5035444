"""Running real service runtimes inside a test: a service per fresh schema, on a fresh deployment."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import nats
import nats.errors
from nats.js import JetStreamContext

from ketnap.platform.anchors import ensure_anchor_stream
from ketnap.platform.bus import subjects
from ketnap.platform.bus.bootstrap import ensure_consumers, ensure_dead_letter_stream, ensure_event_stream
from ketnap.platform.eventstore.schema import ensure_role, migrate_service, service_role
from ketnap.platform.service import Service, serve
from ketnap.platform.settings import Settings
from tests.conftest import unique

_KEYS_DIR = Path(tempfile.mkdtemp(prefix="ketnap-test-keys-"))
"""The anchors' signing keys of the services a test runs, out of the working tree."""


async def new_schema(pool: asyncpg.Pool, *, owns_log: bool = True) -> str:
    name = unique("t_")
    async with pool.acquire() as conn:
        await ensure_role(conn, service_role(name))
        await migrate_service(conn, name, service_role(name), owns_log=owns_log)
    return name


async def bootstrap_bus(js: JetStreamContext, deployment: str, services: list[Service]) -> None:
    for service in services:
        if service.owns_log:
            await ensure_event_stream(js, deployment, service.name, duplicate_window_seconds=120)
    await ensure_dead_letter_stream(js, deployment)
    await ensure_anchor_stream(js, deployment)
    for service in services:
        await ensure_consumers(js, deployment, service.consumer_specs)


async def _answering(service: Service, nats_url: str, task: asyncio.Task[None], timeout: float = 30.0) -> None:
    """Wait until the service answers on the bus; a loaded machine may take a while to start it."""
    nc = await nats.connect(nats_url)
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            if task.done():
                task.result()  # start-up failed: raise its error here
            try:
                await nc.request(subjects.status_subject(service.name), b"{}", timeout=0.5)
                return
            except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
                await asyncio.sleep(0.05)
        raise TimeoutError(f"{service.name} did not answer within {timeout} s")
    finally:
        await nc.close()


@asynccontextmanager
async def running(
    service: Service, nats_url: str, database_url: str, deployment: str, *, metrics_port: int | None = None
) -> AsyncIterator[asyncio.Task[None]]:
    """The service's real runtime (relay, request endpoints, consumers) until the block ends;
    its Prometheus metrics served on `metrics_port` if given."""
    stop = asyncio.Event()
    settings = Settings(nats_url=nats_url, database_url=database_url, deployment_id=deployment, keys_dir=_KEYS_DIR, metrics_port=metrics_port)
    task = asyncio.create_task(serve(service, settings, stop))
    await _answering(service, nats_url, task)
    try:
        yield task
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, 10)
        except (asyncio.CancelledError, Exception):  # noqa: BLE001 - a test may have cancelled it already
            pass


async def consumers_caught_up(conn: asyncpg.Connection, services: list[Service]) -> bool:
    """Every consumer of every service has applied its source log up to that log's head."""
    logs = [s.name for s in services if s.owns_log] + [k for s in services for k in s.kept_logs]
    heads = {log: await conn.fetchval(f"SELECT coalesce(max(position), 0) FROM {log}.events") for log in logs}
    for service in services:
        for spec in service.consumer_specs:
            reached = await conn.fetchval(
                f"SELECT coalesce(max(position), 0) FROM {service.name}.consumer_checkpoints WHERE consumer = $1 AND source = $2",
                spec.name, spec.source,
            )
            if reached < heads[spec.source]:
                return False
    return True


async def run_cli(env: Mapping[str, str], *args: str, timeout: float = 60, errors_in_output: bool = False) -> tuple[int, str, str]:
    """`ketnap *args` in a child process, as an operator types it: its exit code, what it printed
    and what it wrote on stderr (`errors_in_output`: both in one text, in the order written)."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ketnap.operations.cli", *args, env=dict(env),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT if errors_in_output else asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(child.communicate(), timeout)
    return child.returncode or 0, out.decode(), (err or b"").decode()
