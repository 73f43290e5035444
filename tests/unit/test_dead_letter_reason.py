"""A dead letter says why an event could not be applied without repeating its personal data."""

from __future__ import annotations

import pydantic
import pytest

from ketnap.platform.bus.consumer import _reason


class Declared(pydantic.BaseModel):
    citizen_id: str = pydantic.Field(pattern=r"^\d{12}$")
    birth_date: pydantic.PastDate


def test_a_validation_failure_names_the_fields_not_their_values() -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        Declared.model_validate({"citizen_id": "Nguyễn 0012", "birth_date": "2999-01-01"})
    reason = _reason(caught.value)
    assert "citizen_id" in reason and "birth_date" in reason
    assert "Nguyễn" not in reason and "2999" not in reason
