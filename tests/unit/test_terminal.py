"""The CLI's tables in a 100-column terminal: no line runs past the edge, long cells wrap instead
of being cut, hashes are short and moments are local times; piped, rows stay one line each."""

from __future__ import annotations

from rich.cells import cell_len

from ketnap.operations.status import ServiceStatus, StatusReport, render_status
from ketnap.operations.terminal import tables_text
from ketnap.services.reporting.export import Table, exported

HASH = "9f2c4e1a7b3d5f60" + "a" * 48
HISTORY = {
    "dossier_id": "0193a5b2-7c1d-7e4f-9a0b-1c2d3e4f5a6b",
    "events": [
        {"recorded_at": "2026-12-06T03:14:06.863517+00:00", "occurred_on": "2026-12-05", "label": "Chi bộ đề nghị kết nạp người vào Đảng",
         "actor": "bithu.chibo.thon.ba.cum.bac", "organisation": "CB-THON-BA-CUM-BAC", "rule_set": "Quy định 2021", "log": "dossiers",
         "position": 1234567, "hash": HASH},
    ],
}
QUOTA_ROW = {"code": "DANG-UY-XA-BA-CUM-BAC", "name": "Đảng ủy xã Ba Cụm Bắc, huyện Khánh Sơn, tỉnh Khánh Hòa (cũ) sau sắp xếp",
             "kind": "grassroots_committee", "quota": 540, "achieved": 622, "percent": 115.2,
             "in_progress": {"total": 2, "suspended": 0, "by_step": {"awaiting_decision": 2}}, "exists_on_status_day": True}
QUOTA = {
    **QUOTA_ROW, "kind": "upper_committee", "status_on": "2020-06-30", "period": "2015-2020", "period_kind": "term",
    "from": "2015-01-01", "to": "2019-12-31", "children_quota_total": 540, "children": [QUOTA_ROW],
    "admissions": [{"dossier_id": "0193a5b2-7c1d-7e4f-9a0b-1c2d3e4f5a6b", "cell": "CB-THON-BA-CUM-BAC", "decision_number": "1234-QĐ/HU",
                    "decision_date": "2019-05-02", "decided_by": "DANG-UY-XA-BA-CUM-BAC", "counted_for": "DANG-UY-XA-BA-CUM-BAC",
                    "rule_set": "2021"}],
}


def assert_fits(text: str, width: int = 100) -> None:
    too_long = [line for line in text.splitlines() if cell_len(line) > width]
    assert not too_long, "\n".join(too_long)


def words(text: str) -> set[str]:
    return set(text.split())


def test_the_audit_history_fits_with_a_short_hash_and_a_local_time() -> None:
    text = tables_text(exported("audit_history", HISTORY), width=100)
    assert_fits(text)
    assert "9f2c4e1a7b3d" in text and HASH not in text and "+00:00" not in text
    assert {"10:14", "06/12/2026", "05/12/2026", "1234567", "dossiers"} <= words(text)  # 03:14 UTC is 10:14 in Việt Nam
    assert {"Chi", "bộ", "đề", "nghị", "kết", "nạp", "người", "vào", "Đảng", "Quy", "định", "2021"} <= words(text)


def test_every_cell_of_a_wide_report_is_there_at_100_columns() -> None:
    tables = exported("quota", QUOTA)
    text = tables_text(tables, width=100)
    assert_fits(text)
    for table in tables:
        assert set(table.title.split()) <= words(text)
        assert {w for header in table.headers for w in header.split()} <= words(text)
    joined = "".join(text.split())  # a code longer than its column is folded, never cut
    assert "DANG-UY-XA-BA-CUM-BAC" in joined or all(part in joined for part in ("DANG-UY-XA-", "BA-CUM-BAC"))
    assert {"Khánh", "Hòa", "sắp", "xếp", "540", "622", "115,2", "02/05/2019", "1234-QĐ/HU"} <= words(text)


def test_piped_rows_stay_one_line_each() -> None:
    text = tables_text(exported("audit_history", HISTORY), width=None)
    row = next(line for line in text.splitlines() if "dossiers" in line)
    assert "Chi bộ đề nghị kết nạp người vào Đảng" in row and "9f2c4e1a7b3d" in row


def test_the_status_with_a_long_link_error_fits() -> None:
    error = "không kết nối được máy chủ NATS của đơn vị cấp dưới xa-a sau nhiều lần thử lại " * 3
    link = {"kept_log": "registry_at_xa_a", "origin": "xa-a", "service": "registry", "direction": "up", "kept_head": 42, "alarms": 1,
            "source_lag": 3, "waiting": 2, "last_contact_seconds": 45.2, "source_error": error, "cut": True}
    found = StatusReport("nats://127.0.0.1:4222", nats_up=True, database_up=False,
                         services=[ServiceStatus("verification", answering=True, head=1234567, relay_lag=0, alarms=2)], links=[link])
    text = render_status(found, width=100)
    assert_fits(text)
    assert words(error) <= words(text)
    assert {"verification", "1234567", "registry_at_xa_a", "ĐỨT", "45.2", "KHÔNG", "`ketnap", "alarms", "list`,"} <= words(text)


def test_a_form_too_wide_for_any_column_layout_is_shown_row_by_row() -> None:
    headers = [f"Đảng viên mới độ tuổi nhóm {n}" for n in range(30)]
    text = tables_text([Table("Biểu thống kê", headers, [["HUYEN-KS", *range(29)]])], width=100)
    assert_fits(text)
    lines = text.splitlines()
    assert lines[1].split() == ["Đảng", "viên", "mới", "độ", "tuổi", "nhóm", "0", "HUYEN-KS"]
    assert lines[-1].split() == ["Đảng", "viên", "mới", "độ", "tuổi", "nhóm", "29", "28"]
