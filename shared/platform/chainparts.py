"""A long log's chain walked in parts at once, each part on its own PostgreSQL connection and all on
one snapshot, so that several server processes send and check their part of the log while this
process hashes (issue 16: one pass kept one PostgreSQL backend busy and the other cores idle).

The walk that exports the snapshot walks the first part itself; each other part is walked on a
connection of its own that imports that snapshot (`SET TRANSACTION SNAPSHOT`), so every part reads
the same log, as of the same moment. A part starts from the hash stored just before it: when every
earlier part is intact up to there, that hash is the one the walk in one pass would have carried,
so the first break of the first part that breaks is the first break of the log, exactly as one
pass finds it (tests/integration/test_chain_parts.py).
"""

from __future__ import annotations

import asyncio
import os

import asyncpg

from ketnap.platform.chainwalk import Break, Result, missing_before, walk_range
from ketnap.platform.envelope import GENESIS_HASH
from ketnap.platform.eventstore.schema import checked_identifier
from ketnap.platform.logging import get_logger

log = get_logger(__name__)

PARALLEL_FROM = 200_000
"""Below this many positions one pass is as fast: a part's connection and snapshot cost more than it saves."""
MAX_PARTS = 4

PARTS_VARIABLE = "KETNAP_AUDIT_PARTS"
"""How many parts a long walk takes; unset, one a core (at most `MAX_PARTS`); 1: one pass."""


def parts_for(positions: int, cores: int | None = None) -> int:
    """How many parts to walk `positions` in (`KETNAP_AUDIT_PARTS`, else `cores`, else one a core
    of this machine), none shorter than half of `PARALLEL_FROM`."""
    if positions < PARALLEL_FROM:
        return 1
    wanted = int(os.environ.get(PARTS_VARIABLE) or 0) or cores or os.cpu_count() or 1
    return max(1, min(wanted, MAX_PARTS, positions // (PARALLEL_FROM // 2)))


def split(first: int, last: int, parts: int) -> list[tuple[int, int]]:
    """first..last in `parts` consecutive ranges of (nearly) equal length."""
    count = last - first + 1
    bounds = [first + count * i // parts for i in range(parts + 1)]
    return [(bounds[i], bounds[i + 1] - 1) for i in range(parts) if bounds[i] <= bounds[i + 1] - 1]


async def walk_in_parts(
    conn: asyncpg.Connection, database_url: str, schema: str, first: int, last: int, previous_hash: str, parts: int
) -> Result:
    """first..last of `schema`'s log, walked in `parts` at once. `conn` must be in a REPEATABLE READ
    transaction (its snapshot is the one every part reads)."""
    ranges = split(first, last, parts)
    if len(ranges) < 2:
        return await walk_range(conn, schema, first, last, previous_hash)
    snapshot = _snapshot_id(await conn.fetchval("SELECT pg_export_snapshot()"))
    others = [asyncio.create_task(_walk_in_snapshot(database_url, snapshot, schema, low, high)) for low, high in ranges[1:]]
    try:
        results = [await walk_range(conn, schema, ranges[0][0], ranges[0][1], previous_hash)]
        for (low, high), other in zip(ranges[1:], others, strict=True):
            found = await other
            if found is None:  # no connection of its own: this part is walked here, in the same snapshot
                starting = await conn.fetchval(f"SELECT hash FROM {schema}.events WHERE position = $1", low - 1)
                found = await walk_range(conn, schema, low, high, starting or GENESIS_HASH)
            results.append(found)
    finally:
        for other in others:
            other.cancel()
    for (_, high), result in zip(ranges, results, strict=True):
        if result[2] is not None:
            return await _gap_said_as_in_one_pass(conn, schema, result) if high < last else result
    return results[-1]


async def _gap_said_as_in_one_pass(conn: asyncpg.Connection, schema: str, result: Result) -> Result:
    """A part that ends missing its last positions cannot see the row after its bound, which one
    pass names (`chainwalk.missing_before`): the same words, whichever way the log was walked."""
    intact_to, last_hash, broken = result
    if broken is None or broken.kind != "gap" or broken.stored_hash:
        return result
    after = await conn.fetchrow(
        f"SELECT position, hash FROM {schema}.events WHERE position > $1 ORDER BY position LIMIT 1", broken.position
    )
    if after is None:
        return result
    return intact_to, last_hash, Break(broken.position, "gap", missing_before(after["position"]), after["hash"])


async def _walk_in_snapshot(database_url: str, snapshot: str, schema: str, first: int, last: int) -> Result | None:
    """first..last walked on a connection of its own, in `snapshot`; None when it cannot connect."""
    schema = checked_identifier(schema)
    try:
        conn = await asyncpg.connect(database_url)
    except (OSError, asyncpg.PostgresError) as error:
        log.warning("chain part not walked on its own connection; walked with the others", schema=schema, first=first, last=last,
                    error=type(error).__name__)
        return None
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            await conn.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            previous = await conn.fetchval(f"SELECT hash FROM {schema}.events WHERE position = $1", first - 1)
            return await walk_range(conn, schema, first, last, previous or GENESIS_HASH)
    finally:
        await conn.close()


def _snapshot_id(snapshot: str) -> str:
    # pg_export_snapshot's form (hex and dashes): nothing else is put into the statement.
    if not snapshot or any(c not in "0123456789ABCDEFabcdef-" for c in snapshot):
        raise ValueError("not a snapshot id")
    return snapshot
