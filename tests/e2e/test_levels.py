"""Many levels end to end (issue #9): `ketnap up --topology` runs a province and two grassroots
organisations as three deployments of separate processes, each with its own NATS and PostgreSQL;
the demo plan is driven across them over their own NATS, one leaf link cut for 20 seconds in the
middle (through a relay this test owns). Then every report above and below equals the plan's
figures, each deployment's projections equal their rebuild (`ketnap projections rebuild
--verify`, found by its data folder alone), the kept chains verify, and `ketnap status` shows the
links caught up."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import asyncpg
import nats
import pytest

from services import all_services
from shared.embedded import free_port
from shared.federation.topology import Topology
from shared.settings import Settings
from tests.e2e.up import Up
from tests.integration.federation.across import (
    CUT,
    PROVINCE,
    ROOTS,
    Levels,
    check_each_lower_level_reports_its_subtree_as_the_province_does,
    check_the_province_reports_every_level,
)
from tests.integration.federation.linked import Deployment, LinkProxy

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]


class ProxyThread:
    """A `LinkProxy` on a loop of its own, so it relays while `ketnap up` starts and while the
    test's own loop drives the plan; `cut`/`restore` are awaited from the test's loop."""

    def __init__(self, target_port: int) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.proxy = LinkProxy(target_port)
        self._wait(self.proxy.restore())

    def _wait(self, work: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(work, self.loop).result(30)

    async def cut(self) -> None:
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self.proxy.cut(), self.loop))

    async def restore(self) -> None:
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self.proxy.restore(), self.loop))

    def close(self) -> None:
        self._wait(self.proxy.cut())
        self.loop.call_soon_threadsafe(self.loop.stop)


def write_topology(tmp_path: Path) -> tuple[Path, ProxyThread]:
    leaf = free_port()
    proxy = ProxyThread(leaf)
    text = 'data_dir = "data"\n'
    for deployment, root in ((PROVINCE, "TU-LS"), *ROOTS.items()):
        text += f'\n[[deployment]]\nid = "{deployment}"\nroot = "{root}"\n'
        text += "".join(f"{key} = {free_port()}\n" for key in ("nats_port", "nats_monitor_port", "postgres_port", "gateway_port"))
        if deployment == PROVINCE:
            text += f"leaf_port = {leaf}\n"
        else:
            text += f'upper = "{PROVINCE}"\n'
        if deployment == CUT:
            text += f'leaf_url = "nats-leaf://127.0.0.1:{proxy.proxy.port}"\n'
    path = tmp_path / "topology.toml"
    path.write_text(text)
    return path, proxy


def ketnap(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "DATABASE_URL")}
    env["KETNAP_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "shared.cli", *args], env=env, capture_output=True, text=True, timeout=600)


async def drive(path: Path, proxy: ProxyThread) -> None:
    topology = Topology.load(path)
    deployments = []
    for deployment_id in (PROVINCE, *ROOTS):
        settings = topology.settings_for(deployment_id, Settings())
        state = json.loads((settings.data_dir / "state.json").read_text())
        found = Deployment(deployment_id, settings.data_dir, postgres_url="")
        found.services = all_services(settings)
        found.pool = await asyncpg.create_pool(state["database_url"], min_size=1, max_size=4)
        found.nc = await nats.connect(state["nats_url"], max_reconnect_attempts=-1)
        found.proxy = proxy if deployment_id == CUT else None  # type: ignore[assignment]
        deployments.append(found)
    try:
        levels = Levels(deployments[0], deployments[1:])
        await levels.drive()
        await check_the_province_reports_every_level(levels)
        await check_each_lower_level_reports_its_subtree_as_the_province_does(levels)
    finally:
        for found in deployments:
            await found.nc.close()  # type: ignore[union-attr]
            await found.pool.close()  # type: ignore[union-attr]


def test_a_province_and_two_lower_levels_work_as_one_through_an_outage(tmp_path: Path) -> None:
    path, proxy = write_topology(tmp_path)
    up = Up(tmp_path / "unused", free_port(), free_port())
    try:
        up.start(timeout=300, args=("--topology", str(path)))
        asyncio.run(drive(path, proxy))
        for deployment in (PROVINCE, *ROOTS):
            rebuilt = ketnap(tmp_path / "data" / deployment, "projections", "rebuild", "--verify")
            assert rebuilt.returncode == 0, (deployment, rebuilt.stdout, rebuilt.stderr)
            assert "reporting.quotas: khớp với bản dựng lại" in rebuilt.stdout
        province = tmp_path / "data" / PROVINCE
        for lower in ROOTS:
            verdict = ketnap(province, "audit", "verify", "--deployment", lower)
            assert verdict.returncode == 0, verdict.stdout + verdict.stderr
        status = ketnap(province, "status")
        assert status.returncode == 0, status.stdout
        kept = [line.split() for line in status.stdout.splitlines() if "_at_db_" in line]
        assert len(kept) == 8 and all(line[-1] == "0" for line in kept), status.stdout  # no alarm on any link
        assert up.interrupt() == 0, "".join(up.output)
    finally:
        up.kill_everything()
        proxy.close()
