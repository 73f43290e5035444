"""A problem is shown under the column the person sees (`ketnap.domain.spreadsheet.column_header`):
the file's own header when it wrote one in words, else the field's usual Vietnamese header."""

from __future__ import annotations

from ketnap.domain.spreadsheet import column_header, headers_of, records_of


def test_a_problem_is_named_by_the_header_the_file_gives_its_field() -> None:
    text = "Loại dòng,CCCD người giúp đỡ,Ngày mở hồ sơ,citizen_id\nhồ sơ đang làm,001080000001,05/01/2026,001097000001\n"
    records, problems = records_of(text.encode(), "ho-so.csv")
    assert problems == [] and records[0].record == "dossier"
    headers = headers_of(records)
    assert column_header("helper_citizen_id", headers) == "CCCD người giúp đỡ"
    assert column_header("opened_on", headers) == "Ngày mở hồ sơ"
    assert column_header("citizen_id", headers) == "Số CCCD"  # headed by the field's name: the usual header
    assert column_header("cell_agree", headers) == "Số tán thành"  # not in the file at all
    assert column_header("no_such_field", headers) == "no_such_field"
