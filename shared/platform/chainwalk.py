"""The walk of a log's hash chain as PostgreSQL stores it: every link recomputed in position order,
and the first one that does not hold named (a gap, a broken link, an altered event). What
`ketnap audit verify`, a service's check of its own log and the signing of its head all walk.

Each row keeps, beside the jsonb `data` its readers use, `data_text`: the exact text of `data` that
was hashed when it was appended. So the walk decodes no JSON: PostgreSQL sends the log as a COPY
stream, one text line per event holding every hashed field in the text the canonical form writes,
and this process only puts the JSON punctuation between them (from `envelope.CANONICAL_KEYS`) and
hashes the bytes. In the same pass the server checks that the jsonb is the parse of that text to
the byte (`data_text::jsonb` image-equal to `data`): neither column can be changed alone, and
changing both changes the hash. A row appended before the column existed (NULL) is checked as
before: its jsonb re-encoded here. Stored hashes are never trusted: each is recomputed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import asyncpg
import asyncpg.exceptions
import orjson

from ketnap.platform.envelope import CANONICAL_KEYS, GENESIS_HASH, canonical_encoding, chain_hash
from ketnap.platform.eventstore.store import _COLUMNS, record_from_row
from ketnap.platform.jsoncodec import encode_json

# -- What is said about a link (in Vietnamese, beside its position) -------------------------------

MISSING = "thiếu sự kiện ở vị trí này"
BROKEN_LINK = "mã băm trước không khớp sự kiện liền trước (đứt mắt xích)"
ALTERED = "nội dung sự kiện không khớp mã băm đã lưu (đã bị sửa)"
DATA_DIFFERS = "dữ liệu sự kiện mà các bên đọc dùng (cột data) khác văn bản đã băm (đã bị sửa)"


def missing_before(next_stored: int) -> str:
    return f"{MISSING} (vị trí kế tiếp còn lưu là {next_stored})"


def cut_below(checked_to: int) -> str:
    return f"{MISSING}: vị trí {checked_to} đã được kiểm trước đây mà nay nhật ký không còn đến đó (đuôi nhật ký bị cắt)"


@dataclass(frozen=True)
class Break:
    """The first link of a chain that does not hold."""

    position: int
    kind: str
    """As `ketnap.platform.chain.ChainRefused` names it: "gap", "broken_link" or "altered"."""
    problem: str
    stored_hash: str = ""
    """The hash stored on the row found there (the next stored row for a gap; "" when none is)."""


@dataclass(frozen=True)
class Walk:
    """How far a chain holds: up to `intact_to` (whose hash is `hash`), then `broken` if it does not."""

    head: int
    intact_to: int
    hash: str
    broken: Break | None = None


Result = tuple[int, str, Break | None]
"""(last position of the intact chain, its hash, the first break or None)."""

# -- One line per event ---------------------------------------------------------------------------

LINE = (
    "position, hash, previous_hash, event_id, stream_version, coalesce(causation_id::text, ''), coalesce(correlation_id::text, ''), "
    """to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'), schema_version, organisation IS NULL, """
    # Image equality (`*=`): the jsonb must be the very value the hashed text parses to, 1.0 not 1.
    "CASE WHEN data_text IS NULL THEN 'o' WHEN ROW(data_text::jsonb)::record *= ROW(data)::record THEN 't' ELSE 'f' END, "
    "actor, event_type, coalesce(organisation, ''), stream_id, coalesce(data_text, data::text)"
)
"""The fields of one COPY line, each in the text the canonical form writes it (a NULL uuid as "",
the time as `envelope._utc_text` writes it), then: `organisation` NULL ("t"/"f"), the data check
("t": the jsonb is the hashed text's; "f": it is not; "o": a row from before `data_text`, whose
`data` is sent as the jsonb's text), the free texts, and the data's text last. Free texts are
JSON-escaped here only when they hold a character JSON escapes (rare: found with one search)."""

