"""Several deployments as `ketnap up --topology` runs them, for the end-to-end tests and the bench:
the topology file (one lower deployment joined through a relay the caller can cut), and the
running deployments seen as `tests.integration.federation.linked.Deployment`s (their own NATS and
database, their services as they are wired), so the same checks serve in-process and here."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Coroutine, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import nats

from ketnap.operations.embedded import free_port
from ketnap.operations.topology import Topology
from ketnap.platform.settings import Settings
from ketnap.services import all_services
from tests.integration.federation.linked import Deployment, LinkProxy


class ProxyThread:
    """A `LinkProxy` on a loop of its own, so it relays while `ketnap up` starts and while the
    caller's loop works; `cut`/`restore` are awaited from the caller's loop."""

    def __init__(self, target_port: int) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.proxy = LinkProxy(target_port)
        self._wait(self.proxy.restore())

    @property
    def port(self) -> int:
        return self.proxy.port

    def _wait(self, work: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(work, self.loop).result(30)

    async def cut(self) -> None:
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self.proxy.cut(), self.loop))

    async def restore(self) -> None:
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self.proxy.restore(), self.loop))

    def close(self) -> None:
        self._wait(self.proxy.cut())
        self.loop.call_soon_threadsafe(self.loop.stop)


def write_topology(folder: Path, upper: tuple[str, str], lowers: Mapping[str, str], cut: str) -> tuple[Path, ProxyThread]:
    """A topology of `upper` (id, root) and `lowers` (id -> root) on free ports; `cut` joins the
    upper deployment through the returned relay."""
    leaf = free_port()
    proxy = ProxyThread(leaf)
    text = 'data_dir = "data"\n'
    for deployment, root in (upper, *lowers.items()):
        text += f'\n[[deployment]]\nid = "{deployment}"\nroot = "{root}"\n'
        text += "".join(f"{key} = {free_port()}\n" for key in ("nats_port", "nats_monitor_port", "postgres_port", "gateway_port"))
        text += f"leaf_port = {leaf}\n" if deployment == upper[0] else f'upper = "{upper[0]}"\n'
        if deployment == cut:
            text += f'leaf_url = "nats-leaf://127.0.0.1:{proxy.port}"\n'
    path = folder / "topology.toml"
    path.write_text(text)
    return path, proxy


def write_chain(folder: Path, chain: list[tuple[str, str]]) -> tuple[Path, dict[str, ProxyThread]]:
    """A topology of deployments one below the other (`chain`: (id, root) from the top down) on
    free ports, each joined to the one above through a relay of its own (returned by id)."""
    proxies: dict[str, ProxyThread] = {}
    text = 'data_dir = "data"\n'
    leaf_ports = [free_port() for _ in chain]
    for n, (deployment, root) in enumerate(chain):
        text += f'\n[[deployment]]\nid = "{deployment}"\nroot = "{root}"\n'
        text += "".join(f"{key} = {free_port()}\n" for key in ("nats_port", "nats_monitor_port", "postgres_port", "gateway_port"))
        if n + 1 < len(chain):
            text += f"leaf_port = {leaf_ports[n]}\n"
        if n:
            proxies[deployment] = ProxyThread(leaf_ports[n - 1])
            text += f'upper = "{chain[n - 1][0]}"\nleaf_url = "nats-leaf://127.0.0.1:{proxies[deployment].port}"\n'
    path = folder / "topology.toml"
    path.write_text(text)
    return path, proxies


@asynccontextmanager
async def attached(path: Path, proxy: ProxyThread | Mapping[str, ProxyThread], cut: str | None = None) -> AsyncIterator[dict[str, Deployment]]:
    """The running deployments of the topology at `path`, by id; `proxy` is the relay `cut` joins
    its upper deployment through, or the relays by deployment id."""
    proxies = dict(proxy) if isinstance(proxy, Mapping) else {cut: proxy}
    topology = Topology.load(path)
    found: dict[str, Deployment] = {}
    try:
        for deployment in topology.deployments:
            settings = topology.settings_for(deployment.id, Settings())
            state = json.loads((settings.data_dir / "state.json").read_text())
            attached_one = Deployment(deployment.id, settings.data_dir, postgres_url="")
            attached_one.settings = settings.model_copy(update={"nats_url": state["nats_url"], "database_url": state["database_url"]})
            attached_one.services = all_services(settings)
            attached_one.pool = await asyncpg.create_pool(state["database_url"], min_size=1, max_size=4)
            attached_one.nc = await nats.connect(state["nats_url"], max_reconnect_attempts=-1)
            attached_one.proxy = proxies.get(deployment.id)  # type: ignore[assignment]
            attached_one.upper = found.get(deployment.upper) if deployment.upper else None
            found[deployment.id] = attached_one
        yield found
    finally:
        for attached_one in found.values():
            await attached_one.nc.close()  # type: ignore[union-attr]
            await attached_one.pool.close()  # type: ignore[union-attr]
