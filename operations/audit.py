"""`ketnap audit verify`: check each log against its own hash chain and against the copies kept
outside its database (its JetStream stream, its signed heads), and name the first wrong position.

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

import asyncpg
import nats
import nats.errors
import nats.js.errors
import orjson
from nats.js import JetStreamContext

from ketnap.platform import alarms
from ketnap.platform.anchors import Anchor, latest_anchor, load_public_key
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


def origin_of(log: str, deployment: str) -> tuple[str, str]:
    """(deployment, service) whose signed heads vouch for `log`: this deployment's own service,
    or the origin of a kept log (deployment ids have hyphens where kept log names have `_`)."""
    from ketnap.platform.federation.links import DOWNWARD, UPWARD, kept_log_name

    for service in (*UPWARD, *DOWNWARD):
        prefix = kept_log_name(service, "")
        if log.startswith(prefix) and log != prefix:
            return log[len(prefix):].replace("_", "-"), service
    return deployment, log


async def linked_alarms(conn: asyncpg.Connection, deployment: str) -> list[str]:
    """What the federation service refused from `deployment` and no operator acknowledged yet,
    as sentences for an operator (its integrity alarms on the logs kept from there)."""
    if not await conn.fetchval("SELECT to_regclass('federation.integrity_alarms') IS NOT NULL"):
        return []
    from ketnap.platform.federation.links import DOWNWARD, UPWARD, kept_log_name

    kept = {kept_log_name(service, deployment) for service in (*UPWARD, *DOWNWARD)}
    return [a.describe() for a in await alarms.listed(conn, "federation") if a.source in kept]


# -- The chain, fast ------------------------------------------------------------------------------

_SELECT = (
    "SELECT position, stream_id, stream_version, event_id::text, event_type, schema_version, data::text, actor, "
    "organisation, correlation_id::text, causation_id::text, "
    # The hashed form of the time (`envelope._utc_text`), made by the server: a datetime per row costs more.
    """to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'), previous_hash, hash"""
)


def canonical_bytes(row: asyncpg.Record) -> tuple[bytes, bytes]:
    """(previous hash, canonical encoding) of a row of `_SELECT`, as `canonical_encoding` defines
    them, built with orjson (several times faster than the standard library). orjson's form can
    differ in rare values (floats in exponent form): a mismatch is re-checked the slow way before
    it is called one."""
    (position, stream_id, stream_version, event_id, event_type, schema_version, data, actor, organisation,
     correlation_id, causation_id, recorded_at, previous_hash, _) = row
    body = {
        "position": position, "stream_id": stream_id, "stream_version": stream_version, "event_id": event_id,
        "event_type": event_type, "schema_version": schema_version, "data": orjson.loads(data), "actor": actor,
        "organisation": organisation, "correlation_id": correlation_id, "causation_id": causation_id,
        "recorded_at": recorded_at,
    }
    return previous_hash.encode("ascii"), orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def _recomputed_hash(row: asyncpg.Record) -> str:
    previous_hash, body = canonical_bytes(row)
    digest = hashlib.sha256(previous_hash)
    digest.update(body)
    return digest.hexdigest()


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
    while rows := await cursor.fetch(batch_size):
        for row in rows:
            position, stored_previous, stored_hash = row[0], row[12], row[13]
            if position != expected_position:
                return expected_position - 1, expected_position, f"position {expected_position} is missing (next stored is {position})"
            if stored_previous != previous_hash:
                return position - 1, position, "previous_hash does not match the hash of the event before it"
            if _recomputed_hash(row) != stored_hash and await _slow_hash(conn, schema, position) != stored_hash:
                return position - 1, position, "stored hash does not match the event's contents"
            previous_hash = stored_hash
            expected_position += 1
    if expected_position <= last:
        return expected_position - 1, expected_position, f"position {expected_position} is missing"
    return last, None, None


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
    findings = _Findings()
    intact_to, broken_at, problem = await _walk_chain(conn, schema, batch_size)
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


class NothingToVerify(Exception):
    """The logs asked for are not here (the message says which there are, in Vietnamese)."""


@dataclass(frozen=True)
class Line:
    text: str
    intact: bool = True


async def verify_logs(
    settings: Settings, nats_url: str, database_url: str, *, service: str | None = None, deployment: str | None = None,
    wait: float = 5.0,
) -> list[Line]:
    """Every log of this database (or the one named, or those kept from `deployment`), each
    against its chain, its stream and its newest signed head; one line per log and per alarm."""
    conn = await asyncpg.connect(database_url)
    nc = None
    lines: list[Line] = []
    try:
        names = await logs_in_database(conn)
        if service:
            if service not in names:
                raise NothingToVerify(f"Không có nhật ký của dịch vụ '{service}'. Có: {', '.join(names)}")
            names = [service]
        if deployment:
            names = kept_logs_of(names, deployment)
            if not names:
                raise NothingToVerify(f"Đơn vị triển khai này không giữ nhật ký nào của '{deployment}'.")
        try:
            nc = await nats.connect(
                nats_url, name="ketnap-audit", connect_timeout=3, max_reconnect_attempts=0, inbox_prefix=subjects.inbox_prefix(nats_url)
            )
        except Exception as error:  # noqa: BLE001 - the chain is still checked; the line says what was not
            lines.append(Line(f"Không kết nối được NATS ({type(error).__name__}): không so được với luồng và đầu đã ký.", False))
        js = nc.jetstream() if nc else None
        for name in names:
            lines.extend(await _verify_one(conn, js, settings, name, wait))
        if deployment:
            for alarm in await linked_alarms(conn, deployment):
                lines.append(Line(f"CẢNH BÁO: {alarm}", False))
    finally:
        if nc is not None:
            await nc.close()
        await conn.close()
    return lines


async def _verify_one(conn: asyncpg.Connection, js: JetStreamContext | None, settings: Settings, name: str, wait: float) -> list[Line]:
    lines: list[Line] = []
    anchor = None
    if js is not None:
        origin, origin_service = origin_of(name, settings.deployment_id)
        found = await latest_anchor(js, origin, origin_service)
        if found is not None:
            key_file = settings.public_key_file(origin, origin_service)
            key = load_public_key(key_file)
            if key is None:
                lines.append(Line(f"{name}: không có khóa công khai {key_file} để kiểm chữ ký đầu nhật ký; bỏ qua đầu đã ký."))
            elif not found.verified_by(key):
                lines.append(Line(f"{name}: HỎNG: chữ ký đầu nhật ký (vị trí {found.position}) không hợp lệ.", False))
            else:
                anchor = found
        await wait_for_relay(conn, name, wait)
    report = await verify_chain(conn, name, js=js, deployment=settings.deployment_id, anchor=anchor)
    copies = f"; {report.compared_with_stream} vị trí khớp luồng"
    if report.anchor is not None:
        copies += f", khớp đầu đã ký tại vị trí {report.anchor.position}"
    if report.intact:
        lines.append(Line(f"{name}: nguyên vẹn, {report.events} sự kiện (vị trí 1..{report.head}){copies}"))
    else:
        lines.append(Line(
            f"{name}: HỎNG tại vị trí {report.broken_at}: {report.problem} (đã kiểm {report.events} sự kiện trước đó)", False
        ))
    return lines
