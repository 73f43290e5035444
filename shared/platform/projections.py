"""Projections: read models rebuilt from the logs, verified row by row, buildable as of the past.

A projection names its source logs and its tables, and applies one event at a time. Live, the
consumer runner feeds it (checkpoint in the same transaction). `rebuild` builds it anew into the
service's shadow schema and swaps it in; `verify` builds the shadow to the live checkpoints and
compares every row.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import heapq
import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
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
COMMIT_EVERY = 10_000
"""Events a build applies in one transaction, at most about."""


class Projection(ABC):
    name: str
    """Consumer name, e.g. `reporting.pipeline`; also the key of its checkpoints."""
    schema: str
    """The owning service's schema, where the live tables are."""
    sources: tuple[str, ...]
    tables: dict[str, str]
    """Table name -> column definitions, including a primary key (rows are compared by value)."""
    interleaved: ClassVar[bool] = True
    """Whether a build must apply the events of its logs interleaved by the time they were
    recorded; False for a projection whose rows never depend on another event (the audit
    timeline), which a build then applies log after log in whole batches."""
    added_columns: ClassVar[dict[str, tuple[str, ...]]] = {}
    """Table name -> columns added to it after deployments had created it (each also in `tables`,
    last, so a rebuilt table has the columns in the same order): added where missing."""

    @abstractmethod
    async def apply(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent, source: str) -> None:
        """Apply one event to the tables in `schema` (live or shadow)."""

    async def apply_batch(self, conn: asyncpg.Connection, schema: str, events: Sequence[tuple[str, RecordedEvent]]) -> None:
        """Apply consecutive events, in order, to the tables in `schema`. A build passes its
        `WriteBehind`, so the writes of `apply` travel together instead of a round trip per
        statement (what bounds a rebuild); a projection that can write several events in one
        statement overrides this."""
        for source, event in events:
            await self.apply(conn, schema, event, source)

    def consumed(self, source: str) -> tuple[str, ...] | None:
        """The event types of `source`'s log that `apply` does anything with (None: every one). A
        build reads only these; the live consumer passes the others by without calling `apply`
        (its chain check and checkpoint still move, `LiveHandler.wants`); AsyncAPI lists them.
        Name a type only where `apply` would do nothing at all with the others."""
        return None

    def live_handler(self, source: str) -> LiveHandler:
        return LiveHandler(self, source)

    builds_in_database: ClassVar[bool] = False
    """Whether `build_in_database` applies a log in the database itself."""

    async def build_in_database(
        self, conn: asyncpg.Connection, schema: str, source: str, log_table: str, after: int, up_to: int, moment: datetime | None
    ) -> tuple[int, list[int]]:
        """Apply, in the database itself, the events of `source`'s log (`log_table`) after position `after` (up
        to `up_to`, recorded by `moment` when given) to the tables in `schema`: a projection whose
        every row comes from one event alone does it with one `INSERT ... SELECT` while a build
        reads and applies the other projections' events (issue 21). Returns the log's last
        position it passed and the positions of the events it left to `apply_batch` (those it
        cannot apply in SQL exactly as `apply` would). Asked only of a projection that
        `builds_in_database`, by a build whose logs are in the database of its tables."""
        raise NotImplementedError


class LiveHandler:
    """What the live consumer of one source calls: `Projection.apply` on the live tables."""

    def __init__(self, projection: Projection, source: str) -> None:
        self.projection, self.source = projection, source
        consumed = projection.consumed(source)
        self._wanted = None if consumed is None else frozenset(consumed)

    async def __call__(self, conn: asyncpg.Connection, event: RecordedEvent) -> None:
        await self.projection.apply(conn, self.projection.schema, event, self.source)

    async def apply_batch(self, conn: asyncpg.Connection, events: list[RecordedEvent]) -> None:
        """`Projection.apply_batch` on the live tables: a batched consumer's events at once, through
        a `WriteBehind` as a build does (one statement and a savepoint an event is what bounded a
        province's catch-up, issue 21)."""
        writes = WriteBehind(conn)
        await self.projection.apply_batch(writes, self.projection.schema, [(self.source, event) for event in events])
        await writes.flush()

    def wants(self, event_type: str) -> bool:
        """Whether `apply` has anything to do with this type (`Projection.consumed`)."""
        return self._wanted is None or event_type in self._wanted


