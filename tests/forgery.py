"""What an insider with full access to a deployment's database could do to its log: rewrite an
event and re-hash everything after it, so that the log's own chain still verifies. Only the
copies kept elsewhere (and the readers' checkpoints) can tell."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import asyncpg

from ketnap.platform.envelope import GENESIS_HASH, RecordedEvent, canonical_encoding, chain_hash, dumps_data


def rehashed(events: Sequence[RecordedEvent], previous_hash: str) -> list[RecordedEvent]:
    """`events` re-chained from `previous_hash` on: a valid chain with other contents."""
    result = []
    for event in events:
        digest = chain_hash(previous_hash, canonical_encoding(event))
        result.append(dataclasses.replace(event, previous_hash=previous_hash, hash=digest))
        previous_hash = digest
    return result


def with_data(log: Sequence[RecordedEvent], position: int, data: dict) -> list[RecordedEvent]:
    """The log from `position` on, the event there given `data`, and the rest re-hashed after it."""
    previous = log[position - 2].hash if position > 1 else GENESIS_HASH
    return rehashed([dataclasses.replace(log[position - 1], data=data), *log[position:]], previous)


async def overwrite(conn: asyncpg.Connection, schema: str, forged: Sequence[RecordedEvent]) -> None:
    """Write the forged events over the stored ones, with the log's guard switched off: consistently,
    as someone holding the database would, the hashed text of the data (`data_text`) with the data."""
    async with conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        for event in forged:
            await conn.execute(
                f"UPDATE {schema}.events SET data = $2::text::jsonb, data_text = CASE WHEN data_text IS NULL THEN NULL ELSE $2::text END, "
                "previous_hash = $3, hash = $4 WHERE position = $1",
                event.position, dumps_data(event.data), event.previous_hash, event.hash,
            )
