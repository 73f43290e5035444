"""A service's append-only, hash-chained event log in PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
from collections.abc import AsyncIterator, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from ketnap.platform.chain import Link, next_link
from ketnap.platform.envelope import (
    GENESIS_HASH,
    CanonicalForm,
    EventMetadata,
    NewEvent,
    RecordedEvent,
    chain_hash,
    dumps_data,
    new_recorded_at,
    recorded_event,
)
from ketnap.platform.eventstore.errors import ChainRefused, ConcurrencyConflict, DuplicateEventMismatch
from ketnap.platform.eventstore.schema import checked_identifier

ANY_VERSION = -1
"""Pass as `expected_version` to append whatever the stream's version (e.g. process-manager logs)."""

_COLUMNS = (
    "position, stream_id, stream_version, event_id, event_type, schema_version, data, actor, "
    "organisation, correlation_id, causation_id, recorded_at, previous_hash, hash, traceparent"
)

_WRITTEN = f"{_COLUMNS}, data_text"
"""What an append writes: the columns read, and the exact text of `data` that was hashed (the jsonb
keeps neither key order nor spacing), which the audit's walk hashes as it is (ketnap.platform.chainwalk)."""

_ARRAY_PARAMETERS = (
    "$1::bigint[], $2::text[], $3::integer[], $4::uuid[], $5::text[], $6::integer[], $7::jsonb[], $8::text[], "
    "$9::text[], $10::uuid[], $11::uuid[], $12::timestamptz[], $13::text[], $14::text[], $15::text[], $16::text[]"
)
"""One array per column of `_WRITTEN`, in its order: what `unnest` turns back into rows."""

COPY_FROM_ROWS = 100
"""A transaction with more rows than this writes them by COPY (a call of a thousand events: faster
per row); fewer, in one statement of arrays (a few writers' single events: fewer round trips)."""


@dataclass(frozen=True)
class AppendResult:
    stream_id: str
    stream_version: int
    positions: tuple[int, ...]
    event_ids: tuple[UUID, ...]
    duplicate: bool = False
    """True when every event was already stored: the original result is returned, nothing written."""


def _lock_key(schema: str) -> int:
    # One advisory lock per log serialises appends, so positions are gapless and in commit order.
    return int.from_bytes(hashlib.sha256(f"ketnap.log.{schema}".encode()).digest()[:8], "big", signed=True)


def record_from_row(row: asyncpg.Record) -> RecordedEvent:
    # `_COLUMNS` is in the dataclass's field order, and a rebuild builds millions: the row is
    # unpacked at once into the event's slots, its data decoded (`recorded_event`).
    return recorded_event(*row)


@contextlib.contextmanager
def _collector_held() -> Iterator[None]:
    """The cyclic garbage collector held off while a batch of events is fetched and built: the
    driver's thousands of new rows, then as many events, all kept, otherwise set off collection
    after collection, each walking the young objects again and promoting the batch the reader
    still holds, until a full collection walks the whole heap (2/5 of a decoded log read's CPU,
    profiled for issue 21). A collector someone else stopped stays stopped."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def records_from_rows(rows: list[asyncpg.Record]) -> list[RecordedEvent]:
    """Every row's event, built with the collector held off (`_collector_held`)."""
    with _collector_held():
        return [record_from_row(r) for r in rows]


@dataclass
class _AppendRequest:
    stream_id: str
    expected_version: int
    events: list[NewEvent]
    metadata: EventMetadata


