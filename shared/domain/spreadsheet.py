"""Reading an import file (nhập từ bảng tính): an Excel workbook (.xlsx), CSV or JSON, with the column
headers boards type in Vietnamese, into records (line, kind, fields) and the problems of the file.

One reader for every import: the registry's (organisations, members, committees, localities,
admissions decided on paper), the taking over of dossiers begun on paper, the operator's command
and the web's import page all read a file the same way, so a problem names the same line and
column wherever the file was sent. What a record's fields mean is its importer's business.

Formats (docs/registry.md):
- CSV (UTF-8, comma or semicolon): a `record` column (`organisation`, `member`, `committee`,
  `locality`, `dossier`, `relative`; or `tổ chức`, `đảng viên`, `cấp ủy`, `địa bàn`, `hồ sơ đang
  làm`, `người thân`) and the columns of that record; blank cells are absent values.
- JSON: {"organisations": [...], "members": [...], ...}, each item an object with the same fields;
  lines are those where the item starts.
- Excel: a header row per sheet; a sheet named by its record kind needs no `record` column.
Headers may be Vietnamese (`COLUMN_ALIASES`); `column_header` names a field back the same way.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl

from ketnap.domain.values import normalised_text


@dataclass(frozen=True, order=True)
class Problem:
    """One bad row: where, which field, why (in Vietnamese)."""

    line: int
    field: str
    reason: str
    code: str = ""
    """A service's refusal: its code (`rule:<CODE>`, `validation`, ...), as the reason's «[CODE]» says to a person."""



@dataclass(frozen=True)
class Record:
    line: int
    record: str
    fields: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict, compare=False)
    """Each field's column header as the file writes it: a problem is shown under the header the
    person sees in their spreadsheet (`column_header`), not the field's name."""



def labelled(labels: dict[Any, str] | dict[str, Any], reverse: bool = True) -> Callable[[Any], Any]:
    """Accept a Vietnamese label ("chi bộ", "dự bị") as well as the code ("cell", "probationary"):
    `labels` maps codes to labels, or (`reverse=False`) labels to codes. Every import reads its
    spreadsheet's choices with it (also the dossiers taken over from paper)."""
    table = {normalised_text(v).lower(): k for k, v in labels.items()} if reverse else dict(labels)

    def accept(value: Any) -> Any:
        if isinstance(value, str):
            key = normalised_text(value).lower()
            return table.get(key, key)
        return value

    return accept


KIND_MESSAGE = "Loại dòng phải là tổ chức, đảng viên, kết nạp trên giấy, cấp ủy, địa bàn, hồ sơ đang làm hoặc người thân"
RECORD_ALIASES = {
    "organisation": "organisation", "tổ chức": "organisation", "organisations": "organisation",
    "member": "member", "đảng viên": "member", "members": "member",
    "paper_admission": "paper_admission", "paper_admissions": "paper_admission", "kết nạp trên giấy": "paper_admission",
    "committee": "committee", "cấp ủy": "committee", "committees": "committee",
    "locality": "locality", "địa bàn": "locality", "localities": "locality",
    "dossier": "dossier", "dossiers": "dossier", "hồ sơ đang làm": "dossier", "hồ sơ giấy": "dossier",
    "tiếp nhận hồ sơ giấy": "dossier",
    "relative": "relative", "relatives": "relative", "người thân": "relative",
}


def reason_of(error: dict[str, Any]) -> str:
    """A pydantic error in Vietnamese."""
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind == "missing":
        return "bắt buộc, đang để trống"
    if kind == "extra_forbidden":
        return "trường này không dùng cho loại dòng này"
    if kind == "value_error":
        return str(context.get("error") or error["msg"]).removeprefix("Value error, ")
    if kind == "enum":
        return f"phải là một trong: {str(context.get('expected', '')).replace(' or ', ' hoặc ')}"
    if kind == "string_too_long":
        return f"dài quá {context.get('max_length')} ký tự"
    if kind == "string_too_short":
        return "không được để trống"
    if kind.startswith("int_"):
        return "phải là số nguyên"
    if kind.startswith("date_"):
        return "ngày không hợp lệ (YYYY-MM-DD hoặc dd/mm/yyyy)"
    if kind == "string_type":
        return "phải là chuỗi ký tự"
    return "giá trị không hợp lệ"


