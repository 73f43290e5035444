"""Reports as tables: read in a terminal (ketnap.operations.terminal), exported to CSV and XLSX (openpyxl).

Each report's result (the dict `reporting.query.<name>` answers) becomes a few titled tables with
Vietnamese headers. CSV and XLSX keep raw values (ISO dates, numbers with a decimal point) for
other programs; the terminal shows dates as dd/mm/yyyy.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from ketnap.services.reporting.classes import KINDS
from ketnap.services.reporting.new_members import FORM_COLUMNS, form_figures
from ketnap.services.reporting.pipeline import STEPS

Value = str | int | float | bool | None


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Value]] = field(default_factory=list)


def _unit(result: dict[str, Any]) -> str:
    return f"{result.get('name') or ''} ({result.get('code')})".strip()


def _period(result: dict[str, Any]) -> str:
    if "period" not in result:
        return ""
    kind = "nhiệm kỳ" if result.get("period_kind") == "term" else "năm"
    return f", {kind} {result['period']}"


def _day(iso: str) -> str:
    return shown_value(iso)


def _dossier_columns(rows: list[dict[str, Any]]) -> tuple[list[str], Callable[[dict[str, Any]], list[Value]]]:
    """The columns that name a dossier: its id, and the applicant's name when the report carries
    names (only for roles that may read them)."""
    if any("full_name" in row for row in rows):
        return ["Hồ sơ", "Họ và tên"], lambda row: [row["dossier_id"], row.get("full_name")]
    return ["Hồ sơ"], lambda row: [row["dossier_id"]]


def _progress(line: dict[str, Any]) -> list[Value]:
    pending = line["in_progress"]
    return [line["code"], line["name"], line["quota"], line["achieved"], line["percent"], pending["total"],
            pending["by_step"].get("awaiting_decision", 0), pending["suspended"]]


def quota_tables(result: dict[str, Any]) -> list[Table]:
    headers = ["Mã", "Tổ chức", "Chỉ tiêu", "Đã kết nạp", "Tỷ lệ (%)", "Hồ sơ đang xử lý", "trong đó chờ quyết định", "trong đó tạm dừng"]
    summary = Table(
        f"Chỉ tiêu kết nạp đảng viên: {_unit(result)}{_period(result)} (tình hình đến {_day(result['status_on'])})",
        headers,
        [_progress(result), *(_progress(c) for c in result["children"])],
    )
    if result.get("children_quota_total") is not None:
        summary.rows.append(["", "Tổng chỉ tiêu giao cho các tổ chức trực thuộc", result["children_quota_total"], None, None, None, None, None])
    dossier, who = _dossier_columns(result["admissions"])
    admitted = Table(
        "Quyết định kết nạp được tính",
        [*dossier, "Chi bộ", "Số quyết định", "Ngày quyết định", "Cấp quyết định", "Tính cho"],
        [[*who(a), a["cell"], a["decision_number"], a["decision_date"], a["decided_by"], a["counted_for"]]
         for a in result["admissions"]],
    )
    return [summary, admitted]


def stats_tables(result: dict[str, Any]) -> list[Table]:
    table = Table(
        f"Đảng viên mới: {_unit(result)}{_period(result)}: {result['admitted']} người",
        ["Tiêu chí", "Nhóm", "Số người", "Tỷ lệ (%)"],
    )
    for axis in result["axes"]:
        for value in axis["values"]:
            table.rows.append([axis["label"], value["label"], value["count"], value["percent"]])
    return [table]


STATS_FORM_TITLE = "Biểu thống kê đảng viên mới kết nạp (bố cục theo biểu thống kê cơ bản của Ban Tổ chức Trung ương)"


def stats_by_unit_tables(result: dict[str, Any]) -> list[Table]:
    """The statistics in the layout of the Central Organisation Commission's form (docs/reporting.md):
    a row per unit of the subtree (indented by depth), a count per column."""
    def name(unit: dict[str, Any]) -> str:
        ended = "" if unit["exists_on_status_day"] else " (đã kết thúc)"
        return "  " * unit["depth"] + (unit["name"] or unit["code"]) + ended

    return [
        Table(
            f"{STATS_FORM_TITLE}: {_unit(result)}{_period(result)} (tình hình đến {_day(result['status_on'])})",
            ["Mã", "Đơn vị", *(c[0] for c in FORM_COLUMNS)],
            [[u["code"], name(u), *form_figures(u)] for u in result["units"]],
        )
    ]


def pipeline_tables(result: dict[str, Any]) -> list[Table]:
    steps = result["steps"]
    by_unit = Table(
        f"Hồ sơ theo bước: {_unit(result)} (ngày {_day(result['status_on'])})",
        ["Mã", "Tổ chức", *(s["label"] for s in steps), "Tổng", "Tạm dừng"],
        [[line["code"], line["name"], *(line["by_step"][s["step"]] for s in steps), line["total"], line["suspended"]]
         for line in (result, *result["children"])],
    )
    spent = Table(
        "Thời gian ở từng bước",
        ["Bước", "Số hồ sơ", "Trung bình (ngày)", "Trung bình (ngày làm việc)", "Dài nhất (ngày làm việc)"],
        [[s["label"], s["dossiers"], s["average_days"], s["average_working_days"], s["max_working_days"]] for s in result["time_per_step"]],
    )
    rejections = Table(
        "Hồ sơ bị bác theo quy định", ["Mã quy định", "Nội dung", "Số hồ sơ"],
        [[r["rule"], r["label"], r["count"]] for r in result["rejections"]],
    )
    endings = Table("Hồ sơ đã kết thúc", ["Kết quả", "Số hồ sơ"], [[STEPS.get(step, step), n] for step, n in result["endings"].items()])
    return [by_unit, spent, rejections, endings]


def classes_tables(result: dict[str, Any]) -> list[Table]:
    kinds = Table(
        f"Lớp bồi dưỡng: {_unit(result)}{_period(result)}", ["Loại lớp", "Số lớp", "Số học viên", "Giấy chứng nhận"],
        [[k["label"], k["classes"], k["attendees"], k["certificates"]] for k in result["by_kind"]],
    )
    listed = Table(
        "Danh sách lớp", ["Mã lớp", "Loại", "Đơn vị mở lớp", "Từ ngày", "Đến ngày", "Học viên", "Giấy chứng nhận"],
        [[c["class_id"], KINDS.get(c["kind"], c["kind"]), c["organiser"], c["start_date"], c["end_date"], c["attendees"], c["certificates"]]
         for c in result["classes"]],
    )
    return [kinds, listed]


def white_zones_tables(result: dict[str, Any]) -> list[Table]:
    localities = Table(
        f"Địa bàn trắng: {_unit(result)} (ngày {_day(result['on'])})", ["Mã", "Địa bàn", "Thuộc", "Chi bộ phụ trách", "Lý do"],
        [[lo["code"], lo["name"], lo["organisation"], lo["covered_by"], lo["label"]] for lo in result["localities"]],
    )
    cells = Table(
        f"Chi bộ không kết nạp được đảng viên trong {result['years']} năm",
        ["Mã", "Chi bộ", "Trực thuộc", "Lần kết nạp gần nhất", "Thành lập"],
        [[c["code"], c["name"], c["parent"], c["last_admission_on"], c["established_on"]] for c in result["cells_without_admission"]],
    )
    return [localities, cells]


def deadlines_tables(result: dict[str, Any]) -> list[Table]:
    summary = Table(
        f"Thời hạn: {_unit(result)} (ngày {_day(result['on'])})", ["Mã", "Tổ chức", "Đang mở", "Quá hạn"],
        [[line["code"], line["name"], line["open"], line["overdue"]] for line in (result, *result["children"])],
    )
    title = "Thời hạn đã quá" if result.get("overdue_only") else "Các thời hạn đang mở"
    dossier, who = _dossier_columns(result["items"])
    items = Table(
        title, [*dossier, "Chi bộ", "Việc phải làm", "Mã quy định", "Bắt đầu", "Hạn", "Quá hạn (ngày làm việc)"],
        [[*who(i), i["cell"], i["label"], i["rule"], i["started_on"], i["due_on"], i["working_days_late"]] for i in result["items"]],
    )
    return [summary, items]


def ratings_tables(result: dict[str, Any]) -> list[Table]:
    """Members, then organisations: per unit (indented by depth) how many were rated, and each
    class's count and share."""
    classes = [band["label"] for band in result["scale"]]
    share_headers = [h for label in classes for h in (label, "Tỷ lệ (%)")]

    def shares(figures: dict[str, Any]) -> list[Value]:
        return [v for c in figures["by_class"] for v in (c["count"], c["percent"])]

    lines = [result, *result["units"]]
    members = Table(
        f"Xếp loại chất lượng đảng viên: {_unit(result)}, năm {result['year']}",
        ["Mã", "Tổ chức", "Số đảng viên được xếp loại", *share_headers],
        [[line["code"], "  " * line["depth"] + (line["name"] or ""), line["members"]["rated"], *shares(line["members"])]
         for line in lines],
    )
    organisations = Table(
        f"Xếp loại chất lượng tổ chức đảng: {_unit(result)}, năm {result['year']}",
        ["Mã", "Tổ chức", "Xếp loại của tổ chức", "Số tổ chức trực thuộc được xếp loại", *share_headers],
        [[line["code"], "  " * line["depth"] + (line["name"] or ""), line["rating"]["label"] if line["rating"] else None,
          line["organisations"]["rated"], *shares(line["organisations"])] for line in lines],
    )
    scale = Table(
        "Thang điểm", ["Loại", "Từ (điểm)", "Đến (điểm)"],
        [[band["label"], band["min_points"], band["max_points"]] for band in result["scale"]],
    )
    return [members, organisations, scale]


