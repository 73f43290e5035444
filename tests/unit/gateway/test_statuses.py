"""The HTTP status of every reply comes from its error code, by one table."""

from __future__ import annotations

import pytest

from ketnap.services.gateway.statuses import status_of_code, status_of_reply


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("validation", 422), ("rule:AGE_MIN", 422), ("rule:CELL_2_3", 422), ("conflict", 409), ("forbidden", 403),
        ("not_found", 404), ("unavailable", 503), ("internal", 500), ("unauthenticated", 401), ("too_large", 413),
        ("method_not_allowed", 405), ("something_new", 500),
    ],
)
def test_each_error_code_has_its_status(code: str, status: int) -> None:
    assert status_of_code(code) == status


def test_a_reply_is_200_when_ok_and_its_codes_status_otherwise() -> None:
    assert status_of_reply({"ok": True, "stream_id": "dossier-1", "result": None}) == 200
    assert status_of_reply({"ok": False, "error": {"code": "conflict", "message": "…"}}) == 409
    assert status_of_reply({"ok": False}) == 500
