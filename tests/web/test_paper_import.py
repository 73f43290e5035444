"""Taking over dossiers begun on paper from the web's import page (issue 18), in a real browser
against every real service: a workbook whose sheet is named «Hồ sơ đang làm», with Vietnamese
headers, is judged row by row by the services; a refused row is shown with its line, the column
header as the spreadsheet writes it and the rule code, and nothing is written; the corrected
workbook is taken over, and its dossiers stand in the dossier list at the steps the paper gives."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.async_api import Page, expect

from ketnap.services.gateway.web.vietnamese import shown_date
from tests.integration.gateway.webclient import PASSWORD
from tests.integration.gateway.world import HELPERS, World
from tests.web.conftest import screenshot
from tests.web.people import today
from tests.web.test_browser import sign_in

pytestmark = pytest.mark.asyncio(loop_scope="session")

HEADERS = ["Số CCCD", "Họ và tên", "Chi bộ", "Người giúp đỡ", "Ngày vào danh sách cảm tình", "Bước hiện tại", "Ngày làm đơn"]
NOT_A_MEMBER = "001080000099"
AT_SOURCE, AT_LETTER = ("001097000081", "Phan Văn Nguồn"), ("001097000082", "Lý Thị Đơn")


def workbook(path: Path, helper: str) -> Path:
    opened, letter = today() - timedelta(days=30), today() - timedelta(days=20)
    book = Workbook()
    sheet = book.active
    sheet.title = "Hồ sơ đang làm"
    sheet.append(HEADERS)
    sheet.append([*AT_SOURCE, "CB-A1", HELPERS["CB-A1"], opened, "trong danh sách cảm tình Đảng", None])
    sheet.append([*AT_LETTER, "CB-A1", helper, shown_date(opened), "đã nộp đơn xin vào Đảng", letter])
    book.save(path)
    return path


@pytest.fixture(scope="module")
async def board(world: World) -> str:
    await world.set_password("bantochuc", PASSWORD)
    return "bantochuc"


async def test_a_board_takes_over_paper_dossiers_from_a_workbook(page: Page, world: World, board: str, tmp_path: Path) -> None:
    await sign_in(page, world, board)
    await page.goto(world.listener.url + "/to-chuc/DU-A/nhap")
    await page.get_by_label("Tệp dữ liệu").set_input_files(workbook(tmp_path / "ho-so-sai.xlsx", NOT_A_MEMBER))
    await page.get_by_role("button", name="Kiểm tra tệp (chưa ghi gì)").click()
    await expect(page.get_by_role("alert")).to_contain_text("có 1 lỗi; chưa ghi gì")
    problems = page.locator("#loi-nhap tbody tr")
    await expect(problems).to_have_count(1)
    cells = problems.first.locator("td")
    await expect(cells.nth(0)).to_have_text("3")
    await expect(cells.nth(1)).to_have_text("Người giúp đỡ")  # the header, not helper_citizen_id
    await expect(cells.nth(3)).to_have_text("SOURCE_HELPER")  # the rule code, apart from the reason
    await screenshot(page, "to-chuc-nhap-ho-so-loi")
    await page.goto(world.listener.url + "/ho-so")
    await expect(page.locator("main")).not_to_contain_text(AT_SOURCE[1])  # nothing written, not even the good row

    await page.goto(world.listener.url + "/to-chuc/DU-A/nhap")
    await page.get_by_label("Tệp dữ liệu").set_input_files(workbook(tmp_path / "ho-so-dung.xlsx", HELPERS["CB-A1"]))
    await page.get_by_role("button", name="Kiểm tra tệp (chưa ghi gì)").click()
    await expect(page.get_by_role("status").first).to_contain_text("Hồ sơ hợp lệ: 2 hồ sơ đang làm")
    await page.get_by_role("button", name="Nhập 2 hồ sơ đang làm").click()
    await expect(page.get_by_role("status").first).to_contain_text("Đã tiếp nhận 2 hồ sơ đang làm từ hồ sơ giấy", timeout=60_000)
    await screenshot(page, "to-chuc-nhap-ho-so-xong")
    await page.get_by_role("link", name="Xem danh sách hồ sơ").click()
    for (_, name), step in ((AT_SOURCE, "trong danh sách cảm tình Đảng"), (AT_LETTER, "đã nộp đơn xin vào Đảng")):
        row = page.locator("main table tbody tr", has_text=name)
        await expect(row).to_have_count(1)
        await expect(row).to_contain_text(step, ignore_case=True)
