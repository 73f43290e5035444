"""Checking a log against its own hash chain and against the copies kept outside its database
(its JetStream stream, its newest signed head), naming the first wrong position: `ketnap audit
verify` (ketnap.operations.audit) over every log, and each service's `verify_log` query over its
own, part by part, for the inspection page.

The chain alone finds a changed, deleted, swapped or badly forged event. A rewrite that keeps the
chain consistent (an event changed and every later one re-hashed, a correctly chained event
appended, the tail cut with the readers' checkpoints moved back) is found by the copies: the
stream holds each position's hash as it was published, and the newest anchor its head as the
service signed it.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from typing import Any

import asyncpg
import nats.js.errors
import orjson
from nats.js import JetStreamContext
from pydantic import BaseModel, ConfigDict, Field

from ketnap.platform.anchors import Anchor, latest_anchor, load_public_key, public_key_path
from ketnap.platform.bus import subjects
from ketnap.platform.envelope import GENESIS_HASH
from ketnap.platform.eventstore.schema import checked_identifier
from ketnap.platform.eventstore.store import _COLUMNS, record_from_row
from ketnap.platform.settings import Settings


@dataclass(frozen=True)
class ChainReport:
    service: str
    events: int
    head: int
    broken_at: int | None = None
    problem: str | None = None
    compared_with_stream: int = 0
    """How many positions were found with the same hash in the log's stream."""
    anchor: Anchor | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


# -- The chain, fast ------------------------------------------------------------------------------