COLUMN_ALIASES = {
    "loại dòng": "record", "loại bản ghi": "record", "bản ghi": "record",
    "mã": "code", "mã tổ chức": "code", "mã địa bàn": "code",
    "tên": "name", "tên tổ chức": "name", "tên địa bàn": "name",
    "loại": "kind", "loại tổ chức": "kind", "loại đảng viên": "kind", "loại địa bàn": "kind",
    "cấp trên": "parent", "tổ chức cấp trên": "parent",
    "từ ngày": "effective_from", "ngày hiệu lực": "effective_from", "ngày bắt đầu": "effective_from",
    "số quyết định": "decision_number", "số qđ": "decision_number",
    "ngày quyết định": "decision_date", "ngày quyết định kết nạp": "decision_date",
    "cấp ủy quyết định": "decided_by", "cấp ra quyết định": "decided_by",
    "ngày lễ kết nạp": "ceremony_on", "lễ kết nạp": "ceremony_on",
    "số cccd": "citizen_id", "cccd": "citizen_id", "số định danh": "citizen_id", "số định danh cá nhân": "citizen_id",
    "họ và tên": "full_name", "họ tên": "full_name",
    "tổ chức": "organisation", "tổ chức đảng": "organisation", "chi bộ": "organisation",
    "trạng thái": "status", "ngày kết nạp": "admitted_on",
    "ngày chính thức": "official_since", "ngày công nhận chính thức": "official_since",
    "chức vụ": "role", "do chi bộ phụ trách": "covered_by", "chi bộ phụ trách": "covered_by",
    # dossiers in progress taken over from paper (ketnap.services.gateway.paper_dossiers)
    "bước hiện tại": "step", "bước": "step",
    "người giúp đỡ": "helper_citizen_id", "cccd người giúp đỡ": "helper_citizen_id",
    "ngày vào danh sách cảm tình": "opened_on", "ngày mở hồ sơ": "opened_on",
    "số giấy chứng nhận": "class_certificate_number", "số giấy chứng nhận lớp nhận thức": "class_certificate_number",
    "ngày cấp giấy chứng nhận": "class_issued_on", "nơi cấp giấy chứng nhận": "class_issued_by",
    "ngày làm đơn": "letter_on", "ngày đơn xin vào đảng": "letter_on",
    "ngày khai lý lịch": "declared_on", "ngày sinh": "birth_date", "giới tính": "gender", "dân tộc": "ethnicity",
    "tôn giáo": "religion", "nghề nghiệp": "occupation", "trình độ phổ thông": "general_education",
    "trình độ chuyên môn": "professional_qualification", "đoàn viên": "youth_union_member",
    "có tổ chức đoàn": "youth_union_exists",
    "cccd người giới thiệu 1": "introducer_1_citizen_id", "người giới thiệu 1": "introducer_1_name",
    "cccd người giới thiệu 2": "introducer_2_citizen_id", "người giới thiệu 2": "introducer_2_name",
    "ngày giới thiệu": "introduced_on", "cùng công tác từ": "acquainted_since", "ngày nhận xét": "opinions_on",
    "cấp ủy chứng nhận lý lịch": "certified_by", "ngày chứng nhận lý lịch": "certified_on",
    "ngày sẵn sàng xét": "ready_on", "ngày chi bộ họp xét": "cell_meeting_on", "ngày họp chi bộ": "cell_meeting_on",
    "số tán thành": "cell_agree", "số phiếu tán thành": "cell_agree",
    "số không tán thành": "cell_disagree", "số phiếu không tán thành": "cell_disagree",
    "đảng ủy cơ sở": "grassroots_committee", "ngày đảng ủy họp xét": "grassroots_meeting_on",
    "số phiếu tán thành của đảng ủy": "grassroots_agree", "số phiếu không tán thành của đảng ủy": "grassroots_disagree",
    "ngày chi bộ nhận quyết định": "received_on", "người giúp đỡ đảng viên dự bị": "ceremony_helper_citizen_id",
    "đoàn thể giới thiệu": "union", "số nghị quyết giới thiệu": "union_resolution_number",
    "ngày nghị quyết giới thiệu": "union_resolution_on",
    "đảng ủy bộ phận thẩm định": "appraised_by", "ngày thẩm định": "appraised_on", "ý kiến thẩm định": "appraisal_opinion",
    "số phiếu tán thành quyết định": "decision_agree", "số phiếu không tán thành quyết định": "decision_disagree",
    "ngày nộp lý lịch đảng viên": "member_history_on",
    "số giấy chứng nhận lớp đảng viên mới": "new_member_class_number",
    "ngày cấp giấy chứng nhận lớp đảng viên mới": "new_member_class_issued_on",
    "nơi cấp giấy chứng nhận lớp đảng viên mới": "new_member_class_issued_by",
    "ngày tự kiểm điểm": "self_review_on", "ngày người giúp đỡ nhận xét": "helper_review_on",
    "ngày đoàn thể nhận xét": "recognition_opinions_on", "ngày hoàn thành hồ sơ công nhận": "recognition_papers_on",
    # the relatives of a personal history taken over (người thân)
    "cccd người vào đảng": "applicant_citizen_id", "quan hệ": "relation", "năm sinh": "birth_year",
    "nơi ở, nơi làm việc": "residence_or_work", "nơi ở hoặc nơi làm việc": "residence_or_work",
    "là đảng viên": "is_party_member", "người nước ngoài": "foreign_national",
    "đủ năng lực hành vi dân sự": "adult_with_full_capacity",
}
"""Vietnamese column headers, as boards type them, for the fields of each record (any field name is
accepted as it is too)."""


