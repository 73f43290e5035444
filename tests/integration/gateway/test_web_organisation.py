"""The organisation pages as plain HTTP against the real services: reading names is a recorded
personal read, a unit's form sent on a stale version is a 409 with the form reloaded, and what the
access table refuses (the import for a cell secretary) is refused by the page too."""

from __future__ import annotations

import html
import io
import re
from collections.abc import AsyncIterator
from datetime import date

import pytest
from openpyxl import Workbook

from ketnap.services.gateway import events as gateway_events
from tests.integration.gateway.webclient import PASSWORD, WebClient, csrf_of, hidden_fields, visible_text
from tests.integration.gateway.world import World

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture(scope="module", autouse=True)
async def passwords(world: World) -> None:
    for login in ("bithu.a1", "bantochuc"):
        await world.set_password(login, PASSWORD)


@pytest.fixture
async def as_board(world: World) -> AsyncIterator[WebClient]:
    client = WebClient(world)
    await client.sign_in("bantochuc")
    yield client
    await client.close()


async def test_the_members_page_is_a_recorded_personal_read(world: World, as_board: WebClient) -> None:
    stream = gateway_events.searches_stream("bantochuc")
    before = len(await world.store("gateway").read_stream(stream))
    page = await as_board.get("/to-chuc/CB-A1/dang-vien")
    assert page.status_code == 200 and "Đảng viên Giúp Đỡ" in visible_text(page.text)
    recorded = (await world.store("gateway").read_stream(stream))[before:]
    assert [(r.event_type, r.data["read"], r.data["organisation"]) for r in recorded] == [
        ("PersonalDataSearched", "registry.members", "CB-A1"),
    ]


async def test_a_form_sent_on_a_stale_version_is_a_conflict_with_the_form_reloaded(world: World, as_board: WebClient) -> None:
    fields = await as_board.form("/to-chuc/CB-A2/viec/doi-ten")
    await world.registry("rename_organisation", code="CB-A2", name="Chi bộ Thôn Hai", effective_from="2020-01-01")
    answer = await as_board.post("/to-chuc/CB-A2/viec/doi-ten", {**fields, "name": "Chi bộ Thôn Hai Mới", "effective_from": "01/01/2021"})
    assert answer.status_code == 409
    assert "Tổ chức vừa được người khác cập nhật" in visible_text(answer.text)
    again = hidden_fields(answer.text)
    assert int(again["expected_version"]) > int(fields["expected_version"]) and again["idempotency_key"] != fields["idempotency_key"]
    done = await as_board.post("/to-chuc/CB-A2/viec/doi-ten", {**again, "name": "Chi bộ Thôn Hai Mới", "effective_from": "01/01/2021"})
    assert done.status_code == 303 and done.headers["location"] == "/to-chuc/CB-A2?xong=doi-ten"
    history = visible_text((await as_board.get("/to-chuc/CB-A2/lich-su")).text)
    assert "01/01/2020 Đổi tên Tên mới: Chi bộ Thôn Hai" in history and "01/01/2021 Đổi tên Tên mới: Chi bộ Thôn Hai Mới" in history


async def test_what_the_access_table_refuses_the_page_refuses(world: World) -> None:
    client = WebClient(world)
    try:
        await client.sign_in("bithu.a1")
        assert (await client.get("/to-chuc/CB-A1/nhap")).status_code == 403
        assert (await client.get("/to-chuc/DU-B")).status_code == 403  # outside the subtree
        unit = await client.get("/to-chuc/CB-A1")
        assert unit.status_code == 200 and "Cập nhật tổ chức" not in visible_text(unit.text)
        bad_day = await client.get("/to-chuc?ngay=31/02/2024")
        assert bad_day.status_code == 200 and "Không có ngày 31/02/2024 trong lịch." in visible_text(bad_day.text)
    finally:
        await client.close()


def _workbook_of_two_sheets() -> bytes:
    """What a board keeps: one sheet per kind, named by it, no «Loại dòng» column; a CCCD typed as a
    number, so Excel dropped its leading zeros."""
    book = Workbook()
    units = book.active
    units.title = "Tổ chức"
    units.append(["Mã tổ chức", "Tên", "Loại", "Tổ chức cấp trên", "Ngày hiệu lực"])
    units.append(["CB-A9", "Chi bộ Thôn Chín", "chi bộ", "DU-A", date(2020, 1, 1)])
    members = book.create_sheet("Đảng viên")
    members.append(["Số CCCD", "Họ và tên", "Loại", "Chi bộ", "Ngày hiệu lực", "Trạng thái"])
    members.append([1090000069, "Lò Thị Chín", "chính thức", "CB-A9", "01/03/2021", "active"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_the_web_import_reads_a_workbook_as_the_cli_import_does(world: World, as_board: WebClient) -> None:
    """One reader (the registry importer's `records_of`) for the CLI and the web: every sheet, a sheet
    named by its kind, a CCCD given its zeros back; the web once read only the first sheet, as CSV."""
    page = await as_board.get("/to-chuc/DU-A/nhap")
    workbook = _workbook_of_two_sheets()
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    checked = await as_board.http.post(
        "/to-chuc/DU-A/nhap", data={"csrf": csrf_of(page.text), "buoc": "kiem-tra"}, files={"tep": ("thon-chin.xlsx", workbook, xlsx)},
    )
    assert checked.status_code == 200, visible_text(checked.text)
    assert "Tệp hợp lệ: 1 tổ chức, 1 đảng viên" in visible_text(checked.text)
    fields = hidden_fields_of_import(checked.text)
    assert fields["encoding"] == "base64"
    written = await as_board.post("/to-chuc/DU-A/nhap", fields)
    assert written.status_code == 200 and "Đã nhập: 1 tổ chức, 1 đảng viên" in visible_text(written.text), visible_text(written.text)
    members = await world.query("bantochuc", "registry", "roster", {"organisation": "CB-A9", "on": "2025-01-01"})
    assert members.status_code == 200 and members.json()["result"]["official_count"] == 1, members.text
    assert await world.store("registry").read_stream("person-001090000069"), "the CCCD with its leading zeros"


def hidden_fields_of_import(text: str) -> dict[str, str]:
    """The hidden fields of the page's "Nhập" form (the checked file kept in the page)."""
    start = text.index('<input type="hidden" name="buoc" value="nhap">')
    form = text[text.rindex("<form", 0, start): text.index("</form>", start)]
    return {name: html.unescape(value) for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)}


async def test_a_unit_page_links_only_to_units_the_person_may_open(world: World) -> None:
    """A cell secretary's own cell names the committee above it, but as words: a link there
    would lead to a refusal (the committee lies outside the cell's subtree)."""
    client = WebClient(world)
    try:
        await client.sign_in("bithu.a1")
        unit = await client.get("/to-chuc/CB-A1")
        assert unit.status_code == 200 and "Trực thuộc" in visible_text(unit.text)
        for href in re.findall(r'href="(/to-chuc/[^"?]+)', unit.text):
            assert (await client.get(href)).status_code == 200, href
        board = WebClient(world)
        try:
            await board.sign_in("bantochuc")
            assert 'href="/to-chuc/DU-A"' in (await board.get("/to-chuc/CB-A1")).text  # the board reaches it
        finally:
            await board.close()
    finally:
        await client.close()