class _GroupCommit:
    """Appends waiting at the same moment share one transaction, so one fsync serves them all.

    The log's lock makes appends strictly one after another; without this, each would pay its
    own commit while holding the lock. Each request is still checked on its own (its version,
    its duplicates) and gets its own result or error. An idle store adds no waiting.
    """

    MAX_EVENTS_PER_TRANSACTION = 10_000

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.pending: list[tuple[_AppendRequest, asyncio.Future[AppendResult | Exception]]] = []
        self.flusher: asyncio.Task[None] | None = None
        self.head: tuple[int, str] | None = None
        """The log's last position and hash as this store's own last group left them (None: not known)."""

    async def submit(self, request: _AppendRequest) -> AppendResult | Exception:
        future: asyncio.Future[AppendResult | Exception] = asyncio.get_running_loop().create_future()
        self.pending.append((request, future))
        if self.flusher is None or self.flusher.done():
            self.flusher = asyncio.create_task(self._flush())
        return await future

    def _take(self) -> list[tuple[_AppendRequest, asyncio.Future[AppendResult | Exception]]]:
        taken, size = 0, 0
        while taken < len(self.pending) and (taken == 0 or size + len(self.pending[taken][0].events) <= self.MAX_EVENTS_PER_TRANSACTION):
            size += len(self.pending[taken][0].events)
            taken += 1
        group, self.pending = self.pending[:taken], self.pending[taken:]
        return group

    async def _flush(self) -> None:
        while self.pending:
            group = [(r, f) for r, f in self._take() if not f.cancelled()]
            if not group:
                continue
            try:
                async with self.store.pool.acquire() as conn:
                    requests = [r for r, _ in group]
                    outcomes = await self._in_one_statement(conn, requests) or await self._in_locked_transaction(conn, requests)
            except Exception as error:  # noqa: BLE001 - the database failed: every caller hears of it
                for _, future in group:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), outcome in zip(group, outcomes, strict=True):
                if not future.done():
                    future.set_result(outcome)


    async def _in_locked_transaction(self, conn: asyncpg.Connection, requests: list[_AppendRequest]) -> list[AppendResult | Exception]:
        """The group's transaction, begun together with taking the log's lock: one round trip
        fewer than `conn.transaction()` and then the lock, on every append of every command."""
        self.head = None
        head: list[Any] = []
        await conn.execute(f"BEGIN; SELECT pg_advisory_xact_lock({self.store._lock_key:d})")
        try:
            outcomes = await self.store._append_locked(conn, requests, locked=True, head=head)
            await conn.execute("COMMIT")
        except BaseException:
            if not conn.is_closed() and conn.is_in_transaction():
                await conn.execute("ROLLBACK")
            raise
        self.head = (head[0], head[1])  # committed: the next group may start from it
        return outcomes

    async def _in_one_statement(self, conn: asyncpg.Connection, requests: list[_AppendRequest]) -> list[AppendResult | Exception] | None:
        """The group in one statement, one round trip, when this store wrote the log's head itself
        and every request names its own stream at a definite version; None when that is not
        so or did not hold (the locked transaction then decides, and says who conflicts).

        The statement takes the log's lock like every append, and writes only if each stream is
        still at its expected version; what it cannot see from its snapshot the unique keys
        refuse: another writer's position (the head moved), its stream version, a stored event id.
        Either refusal writes nothing. Positions stay gapless and in commit order: the next one
        needs the hash of the one before, which is known only once that one is committed.
        A group of more than `COPY_FROM_ROWS` rows is written by COPY instead (`_copied`).
        """
        head = self.head
        streams = [r.stream_id for r in requests]
        if head is None or len(set(streams)) != len(streams) or any(r.expected_version == ANY_VERSION for r in requests):
            return None
        position, previous_hash = head
        rows: list[tuple[Any, ...]] = []
        outcomes: list[AppendResult | Exception] = []
        for request in requests:
            chained = self.store._chain(request.stream_id, request.expected_version, position, previous_hash, request.events, request.metadata)
            rows.extend(chained)
            position, previous_hash = chained[-1][0], chained[-1][13]
            outcomes.append(
                AppendResult(request.stream_id, chained[-1][2], tuple(r[0] for r in chained), tuple(e.event_id for e in request.events))
            )
        expected = [r.expected_version for r in requests]
        written = await (self._copied if len(rows) > COPY_FROM_ROWS else self._inserted)(conn, rows, head[0], streams, expected)
        if not written:
            self.head = None
            return None
        self.head = (position, previous_hash)
        return outcomes

    async def _inserted(self, conn: asyncpg.Connection, rows: list[tuple[Any, ...]], head: int, streams: list[str], expected: list[int]) -> bool:
        store = self.store
        try:
            added = await conn.fetchval(
                f"WITH added AS (INSERT INTO {store.table} ({_WRITTEN}) SELECT * FROM unnest({_ARRAY_PARAMETERS}) "
                f"WHERE pg_advisory_xact_lock({store._lock_key:d}) IS NOT NULL AND NOT EXISTS ("
                "SELECT FROM unnest($17::text[], $18::integer[]) AS expected(stream_id, version) "
                f"WHERE coalesce((SELECT max(e.stream_version) FROM {store.table} e WHERE e.stream_id = expected.stream_id), 0) "
                "<> expected.version) RETURNING 1), "
                "counted AS (SELECT count(*) AS n FROM added) "
                "SELECT n, CASE WHEN n > 0 THEN pg_notify($19, $20)::text END FROM counted",  # no rows, no notification
                *zip(*rows, strict=True), streams, expected, store.notify_channel, str(rows[-1][0]),
            )
        except asyncpg.UniqueViolationError:
            return False
        return bool(added == len(rows))

    async def _copied(self, conn: asyncpg.Connection, rows: list[tuple[Any, ...]], head: int, streams: list[str], expected: list[int]) -> bool:
        """A large group: the lock, then the head and every stream's version checked in one
        statement, the rows by COPY, the notification sent with the commit. Four round trips instead
        of the locked transaction's five, and no look-up of a thousand event ids: a stored one (a
        retried append) is refused by its unique key, and the locked transaction then answers it."""
        store = self.store
        await conn.execute(f"BEGIN; SELECT pg_advisory_xact_lock({store._lock_key:d})")
        try:
            current = await conn.fetchval(
                f"SELECT coalesce((SELECT max(position) FROM {store.table}), 0) = $1 AND NOT EXISTS ("
                "SELECT FROM unnest($2::text[], $3::integer[]) AS expected(stream_id, version) "
                f"WHERE coalesce((SELECT max(e.stream_version) FROM {store.table} e WHERE e.stream_id = expected.stream_id), 0) "
                "<> expected.version)",
                head, streams, expected,
            )
            if current:
                try:
                    await conn.copy_records_to_table("events", schema_name=store.schema, records=rows, columns=_WRITTEN.split(", "))
                except asyncpg.UniqueViolationError:
                    current = False
            if not current:
                await conn.execute("ROLLBACK")
                return False
            # The channel is `ketnap_log_<checked identifier>` and the position an integer: both
            # safe as literals, so the notification goes with the commit in one round trip.
            await conn.execute(f"SELECT pg_notify('{store.notify_channel}', '{rows[-1][0]:d}'); COMMIT")
        except BaseException:
            if not conn.is_closed() and conn.is_in_transaction():
                await conn.execute("ROLLBACK")
            raise
        return True