# Everything a hash covers but `data`, in `canonical_encoding`'s form, made by the server: the
# previous hash and the sorted keys before "data" (the prefix), those after it (the suffix).
# PostgreSQL escapes a string for JSON as `json.dumps(ensure_ascii=False)` does, and builds
# these bytes in its own process while this one hashes the batch before: only `data` (jsonb,
# whose text keeps neither key order nor spacing) is re-encoded here. The bytes are valid JSON
# of the stored values, so a hash they reproduce is the hash of the stored event; a form that
# differs (a float in exponent form) is re-checked the slow way before it is called a mismatch.
_PREFIX = (
    """convert_to(previous_hash || '{"actor":' || to_json(actor)::text"""
    """ || ',"causation_id":' || coalesce('"' || causation_id::text || '"', 'null')"""
    """ || ',"correlation_id":' || coalesce('"' || correlation_id::text || '"', 'null') || ',"data":', 'UTF8')"""
)
_SUFFIX = (
    """convert_to(',"event_id":"' || event_id::text || '","event_type":' || to_json(event_type)::text"""
    """ || ',"organisation":' || coalesce(to_json(organisation)::text, 'null') || ',"position":' || position::text"""
    """ || ',"recorded_at":"' || to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""
    """ || '","schema_version":' || schema_version::text || ',"stream_id":' || to_json(stream_id)::text"""
    """ || ',"stream_version":' || stream_version::text || '}', 'UTF8')"""
)
_SELECT = f"SELECT position, previous_hash, hash, {_PREFIX}, data::text, {_SUFFIX}"
"""The columns of the fast walk: position, previous hash, stored hash, prefix, data, suffix."""

_SORTED = orjson.OPT_SORT_KEYS


def hashed_bytes(row: asyncpg.Record) -> bytes:
    """The bytes an event's hash covers (its previous hash, then `canonical_encoding`), from a
    row of `_SELECT`; orjson writes `data` as `json.dumps(sort_keys=True, ensure_ascii=False)`
    does, several times faster."""
    return row[3] + orjson.dumps(orjson.loads(row[4]), option=_SORTED) + row[5]


async def _slow_hash(conn: asyncpg.Connection, schema: str, position: int) -> str:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM {schema}.events WHERE position = $1", position)
    return record_from_row(row).expected_hash()


# -- The stream -----------------------------------------------------------------------------------


class StreamCopy:
    """A log's JetStream stream, read one position at a time (direct gets by sequence).

    Each hash covers the one before it, so once the log's own chain is intact up to a position,
    one equal hash there means every position before it is equal too: the comparison is
    position by position in effect, at the cost of a few reads, and the first position that
    differs is found by bisection (equality holds up to it and nowhere after).
    """

    def __init__(self, js: JetStreamContext, deployment: str, log: str) -> None:
        self.js = js
        self.stream = subjects.event_stream(deployment, log)
        self.first_seq = self.last_seq = 0
        self.cache: dict[int, tuple[int, str] | None] = {}

    async def open(self) -> bool:
        try:
            info = await self.js.stream_info(self.stream)
        except nats.js.errors.NotFoundError:
            return False
        self.first_seq, self.last_seq = info.state.first_seq, info.state.last_seq
        return info.state.messages > 0

    async def at_seq(self, seq: int) -> tuple[int, str] | None:
        """(position, hash) of the message at `seq`; None when the stream no longer has it."""
        if seq not in self.cache:
            try:
                message = await self.js.get_msg(self.stream, seq, direct=True)
            except nats.js.errors.NotFoundError:
                self.cache[seq] = None
            else:
                body = orjson.loads(message.data or b"{}")
                self.cache[seq] = (int(body["position"]), str(body["hash"]))
        return self.cache[seq]

    async def last(self) -> tuple[int, str] | None:
        return await self.at_seq(self.last_seq)

    async def hash_at(self, position: int) -> str | None:
        """The stream's hash for `position` (a relay retry past the duplicate window may have
        published a position twice: sequences are then ahead of positions, never behind)."""
        low, high = self.first_seq, self.last_seq
        guess = min(max(self.first_seq + position - 1, low), high)
        found = await self.at_seq(guess)
        if found is not None and found[0] == position:
            return found[1]
        while low <= high:
            middle = (low + high) // 2
            found = await self.at_seq(middle)
            if found is None:
                return None
            if found[0] == position:
                return found[1]
            if found[0] < position:
                low = middle + 1
            else:
                high = middle - 1
        return None


async def _stored_hash(conn: asyncpg.Connection, schema: str, position: int) -> str | None:
    return await conn.fetchval(f"SELECT hash FROM {schema}.events WHERE position = $1", position)


async def _first_difference(conn: asyncpg.Connection, schema: str, stream: StreamCopy, last: int) -> int | None:
    """The first position in 1..last whose hash differs from the stream's (None: none does),
    given that the log's chain is intact up to `last`."""
    if last < 1 or await _stored_hash(conn, schema, last) == await stream.hash_at(last):
        return None
    low, high = 1, last  # the answer is in low..high; `high` differs
    while low < high:
        middle = (low + high) // 2
        if await _stored_hash(conn, schema, middle) == await stream.hash_at(middle):
            low = middle + 1
        else:
            high = middle
    return low


@dataclass
class _Findings:
    """The earliest wrong position wins: that is where the log stopped being the one written."""

    position: int | None = None
    problem: str | None = None

    def add(self, position: int, problem: str) -> None:
        if self.position is None or position < self.position:
            self.position, self.problem = position, problem


async def _walk_range(
    conn: asyncpg.Connection, schema: str, first: int, last: int, previous_hash: str, batch_size: int
) -> tuple[int, int | None, str | None]:
    """(last position of the intact chain, first broken position, why) over first..last."""
    expected_position = first
    cursor = await conn.cursor(f"{_SELECT} FROM {schema}.events WHERE position BETWEEN $1 AND $2 ORDER BY position", first, last)
    sha256 = hashlib.sha256
    fetching = asyncio.ensure_future(cursor.fetch(batch_size))
    while rows := await fetching:
        # The server makes the next batch while this process hashes this one.
        fetching = asyncio.ensure_future(cursor.fetch(batch_size))
        await asyncio.sleep(0)
        for row in rows:
            position, stored_previous, stored_hash = row[0], row[1], row[2]
            if position != expected_position:
                await _settled(fetching)
                return expected_position - 1, expected_position, f"position {expected_position} is missing (next stored is {position})"
            if stored_previous != previous_hash:
                await _settled(fetching)
                return position - 1, position, "previous_hash does not match the hash of the event before it"
            if sha256(hashed_bytes(row)).hexdigest() != stored_hash:
                await _settled(fetching)  # one query at a time on a connection
                if await _slow_hash(conn, schema, position) != stored_hash:
                    return position - 1, position, "stored hash does not match the event's contents"
            previous_hash = stored_hash
            expected_position += 1
    if expected_position <= last:
        return expected_position - 1, expected_position, f"position {expected_position} is missing"
    return last, None, None


