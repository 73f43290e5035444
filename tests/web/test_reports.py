"""The reports in a real browser (Debian's Chromium, driven by Playwright), against every real
service: a province's organisation board opens each report, sees its chart, downloads it as XLSX
and CSV, and the files hold the very figures the HTTP API answers for the same user."""

from __future__ import annotations

import asyncio
import csv
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.async_api import Page, expect

from ketnap.services.gateway.web.downloads import CSV_DELIMITER, shown_value
from ketnap.services.gateway.web.pages.reports import CHARTS, REPORTS, clock
from ketnap.services.gateway.web.vietnamese import VIETNAM
from ketnap.services.reporting.values import TABLES
from tests.integration.gateway.webclient import PASSWORD
from tests.integration.gateway.world import HELPERS, World
from tests.web.conftest import PHONE, screenshot
from tests.web.people import INTRODUCERS, prepare_certified, seed_people, today

pytestmark = pytest.mark.asyncio(loop_scope="session")

THIRD_MEMBER = "001080000032"
"""CB-A1's third official member: a cell votes with three at least (CELL_MIN3)."""


async def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
async def admitted(world: World) -> datetime:
    """One applicant of CB-A1 admitted 18 days ago (decision of T01), another waiting for the cell;
    the moment just before the decision was recorded."""
    await world.set_password("bantochuc", PASSWORD)
    await seed_people(world)
    await world.registry("register_member", citizen_id=THIRD_MEMBER, full_name="Lê Văn Ba", organisation="CB-A1", kind="official",
                         effective_from="2010-01-01")
    members = [HELPERS["CB-A1"], INTRODUCERS["CB-A1"][0], THIRD_MEMBER]
    for citizen_id in members:
        await world.registry("appoint_committee_member", organisation="DU-A", citizen_id=citizen_id, effective_from="2020-01-01")
    year = str(today().year)
    await world.registry("assign_quota", organisation="DU-B", period=year, quantity=3, assigned_by="T01", decision_date=f"{year}-01-05")
    await world.registry("assign_quota", organisation="DU-A", period=year, quantity=4, assigned_by="T01", decision_date=f"{year}-01-05")
    dossier = await prepare_certified(world, "Phạm Thị Hoa", "001095000051", ready=True)
    await prepare_certified(world, "Đỗ Văn Nam", "001095000052", ready=True)
    ballots = [{"citizen_id": c, "choice": "agree"} for c in members]
    meeting = today() - timedelta(days=28)  # the cell meeting prepare_certified announced
    await _ok(await world.command("bithu.a1", "voting", "record_cell_resolution", {
        "dossier_ids": [dossier], "cell": "CB-A1", "meeting_on": meeting.isoformat(), "ballots": ballots}))
    await _ok(await world.command("canbo.a", "voting", "record_grassroots_resolution", {
        "dossier_ids": [dossier], "organisation": "DU-A", "meeting_on": (meeting + timedelta(days=5)).isoformat(), "ballots": ballots}))
    before_decision = datetime.now(VIETNAM).replace(microsecond=0)
    await asyncio.sleep(1.1)  # the moment is typed to the second: the decision is recorded in a later one
    await _ok(await world.command("thuongvu", "voting", "decide_admission", {
        "dossier_id": dossier, "decided_by": "T01", "decision_date": (meeting + timedelta(days=10)).isoformat(), "admitted": True,
        "decision_number": "15-QĐ/TU"}))
    for _ in range(400):  # reporting follows the logs
        quota = await api(world, "quota", organisation="T01", year=today().year)
        stats = await api(world, "stats", organisation="T01", year=today().year)
        if quota["achieved"] == 1 and stats["admitted"] == 1:
            return before_decision
        await asyncio.sleep(0.05)
    raise AssertionError(f"reporting never counted the admission: {quota}")


async def api(world: World, query: str, **body: Any) -> dict[str, Any]:
    return (await _ok(await world.query("bantochuc", "reporting", query, body)))["result"]


API_BODY = {
    "quota": {"year": today().year}, "stats": {"year": today().year}, "pipeline": {}, "classes": {"year": today().year},
    "white_zones": {"years": 3}, "deadlines": {"overdue_only": True}, "ratings": {"year": today().year}, "several_dossiers": {},
}
"""What each report's page asks by default (the unit's own, this year, today)."""


async def sign_in(page: Page, world: World) -> None:
    await page.goto(world.listener.url + "/")
    await page.get_by_label("Tên đăng nhập").fill("bantochuc")
    await page.get_by_label("Mật khẩu").fill(PASSWORD)
    await page.get_by_role("button", name="Đăng nhập").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Việc cần làm")


async def download(page: Page, name: str, tmp_path: Path) -> Path:
    async with page.expect_download() as waiting:
        await page.get_by_role("link", name=name).click()
    got = await waiting.value
    path = tmp_path / got.suggested_filename
    await got.save_as(path)
    return path


