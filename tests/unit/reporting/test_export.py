"""Reports as text tables, CSV and XLSX."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import load_workbook

from ketnap.operations.terminal import tables_text
from ketnap.services.reporting.export import TABLES, Table, exported, write_csv, write_xlsx
from ketnap.services.reporting.reports import REPORTS

QUOTA = {
    "code": "HUYEN-KS", "name": "Huyện ủy Khánh Sơn", "kind": "upper_committee", "quota": 540, "achieved": 622, "percent": 115.2,
    "in_progress": {"total": 2, "suspended": 0, "by_step": {"awaiting_decision": 2}}, "exists_on_status_day": True,
    "status_on": "2020-06-30", "period": "2015-2020", "period_kind": "term", "from": "2015-01-01", "to": "2019-12-31",
    "children_quota_total": 500,
    "children": [{"code": "XA-1", "name": "Xã 1", "kind": "grassroots_committee", "quota": None, "achieved": 0, "percent": None,
                  "in_progress": {"total": 0, "suspended": 0, "by_step": {}}, "exists_on_status_day": False}],
    "admissions": [{"dossier_id": "d-1", "cell": "CB-1", "decision_number": "1-QĐ/HU", "decision_date": "2019-05-02",
                    "decided_by": "HUYEN-KS", "counted_for": "XA-1", "rule_set": "2021"}],
}


def test_the_text_shows_vietnamese_dates_and_decimal_commas() -> None:
    text = tables_text(exported("quota", QUOTA))
    assert "Chỉ tiêu kết nạp đảng viên: Huyện ủy Khánh Sơn (HUYEN-KS), nhiệm kỳ 2015-2020 (tình hình đến 30/06/2020)" in text
    line = next(li for li in text.splitlines() if li.startswith("HUYEN-KS"))
    assert line.split() == ["HUYEN-KS", "Huyện", "ủy", "Khánh", "Sơn", "540", "622", "115,2", "2", "2", "0"]
    assert "02/05/2019" in text and "—" in text


def test_csv_keeps_raw_values_and_every_table(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    exported("quota", QUOTA, csv_path=path)
    with path.open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[2] == ["HUYEN-KS", "Huyện ủy Khánh Sơn", "540", "622", "115.2", "2", "2", "0"]
    assert rows[3][:4] == ["XA-1", "Xã 1", "", "0"]
    assert [] in rows and ["Quyết định kết nạp được tính"] in rows
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")


def test_xlsx_has_one_sheet_per_table(tmp_path: Path) -> None:
    path = tmp_path / "q.xlsx"
    tables = [Table("Thời hạn: a/b [c]", ["Mã", "Số"], [["x", 1], ["y", None]]), Table("Thời hạn: khác", ["Mã"], [])]
    write_xlsx(tables, path)
    book = load_workbook(path)
    assert [s.title for s in book.worksheets] == ["Thời hạn", "Thời hạn 2"]
    assert [[c.value for c in row] for row in book.worksheets[0].iter_rows()] == [
        ["Thời hạn: a/b [c]", None], ["Mã", "Số"], ["x", 1], ["y", None]
    ]
    assert book.worksheets[0]["A1"].font.bold


def test_empty_tables_say_so(tmp_path: Path) -> None:
    text = tables_text([Table("Địa bàn trắng", ["Mã", "Địa bàn"])])
    assert text.splitlines()[-1] == "(không có)"
    write_csv([Table("T", ["A"], [[True], [None]])], tmp_path / "t.csv")
    with (tmp_path / "t.csv").open(encoding="utf-8-sig") as handle:
        assert list(csv.reader(handle)) == [["T"], ["A"], ["True"], [""]]


def test_every_report_has_tables() -> None:
    assert set(TABLES) == {report.name for report in REPORTS} == {
        "quota", "stats", "stats_by_unit", "pipeline", "classes", "several_dossiers", "white_zones", "deadlines", "ratings", "audit_history"
    }
