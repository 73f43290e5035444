"""Projections: read models rebuilt from the logs, verified row by row, buildable as of the past.

A projection names its source logs and its tables, and applies one event at a time. Live, the
consumer runner feeds it (checkpoint in the same transaction). `rebuild` builds it anew into the
service's shadow schema and swaps it in; `verify` builds the shadow to the live checkpoints and
compares every row.
"""

from __future__ import annotations

import asyncio
import heapq
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

import asyncpg

from ketnap.platform.bus.consumer import move_checkpoint, read_checkpoint, take_turn
from ketnap.platform.bus.logread import DatabaseLogReader, LogReader
from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.eventstore import EventStore
from ketnap.platform.eventstore.schema import checked_identifier, service_role, shadow_schema
from ketnap.platform.logging import get_logger

log = get_logger(__name__)

Progress = Callable[[str, int], None]

BATCH = 500
"""Events handed to `Projection.apply_batch` at once when building."""


class Projection(ABC):
    name: str
    """Consumer name, e.g. `reporting.pipeline`; also the key of its checkpoints."""
    schema: str
    """The owning service's schema, where the live tables are."""
    sources: tuple[str, ...]
    tables: dict[str, str]
    """Table name -> column definitions, including a primary key (rows are compared by value)."""
    added_columns: ClassVar[dict[str, tuple[str, ...]]] = {}
    """Table name -> columns added to it after deployments had created it (each also in `tables`,
    last, so a rebuilt table has the columns in the same order): added where missing."""

    @abstractmethod
    async def apply(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent, source: str) -> None:
        """Apply one event to the tables in `schema` (live or shadow)."""

    async def apply_batch(self, conn: asyncpg.Connection, schema: str, events: Sequence[tuple[str, RecordedEvent]]) -> None:
        """Apply consecutive events, in order, to the tables in `schema`: one at a time unless the
        projection knows how to write several in one statement (a round trip per event is what
        bounds a rebuild)."""
        for source, event in events:
            await self.apply(conn, schema, event, source)

    def handles(self, source: str, event_type: str) -> bool:
        """Whether `apply` may do anything with an event of this type from `source`. The live
        consumer passes the others by without calling it (ketnap.platform.bus.consumer.SelectiveHandler):
        say False only where `apply` would do nothing at all."""
        return True

    def live_handler(self, source: str) -> LiveHandler:
        return LiveHandler(self, source)


class LiveHandler:
    """What the live consumer of one source calls: `Projection.apply` on the live tables."""

    def __init__(self, projection: Projection, source: str) -> None:
        self.projection, self.source = projection, source

    async def __call__(self, conn: asyncpg.Connection, event: RecordedEvent) -> None:
        await self.projection.apply(conn, self.projection.schema, event, self.source)

    def wants(self, event_type: str) -> bool:
        return self.projection.handles(self.source, event_type)


async def create_tables(conn: asyncpg.Connection, projection: Projection, schema: str, *, fresh: bool = False) -> None:
    checked_identifier(schema)
    role = service_role(projection.schema)
    role_exists = schema != "pg_temp" and await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
    for table, columns in projection.tables.items():
        if fresh:
            await conn.execute(f"DROP TABLE IF EXISTS {schema}.{checked_identifier(table)}")
        await conn.execute(f"CREATE TABLE IF NOT EXISTS {schema}.{checked_identifier(table)} ({columns})")
        for column in projection.added_columns.get(table, ()):
            await conn.execute(f"ALTER TABLE {schema}.{table} ADD COLUMN IF NOT EXISTS {column}")
        if role_exists:
            # Built by an operator, applied to live by the service's own role.
            await conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.{table} TO {role}")


@dataclass(frozen=True)
class AsOf:
    """How far to build: per-source positions, or every event recorded up to a moment."""

    positions: dict[str, int] = field(default_factory=dict)
    moment: datetime | None = None