_UNQUOTED = {"causation_id", "correlation_id", "organisation", "data", "position", "schema_version", "stream_version"}
"""Fields that are not always a JSON string: numbers, the data, and what may be null."""


def _punctuation() -> dict[str, bytes]:
    """What the canonical form writes before each field's text (the closing quote of the one
    before, the key, the opening quote of a string), and at the end ("}")."""
    before, closing = {}, b""
    for index, key in enumerate(CANONICAL_KEYS):
        quote = b"" if key in _UNQUOTED else b'"'
        before[key] = closing + (b"{" if index == 0 else b",") + encode_json(key).encode() + b":" + quote
        closing = quote
    before["}"] = closing + b"}"
    return before


_BEFORE = _punctuation()
(_ACTOR, _CAUSATION, _CORRELATION, _DATA, _EVENT_ID, _EVENT_TYPE, _ORGANISATION, _POSITION, _RECORDED_AT, _SCHEMA_VERSION,
 _STREAM_ID, _STREAM_VERSION, _END) = (_BEFORE[key] for key in (*CANONICAL_KEYS, "}"))

_ESCAPED_IN_JSON = re.compile(rb'["\\\x00-\x1f]')
"""What `json.dumps` escapes in a string."""


def _inner(text: bytes) -> bytes:
    """A free text as a JSON string writes it, without its quotes."""
    return text if _ESCAPED_IN_JSON.search(text) is None else encode_json(text.decode())[1:-1].encode()


def _nullable(text: bytes, null: bool) -> bytes:
    return b"null" if null else b'"' + _inner(text) + b'"'


def hashed_bytes(fields: list[bytes], data: bytes, exact: bool) -> bytes:
    """The bytes an event's hash covers (its previous hash, then `canonical_encoding`) from the
    fields of a `LINE`, with `data` the data's text as hashed. `exact`: no field but `data` holds
    a character JSON escapes (so each goes in as it is)."""
    (position, _, previous, event_id, version, causation, correlation, recorded_at, schema_version, no_organisation, _,
     actor, event_type, organisation, stream_id, _) = fields
    if exact:
        return b"".join((
            previous, _ACTOR, actor, _CAUSATION, b'"' + causation + b'"' if causation else b"null",
            _CORRELATION, b'"' + correlation + b'"' if correlation else b"null", _DATA, data, _EVENT_ID, event_id,
            _EVENT_TYPE, event_type, _ORGANISATION, b"null" if no_organisation == b"t" else b'"' + organisation + b'"',
            _POSITION, position, _RECORDED_AT, recorded_at, _SCHEMA_VERSION, schema_version, _STREAM_ID, stream_id,
            _STREAM_VERSION, version, _END,
        ))
    return b"".join((
        previous, _ACTOR, _inner(actor), _CAUSATION, _nullable(causation, not causation), _CORRELATION,
        _nullable(correlation, not correlation), _DATA, data, _EVENT_ID, _inner(event_id), _EVENT_TYPE, _inner(event_type),
        _ORGANISATION, _nullable(organisation, no_organisation == b"t"), _POSITION, position, _RECORDED_AT, _inner(recorded_at),
        _SCHEMA_VERSION, schema_version, _STREAM_ID, _inner(stream_id), _STREAM_VERSION, version, _END,
    ))


