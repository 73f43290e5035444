"""`ketnap up` as a user runs it: embedded servers, every service as a process, Ctrl-C, restart."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import psutil
import pytest

from ketnap.operations.embedded import free_port
from ketnap.platform.envelope import EventMetadata, NewEvent
from ketnap.platform.eventstore import EventStore
from tests.conftest import eventually
from tests.e2e.up import Up

pytestmark = pytest.mark.slow


async def append_as_registry(database_url: str, count: int, start_version: int) -> None:
    """What the registry's command handlers do, as the registry's own database role."""
    pool = await asyncpg.create_pool(database_url.replace("postgres@", "ketnap_registry@"), min_size=1, max_size=2)
    try:
        store = EventStore(pool, "registry")
        for i in range(count):
            await store.append(
                "organisation-CB01", start_version + i, [NewEvent(event_type="MemberNoted", data={"i": i})], EventMetadata(actor="admin")
            )
    finally:
        await pool.close()


async def timeline_count(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetchval("SELECT count(DISTINCT position) FROM reporting.audit_timeline WHERE source = 'registry'")
    finally:
        await conn.close()


def test_make_run_starts_everything_survives_a_killed_service_stops_cleanly_and_keeps_its_data(stack: Up) -> None:
    stack.start()
    summary = "".join(stack.output)
    assert "Ketnap đang chạy." in summary and "reporting" in summary and "registry" in summary
    api = f"http://127.0.0.1:{stack.env['KETNAP_GATEWAY_PORT']}"
    assert f"API         {api}/api/v1 (tài liệu: {api}/docs)" in summary
    assert f"Ứng dụng    {api}" in summary
    assert "ketnap demo" in summary, "an empty store offers the demo on first start"
    with urllib.request.urlopen(f"{api}/healthz", timeout=10) as answer:
        assert json.loads(answer.read()) == {"ok": True}
    state = stack.state()
    database_url = state["database_url"]

    status = stack.ketnap("status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert "registry" in status.stdout and "KHÔNG" not in status.stdout

    second = subprocess.run([sys.executable, "-m", "ketnap.operations.cli", "up"], env=stack.env, capture_output=True, text=True, timeout=60)
    assert second.returncode == 1 and "đã đang chạy" in second.stderr

    asyncio.run(append_as_registry(database_url, 300, 0))
    os.kill(state["services"]["reporting"], signal.SIGKILL)  # mid-consumption
    asyncio.run(append_as_registry(database_url, 200, 300))
    asyncio.run(eventually(lambda: _equals(timeline_count(database_url), 500), timeout=90))
    assert "khởi động lại" in _drain(stack)

    status = stack.ketnap("status")
    assert "500" in status.stdout
    rebuilt = stack.ketnap("projections", "rebuild", "--verify")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert stack.ketnap("audit", "verify").returncode == 0

    children = [pid for pid in state["services"].values()]
    assert stack.interrupt() == 0
    assert not [pid for pid in children if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    assert not (stack.data_dir / "state.json").exists()

    stack.output.clear()
    stack.start()
    verified = stack.ketnap("audit", "verify", "--service", "registry")
    assert verified.returncode == 0 and "500 sự kiện" in verified.stdout
    assert stack.interrupt() == 0


async def _equals(value, expected):  # noqa: ANN001, ANN202
    return (await value) == expected


def _drain(stack: Up) -> str:
    """Whatever `ketnap up` printed since it came up (non-blocking: it is still running)."""
    assert stack.process and stack.process.stdout
    os.set_blocking(stack.process.stdout.fileno(), False)
    try:
        stack.output.extend(stack.process.stdout.readlines())
    finally:
        os.set_blocking(stack.process.stdout.fileno(), True)
    return "".join(stack.output)


def test_a_killed_ketnap_up_leaves_nothing_in_the_way_of_the_next_start(stack: Up) -> None:
    stack.start()
    old = stack.state()["services"]
    assert stack.process is not None
    stack.process.kill()  # no Ctrl-C: servers and services are left behind
    stack.process.wait()
    stack.output.clear()
    stack.start()
    assert all(not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE for pid in old.values())
    assert stack.ketnap("status").returncode == 0
    assert stack.interrupt() == 0


def test_with_nats_url_and_database_url_it_uses_those_servers_and_starts_none(stack: Up, servers, tmp_path: Path) -> None:  # noqa: ANN001
    name = f"ketnap_up_{os.getpid()}"

    async def create() -> None:
        conn = await asyncpg.connect(servers.postgres_url)
        await conn.execute(f"DROP DATABASE IF EXISTS {name}")
        await conn.execute(f"CREATE DATABASE {name}")
        await conn.close()

    asyncio.run(create())
    stack.env.update(NATS_URL=servers.nats_url, DATABASE_URL=servers.postgres_url.rsplit("/", 1)[0] + f"/{name}",
                     KETNAP_DEPLOYMENT=f"ext{os.getpid()}")
    stack.start()
    assert stack.process is not None
    started = {p.name() for p in psutil.Process(stack.process.pid).children(recursive=True)}
    assert "nats-server" not in started and "postgres" not in started
    assert not (stack.data_dir / "postgres").exists()
    assert stack.ketnap("status").returncode == 0
    assert stack.interrupt() == 0


def test_a_killed_nats_server_or_postgresql_is_restarted_like_a_service_and_nothing_is_lost(stack: Up) -> None:
    stack.start()
    state = stack.state()
    database_url = state["database_url"]
    asyncio.run(append_as_registry(database_url, 100, 0))
    asyncio.run(eventually(lambda: _equals(timeline_count(database_url), 100), timeout=90))

    killed_nats = state["servers"]["nats-server"]
    os.kill(killed_nats, signal.SIGKILL)
    asyncio.run(eventually(lambda: _printed(stack, "Dịch vụ nats-server đã dừng"), timeout=30))
    # Reaped as soon as it was seen dead, not left a zombie until the stack stops.
    assert not psutil.pid_exists(killed_nats) or psutil.Process(killed_nats).status() != psutil.STATUS_ZOMBIE
    asyncio.run(append_as_registry(database_url, 100, 100))
    asyncio.run(eventually(lambda: _equals(timeline_count(database_url), 200), timeout=120))

    killed_postgres = stack.state()["servers"]["PostgreSQL"]
    os.kill(killed_postgres, signal.SIGKILL)
    asyncio.run(eventually(lambda: _printed(stack, "Dịch vụ PostgreSQL đã dừng"), timeout=30))
    asyncio.run(eventually(lambda: _appended_after_restart(database_url, 100, 200), timeout=120))
    asyncio.run(eventually(lambda: _equals(timeline_count(database_url), 300), timeout=120))

    assert "khởi động lại (lần 1)" in _drain(stack)
    assert stack.state()["servers"]["PostgreSQL"] != killed_postgres
    status = stack.ketnap("status")
    assert status.returncode == 0 and "KHÔNG" not in status.stdout, status.stdout + status.stderr
    assert stack.ketnap("audit", "verify").returncode == 0
    rebuilt = stack.ketnap("projections", "rebuild", "--verify")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert stack.interrupt() == 0


async def _printed(stack: Up, text: str) -> bool:
    return text in _drain(stack)


async def _appended_after_restart(database_url: str, count: int, start_version: int) -> bool:
    """Append once PostgreSQL answers again (False while it is still restarting)."""
    try:
        await append_as_registry(database_url, count, start_version)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return False
    return True
