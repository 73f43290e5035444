"""The reports' pieces that need no server: what a person types becomes the query (or the field's
problem), the charts carry their figures as text, and the downloads keep dates and numbers."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time

from openpyxl import load_workbook

from ketnap.services.gateway.access import Role
from ketnap.services.gateway.scope import Principal
from ketnap.services.gateway.web.charts import Bar, columns, horizontal_bars
from ketnap.services.gateway.web.downloads import CSV_DELIMITER, csv_bytes, xlsx_bytes
from ketnap.services.gateway.web.pages.reports import BY_SLUG, admissions_by_period, read_choice
from ketnap.services.gateway.web.session import SignedIn
from ketnap.services.reporting.values import Table

TODAY = date(2025, 11, 20)
HEADING = ["CHỈ TIÊU KẾT NẠP ĐẢNG VIÊN", "Đơn vị: Huyện ủy (H)", "Tình hình đến ngày 20/11/2025"]
TABLES = [
    Table("Chỉ tiêu: H", ["Mã", "Tổ chức", "Chỉ tiêu", "Tỷ lệ (%)", "Ngày quyết định"],
          [["H", "Huyện ủy Khánh Sơn", 1200, 40.5, "2025-10-01"], ["X", "Xã", None, None, ""]]),
    Table("Danh sách", ["Mã"], []),
]


def board() -> SignedIn:
    return SignedIn(Principal("bantochuc", Role.ORGANISATION_BOARD, "H"), "Ban tổ chức", "s", "c")


def test_the_choice_defaults_to_the_persons_unit_this_year_and_today() -> None:
    choice = read_choice(BY_SLUG["chi-tieu"], {}, board(), TODAY)
    assert choice.problems == {}
    assert choice.body(BY_SLUG["chi-tieu"], TODAY) == {"organisation": "H", "year": 2025}
    assert read_choice(BY_SLUG["tien-do"], {}, board(), TODAY).body(BY_SLUG["tien-do"], TODAY) == {"organisation": "H"}
    assert read_choice(BY_SLUG["qua-han"], {}, board(), TODAY).body(BY_SLUG["qua-han"], TODAY) == {"organisation": "H", "overdue_only": True}


def test_a_term_a_past_day_and_a_moment_become_the_querys_as_of() -> None:
    report = BY_SLUG["thong-ke"]
    choice = read_choice(report, {"ky": "nhiem-ky", "nhiem-ky": "2020 - 2025", "ngay": "5/9/2025"}, board(), TODAY)
    assert choice.body(report, TODAY) == {"organisation": "H", "term": "2020-2025", "as_of": "2025-09-05"}
    choice = read_choice(report, {"ngay": "20/11/2025", "gio": "17:30:15"}, board(), TODAY)
    assert choice.recorded_by == time(17, 30, 15)
    assert choice.body(report, TODAY)["as_of"] == datetime(2025, 11, 20, 17, 30, 15).isoformat() + "+07:00"


def test_what_is_wrong_is_named_by_its_field_in_vietnamese() -> None:
    choice = read_choice(BY_SLUG["chi-tieu"], {"ngay": "31/02/2025", "gio": "25:00", "nam": "20x5"}, board(), TODAY)
    assert choice.problems == {
        "ngay": "Không có ngày 31/02/2025 trong lịch.",
        "gio": "Giờ phải viết dạng giờ:phút, ví dụ 17:30 (có thể thêm giây: 17:30:15).",
        "nam": "Năm phải là bốn chữ số, ví dụ 2025.",
    }
    assert read_choice(BY_SLUG["chi-tieu"], {"ngay": "21/11/2025"}, board(), TODAY).problems == {"ngay": "Ngày báo cáo không được sau hôm nay."}
    assert read_choice(BY_SLUG["chi-tieu"], {"ky": "nhiem-ky", "nhiem-ky": "2025-2020"}, board(), TODAY).problems == {
        "nhiem-ky": "Nhiệm kỳ phải viết dạng năm đầu-năm cuối, ví dụ 2020-2025."}


def test_a_bar_against_its_whole_reads_achieved_of_assigned_with_the_share() -> None:
    svg = str(horizontal_bars("Chỉ tiêu", [Bar("Xã Ba Cụm <Bắc>", 3, 12, "25,0 %"), Bar("Xã khác", 2)]))
    assert "3 / 12 (25,0 %)" in svg and ">2<" in svg
    assert "&lt;Bắc&gt;" in svg and "<Bắc>" not in svg
    assert 'role="img"' in svg and "<title>Chỉ tiêu</title>" in svg and "style=" not in svg
    assert "Không có số liệu." in str(horizontal_bars("Trống", []))
    assert ">T3<" in str(columns("Theo tháng", [Bar("T3", 4)]))


def test_admissions_per_month_count_each_dossier_once() -> None:
    result = {"code": "H", "period": "2025", "period_kind": "year", "admissions": [
        {"dossier_id": "a", "decision_date": "2025-03-02", "counted_for": "X1"},
        {"dossier_id": "a", "decision_date": "2025-03-02", "counted_for": "H"},
        {"dossier_id": "b", "decision_date": "2025-11-30", "counted_for": "X2"},
    ]}
    assert [(b.label, b.value) for b in admissions_by_period(result) if b.value] == [("T3", 1), ("T11", 1)]
    term = {**result, "period": "2020-2025", "period_kind": "term"}
    assert [(b.label, b.value) for b in admissions_by_period(term)] == [("2020", 0), ("2021", 0), ("2022", 0), ("2023", 0), ("2024", 0)]


def test_xlsx_has_the_heading_real_dates_and_numbers_widths_and_a_frozen_header() -> None:
    book = load_workbook(io.BytesIO(xlsx_bytes(HEADING, TABLES)))
    sheet = book.worksheets[0]
    assert [sheet[f"A{i}"].value for i in (1, 2, 3)] == HEADING
    assert [c.value for c in sheet[5]] == TABLES[0].headers
    assert sheet.freeze_panes == "A6"
    assert sheet["C6"].value == 1200 and sheet["C6"].number_format == "#,##0"
    assert sheet["D6"].value == 40.5 and sheet["D6"].number_format == "0.0"
    assert sheet["E6"].is_date and sheet["E6"].value.date() == date(2025, 10, 1) and sheet["E6"].number_format == "DD/MM/YYYY"
    assert sheet["E7"].value is None
    assert sheet.column_dimensions["B"].width == len("Huyện ủy Khánh Sơn") + 2
    assert [s.title for s in book.worksheets] == ["Chỉ tiêu", "Danh sách"]


def test_csv_writes_as_the_screen_does() -> None:
    content = csv_bytes(HEADING, TABLES)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=CSV_DELIMITER))
    assert rows[:3] == [[line] for line in HEADING]
    assert rows[4:8] == [["Chỉ tiêu: H"], TABLES[0].headers, ["H", "Huyện ủy Khánh Sơn", "1200", "40,5", "01/10/2025"], ["X", "Xã", "", "", ""]]
