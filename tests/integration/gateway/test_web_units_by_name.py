"""The report and organisation pages as a province's organisation board reads them (plain HTTP, real
services): the unit picker follows the tree, a unit the registry gives by its code is shown by its
name, and the date is asked for in Vietnamese words."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from ketnap.domain.calendar import today_in_vietnam
from tests.conftest import eventually
from tests.integration.gateway.webclient import PASSWORD, WebClient, signed_in_as, visible_text
from tests.integration.gateway.world import World

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
async def board(world: World) -> AsyncIterator[WebClient]:
    async with signed_in_as(world, "bantochuc") as client:
        yield client


async def test_the_unit_picker_lists_each_unit_above_its_own_units(board: WebClient) -> None:
    """T01 > DU-A > CB-A1, CB-A2; T01 > DU-B > CB-B1: DU-A's cells come before DU-B, not after it."""
    page = await board.get("/bao-cao/tien-do")
    assert page.status_code == 200, visible_text(page.text)
    picker = page.text[page.text.index('<select id="don-vi"'):]
    picker = picker[: picker.index("</select>")]
    assert re.findall(r'<option value="([^"]+)"', picker) == ["T01", "DU-A", "CB-A1", "CB-A2", "DU-B", "CB-B1"]


async def test_a_report_table_names_the_units_and_keeps_each_rows_own_code(board: WebClient) -> None:
    page = await board.get("/bao-cao/dia-ban-trang")
    assert page.status_code == 200, visible_text(page.text)
    words = visible_text(page.text)
    # The cells without an admission: code, name, then the unit above by its name (not "DU-A").
    assert "CB-A1 Tổ chức CB-A1 Tổ chức DU-A" in words, words
    assert "CB-B1 Tổ chức CB-B1 Tổ chức DU-B" in words, words


async def test_the_report_day_is_asked_for_in_vietnamese(board: WebClient) -> None:
    page = await board.get("/bao-cao/chi-tieu")
    words = visible_text(page.text)
    assert "Viết dạng ngày/tháng/năm, ví dụ 05/09/2025; để trống là hôm nay." in words
    assert "dd/mm/yyyy" not in page.text



async def test_a_report_asked_on_a_day_that_is_not_one_says_it_could_not_be_shown(board: WebClient) -> None:
    """A report records nothing: its refusal is "not shown", never a form's "Chưa ghi được"."""
    page = await board.get("/bao-cao/chi-tieu?ngay=31/02/2024")
    words = visible_text(page.text)
    assert page.status_code == 422 and "Không có ngày 31/02/2024 trong lịch." in words, words
    assert "Chưa xem được báo cáo" in words and "Chưa ghi được" not in words, words

async def test_the_organisation_pages_name_the_units_they_refer_to(world: World, board: WebClient) -> None:
    await world.registry("register_locality", code="TH-A1", name="Thôn A Một", kind="thôn", organisation="DU-A", covered_by="CB-A1",
                         effective_from="2005-01-01")
    tree = visible_text((await board.get("/to-chuc")).text)
    assert "Thôn A Một thôn Tổ chức CB-A1" in tree, tree
    unit = visible_text((await board.get("/to-chuc/DU-A")).text)
    assert "Thôn A Một thôn Tổ chức CB-A1" in unit, unit
    history = visible_text((await board.get("/to-chuc/DU-A/lich-su")).text)
    assert "trực thuộc Tổ chức T01" in history, history


async def test_a_year_without_ratings_says_so_above_its_zeros(board: WebClient) -> None:
    page = await board.get("/bao-cao/xep-loai?nam=2024&ky=nam")
    assert page.status_code == 200, visible_text(page.text)
    assert ("Chưa có kết quả đánh giá, xếp loại chất lượng năm 2024 nào được ghi cho Tổ chức T01 và các tổ chức trực thuộc"
            in visible_text(page.text))


async def test_a_page_a_role_may_not_open_names_the_roles_that_may_not_the_apis_query(world: World) -> None:
    await world.set_password("bithu.a1", PASSWORD)
    cell = WebClient(world)
    try:
        await cell.sign_in("bithu.a1")
        page = await cell.get("/kiem-tra")
        words = visible_text(page.text)
        assert page.status_code == 403, words
        assert "Vai trò Bí thư chi bộ không xem hay làm được việc này; chỉ:" in words and "Ủy ban kiểm tra" in words, words
        assert "registry." not in words and "integrity_alarms" not in words, words
    finally:
        await cell.close()


async def test_home_without_a_quota_of_its_own_says_what_its_units_were_given(world: World, board: WebClient) -> None:
    """The province gave its communes quotas but has none itself: its home page says so, not only
    'chưa giao chỉ tiêu'."""
    year = today_in_vietnam().year  # the pages' today
    await world.registry("assign_quota", organisation="DU-A", period=str(year), quantity=4, assigned_by="T01", decision_date=f"{year}-01-05")

    async def shown() -> str | None:
        words = visible_text((await board.get("/viec-can-lam")).text)
        return words if "các tổ chức trực thuộc được giao tổng 4" in words else None

    words = await eventually(shown)
    at = words.index("Chỉ tiêu kết nạp")
    quota = words[at: words.index("Hồ sơ theo bước", at)]  # the page's words split at tags: "0 ;", "vị )"
    assert f"Năm {year} Đã kết nạp 0" in quota, quota
    assert "chưa giao chỉ tiêu cho đơn vị này (các tổ chức trực thuộc được giao tổng 4: xem từng đơn vị" in quota, quota
