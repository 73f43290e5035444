"""Taking over the paper past by import (issue 18): an Excel workbook with Vietnamese headers, one
sheet per kind of row, loads units, members and admissions decided on paper, each judged like
`record_paper_admission`; a bad row is reported with its sheet line and rule, and nothing is written."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import asyncpg
import openpyxl

from ketnap.services.registry.importer import import_file
from tests.integration.registry.conftest import Registry


def workbook(path: Path, paper_rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    units = book.active
    units.title = "Tổ chức"
    units.append(["Mã", "Tên", "Loại tổ chức", "Cấp trên", "Từ ngày"])
    units.append(["X1", "Đảng bộ xã Một", "đảng bộ cơ sở", "T01", "01/01/2015"])
    units.append(["X1.C1", "Chi bộ thôn Một", "chi bộ", "X1", date(2015, 1, 1)])
    members = book.create_sheet("Đảng viên")
    members.append(["Số CCCD", "Họ và tên", "Chi bộ", "Loại đảng viên", "Từ ngày"])
    members.append([1210000001, "Nguyễn Văn Một", "X1.C1", "chính thức", "2016-01-01"])  # typed as a number: zeros lost
    paper = book.create_sheet("Kết nạp trên giấy")
    paper.append(["Số CCCD", "Họ và tên", "Chi bộ", "Cấp ủy quyết định", "Số quyết định", "Ngày quyết định", "Ngày lễ kết nạp",
                  "Ngày chính thức"])
    for row in paper_rows:
        paper.append(row)
    book.save(path)
    return path


async def test_an_excel_file_with_vietnamese_headers_takes_over_members_and_paper_admissions(
    province: Registry, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    r = province
    path = workbook(tmp_path / "xa-mot.xlsx", [
        ["001210000002", "Trần Thị Hai", "X1.C1", "X1", "15-QĐ/ĐU", "02/03/2022", "20/03/2022", "20/03/2023"],
        ["001210000003", "Lê Văn Ba", "X1.C1", "X1", "40-QĐ/ĐU", date(2024, 6, 3), date(2024, 6, 20), None],
    ])
    result = await import_file(pool, path, schema=r.name)
    assert result.ok and result.written, result.problems
    assert result.counts == {"organisations": 2, "members": 1, "paper_admissions": 2, "committees": 0, "localities": 0}
    one = await r.answer("member", citizen_id="001210000001", on="2024-07-01")
    assert one["organisation"] == "X1.C1"
    joined = {e.data["citizen_id"]: e.data for e in [e async for b in r.store.read_log() for e in b] if e.event_type == "MemberJoined"}
    assert joined["001210000002"]["how"] == "paper_admission" and joined["001210000002"]["kind"] == "official"
    assert (joined["001210000003"]["kind"], joined["001210000003"]["admitted_on"], joined["001210000003"]["decided_by"]) == (
        "probationary", "2024-06-03", "X1",
    )


async def test_a_paper_admission_row_no_rule_set_covers_is_reported_and_nothing_is_written(
    province: Registry, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    r = province
    head = await r.head()
    path = workbook(tmp_path / "cu.xlsx", [
        ["001210000004", "Phạm Văn Bốn", "X1.C1", "X1", "3-QĐ/ĐU", "02/03/2010", "20/03/2010", None],
        ["001210000005", "Vũ Thị Năm", "X1.C1", "X1.C1", "4-QĐ/ĐU", "02/03/2022", None, None],
    ])
    result = await import_file(pool, path, schema=r.name)
    assert not result.written
    assert [(p.line, p.field, p.reason.split("]")[0]) for p in result.problems] == [
        (2, "decision_date", "[NO_RULE_SET"), (3, "decided_by", "[AUTHORITY"),
    ], result.problems
    assert await r.head() == head


async def test_a_file_that_is_not_a_workbook_is_reported(province: Registry, pool: asyncpg.Pool, tmp_path: Path) -> None:
    path = tmp_path / "hong.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    result = await import_file(pool, path, schema=province.name)
    assert [p.reason for p in result.problems] == ["Tệp Excel (.xlsx) bị hỏng hoặc không đúng định dạng"]
