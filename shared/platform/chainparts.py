"""A long log's chain walked in parts at once, each in its own process with its own PostgreSQL
connection, all on one snapshot: `audit verify` of a million events used one core of Python and
one PostgreSQL backend, one after the other (issue 16).

The walk that exports the snapshot walks the first part itself; each other part is a child
process (`python -m ketnap.platform.chainparts`) that imports the snapshot (`SET TRANSACTION
SNAPSHOT`), so every part reads the same log, as of the same moment. A part starts from the hash
stored just before it: when every earlier part is intact up to there, that hash is the one the
walk in one pass would have carried, so the first break of the first part that breaks is the
first break of the log, exactly as one pass finds it (tests/integration/test_chain_parts.py).

The connection's address reaches a child on its standard input, never on its command line.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
from typing import Any

import asyncpg
import orjson

from ketnap.platform.envelope import GENESIS_HASH
from ketnap.platform.eventstore.schema import checked_identifier
from ketnap.platform.logging import get_logger

log = get_logger(__name__)

PARALLEL_FROM = 200_000
"""Below this many positions a child's start (a second or so of imports) costs more than it saves."""
MAX_PARTS = 4


PARTS_VARIABLE = "KETNAP_AUDIT_PARTS"
"""How many parts a long walk takes; unset, one pass. On the shared 2-core machine two parts were
no faster than one pass (a part's process costs about half a second of CPU to start, docs/platform.md):
the next quiet run of `python -m tests.bench --verify-only` says whether they become the default."""


def parts_for(positions: int, cores: int | None = None) -> int:
    """How many parts to walk `positions` in (`cores`, else `KETNAP_AUDIT_PARTS`, else one pass),
    none shorter than half of `PARALLEL_FROM`."""
    if positions < PARALLEL_FROM:
        return 1
    wanted = cores or int(os.environ.get(PARTS_VARIABLE) or 0) or 1
    return max(1, min(wanted, MAX_PARTS, positions // (PARALLEL_FROM // 2)))


def split(first: int, last: int, parts: int) -> list[tuple[int, int]]:
    """first..last in `parts` consecutive ranges of (nearly) equal length."""
    count = last - first + 1
    bounds = [first + count * i // parts for i in range(parts + 1)]
    return [(bounds[i], bounds[i + 1] - 1) for i in range(parts) if bounds[i] <= bounds[i + 1] - 1]


Result = tuple[int, str, Any]
"""(last position of the intact chain, its hash, the first `Break` or None), as `_walk_range` answers."""


async def walk_in_parts(
    conn: asyncpg.Connection, database_url: str, schema: str, first: int, last: int, previous_hash: str, parts: int
) -> Result:
    """first..last of `schema`'s log, walked in `parts` at once. `conn` must be in a REPEATABLE READ
    transaction (its snapshot is the one every part reads)."""
    from ketnap.platform.logcheck import _walk_range

    ranges = split(first, last, parts)
    if len(ranges) < 2:
        return await _walk_range(conn, schema, first, last, previous_hash)
    snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
    children = [asyncio.create_task(_child(database_url, snapshot, schema, low, high)) for low, high in ranges[1:]]
    try:
        results = [await _walk_range(conn, schema, ranges[0][0], ranges[0][1], previous_hash)]
        for (low, high), child in zip(ranges[1:], children, strict=True):
            found = await child
            if found is None:  # the child could not run: this part is walked here, in the same snapshot
                starting = await conn.fetchval(f"SELECT hash FROM {schema}.events WHERE position = $1", low - 1)
                found = await _walk_range(conn, schema, low, high, starting or GENESIS_HASH)
            results.append(found)
    finally:
        for child in children:
            child.cancel()
    for (_, high), result in zip(ranges, results, strict=True):
        if result[2] is not None:
            return await _gap_said_as_in_one_pass(conn, schema, result) if high < last else result
    return results[-1]


async def _gap_said_as_in_one_pass(conn: asyncpg.Connection, schema: str, result: Result) -> Result:
    """A part that ends missing its last positions cannot see the row after its bound, which one
    pass names (`logcheck._missing_before`): the same words, whichever way the log was walked."""
    from ketnap.platform.logcheck import Break, _missing_before

    intact_to, last_hash, broken = result
    if broken.kind != "gap" or broken.stored_hash:
        return result
    after = await conn.fetchrow(
        f"SELECT position, hash FROM {schema}.events WHERE position > $1 ORDER BY position LIMIT 1", broken.position
    )
    if after is None:
        return result
    return intact_to, last_hash, Break(broken.position, "gap", _missing_before(after["position"]), after["hash"])


async def _child(database_url: str, snapshot: str, schema: str, first: int, last: int) -> Result | None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ketnap.platform.chainparts",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    request = {"database_url": database_url, "snapshot": snapshot, "schema": schema, "first": first, "last": last}
    try:
        out, err = await process.communicate(orjson.dumps(request))
    except asyncio.CancelledError:
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    if process.returncode != 0:
        log.warning("chain part walked in its own process failed; walked here instead", schema=schema, first=first, last=last,
                    code=process.returncode, error=err.decode(errors="replace")[-300:])
        return None
    return _result_from(orjson.loads(out))


def _result_from(body: dict[str, Any]) -> Result:
    from ketnap.platform.logcheck import Break

    broken = body["broken"]
    return body["intact_to"], body["hash"], Break(**broken) if broken is not None else None


async def _walk_in_snapshot(request: dict[str, Any]) -> dict[str, Any]:
    from ketnap.platform.logcheck import _walk_range

    schema = checked_identifier(request["schema"])
    first, last = int(request["first"]), int(request["last"])
    conn = await asyncpg.connect(request["database_url"])
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            await conn.execute(f"SET TRANSACTION SNAPSHOT '{_snapshot_id(request['snapshot'])}'")
            previous = await conn.fetchval(f"SELECT hash FROM {schema}.events WHERE position = $1", first - 1)
            intact_to, last_hash, broken = await _walk_range(conn, schema, first, last, previous or GENESIS_HASH)
    finally:
        await conn.close()
    return {"intact_to": intact_to, "hash": last_hash, "broken": dataclasses.asdict(broken) if broken is not None else None}


def _snapshot_id(snapshot: str) -> str:
    # pg_export_snapshot's form (hex and dashes): nothing else is put into the statement.
    if not snapshot or any(c not in "0123456789ABCDEFabcdef-" for c in snapshot):
        raise ValueError("not a snapshot id")
    return snapshot


if __name__ == "__main__":
    answer = asyncio.run(_walk_in_snapshot(orjson.loads(sys.stdin.buffer.read())))
    sys.stdout.buffer.write(orjson.dumps(answer))
