"""A `NewEvent` as the log receives it: its id a version-4 UUID like `uuid4`'s, its data a JSON
object with string keys, whichever way pydantic was spared (issue 21: plain data kept as given)."""

from __future__ import annotations

from types import MappingProxyType
from uuid import UUID

import pydantic
import pytest

from ketnap.platform.envelope import NewEvent, new_event_id


def test_an_event_id_is_a_random_version_4_uuid_equal_to_its_parsed_text() -> None:
    ids = [new_event_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for event_id in ids[:50]:
        assert event_id.version == 4
        assert event_id.variant == "specified in RFC 4122"
        again = UUID(str(event_id))
        assert again == event_id and hash(again) == hash(event_id)
    assert NewEvent(event_type="Noted", data={}).event_id != NewEvent(event_type="Noted", data={}).event_id


@pytest.mark.parametrize("data", [{1: "a"}, ["a"], "a", None])
def test_data_that_is_not_an_object_with_string_keys_is_refused(data: object) -> None:
    with pytest.raises(pydantic.ValidationError):
        NewEvent(event_type="Noted", data=data)


def test_a_mapping_is_taken_as_a_dict_and_plain_data_as_given() -> None:
    assert type(NewEvent(event_type="Noted", data=MappingProxyType({"a": 1})).data) is dict
    plain = {"a": [1, "x", None, True], "b": {"c": "d"}}
    assert NewEvent(event_type="Noted", data=plain).data == {"a": [1, "x", None, True], "b": {"c": "d"}}