def _xlsx_value(value: Any) -> Any:
    return value.date().isoformat() if hasattr(value, "date") and callable(value.date) else value


@pytest.mark.parametrize("report", REPORTS, ids=[r.slug for r in REPORTS])
async def test_a_board_opens_each_report_sees_its_chart_and_downloads_the_apis_figures(
    page: Page, world: World, admitted: datetime, report: Any, tmp_path: Path,
) -> None:
    await sign_in(page, world)
    await page.get_by_role("link", name="Báo cáo", exact=True).click()
    await page.get_by_role("link", name=report.title).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(report.title)
    await expect(page.get_by_label("Đơn vị", exact=True)).to_have_value("T01")
    await expect(page.get_by_label("Tình hình đến ngày")).to_have_value(f"{today():%d/%m/%Y}")
    expected = await api(world, report.query, organisation="T01", **API_BODY[report.query])
    if report.query in CHARTS:
        await expect(page.locator("figure.chart-box svg").first).to_be_visible()
    tables = TABLES[report.query](expected)

    workbook = load_workbook(await download(page, "Excel (XLSX)", tmp_path))
    sheets = workbook.worksheets[1:] if report.query == "stats" else workbook.worksheets
    assert len(sheets) == len(tables)
    for sheet, table in zip(sheets, tables, strict=True):
        assert sheet["A1"].value == report.title.upper()
        assert sheet["A2"].value.startswith("Đơn vị: Tổ chức T01 (T01)")
        assert sheet["A3"].value.startswith(f"Tình hình đến ngày {today():%d/%m/%Y}")
        assert [c.value for c in sheet[5]][: len(table.headers)] == table.headers
        assert sheet.freeze_panes == "A6"
        rows = [[_xlsx_value(c.value) for c in row][: len(table.headers)] for row in sheet.iter_rows(min_row=6)]
        assert rows == [[None if v == "" else v for v in r] for r in table.rows]
        for row in sheet.iter_rows(min_row=6):
            for cell in row:
                if isinstance(cell.value, date):
                    assert cell.number_format == "DD/MM/YYYY"

    with (await download(page, "CSV", tmp_path)).open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle, delimiter=CSV_DELIMITER))
    assert lines[0] == [report.title.upper()]
    for table in tables:
        at = lines.index([table.title])
        assert lines[at + 1] == table.headers
        assert lines[at + 2: at + 2 + len(table.rows)] == [[shown_value(v) for v in r] for r in table.rows]

    if report.query == "quota":
        chart = page.locator("svg.chart-quota")
        await expect(chart).to_contain_text("1 (chưa giao chỉ tiêu)")
        await expect(chart).to_contain_text("0 / 3 (0,0 %)")
        await expect(chart).to_contain_text("1 / 4 (25,0 %)")
        await expect(page.locator("svg.chart-months")).to_contain_text(f"T{(today() - timedelta(days=18)).month}")
        assert [_xlsx_value(c.value) for c in workbook.worksheets[0][6]][:5] == ["T01", "Tổ chức T01", None, 1, None]
        admissions = workbook.worksheets[1]
        headers = [c.value for c in admissions[5]]
        assert headers[:2] == ["Hồ sơ", "Họ và tên"] and admissions["B6"].value == "Phạm Thị Hoa"  # the board may read names
        decided = admissions.cell(6, headers.index("Ngày quyết định") + 1)
        assert decided.is_date and decided.value.date() == today() - timedelta(days=18)
        await expect(page.locator("table").filter(has_text="Họ và tên")).to_contain_text("Phạm Thị Hoa")
        # On the page the counted decision opens its dossier and names its units (the file keeps the codes).
        counted = page.locator("table", has=page.get_by_role("columnheader", name="Cấp quyết định"))
        await expect(counted.get_by_role("link", name="Mở hồ sơ")).to_have_attribute("href", re.compile(r"^/ho-so/[0-9a-f-]{36}$"))
        await expect(counted).to_contain_text("Tổ chức CB-A1")
        await expect(counted).to_contain_text("Tổ chức T01")
        await screenshot(page, "bao-cao-chi-tieu")
    if report.query == "stats":
        (form_table,) = TABLES["stats_by_unit"](await api(world, "stats_by_unit", organisation="T01", year=today().year))
        form = workbook.worksheets[0]
        assert [c.value for c in form[5]] == form_table.headers
        assert [[c.value for c in row] for row in form.iter_rows(min_row=6)] == form_table.rows
        figures = dict(zip(form_table.headers, form_table.rows[0], strict=True))
        assert figures["Mã"] == "T01" and figures["Tổng số"] == expected["admitted"] == 1
        assert figures["Nữ"] == 1 and figures["Dân tộc thiểu số"] == 0 and figures["Đoàn viên TNCS Hồ Chí Minh"] == 0
        assert figures["GDPT: trung học phổ thông"] == 1 and figures["CM: đại học"] == 1
        # The page shows the same form: every unit of T01's subtree, the admission counted in CB-A1 and those above it.
        rows = page.locator("table.form-table tbody tr")
        await expect(rows).to_have_count(len(form_table.rows))
        for index, row in enumerate(form_table.rows):
            await expect(rows.nth(index).locator("td").first).to_have_text(str(row[2]))
        assert {r[0]: r[2] for r in form_table.rows if r[2]} == {"T01": 1, "DU-A": 1, "CB-A1": 1}
        await expect(page.locator("svg.chart-breakdown").first).to_contain_text("nữ")
        await screenshot(page, "bao-cao-thong-ke")
    if report.query == "pipeline":
        await expect(page.locator("svg.chart-steps")).to_contain_text("Chờ chi bộ xét")
        await screenshot(page, "bao-cao-ho-so-theo-buoc")


