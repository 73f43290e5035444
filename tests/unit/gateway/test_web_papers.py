"""The printed papers (web/papers): every form from a dossier's records, opened with python-docx as
the committee's word processor would, with the names, dates (dd/mm/yyyy), numbers and votes in it."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import docx
import pytest

from ketnap.services.gateway.web.papers.content import (
    BLANK,
    DOSSIER_PAPERS,
    Facts,
    Paper,
    date_line,
    register,
)
from ketnap.services.gateway.web.papers.docx import docx_bytes
from ketnap.services.gateway.web.papers.layout import write

UNITS = {
    "CB-A1": {"code": "CB-A1", "name": "Chi bộ Thôn Đông", "ancestors": [
        {"code": "DU-A", "name": "Đảng bộ xã An Bình", "kind": "grassroots_committee"},
        {"code": "HU-1", "name": "Huyện ủy Tân Yên", "kind": "upper_committee"},
        {"code": "T01", "name": "Tỉnh ủy Bắc Giang", "kind": "province"},
    ]},
}
"""As a cell secretary reads them: only the cell's answer, which names every unit above."""

DOSSIER: dict[str, Any] = {
    "dossier_id": "d-1", "full_name": "Nguyễn Thị Ánh", "citizen_id": "001095000041", "cell": "CB-A1", "step": "official",
    "papers": {"introductions": {"introducers": [{"full_name": "Trần Văn Giới"}, {"full_name": "Lê Thị Hòa"}]}},
    "cell_vote": {"resolution": {"adopted": True, "meeting_on": "2025-03-05", "agree": 8, "disagree": 1, "denominator": 9}},
    "admission": {"decided_by": "HU-1", "decision_number": "125-QĐ/HU", "decision_date": "2025-04-02"},
    "probation": {"starts_on": "2025-04-20", "ends_on": "2026-04-20", "official_date": "2026-04-20"},
    "official": {"decided_by": "HU-1", "decision_number": "310-QĐ/HU", "decision_date": "2026-05-06", "official_date": "2026-04-20",
                 "admitted_on": "2025-04-02"},
}
CASE: dict[str, Any] = {
    "grassroots_resolution": {"organisation": "DU-A", "meeting_on": "2025-03-14", "outcome": "adopted", "agree": 6, "disagree": None,
                              "denominator": 7},
    "recognition_cell_resolution": {"organisation": "CB-A1", "meeting_on": "2026-04-22", "outcome": "adopted", "agree": 9,
                                    "disagree": 0, "denominator": 10},
    "recognition_grassroots_resolution": {"organisation": "DU-A", "meeting_on": "2026-04-28", "outcome": "adopted", "agree": 7,
                                          "disagree": None, "denominator": 7},
}


def opened(paper: Paper) -> str:
    """The whole text of the DOCX file: paragraphs and every table's cells."""
    document = docx.Document(io.BytesIO(docx_bytes(paper)))
    text = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            text += [cell.text for cell in row.cells]
    return "\n".join(text)


def paper(slug: str, dossier: dict[str, Any] = DOSSIER, case: dict[str, Any] | None = CASE) -> Paper:
    built = DOSSIER_PAPERS[slug][1](Facts(dossier, case, UNITS))
    assert built is not None
    return built


def common(text: str, paper: Paper) -> None:
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text
    assert paper.issuer in text and paper.upper in text and paper.number in text
    assert "{{" not in text and "{%" not in text  # every tag filled


def test_the_template_in_the_package_is_the_one_layout_writes(tmp_path: Any) -> None:
    written = write(tmp_path / "giay-to.docx")
    assert docx.Document(str(written)).tables  # made by python-docx, opens again


def test_6_knd_the_cell_resolution_names_the_applicant_the_date_and_the_vote() -> None:
    made = paper("mau-6-knd")
    text = opened(made)
    common(text, made)
    assert "CHI BỘ THÔN ĐÔNG" in text and "ĐẢNG BỘ XÃ AN BÌNH" in text and "-NQ/CB" in text
    assert "Nguyễn Thị Ánh" in text and "001095000041" in text
    assert "Ngày 05/03/2025, Chi bộ Thôn Đông đã họp" in text
    assert "ngày 05 tháng 3 năm 2025" in text
    assert "Tổng số đảng viên chính thức được tính khi biểu quyết: 9 đồng chí" in text
    assert "8 đồng chí tán thành (đạt 88,9 %" in text and "1 đồng chí không tán thành" in text
    assert "đồng chí Trần Văn Giới, đồng chí Lê Thị Hòa" in text
    assert "T/M CHI BỘ" in text and "BÍ THƯ" in text


def test_8_knd_the_grassroots_resolution_counts_the_committee() -> None:
    made = paper("mau-8-knd")
    text = opened(made)
    common(text, made)
    assert "ĐẢNG BỘ XÃ AN BÌNH" in text and "HUYỆN ỦY TÂN YÊN" in text and "-NQ/ĐU" in text
    assert "Ngày 14/03/2025, Đảng bộ xã An Bình đã họp" in text and "của Chi bộ Thôn Đông ngày 05/03/2025" in text
    assert "Tổng số cấp ủy viên: 7 đồng chí" in text and "6 đồng chí tán thành (đạt 85,7 %" in text
    assert "T/M ĐẢNG ỦY" in text


