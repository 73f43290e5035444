"""The envelope every event travels in, and its canonical encoding for the hash chain."""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, SafeUUID

from pydantic import BaseModel, ConfigDict, Field, ValidatorFunctionWrapHandler, field_validator

from ketnap.platform.jsoncodec import decode_json, encode_sorted, plain_json
from ketnap.platform.tracing import current_traceparent

GENESIS_HASH = "0" * 64
"""The `previous_hash` of the first event of every log."""


_UUID_VERSION_4 = ~((0xC000 << 48) | (0xF000 << 64)), (0x8000 << 48) | (4 << 76)
"""The bits `uuid4` clears and sets: the RFC 4122 variant and version 4."""
_new_uuid = object.__new__
_set_slot = object.__setattr__


def new_event_id() -> UUID:
    """`uuid4()`: 122 random bits from `os.urandom`, built without `UUID.__init__`'s checks (a third
    of building a `NewEvent`, issue 21). The instance is `UUID(int=...)`'s, bit for bit."""
    keep, version = _UUID_VERSION_4
    event_id = _new_uuid(UUID)
    _set_slot(event_id, "int", int.from_bytes(os.urandom(16)) & keep | version)
    _set_slot(event_id, "is_safe", SafeUUID.unknown)
    return event_id


class NewEvent(BaseModel):
    """An event a handler has decided to record, before the store gives it a place in the log.

    Plain JSON `data` is kept as given, not copied: a new dict for each event (`to_new_event` builds one)."""

    model_config = ConfigDict(frozen=True)

    event_type: str
    data: dict[str, Any]
    schema_version: int = 1
    event_id: UUID = Field(default_factory=new_event_id)

    @field_validator("data", mode="wrap")
    @classmethod
    def _numbers_hash_again(cls, data: Any, validated: ValidatorFunctionWrapHandler) -> dict[str, Any]:
        if type(data) is dict and plain_json(data):
            # Plain JSON with string keys (a domain event's `model_dump`, the usual case): what
            # `dict[str, Any]` accepts as it is, without the copy pydantic makes of every dict.
            return data
        data = validated(data)
        refuse_unstable_numbers(data)
        return data


class EventMetadata(BaseModel):
    """Who caused the events and in which organisation; the same for every event of one append."""

    model_config = ConfigDict(frozen=True)

    actor: str
    organisation: str | None = None
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    traceparent: str | None = Field(default_factory=current_traceparent)
    """The trace the events were appended in (ketnap.platform.tracing): the current span's, None
    when this process does not trace."""


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event as stored in a service's log: one link of its hash chain.

    A plain dataclass, not a pydantic model: millions are built when a projection is rebuilt,
    and the store's rows are already typed by the database.
    """

    position: int
    stream_id: str
    stream_version: int
    event_id: UUID
    event_type: str
    schema_version: int
    data: dict[str, Any]
    actor: str
    organisation: str | None
    correlation_id: UUID | None
    causation_id: UUID | None
    recorded_at: datetime
    previous_hash: str
    hash: str
    traceparent: str | None = None
    """W3C trace context of the append (ketnap.platform.tracing). Not hashed: it records where the
    act was observed, not the act, and the chains recorded before it stay valid."""

    def expected_hash(self) -> str:
        return chain_hash(self.previous_hash, canonical_encoding(self))

    @property
    def follow_up(self) -> bool:
        """A service's own record, caused by another event (a process manager moving a dossier on
        after a decision, a reaction): never a person's act, which is a command with no cause."""
        return self.causation_id is not None

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "stream_id": self.stream_id,
            "stream_version": self.stream_version,
            "event_id": str(self.event_id),
            "event_type": self.event_type,
            "schema_version": self.schema_version,
            "data": self.data,
            "actor": self.actor,
            "organisation": self.organisation,
            "correlation_id": str(self.correlation_id) if self.correlation_id else None,
            "causation_id": str(self.causation_id) if self.causation_id else None,
            "recorded_at": self.recorded_at.isoformat(),
            "previous_hash": self.previous_hash,
            "hash": self.hash,
            "traceparent": self.traceparent,
        }

    def history_entry(self, *, own: bool = True) -> dict[str, Any]:
        """Who recorded what and when, as a case's answer lists its history: what a page shows
        when someone acted first. `version` is the stream's version in this log; an event kept from
        a linked deployment's log (`own=False`) has none here."""
        return {
            "version": self.stream_version if own else None,
            "event_type": self.event_type,
            "recorded_at": self.recorded_at.isoformat(),
            "actor": self.actor,
        }

    @classmethod
    def from_json_dict(cls, body: dict[str, Any]) -> RecordedEvent:
        """Parse a wire or log-read body; raises ValueError (or KeyError, TypeError) on a malformed one."""
        data = body["data"]
        if not isinstance(data, dict):
            raise ValueError("data must be an object")
        correlation_id, causation_id = body["correlation_id"], body["causation_id"]
        return recorded_event(
            int(body["position"]), str(body["stream_id"]), int(body["stream_version"]), UUID(body["event_id"]),
            str(body["event_type"]), int(body["schema_version"]), data, str(body["actor"]), body["organisation"],
            UUID(correlation_id) if correlation_id else None, UUID(causation_id) if causation_id else None,
            datetime.fromisoformat(body["recorded_at"]), str(body["previous_hash"]), str(body["hash"]),
            body.get("traceparent") or None,
        )


