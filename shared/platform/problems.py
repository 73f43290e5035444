"""Why a field was refused, in Vietnamese: pydantic's error types turned into the sentence a person
reads in an API answer (`details.problems[].detail`). Pydantic's own messages are English
("Field required"); the values given are never repeated (they may be personal data)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_WHY: dict[str, str] = {
    "missing": "Thiếu trường này",
    "extra_forbidden": "Không có trường này trong lệnh",
    "string_type": "Phải là một chuỗi chữ",
    "string_too_short": "Cần ít nhất {min_length} ký tự",
    "string_too_long": "Dài quá: tối đa {max_length} ký tự",
    "string_pattern_mismatch": "Không đúng dạng",
    "too_short": "Cần ít nhất {min_length} ký tự hoặc mục",
    "too_long": "Dài quá: tối đa {max_length} ký tự hoặc mục",
    "int_type": "Phải là một số nguyên",
    "int_parsing": "Phải là một số nguyên",
    "int_from_float": "Phải là một số nguyên",
    "float_type": "Phải là một số",
    "float_parsing": "Phải là một số",
    "bool_type": "Phải là true hoặc false",
    "bool_parsing": "Phải là true hoặc false",
    "greater_than": "Phải lớn hơn {gt}",
    "greater_than_equal": "Không được nhỏ hơn {ge}",
    "less_than": "Phải nhỏ hơn {lt}",
    "less_than_equal": "Không được lớn hơn {le}",
    "literal_error": "Chỉ nhận một trong: {expected}",
    "enum": "Chỉ nhận một trong: {expected}",
    "list_type": "Phải là một danh sách",
    "tuple_type": "Phải là một danh sách",
    "set_type": "Phải là một danh sách",
    "dict_type": "Phải là một đối tượng JSON",
    "model_type": "Phải là một đối tượng JSON",
    "model_attributes_type": "Phải là một đối tượng JSON",
    "date_type": "Phải là một ngày, dạng YYYY-MM-DD",
    "date_parsing": "Phải là một ngày, dạng YYYY-MM-DD",
    "date_from_datetime_parsing": "Phải là một ngày, dạng YYYY-MM-DD",
    "datetime_type": "Phải là một thời điểm theo ISO 8601",
    "datetime_parsing": "Phải là một thời điểm theo ISO 8601",
    "uuid_type": "Phải là một UUID",
    "uuid_parsing": "Phải là một UUID",
    "none_required": "Phải để trống",
    "json_invalid": "Không phải JSON hợp lệ",
    "nul_character": "Dữ liệu chứa ký tự rỗng (U+0000), không thể lưu",
}
_PREFIXES = ("Value error, ", "Assertion failed, ")


def why(error: Mapping[str, Any]) -> str:
    """One pydantic error (`type`, `msg`, `ctx`) as a Vietnamese sentence. A validator's own
    message (value_error) is already Vietnamese: only pydantic's English prefix is taken off."""
    kind, context = str(error.get("type") or ""), dict(error.get("ctx") or {})
    if kind in ("value_error", "assertion_error"):
        message = str(context.get("error") or error.get("msg") or "")
        for prefix in _PREFIXES:
            message = message.removeprefix(prefix)
        return message or "Giá trị không hợp lệ"
    template = _WHY.get(kind)
    if template is None:
        return "Giá trị không hợp lệ"
    try:
        return template.format(**context)
    except (KeyError, IndexError):  # a context pydantic did not give: the sentence without the figure
        return template.split(":")[0].split(" {")[0]