def test_9_knd_the_admission_decision_carries_its_number_and_articles() -> None:
    made = paper("mau-9-knd")
    text = opened(made)
    common(text, made)
    assert "Số 125-QĐ/HU" in text and "ngày 02 tháng 4 năm 2025" in text
    assert "BAN THƯỜNG VỤ HUYỆN ỦY TÂN YÊN" in text and "TỈNH ỦY BẮC GIANG" in text
    assert "Điều 1. Kết nạp quần chúng Nguyễn Thị Ánh" in text and "sinh hoạt tại Chi bộ Thôn Đông" in text
    assert "Chi bộ Thôn Đông ngày 05/03/2025 và của Đảng bộ xã An Bình ngày 14/03/2025" in text
    assert "T/M BAN THƯỜNG VỤ" in text and "đóng dấu" in text


def test_13_and_15_knd_the_recognition_resolutions() -> None:
    cell = paper("mau-13-knd")
    text = opened(cell)
    common(text, cell)
    assert "Ngày 22/04/2026, Chi bộ Thôn Đông đã họp xét, đề nghị công nhận đảng viên dự bị Nguyễn Thị Ánh" in text
    assert "được kết nạp vào Đảng ngày 02/04/2025" in text
    assert "9 đồng chí tán thành (đạt 90,0 %" in text and "0 đồng chí không tán thành" in text and ": 10 đồng chí" in text
    committee = paper("mau-15-knd")
    text = opened(committee)
    common(text, committee)
    assert "Ngày 28/04/2026, Đảng bộ xã An Bình" in text and "7 đồng chí tán thành (đạt 100,0 %" in text and "-NQ/ĐU" in text


def test_16_knd_the_recognition_decision_dates_official_membership_from_the_ceremony_year() -> None:
    made = paper("mau-16-knd")
    text = opened(made)
    common(text, made)
    assert "Số 310-QĐ/HU" in text and "ngày 06 tháng 5 năm 2026" in text
    assert "là đảng viên chính thức kể từ ngày 20/04/2026" in text and "Tuổi đảng của đồng chí tính từ ngày 02/04/2025" in text
    assert "Chi bộ Thôn Đông ngày 22/04/2026 và của Đảng bộ xã An Bình ngày 28/04/2026" in text


def test_18_knd_the_register_lists_each_admitted_member_in_order() -> None:
    second = {**DOSSIER, "full_name": "Lò Văn Bình", "step": "probation", "official": None,
              "admission": {"decision_number": "98-QĐ/HU", "decision_date": "2025-02-01"},
              "probation": {"starts_on": "2025-02-15", "ends_on": "2026-02-15"}}
    made = register({"name": "Đảng bộ xã An Bình", "ancestors": [{"name": "Huyện ủy Tân Yên"}]}, [DOSSIER, second],
                    {"CB-A1": "Chi bộ Thôn Đông"}, date(2026, 6, 1))
    text = opened(made)
    assert "SỔ THEO DÕI ĐẢNG VIÊN DỰ BỊ" in text and "ĐẢNG BỘ XÃ AN BÌNH" in text
    document = docx.Document(io.BytesIO(docx_bytes(made)))
    rows = [[c.text for c in row.cells] for row in document.tables[1].rows]
    assert rows[0][1] == "Họ và tên"
    assert rows[1][:7] == ["1", "Lò Văn Bình", "Chi bộ Thôn Đông", "98-QĐ/HU, 01/02/2025", "15/02/2025", "15/02/2026", ""]
    assert rows[2][:7] == ["2", "Nguyễn Thị Ánh", "Chi bộ Thôn Đông", "125-QĐ/HU, 02/04/2025", "20/04/2025", "20/04/2026", "20/04/2026"]


@pytest.mark.parametrize("slug", list(DOSSIER_PAPERS))
def test_a_paper_is_not_made_before_the_dossier_has_what_it_records(slug: str) -> None:
    early = {k: v for k, v in DOSSIER.items() if k not in ("admission", "official", "probation")} | {"cell_vote": {"resolution": None}}
    assert DOSSIER_PAPERS[slug][1](Facts(early, None, UNITS)) is None


def test_what_the_records_do_not_hold_is_a_line_to_fill_in_and_the_date_line_pads() -> None:
    assert f"sinh ngày {BLANK}" in opened(paper("mau-6-knd"))
    assert date_line("2026-02-03") == f"{BLANK}, ngày 03 tháng 02 năm 2026"
    assert date_line("2026-11-25") == f"{BLANK}, ngày 25 tháng 11 năm 2026"


def test_text_that_looks_like_markup_is_written_as_text() -> None:
    made = paper("mau-6-knd", {**DOSSIER, "full_name": "A <b> & {{ x }}"})
    assert "A <b> & {{ x }}" in opened(made)
