"""`ketnap audit verify`: recompute a log's hash chain and name the first broken position."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from ketnap.platform.envelope import GENESIS_HASH
from ketnap.platform.eventstore.schema import checked_identifier
from ketnap.platform.eventstore.store import _COLUMNS, record_from_row


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


def kept_logs_of(logs: list[str], deployment: str) -> list[str]:
    """The logs kept here from `deployment` (`ketnap.platform.federation.links` names them)."""
    from ketnap.platform.federation.links import DOWNWARD, UPWARD, kept_log_name

    names = {kept_log_name(service, deployment) for service in (*UPWARD, *DOWNWARD)}
    return [name for name in logs if name in names]


async def linked_alarms(conn: asyncpg.Connection, deployment: str) -> list[str]:
    """What the federation service refused from `deployment`, as sentences for an operator."""
    exists = await conn.fetchval("SELECT to_regclass('federation.alarms') IS NOT NULL")
    if not exists:
        return []
    from ketnap.services.federation.alarms import alarms

    return [a.describe() for a in await alarms(conn, "federation", deployment)]


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
    head = expected_position - 1
    seen_by, seen_at = await _furthest_reader(conn, schema)
    if seen_at > head:
        # A chain cut at its end is still a valid chain; only the readers can tell it was longer.
        return ChainReport(schema, count, head, head + 1,
                           f"positions {head + 1}..{seen_at} are missing: {seen_by} already read up to {seen_at}")
    return ChainReport(schema, count, head)


async def _furthest_reader(conn: asyncpg.Connection, schema: str) -> tuple[str, int]:
    """The furthest position any reader recorded: the relay, or any consumer of any service."""
    furthest = ("", 0)
    relay = await conn.fetchval(f"SELECT max(position) FROM {schema}.relay_checkpoint")
    if relay:
        furthest = ("the relay", relay)
    for reader in await conn.fetch(
        "SELECT table_schema FROM information_schema.tables WHERE table_name = 'consumer_checkpoints' "
        "AND table_schema NOT LIKE '%\\_shadow'"
    ):
        row = await conn.fetchrow(
            f"SELECT consumer, position FROM {reader['table_schema']}.consumer_checkpoints "
            "WHERE source = $1 ORDER BY position DESC LIMIT 1",
            schema,
        )
        if row and row["position"] > furthest[1]:
            furthest = (f"consumer {row['consumer']}", row["position"])
    return furthest