async def _settled(fetching: asyncio.Future[list[asyncpg.Record]]) -> None:
    """Let the batch being fetched arrive (kept by the cursor's future), so the connection is free."""
    await asyncio.wait([fetching])


async def _walk_chain(conn: asyncpg.Connection, schema: str, batch_size: int) -> tuple[int, int | None, str | None]:
    """(last position of the intact chain, first broken position, why) in one streamed pass."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        head = await conn.fetchval(f"SELECT coalesce(max(position), 0) FROM {schema}.events")
        return await _walk_range(conn, schema, 1, head, GENESIS_HASH, batch_size)


async def verify_chain(
    conn: asyncpg.Connection,
    schema: str,
    *,
    js: JetStreamContext | None = None,
    deployment: str | None = None,
    anchor: Anchor | None = None,
    batch_size: int = 5000,
) -> ChainReport:
    """Walk the log in position order with a server-side cursor (streamed, constant memory),
    then hold it against its stream when `js` is given and against `anchor` when one is.

    The chain catches a changed byte (hash mismatch), a deleted event (gap in positions or a
    broken link), two events swapped (positions are inside the hash); the stream and the anchor
    any rewrite that kept the chain consistent, up to the positions they vouch for.
    """
    checked_identifier(schema)
    intact_to, broken_at, problem = await _walk_chain(conn, schema, batch_size)
    return await held_against_copies(conn, schema, intact_to, broken_at, problem, js=js, deployment=deployment, anchor=anchor)


async def walk_part(
    conn: asyncpg.Connection, schema: str, after: int, previous_hash: str, limit: int, batch_size: int = 5000
) -> tuple[int, int, str, int | None, str | None]:
    """The chain from `after` + 1 for at most `limit` positions, continuing from `previous_hash`
    (the hash the part before ended on): (head, last position intact, its hash, first broken
    position, why). A long log is walked part by part this way, each part one short request."""
    checked_identifier(schema)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        head = await conn.fetchval(f"SELECT coalesce(max(position), 0) FROM {schema}.events")
        intact_to, broken_at, problem = await _walk_range(conn, schema, after + 1, min(head, after + limit), previous_hash, batch_size)
        last_hash = previous_hash if intact_to == after else await _stored_hash(conn, schema, intact_to)
    return head, intact_to, last_hash or "", broken_at, problem


async def held_against_copies(
    conn: asyncpg.Connection,
    schema: str,
    intact_to: int,
    broken_at: int | None,
    problem: str | None,
    *,
    js: JetStreamContext | None = None,
    deployment: str | None = None,
    anchor: Anchor | None = None,
) -> ChainReport:
    """The report of a log whose chain was walked (intact up to `intact_to`, or broken at
    `broken_at`), once it is held against its stream, its signed head and its readers."""
    findings = _Findings()
    if broken_at is not None:
        findings.add(broken_at, problem or "")
    head = await conn.fetchval(f"SELECT coalesce(max(position), 0) FROM {schema}.events")
    compared = 0
    stream = StreamCopy(js, deployment, schema) if js is not None and deployment else None
    if stream is not None:
        streamed = 0
        if await stream.open() and (last := await stream.last()) is not None:
            streamed = last[0]
        compared = min(intact_to, streamed)
        if (differs := await _first_difference(conn, schema, stream, compared)) is not None:
            findings.add(differs, "the hash differs from the stream's copy of this position")
            compared = differs - 1
        if streamed > head:
            findings.add(head + 1, f"positions {head + 1}..{streamed} are in the stream but not in PostgreSQL")
        elif streamed < head:
            findings.add(streamed + 1, f"positions {streamed + 1}..{head} are not in the stream: not yet relayed, or written around the service")
    if anchor is not None:
        if anchor.position > head:
            findings.add(head + 1, f"the head signed at {anchor.signed_at:%d/%m/%Y %H:%M:%S} is position {anchor.position}")
        elif anchor.position > 0 and await _stored_hash(conn, schema, anchor.position) != anchor.hash:
            findings.add(anchor.position, f"the hash differs from the head signed at {anchor.signed_at:%d/%m/%Y %H:%M:%S}")
    seen_by, seen_at = await _furthest_reader(conn, schema)
    if seen_at > head:
        # A chain cut at its end is still a valid chain; only the readers can tell it was longer.
        findings.add(head + 1, f"positions {head + 1}..{seen_at} are missing: {seen_by} already read up to {seen_at}")
    counted = (findings.position - 1) if findings.position is not None else head
    return ChainReport(schema, counted, head if findings.position is None else counted, findings.position, findings.problem,
                       compared, anchor)


async def wait_for_relay(conn: asyncpg.Connection, schema: str, seconds: float) -> None:
    """Give a running relay the time to publish what was appended just now, so a live log is not
    reported for a tail the stream simply has not received yet."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if not await conn.fetchval(f"SELECT to_regclass('{schema}.relay_checkpoint') IS NOT NULL"):
            return
        lagging = await conn.fetchval(
            f"SELECT coalesce((SELECT max(position) FROM {schema}.events), 0) > "
            f"coalesce((SELECT max(position) FROM {schema}.relay_checkpoint), 0)"
        )
        if not lagging:
            return
        await asyncio.sleep(0.1)


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


