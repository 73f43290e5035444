"""A service's append-only, hash-chained event log in PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from shared.envelope import (
    GENESIS_HASH,
    EventMetadata,
    NewEvent,
    RecordedEvent,
    canonical_encoding,
    chain_hash,
    dumps_data,
    new_recorded_at,
)
from shared.eventstore.errors import ConcurrencyConflict, DuplicateEventMismatch
from shared.eventstore.schema import checked_identifier
from shared.jsoncodec import decode_json

ANY_VERSION = -1
"""Pass as `expected_version` to append whatever the stream's version (e.g. process-manager logs)."""

_COLUMNS = (
    "position, stream_id, stream_version, event_id, event_type, schema_version, data, actor, "
    "organisation, correlation_id, causation_id, recorded_at, previous_hash, hash"
)


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


def record_from_row(row: asyncpg.Record | dict[str, Any]) -> RecordedEvent:
    data = row["data"]
    return RecordedEvent.model_construct(
        position=row["position"],
        stream_id=row["stream_id"],
        stream_version=row["stream_version"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        schema_version=row["schema_version"],
        data=decode_json(data) if isinstance(data, str) else data,
        actor=row["actor"],
        organisation=row["organisation"],
        correlation_id=row["correlation_id"],
        causation_id=row["causation_id"],
        recorded_at=row["recorded_at"],
        previous_hash=row["previous_hash"],
        hash=row["hash"],
    )


class EventStore:
    """Append and read one service's log (`<schema>.events`)."""

    def __init__(self, pool: asyncpg.Pool, schema: str) -> None:
        self.pool = pool
        self.schema = checked_identifier(schema)
        self.table = f"{schema}.events"
        self.notify_channel = f"ketnap_log_{schema}"
        self._lock_key = _lock_key(schema)

    @asynccontextmanager
    async def _transaction(self, connection: asyncpg.Connection | None) -> AsyncIterator[asyncpg.Connection]:
        if connection is not None:
            # The caller's transaction: a consumer appends and moves its checkpoint atomically.
            async with connection.transaction():
                yield connection
            return
        async with self.pool.acquire() as conn, conn.transaction():
            yield conn

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
        writes nothing, so a retried command has one effect.
        """
        if not events:
            raise ValueError("append needs at least one event")
        event_ids = [e.event_id for e in events]
        async with self._transaction(connection) as conn:
            await conn.execute("SELECT pg_advisory_xact_lock($1)", self._lock_key)
            known = await conn.fetch(
                f"SELECT event_id, position, stream_id, stream_version FROM {self.table} "
                "WHERE event_id = ANY($1::uuid[]) ORDER BY position",
                event_ids,
            )
            if known:
                return self._original_result(stream_id, event_ids, known)
            head = await conn.fetchrow(
                f"""SELECT
                      (SELECT coalesce(max(stream_version), 0) FROM {self.table} WHERE stream_id = $1) AS version,
                      (SELECT position FROM {self.table} ORDER BY position DESC LIMIT 1) AS position,
                      (SELECT hash FROM {self.table} ORDER BY position DESC LIMIT 1) AS hash""",
                stream_id,
            )
            version = head["version"]
            if expected_version != ANY_VERSION and version != expected_version:
                raise ConcurrencyConflict(stream_id, expected_version, version)
            rows = self._chain(stream_id, version, head["position"] or 0, head["hash"] or GENESIS_HASH, events, metadata)
            if len(rows) == 1:
                await conn.execute(
                    f"INSERT INTO {self.table} ({_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)",
                    *rows[0],
                )
            else:
                await conn.copy_records_to_table("events", schema_name=self.schema, records=rows, columns=_COLUMNS.split(", "))
            await conn.execute("SELECT pg_notify($1, $2)", self.notify_channel, str(rows[-1][0]))
        return AppendResult(
            stream_id=stream_id,
            stream_version=rows[-1][2],
            positions=tuple(r[0] for r in rows),
            event_ids=tuple(event_ids),
        )

    @staticmethod
    def _original_result(stream_id: str, event_ids: list[UUID], known: list[asyncpg.Record]) -> AppendResult:
        if len(known) != len(event_ids) or any(r["stream_id"] != stream_id for r in known):
            raise DuplicateEventMismatch(stream_id, [str(r["event_id"]) for r in known])
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
        rows = []
        for offset, event in enumerate(events, start=1):
            fields = {
                "position": position + offset,
                "stream_id": stream_id,
                "stream_version": version + offset,
                "event_id": event.event_id,
                "event_type": event.event_type,
                "schema_version": event.schema_version,
                "data": event.data,
                "actor": metadata.actor,
                "organisation": metadata.organisation,
                "correlation_id": metadata.correlation_id,
                "causation_id": metadata.causation_id,
                "recorded_at": recorded_at,
            }
            digest = chain_hash(previous_hash, canonical_encoding(fields))
            rows.append(
                (
                    fields["position"], stream_id, fields["stream_version"], event.event_id,
                    event.event_type, event.schema_version, dumps_data(event.data), metadata.actor,
                    metadata.organisation, metadata.correlation_id, metadata.causation_id,
                    recorded_at, previous_hash, digest,
                )
            )
            previous_hash = digest
        return rows

    async def read_stream(self, stream_id: str, after_version: int = 0) -> list[RecordedEvent]:
        """Every event of one stream, in order: what an aggregate is loaded from."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {_COLUMNS} FROM {self.table} WHERE stream_id = $1 AND stream_version > $2 "
                "ORDER BY stream_version",
                stream_id,
                after_version,
            )
        return [record_from_row(r) for r in rows]

    async def read_log(
        self,
        after_position: int = 0,
        *,
        batch_size: int = 1000,
        up_to_position: int | None = None,
        up_to_time: datetime | None = None,
    ) -> AsyncIterator[list[RecordedEvent]]:
        """The whole log after a position, in batches: streamed, never loaded whole.

        Keyset pages are safe against late commits because appends hold the log's lock until
        they commit: a position is never visible before every smaller one.
        """
        position = after_position
        limit_position = up_to_position if up_to_position is not None else 2**62
        limit_time = up_to_time
        while True:
            async with self.pool.acquire() as conn:
                rows = await conn.fetch(
                    f"SELECT {_COLUMNS} FROM {self.table} WHERE position > $1 AND position <= $2 "
                    "AND ($3::timestamptz IS NULL OR recorded_at <= $3) ORDER BY position LIMIT $4",
                    position,
                    limit_position,
                    limit_time,
                    batch_size,
                )
            if not rows:
                return
            batch = [record_from_row(r) for r in rows]
            yield batch
            position = batch[-1].position
            if len(rows) < batch_size:
                return

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

    async def head_position(self) -> int:
        async with self.pool.acquire() as conn:
            return await conn.fetchval(f"SELECT coalesce(max(position), 0) FROM {self.table}")
