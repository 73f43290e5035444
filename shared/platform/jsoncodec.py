"""JSON decoding in one place, so a faster decoder can replace the standard one everywhere.

The log's data (`decode_json`, `encode_sorted`) goes through orjson, several times faster than
the standard library, but only where orjson's result is the standard library's to the byte:
the hash chain covers the text `json.dumps` wrote, and a projection must see the values
`json.loads` gives. orjson writes floats in another form ("1e-7", not "1e-07") and reads an
integer beyond 64 bits as a float; so a value holding a float, or anything but plain dicts, lists,
strings, integers, booleans and null, takes the standard library's way (tests/unit/test_jsoncodec.py).

What arrives from outside (a NATS request, an HTTP body) is decoded with `decode_bounded`: its
nesting depth is bounded, so a hostile body of thousands of nested lists is refused as malformed
instead of exhausting the interpreter's recursion in the decoder or in the code that walks it.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_PLAIN = frozenset({str, int, bool, type(None)})
# NaN and the infinities are no JSON, and jsonb refuses them: refused here (ValueError), as orjson would not.
_sorted_encoder = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode
_SORT_KEYS = orjson.OPT_SORT_KEYS


def plain_json(value: dict[Any, Any] | list[Any]) -> bool:
    """Whether orjson writes (or read) `value` exactly as the standard library does: no float, no
    key but a string, nothing but the plain JSON types (so no number the log could change either:
    `envelope.refuse_unstable_numbers`). Recursion: data is a few levels deep."""
    if type(value) is dict:
        for key, item in value.items():
            kind = type(item)
            if type(key) is not str or (kind not in _PLAIN and not ((kind is dict or kind is list) and plain_json(item))):
                return False
        return True
    for item in value:
        kind = type(item)
        if kind not in _PLAIN and not ((kind is dict or kind is list) and plain_json(item)):
            return False
    return True


def decode_json(text: str | bytes) -> Any:
    """`json.loads(text)`, the same value, faster (a stored event's data, read by the million)."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:  # NaN, an exponent beyond a double: the standard library reads them
        return json.loads(text)
    kind = type(value)
    if kind is float or ((kind is dict or kind is list) and not plain_json(value)):
        return json.loads(text)  # a float (or an integer beyond 64 bits read as one), here or inside
    return value


def encode_sorted(value: Any) -> str:
    """`json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)`,
    to the byte, faster."""
    if type(value) is dict and plain_json(value):
        try:
            return orjson.dumps(value, option=_SORT_KEYS).decode()
        except orjson.JSONEncodeError:  # an integer beyond 64 bits, a lone surrogate
            pass
    return _sorted_encoder(value)

MAX_NESTING_DEPTH = 64
"""No command, query or log read of the domain nests deeper than a few levels."""


class MalformedJson(ValueError):
    """A body that is not JSON, not UTF-8, or nested deeper than `MAX_NESTING_DEPTH`."""


def encode_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def decode_bounded(data: bytes | str, max_depth: int = MAX_NESTING_DEPTH) -> Any:
    """The decoded value, or `MalformedJson` saying why not."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise MalformedJson(f"JSON lồng nhau quá {max_depth} tầng") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise MalformedJson("không phải JSON hợp lệ") from error
    # Nesting needs one bracket per level: a body with few brackets cannot be too deep (the usual case).
    brackets = data.count(b"[") + data.count(b"{") if isinstance(data, bytes) else data.count("[") + data.count("{")
    if brackets > max_depth and nesting_depth(value) > max_depth:
        raise MalformedJson(f"JSON lồng nhau quá {max_depth} tầng")
    return value


def nesting_depth(value: Any) -> int:
    """How many objects and lists deep `value` goes, walked without recursion."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in children)
    return deepest