_COPY_ESCAPES = {b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v"}
_COPY_ESCAPED = re.compile(rb"\\(.)", re.DOTALL)


def _copy_unescaped(field: bytes) -> bytes:
    """A field of COPY's text format as stored (COPY writes a backslash, and some control
    characters, as a backslash and a letter)."""
    if b"\\" not in field:
        return field
    return _COPY_ESCAPED.sub(lambda m: _COPY_ESCAPES.get(m.group(1), m.group(1)), field)


def _reencoded(jsonb_text: bytes) -> bytes | None:
    """A row from before `data_text`: its data as the canonical form writes it (orjson writes it as
    `json.dumps(sort_keys=True, ensure_ascii=False)` does, but for floats in exponent form, which
    are then re-checked the exact way); None when orjson cannot read it (an integer beyond 64 bits)."""
    try:
        return orjson.dumps(orjson.loads(jsonb_text), option=orjson.OPT_SORT_KEYS)
    except orjson.JSONDecodeError:
        return None


# -- The walk -------------------------------------------------------------------------------------

WINDOW = 200_000
"""Positions one COPY covers: what is streamed past a break is at most this many."""
SUSPECTS = 100
"""Hashes that differ, held for the exact check after the COPY, before a window stops early."""


class _Window:
    """The walk over one COPY of consecutive positions, each line checked as it arrives (the
    server writes the next ones meanwhile). It stops at the first gap, broken link or data that is
    not the hashed text's; a hash that differs is only a suspect until the exact check
    (`_exact_hash`, once the COPY is over: one query at a time on a connection), so the walk goes
    on from its stored hash."""

    def __init__(self, first: int, previous_hash: str) -> None:
        self.expected = first
        self.previous = previous_hash.encode()
        self.rest = b""
        self.broken: Break | None = None
        self.suspects: list[tuple[int, bytes, bytes]] = []
        """(position, stored hash, the hash before it), in position order."""

    @property
    def stopped(self) -> bool:
        return self.broken is not None or len(self.suspects) >= SUSPECTS

    async def take(self, chunk: bytes) -> None:
        if self.stopped:
            return
        whole = self.rest + chunk
        lines = whole.split(b"\n")
        self.rest = lines.pop()
        if not lines:
            return
        expected, previous = self.expected, self.previous
        # Positions arrive in order and are unique: when a chunk's first and last are the ones
        # expected, so is every one between, and no line's position is read.
        counted = _position(lines[0]) != expected or _position(lines[-1]) != expected + len(lines) - 1
        escaped = b"\\" in whole  # most chunks have no backslash at all: their lines are not searched one by one
        sha256, suspects = hashlib.sha256, self.suspects
        for line in lines:
            if escaped and b"\\" in line:
                fields = [_copy_unescaped(f) for f in line.split(b"\t")]
                data, exact = fields[-1], False
            else:
                fields = line.split(b"\t")
                data = fields[-1]
                # No quote but in the data: no free text needs escaping (a control character
                # cannot make the canonical form's bytes, which never hold one: it only fails).
                exact = line.count(b'"', 0, len(line) - len(data)) == 0
            stored = fields[1]
            if counted and int(fields[0]) != expected:
                self.broken = Break(expected, "gap", missing_before(int(fields[0])), stored.decode())
                break
            if fields[2] != previous:
                self.broken = Break(expected, "broken_link", BROKEN_LINK, stored.decode())
                break
            checked = fields[10]
            if checked == b"f":
                self.broken = Break(expected, "altered", DATA_DIFFERS, stored.decode())
                break
            if checked == b"o":
                data = _reencoded(data)
            if exact and data is not None:  # the usual line, assembled here as `hashed_bytes` does (a call an event costs a tenth)
                (position, _, _, event_id, version, causation, correlation, recorded_at, schema_version, no_organisation, _,
                 actor, event_type, organisation, stream_id, _) = fields
                hashed = b"".join((
                    previous, _ACTOR, actor, _CAUSATION, b'"' + causation + b'"' if causation else b"null",
                    _CORRELATION, b'"' + correlation + b'"' if correlation else b"null", _DATA, data, _EVENT_ID, event_id,
                    _EVENT_TYPE, event_type, _ORGANISATION, b"null" if no_organisation == b"t" else b'"' + organisation + b'"',
                    _POSITION, position, _RECORDED_AT, recorded_at, _SCHEMA_VERSION, schema_version, _STREAM_ID, stream_id,
                    _STREAM_VERSION, version, _END,
                ))
            else:
                hashed = hashed_bytes(fields, data, exact) if data is not None else b""
            if sha256(hashed).hexdigest().encode() != stored:
                suspects.append((expected, stored, previous))
                if len(suspects) >= SUSPECTS:
                    previous, expected = stored, expected + 1
                    break
            previous = stored
            expected += 1
        self.expected, self.previous = expected, previous


def _position(line: bytes) -> int:
    return int(line[: line.find(b"\t")])


async def _exact_hash(conn: asyncpg.Connection, schema: str, position: int) -> str:
    """The hash of the stored event at `position`, recomputed by `canonical_encoding` itself."""
    row = await conn.fetchrow(f"SELECT {_COLUMNS}, data_text FROM {schema}.events WHERE position = $1", position)
    event = record_from_row(tuple(row)[:-1])
    return chain_hash(event.previous_hash, canonical_encoding(event, row["data_text"]))


async def walk_range(conn: asyncpg.Connection, schema: str, first: int, last: int, previous_hash: str) -> Result:
    """The chain over first..last, from `previous_hash`, in windows of COPY streams. `conn` is in
    a transaction (its snapshot is the log walked)."""
    if first > last + 1:  # the walk stood further than the log now reaches: its end was cut since
        stored = await conn.fetchval(f"SELECT hash FROM {schema}.events WHERE position = $1", last)
        return last, stored or GENESIS_HASH, Break(last + 1, "gap", cut_below(first - 1))
    while first <= last:
        end = min(last, first + WINDOW - 1)
        try:
            window = await _copied(conn, schema, first, end, previous_hash)
        except asyncpg.exceptions.DataError:  # a `data_text` that is no JSON at all (the append writes only what it hashed)
            return await _walk_to_unreadable(conn, schema, first, end, previous_hash)
        for position, stored, before in window.suspects:
            if await _exact_hash(conn, schema, position) != stored.decode():
                return position - 1, before.decode(), Break(position, "altered", ALTERED, stored.decode())
        if window.broken is not None:
            return window.broken.position - 1, window.previous.decode(), window.broken
        if window.expected <= end and not window.stopped:
            return window.expected - 1, window.previous.decode(), Break(window.expected, "gap", MISSING)
        first, previous_hash = window.expected, window.previous.decode()
    return last, previous_hash, None


async def _copied(conn: asyncpg.Connection, schema: str, first: int, end: int, previous_hash: str) -> _Window:
    window = _Window(first, previous_hash)
    async with conn.transaction():  # a savepoint: a `data_text` that is no JSON fails this COPY, not the walk's transaction
        await conn.copy_from_query(
            f"SELECT {LINE} FROM {schema}.events WHERE position BETWEEN {int(first)} AND {int(end)} ORDER BY position",
            output=window.take,
        )
    if window.rest and not window.stopped:
        await window.take(b"\n")
    return window


async def _walk_to_unreadable(conn: asyncpg.Connection, schema: str, first: int, end: int, previous_hash: str) -> Result:
    """first..end holds a `data_text` that is not JSON (a forger's): the walk up to the first such
    row, which is altered if the chain reaches it."""
    unreadable = await conn.fetchrow(
        f"SELECT position, hash, previous_hash FROM {schema}.events WHERE position BETWEEN $1 AND $2 "
        "AND NOT pg_input_is_valid(data_text, 'jsonb') ORDER BY position LIMIT 1",
        first, end,
    )
    if unreadable is None:
        raise RuntimeError(f"the walk of {schema} failed on data that reads as JSON, positions {first}..{end}")
    intact_to, last_hash, broken = await walk_range(conn, schema, first, unreadable["position"] - 1, previous_hash)
    if broken is not None:
        return intact_to, last_hash, broken
    if intact_to != unreadable["position"] - 1:
        return intact_to, last_hash, Break(intact_to + 1, "gap", missing_before(unreadable["position"]), unreadable["hash"])
    if unreadable["previous_hash"] != last_hash:
        return intact_to, last_hash, Break(unreadable["position"], "broken_link", BROKEN_LINK, unreadable["hash"])
    return intact_to, last_hash, Break(unreadable["position"], "altered", DATA_DIFFERS, unreadable["hash"])