def several_dossiers_tables(result: dict[str, Any]) -> list[Table]:
    rows = [dossier for person in result["people"] for dossier in person["dossiers"]]
    headers, dossier = _dossier_columns(rows)
    table = Table(
        f"Người có hồ sơ đang mở ở hơn một nơi: {_unit(result)}, ngày {_day(result['status_on'])}",
        ["Người", *headers, "Mã chi bộ", "Chi bộ", "Bước"],
    )
    for number, person in enumerate(result["people"], start=1):
        for row in person["dossiers"]:
            table.rows.append([number, *dossier(row), row["cell"]["code"], row["cell"]["name"], row["step_label"]])
    return [table]


def audit_history_tables(result: dict[str, Any]) -> list[Table]:
    return [
        Table(
            f"Diễn biến hồ sơ {result['dossier_id']}",
            ["Thời điểm ghi", "Ngày", "Sự kiện", "Người ghi", "Tổ chức", "Bộ quy định", "Nhật ký", "Vị trí", "Mã băm"],
            [[e["recorded_at"], e["occurred_on"], e["label"], e["actor"], e["organisation"], e["rule_set"], e["log"], e["position"],
              e["hash"]] for e in result["events"]],
        )
    ]


TABLES: dict[str, Callable[[dict[str, Any]], list[Table]]] = {
    "quota": quota_tables,
    "stats": stats_tables,
    "stats_by_unit": stats_by_unit_tables,
    "pipeline": pipeline_tables,
    "classes": classes_tables,
    "several_dossiers": several_dossiers_tables,
    "white_zones": white_zones_tables,
    "deadlines": deadlines_tables,
    "ratings": ratings_tables,
    "audit_history": audit_history_tables,
}


