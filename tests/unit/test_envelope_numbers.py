"""Numbers an event's data may not hold: those the log's jsonb would give back otherwise than they
were hashed, so that the chain could never be recomputed from the stored event (issue 16)."""

from __future__ import annotations

import json
import math

import pydantic
import pytest

from ketnap.platform.envelope import NewEvent, UnstableNumber, dumps_data

UNSTABLE = [
    ({"x": math.nan}, "data.x"),
    ({"x": math.inf}, "data.x"),
    ({"x": -math.inf}, "data.x"),
    ({"x": -0.0}, "data.x"),
    ({"x": 1e16}, "data.x"),
    ({"x": -2.5e20}, "data.x"),
    ({"scores": [1.0, {"deep": 1e300}]}, "data.scores[1].deep"),
]


@pytest.mark.parametrize(("data", "where"), UNSTABLE)
def test_an_event_with_an_unstable_number_is_refused_naming_where(data: dict, where: str) -> None:
    with pytest.raises(pydantic.ValidationError) as refused:
        NewEvent(event_type="Scored", data=data)
    message = str(refused.value)
    assert where in message
    assert "không giữ nguyên khi lưu vào nhật ký" in message


@pytest.mark.parametrize(("data", "where"), UNSTABLE)
def test_the_store_encoding_refuses_it_too_whatever_built_the_event(data: dict, where: str) -> None:
    # model_construct and model_copy skip validation: the append's own encoding is the last guard.
    event = NewEvent.model_construct(event_type="Scored", data=data)
    with pytest.raises(UnstableNumber, match=r"không giữ nguyên") as refused:
        dumps_data(event.data)
    assert where in str(refused.value)


@pytest.mark.parametrize(
    "data",
    [
        {"x": 0.0, "y": 0.1, "z": 1e-07, "big": 1e15, "ratio": 0.30000000000000004, "n": -3, "huge": 10**20},
        {"note": "a string may say e+16 or -0.0 or NaN", "list": ["-0.0", "1e+16"]},
    ],
)
def test_numbers_that_survive_are_kept_as_they_are(data: dict) -> None:
    event = NewEvent(event_type="Scored", data=data)
    assert json.loads(dumps_data(event.data)) == data
