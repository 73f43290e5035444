"""`ketnap report ...` and `ketnap audit history`: the CLI asks `reporting.query.<name>` over NATS,
prints a table and writes CSV and XLSX. A responder here forwards those subjects to the tests'
reporting service, which runs on a fresh schema (and so answers `<schema>.query.<name>`)."""

from __future__ import annotations

import csv
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from nats.aio.msg import Msg
from openpyxl import load_workbook

from tests.integration.harness import run_cli
from tests.integration.reporting.conftest import DISTRICT, World


@asynccontextmanager
async def forwarded(world: World) -> AsyncIterator[None]:
    async def forward(message: Msg) -> None:
        subject = world.reporting.name + message.subject.removeprefix("reporting")
        reply = await world.nc.request(subject, message.data, timeout=60)
        await message.respond(reply.data)

    subscription = await world.nc.subscribe("reporting.query.>", cb=forward)
    try:
        yield
    finally:
        await subscription.unsubscribe()


async def ketnap(world: World, *args: str, columns: int | None = None) -> tuple[int, str]:
    """The CLI's output, piped (rows unwrapped), or as a terminal `columns` wide would show it."""
    env = dict(os.environ, DATABASE_URL=world.database_url, NATS_URL=world.servers.nats_url)
    env.pop("COLUMNS", None)
    if columns:
        env["COLUMNS"] = str(columns)
    code, output, _ = await run_cli(env, *args, errors_in_output=True)
    return code, output


async def test_quota_as_a_table_and_in_csv_and_xlsx(world: World, tmp_path: Path) -> None:
    csv_file, xlsx_file = tmp_path / "chi-tieu.csv", tmp_path / "chi-tieu.xlsx"
    async with forwarded(world):
        code, output = await ketnap(world, "report", "quota", "--org", DISTRICT, "--year", "2025", "--csv", str(csv_file), "--xlsx", str(xlsx_file))
    assert code == 0, output
    assert "Chỉ tiêu kết nạp đảng viên: Huyện ủy Khánh Sơn (HUYEN-KS), năm 2025 (tình hình đến 20/11/2025)" in output
    assert any(line.split()[:1] == ["HUYEN-KS"] and "40,0" in line for line in output.splitlines())
    with csv_file.open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[1][:5] == ["Mã", "Tổ chức", "Chỉ tiêu", "Đã kết nạp", "Tỷ lệ (%)"]
    assert rows[2][:5] == ["HUYEN-KS", "Huyện ủy Khánh Sơn", "10", "4", "40.0"]
    sheet = load_workbook(xlsx_file).worksheets[0]
    assert [c.value for c in sheet[3]][:5] == ["HUYEN-KS", "Huyện ủy Khánh Sơn", 10, 4, 40.0]
    assert len(load_workbook(xlsx_file).worksheets) == 2


async def test_overdue_stats_and_audit_history(world: World, tmp_path: Path) -> None:
    async with forwarded(world):
        code, overdue = await ketnap(world, "report", "overdue", "--org", DISTRICT)
        assert code == 0, overdue
        code, stats = await ketnap(world, "report", "stats", "--org", DISTRICT, "--year", "2025", "--xlsx", str(tmp_path / "tk.xlsx"))
        assert code == 0, stats
        code, form = await ketnap(world, "report", "stats", "--org", DISTRICT, "--year", "2025", "--by-unit")
        assert code == 0, form
        code, history = await ketnap(world, "audit", "history", world.dossiers["D7"].id)
        assert code == 0, history
        code, narrow_history = await ketnap(world, "audit", "history", world.dossiers["D7"].id, columns=100)
        assert code == 0, narrow_history
        code, narrow_form = await ketnap(world, "report", "stats", "--org", DISTRICT, "--year", "2025", "--by-unit", columns=100)
        assert code == 0, narrow_form
        code, missing = await ketnap(world, "report", "quota", "--org", "KHONG-CO", "--year", "2025")
    assert "Thời hạn đã quá" in overdue and "14/11/2025" in overdue and "CEREMONY_30WD" in overdue
    assert "01/06/2026" not in overdue  # open, not overdue
    assert "Đảng viên mới: Huyện ủy Khánh Sơn (HUYEN-KS), năm 2025: 4 người" in stats
    assert "Biểu thống kê đảng viên mới kết nạp (bố cục theo biểu thống kê cơ bản của Ban Tổ chức Trung ương): Huyện ủy Khánh Sơn" in form
    assert next(line for line in form.splitlines() if line.startswith("HUYEN-KS")).split()[5] == "4"  # Tổng số
    assert "Quyết định kết nạp" in history and history.count("\n") > 20
    # A 100-column terminal: nothing runs past the edge, every event is there, hashes short, times local.
    for narrow, wide in ((narrow_history, history), (narrow_form, form)):
        assert max(len(line) for line in narrow.splitlines()) <= 100, narrow
        assert set(wide.split()) <= set(narrow.split()) | {w for w in wide.split() if len(w) > 8}, narrow
    assert "+00:00" not in history and not re.search(r"\b[0-9a-f]{64}\b", history)
    assert len(re.findall(r"\b\d{2}:\d{2}\b", narrow_history)) == len(re.findall(r"\b\d{2}:\d{2} ngày", history)) > 10  # local times
    assert code == 1 and "Lỗi (not_found): Không có tổ chức đảng mã «KHONG-CO»." in missing


