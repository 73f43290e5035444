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
from dataclasses import dataclass
from typing import Any

import asyncpg
import nats.js.errors
import orjson
from nats.js import JetStreamContext
from pydantic import BaseModel, ConfigDict, Field

from ketnap.platform.anchors import Anchor, latest_anchor, load_public_key, public_key_path
from ketnap.platform.bus import subjects
from ketnap.platform.chainparts import parts_for, walk_in_parts
from ketnap.platform.chainwalk import Walk, walk_range
from ketnap.platform.envelope import GENESIS_HASH
from ketnap.platform.eventstore.schema import checked_identifier
from ketnap.platform.settings import Settings
from ketnap.platform.vietnamese import vn_date


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
    reader: str | None = None
    """When the finding is a reader that read beyond the head: the consumer (`RELAY`: the relay)."""
    read_to: int = 0

    @property
    def intact(self) -> bool:
        return self.broken_at is None


# -- What is said about it ------------------------------------------------------------------------
# Every finding is one Vietnamese sentence, for the operator's `audit verify` and the inspector's
# page alike (the position is said beside it, so most sentences leave it out): made here for the
# copies, in `chainwalk` for the chain's own links.

STREAM_DIFFERS = "mã băm khác bản sao trên luồng JetStream"


def _only_in_stream(first: int, last: int) -> str:
    return f"các vị trí {first}..{last} có trên luồng JetStream mà PostgreSQL không có (đuôi nhật ký bị cắt)"


def _not_in_stream(first: int, last: int) -> str:
    return f"các vị trí {first}..{last} chưa có trên luồng JetStream: chưa được chuyển đi, hoặc được ghi vòng qua dịch vụ"


def _beyond_signed_head(anchor: Anchor, head: int) -> str:
    return (f"đầu nhật ký đã ký lúc {vn_date(anchor.signed_at)}{anchor.signed_at: %H:%M:%S} là vị trí {anchor.position}, "
            f"PostgreSQL chỉ có đến vị trí {head} (đuôi nhật ký bị cắt)")


def _differs_from_signed_head(anchor: Anchor) -> str:
    return f"mã băm khác đầu nhật ký đã ký lúc {vn_date(anchor.signed_at)}{anchor.signed_at: %H:%M:%S}"


def read_beyond(first: int, seen_at: int, reader: str) -> str:
    """`reader` in words: the relay, or a consumer as the one who says it names it (the inspection
    page by its service's title, `ketnap audit verify` by its name)."""
    return f"thiếu các vị trí {first}..{seen_at}: {reader} đã đọc đến vị trí {seen_at} (đuôi nhật ký bị cắt)"


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


async def verify_chain(
    conn: asyncpg.Connection,
    schema: str,
    *,
    js: JetStreamContext | None = None,
    deployment: str | None = None,
    anchor: Anchor | None = None,
    database_url: str | None = None,
) -> ChainReport:
    """Walk the log in position order (streamed, constant memory), then hold it against its
    stream when `js` is given and against `anchor` when one is. With `database_url` (where `conn`
    is connected), a long log is walked in parts at once, one process each (`chainparts`).

    The chain catches a changed byte (hash mismatch), a deleted event (gap in positions or a
    broken link), two events swapped (positions are inside the hash); the stream and the anchor
    any rewrite that kept the chain consistent, up to the positions they vouch for.
    """
    walk = await walk_part(conn, schema, 0, GENESIS_HASH, limit=2**62, database_url=database_url)
    return await held_against_copies(conn, schema, walk, js=js, deployment=deployment, anchor=anchor)


async def walk_part(
    conn: asyncpg.Connection, schema: str, after: int, previous_hash: str, limit: int, *, database_url: str | None = None, parts: int | None = None
) -> Walk:
    """The chain from `after` + 1 for at most `limit` positions, continuing from `previous_hash`
    (the hash the part before ended on). A long log is walked part by part this way, each part
    one short request; a service's check of its own log walks from where it stopped last. With
    `database_url`, `parts` processes walk it at once (by default one a core, for a long walk)."""
    checked_identifier(schema)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        head = await conn.fetchval(f"SELECT coalesce(max(position), 0) FROM {schema}.events")
        last = min(head, after + limit)
        parts = parts if parts is not None else parts_for(last - after)
        if database_url and parts > 1:
            intact_to, last_hash, broken = await walk_in_parts(conn, database_url, schema, after + 1, last, previous_hash, parts)
        else:
            intact_to, last_hash, broken = await walk_range(conn, schema, after + 1, last, previous_hash)
    return Walk(head, intact_to, last_hash, broken)