class _Unfrozen:
    """`RecordedEvent`'s slots, in its order, on a class that sets them by plain attribute stores,
    turned into a `RecordedEvent` once filled (`recorded_event`). The frozen dataclass's own
    `__init__` goes through `object.__setattr__` fifteen times: as much as decoding the event's
    data, for every event of a log read or of a message (issue 21)."""

    __slots__ = RecordedEvent.__slots__

    def __init__(
        self, position: int, stream_id: str, stream_version: int, event_id: UUID, event_type: str, schema_version: int,
        data: Any, actor: str, organisation: str | None, correlation_id: UUID | None, causation_id: UUID | None,
        recorded_at: datetime, previous_hash: str, hash: str, traceparent: str | None = None,  # noqa: A002 - the field's name
    ) -> None:
        self.position = position
        self.stream_id = stream_id
        self.stream_version = stream_version
        self.event_id = event_id
        self.event_type = event_type
        self.schema_version = schema_version
        self.data = decode_json(data) if type(data) is str else data
        self.actor = actor
        self.organisation = organisation
        self.correlation_id = correlation_id
        self.causation_id = causation_id
        self.recorded_at = recorded_at
        self.previous_hash = previous_hash
        self.hash = hash
        self.traceparent = traceparent


def recorded_event(*fields: Any) -> RecordedEvent:
    """`RecordedEvent(*fields)` for values already typed (the log's columns, a parsed message), in a
    third of the time; `data` may be the stored JSON text, decoded here (`jsoncodec.decode_json`)."""
    event = _Unfrozen(*fields)
    # Same slots in the same order on the same base: CPython lets the instance change class in place.
    event.__class__ = RecordedEvent  # type: ignore[assignment]
    return event  # type: ignore[return-value]


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


_HASHED_FIELDS = (
    "position", "stream_id", "stream_version", "event_id", "event_type", "schema_version", "data", "actor",
    "organisation", "correlation_id", "causation_id", "recorded_at",
)
CANONICAL_KEYS = tuple(sorted(_HASHED_FIELDS))
"""The fields `canonical_encoding` writes, in its order (sorted keys): the audit's walk assembles
the same bytes from the stored columns (`ketnap.platform.chainwalk`)."""


def canonical_encoding(event: RecordedEvent | dict[str, Any], data_text: str | None = None) -> bytes:
    """The bytes the hash covers: every stored field but the hashes, in one fixed form.

    The position is included so that swapping two events breaks the chain even when their
    contents are alike; JSON keys are sorted because jsonb does not keep their order. The form is
    `json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` of the fields
    below (tests/unit/test_chain.py holds it to that); `CanonicalForm` builds it. `data_text`: the
    text of `data` that was hashed, as the log stores it beside the jsonb (`None`: encoded again).
    """
    fields = event if isinstance(event, dict) else {name: getattr(event, name) for name in _HASHED_FIELDS}
    form = CanonicalForm(
        fields["stream_id"], fields["actor"], fields["organisation"], fields["correlation_id"], fields["causation_id"],
        fields["recorded_at"],
    )
    # Not `dumps_data`: a hash is recomputed for whatever arrives (a forged message with NaN in
    # it must come out as a mismatch, not as an exception).
    if data_text is None:
        data_text = _data_text(fields["data"])
    return form.encode(fields["position"], fields["stream_version"], fields["event_id"], fields["event_type"], fields["schema_version"],
                       data_text)


# Encoders built once: `json.dumps` with any option builds a new encoder on every call, and the
# canonical form takes nine encodings an event (issue 21: a third of checking a link). The output
# is `json.dumps`'s with the same options.
_text = json.JSONEncoder(ensure_ascii=False).encode
_data_text = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_wire_text = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@functools.lru_cache(maxsize=1024)
def _type_text(event_type: str) -> str:
    return _text(event_type)