_PLAIN_INSERT = re.compile(r"(?P<head>INSERT INTO [\w.]+ \([\w, ]+\)) VALUES \((?P<values>[$\d, ]+)\)")
"""A single-row INSERT with nothing after its values (no ON CONFLICT, no RETURNING)."""


def _placeholders(width: int) -> str:
    return ", ".join(f"${i}" for i in range(1, width + 1))

_LOOK_BACK = 8
"""How many queued runs a plain INSERT looks back over for its own."""

INSERT_PARAMETERS = 6_000
"""Parameters per multi-row INSERT (PostgreSQL allows 65,535; a few hundred rows a statement is
where the gain stops)."""


class WriteBehind:
    """The part of a connection a projection's `apply` uses, with its writes held back.

    A statement with arguments is queued, not sent; consecutive runs of the same statement go as
    one `executemany` (asyncpg pipelines it: one round trip for the run), runs of a plain
    single-row INSERT as multi-row INSERTs, single ones as `execute`. Any read, and any statement
    without arguments, sends what is queued first, so a handler always reads what it wrote.
    Statements keep their order, except that a plain INSERT joins an earlier run of itself when
    no statement queued in between names its table (nothing in between can see or change its
    rows: projection tables have no triggers or foreign keys), so the effect is the same as
    sending each at once; only an error surfaces later, at the next read or `flush`, which fails
    the whole batch (its transaction) as it would have.
    """

    def __init__(self, conn: asyncpg.Connection, *, fresh: bool = False) -> None:
        self.conn = conn
        self.fresh = fresh
        """The tables were empty when this build began: what `memo` does not hold is not there."""
        self.memo: dict[Any, Any] = {}
        """What a projection keeps of its own writes for the length of one build, to not read
        them back (ketnap.services.reporting.intervals); only valid while every write to those
        tables goes through it."""
        self._queued: list[tuple[str, list[tuple[Any, ...]]]] = []

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:
        if not args:
            await self.flush()
            return await self.conn.execute(query, timeout=timeout)
        self._queue(query, [args])
        return ""

    async def executemany(self, command: str, args: Any, *, timeout: float | None = None) -> None:
        self._queue(command, [tuple(a) for a in args])

    async def fetch(self, query: str, *args: Any, timeout: float | None = None, record_class: Any = None) -> list[Any]:
        await self.flush()
        return await self.conn.fetch(query, *args, timeout=timeout, record_class=record_class)

    async def fetchrow(self, query: str, *args: Any, timeout: float | None = None, record_class: Any = None) -> Any:
        await self.flush()
        return await self.conn.fetchrow(query, *args, timeout=timeout, record_class=record_class)

    async def fetchval(self, query: str, *args: Any, column: int = 0, timeout: float | None = None) -> Any:
        await self.flush()
        return await self.conn.fetchval(query, *args, column=column, timeout=timeout)

    async def copy_records_to_table(self, table: str, *, records: Any, columns: Any = None, schema_name: str | None = None) -> str:
        """A COPY into `table`, after what is queued (a projection that writes a batch's rows at once)."""
        await self.flush()
        return await self.conn.copy_records_to_table(table, records=records, columns=columns, schema_name=schema_name)

    async def flush(self) -> None:
        queued, self._queued = self._queued, []
        for query, rows in queued:
            if len(rows) == 1:
                await self.conn.execute(query, *rows[0])
            elif (insert := _PLAIN_INSERT.fullmatch(query)) is not None and insert["values"] == _placeholders(len(rows[0])):
                await self._insert_rows(insert["head"], len(rows[0]), rows)
            else:
                await self.conn.executemany(query, rows)

    async def _insert_rows(self, head: str, width: int, rows: list[tuple[Any, ...]]) -> None:
        """A run of one plain single-row INSERT as multi-row INSERTs: the same rows, the same
        errors (a plain INSERT has no conflict clause whose outcome could depend on a row before
        it in the same statement), and the database runs one statement instead of one per row."""
        step = max(1, INSERT_PARAMETERS // width)
        for first in range(0, len(rows), step):
            chunk = rows[first:first + step]
            values = ", ".join(f"({', '.join(f'${row * width + column}' for column in range(1, width + 1))})" for row in range(len(chunk)))
            await self.conn.execute(f"{head} VALUES {values}", *(value for row in chunk for value in row))

    def _queue(self, query: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self._queued and self._queued[-1][0] == query:
            self._queued[-1][1].extend(rows)
            return
        if (insert := _PLAIN_INSERT.fullmatch(query)) is not None:
            # A plain INSERT joins an earlier run of itself when nothing queued since names its
            # table: rows of one table written between statements about others (a log that
            # alternates localities and members) still go together.
            table = insert["head"].split()[2].rsplit(".", 1)[-1]
            for queued, queued_rows in reversed(self._queued[-_LOOK_BACK:]):
                if queued == query:
                    queued_rows.extend(rows)
                    return
                if table in queued:
                    break
        self._queued.append((query, rows))


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


def _read(reader: LogReader, source: str, event_types: tuple[str, ...] | None, after: dict[str, int], as_of: AsOf) -> AsyncIterator[list[RecordedEvent]]:
    up_to = as_of.positions.get(source)
    if up_to is not None and up_to <= after.get(source, 0):
        return _nothing()  # nothing new: not even a request
    return reader.read(source, after.get(source, 0), up_to_position=up_to, up_to_time=as_of.moment, event_types=event_types)


async def _nothing() -> AsyncIterator[list[RecordedEvent]]:
    return
    yield


def _sources(projections: Sequence[Projection]) -> dict[str, tuple[str, ...] | None]:
    """Every log the projections read, in the order they name them, with the event types any of
    them applies (None: every one): what one read of each log must return for all of them."""
    wanted: dict[str, set[str] | None] = {}
    for projection in projections:
        for source in projection.sources:
            consumed = projection.consumed(source)
            if consumed is None or (source in wanted and wanted[source] is None):
                wanted[source] = None
            else:
                wanted[source] = wanted.get(source, set()) | set(consumed)  # type: ignore[operator]
    return {source: None if types is None else tuple(sorted(types)) for source, types in wanted.items()}


async def _batches(reader: LogReader, projections: Sequence[Projection], after: dict[str, int], as_of: AsOf) -> AsyncIterator[list[tuple[str, RecordedEvent]]]:
    """The events the projections apply, each log read once, in batches of at most `BATCH`:
    interleaved by time when one of them needs it, else log after log (projections of one log, or
    ones that need no interleaving)."""
    sources = _sources(projections)
    if not any(p.interleaved and len(p.sources) > 1 for p in projections):
        for source, event_types in sources.items():
            async for read in _read(reader, source, event_types, after, as_of):
                for first in range(0, len(read), BATCH):
                    yield [(source, event) for event in read[first:first + BATCH]]
        return
    async for batch in _merged(reader, sources, after, as_of):
        yield batch


async def _merged(
    reader: LogReader, sources: dict[str, tuple[str, ...] | None], after: dict[str, int], as_of: AsOf
) -> AsyncIterator[list[tuple[str, RecordedEvent]]]:
    """The events of the logs, each log in its own order, interleaved by the time they were
    recorded (a projection's share of it is its own logs interleaved the same way), in batches of
    at most `BATCH`. Each log's pages are taken from as they come, not event by event through a
    generator (a rebuild passes every event of its logs here; issue 21)."""
    names = list(sources)
    pages = [_read(reader, source, sources[source], after, as_of) for source in names]
    page: list[list[RecordedEvent]] = [[] for _ in names]
    taken = [0 for _ in names]
    heads: list[tuple[datetime, int, int]] = []
    for index in range(len(names)):
        page[index] = await anext(pages[index], [])
        if page[index]:
            heads.append((page[index][0].recorded_at, index, page[index][0].position))
    heapq.heapify(heads)
    batch: list[tuple[str, RecordedEvent]] = []
    while heads:
        index = heads[0][1]
        batch.append((names[index], page[index][taken[index]]))
        taken[index] += 1
        if taken[index] == len(page[index]):
            page[index], taken[index] = await anext(pages[index], []), 0
        if page[index]:
            following = page[index][taken[index]]
            heapq.heapreplace(heads, (following.recorded_at, index, following.position))
        else:
            heapq.heappop(heads)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


async def build(
    pool: asyncpg.Pool | None,
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
    computed as of a past date without touching the live tables (`ketnap.platform.snapshots`).
    `pool` is needed only without `reader` or without `connection`.
    """
    (reached,) = await build_many(pool, [(projection, schema)], as_of=as_of, after=after, fresh=fresh, progress=progress,
                                  reader=reader, connection=connection)
    return reached


async def build_many(
    pool: asyncpg.Pool | None,
    targets: Sequence[tuple[Projection, str]],
    *,
    as_of: AsOf = AsOf(),
    after: dict[str, int] | None = None,
    fresh: bool = True,
    progress: Progress | None = None,
    reader: LogReader | None = None,
    connection: asyncpg.Connection | None = None,
) -> list[dict[str, int]]:
    """`build` of several projections, each into its schema, from one read of each source log
    (reading and decoding the events was half of a rebuild of reporting's projections, which
    read the same logs; issue 21). Returns each one's positions reached, in the same order."""
    local = reader is None  # the logs are read from the database of the tables: it can apply some itself
    if reader is None:
        assert pool is not None, "a build reads the logs from the database without a reader"
        reader = DatabaseLogReader(pool)
    if connection is not None:
        return await _build_on([connection], None, targets, reader, dict(after or {}), as_of, fresh, progress)
    assert pool is not None, "a build needs a pool without a connection"
    # All but one of the pool's connections: the reader takes one for each page it reads; one of
    # them for the projections that build in the database, while the others stream.
    in_database = local and pool.get_max_size() >= 3 and any(p.builds_in_database for p, _ in targets)
    streamed = sum(1 for p, _ in targets if not (in_database and p.builds_in_database))
    async with contextlib.AsyncExitStack() as held:
        lanes = max(1, min(streamed, pool.get_max_size() - 1 - in_database))
        conns = [await held.enter_async_context(pool.acquire()) for _ in range(lanes)]
        aside = await held.enter_async_context(pool.acquire()) if in_database else None
        return await _build_on(conns, aside, targets, reader, dict(after or {}), as_of, fresh, progress)


class _Target:
    """One projection of a build: its schema, its share of the events and how far it got."""

    def __init__(self, conn: asyncpg.Connection, projection: Projection, schema: str, after: dict[str, int], fresh: bool) -> None:
        self.projection, self.schema = projection, schema
        self.reached = dict(after)
        self.writes = WriteBehind(conn, fresh=fresh)
        self.count = 0
        self.share: list[tuple[str, RecordedEvent]] = []
        """Its events of the batch at hand (`_deal`)."""
        self._wanted = {source: None if (types := projection.consumed(source)) is None else frozenset(types) for source in projection.sources}

    def takes(self, source: str, event_type: str) -> bool:
        return source in self._wanted and ((types := self._wanted[source]) is None or event_type in types)


def _deal(batch: list[tuple[str, RecordedEvent]], targets: Sequence[_Target], takers_of: dict[tuple[str, str], list[_Target]]) -> None:
    """Each event of the batch to the share of every target that applies it, who takes a (log,
    type) looked up once a build in `takers_of`: asking every projection about every event was a
    twelfth of a rebuild's applying (issue 21)."""
    for target in targets:
        target.share = []
    for item in batch:
        key = (item[0], item[1].event_type)
        takers = takers_of.get(key)
        if takers is None:
            takers = takers_of[key] = [target for target in targets if target.takes(*key)]
        for target in takers:
            target.share.append(item)


@contextlib.contextmanager
def _collector_held() -> Iterator[Callable[[], None]]:
    """The cyclic garbage collector held off for a build, what it has kept so far frozen at each
    commit (the callable it gives, `gc.freeze`) and handed back at the end. A build keeps what it
    remembers of its rows (`WriteBehind.memo`, the interval tables' records) and pages of events
    alive for a while: left on, the collector walked them again and again, and its full
    collections walked the whole heap (about a tenth of a rebuild's CPU, profiled for issue 21).
    What a build allocates holds few cycles; their garbage waits for the first collection after
    it. A collector someone else stopped stays stopped."""
    if not gc.isenabled():
        yield lambda: None
        return
    gc.disable()
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()
        gc.enable()


_END: Any = object()


async def _read_ahead(batches: AsyncIterator[list[tuple[str, RecordedEvent]]]) -> AsyncIterator[list[tuple[str, RecordedEvent]]]:
    """The batches, the next one read while the one before is applied: a build waited for each
    page of the logs with nothing to do (issue 21). The readers take connections of their own."""
    following = asyncio.ensure_future(anext(batches, _END))
    try:
        while (batch := await following) is not _END:
            following = asyncio.ensure_future(anext(batches, _END))
            yield batch
    finally:
        following.cancel()


async def _build_on(
    conns: Sequence[asyncpg.Connection],
    aside: asyncpg.Connection | None,
    projections: Sequence[tuple[Projection, str]],
    reader: LogReader,
    after: dict[str, int],
    as_of: AsOf,
    fresh: bool,
    progress: Progress | None,
) -> list[dict[str, int]]:
    # Projections dealt over the connections, each connection one transaction applying its
    # projections one after the other: PostgreSQL's part of one runs beside Python's of another.
    # With `aside`, those that build in the database do it there meanwhile.
    targets: list[_Target] = []
    for projection, schema in projections:
        in_database = aside is not None and projection.builds_in_database
        conn = aside if in_database else conns[sum(1 for t in targets if t.writes.conn is not aside) % len(conns)]
        targets.append(_Target(conn, projection, schema, after, fresh))  # type: ignore[arg-type]
    set_aside = [t for t in targets if aside is not None and t.writes.conn is aside]
    streamed = [t for t in targets if t not in set_aside]
    lanes = [(conn, [t for t in streamed if t.writes.conn is conn]) for conn in conns]
    lanes = [(conn, own) for conn, own in lanes if own]
    for target in targets:
        await create_tables(target.writes.conn, target.projection, target.schema, fresh=fresh)
    transactions = [conn.transaction() for conn, _ in lanes]
    for transaction in transactions:
        await transaction.start()
    in_database = asyncio.ensure_future(_build_in_database(aside, set_aside, reader, after, as_of)) if set_aside else None

    async def apply(own: list[_Target]) -> None:
        for target in own:
            if share := target.share:
                await target.projection.apply_batch(target.writes, target.schema, share)  # type: ignore[arg-type]
                for source, event in share:
                    target.reached[source] = event.position
                target.count += len(share)

    async def commit(index: int, again: bool) -> None:
        for target in lanes[index][1]:
            await target.writes.flush()
        await transactions[index].commit()  # bounded transactions keep memory flat on big logs
        if again:
            transactions[index] = lanes[index][0].transaction()
            await transactions[index].start()

    read = 0
    try:
        takers_of: dict[tuple[str, str], list[_Target]] = {}
        batches = _read_ahead(_batches(reader, [t.projection for t in streamed], after, as_of))
        with _collector_held() as settle:
            async with contextlib.aclosing(batches):
                async for batch in batches if streamed else _nothing():
                    _deal(batch, streamed, takers_of)
                    await asyncio.gather(*(apply(own) for _, own in lanes))
                    if read // COMMIT_EVERY < (read + len(batch)) // COMMIT_EVERY:
                        await asyncio.gather(*(commit(i, True) for i in range(len(lanes))))
                        settle()
                        if progress:
                            for target in targets:
                                progress(target.projection.name, target.count)
                    read += len(batch)
            await asyncio.gather(*(commit(i, False) for i in range(len(lanes))))
            if in_database is not None:
                await in_database
    except BaseException:
        if in_database is not None and not in_database.done():
            in_database.cancel()
            await asyncio.gather(in_database, return_exceptions=True)
        for (conn, _), transaction in zip(lanes, transactions, strict=True):
            if conn.is_in_transaction():
                await transaction.rollback()
        raise
    if progress:
        for target in targets:
            progress(target.projection.name, target.count)
    return [target.reached for target in targets]


async def _build_in_database(conn: asyncpg.Connection | None, targets: list[_Target], reader: LogReader, after: dict[str, int], as_of: AsOf) -> None:
    """The projections that build in the database, each log in one statement, in one transaction
    of their own connection; the few events a statement leaves are read and applied as usual."""
    assert conn is not None
    async with conn.transaction():
        for target in targets:
            for source in target.projection.sources:
                since = after.get(source, 0)
                up_to = as_of.positions.get(source, 2**62)
                log_table = f"{checked_identifier(source)}.events"  # EventStore.table
                passed, left = await target.projection.build_in_database(conn, target.schema, source, log_table, since, up_to, as_of.moment)
                for position in left:
                    async for events in reader.read(source, position - 1, up_to_position=position):
                        await target.projection.apply_batch(target.writes, target.schema, [(source, e) for e in events])  # type: ignore[arg-type]
                await target.writes.flush()
                target.reached[source] = max(since, passed)
                target.count += max(0, passed - since)


@dataclass
class Difference:
    table: str
    only_in_live: list[dict[str, Any]]
    only_in_rebuild: list[dict[str, Any]]


async def compare(conn: asyncpg.Connection, projection: Projection, live: str, shadow: str, limit: int = 20) -> list[Difference]:
    """The rows of the projection's tables in `live` and not in `shadow`, and the other way round."""
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
                await _apply_tail(pool, conn, projection, shadow, source, reached.get(source, 0), now[source])
        return await compare(conn, projection, projection.schema, shadow)


async def rebuild(pool: asyncpg.Pool, projection: Projection, progress: Progress | None = None) -> dict[str, int]:
    """Drop the live tables and replace them with ones rebuilt from the logs."""
    (reached,) = await rebuild_many(pool, [projection], progress)
    return reached


async def rebuild_many(
    pool: asyncpg.Pool, projections: Sequence[Projection], progress: Progress | None = None, *, reader: LogReader | None = None
) -> list[dict[str, int]]:
    """`rebuild` of several projections, their shadows built from one read of each source log
    (`build_many`), then each swapped in; returns each one's checkpoints, in the same order."""
    shadows = [(projection, shadow_schema(projection.schema)) for projection in projections]
    built = await build_many(pool, shadows, progress=progress, reader=reader)
    return [await _swap_in(pool, projection, reached) for projection, reached in zip(projections, built, strict=True)]


async def _swap_in(pool: asyncpg.Pool, projection: Projection, reached: dict[str, int]) -> dict[str, int]:
    shadow = shadow_schema(projection.schema)
    async with pool.acquire() as conn, conn.transaction():
        await _live_checkpoints(conn, projection, lock=True)
        for source in projection.sources:
            head = await conn.fetchval(f"SELECT coalesce(max(position), 0) FROM {EventStore(pool, source).table}")
            # What was appended while the shadow was built; the checkpoint goes to the head, past
            # the events of types the projection does not apply, which the build skipped.
            await _apply_tail(pool, conn, projection, shadow, source, reached.get(source, 0), head)
            reached[source] = max(reached.get(source, 0), head)
        for table in projection.tables:
            await conn.execute(f"DROP TABLE IF EXISTS {projection.schema}.{table}")
            await conn.execute(f"ALTER TABLE {shadow}.{table} SET SCHEMA {projection.schema}")
        for source in projection.sources:
            # The hash at the new position is not known here: the live runner reads it from the source.
            await move_checkpoint(conn, projection.schema, projection.name, source, reached.get(source, 0), None)
    return reached


async def _apply_tail(
    pool: asyncpg.Pool, conn: asyncpg.Connection, projection: Projection, schema: str, source: str, after: int, up_to: int
) -> None:
    store = EventStore(pool, source)
    pending = WriteBehind(conn)
    async for batch in store.read_log(after, up_to_position=up_to, event_types=projection.consumed(source)):
        await projection.apply_batch(pending, schema, [(source, event) for event in batch])  # type: ignore[arg-type]
        await pending.flush()


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
