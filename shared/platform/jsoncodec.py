"""JSON decoding in one place, so a faster decoder can replace the standard one everywhere.

What arrives from outside (a NATS request, an HTTP body) is decoded with `decode_bounded`: its
nesting depth is bounded, so a hostile body of thousands of nested lists is refused as malformed
instead of exhausting the interpreter's recursion in the decoder or in the code that walks it.
"""

from __future__ import annotations

import json
from typing import Any

decode_json = json.loads

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
