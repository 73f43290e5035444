"""The organisation pages and the printed papers in a real browser (Debian's Chromium, driven by
Playwright), against every real service: the tree today and on a past day, a unit's history,
members and classes, a registry command from its form and one refused, an import from a spreadsheet
(a dry run listing the bad row, then the import), and the papers of a dossier downloaded as DOCX and
opened with python-docx."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import docx
import pytest
from openpyxl import Workbook
from playwright.async_api import Page, expect

from ketnap.services.gateway.web.vietnamese import shown_date
from tests.integration.gateway.webclient import PASSWORD
from tests.integration.gateway.world import World
from tests.web.admitted import DECISION_NUMBER, admit, day, seat_committee
from tests.web.conftest import PHONE, screenshot
from tests.web.people import prepare_certified, seed_people, today
from tests.web.test_browser import sign_in

pytestmark = pytest.mark.asyncio(loop_scope="session")

NAME = "Hoàng Thị Duyên"


@pytest.fixture(scope="module")
async def admitted(world: World) -> str:
    for login in ("bithu.a1", "canbo.a", "bantochuc", "thuongvu", "kiemtra"):
        await world.set_password(login, PASSWORD)
    await seed_people(world)
    await seat_committee(world)
    await world.registry("establish_organisation", code="CB-A9", name="Chi bộ Thôn Chín", kind="cell", parent="DU-A",
                         effective_from="2005-01-01")
    await world.registry("rename_organisation", code="CB-A9", name="Chi bộ Thôn Chín Mới", effective_from="2024-01-01")
    await world.registry("record_class", class_id="NT-TEST-01", kind="awareness", organiser="DU-A", title="Lớp nhận thức khóa 1",
                         start_date="2024-03-04", end_date="2024-03-08", attendees=[{"citizen_id": "001095000051", "full_name": NAME}])
    await world.registry("assign_quota", organisation="DU-A", period=str(today().year), quantity=15, assigned_by="T01",
                         decision_date=f"{today().year}-01-05")
    dossier = await prepare_certified(world, NAME, "001095000051", ready=True)
    await admit(world, dossier)
    return dossier


async def test_the_tree_today_and_on_a_past_day(page: Page, world: World, admitted: str) -> None:
    await sign_in(page, world, "bantochuc")
    await page.get_by_role("navigation", name="Chức năng").get_by_role("link", name="Tổ chức").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Cây tổ chức")
    tree = page.get_by_role("list", name="Các tổ chức đảng")
    await expect(tree.get_by_role("link", name="Chi bộ Thôn Chín Mới")).to_be_visible()
    await screenshot(page, "to-chuc-cay")
    await page.get_by_label("Xem vào ngày").fill("01/06/2023")
    await page.get_by_role("button", name="Xem").click()
    await expect(page.locator(".as-of")).to_contain_text("Như ngày 01/06/2023")
    await expect(tree.get_by_role("link", name="Chi bộ Thôn Chín", exact=True)).to_be_visible()
    await page.get_by_label("Xem vào ngày").fill("31/02/2023")
    await page.get_by_role("button", name="Xem").click()
    await expect(page.locator(".field-error")).to_contain_text("Không có ngày 31/02/2023 trong lịch.")


async def test_a_units_page_history_members_and_classes(page: Page, world: World, admitted: str) -> None:
    await sign_in(page, world, "canbo.a")
    await page.goto(world.listener.url + "/to-chuc/DU-A")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Tổ chức DU-A")
    await expect(page.locator("#chi-tieu ~ table, section:has(#chi-tieu) table")).to_contain_text(f"Năm {today().year}")
    await expect(page.locator("section:has(#chi-tieu) table")).to_contain_text("15")
    await screenshot(page, "to-chuc-don-vi")
    await page.goto(world.listener.url + "/to-chuc/CB-A9/lich-su")
    rows = page.get_by_role("table").locator("tbody tr")
    await expect(rows.nth(0)).to_contain_text("01/01/2005")
    await expect(rows.nth(0)).to_contain_text("Thành lập")
    await expect(rows.nth(1)).to_contain_text("Đổi tên")
    await expect(rows.nth(1)).to_contain_text("Chi bộ Thôn Chín Mới")
    await page.goto(world.listener.url + "/to-chuc/DU-A/dang-vien")
    await expect(page.locator("section:has(#cap-uy) table")).to_contain_text("bí thư")
    await page.goto(world.listener.url + "/to-chuc/CB-A1/dang-vien")
    await expect(page.locator("section:has(#danh-sach) table")).to_contain_text(NAME)  # admitted: a probationary member
    await expect(page.locator("section:has(#danh-sach) table")).to_contain_text("Dự bị")
    await screenshot(page, "to-chuc-dang-vien")
    await page.goto(world.listener.url + "/to-chuc/DU-A/lop-boi-duong")
    await expect(page.get_by_role("heading", name="Lớp nhận thức khóa 1 (NT-TEST-01)")).to_be_visible()
    await expect(page.locator(".class-box table")).to_contain_text(NAME)


async def test_a_registry_command_from_its_form_and_one_the_role_may_not_send(page: Page, world: World, admitted: str) -> None:
    await sign_in(page, world, "bantochuc")
    await page.goto(world.listener.url + "/to-chuc/DU-A")
    await page.get_by_role("link", name="Thành lập tổ chức đảng trực thuộc").click()
    await page.get_by_label("Mã tổ chức").fill("CB-A7")
    await page.get_by_label("Tên tổ chức").fill("Chi bộ Thôn Bảy")
    await page.get_by_label("Loại tổ chức").select_option(label="Chi bộ")
    await page.get_by_label("Ngày có hiệu lực").fill("31/13/2025")
    await page.get_by_role("button", name="Ghi vào sổ tổ chức").click()
    await expect(page.get_by_role("alert")).to_contain_text("Ngày có hiệu lực")
    await page.get_by_label("Ngày có hiệu lực").fill(shown_date(today() - timedelta(days=1)))
    await screenshot(page, "to-chuc-thanh-lap")
    await page.get_by_role("button", name="Ghi vào sổ tổ chức").click()
    await expect(page.get_by_role("status")).to_contain_text("Đã ghi: Thành lập tổ chức đảng trực thuộc")
    await expect(page.locator("section:has(#truc-thuoc)").get_by_role("link", name="Chi bộ Thôn Bảy")).to_be_visible()
    await page.context.clear_cookies()
    await sign_in(page, world, "bithu.a1")
    response = await page.goto(world.listener.url + "/to-chuc/CB-A1/viec/doi-ten")
    assert response is not None and response.status == 403
    await expect(page.get_by_role("heading", level=1)).to_have_text("Không được phép")


async def test_the_papers_of_a_dossier_download_as_docx_with_its_names_dates_and_votes(page: Page, world: World, admitted: str) -> None:
    await sign_in(page, world, "canbo.a")
    await page.goto(world.listener.url + f"/ho-so/{admitted}")
    await page.get_by_role("link", name="Giấy tờ in của hồ sơ").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Giấy tờ của hồ sơ {NAME}")
    await expect(page.get_by_role("row", name="Mẫu 13-KNĐ")).to_contain_text("Chưa có")
    await screenshot(page, "giay-to-ho-so")
    texts = {}
    for code in ("6", "8", "9"):
        async with page.expect_download() as waiting:
            await page.locator(f"a[href$='/mau-{code}-knd.docx']").click()
        download = await waiting.value
        assert download.suggested_filename == f"mau-{code}-knd-{admitted}.docx"
        document = docx.Document(await download.path())
        texts[code] = "\n".join([p.text for p in document.paragraphs] + [c.text for t in document.tables for r in t.rows for c in r.cells])
    assert NAME in texts["6"] and f"Ngày {shown_date(day(28))}, Tổ chức CB-A1 đã họp" in texts["6"]
    assert "3 đồng chí tán thành (đạt 100,0 %" in texts["6"] and "Tổng số đảng viên chính thức được tính khi biểu quyết: 3 đồng chí" in texts["6"]
    assert f"Ngày {shown_date(day(25))}, Tổ chức DU-A đã họp" in texts["8"] and "Tổng số cấp ủy viên: 3 đồng chí" in texts["8"]
    assert f"Số {DECISION_NUMBER}" in texts["9"] and "BAN THƯỜNG VỤ TỔ CHỨC T01" in texts["9"] and NAME in texts["9"]
    await page.get_by_role("link", name="Xem Quyết định kết nạp đảng viên (Mẫu 9-KNĐ)").click()
    await expect(page.locator(".paper")).to_contain_text("ĐẢNG CỘNG SẢN VIỆT NAM")
    await expect(page.locator(".paper")).to_contain_text(f"Số {DECISION_NUMBER}")
    await screenshot(page, "giay-to-mau-9")
    await page.emulate_media(media="print")
    await expect(page.locator("header.site")).to_be_hidden()
    await page.emulate_media(media="screen")


async def test_the_register_of_probationary_members(page: Page, world: World, admitted: str) -> None:
    await sign_in(page, world, "canbo.a")
    await page.goto(world.listener.url + "/to-chuc/DU-A")
    await page.get_by_role("link", name="Sổ theo dõi đảng viên dự bị (Mẫu 18-KNĐ)").click()
    await expect(page.locator(".paper-table")).to_contain_text(NAME)
    await expect(page.locator(".paper-table")).to_contain_text(f"{DECISION_NUMBER}, {shown_date(day(20))}")
    async with page.expect_download() as waiting:
        await page.get_by_role("link", name="Tải về tệp DOCX").click()
    document = docx.Document(await (await waiting.value).path())
    rows = [[c.text for c in r.cells] for r in document.tables[1].rows]
    assert rows[1][1] == NAME and rows[1][3] == f"{DECISION_NUMBER}, {shown_date(day(20))}"


async def test_the_register_and_the_classes_read_on_a_phone(page: Page, world: World, admitted: str) -> None:
    """The register's sheet scrolls inside itself, not the page; a class says which unit opened it by name."""
    await page.set_viewport_size(PHONE)
    await sign_in(page, world, "canbo.a")
    for path in ("/giay-to/to-chuc/DU-A/mau-18-knd", "/to-chuc/DU-A/lop-boi-duong"):
        await page.goto(world.listener.url + path)
        wider = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert wider <= 0, (path, wider)
    await expect(page.locator("main")).to_contain_text("Lớp bồi dưỡng nhận thức về Đảng, do Tổ chức DU-A mở")