def column_of(header: Any) -> str:
    """The field a column header names (a Vietnamese header, or the field's own name)."""
    name = normalised_text(str(header or "")).lower()
    return COLUMN_ALIASES.get(name, name)


def _typed_headers(columns: list[str], typed: Iterable[Any]) -> dict[str, str]:
    return {column: " ".join(str(header).split()) for column, header in zip(columns, typed, strict=False) if column and header}


HEADERS = {name: alias for alias, name in reversed(COLUMN_ALIASES.items())}
"""Each field's usual Vietnamese header (the first alias `COLUMN_ALIASES` gives it)."""


def column_header(name: str, typed: dict[str, str] | None = None) -> str:
    """The column a problem at field `name` is shown under: the file's own header when it gave one
    in words, else the field's usual Vietnamese header («Số CCCD», «Ngày mở hồ sơ»)."""
    key = name.split(".")[0]
    own = (typed or {}).get(key)
    if own and normalised_text(own).lower() != key:
        return own
    usual = HEADERS.get(key)
    if usual is None:
        return name
    return (usual[0].upper() + usual[1:]).replace("cccd", "CCCD").replace("qđ", "QĐ")


def headers_of(records: Iterable[Record]) -> dict[str, str]:
    """The file's headers, field by field (the first sheet to give a field names it)."""
    found: dict[str, str] = {}
    for record in records:
        for key, header in record.headers.items():
            found.setdefault(key, header)
    return found


def read_records(path: Path) -> tuple[list[Record], list[Problem]]:
    return records_of(path.read_bytes(), path.name)


def records_of(raw: bytes, name: str) -> tuple[list[Record], list[Problem]]:
    """The records of a file's bytes: an XLSX workbook (a zip), JSON (by `name`'s suffix or its first
    character), CSV otherwise. Told by content, as the web sends a workbook's sheet already as CSV text."""
    if raw.startswith(b"PK\x03\x04"):
        return _read_xlsx(raw)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return [], [Problem(raw[: error.start].count(b"\n") + 1, "", "Tệp không phải UTF-8")]
    if name.lower().endswith(".json") or text.lstrip().startswith("{"):
        return _read_json(text)
    return _read_csv(text)


def _read_csv(text: str) -> tuple[list[Record], list[Problem]]:
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns = [column_of(c) for c in reader.fieldnames or []]
    headers = _typed_headers(columns, reader.fieldnames or [])
    if "record" not in columns:
        return [], [Problem(1, "record", _NO_RECORD_COLUMN)]
    reader.fieldnames = columns
    records: list[Record] = []
    problems: list[Problem] = []
    for row in reader:
        if None in row:
            problems.append(Problem(reader.line_num, "", "Dòng có nhiều ô hơn tiêu đề"))
            continue
        _add_row(records, problems, reader.line_num, {k: v for k, v in row.items() if k}, None, headers)
    return records, problems


_NO_RECORD_COLUMN = (
    "Thiếu cột «Loại dòng» (tổ chức, đảng viên, kết nạp trên giấy, cấp ủy, địa bàn, hồ sơ đang làm hoặc người thân); "
    "hoặc để mỗi loại một trang, đặt tên trang theo loại"
)


def _add_row(
    records: list[Record], problems: list[Problem], line: int, row: dict[str, Any], kind_of_sheet: str | None,
    headers: dict[str, str],
) -> None:
    """One row of a CSV file or a spreadsheet: its record kind from its `record` cell (or its sheet)."""
    cleaned = {k: v.strip() if isinstance(v, str) else v for k, v in row.items()}
    values = {k: v for k, v in cleaned.items() if v is not None and v != ""}
    if not values:
        return
    kind = RECORD_ALIASES.get(normalised_text(str(values.pop("record", ""))).lower()) or kind_of_sheet
    if kind is None:
        problems.append(Problem(line, "record", KIND_MESSAGE))
        return
    records.append(Record(line, kind, values, headers))