class EventStore:
    """Append and read one service's log (`<schema>.events`)."""

    def __init__(self, pool: asyncpg.Pool, schema: str) -> None:
        self.pool = pool
        self.schema = checked_identifier(schema)
        self.table = f"{schema}.events"
        self.notify_channel = f"ketnap_log_{schema}"
        self._lock_key = _lock_key(schema)
        self._group_commit = _GroupCommit(self)

    async def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        metadata: EventMetadata,
        *,
        connection: asyncpg.Connection | None = None,
    ) -> AppendResult:
        """Append `events` to `stream_id` if it is still at `expected_version` (0: a new stream).

        Appending event ids that are all already stored returns the original result and
        writes nothing, so a retried command has one effect. With `connection`, the append
        joins the caller's transaction (a consumer moves its checkpoint in the same one).
        """
        if not events:
            raise ValueError("append needs at least one event")
        request = _AppendRequest(stream_id, expected_version, list(events), metadata)
        if connection is not None:
            async with connection.transaction():
                (outcome,) = await self._append_locked(connection, [request])
        else:
            outcome = await self._group_commit.submit(request)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def append_together(
        self, appends: Sequence[tuple[str, int, Sequence[NewEvent], EventMetadata]], *, connection: asyncpg.Connection
    ) -> list[AppendResult]:
        """Several streams' events, each `(stream_id, expected_version, events, metadata)`, in the
        caller's transaction, all or none: one lock, one read of the versions, one insert. The
        first refusal (`ConcurrencyConflict`, `DuplicateEventMismatch`) is raised, and the caller's
        transaction must then roll back (what the others inserted goes with it). Events all
        stored already give their original result, as `append` does."""
        requests = [_AppendRequest(stream_id, version, list(events), metadata) for stream_id, version, events, metadata in appends]
        if not requests or any(not r.events for r in requests):
            raise ValueError("append_together needs at least one event per stream")
        outcomes = await self._append_locked(connection, requests)
        for outcome in outcomes:
            if isinstance(outcome, Exception):
                raise outcome
        return outcomes  # type: ignore[return-value]

    async def _append_locked(
        self, conn: asyncpg.Connection, requests: list[_AppendRequest], *, locked: bool = False, head: list[Any] | None = None
    ) -> list[AppendResult | Exception]:
        """Append several independent requests in one transaction, each checked on its own
        (`locked`: the transaction holds the log's lock already; `head`: set to the log's last
        position and hash as this transaction leaves them)."""
        if not locked:
            await conn.execute("SELECT pg_advisory_xact_lock($1)", self._lock_key)
        # What the checks need, in one round trip after the lock (one statement, one snapshot):
        # the ids already stored (`k`), each stream's version (`v`) and the log's head (`h`).
        known: dict[Any, Any] = {}
        versions: dict[str, int] = {}
        position, previous_hash = 0, GENESIS_HASH
        for row in await conn.fetch(
            f"SELECT 'k' AS kind, event_id, position, stream_id, stream_version, NULL::text AS hash FROM {self.table} "
            "WHERE event_id = ANY($1::uuid[]) "
            f"UNION ALL SELECT 'v', NULL, NULL, stream_id, max(stream_version), NULL FROM {self.table} "
            "WHERE stream_id = ANY($2::text[]) GROUP BY stream_id "
            f"UNION ALL (SELECT 'h', NULL, position, NULL, NULL, hash FROM {self.table} ORDER BY position DESC LIMIT 1)",
            [e.event_id for r in requests for e in r.events],
            list({r.stream_id for r in requests}),
        ):
            if row["kind"] == "k":
                known[row["event_id"]] = row
            elif row["kind"] == "v":
                versions[row["stream_id"]] = row["stream_version"]
            else:
                position, previous_hash = row["position"], row["hash"]
        outcomes: list[AppendResult | Exception] = []
        rows: list[tuple[Any, ...]] = []
        for request in requests:
            ids = [e.event_id for e in request.events]
            stored = [known[i] for i in ids if i in known]
            if stored:
                outcomes.append(self._original_result(request.stream_id, ids, sorted(stored, key=lambda r: r["position"])))
                continue
            version = versions.get(request.stream_id, 0)
            if request.expected_version != ANY_VERSION and version != request.expected_version:
                outcomes.append(ConcurrencyConflict(request.stream_id, request.expected_version, version))
                continue
            chained = self._chain(request.stream_id, version, position, previous_hash, request.events, request.metadata)
            rows.extend(chained)
            position, previous_hash = chained[-1][0], chained[-1][13]
            versions[request.stream_id] = chained[-1][2]
            for row in chained:  # the same ids sent twice in one group: the second is a retry
                known[row[3]] = {"event_id": row[3], "position": row[0], "stream_id": row[1], "stream_version": row[2]}
            outcomes.append(
                AppendResult(request.stream_id, chained[-1][2], tuple(r[0] for r in chained), tuple(ids))
            )
        if head is not None:
            head[:] = [position, previous_hash]
        if len(rows) == 1:  # the usual command: the row and the notification in one round trip
            await conn.execute(
                f"WITH added AS (INSERT INTO {self.table} ({_WRITTEN}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)) "
                "SELECT pg_notify($17, $18)",
                *rows[0], self.notify_channel, str(position),
            )
        elif len(rows) > COPY_FROM_ROWS:
            await conn.copy_records_to_table("events", schema_name=self.schema, records=rows, columns=_WRITTEN.split(", "))
            await conn.execute("SELECT pg_notify($1, $2)", self.notify_channel, str(position))
        elif rows:
            # Several writers' events: one statement of column arrays, the notification in it. COPY
            # took more round trips (the copy, then the notify), which a group of a few
            # single-event appends paid in full (issue 21).
            await conn.execute(
                f"WITH added AS (INSERT INTO {self.table} ({_WRITTEN}) SELECT * FROM unnest({_ARRAY_PARAMETERS})) "
                "SELECT pg_notify($17, $18)",
                *zip(*rows, strict=True), self.notify_channel, str(position),
            )
        return outcomes

    @staticmethod
    def _original_result(stream_id: str, event_ids: list[UUID], known: list[Any]) -> AppendResult | Exception:
        if len(known) != len(event_ids) or any(r["stream_id"] != stream_id for r in known):
            return DuplicateEventMismatch(stream_id, [str(r["event_id"]) for r in known])
        return AppendResult(
            stream_id=stream_id,
            stream_version=known[-1]["stream_version"],
            positions=tuple(r["position"] for r in known),
            event_ids=tuple(r["event_id"] for r in known),
            duplicate=True,
        )

    @staticmethod
    def _chain(
        stream_id: str,
        version: int,
        position: int,
        previous_hash: str,
        events: Sequence[NewEvent],
        metadata: EventMetadata,
    ) -> list[tuple[Any, ...]]:
        recorded_at = new_recorded_at()
        form = CanonicalForm(stream_id, metadata.actor, metadata.organisation, metadata.correlation_id, metadata.causation_id, recorded_at)
        rows = []
        for offset, event in enumerate(events, start=1):
            data = dumps_data(event.data)
            encoded = form.encode(position + offset, version + offset, event.event_id, event.event_type, event.schema_version, data)
            digest = chain_hash(previous_hash, encoded)
            rows.append(
                (
                    position + offset, stream_id, version + offset, event.event_id,
                    event.event_type, event.schema_version, data, metadata.actor,
                    metadata.organisation, metadata.correlation_id, metadata.causation_id,
                    recorded_at, previous_hash, digest, metadata.traceparent, data,
                )
            )
            previous_hash = digest
        return rows

    async def read_stream(
        self, stream_id: str, after_version: int = 0, *, connection: asyncpg.Connection | None = None
    ) -> list[RecordedEvent]:
        """Every event of one stream, in order: what an aggregate is loaded from.

        With `connection`, read inside the caller's transaction: a process manager then sees what
        it appended earlier in the same transaction.
        """
        query = (
            f"SELECT {_COLUMNS} FROM {self.table} WHERE stream_id = $1 AND stream_version > $2 ORDER BY stream_version"
        )
        if connection is not None:
            rows = await connection.fetch(query, stream_id, after_version)
        else:
            async with self.pool.acquire() as conn:
                rows = await conn.fetch(query, stream_id, after_version)
        return records_from_rows(rows)

    async def stream_version(self, stream_id: str) -> int:
        """How many events one stream holds (0: none yet), from its unique index alone."""
        async with self.pool.acquire() as conn:
            return int(await conn.fetchval(f"SELECT coalesce(max(stream_version), 0) FROM {self.table} WHERE stream_id = $1", stream_id))

    async def read_log(
        self,
        after_position: int = 0,
        *,
        batch_size: int = 1000,
        up_to_position: int | None = None,
        up_to_time: datetime | None = None,
        event_types: Collection[str] | None = None,
    ) -> AsyncIterator[list[RecordedEvent]]:
        """The whole log after a position, in batches: streamed, never loaded whole; with
        `event_types`, only events of those types (a projection's build skips, in the database,
        the events it would not apply).

        Keyset pages are safe against late commits because appends hold the log's lock until
        they commit: a position is never visible before every smaller one.
        """
        position = after_position
        limit_position = up_to_position if up_to_position is not None else 2**62
        limit_time = up_to_time
        types = None if event_types is None else sorted(event_types)
        while True:
            # Held off across the fetch too: a few milliseconds in which other tasks run without
            # it, against a third of the read's CPU (the batch before is still held meanwhile).
            with _collector_held():
                async with self.pool.acquire() as conn:
                    rows = await conn.fetch(
                        f"SELECT {_COLUMNS} FROM {self.table} WHERE position > $1 AND position <= $2 "
                        "AND ($3::timestamptz IS NULL OR recorded_at <= $3) AND ($5::text[] IS NULL OR event_type = ANY($5::text[])) "
                        "ORDER BY position LIMIT $4",
                        position,
                        limit_position,
                        limit_time,
                        batch_size,
                        types,
                    )
                batch = records_from_rows(rows)
            if not batch:
                return
            last = len(rows) < batch_size
            del rows  # the driver's rows, not kept while the reader holds the batch
            yield batch
            position = batch[-1].position
            if last:
                return

    async def only_follow_ups_after(self, stream_id: str, version: int) -> bool:
        """Whether the stream has events after `version` and every one is a service's own follow-up
        (`RecordedEvent.follow_up`: it has a cause), none a person's act."""
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT count(*) AS events, count(causation_id) AS follow_ups FROM {self.table} "
                "WHERE stream_id = $1 AND stream_version > $2",
                stream_id,
                version,
            )
        return row["events"] > 0 and row["events"] == row["follow_ups"]

    async def find_append(self, event_ids: Sequence[UUID]) -> AppendResult | None:
        """The append that stored any of `event_ids`, if one did: how a retried command finds its first answer."""
        async with self.pool.acquire() as conn:
            known = await conn.fetch(
                f"SELECT event_id, position, stream_id, stream_version FROM {self.table} "
                "WHERE event_id = ANY($1::uuid[]) ORDER BY position",
                list(event_ids),
            )
        if not known:
            return None
        return AppendResult(
            stream_id=known[0]["stream_id"],
            stream_version=known[-1]["stream_version"],
            positions=tuple(r["position"] for r in known),
            event_ids=tuple(r["event_id"] for r in known),
            duplicate=True,
        )

    async def keep(self, events: Sequence[RecordedEvent]) -> int:
        """Store events of another deployment's log exactly as they were recorded there.

        Each must be the next link of the chain kept so far: the next position, linked to the
        hash kept before it, and hashed over its own contents. An event already kept is skipped
        when it is the same link, and refused when it comes back with another hash. Anything
        refused raises `ChainRefused` and nothing of the call is stored: a kept log is the lower
        level's chain, never one the upper level patched. Returns how many events were new.
        """
        if not events:
            return 0
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", self._lock_key)
            head = await conn.fetchrow(f"SELECT position, hash FROM {self.table} ORDER BY position DESC LIMIT 1")
            position, previous_hash = (head["position"], head["hash"]) if head else (0, GENESIS_HASH)
            seen = {
                row["position"]: row["hash"]
                for row in await conn.fetch(
                    f"SELECT position, hash FROM {self.table} WHERE position = ANY($1::bigint[])",
                    [e.position for e in events if e.position <= position],
                )
            }
            rows: list[tuple[Any, ...]] = []
            last = Link(position, previous_hash)
            for event in events:
                if event.position <= position and not rows:
                    if seen.get(event.position) != event.hash:
                        raise ChainRefused("rewritten", event.position, "this position was kept before with another hash")
                    continue
                last = next_link(last, event)
                data = dumps_data(event.data)  # the text its hash covers, now that the link holds
                rows.append(
                    (
                        event.position, event.stream_id, event.stream_version, event.event_id, event.event_type,
                        event.schema_version, data, event.actor, event.organisation,
                        event.correlation_id, event.causation_id, event.recorded_at, event.previous_hash, event.hash,
                        event.traceparent, data,
                    )
                )
            if rows:
                await conn.copy_records_to_table("events", schema_name=self.schema, records=rows, columns=_WRITTEN.split(", "))
                await conn.execute("SELECT pg_notify($1, $2)", self.notify_channel, str(last.position))
        return len(rows)

    async def head_position(self) -> int:
        async with self.pool.acquire() as conn:
            return await conn.fetchval(f"SELECT coalesce(max(position), 0) FROM {self.table}")
