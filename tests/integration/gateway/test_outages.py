"""PostgreSQL stopped under load: every request gets an answer, 200 or 503 `unavailable`, never
500 `internal` (a connection error is "try again", not a bug); once it is back the API answers.

This module runs on a PostgreSQL of its own (stopping the session's would cut off every other test).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from ketnap.operations.embedded import EmbeddedPostgres, free_port
from tests.conftest import eventually, new_database
from tests.integration.gateway.world import HELPERS, World, world_of
from tests.servers import Servers


@pytest.fixture(scope="module")
def own_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(tmp_path_factory.mktemp("outage") / "postgres", free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
async def world(own_postgres: EmbeddedPostgres, servers: Servers) -> AsyncIterator[World]:
    database_url = await new_database(own_postgres.url("postgres"))
    async with asyncpg.create_pool(database_url, min_size=2, max_size=20) as pool, world_of(pool, servers.nats_url, database_url) as started:
        yield started


async def load(world: World, stop: asyncio.Event, statuses: list[int], bodies: list[dict]) -> None:
    """One user's stream of reads and writes, as fast as they are answered."""
    while not stop.is_set():
        body = {"cell": "CB-A1", "citizen_id": f"0010980{uuid.uuid4().int % 10**5:05d}", "full_name": "Nguyễn Văn Tải",
                "opened_on": "2025-09-01", "helper_citizen_id": HELPERS["CB-A1"]}
        for response in (await world.command("bithu.a1", "dossiers", "open_dossier", body),
                         await world.query("bithu.a1", "voting", "deadlines", {}),
                         await world.query("canbo.a", "reporting", "pipeline", {"organisation": "DU-A"})):
            statuses.append(response.status_code)
            bodies.append(response.json())


async def test_postgresql_stopped_mid_load_is_503_not_500(world: World, own_postgres: EmbeddedPostgres) -> None:
    stop = asyncio.Event()
    statuses: list[int] = []
    bodies: list[dict] = []
    users = [asyncio.create_task(load(world, stop, statuses, bodies)) for _ in range(3)]
    try:
        await eventually(lambda: _true(len(statuses) >= 9))
        await asyncio.to_thread(own_postgres.stop)
        during = len(statuses)
        await eventually(lambda: _true(len(statuses) >= during + 9), timeout=120)
        await asyncio.to_thread(own_postgres.start)
    finally:
        stop.set()
        await asyncio.gather(*users, return_exceptions=True)
    for task in users:
        assert task.exception() is None, task.exception()
    assert 500 not in statuses, [b for s, b in zip(statuses, bodies, strict=True) if s == 500][:3]
    assert set(statuses) <= {200, 503}, [b for s, b in zip(statuses, bodies, strict=True) if s not in (200, 503)][:3]
    outages = [b["error"] for s, b in zip(statuses, bodies, strict=True) if s == 503]
    assert outages and all(e["code"] == "unavailable" for e in outages), outages[:3]

    async def answers() -> bool:
        return (await world.query("bithu.a1", "voting", "deadlines", {})).status_code == 200

    await eventually(answers, timeout=60)


async def _true(value: bool) -> bool:
    return value