def _read_xlsx(raw: bytes) -> tuple[list[Record], list[Problem]]:
    """An Excel workbook: each sheet has a header row; a sheet named by its record kind ("Đảng viên",
    "tổ chức", "kết nạp trên giấy", ...) needs no `record` column. Lines are the sheet's row numbers."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file; the user only needs to know it is one
        return [], [Problem(1, "", "Tệp Excel (.xlsx) bị hỏng hoặc không đúng định dạng")]
    records: list[Record] = []
    problems: list[Problem] = []
    try:
        for sheet in book.worksheets:
            rows = sheet.iter_rows(values_only=True)
            header = next(rows, None)
            if not header:
                continue
            columns = [column_of(h) for h in header]
            headers = _typed_headers(columns, header)
            kind_of_sheet = RECORD_ALIASES.get(normalised_text(sheet.title).lower())
            if "record" not in columns and kind_of_sheet is None:
                problems.append(Problem(1, "record", f"Trang «{sheet.title}»: {_NO_RECORD_COLUMN}"))
                continue
            for line, cells in enumerate(rows, start=2):
                row = {c: cell_value(c, v) for c, v in zip(columns, cells, strict=False) if c}
                _add_row(records, problems, line, row, kind_of_sheet, headers)
    finally:
        book.close()
    return records, problems


def cell_value(column: str, value: Any) -> Any:
    """A spreadsheet cell as the rows expect it: a date cell is a date; a CCCD typed as a number has lost
    its leading zeros (Excel drops them) and gets them back; other numbers are text."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, bool) or isinstance(value, date):
        return value
    if isinstance(value, int | float):
        text = str(int(value)) if float(value).is_integer() else str(value)
        return text.zfill(12) if column.endswith("citizen_id") and len(text) < 12 else text
    return value


def _read_json(text: str) -> tuple[list[Record], list[Problem]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        return [], [Problem(error.lineno, "", f"Tệp JSON sai cú pháp (cột {error.colno})")]
    if not isinstance(data, dict):
        return [], [Problem(1, "", "Tệp JSON phải là một đối tượng có các mục organisations, members, committees, localities")]
    lines = _element_lines(text)
    records: list[Record] = []
    problems: list[Problem] = []
    for section, items in data.items():
        kind = RECORD_ALIASES.get(section)
        line = lines.get((section, -1), 1)
        if kind is None or not isinstance(items, list):
            problems.append(Problem(line, section, "Mục phải là organisations, members, committees hoặc localities và là một danh sách"))
            continue
        for index, item in enumerate(items):
            line = lines.get((section, index), 1)
            if not isinstance(item, dict):
                problems.append(Problem(line, section, "Mỗi phần tử phải là một đối tượng"))
                continue
            records.append(Record(line, kind, {k: v for k, v in item.items() if v is not None and v != ""}))
    return records, problems


_WS = re.compile(r"\s*")


def _element_lines(text: str) -> dict[tuple[str, int], int]:
    """The line each element of each top-level list starts on (the text is already valid JSON)."""
    newlines = [m.start() for m in re.finditer("\n", text)]
    decoder = json.JSONDecoder()

    def line_at(offset: int) -> int:
        return bisect.bisect_right(newlines, offset) + 1

    def skip(i: int) -> int:
        return _WS.match(text, i).end()  # type: ignore[union-attr]

    found: dict[tuple[str, int], int] = {}
    i = skip(0) + 1  # past "{"
    while True:
        i = skip(i)
        if text[i] == "}":
            return found
        key_start = i
        key, i = decoder.raw_decode(text, i)
        found[(key, -1)] = line_at(key_start)
        i = skip(skip(i) + 1)  # past ":"
        if text[i] == "[":
            i, index = i + 1, 0
            while True:
                i = skip(i)
                if text[i] == "]":
                    i += 1
                    break
                found[(key, index)] = line_at(i)
                _, i = decoder.raw_decode(text, i)
                index += 1
                i = skip(i)
                if text[i] == ",":
                    i += 1
        else:
            _, i = decoder.raw_decode(text, i)
        i = skip(i)
        if text[i] == ",":
            i += 1



def render_problems(problems: Iterable[Problem], headers: dict[str, str] | None = None) -> list[str]:
    """The problems as a person reads them: each under the column as the file heads it (`headers`,
    from `headers_of`), as the web's import page shows it, never the internal field name."""
    return [
        f"Dòng {p.line}" + (f", cột «{column_header(p.field, headers)}»" if p.field else "") + f": {p.reason}" if p.line else p.reason
        for p in problems
    ]

