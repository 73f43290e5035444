"""Every field of every command and query has the Vietnamese name a refusal gives it
(`ketnap.platform.fields`): a message a person reads says «ngày hiệu lực», never `effective_from`."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel

from ketnap.platform.fields import FIELD_LABELS, field_label, labelled
from ketnap.platform.service import validation_error_body
from ketnap.services import all_services


def _models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models(arg)]


def _fields(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[str]:
    if model in seen:
        return set()
    seen.add(model)
    names = set(model.model_fields)
    for field in model.model_fields.values():
        for inner in _models(field.annotation):
            names |= _fields(inner, seen)
    return names


def test_every_field_a_service_accepts_has_a_vietnamese_name() -> None:
    seen: set[type[BaseModel]] = set()
    names = {name for service in all_services() for endpoint in [*service.commands, *service.queries] for name in _fields(endpoint.model, seen)}
    assert sorted(names - FIELD_LABELS.keys()) == []


def test_a_field_is_named_as_a_person_names_it_and_where_it_sits_in_a_list() -> None:
    assert field_label(("effective_from",)) == "«ngày hiệu lực»"
    assert field_label(("parts", 1, "code")) == "«mã tổ chức» ở mục 2 của «các phần chia tách»"
    assert field_label(("colour",)) == "«colour»"  # not ours: named as it was sent
    assert labelled(["actor", "scope"]) == "«người thực hiện», «phạm vi»"


def test_the_message_names_labels_and_the_problems_keep_the_fields() -> None:
    body = validation_error_body([
        {"loc": ("code",), "type": "missing", "msg": "Field required"},
        {"loc": ("effective_from",), "type": "date_parsing", "msg": "bad"},
    ])
    assert body.message == "Dữ liệu không hợp lệ ở trường: «mã tổ chức», «ngày hiệu lực»"
    assert [(p["field"], p["label"]) for p in body.details["problems"]] == [("code", "«mã tổ chức»"), ("effective_from", "«ngày hiệu lực»")]
