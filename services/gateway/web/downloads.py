"""A report as a file to take away: XLSX for a spreadsheet, CSV for anything else.

The columns are reporting's own (`ketnap.services.reporting.values.TABLES`, the CLI exports the
same); what differs from the CLI's raw export is that these files are for people:
- XLSX: the report's title, unit and day on top, then each table; dates are real dates shown
  dd/mm/yyyy and figures real numbers (a spreadsheet sums them), columns as wide as their
  contents, the first table's header frozen, one sheet per table.
- CSV: the screen's way of writing: dates dd/mm/yyyy, decimals with a comma; fields separated by a
  semicolon (as spreadsheets set up for Vietnamese expect when the comma is the decimal mark),
  UTF-8 with a byte-order mark.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from ketnap.services.gateway.web.vietnamese import number
from ketnap.services.reporting.values import Table, Value, sheet_name
from ketnap.services.reporting.values import shown_value as table_value

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
CSV_DELIMITER = ";"
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_WIDTH = 60


def _day(value: Value) -> date | None:
    if isinstance(value, str) and _ISO_DAY.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def shown_value(value: Value, *, grouped: bool = False) -> str:
    """A table's value as the screen writes it (reporting's `shown_value`: dd/mm/yyyy, 12,5);
    `grouped`: 1.234 (on screen; a CSV keeps whole numbers bare so a spreadsheet reads them as numbers)."""
    if isinstance(value, int) and not isinstance(value, bool) and grouped:
        return number(value)
    return table_value(value)


def csv_bytes(heading: Sequence[str], tables: Sequence[Table]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_DELIMITER)
    for line in heading:
        writer.writerow([line])
    for table in tables:
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.headers)
        writer.writerows([[shown_value(v) for v in row] for row in table.rows])
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(heading: Sequence[str], tables: Sequence[Table]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for index, table in enumerate(tables, start=1):
        sheet = workbook.create_sheet(sheet_name(table.title, index, used))
        for line in heading:
            sheet.append([line])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append([table.title])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
        sheet.append(table.headers)
        header_row = sheet.max_row
        for cell in sheet[header_row]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in table.rows:
            sheet.append([_day(v) or (None if v == "" else v) for v in row])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, date):
                    cell.number_format = "DD/MM/YYYY"
                elif isinstance(cell.value, float):
                    cell.number_format = "0.0"
                elif isinstance(cell.value, int) and not isinstance(cell.value, bool):
                    cell.number_format = "#,##0"
        sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
        for column, header in enumerate(table.headers, start=1):
            longest = max([len(header), *(len(shown_value(row[column - 1])) for row in table.rows)])
            sheet.column_dimensions[get_column_letter(column)].width = min(max(longest + 2, 10), MAX_WIDTH)
    if not tables:
        workbook.create_sheet("Bao cao").append(list(heading[:1]))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()

