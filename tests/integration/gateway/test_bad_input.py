"""Bad input at the edge: a clear Vietnamese error with the right status, and nothing written."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from tests.integration.gateway.world import HELPERS, World

OPEN = {"cell": "CB-A1", "citizen_id": "001098012345", "full_name": "Nguyễn Thị Hoa", "opened_on": "2025-09-01",
        "helper_citizen_id": HELPERS["CB-A1"]}


@pytest.fixture
async def unchanged(world: World):  # noqa: ANN201
    """Every log's head is the same after the test as before it."""
    before = await world.heads()
    yield
    assert await world.heads() == before


def error_of(response, status: int, code: str) -> dict:  # noqa: ANN001
    assert response.status_code == status, response.text
    body = response.json()
    assert body["ok"] is False and body["error"]["code"] == code, body
    return body["error"]


async def test_a_missing_token_is_401(world: World, unchanged: None) -> None:
    response = await world.command(None, "dossiers", "open_dossier", OPEN)
    error = error_of(response, 401, "unauthenticated")
    assert error["message"].startswith("Chưa đăng nhập")
    assert response.headers["www-authenticate"] == "Bearer"
    assert (await world.query(None, "reporting", "audit_history", {"dossier_id": "x"})).status_code == 401


async def test_a_wrong_token_is_401(world: World, unchanged: None) -> None:
    genuine = world.tokens["bithu.a1"]
    for presented in ("abc", genuine[:-1] + ("A" if genuine[-1] != "A" else "B"), "ketnap.0000000000000000." + "x" * 43):
        response = await world.http.post("/api/v1/dossiers/commands/open_dossier", json=OPEN,
                                         headers={"Authorization": f"Bearer {presented}", "Idempotency-Key": "k-12345678"})
        assert error_of(response, 401, "unauthenticated")["message"] == "Mã truy cập không đúng."
    basic = await world.http.post("/api/v1/dossiers/commands/open_dossier", json=OPEN, headers={"Authorization": "Basic YTpi"})
    error_of(basic, 401, "unauthenticated")


async def test_malformed_json_is_422(world: World, unchanged: None) -> None:
    for content in (b'{"cell": "CB-A1",', b"\xff\xfe", b"NaN", b'{"cell": NaN}'):
        error = error_of(await world.command("bithu.a1", "dossiers", "open_dossier", content=content), 422, "validation")
        assert error["message"].startswith("Thân yêu cầu không phải JSON hợp lệ"), error
    error = error_of(await world.command("bithu.a1", "dossiers", "open_dossier", content=b"[1, 2]"), 422, "validation")
    assert error["message"].startswith("Thân yêu cầu phải là một đối tượng JSON")


async def test_wrong_types_and_unknown_fields_are_422_naming_the_fields(world: World, unchanged: None) -> None:
    wrong = error_of(await world.command("bithu.a1", "dossiers", "open_dossier", {**OPEN, "citizen_id": 1234, "opened_on": "hôm qua"}),
                     422, "validation")
    assert wrong["message"] == "Dữ liệu không hợp lệ ở trường: «số CCCD», «ngày vào danh sách cảm tình»"
    assert "1234" not in json.dumps(wrong) and "hôm qua" not in json.dumps(wrong), "the values given are not echoed"
    unknown = error_of(await world.command("bithu.a1", "dossiers", "open_dossier", {**OPEN, "colour": "đỏ"}), 422, "validation")
    assert unknown["message"] == "Dữ liệu không hợp lệ ở trường: «colour»"
    assert unknown["details"]["problems"][0]["problem"] == "extra_forbidden"
    filled = error_of(await world.command("bithu.a1", "dossiers", "open_dossier", {**OPEN, "actor": "thuongvu", "scope": "T01"}),
                      422, "validation")
    assert filled["message"].startswith("Trường «người thực hiện», «phạm vi» do hệ thống điền")
    assert filled["details"]["fields"] == ["actor", "scope"]
    query = error_of(await world.query("bithu.a1", "voting", "deadlines", {"organisation": ["CB-A1"]}), 422, "validation")
    assert query["message"] == "Dữ liệu không hợp lệ ở trường: «tổ chức đảng»"



ENGLISH = re.compile(r"\b(Field|required|Input|should|Value|valid|error|least|most|items|characters|after|validation)\b")


@pytest.mark.parametrize("hostile", [
    {},
    {**OPEN, "cell": ["CB-A1"], "citizen_id": None, "full_name": {"a": 1}, "opened_on": True},
    {**OPEN, "full_name": "a" * 20000},
    {**OPEN, "full_name": "", "citizen_id": "abc"},
    {**OPEN, "opened_on": "2024-02-31"},
    {**OPEN, "opened_on": "31/02/2024"},
    {**OPEN, "readmission": "có"},
])
async def test_every_problem_says_why_in_vietnamese(world: World, unchanged: None, hostile: dict) -> None:
    """A system's developer or a staffer reading the answer learns why each field was refused in
    Vietnamese, as the web form says it: never pydantic's English ("Field required")."""
    error = error_of(await world.command("bithu.a1", "dossiers", "open_dossier", hostile), 422, "validation")
    for problem in error["details"]["problems"]:
        assert problem["field"] and problem["detail"], problem
        assert not ENGLISH.search(problem["detail"]), problem

async def test_an_oversized_body_is_413(world: World, unchanged: None) -> None:
    big = {**OPEN, "full_name": "x" * (300 * 1024)}
    error = error_of(await world.command("bithu.a1", "dossiers", "open_dossier", big), 413, "too_large")
    assert error["message"] == "Thân yêu cầu quá lớn: tối đa 256 KiB."

    async def chunks():  # noqa: ANN202 - no Content-Length: counted while reading
        for _ in range(300):
            yield b" " * 1024

    streamed = await world.http.post("/api/v1/dossiers/commands/open_dossier", content=chunks(),
                                     headers=world.headers("bithu.a1", "k-12345678"))
    error_of(streamed, 413, "too_large")


