"""A file a person uploads for the registry's import, as the text the importer reads: a CSV or JSON
file as it is (UTF-8), a spreadsheet (XLSX, its first sheet) as CSV with the same rows, so every
problem the importer finds names the row the person sees in their spreadsheet."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime

from openpyxl import load_workbook

from ketnap.domain.spreadsheet import RECORD_ALIASES, cell_value, column_of
from ketnap.domain.values import normalised_text
from ketnap.services.gateway.web.vietnamese import shown_date

LIMIT_BYTES = 256 * 1024
"""What one import may carry (the registry's command goes over the bus in one message)."""


class NotReadable(ValueError):
    """The file cannot be read; the message says why, in Vietnamese."""


def text_of(name: str, raw: bytes) -> str:
    if not raw:
        raise NotReadable("Hãy chọn một tệp có dữ liệu.")
    if len(raw) > LIMIT_BYTES:
        raise NotReadable(f"Tệp quá lớn: tối đa {LIMIT_BYTES // 1024} KiB mỗi lần nhập; hãy chia tệp theo từng đảng bộ.")
    if name.lower().endswith(".xlsx"):
        return _sheet_as_csv(raw)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotReadable("Tệp CSV hoặc JSON phải lưu dạng UTF-8 (trong Excel: Lưu thành, chọn «CSV UTF-8»).") from None


def _cell(column: str, value: object) -> str:
    value = cell_value(column, value)  # as the shared reader reads it: a CCCD typed as a number gets its zeros back
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return shown_date(value)
    return " ".join(str(value).split())  # a line break inside a cell would shift the rows' numbers


def _sheet_as_csv(raw: bytes) -> str:
    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise NotReadable("Không đọc được tệp bảng tính (XLSX): tệp hỏng hoặc không phải XLSX.") from None
    try:
        sheet = workbook.worksheets[0]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        rows = sheet.iter_rows(values_only=True)
        header = list(next(rows, None) or [])
        columns = [column_of(h) for h in header]
        # A sheet named by its kind of rows ("Hồ sơ đang làm") needs no «Loại dòng» column; the CSV text does.
        kind = None if "record" in columns else RECORD_ALIASES.get(normalised_text(sheet.title).lower())
        writer.writerow((["Loại dòng"] if kind else []) + [_cell("", h) for h in header])
        for row in rows:
            cells = [_cell(c, v) for c, v in zip(columns, row, strict=False)]
            writer.writerow(([kind] if kind else []) + cells if any(cells) else [])
        return out.getvalue()
    finally:
        workbook.close()