async def _merged(reader: LogReader, sources: tuple[str, ...], after: dict[str, int], as_of: AsOf) -> AsyncIterator[tuple[str, RecordedEvent]]:
    """Events of several logs, each in its own order, interleaved by the time they were recorded."""

    async def one(source: str) -> AsyncIterator[RecordedEvent]:
        async for batch in reader.read(
            source, after.get(source, 0), up_to_position=as_of.positions.get(source), up_to_time=as_of.moment
        ):
            for event in batch:
                yield event

    iterators = {source: one(source) for source in sources}
    heap: list[tuple[datetime, int, int, str, RecordedEvent]] = []
    for index, (source, iterator) in enumerate(iterators.items()):
        first = await anext(iterator, None)
        if first is not None:
            heapq.heappush(heap, (first.recorded_at, index, first.position, source, first))
    while heap:
        _, index, _, source, event = heapq.heappop(heap)
        yield source, event
        following = await anext(iterators[source], None)
        if following is not None:
            heapq.heappush(heap, (following.recorded_at, index, following.position, source, following))


async def build(
    pool: asyncpg.Pool,
    projection: Projection,
    schema: str,
    *,
    as_of: AsOf = AsOf(),
    after: dict[str, int] | None = None,
    fresh: bool = True,
    progress: Progress | None = None,
    reader: LogReader | None = None,
    connection: asyncpg.Connection | None = None,
) -> dict[str, int]:
    """Apply the source logs to the tables in `schema`; returns the last position applied per source.

    With `connection`, the tables may be temporary (`schema="pg_temp"`): how a report is
    computed as of a past date without touching the live tables.
    """
    reached = dict(after or {})
    reader = reader or DatabaseLogReader(pool)
    if connection is not None:
        count = await _build_on(connection, projection, schema, reader, reached, as_of, fresh, progress)
    else:
        async with pool.acquire() as conn:
            count = await _build_on(conn, projection, schema, reader, reached, as_of, fresh, progress)
    if progress:
        progress(projection.name, count)
    return reached


async def _build_on(
    conn: asyncpg.Connection,
    projection: Projection,
    schema: str,
    reader: LogReader,
    reached: dict[str, int],
    as_of: AsOf,
    fresh: bool,
    progress: Progress | None,
) -> int:
    await create_tables(conn, projection, schema, fresh=fresh)
    count = 0
    transaction = conn.transaction()
    await transaction.start()
    batch: list[tuple[str, RecordedEvent]] = []

    async def flush() -> None:
        await projection.apply_batch(conn, schema, batch)
        for source, event in batch:
            reached[source] = event.position
        batch.clear()

    try:
        async for source, event in _merged(reader, projection.sources, reached, as_of):
            batch.append((source, event))
            count += 1
            if len(batch) >= BATCH:
                await flush()
            if count % 10_000 == 0:
                await flush()
                await transaction.commit()  # bounded transactions keep memory flat on big logs
                transaction = conn.transaction()
                await transaction.start()
                if progress:
                    progress(projection.name, count)
        await flush()
        await transaction.commit()
    except BaseException:
        await transaction.rollback()
        raise
    return count


@dataclass
class Difference:
    table: str
    only_in_live: list[dict[str, Any]]
    only_in_rebuild: list[dict[str, Any]]


async def _compare(conn: asyncpg.Connection, projection: Projection, live: str, shadow: str, limit: int = 20) -> list[Difference]:
    differences = []
    for table in projection.tables:
        live_only = await conn.fetch(f"SELECT * FROM {live}.{table} EXCEPT ALL SELECT * FROM {shadow}.{table} LIMIT {limit}")
        shadow_only = await conn.fetch(f"SELECT * FROM {shadow}.{table} EXCEPT ALL SELECT * FROM {live}.{table} LIMIT {limit}")
        if live_only or shadow_only:
            differences.append(Difference(table, [dict(r) for r in live_only], [dict(r) for r in shadow_only]))
    return differences


async def _live_checkpoints(conn: asyncpg.Connection, projection: Projection, *, lock: bool) -> dict[str, int]:
    return {
        source: await read_checkpoint(conn, projection.schema, projection.name, source, lock=lock)
        for source in projection.sources
    }