async def test_as_recorded_by_a_moment_and_a_wrong_date(page: Page, world: World, admitted: datetime) -> None:
    """The business day is today; "as recorded by" the moment before the decision was recorded: the
    admission is not counted yet, as the API says for the same moment."""
    await sign_in(page, world)
    await page.goto(world.listener.url + "/bao-cao/chi-tieu")
    await page.get_by_label("Số liệu ghi nhận đến giờ").fill(f"{admitted:%H:%M:%S}")
    typed = clock(admitted.time())  # 17:30:15, or 17:30 on the minute
    await page.get_by_role("button", name="Xem báo cáo").click()
    expected = await api(world, "quota", organisation="T01", year=today().year, as_of=admitted.isoformat())
    assert expected["achieved"] == 0 and expected["children"][0]["quota"] == 4
    await expect(page.locator("svg.chart-quota")).to_contain_text("0 / 4 (0,0 %)")
    await expect(page.locator("section.report")).to_contain_text(
        f"Tình hình đến ngày {today():%d/%m/%Y}; số liệu ghi nhận đến {typed} ngày {today():%d/%m/%Y}")
    await page.get_by_label("Tình hình đến ngày").fill("31/02/2025")
    await page.get_by_role("button", name="Xem báo cáo").click()
    await expect(page.get_by_role("alert")).to_contain_text("Không có ngày 31/02/2025 trong lịch.")
    await expect(page.locator("svg.chart-quota")).to_have_count(0)


async def test_the_unit_picker_offers_only_the_persons_subtree(page: Page, world: World, admitted: datetime) -> None:
    await world.set_password("canbo.a", PASSWORD)
    await page.goto(world.listener.url + "/")
    await page.get_by_label("Tên đăng nhập").fill("canbo.a")
    await page.get_by_label("Mật khẩu").fill(PASSWORD)
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.goto(world.listener.url + "/bao-cao/tien-do")
    offered = await page.get_by_label("Đơn vị", exact=True).locator("option").evaluate_all("options => options.map(o => o.value)")
    assert sorted(offered) == ["CB-A1", "CB-A2", "DU-A"]
    response = await page.goto(world.listener.url + "/bao-cao/tien-do?don-vi=DU-B")
    assert response is not None and response.status == 422
    await expect(page.get_by_role("alert")).to_contain_text("Chọn một đơn vị trong phạm vi quản lý của bạn.")
    response = await page.goto(world.listener.url + "/bao-cao/tien-do/csv?don-vi=DU-B")
    assert response is not None and response.status == 422
    assert "Chọn một đơn vị trong phạm vi quản lý của bạn." in await page.content()


async def test_reporting_not_answering_is_a_vietnamese_503_page_not_a_file(page: Page, world: World, admitted: datetime) -> None:
    await sign_in(page, world)
    async with world.down("reporting"):
        response = await page.goto(world.listener.url + "/bao-cao/chi-tieu")
        assert response is not None and response.status == 503
        await expect(page.get_by_role("heading", level=1)).to_have_text("Hệ thống tạm thời chưa trả lời")
        response = await page.goto(world.listener.url + "/bao-cao/chi-tieu/xlsx")
        assert response is not None and response.status == 503
        assert response.headers["content-type"].startswith("text/html")
    await page.goto(world.listener.url + "/bao-cao/chi-tieu")
    await expect(page.locator("svg.chart-quota")).to_be_visible()


async def test_the_reports_need_no_sideways_scrolling_on_a_phone(page: Page, world: World, admitted: datetime) -> None:
    """Wide tables scroll inside their own box; the charts shrink to the screen."""
    await page.set_viewport_size(PHONE)
    await sign_in(page, world)
    for report in REPORTS:
        await page.goto(f"{world.listener.url}/bao-cao/{report.slug}")
        wider = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert wider <= 0, (report.slug, wider)
    await screenshot(page, "bao-cao-dien-thoai")