async def held_against_copies(
    conn: asyncpg.Connection,
    schema: str,
    walk: Walk,
    *,
    js: JetStreamContext | None = None,
    deployment: str | None = None,
    anchor: Anchor | None = None,
) -> ChainReport:
    """The report of a log whose chain was walked, once it is held against its stream, its
    signed head and its readers."""
    findings = _Findings()
    if walk.broken is not None:
        findings.add(walk.broken.position, walk.broken.problem)
    head = await conn.fetchval(f"SELECT coalesce(max(position), 0) FROM {schema}.events")
    compared = 0
    stream = StreamCopy(js, deployment, schema) if js is not None and deployment else None
    if stream is not None:
        streamed = 0
        if await stream.open() and (last := await stream.last()) is not None:
            streamed = last[0]
        compared = min(walk.intact_to, streamed)
        if (differs := await _first_difference(conn, schema, stream, compared)) is not None:
            findings.add(differs, STREAM_DIFFERS)
            compared = differs - 1
        if streamed > head:
            findings.add(head + 1, _only_in_stream(head + 1, streamed))
        elif streamed < head:
            findings.add(streamed + 1, _not_in_stream(streamed + 1, head))
    if anchor is not None:
        if anchor.position > head:
            findings.add(head + 1, _beyond_signed_head(anchor, head))
        elif anchor.position > 0 and await _stored_hash(conn, schema, anchor.position) != anchor.hash:
            findings.add(anchor.position, _differs_from_signed_head(anchor))
    seen_by, seen_at = await _furthest_reader(conn, schema)
    reader = None
    if seen_at > head:
        # A chain cut at its end is still a valid chain; only the readers can tell it was longer.
        said = read_beyond(head + 1, seen_at, "bộ chuyển tiếp" if seen_by == RELAY else f"bên đọc {seen_by}")
        findings.add(head + 1, said)
        reader = seen_by if findings.problem == said else None
    counted = (findings.position - 1) if findings.position is not None else head
    return ChainReport(schema, counted, head if findings.position is None else counted, findings.position, findings.problem,
                       compared, anchor, reader, seen_at if reader else 0)


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


RELAY = "relay"
"""The reader that publishes the log to its stream, as `ChainReport.reader` names it."""


async def _furthest_reader(conn: asyncpg.Connection, schema: str) -> tuple[str, int]:
    """The furthest position any reader recorded: the relay (`RELAY`), or a consumer of any
    service (by its name, `<service>.<what it keeps>`)."""
    furthest = ("", 0)
    relay = await conn.fetchval(f"SELECT max(position) FROM {schema}.relay_checkpoint")
    if relay:
        furthest = (RELAY, relay)
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
            furthest = (row["consumer"], row["position"])
    return furthest


# -- A service's own log, part by part (its `verify_log` query) -----------------------------------


class VerifyLogQuery(BaseModel):
    """Kiểm tra chuỗi băm nhật ký của dịch vụ, từng phần: từ sau vị trí `after`, nối tiếp mã băm
    `previous_hash` mà phần trước kết thúc; phần cuối còn được so với luồng JetStream, đầu nhật ký
    đã ký và vị trí xa nhất các bên đọc đã đọc."""

    model_config = ConfigDict(extra="forbid")
    after: int = Field(default=0, ge=0, le=2**63 - 1, description="the last position the part before found intact (0: from the start)")
    previous_hash: str = Field(default=GENESIS_HASH, pattern="^[0-9a-f]{64}$", description="its hash")
    limit: int = Field(default=100_000, ge=1, le=1_000_000, description="how many positions this part walks at most")


async def verify_own_log(
    pool: asyncpg.Pool, js: JetStreamContext, settings: Settings, name: str, query: VerifyLogQuery
) -> dict[str, Any]:
    """One part of a service's own log; `done` once the chain breaks or reaches the head, and then
    the whole report: held against the stream, the newest signed head (checked with the service's
    own public key) and the readers."""
    async with pool.acquire() as conn:
        walk = await walk_part(conn, name, query.after, query.previous_hash, query.limit)
        result: dict[str, Any] = {"head": walk.head, "checked_to": walk.intact_to, "hash": walk.hash, "done": False}
        if walk.broken is None and walk.intact_to < walk.head:
            return result
        anchor, signature_valid = await latest_anchor(js, settings.deployment_id, name), True
        if anchor is not None:
            key = load_public_key(public_key_path(settings.signing_key_file(name)))
            signature_valid = key is None or anchor.verified_by(key)
            if key is None or not signature_valid:
                anchor = None
        await wait_for_relay(conn, name, RELAY_WAIT_SECONDS)
        report = await held_against_copies(conn, name, walk, js=js, deployment=settings.deployment_id, anchor=anchor)
    return {
        **result, "done": True, "events": report.events, "broken_at": report.broken_at, "problem": report.problem,
        "compared_with_stream": report.compared_with_stream, "anchor_position": report.anchor.position if report.anchor else None,
        "signature_valid": signature_valid, "reader": report.reader, "read_to": report.read_to,
    }


RELAY_WAIT_SECONDS = 3.0
"""What was appended just before the last part is given this long to reach the stream (a query
answers within the gateway's 15 seconds)."""
