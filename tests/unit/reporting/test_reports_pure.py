"""The pure part of each report: quota progress, pipeline, deadlines, white zones."""

from __future__ import annotations

from datetime import date

from ketnap.services.reporting.admissions import Admission
from ketnap.services.reporting.deadlines import OpenDeadline, deadlines_report
from ketnap.services.reporting.organisation_tree import Tree, Unit
from ketnap.services.reporting.periods import year
from ketnap.services.reporting.pipeline import Ending, InProgress, StepSpent, pipeline_report, still_to_decide
from ketnap.services.reporting.quotas import quota_progress
from ketnap.services.reporting.white_zones import LocalityOn, cells_without_admission, white_localities

START, MERGE = date(2020, 1, 1), date(2025, 7, 1)


def tree() -> Tree:
    """District H: communes N (merged into S on 01/07/2025) and S; cells N1 (under N, then S) and S1."""
    return Tree([
        Unit("H", "Huyện", "upper_committee", None, START, None),
        Unit("N", "Bắc", "grassroots_committee", "H", START, MERGE),
        Unit("S", "Nam", "grassroots_committee", "H", START, None),
        Unit("N1", "Thôn 1", "cell", "N", START, MERGE),
        Unit("N1", "Thôn 1", "cell", "S", MERGE, None),
        Unit("S1", "Thôn 2", "cell", "S", START, None),
        Unit("S2", "Thôn 3", "cell", "S", date(2024, 1, 1), None),
    ])


def admission(dossier: str, cell: str, on: date) -> Admission:
    return Admission(dossier, cell, "H", f"{dossier}-QĐ", on, "2025-01")


def test_quota_progress_of_a_district_and_its_communes() -> None:
    result = quota_progress(
        tree(), "H", year(2025), date(2025, 11, 20), {"H": 10, "N": 4, "S": 5},
        [admission("a", "N1", date(2025, 3, 10)), admission("b", "N1", date(2025, 8, 15)), admission("c", "S1", date(2024, 5, 1))],
        [InProgress("d", "N1", "awaiting_decision", False), InProgress("e", "S1", "verification", True)],
    )
    assert (result["quota"], result["achieved"], result["percent"], result["children_quota_total"]) == (10, 2, 20.0, 9)
    assert [(c["code"], c["quota"], c["achieved"], c["percent"], c["in_progress"]["total"], c["exists_on_status_day"])
            for c in result["children"]] == [("N", 4, 1, 25.0, 0, False), ("S", 5, 1, 20.0, 2, True)]
    assert result["in_progress"] == {"total": 2, "suspended": 1, "by_step": {"verification": 1, "awaiting_decision": 1}}
    assert [a["counted_for"] for a in result["admissions"]] == ["N", "S"]


def test_a_cell_outside_the_organisation_does_not_count() -> None:
    result = quota_progress(tree(), "S", year(2025), date(2025, 11, 20), {}, [admission("a", "N1", date(2025, 3, 10))], [])
    assert (result["achieved"], result["quota"], result["percent"]) == (0, None, None)
    assert [c["code"] for c in result["children"]] == ["N1", "S1", "S2"]


def test_dossiers_decided_or_past_the_decision_are_not_in_progress() -> None:
    dossiers = [InProgress("a", "S1", "awaiting_decision", False), InProgress("b", "S1", "awaiting_decision", False),
                InProgress("c", "S1", "probation", False), InProgress("d", "S1", "source_list", False)]
    assert [d.dossier_id for d in still_to_decide(dossiers, {"b"})] == ["a", "d"]


def test_pipeline_report() -> None:
    result = pipeline_report(
        tree(), "H", date(2025, 11, 20), year(2025),
        [InProgress("a", "N1", "probation", False), InProgress("b", "S1", "verification", True), InProgress("c", "S1", "rejected", False)],
        [StepSpent("verification", "S1", date(2025, 3, 1), 10, 14), StepSpent("verification", "N1", date(2025, 2, 1), 20, 28)],
        [Ending("c", "rejected", date(2025, 4, 1), "S1", "AGE_MIN"), Ending("x", "rejected", date(2025, 4, 2), "N1", "NONE")],
    )
    assert (result["total"], result["suspended"], result["by_step"]["probation"], result["by_step"]["verification"]) == (2, 1, 1, 1)
    assert [(c["code"], c["total"]) for c in result["children"]] == [("S", 2)]
    assert result["time_per_step"] == [{"step": "verification", "label": "đang thẩm tra lý lịch", "dossiers": 2, "average_days": 21.0,
                                        "average_working_days": 15.0, "max_working_days": 20}]
    assert [(r["rule"], r["count"]) for r in result["rejections"]] == [("AGE_MIN", 1), ("NONE", 1)]
    assert result["rejections"][1]["label"].startswith("Cấp ủy có thẩm quyền")


def test_deadlines_report() -> None:
    deadlines = [
        OpenDeadline("a", "decision", date(2025, 8, 20), date(2025, 11, 14), "S1"),
        OpenDeadline("b", "ceremony", date(2025, 9, 1), date(2025, 11, 20), "N1"),
        OpenDeadline("c", "member_history", date(2025, 9, 1), None, "S1"),
    ]
    result = deadlines_report(tree(), "H", date(2025, 11, 20), deadlines, overdue_only=True)
    assert (result["open"], result["overdue"]) == (3, 1)
    assert [(i["dossier_id"], i["rule"], i["working_days_late"]) for i in result["items"]] == [("a", "DECISION_60WD", 4)]
    assert [(b["due_on"], b["open"], b["overdue"]) for b in result["by_due_date"]] == [
        ("2025-11-14", 1, 1), ("2025-11-20", 1, 0), (None, 1, 0)
    ]


def test_white_localities_and_cells_without_admission() -> None:
    localities = [
        LocalityOn("T1", "Thôn 1", "S", "N1"), LocalityOn("T2", "Thôn 2", "S", "S1"), LocalityOn("T3", "Thôn 3", "S", None),
        LocalityOn("T4", "Thôn 4", "S", "GONE"), LocalityOn("T9", "Thôn khác", "X", None),
    ]
    found = white_localities(localities, {"N1": 2}, tree(), {"H", "S", "N1", "S1", "S2"}, date(2025, 11, 20))
    assert [(lo["code"], lo["reason"]) for lo in found] == [("T2", "no_member"), ("T3", "no_cell"), ("T4", "no_cell")]
    cells = cells_without_admission(
        tree(), tree().subtree_on("H", date(2025, 11, 20)), date(2025, 11, 20), 3,
        {"N1": date(2021, 5, 1), "OLD": date(2024, 1, 1)}, {"S1": ["OLD"]},
    )
    # S1's history includes the cell merged into it.
    assert [(c["code"], c["last_admission_on"]) for c in cells] == [("N1", "2021-05-01"), ("S2", None)]
