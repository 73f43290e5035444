"""The HTTP status of a reply, from its error code: one table for every route."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

STATUS_BY_CODE: dict[str, int] = {
    "bad_request": 400,
    "validation": 422,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "too_large": 413,
    "internal": 500,
    "unavailable": 503,
}


def status_of_code(code: str) -> int:
    """`rule:<CODE>` is a refusal by a rule of the domain: the request was understood and is invalid."""
    if code.startswith("rule:"):
        return 422
    # A code nobody mapped is a bug somewhere: say so rather than pretend the request was wrong.
    return STATUS_BY_CODE.get(code, 500)


def status_of_reply(reply: Mapping[str, Any]) -> int:
    if reply.get("ok"):
        return 200
    return status_of_code(str((reply.get("error") or {}).get("code") or "internal"))