async def test_no_reporting_service_answering(world: World) -> None:
    code, output = await ketnap(world, "report", "quota", "--org", DISTRICT, "--year", "2025")
    assert code == 1 and "Dịch vụ báo cáo không chạy" in output


async def test_quality_ratings_as_a_table_and_in_csv_and_xlsx(world: World, tmp_path: Path) -> None:
    csv_file, xlsx_file = tmp_path / "xep-loai.csv", tmp_path / "xep-loai.xlsx"
    async with forwarded(world):
        code, output = await ketnap(world, "report", "ratings", "--org", DISTRICT, "--year", "2024", "--csv", str(csv_file),
                                    "--xlsx", str(xlsx_file))
    assert code == 0, output
    assert "Xếp loại chất lượng đảng viên: Huyện ủy Khánh Sơn (HUYEN-KS), năm 2024" in output
    assert any(line.split()[:5] == ["HUYEN-KS", "Huyện", "ủy", "Khánh", "Sơn"] and "44,4" in line for line in output.splitlines())
    with csv_file.open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[1] == ["Mã", "Tổ chức", "Số đảng viên được xếp loại", "Hoàn thành xuất sắc nhiệm vụ", "Tỷ lệ (%)",
                       "Hoàn thành tốt nhiệm vụ", "Tỷ lệ (%)", "Hoàn thành nhiệm vụ", "Tỷ lệ (%)", "Không hoàn thành nhiệm vụ", "Tỷ lệ (%)"]
    assert rows[2] == ["HUYEN-KS", "Huyện ủy Khánh Sơn", "9", "3", "33.3", "4", "44.4", "1", "11.1", "1", "11.1"]
    assert rows[3][:3] == ["XA-BCB", "  Đảng ủy xã Ba Cụm Bắc", "3"]
    organisations = rows.index(["Xếp loại chất lượng tổ chức đảng: Huyện ủy Khánh Sơn (HUYEN-KS), năm 2024"])
    assert rows[organisations + 2][:4] == ["HUYEN-KS", "Huyện ủy Khánh Sơn", "Hoàn thành tốt nhiệm vụ", "8"]
    workbook = load_workbook(xlsx_file)
    assert len(workbook.worksheets) == 3
    assert [c.value for c in workbook.worksheets[0][3]][:5] == ["HUYEN-KS", "Huyện ủy Khánh Sơn", 9, 3, 33.3]


async def test_a_report_about_a_past_day_apart_from_what_had_been_recorded(world: World, tmp_path: Path) -> None:
    """`--on` is the day the report is about, `--as-recorded` the day up to which acts count, both
    written dd/mm/yyyy and passed as the API's `on` and `as_recorded`."""
    csv_file = tmp_path / "chi-tieu-15-04.csv"
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    about_april = await world.result("quota", organisation=DISTRICT, year=2025, on="2025-04-15")
    async with forwarded(world):
        code, april = await ketnap(world, "report", "quota", "--org", DISTRICT, "--year", "2025", "--on", "15/04/2025", "--csv", str(csv_file))
        assert code == 0, april
        code, recorded_today = await ketnap(world, "report", "quota", "--org", DISTRICT, "--year", "2025", "--on", "15/04/2025",
                                            "--as-recorded", f"{today:%d/%m/%Y}")
        assert code == 0, recorded_today
        code, recorded_before = await ketnap(world, "report", "quota", "--org", DISTRICT, "--year", "2025",
                                             "--as-recorded", f"{today - timedelta(days=1):%d/%m/%Y}")
    assert "năm 2025 (tình hình đến 15/04/2025)" in april
    with csv_file.open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[2][:4] == ["HUYEN-KS", "Huyện ủy Khánh Sơn", "10", str(about_april["achieved"])]
    assert about_april["achieved"] == 2  # D1 (10/03) and D3 (01/04) were decided by then; D2 (20/05) not yet
    assert f"Tính theo những gì đã ghi tới hết ngày {today:%d/%m/%Y}." in recorded_today
    assert "(tình hình đến 15/04/2025)" in recorded_today
    # Nothing of the district had been recorded by yesterday's end: a day out of range, named as such.
    yesterday = f"{today - timedelta(days=1):%d/%m/%Y}"
    assert code == 1 and f"Đến ngày {yesterday} hệ thống chưa ghi nhận gì về tổ chức đảng HUYEN-KS" in recorded_before
