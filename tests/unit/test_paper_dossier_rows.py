"""The dossier rows of an import file (services/gateway/paper_dossiers.py): what each step needs, the order of
the dates, NO_RULE_SET on each with the message every step gives, Vietnamese labels; the registry's own
import leaves them to the take-over (command line) or refuses them (the web page)."""

from __future__ import annotations

import io
from datetime import date

import openpyxl

from ketnap.domain.rules import RuleCode
from ketnap.services.gateway.paper_dossiers import PaperRelative, check_rows, dossier_id_of
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
    assert problems[0].code == "rule:NO_RULE_SET"  # the reader shows the code apart (web, API)
    assert problems[1].reason == "Hồ sơ ở bước «đã nộp đơn xin vào Đảng» cần cột «Ngày làm đơn»"  # never `letter_on`


def test_every_reason_names_the_columns_by_their_vietnamese_headers() -> None:
    """A board reads the reasons beside its own file: «Số tán thành», not `cell_agree`."""
    head = HEAD.rstrip("\n") + ",Số nghị quyết giới thiệu,Ngày tự kiểm điểm\n"
    records, _ = records_of((head + (
        "hồ sơ đang làm,001095000007,Lê Văn G,C1,001080000001,05/01/2026,application,12/01/2026,Nam,12-NQ/ĐTN,\n"
        "hồ sơ đang làm,001095000008,Lê Văn H,C1,001080000001,05/01/2026,application,12/01/2026,Nam,,20/01/2026\n"
    )).encode(), "x.csv")
    _, problems = check_rows(records)
    reasons = [p.reason for p in problems]
    assert reasons == [
        "Đã ghi «Số nghị quyết giới thiệu» thì cần cả «Đoàn thể giới thiệu», «Ngày nghị quyết giới thiệu»",
        "Cột «Ngày tự kiểm điểm» chỉ ghi cho hồ sơ từ bước «đảng viên dự bị»",
    ]
    assert not any("_" in reason for reason in reasons)


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


CASES_HEAD = (
    "Loại dòng,Số CCCD,Họ và tên,Chi bộ,Người giúp đỡ,Ngày vào danh sách cảm tình,Bước hiện tại,Ngày làm đơn,Đoàn thể giới thiệu,"
    "Số nghị quyết giới thiệu,Ngày nghị quyết giới thiệu,Ngày nộp lý lịch đảng viên,CCCD người vào Đảng,Quan hệ,Năm sinh,"
    "Nơi ở, nơi làm việc,Đủ năng lực hành vi dân sự\n"
).replace("Nơi ở, nơi làm việc", '"Nơi ở, nơi làm việc"')


def _check_cases(text: str) -> tuple[list, list[Problem]]:
    records, problems = records_of((CASES_HEAD + text).encode(), "x.csv")
    assert problems == []
    return check_rows(records)


def test_relatives_join_their_applicant_and_a_relative_of_no_dossier_is_a_problem() -> None:
    rows, problems = _check_cases(
        "hồ sơ đang làm,001095000001,Lê Văn A,C1,001080000001,05/01/2026,application,12/01/2026,,,,,,,,,\n"
        "người thân,,Lê Văn Cha,,,,,,,,,,001095000001,Bố,1965,Xã Đông,\n"
        "người thân,,Lê Thị Con,,,,,,,,,,001095000001,con,2020,Xã Đông,không\n"
        "người thân,,Lê Văn Khác,,,,,,,,,,001095000009,mẹ,1965,Xã Đông,\n"
    )
    # Relatives of a dossier before the history is declared, and a relative naming no dossier row.
    assert rows == []
    assert [(p.line, p.field) for p in problems] == [(2, ""), (5, "applicant_citizen_id")]
    assert "relatives" in problems[0].reason


def test_a_declared_history_carries_its_relatives_as_declare_personal_history_takes_them() -> None:
    records, _ = records_of((CASES_HEAD + "người thân,,Lê Thị Con,,,,,,,,,,001095000001,con,2020,Xã Đông,không\n").encode(), "x.csv")
    (record,) = records
    relative = PaperRelative.model_validate(record.fields)
    assert relative.facts() == {"relation": "child", "full_name": "Lê Thị Con", "birth_year": 2020, "residence_or_work": "Xã Đông",
                                "is_party_member": False, "foreign_national": False, "adult_with_full_capacity": False}


def test_a_union_resolution_comes_whole_and_probation_papers_only_in_probation() -> None:
    rows, problems = _check_cases(
        "hồ sơ đang làm,001095000001,Lê Văn A,C1,001080000001,05/01/2026,application,12/01/2026,công đoàn,,,,,,,,\n"
        "hồ sơ đang làm,001095000002,Lê Văn B,C1,001080000001,05/01/2026,application,12/01/2026,,,,10/06/2026,,,,,\n"
    )
    assert rows == []
    assert [p.line for p in problems] == [2, 3]
    assert "«Số nghị quyết giới thiệu»" in problems[0].reason and "«Ngày nộp lý lịch đảng viên»" in problems[1].reason


def test_the_registry_import_leaves_relative_rows_to_the_take_over_or_refuses_them() -> None:
    records, _ = records_of((CASES_HEAD + "người thân,,Lê Văn Cha,,,,,,,,,,001095000001,cha,1965,Xã Đông,\n").encode(), "x.csv")
    assert [r.record for r in records] == ["relative"]
    assert _validated(records, dossiers_taken_over=True)[1] == []
    assert _validated(records)[1] == [Problem(2, "record", DOSSIERS_ELSEWHERE)]