# --- output ------------------------------------------------------------------------------------------

_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def shown_value(value: Value, *, empty: str = "") -> str:
    """A table's value as people read it (the terminal, the web page, the web's CSV): dates
    dd/mm/yyyy, one decimal with a comma, có/không; `empty` for no value. The raw exports (CSV and
    XLSX of the CLI) keep the values themselves for other programs."""
    if value is None:
        return empty
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    text = str(value)
    found = _ISO_DAY.match(text)
    return f"{found.group(3)}/{found.group(2)}/{found.group(1)}" if found else text


def write_csv(tables: list[Table], path: Path) -> None:
    """One file, the tables one after another, each under its title and separated by an empty
    row; UTF-8 with a byte-order mark so spreadsheet programs read the Vietnamese right."""
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        for index, table in enumerate(tables):
            if index:
                writer.writerow([])
            writer.writerow([table.title])
            writer.writerow(table.headers)
            writer.writerows([["" if v is None else v for v in row] for row in table.rows])


def write_xlsx(tables: list[Table], path: Path) -> None:
    """One sheet per table, titled; the title row in bold above the headers."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for index, table in enumerate(tables, start=1):
        name = sheet_name(table.title, index, used)
        sheet = workbook.create_sheet(name)
        sheet.append([table.title])
        sheet.append(table.headers)
        sheet["A1"].font = Font(bold=True)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(list(row))
    workbook.save(path)


def sheet_name(title: str, index: int, used: set[str]) -> str:
    # Excel: at most 31 characters, none of []:*?/\ and unique.
    base = re.sub(r"[\[\]:*?/\\]", " ", title.split(":")[0]).strip()[:28] or "Bang"
    name = base if base not in used else f"{base[:25]} {index}"
    used.add(name)
    return name


def exported(report: str, result: dict[str, Any], *, csv_path: Path | None = None, xlsx_path: Path | None = None) -> list[Table]:
    """The report's tables, written to the files asked for (the CLI shows them itself, as rich tables)."""
    tables = TABLES[report](result)
    if csv_path:
        write_csv(tables, csv_path)
    if xlsx_path:
        write_xlsx(tables, xlsx_path)
    return tables
