"""Fixtures shared by every test tier: real servers, a database, a fresh schema per test."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import nats
import psutil
import pytest
from hypothesis import settings
from nats.aio.client import Client as NatsClient

from ketnap.operations.bootstrap import with_database
from ketnap.platform.eventstore import EventStore
from ketnap.platform.eventstore.schema import ensure_role, migrate_service, service_role
from ketnap.platform.logging import configure_logging
from tests.servers import Servers, real_servers

configure_logging("console", "warning")

# Hypothesis fails an example that takes over 200 ms by default: a timed assertion, which the tests
# do not make (performance is measured in `make bench`), and a flake on a shared, loaded machine.
settings.register_profile("ketnap", deadline=None)
settings.load_profile("ketnap")

SESSIONS_ROOT = Path(tempfile.gettempdir()) / f"pytest-of-{getpass.getuser()}-ketnap"
"""Each pytest session gets its own base temp folder here. pytest's default one is shared by every
session of the user and reset to mode 700 by each new one, which cuts the embedded PostgreSQL
(running as its own OS user) of a session already running off its data folder."""


def pytest_configure(config: pytest.Config) -> None:
    if config.option.basetemp is not None:
        return
    SESSIONS_ROOT.mkdir(mode=0o755, exist_ok=True)
    for old in SESSIONS_ROOT.glob("session-*"):
        if not psutil.pid_exists(int(old.name.removeprefix("session-"))):
            shutil.rmtree(old, ignore_errors=True)
    config.option.basetemp = str(SESSIONS_ROOT / f"session-{os.getpid()}")


LEFT_BEHIND_NAMES = frozenset({"nats-server", "postgres", "postmaster"})
"""What a fixture starts: embedded servers; and `ketnap up` and its services (python -m ketnap...)."""


def _left_behind(basetemp: Path) -> list[psutil.Process]:
    """Processes this session started that still run: its descendants, and processes detached
    from it (PostgreSQL daemonised by pg_ctl, the services of a killed `ketnap up`) that work in
    its base temp folder."""
    me = psutil.Process()
    found: dict[int, psutil.Process] = {p.pid: p for p in me.children(recursive=True)}
    folder = str(basetemp)
    for process in psutil.process_iter(["pid", "cmdline"]):
        with contextlib.suppress(psutil.Error):
            if process.pid != me.pid and any(folder in part for part in process.info["cmdline"] or ()):
                found[process.pid] = process
    left = []
    for process in found.values():
        with contextlib.suppress(psutil.Error):
            if process.status() == psutil.STATUS_ZOMBIE:
                process.wait(0)  # ours to reap
                continue
            command = " ".join(process.cmdline())
            if process.name() in LEFT_BEHIND_NAMES or "ketnap." in command:
                left.append(process)
    return left


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a fixture left a server or service running (a fixture must stop what it
    started, on failure too); stop them, so the next run starts clean."""
    if session.config.option.basetemp is None or hasattr(session.config, "workerinput"):
        return
    left = _left_behind(Path(session.config.option.basetemp))
    if not left:
        return
    names = []
    for process in left:
        with contextlib.suppress(psutil.Error):
            names.append(f"{process.pid} {' '.join(process.cmdline())[:160]}")
            process.kill()
            process.wait(10)  # reaped when it is ours
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    message = "Tiến trình còn chạy sau khi các bài kiểm thử kết thúc (đã dừng):\n  " + "\n  ".join(names)
    if reporter is not None:
        reporter.write_line(message, red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    with real_servers(tmp_path_factory.mktemp("servers")) as found:
        yield found


async def new_database(postgres_url: str, prefix: str = "ketnap_test_") -> str:
    """A fresh, empty database on the server; its URL."""
    name = unique(prefix)
    conn = await asyncpg.connect(postgres_url)
    try:
        await conn.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'")
    finally:
        await conn.close()
    return with_database(postgres_url, name)


@pytest.fixture(scope="session")
async def database_url(servers: Servers) -> str:
    return await new_database(servers.postgres_url)


@pytest.fixture(scope="session")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with asyncpg.create_pool(database_url, min_size=2, max_size=20) as created:
        yield created


@pytest.fixture
async def schema(pool: asyncpg.Pool) -> str:
    """A fresh service schema with its log, owned by the test's superuser, and its service role."""
    name = unique("t_")
    async with pool.acquire() as conn:
        await ensure_role(conn, service_role(name))
        await migrate_service(conn, name, service_role(name))
    return name


@pytest.fixture
def store(pool: asyncpg.Pool, schema: str) -> EventStore:
    return EventStore(pool, schema)


@pytest.fixture
def deployment() -> str:
    """A deployment id per test: its own JetStream streams on the shared server."""
    return unique("d")


@pytest.fixture
async def nc(servers: Servers) -> AsyncIterator[NatsClient]:
    client = await nats.connect(servers.nats_url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    yield client
    await client.drain()


async def eventually(check, timeout: float = 20.0, interval: float = 0.05):  # noqa: ANN001, ANN201
    """Poll an async check until it returns a truthy value; fail with its last value otherwise."""
    deadline = asyncio.get_running_loop().time() + timeout
    value = None
    while asyncio.get_running_loop().time() < deadline:
        value = await check()
        if value:
            return value
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s (last value: {value!r})")
