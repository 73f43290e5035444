"""Several projections rebuilt together from one read of their logs equal each rebuilt alone."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator, Collection
from datetime import datetime

import asyncpg

from ketnap.platform import projections
from ketnap.platform.bus.logread import DatabaseLogReader
from ketnap.platform.envelope import EventMetadata, NewEvent, RecordedEvent
from ketnap.platform.eventstore import EventStore
from ketnap.platform.projections import Projection
from tests.integration.harness import new_schema

META = EventMetadata(actor="officer-1", organisation="CB-01")


class InOrder(Projection):
    """Every event of both logs, numbered in the order applied: differs if the interleaving does."""

    def __init__(self, schema: str, sources: tuple[str, str]) -> None:
        self.name, self.schema, self.sources = f"{schema}.sequence", schema, sources
        self.tables = {"sequence": "n bigint PRIMARY KEY, source text NOT NULL, position bigint NOT NULL, event_type text NOT NULL"}

    async def apply(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent, source: str) -> None:
        n = await conn.fetchval(f"SELECT count(*) FROM {schema}.sequence")
        await conn.execute(f"INSERT INTO {schema}.sequence VALUES ($1, $2, $3, $4)", n + 1, source, event.position, event.event_type)


class Opened(Projection):
    """Only the `Opened` events of the first log, per organisation."""

    def __init__(self, schema: str, source: str) -> None:
        self.name, self.schema, self.sources = f"{schema}.opened", schema, (source,)
        self.tables = {"opened": "organisation text PRIMARY KEY, events bigint NOT NULL"}

    def consumed(self, source: str) -> tuple[str, ...]:
        return ("Opened",)

    async def apply(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent, source: str) -> None:
        assert event.event_type == "Opened", event.event_type
        await conn.execute(
            f"INSERT INTO {schema}.opened VALUES ($1, 1) ON CONFLICT (organisation) DO UPDATE SET events = {schema}.opened.events + 1",
            event.organisation,
        )


class CountingReader(DatabaseLogReader):
    """The database reader, counting the reads of each log it starts."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        super().__init__(pool)
        self.reads: Counter[str] = Counter()

    def read(
        self, source: str, after: int, *, up_to_position: int | None = None, up_to_time: datetime | None = None,
        event_types: Collection[str] | None = None,
    ) -> AsyncIterator[list[RecordedEvent]]:
        self.reads[source] += 1
        return super().read(source, after, up_to_position=up_to_position, up_to_time=up_to_time, event_types=event_types)


async def _record(pool: asyncpg.Pool, first: EventStore, second: EventStore) -> None:
    for i in range(30):
        store = first if i % 3 else second
        kind = ("Opened", "Closed")[i % 2] if store is first else "Counted"
        meta = META.model_copy(update={"organisation": f"CB-0{i % 4}"})
        await store.append(str(uuid.uuid4()), 0, [NewEvent(event_type=kind, data={})], meta)


async def _table(pool: asyncpg.Pool, schema: str, table: str) -> list[tuple[object, ...]]:
    async with pool.acquire() as conn:
        return [tuple(r) for r in await conn.fetch(f"SELECT * FROM {schema}.{table} ORDER BY 1")]


async def _checkpoints(pool: asyncpg.Pool, projection: Projection) -> dict[str, int]:
    async with pool.acquire() as conn:
        found = await conn.fetch(f"SELECT source, position FROM {projection.schema}.consumer_checkpoints WHERE consumer = $1", projection.name)
    return {r["source"]: r["position"] for r in found}


async def test_projections_rebuilt_together_read_each_log_once_and_equal_each_rebuilt_alone(pool: asyncpg.Pool) -> None:
    first, second = EventStore(pool, await new_schema(pool)), EventStore(pool, await new_schema(pool))
    await _record(pool, first, second)
    together, alone = await new_schema(pool, owns_log=False), await new_schema(pool, owns_log=False)
    built = {
        schema: [InOrder(schema, (first.schema, second.schema)), Opened(schema, first.schema)] for schema in (together, alone)
    }

    reader = CountingReader(pool)
    reached = await projections.rebuild_many(pool, built[together], reader=reader)
    for projection in built[alone]:
        await projections.rebuild(pool, projection)

    assert reader.reads == {first.schema: 1, second.schema: 1}
    heads = {first.schema: await first.head_position(), second.schema: await second.head_position()}
    assert reached == [heads, {first.schema: heads[first.schema]}]
    for projection in built[together]:
        assert await _checkpoints(pool, projection) == {s: heads[s] for s in projection.sources}
    for table in ("sequence", "opened"):
        assert await _table(pool, together, table) == await _table(pool, alone, table)
    assert len(await _table(pool, together, "sequence")) == 30
    assert sum(row[1] for row in await _table(pool, together, "opened")) == 10  # type: ignore[misc]
