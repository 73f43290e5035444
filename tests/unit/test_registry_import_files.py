"""Reading import files (services/registry/importer.py): lines, Vietnamese labels and dates, reasons."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ketnap.services.registry.importer import MemberRow, OrganisationRow, Problem, _validated, read_records
from ketnap.services.registry.values import MemberKind, MemberStatus, OrganisationKind


def test_a_spreadsheet_csv_with_a_bom_semicolons_and_vietnamese_labels(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(
        "\ufeffrecord;code;name;kind;parent;effective_from;citizen_id;full_name;organisation;status\n"
        "tổ chức;C1;Chi bộ 1;chi bộ;G1;01/07/2025;;;;\n"
        ";;;;;;;;;\n"
        "đảng viên;;;dự bị;;2025-07-02;001203004567;Lê  Văn Tám;C1;miễn sinh hoạt\n".encode()
    )
    records, problems = read_records(path)
    assert problems == [] and [(r.line, r.record) for r in records] == [(2, "organisation"), (4, "member")]
    rows, problems = _validated(records)
    assert problems == []
    (_, organisation), = rows["organisation"]
    assert organisation == OrganisationRow(code="C1", name="Chi bộ 1", kind=OrganisationKind.CELL, parent="G1",
                                           effective_from=date(2025, 7, 1))
    (_, member), = rows["member"]
    assert isinstance(member, MemberRow)
    assert (member.kind, member.status, member.full_name) == (MemberKind.PROBATIONARY, MemberStatus.EXEMPTED, "Lê Văn Tám")


def test_field_problems_name_the_line_and_the_field_in_vietnamese(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(
        "record,code,name,kind,effective_from,citizen_id\n"
        "organisation,C 1,Chi bộ,cell_x,2025-13-01,\n"
        "organisation,C2,Chi bộ,cell,2025-01-01,001203004567\n"
    )
    rows, problems = _validated(read_records(path)[0])
    assert problems == [
        Problem(2, "code", "Mã tổ chức chỉ gồm chữ, số, dấu chấm, gạch ngang, gạch dưới (tối đa 64 ký tự)"),
        Problem(2, "kind", "phải là một trong: 'cell', 'grassroots_cell', 'partial_committee', 'grassroots_committee', "
                           "'upper_committee', 'province' hoặc 'central'"),
        Problem(2, "effective_from", "Ngày không tồn tại trong lịch"),
        Problem(3, "citizen_id", "trường này không dùng cho loại dòng này"),
    ]


def test_json_items_are_located_by_the_line_they_start_on(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{\n  "organisations": [\n    {"code": "C1"},\n\n    {\n      "code": "C2"\n    }\n  ],\n'
                    '  "members": []\n}\n')
    records, problems = read_records(path)
    assert problems == [] and [(r.line, r.fields["code"]) for r in records] == [(3, "C1"), (5, "C2")]
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "organisations": [\n    {"code": "C1",}\n  ]\n}\n')
    assert read_records(broken) == ([], [Problem(3, "", "Tệp JSON sai cú pháp (cột 19)")])
