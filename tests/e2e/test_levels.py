"""Many levels end to end (issue #9): `ketnap up --topology` runs a province and two grassroots
organisations as three deployments of separate processes, each with its own NATS and PostgreSQL;
the demo plan is driven across them over their own NATS, one leaf link cut for 20 seconds in the
middle (through a relay this test owns). Then every report above and below equals the plan's
figures, each deployment's projections equal their rebuild (`ketnap projections rebuild
--verify`, found by its data folder alone), the kept chains verify, and `ketnap status` shows the
links caught up."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ketnap.operations.embedded import free_port
from tests.e2e.levels import ProxyThread, attached, write_chain, write_topology
from tests.e2e.up import Up
from tests.integration.federation import test_three_levels as three
from tests.integration.federation.across import (
    CUT,
    PROVINCE,
    ROOTS,
    Levels,
    check_each_lower_level_reports_its_subtree_as_the_province_does,
    check_the_province_reports_every_level,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]


def ketnap(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "DATABASE_URL")}
    env["KETNAP_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "ketnap.operations.cli", *args], env=env, capture_output=True, text=True, timeout=600)


async def drive(path: Path, proxy: ProxyThread) -> None:
    async with attached(path, proxy, CUT) as deployments:
        levels = Levels(deployments[PROVINCE], [deployments[d] for d in ROOTS])
        await levels.drive()
        await check_the_province_reports_every_level(levels)
        await check_each_lower_level_reports_its_subtree_as_the_province_does(levels)


def test_a_province_and_two_lower_levels_work_as_one_through_an_outage(tmp_path: Path) -> None:
    path, proxy = write_topology(tmp_path, (PROVINCE, "TU-LS"), ROOTS, CUT)
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


async def drive_three(path: Path, proxies: dict[str, ProxyThread]) -> None:
    async with attached(path, proxies) as deployments:
        chain = [deployments[d] for d in (three.TOP, three.MIDDLE, three.BOTTOM)]
        await three.build_tree(chain)
        for cut in (three.BOTTOM, three.MIDDLE):
            await three.cut_converges(chain, cut)


def test_three_levels_report_the_bottom_at_the_top_through_a_cut_at_each_link(tmp_path: Path) -> None:
    """Issue #24: `ketnap up --topology` with a province, a district below it and a commune below
    that; the middle passes the commune's logs up, so the province's report of the commune's
    units is the commune's own, through a cut at each link in turn; then Ctrl-C stops all three."""
    path, proxies = write_chain(tmp_path, [(three.TOP, "TU"), (three.MIDDLE, "HUYEN"), (three.BOTTOM, "DU-XA")])
    up = Up(tmp_path / "unused", free_port(), free_port())
    up.env["KETNAP_LINK_CUT_AFTER"] = "5"  # a cut shows within seconds, not the default 30
    try:
        up.start(timeout=400, args=("--topology", str(path)))
        assert "không giữ nhật ký" not in "".join(up.output)  # the old three-level warning is gone
        asyncio.run(drive_three(path, proxies))
        top = tmp_path / "data" / three.TOP
        verdict = ketnap(top, "audit", "verify", "--deployment", three.BOTTOM)
        assert verdict.returncode == 0, verdict.stdout + verdict.stderr
        status = ketnap(top, "status")
        assert status.returncode == 0, status.stdout
        assert sum("_at_xa " in line for line in status.stdout.splitlines()) == 4, status.stdout
        stopping = time.monotonic()
        assert up.interrupt() == 0, "".join(up.output)
        print(f"three deployments stopped in {time.monotonic() - stopping:.1f} s")
    finally:
        up.kill_everything()
        for proxy in proxies.values():
            proxy.close()
