"""The one verifier of the next link (ketnap.platform.chain): what it takes and what it names."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, datetime

import pytest

from ketnap.platform.bus.consumer import DecodedOnce
from ketnap.platform.chain import ChainRefused, Link, next_link
from ketnap.platform.envelope import GENESIS_HASH, RecordedEvent, canonical_encoding, chain_hash, from_wire, recorded_event, to_wire


def chained(count: int) -> list[RecordedEvent]:
    events, previous = [], GENESIS_HASH
    for position in range(1, count + 1):
        event = RecordedEvent(
            position, "s", position, uuid.uuid4(), "Counted", 1, {"n": position}, "officer-1", None, None, None,
            datetime(2027, 1, 1, tzinfo=UTC), previous, "",
        )
        event = dataclasses.replace(event, hash=chain_hash(previous, canonical_encoding(event)))
        events.append(event)
        previous = event.hash
    return events


def test_a_chain_is_taken_link_by_link_from_the_start() -> None:
    last = Link.start()
    for event in chained(3):
        last = next_link(last, event)
    assert last.position == 3


@pytest.mark.parametrize(
    ("change", "kind", "position"),
    [
        (lambda e: dataclasses.replace(e, data={"n": 99}), "altered", 2),
        (lambda e: dataclasses.replace(e, previous_hash="1" * 64), "broken_link", 2),
        (lambda e: dataclasses.replace(e, previous_hash=GENESIS_HASH, hash=GENESIS_HASH), "broken_link", 2),
        (lambda e: dataclasses.replace(e, position=3), "gap", 2),
    ],
    ids=["content changed", "other previous hash", "all-zero hashes", "a position skipped"],
)
def test_anything_but_the_next_link_is_refused_and_named(change, kind: str, position: int) -> None:
    first, second, _ = chained(3)
    with pytest.raises(ChainRefused) as refused:
        next_link(Link(1, first.hash), change(second))
    assert (refused.value.kind, refused.value.position) == (kind, position)


def test_a_rehashed_event_that_does_not_link_on_is_refused() -> None:
    first, second, _ = chained(3)
    other = dataclasses.replace(second, data={"n": 99}, previous_hash="2" * 64)
    forged = dataclasses.replace(other, hash=chain_hash(other.previous_hash, canonical_encoding(other)))
    with pytest.raises(ChainRefused) as refused:
        next_link(Link(1, first.hash), forged)
    assert refused.value.kind == "broken_link"


def test_the_last_position_again_with_another_hash_is_a_rewrite() -> None:
    first, *_ = chained(1)
    with pytest.raises(ChainRefused) as refused:
        next_link(Link(1, first.hash), dataclasses.replace(first, hash="3" * 64))
    assert (refused.value.kind, refused.value.position) == ("rewritten", 1)


def _reference_encoding(event: RecordedEvent) -> bytes:
    """The canonical form as first defined: json.dumps of the hashed fields, keys sorted."""
    body = {
        "position": event.position, "stream_id": event.stream_id, "stream_version": event.stream_version,
        "event_id": str(event.event_id), "event_type": event.event_type, "schema_version": event.schema_version,
        "data": event.data, "actor": event.actor, "organisation": event.organisation,
        "correlation_id": str(event.correlation_id) if event.correlation_id else None,
        "causation_id": str(event.causation_id) if event.causation_id else None,
        "recorded_at": event.recorded_at.astimezone(UTC).isoformat(timespec="microseconds"),
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize(
    ("organisation", "data", "actor", "caused"),
    [
        (None, {}, "officer-1", False),
        ("CB-01", {"z": 1, "a": {"y": [1, 2.5, None, True], "b": "Nguyễn \"Khai\"\n"}, "m": []}, "quản trị\\", True),
        ("ĐU-Ā", {"note": "x" * 300, "n": -12, "f": 1e-7, "big": 10**20}, "a\u2028b", True),
    ],
)
def test_the_canonical_form_is_the_sorted_json_of_the_hashed_fields(organisation: str | None, data: dict, actor: str, caused: bool) -> None:
    """The hash of every stored event depends on these bytes: building them faster must not change one."""
    event = RecordedEvent(
        123456789, "dossier-ā\"1", 42, uuid.uuid4(), "Sự kiện", 3, data, actor, organisation,
        uuid.uuid4() if caused else None, uuid.uuid4() if caused else None, datetime(2027, 1, 1, 7, 0, 0, 1234, tzinfo=UTC),
        GENESIS_HASH, "",
    )
    assert canonical_encoding(event) == _reference_encoding(event)


def test_an_event_decoded_once_for_every_consumer_of_a_process_skips_only_the_hash_it_passed() -> None:
    first, second = chained(2)
    decoded = DecodedOnce(size=1)
    payload = to_wire(second, "registry", "xa-a")
    event = decoded.decode(payload)
    assert decoded.decode(payload) is event and decoded.contents_checked(event)
    assert next_link(Link(1, first.hash), event, contents_checked=decoded.contents_checked(event)).position == 2
    # An altered copy is never taken as checked: each consumer recomputes its hash and refuses it.
    altered = decoded.decode(to_wire(dataclasses.replace(second, data={"n": 99}), "registry", "xa-a"))
    assert not decoded.contents_checked(altered)
    with pytest.raises(ChainRefused) as refused:
        next_link(Link(1, first.hash), altered, contents_checked=decoded.contents_checked(altered))
    assert refused.value.kind == "altered"
    # What falls out of the process's memory is checked again.
    decoded.decode(to_wire(first, "registry", "xa-a"))
    assert not decoded.contents_checked(event)


def test_an_event_built_from_typed_values_is_the_frozen_dataclass_the_constructor_builds() -> None:
    """`recorded_event` fills the slots without the frozen dataclass's `__init__` (issue 21): the
    same event, as immutable, and the stored data's JSON text decoded."""
    (event,) = chained(1)
    fields = [getattr(event, f.name) for f in dataclasses.fields(RecordedEvent)]
    built = recorded_event(*fields)
    assert type(built) is RecordedEvent and built == event
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.hash = "0" * 64  # type: ignore[misc]
    from_text = recorded_event(*fields[:6], '{"n": 1, "f": 1e-07, "big": 18446744073709551616}', *fields[7:])
    assert from_text.data == {"n": 1, "f": 1e-07, "big": 18446744073709551616} and type(from_text.data["big"]) is int
    assert dataclasses.replace(built, data={"n": 2}).data == {"n": 2}


def test_a_message_is_read_back_as_the_event_it_carries_floats_and_big_integers_as_json_reads_them() -> None:
    (event,) = chained(1)
    event = dataclasses.replace(event, data={"f": 0.1, "tiny": 1e-07, "big": 10**20, "list": [1.5, {"x": None}]})
    read, origin = from_wire(to_wire(event, "registry", "xa-a"))
    assert read == event and origin == {"service": "registry", "deployment": "xa-a"}
    assert repr(read.data) == repr(json.loads(json.dumps(event.data)))