def spreadsheet(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(["record", "code", "name", "kind", "parent", "effective_from", "citizen_id", "full_name", "organisation", "status"])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


async def test_an_import_from_a_spreadsheet_dry_run_then_import(page: Page, world: World, admitted: str, tmp_path: Path) -> None:
    cell = ["tổ chức", "CB-A5", "Chi bộ Thôn Năm", "chi bộ", "DU-A", date(2020, 1, 1), None, None, None, None]
    member = ["đảng viên", None, None, "chính thức", None, "01/03/2021", "001090000061", "Vũ Thị Mai", "CB-A5", "active"]
    wrong = ["đảng viên", None, None, "chính thức", None, "01/03/2021", "12345", "Đinh Văn Sai", "CB-A5", "active"]
    await sign_in(page, world, "bantochuc")
    await page.goto(world.listener.url + "/to-chuc/DU-A")
    await page.get_by_role("link", name="Nhập dữ liệu tổ chức từ bảng tính").click()
    await page.get_by_label("Tệp dữ liệu").set_input_files(spreadsheet(tmp_path / "sai.xlsx", [cell, member, wrong]))
    await page.get_by_role("button", name="Kiểm tra tệp (chưa ghi gì)").click()
    await expect(page.get_by_role("alert")).to_contain_text("có 1 lỗi; chưa ghi gì")
    problems = page.locator("#loi-nhap tbody tr")
    await expect(problems).to_have_count(1)
    await expect(problems.first).to_contain_text("4")
    await expect(problems.first).to_contain_text("Số CCCD")
    await screenshot(page, "to-chuc-nhap-loi")
    await page.get_by_label("Tệp dữ liệu").set_input_files(spreadsheet(tmp_path / "dung.xlsx", [cell, member]))
    await page.get_by_role("button", name="Kiểm tra tệp (chưa ghi gì)").click()
    await expect(page.get_by_role("status").first).to_contain_text("Tệp hợp lệ: 1 tổ chức, 1 đảng viên")
    await page.get_by_role("button", name="Nhập 1 tổ chức, 1 đảng viên").click()
    await expect(page.get_by_role("status").first).to_contain_text("Đã nhập: 1 tổ chức, 1 đảng viên")
    await page.get_by_role("link", name="Xem Tổ chức DU-A").click()
    await expect(page.locator("section:has(#truc-thuoc)").get_by_role("link", name="Chi bộ Thôn Năm")).to_be_visible()
    await page.goto(world.listener.url + "/to-chuc/CB-A5/dang-vien")
    await expect(page.locator("section:has(#danh-sach) table")).to_contain_text("Vũ Thị Mai")