# -- A service's own log, part by part (its `verify_log` query) -----------------------------------


class VerifyLogQuery(BaseModel):
    """Kiểm tra chuỗi băm nhật ký của dịch vụ, từng phần: từ sau vị trí `after`, nối tiếp mã băm
    `previous_hash` mà phần trước kết thúc; phần cuối còn được so với luồng JetStream, đầu nhật ký
    đã ký và vị trí xa nhất các bên đọc đã đọc."""

    model_config = ConfigDict(extra="forbid")
    after: int = Field(default=0, ge=0, description="the last position the part before found intact (0: from the start)")
    previous_hash: str = Field(default=GENESIS_HASH, pattern="^[0-9a-f]{64}$", description="its hash")
    limit: int = Field(default=100_000, ge=1, le=1_000_000, description="how many positions this part walks at most")


async def verify_own_log(
    pool: asyncpg.Pool, js: JetStreamContext, settings: Settings, name: str, query: VerifyLogQuery
) -> dict[str, Any]:
    """One part of a service's own log; `done` once the chain breaks or reaches the head, and then
    the whole report: held against the stream, the newest signed head (checked with the service's
    own public key) and the readers."""
    async with pool.acquire() as conn:
        head, intact_to, last_hash, broken_at, problem = await walk_part(conn, name, query.after, query.previous_hash, query.limit)
        result: dict[str, Any] = {"head": head, "checked_to": intact_to, "hash": last_hash, "done": False}
        if broken_at is None and intact_to < head:
            return result
        anchor, signature_valid = await latest_anchor(js, settings.deployment_id, name), True
        if anchor is not None:
            key = load_public_key(public_key_path(settings.signing_key_file(name)))
            signature_valid = key is None or anchor.verified_by(key)
            if key is None or not signature_valid:
                anchor = None
        await wait_for_relay(conn, name, RELAY_WAIT_SECONDS)
        report = await held_against_copies(conn, name, intact_to, broken_at, problem, js=js, deployment=settings.deployment_id, anchor=anchor)
    return {
        **result, "done": True, "events": report.events, "broken_at": report.broken_at, "problem": report.problem,
        "compared_with_stream": report.compared_with_stream, "anchor_position": report.anchor.position if report.anchor else None,
        "signature_valid": signature_valid,
    }


RELAY_WAIT_SECONDS = 3.0
"""What was appended just before the last part is given this long to reach the stream (a query
answers within the gateway's 15 seconds)."""
