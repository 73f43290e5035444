"""Dossier work in the web application as plain HTML forms (no JavaScript), against the real
services: a page refuses what the API refuses for the same user; a form's key makes a double submit
one act; a refusal is shown where it happened with the form kept as typed; a conflict says who did
what and reloads the dossier."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html import unescape as html_unescape

import pytest

from tests.integration.gateway.webclient import PASSWORD, WebClient, hidden_fields, visible_text
from tests.integration.gateway.world import HELPERS, World

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture(scope="module", autouse=True)
async def passwords(world: World) -> None:
    for login in ("bithu.a1", "bithu.a2", "canbo.a", "bantochuc", "quantri"):
        await world.set_password(login, PASSWORD)


@pytest.fixture
async def as_cell(world: World) -> AsyncIterator[WebClient]:
    client = WebClient(world)
    await client.sign_in("bithu.a1")
    yield client
    await client.close()


async def written(world: World) -> dict[str, int]:
    """The services' logs' heads (the gateway's records each page read of a dossier)."""
    return {name: head for name, head in (await world.heads()).items() if name != "gateway"}


async def _open(browser: WebClient, name: str, citizen_id: str, form: dict[str, str] | None = None) -> str:
    fields = form or await browser.form("/ho-so/mo-moi")
    answer = await browser.post("/ho-so/mo-moi", {
        **fields, "cell": "CB-A1", "full_name": name, "citizen_id": citizen_id, "opened_on": "01/09/2025",
        "helper_citizen_id": HELPERS["CB-A1"],
    })
    assert answer.status_code == 303, visible_text(answer.text)
    found = re.fullmatch(r"/ho-so/([0-9a-f-]+)\?xong=mo-ho-so", answer.headers["location"])
    assert found, answer.headers["location"]
    return found.group(1)


async def test_a_page_refuses_what_the_api_refuses_for_the_same_user(world: World, as_cell: WebClient) -> None:
    dossier = await _open(as_cell, "Phạm Văn Cường", "001096000021")
    other_cell = WebClient(world)
    admin = WebClient(world)
    try:
        await other_cell.sign_in("bithu.a2")
        page = await other_cell.get(f"/ho-so/{dossier}")
        api = await world.query("bithu.a2", "dossiers", "dossier", {"dossier_id": dossier})
        assert (page.status_code, api.status_code) == (403, 403)
        assert "Không được phép" in visible_text(page.text) and "Phạm Văn Cường" not in page.text
        act = await other_cell.get(f"/ho-so/{dossier}/don-xin-vao-dang")
        assert act.status_code == 403
        await admin.sign_in("quantri")
        listing = await admin.get("/ho-so?q=pham")
        api_search = await world.query("quantri", "dossiers", "search", {"name": "pham"})
        assert (listing.status_code, api_search.status_code) == (403, 403)
        assert "Hồ sơ" not in [m for m in re.findall(r'<nav class="wrap menu".*?</nav>', (await admin.get("/viec-can-lam")).text, re.S)][0]
        heads = await world.heads()
        sent = await admin.post("/ho-so/mo-moi", {**await as_cell.form("/ho-so/mo-moi"), "cell": "CB-A1"})
        assert sent.status_code == 403  # not even this browser's form: the token is another's
        assert await world.heads() == heads
    finally:
        await other_cell.close()
        await admin.close()


async def test_opening_a_dossier_and_recording_the_letter(world: World, as_cell: WebClient) -> None:
    dossier = await _open(as_cell, "Hoàng Thị Dung", "001096000022")
    page = await as_cell.get(f"/ho-so/{dossier}?xong=mo-ho-so")
    text = visible_text(page.text)
    assert "Đã ghi: Đưa vào danh sách cảm tình Đảng" in text and "Hoàng Thị Dung" in text and "001096000022" in text
    assert "Trong danh sách cảm tình Đảng" in text and "Tổ chức CB-A1" in text
    letter = await as_cell.form(f"/ho-so/{dossier}/don-xin-vao-dang")
    answer = await as_cell.post(f"/ho-so/{dossier}/don-xin-vao-dang", {**letter, "submitted_on": "15/09/2025"})
    assert answer.status_code == 303 and answer.headers["location"] == f"/ho-so/{dossier}?xong=don-xin-vao-dang"
    after = visible_text((await as_cell.get(answer.headers["location"])).text)
    assert "Đã ghi: Nộp đơn xin vào Đảng" in after and "Đã nộp đơn xin vào Đảng" in after and "ngày 15/09/2025" in after
    assert "source_list" not in after and "application" not in after


async def test_a_double_submit_of_one_form_does_one_thing(world: World, as_cell: WebClient) -> None:
    form = await as_cell.form("/ho-so/mo-moi")
    first = await _open(as_cell, "Vũ Văn Em", "001096000023", form)
    second = await _open(as_cell, "Vũ Văn Em", "001096000023", form)
    assert first == second
    found = await world.query("bithu.a1", "dossiers", "search", {"citizen_id": "001096000023"})
    assert found.json()["result"]["total"] == 1


async def test_a_refusal_is_shown_where_it_happened_and_the_form_is_kept_as_typed(world: World, as_cell: WebClient) -> None:
    dossier = await _open(as_cell, "Đỗ Thị Giang", "001096000024")
    letter = await as_cell.form(f"/ho-so/{dossier}/don-xin-vao-dang")
    assert (await as_cell.post(f"/ho-so/{dossier}/don-xin-vao-dang", {**letter, "submitted_on": "15/09/2025"})).status_code == 303
    form = await as_cell.form(f"/ho-so/{dossier}/gioi-thieu")
    heads = await written(world)
    bad_date = await as_cell.post(f"/ho-so/{dossier}/gioi-thieu", {
        **form, "introducers.0.full_name": "Lý Văn Hùng", "introducers.0.citizen_id": HELPERS["CB-A1"],
        "introducers.0.introduced_on": "31/02/2025", "introducers.0.acquainted_since": "01/01/2020", "recorded_on": "20/09/2025",
    })
    assert bad_date.status_code == 422
    text = visible_text(bad_date.text)
    assert "Không có ngày 31/02/2025 trong lịch." in text
    assert 'value="31/02/2025"' in bad_date.text and 'value="Lý Văn Hùng"' in bad_date.text
    assert await written(world) == heads  # nothing was sent
    one_introducer = await as_cell.post(f"/ho-so/{dossier}/gioi-thieu", {
        **hidden_fields(bad_date.text), "introducers.0.full_name": "Lý Văn Hùng", "introducers.0.citizen_id": HELPERS["CB-A1"],
        "introducers.0.introduced_on": "16/09/2025", "introducers.0.acquainted_since": "01/01/2020", "recorded_on": "20/09/2025",
    })
    assert one_introducer.status_code == 422
    text = visible_text(one_introducer.text)
    assert "quy định INTRO_SET" in text and "cần hai đảng viên chính thức" in text
    assert 'value="Lý Văn Hùng"' in one_introducer.text and 'value="16/09/2025"' in one_introducer.text
    assert hidden_fields(one_introducer.text)["idempotency_key"] != form["idempotency_key"]  # a corrected form is judged anew
    assert await written(world) == heads


async def test_a_conflict_says_who_did_what_and_reloads_the_dossier(world: World, as_cell: WebClient) -> None:
    dossier = await _open(as_cell, "Mai Văn Hải", "001096000025")
    board = WebClient(world)
    try:
        await board.sign_in("canbo.a")
        mine = await as_cell.form(f"/ho-so/{dossier}/giay-chung-nhan")
        theirs = await board.form(f"/ho-so/{dossier}/don-xin-vao-dang")
        assert mine["expected_version"] == theirs["expected_version"] == "1"
        assert (await board.post(f"/ho-so/{dossier}/don-xin-vao-dang", {**theirs, "submitted_on": "10/09/2025"})).status_code == 303
        late = await as_cell.post(f"/ho-so/{dossier}/giay-chung-nhan", {
            **mine, "certificate_number": "123/GCN", "issued_on": "05/09/2025", "issued_by": "Trung tâm chính trị",
        })
        assert late.status_code == 409
        text = visible_text(late.text)
        assert "Hồ sơ vừa được người khác cập nhật" in text and "chưa được ghi" in text
        assert "Người dùng canbo.a: Nộp đơn xin vào Đảng" in text
        assert "Đã nộp đơn xin vào Đảng" in text  # the dossier as it is now
        status = await world.query("bithu.a1", "dossiers", "progress", {"dossier_id": dossier})
        assert status.json()["result"]["stream_version"] == 2  # the certificate was not recorded
    finally:
        await board.close()


async def test_a_former_member_is_opened_as_a_readmission_with_the_old_party_card(world: World, as_cell: WebClient) -> None:
    """READMIT on the opening form: a person who was a member before is declared so, with the day
    of the first admission and the old party card's number; it reaches the dossier's record."""
    form = await as_cell.form("/ho-so/mo-moi")
    dossier = await _open(as_cell, "Đỗ Văn Cựu", "001070000031", {
        **form, "readmission.first_admitted_on": "19/05/2000", "readmission.party_card_number": "12.345.678",
        "readmission.left_on": "01/06/2020", "readmission.left_for": "name_removed",
    })
    declared = (await world.query("bithu.a1", "dossiers", "dossier", {"dossier_id": dossier})).json()["result"]["readmission"]
    assert declared == {"left_on": "2020-06-01", "left_for": "name_removed", "conviction_cleared_on": None, "readmitted_before": False,
                        "first_admitted_on": "2000-05-19", "party_card_number": "12.345.678"}


async def test_a_cell_secretary_opens_a_dossier_in_their_cell_without_choosing_it(world: World, as_cell: WebClient) -> None:
    """A cell's secretary has one cell: the opening form has it chosen, not "Chọn…" refused with
    "Hãy chọn chi bộ"; the commune's staff, with several cells, chooses."""
    page = (await as_cell.get("/ho-so/mo-moi")).text
    assert re.search(r'<option value="CB-A1"[^>]*\bselected\b', page), re.findall(r"<option[^>]*>", page)
    staff = WebClient(world)
    try:
        await staff.sign_in("canbo.a")
        assert not re.search(r"<option value=\"CB-A[12]\"[^>]*\bselected\b", (await staff.get("/ho-so/mo-moi")).text)
    finally:
        await staff.close()


async def test_a_page_past_the_last_says_so_and_leads_back(world: World, as_cell: WebClient) -> None:
    """A bookmarked page 3 after dossiers were closed: not "Tìm thấy n hồ sơ" above nothing, but
    the page named empty and a link to the last page that has rows."""
    await _open(as_cell, "Đỗ Thị Trang", "001099077001")
    page = await as_cell.get("/ho-so?trang=999")
    words = visible_text(page.text)
    assert page.status_code == 200 and "Trang 999 không có hồ sơ nào" in words, words
    last = re.search(r'href="(/ho-so\?[^"]*trang=(\d+)[^"]*)"', page.text)
    assert last and int(last.group(2)) >= 1, page.text
    assert "Đỗ Thị Trang" in visible_text((await as_cell.get(html_unescape(last.group(1)))).text)


async def test_a_search_pasted_with_control_characters_still_searches(as_cell: WebClient) -> None:
    """A name pasted from another program may carry a NUL or a tab: the list searches the name,
    not a 422 page naming the API's field `name`."""
    page = await as_cell.get("/ho-so", params={"q": "Đỗ\x00 Thị\tTrang"})
    words = visible_text(page.text)
    assert page.status_code == 200 and "trường: name" not in words, words
