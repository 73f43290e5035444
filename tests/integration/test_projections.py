"""Projections are rebuilt from the logs, verified row by row, and built as of a past position or date."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from nats.aio.client import Client as NatsClient

from ketnap.platform import projections
from ketnap.platform.envelope import EventMetadata, NewEvent, RecordedEvent
from ketnap.platform.eventstore import EventStore
from ketnap.platform.eventstore.schema import shadow_schema
from ketnap.platform.projections import AsOf, Projection
from ketnap.platform.service import Service
from tests.conftest import eventually
from tests.integration.harness import bootstrap_bus, new_schema, running
from tests.servers import Servers

META = EventMetadata(actor="officer-1", organisation="CB-01")


class EventsPerOrganisation(Projection):
    """How many events each organisation recorded, per type: the shape of every reporting count."""

    def __init__(self, schema: str, source: str) -> None:
        self.name = f"{schema}.per_organisation"
        self.schema = schema
        self.sources = (source,)
        self.tables = {
            "per_organisation": "organisation text, event_type text, events bigint NOT NULL, PRIMARY KEY (organisation, event_type)",
        }

    async def apply(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent, source: str) -> None:
        await conn.execute(
            f"INSERT INTO {schema}.per_organisation VALUES ($1, $2, 1) "
            f"ON CONFLICT (organisation, event_type) DO UPDATE SET events = {schema}.per_organisation.events + 1",
            event.organisation,
            event.event_type,
        )


async def setup(pool: asyncpg.Pool, nc: NatsClient, deployment: str) -> tuple[Service, Service, EventsPerOrganisation, EventStore]:
    source = Service(await new_schema(pool))
    target = Service(await new_schema(pool, owns_log=False), owns_log=False)
    projection = EventsPerOrganisation(target.name, source.name)
    target.add_projection(projection)
    async with pool.acquire() as conn:
        await projections.create_tables(conn, projection, target.name)
    await bootstrap_bus(nc.jetstream(), deployment, [source, target])
    return source, target, projection, EventStore(pool, source.name)


async def record(store: EventStore, organisations: list[str]) -> None:
    for i, organisation in enumerate(organisations):
        kind = "Opened" if i % 2 == 0 else "Closed"
        await store.append(str(uuid.uuid4()), 0, [NewEvent(event_type=kind, data={})], META.model_copy(update={"organisation": organisation}))


async def rows(pool: asyncpg.Pool, schema: str) -> dict[tuple[str, str], int]:
    async with pool.acquire() as conn:
        found = await conn.fetch(f"SELECT * FROM {schema}.per_organisation")
    return {(r["organisation"], r["event_type"]): r["events"] for r in found}


async def checkpoint(pool: asyncpg.Pool, projection: Projection) -> int:
    async with pool.acquire() as conn:
        return await conn.fetchval(
            f"SELECT coalesce(max(position), 0) FROM {projection.schema}.consumer_checkpoints WHERE consumer = $1",
            projection.name,
        )


async def test_the_live_projection_equals_its_rebuild_and_a_changed_row_is_named(
    pool: asyncpg.Pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str
) -> None:
    source, target, projection, store = await setup(pool, nc, deployment)
    await record(store, ["CB-01", "CB-02", "CB-01", "CB-03", "CB-01"])
    async with running(source, servers.nats_url, database_url, deployment), running(target, servers.nats_url, database_url, deployment):
        await eventually(lambda: _at(pool, projection, 5))
        assert await projections.verify(pool, projection) == []
        async with pool.acquire() as conn:
            await conn.execute(f"UPDATE {target.name}.per_organisation SET events = 99 WHERE organisation = 'CB-02'")
        differences = await projections.verify(pool, projection)
    assert [d.table for d in differences] == ["per_organisation"]
    assert differences[0].only_in_live == [{"organisation": "CB-02", "event_type": "Closed", "events": 99}]
    assert differences[0].only_in_rebuild == [{"organisation": "CB-02", "event_type": "Closed", "events": 1}]


async def _at(pool: asyncpg.Pool, projection: Projection, position: int) -> bool:
    return await checkpoint(pool, projection) >= position


async def test_a_rebuild_replaces_the_live_tables_and_live_consumption_goes_on_without_double_counting(
    pool: asyncpg.Pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str
) -> None:
    source, target, projection, store = await setup(pool, nc, deployment)
    await record(store, ["CB-01"] * 6)
    async with running(source, servers.nats_url, database_url, deployment), running(target, servers.nats_url, database_url, deployment):
        await eventually(lambda: _at(pool, projection, 6))
        async with pool.acquire() as conn:
            await conn.execute(f"DELETE FROM {target.name}.per_organisation")  # a projection lost or damaged
        reached = await projections.rebuild(pool, projection)
        assert reached == {source.name: 6}
        assert await rows(pool, target.name) == {("CB-01", "Opened"): 3, ("CB-01", "Closed"): 3}
        await record(store, ["CB-09"])
        await eventually(lambda: _at(pool, projection, 7))
        assert await projections.verify(pool, projection) == []
    assert await rows(pool, target.name) == {("CB-01", "Opened"): 3, ("CB-01", "Closed"): 3, ("CB-09", "Opened"): 1}


async def test_a_projection_is_built_as_of_a_position_and_as_of_a_moment(pool: asyncpg.Pool, nc: NatsClient, deployment: str) -> None:
    _, target, projection, store = await setup(pool, nc, deployment)
    await record(store, ["CB-01", "CB-01", "CB-02"])
    third = [e async for batch in store.read_log(2, up_to_position=3) for e in batch][0]
    await record(store, ["CB-03"])
    shadow = shadow_schema(target.name)
    await projections.build(pool, projection, shadow, as_of=AsOf(positions={store.schema: 2}))
    assert await rows(pool, shadow) == {("CB-01", "Opened"): 1, ("CB-01", "Closed"): 1}
    await projections.build(pool, projection, shadow, as_of=AsOf(moment=third.recorded_at))
    assert await rows(pool, shadow) == {("CB-01", "Opened"): 1, ("CB-01", "Closed"): 1, ("CB-02", "Opened"): 1}


async def test_a_report_as_of_a_moment_is_built_in_temporary_tables_through_the_bus(
    pool: asyncpg.Pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str
) -> None:
    """How a service that does not own the logs answers "as of a date": the live tables are untouched."""
    from ketnap.platform.bus.logread import BusLogReader

    source, _target, projection, store = await setup(pool, nc, deployment)
    await record(store, ["CB-01", "CB-02"])
    second = [e async for batch in store.read_log(1, up_to_position=2) for e in batch][0]
    await record(store, ["CB-03"])
    async with running(source, servers.nats_url, database_url, deployment), pool.acquire() as conn:
        await projections.build(
            pool, projection, "pg_temp", as_of=AsOf(moment=second.recorded_at), reader=BusLogReader(nc), connection=conn
        )
        found = await conn.fetch("SELECT organisation, event_type, events FROM pg_temp.per_organisation ORDER BY 1")
        await conn.execute("DISCARD TEMP")
    assert [tuple(r) for r in found] == [("CB-01", "Opened", 1), ("CB-02", "Closed", 1)]
    assert await rows(pool, projection.schema) == {}


class OpenedSoFar(EventsPerOrganisation):
    """Applies only `Opened`, and reads back what it wrote: each row keeps the count of opened
    events of every organisation at the time it was written."""

    def __init__(self, schema: str, source: str) -> None:
        super().__init__(schema, source)
        self.name = f"{schema}.opened_so_far"
        self.tables = {"opened_so_far": "position bigint PRIMARY KEY, opened_before bigint NOT NULL"}

    def consumed(self, source: str) -> tuple[str, ...] | None:
        return ("Opened",)

    async def apply(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent, source: str) -> None:
        if event.event_type != "Opened":
            return
        before = await conn.fetchval(f"SELECT count(*) FROM {schema}.opened_so_far")
        await conn.execute(f"INSERT INTO {schema}.opened_so_far VALUES ($1, $2)", event.position, before)


async def test_a_build_reads_only_the_types_applied_and_a_handler_reads_what_it_wrote(
    pool: asyncpg.Pool, nc: NatsClient, deployment: str
) -> None:
    source, target, _projection, store = await setup(pool, nc, deployment)
    projection = OpenedSoFar(target.name, source.name)
    await record(store, ["CB-01", "CB-02", "CB-03", "CB-04", "CB-05"])  # Opened, Closed, Opened, Closed, Opened
    reached = await projections.rebuild(pool, projection)
    # The checkpoint goes to the head, past the `Closed` the build never read.
    assert reached == {source.name: 5} and await checkpoint(pool, projection) == 5
    async with pool.acquire() as conn:
        found = [tuple(r) for r in await conn.fetch(f"SELECT * FROM {target.name}.opened_so_far ORDER BY 1")]
    assert found == [(1, 0), (3, 1), (5, 2)]
    assert await projections.verify(pool, projection) == []


async def test_write_behind_sends_a_run_of_one_statement_together_and_reads_after_it(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("CREATE TEMP TABLE written (n int PRIMARY KEY, day date, note text) ON COMMIT DROP")
        pending = projections.WriteBehind(conn)
        for n in range(1, 2_501):  # more rows than one multi-row INSERT takes
            await pending.execute("INSERT INTO pg_temp.written (n, day, note) VALUES ($1, $2, $3)", n, None, f"n{n}")
        await pending.execute("UPDATE pg_temp.written SET note = $2 WHERE n = $1", 7, "changed")
        await pending.execute("INSERT INTO pg_temp.written (n, note) VALUES ($2, $1)", "swapped", 0)  # not $1, $2 in order
        assert await pending.fetchval("SELECT count(*) FROM pg_temp.written") == 2_501
        assert await pending.fetchval("SELECT note FROM pg_temp.written WHERE n = 7") == "changed"
        assert await pending.fetchval("SELECT note FROM pg_temp.written WHERE n = 0") == "swapped"
        await pending.execute("INSERT INTO pg_temp.written (n, day, note) VALUES ($1, $2, $3)", 3, None, "again")
        with pytest.raises(asyncpg.UniqueViolationError):  # a duplicate key held back is still refused
            await pending.flush()


async def test_write_behind_joins_rows_of_one_table_only_past_statements_about_others(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("CREATE TEMP TABLE members (n int PRIMARY KEY, place text) ON COMMIT DROP")
        await conn.execute("CREATE TEMP TABLE places (code text PRIMARY KEY, members int NOT NULL DEFAULT 0) ON COMMIT DROP")
        pending = projections.WriteBehind(conn)
        member = "INSERT INTO pg_temp.members (n, place) VALUES ($1, $2)"
        for n, place in ((1, "A"), (2, "A"), (3, "B")):
            await pending.execute("INSERT INTO pg_temp.places (code) VALUES ($1) ON CONFLICT DO NOTHING", place)
            await pending.execute(member, n, place)
        # Counts the members written before it, so the next member may not join the run above.
        await pending.execute("UPDATE pg_temp.places SET members = (SELECT count(*) FROM pg_temp.members m WHERE m.place = code) "
                              "WHERE code = $1", "A")
        await pending.execute(member, 4, "A")
        await pending.flush()
        assert [tuple(r) for r in await conn.fetch("SELECT * FROM pg_temp.places ORDER BY 1")] == [("A", 2), ("B", 0)]
        assert await conn.fetchval("SELECT count(*) FROM pg_temp.members") == 4