async def verify(pool: asyncpg.Pool, projection: Projection, progress: Progress | None = None) -> list[Difference]:
    """Rebuild into the shadow schema and compare with the live tables, row by row."""
    shadow = shadow_schema(projection.schema)
    async with pool.acquire() as conn:
        target = await _live_checkpoints(conn, projection, lock=False)
    reached = await build(pool, projection, shadow, as_of=AsOf(positions=target), progress=progress)
    async with pool.acquire() as conn, conn.transaction():
        # Holding the checkpoints stops the live consumer for the moment of the comparison;
        # whatever it applied meanwhile is applied to the shadow too before comparing.
        now = await _live_checkpoints(conn, projection, lock=True)
        for source in projection.sources:
            if now[source] > reached.get(source, 0):
                async for batch in EventStore(pool, source).read_log(reached.get(source, 0), up_to_position=now[source]):
                    for event in batch:
                        await projection.apply(conn, shadow, event, source)
        return await _compare(conn, projection, projection.schema, shadow)


async def rebuild(pool: asyncpg.Pool, projection: Projection, progress: Progress | None = None) -> dict[str, int]:
    """Drop the live tables and replace them with ones rebuilt from the logs."""
    shadow = shadow_schema(projection.schema)
    reached = await build(pool, projection, shadow, progress=progress)
    async with pool.acquire() as conn, conn.transaction():
        await _live_checkpoints(conn, projection, lock=True)
        for source in projection.sources:
            async for batch in EventStore(pool, source).read_log(reached.get(source, 0)):
                for event in batch:
                    await projection.apply(conn, shadow, event, source)
                    reached[source] = event.position
        for table in projection.tables:
            await conn.execute(f"DROP TABLE IF EXISTS {projection.schema}.{table}")
            await conn.execute(f"ALTER TABLE {shadow}.{table} SET SCHEMA {projection.schema}")
        for source in projection.sources:
            # The hash at the new position is not known here: the live runner reads it from the source.
            await move_checkpoint(conn, projection.schema, projection.name, source, reached.get(source, 0), None)
    return reached


async def head_and_checkpoint(pool: asyncpg.Pool, schema: str, consumer: str, store: EventStore) -> tuple[int, int | None]:
    """The head of `store`'s log and `consumer`'s checkpoint in it (None: none yet), in one round
    trip: the usual case of a read-your-writes catch-up, nothing new, which every query reading a
    projection of its own log pays first (the registry's, several times per command; issue 21)."""
    async with pool.acquire() as conn:
        seen = await conn.fetchrow(
            f"SELECT coalesce((SELECT max(position) FROM {store.table}), 0) AS head, "
            f"(SELECT position FROM {schema}.consumer_checkpoints WHERE consumer = $1 AND source = $2) AS checkpoint",
            consumer, store.schema,
        )
    return seen["head"], seen["checkpoint"]


async def catch_up_own_log(projection: Projection, pool: asyncpg.Pool, store: EventStore, lock: asyncio.Lock) -> None:
    """Read-your-writes for a projection of its service's own log: apply, under the live
    consumer's checkpoint and turn, every event the consumer has not applied yet, so a query
    answered right after a command sees it. `lock` (one per projection and process) keeps two
    catch-ups of one process from holding two connections each while they wait for each other."""
    head, checkpoint = await head_and_checkpoint(pool, projection.schema, projection.name, store)
    if checkpoint is not None and checkpoint >= head:
        return
    async with lock, pool.acquire() as conn, conn.transaction():
        await take_turn(conn, projection.schema, projection.name)
        checkpoint = await read_checkpoint(conn, projection.schema, projection.name, store.schema, lock=True)
        last = None
        async for batch in store.read_log(checkpoint, up_to_position=head):
            for event in batch:
                await projection.apply(conn, projection.schema, event, store.schema)
                last = event
        if last is not None:
            await move_checkpoint(conn, projection.schema, projection.name, store.schema, last.position, last.hash, forward_only=True)
