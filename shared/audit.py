"""`ketnap audit verify`: recompute a log's hash chain and name the first broken position."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from shared.envelope import GENESIS_HASH
from shared.eventstore.store import _COLUMNS, record_from_row
from shared.eventstore.schema import checked_identifier


@dataclass(frozen=True)
class ChainReport:
    service: str
    events: int
    head: int
    broken_at: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


async def logs_in_database(conn: asyncpg.Connection) -> list[str]:
    """Every schema holding an event log, so `audit verify` checks logs it was not told about too."""
    rows = await conn.fetch(
        "SELECT table_schema FROM information_schema.tables WHERE table_name = 'events' "
        "AND table_schema NOT LIKE '%\\_shadow' ORDER BY table_schema"
    )
    return [r["table_schema"] for r in rows]


async def verify_chain(conn: asyncpg.Connection, schema: str, *, batch_size: int = 5000) -> ChainReport:
    """Walk the log in position order with a server-side cursor (streamed, constant memory).

    Catches a changed byte (hash mismatch), a deleted event (gap in positions or a broken
    link) and two events swapped (positions are inside the hash).
    """
    checked_identifier(schema)
    expected_position = 1
    previous_hash = GENESIS_HASH
    count = 0
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        cursor = await conn.cursor(f"SELECT {_COLUMNS} FROM {schema}.events ORDER BY position")
        while rows := await cursor.fetch(batch_size):
            for row in rows:
                event = record_from_row(row)
                if event.position != expected_position:
                    return ChainReport(schema, count, event.position, expected_position,
                                       f"position {expected_position} is missing (next stored is {event.position})")
                if event.previous_hash != previous_hash:
                    return ChainReport(schema, count, event.position, event.position,
                                       "previous_hash does not match the hash of the event before it")
                if event.expected_hash() != event.hash:
                    return ChainReport(schema, count, event.position, event.position,
                                       "stored hash does not match the event's contents")
                previous_hash = event.hash
                expected_position += 1
                count += 1
    return ChainReport(schema, count, expected_position - 1)