class CanonicalForm:
    """`canonical_encoding` of the events of one append, which share their stream, metadata and
    time: those fields are encoded once, and each event's data is the text stored in the log
    (`dumps_data`, sorted keys like the whole form), not encoded a second time. Appending 1,000
    events per call spent most of its time encoding each twice (issue 21). The template's keys
    are in sorted order, as `json.dumps(sort_keys=True)` writes them.
    """

    def __init__(
        self, stream_id: str, actor: str, organisation: str | None, correlation_id: Any, causation_id: Any, recorded_at: datetime
    ) -> None:
        correlation, causation = (_text(str(i) if i else None) for i in (correlation_id, causation_id))
        self._head = f'{{"actor":{_text(actor)},"causation_id":{causation},"correlation_id":{correlation},"data":'
        self._organisation = f',"organisation":{_text(organisation)},"position":'
        self._recorded_at = f',"recorded_at":{_text(_utc_text(recorded_at))},"schema_version":'
        self._stream_id = f',"stream_id":{_text(stream_id)},"stream_version":'

    def encode(self, position: int, stream_version: int, event_id: Any, event_type: str, schema_version: int, data_text: str) -> bytes:
        # A UUID's text is hex and hyphens, which JSON never escapes; a type's text is kept (a few dozen types).
        event_id_text = f'"{event_id}"' if isinstance(event_id, UUID) else _text(str(event_id))
        return (
            f'{self._head}{data_text},"event_id":{event_id_text},"event_type":{_type_text(event_type)}'
            f"{self._organisation}{position!r}{self._recorded_at}{schema_version!r}{self._stream_id}{stream_version!r}}}"
        ).encode()


def chain_hash(previous_hash: str, encoded: bytes) -> str:
    digest = hashlib.sha256()
    digest.update(previous_hash.encode("ascii"))
    digest.update(encoded)
    return digest.hexdigest()


class UnstableNumber(ValueError):
    """A number in an event's data that the log would not give back as it was hashed."""


def _unstable(number: float) -> bool:
    # jsonb keeps a number as `numeric`: NaN and infinities are not JSON, -0.0 comes back as 0.0,
    # and 1e+16 (Python's form from 1e16 up) comes back as the integer 10000000000000000, so
    # the canonical form recomputed from the stored row differs from the one hashed on append.
    return not math.isfinite(number) or (number == 0.0 and math.copysign(1.0, number) < 0) or "e+" in repr(number)


def unstable_number(value: Any, path: str = "data") -> tuple[str, float] | None:
    """The first number in `value` that does not survive the log's JSON (where, and what), or None."""
    pending: list[tuple[str, Any]] = [(path, value)]
    while pending:
        where, item = pending.pop()
        if isinstance(item, float):
            if _unstable(item):
                return where, item
        elif isinstance(item, dict):
            pending.extend((f"{where}.{key}", child) for key, child in item.items())
        elif isinstance(item, list | tuple):
            pending.extend((f"{where}[{index}]", child) for index, child in enumerate(item))
    return None


def refuse_unstable_numbers(data: dict[str, Any]) -> None:
    """Raise `UnstableNumber` naming the first number of `data` whose hash could not be recomputed
    from the stored event (NaN, ±Infinity, -0.0, 1e+16 and up in exponent form)."""
    if plain_json(data):
        # No float at all (the usual event): nothing to name, and the walk below, which builds
        # every item's path, cost a third of building a `NewEvent` (issue 21).
        return
    found = unstable_number(data)
    if found is not None:
        where, number = found
        raise UnstableNumber(
            f"Số {number!r} ở {where} không giữ nguyên khi lưu vào nhật ký (NaN, vô cực, -0.0 và số dạng mũ từ 1e16 "
            "không được ghi: mã băm của sự kiện sẽ không tính lại được); hãy ghi nó dưới dạng chuỗi hoặc số nguyên."
        )


def dumps_data(data: dict[str, Any]) -> str:
    """JSON text for the `data` column, in the same form the hash covers: `json.dumps` with sorted
    keys, no spaces and no escaped letters (`encode_sorted` writes it faster). The last guard before
    hashing: an unstable number (`UnstableNumber`) is refused here too, whatever built the event;
    only text that could hold one is walked, so an ordinary event costs one substring search."""
    try:
        text = encode_sorted(data)
    except ValueError:  # NaN or an infinity
        refuse_unstable_numbers(data)
        raise
    if "e+" in text or "-0.0" in text:
        refuse_unstable_numbers(data)
    return text


def to_wire(event: RecordedEvent, service: str, deployment: str) -> bytes:
    """The JetStream message body: the whole recorded event plus its origin."""
    body = event.to_json_dict()
    body["origin"] = {"service": service, "deployment": deployment}
    return _wire_text(body).encode("utf-8")


def from_wire(payload: bytes) -> tuple[RecordedEvent, dict[str, str]]:
    # orjson where it reads what json.loads reads (a float anywhere: the standard library's way):
    # every consumer decodes every message of its sources.
    body = decode_json(payload)
    if not isinstance(body, dict):
        raise ValueError("an event message is a JSON object")
    origin = body.pop("origin", {})
    return RecordedEvent.from_json_dict(body), origin


def new_recorded_at() -> datetime:
    # PostgreSQL keeps microseconds; truncating here makes the hashed value equal the stored one.
    return datetime.now(UTC)
