"""Past snapshots: projections as recorded by a moment, built once, kept, caught up, equal to a build."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
from nats.aio.client import Client as NatsClient

from ketnap.platform import projections
from ketnap.platform.bus.logread import BusLogReader, DatabaseLogReader, LogReader
from ketnap.platform.projections import AsOf, Projection
from ketnap.platform.snapshots import PastSnapshots
from tests.integration.harness import running
from tests.integration.test_projections import record, setup
from tests.servers import Servers

QUERY = "SELECT organisation, event_type, events FROM pg_temp.per_organisation ORDER BY 1, 2"


async def snapshot_rows(past: PastSnapshots, moment: datetime, projection: Projection, reader: LogReader, database_url: str) -> list[tuple]:
    async with past.opened(moment, [projection], reader, lambda: asyncpg.connect(database_url)) as conn:
        return [tuple(r) for r in await conn.fetch(QUERY)]


async def built_rows(pool: asyncpg.Pool, moment: datetime, projection: Projection) -> list[tuple]:
    """The same projection built now, from the logs, as a report built it on every request before."""
    async with pool.acquire() as conn:
        try:
            await projections.build(pool, projection, "pg_temp", as_of=AsOf(moment=moment), connection=conn)
            return [tuple(r) for r in await conn.fetch(QUERY)]
        finally:
            await conn.execute("DISCARD TEMP")


async def test_a_snapshot_is_built_once_through_the_bus_and_kept(
    pool: asyncpg.Pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str
) -> None:
    source, _target, projection, store = await setup(pool, nc, deployment)
    await record(store, ["CB-01", "CB-02", "CB-01"])
    second = [e async for batch in store.read_log(1, up_to_position=2) for e in batch].pop()
    await record(store, ["CB-03"])
    past = PastSnapshots("test")
    try:
        async with running(source, servers.nats_url, database_url, deployment):
            first = await snapshot_rows(past, second.recorded_at, projection, BusLogReader(nc), database_url)
            again = await snapshot_rows(past, second.recorded_at, projection, BusLogReader(nc), database_url)
    finally:
        await past.close()
    assert first == again == [("CB-01", "Opened", 1), ("CB-02", "Closed", 1)]
    assert first == await built_rows(pool, second.recorded_at, projection)
    assert (past.built, past.kept) == (1, 1)


async def test_events_recorded_by_the_moment_that_arrive_later_are_applied_to_the_kept_snapshot(
    pool: asyncpg.Pool, nc: NatsClient, deployment: str, database_url: str
) -> None:
    """A moment not yet over (the end of today), like a kept log receiving a lower level's old events:
    what arrives after the snapshot was built lands after the head it saw, and is caught up."""
    _source, _target, projection, store = await setup(pool, nc, deployment)
    await record(store, ["CB-01", "CB-02"])
    moment = datetime.now(UTC) + timedelta(hours=1)
    past = PastSnapshots("test")
    reader = DatabaseLogReader(pool)
    try:
        before = await snapshot_rows(past, moment, projection, reader, database_url)
        await record(store, ["CB-03", "CB-01"])
        after = await snapshot_rows(past, moment, projection, reader, database_url)
    finally:
        await past.close()
    assert before == [("CB-01", "Opened", 1), ("CB-02", "Closed", 1)]
    assert after == [("CB-01", "Closed", 1), ("CB-01", "Opened", 1), ("CB-02", "Closed", 1), ("CB-03", "Opened", 1)]
    assert after == await built_rows(pool, moment, projection)
    assert (past.built, past.kept) == (1, 1)


async def test_the_least_recently_used_snapshot_is_closed_beyond_the_limit(
    pool: asyncpg.Pool, nc: NatsClient, deployment: str, database_url: str
) -> None:
    _source, _target, projection, store = await setup(pool, nc, deployment)
    await record(store, ["CB-01"])
    first = [e async for batch in store.read_log(0, up_to_position=1) for e in batch].pop()
    await record(store, ["CB-02"])
    later = datetime.now(UTC)
    past = PastSnapshots("test", kept=1)
    reader = DatabaseLogReader(pool)
    try:
        assert await snapshot_rows(past, first.recorded_at, projection, reader, database_url) == [("CB-01", "Opened", 1)]
        assert len(await snapshot_rows(past, later, projection, reader, database_url)) == 2
        assert await snapshot_rows(past, first.recorded_at, projection, reader, database_url) == [("CB-01", "Opened", 1)]
    finally:
        await past.close()
    assert (past.built, past.kept) == (3, 0)