async def test_a_missing_or_short_idempotency_key_is_400_naming_the_header(world: World, unchanged: None) -> None:
    for key in (None, "short"):
        error = error_of(await world.command("bithu.a1", "dossiers", "open_dossier", OPEN, key=key), 400, "bad_request")
        assert error["message"].startswith("Thiếu hoặc sai tiêu đề Idempotency-Key")
        assert error["details"] == {"header": "Idempotency-Key"}


@pytest.mark.parametrize("year", [0, 10000, False, "hai nghìn"])
async def test_a_year_a_date_cannot_hold_is_422_naming_the_field(world: World, unchanged: None, year: object) -> None:
    for name in ("quota", "stats", "ratings"):
        body = {"organisation": "T01", "year": year}
        error = error_of(await world.query("bantochuc", "reporting", name, body), 422, "validation")
        assert error["message"] == "Dữ liệu không hợp lệ ở trường: «năm»", (name, error)


async def test_deeply_nested_json_is_422_before_it_is_parsed(world: World, unchanged: None) -> None:
    deep = b'{"cell": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    error = error_of(await world.command("bithu.a1", "dossiers", "open_dossier", content=deep), 422, "validation")
    assert error["message"] == "Thân yêu cầu lồng nhau quá sâu: tối đa 64 cấp mảng và đối tượng."
    error_of(await world.http.post("/api/v1/reporting/queries/stats", content=b"[" * 5000,
                                   headers={**world.headers("bantochuc"), "Content-Type": "application/json"}), 422, "validation")
    # Brackets inside strings are text, not nesting.
    text = {**OPEN, "full_name": "[" * 5000}
    error = error_of(await world.command("bithu.a1", "dossiers", "open_dossier", text), 422, "validation")
    assert error["message"] == "Dữ liệu không hợp lệ ở trường: «họ và tên»"


async def test_unknown_paths_and_methods_answer_in_the_same_shape(world: World, unchanged: None) -> None:
    error_of(await world.http.post("/api/v1/dossiers/commands/khong_co", json={}), 404, "not_found")
    error_of(await world.http.get("/api/v1/dossiers/commands/open_dossier"), 405, "method_not_allowed")


async def test_a_revoked_token_stops_at_once(world: World) -> None:
    issued = (await world.operator("issue_token", login="bithu.a1", label="máy tính bảng"))["result"]
    world.tokens["tablet"] = issued["token"]
    assert (await world.query("tablet", "voting", "deadlines", {})).status_code == 200
    await world.operator("revoke_token", token_id=issued["token_id"])
    error = error_of(await world.query("tablet", "voting", "deadlines", {}), 401, "unauthenticated")
    assert error["message"] == "Mã truy cập đã bị thu hồi."
    assert (await world.query("bithu.a1", "voting", "deadlines", {})).status_code == 200, "the user's other tokens still work"


async def test_an_expired_token_stops(world: World) -> None:
    issued = (await world.operator("issue_token", login="bithu.a1", valid_days=1))["result"]
    world.tokens["day"] = issued["token"]
    assert (await world.query("day", "voting", "deadlines", {})).status_code == 200
    world.clock.shift = timedelta(days=1, seconds=1)
    try:
        error = error_of(await world.query("day", "voting", "deadlines", {}), 401, "unauthenticated")
        assert error["message"].startswith("Mã truy cập đã hết hạn")
    finally:
        world.clock.shift = timedelta(0)


async def test_a_disabled_user_loses_every_token(world: World) -> None:
    await world.operator("create_user", login="tam.thoi", display_name="Tạm Thời", role="cell_secretary", organisation="CB-A2")
    world.tokens["tam.thoi"] = (await world.operator("issue_token", login="tam.thoi"))["result"]["token"]
    world.tokens["tam.thoi.2"] = (await world.operator("issue_token", login="tam.thoi"))["result"]["token"]
    assert (await world.query("tam.thoi", "voting", "deadlines", {})).status_code == 200
    await world.operator("disable_user", login="tam.thoi", reason="nghỉ hưu")
    for login in ("tam.thoi", "tam.thoi.2"):
        assert error_of(await world.query(login, "voting", "deadlines", {}), 401, "unauthenticated")["message"] == "Tài khoản đã bị khóa."
    refused = await world.operator_reply("issue_token", login="tam.thoi")
    assert refused["error"]["code"] == "conflict"


async def test_an_alarm_number_beyond_any_alarm_is_422_naming_the_field(world: World, unchanged: None) -> None:
    """Found by the fuzzer: a number past PostgreSQL's bigint reached the database (500)."""
    for service in ("verification", "reporting"):
        response = await world.command("quantri", service, "acknowledge_alarm", {"alarm_id": 31273493336243291815936})
        assert error_of(response, 422, "validation")["message"] == "Dữ liệu không hợp lệ ở trường: «số cảnh báo»", response.text


async def test_a_nul_character_in_a_query_is_422_naming_the_field(world: World, unchanged: None) -> None:
    """PostgreSQL cannot hold U+0000 in text: a search for it was a 500 (the database's error)."""
    for service, query, body, field in (
        ("dossiers", "search", {"name": "Nguyễn\x00"}, "name"),
    ):
        error = error_of(await world.query("bantochuc", service, query, body), 422, "validation")
        assert [p["field"] for p in error["details"]["problems"]] == [field], error
        assert "U+0000" in error["details"]["problems"][0]["detail"], error
