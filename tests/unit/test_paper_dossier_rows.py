"""The dossier rows of an import file (operations/paper_dossiers.py): what each step needs, the order of
the dates, NO_RULE_SET on each with the message every step gives, Vietnamese labels; the registry's own
import leaves them to the take-over (command line) or refuses them (the web page)."""

from __future__ import annotations

import io
from datetime import date

import openpyxl

from ketnap.domain.rules import RuleCode
from ketnap.operations.paper_dossiers import check_rows, dossier_id_of
from ketnap.services.registry.importer import DOSSIERS_ELSEWHERE, Problem, _validated, records_of

HEAD = "Loại dòng,Số CCCD,Họ và tên,Chi bộ,Người giúp đỡ,Ngày vào danh sách cảm tình,Bước hiện tại,Ngày làm đơn,Giới tính\n"


def _check(text: str) -> tuple[list, list[Problem]]:
    records, problems = records_of((HEAD + text).encode(), "x.csv")
    assert problems == []
    return check_rows(records)


def test_a_row_at_its_step_with_vietnamese_labels() -> None:
    rows, problems = _check("hồ sơ đang làm,001095000001,Lê Văn A,C1,001080000001,05/01/2026,Đã nộp đơn xin vào Đảng,12/01/2026,Nam\n")
    assert problems == []
    ((line, row),) = rows
    assert (line, row.step, row.gender, row.letter_on.isoformat()) == (2, "application", "male", "2026-01-12")
    assert dossier_id_of(row) == dossier_id_of(row.model_copy())  # the same row is the same dossier


def test_NO_RULE_SET_what_the_step_needs_and_the_order_of_dates() -> None:
    rows, problems = _check(
        "hồ sơ đang làm,001095000002,Lê Văn B,C1,001080000001,01/05/2011,source_list,,\n"
        "hồ sơ đang làm,001095000003,Lê Văn C,C1,001080000001,05/01/2026,application,,\n"
        "hồ sơ đang làm,001095000004,Lê Văn D,C1,001080000001,05/01/2026,application,02/01/2026,\n"
        "hồ sơ đang làm,001095000005,Lê Văn E,C1,001080000001,05/01/2026,chờ lễ,,\n"
    )
    assert rows == []
    assert [(p.line, p.field) for p in problems] == [(2, "opened_on"), (3, ""), (4, "letter_on"), (5, "step")]
    assert problems[0].reason == f"[NO_RULE_SET] Ngày 01/05/2011: {RuleCode.NO_RULE_SET.message}"
    assert "letter_on" in problems[1].reason


def test_the_registry_import_leaves_dossier_rows_to_the_take_over_or_refuses_them() -> None:
    records, _ = records_of((HEAD + "hồ sơ đang làm,001095000001,Lê Văn A,C1,001080000001,05/01/2026,source_list,,\n").encode(), "x.csv")
    assert _validated(records, dossiers_taken_over=True)[1] == []
    assert _validated(records)[1] == [Problem(2, "record", DOSSIERS_ELSEWHERE)]


def test_an_excel_sheet_named_for_dossiers_in_progress_with_date_cells_and_numbers() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Hồ sơ đang làm"
    sheet.append(["Số CCCD", "Họ và tên", "Chi bộ", "Người giúp đỡ", "Ngày vào danh sách cảm tình", "Bước hiện tại", "Ngày làm đơn"])
    sheet.append([1095000001, "Lê Văn A", "C1", "001080000001", date(2026, 1, 5), "đã nộp đơn xin vào Đảng", "12/01/2026"])
    raw = io.BytesIO()
    book.save(raw)
    records, problems = records_of(raw.getvalue(), "ho-so.xlsx")
    rows, row_problems = check_rows(records)
    assert problems == row_problems == []
    ((line, row),) = rows
    assert (line, row.citizen_id, row.opened_on, row.step) == (2, "001095000001", date(2026, 1, 5), "application")
