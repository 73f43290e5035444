"""The expected figures agree with the plan they come from (pure)."""

from __future__ import annotations

from datetime import date

import pytest

from ketnap.operations.demo.expected import ENDINGS, Expected, term, year
from ketnap.operations.demo.plan import Plan, build_plan
from ketnap.services.gateway.access import Role

ON = date(2026, 11, 22)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return build_plan(50, ON)


def test_each_dossier_ends_at_the_step_the_driver_waits_for(plan: Plan) -> None:
    figures = Expected(plan, ON)
    for d in plan.dossiers:
        assert figures.step_on(d, ON) == d.final_step, d.label


def test_every_dossier_is_either_open_at_a_step_or_ended(plan: Plan) -> None:
    figures = Expected(plan, ON)
    pipeline = figures.pipeline(plan.province)
    _, _, open_total, suspended = pipeline["lines"][0]
    assert open_total + sum(pipeline["endings"].values()) == len(plan.dossiers)
    assert suspended == 1
    assert set(pipeline["endings"]) == set(ENDINGS)
    assert sum(count for _, count in pipeline["rejections"]) == pipeline["endings"]["rejected"]
    # The communes split the province's open dossiers between them.
    assert sum(line[2] for line in pipeline["lines"][1:]) == open_total


def test_achieved_counts_each_admission_once_for_the_province_and_once_for_a_child(plan: Plan) -> None:
    figures = Expected(plan, ON)
    decided = [d for d in plan.dossiers if d.dates.decided]
    whole = figures.quota(plan.province, term(2025, 2030))
    assert whole["lines"][0][2] == len(decided)
    assert sum(line[2] for line in whole["lines"][1:]) == len(decided)
    by_year = [figures.quota(plan.province, year(y))["lines"][0][2] for y in (2025, 2026)]
    assert sum(by_year) == len(decided)
    stats = figures.stats(plan.province, term(2025, 2030))
    assert stats["admitted"] == len(decided)
    assert all(sum(n for n, _ in values.values()) == len(decided) for values in stats["axes"].values())


def test_deadlines_are_open_only_for_dossiers_still_going(plan: Plan) -> None:
    figures = Expected(plan, ON)
    for deadline in figures.open_deadlines():
        assert figures.ended_on(deadline.dossier) is None
        assert deadline.started_on <= ON and (deadline.done_on is None or deadline.done_on > ON)
    report = figures.deadlines_report(plan.province)
    assert report["open"] == len(report["items"]) and report["overdue"] >= 3


def test_the_white_zones_are_the_memberless_cell_and_the_locality_without_one(plan: Plan) -> None:
    zones = Expected(plan, ON).white_zones(plan.province)
    assert [(code, reason) for code, reason, *_ in zones["localities"]] == [("TH-KHUOIPHAY", "no_member"), ("TH-LUNGVAI", "no_cell")]
    assert ("CB-HT-KP", None, "2012-06-01", "DB-HT") in zones["cells_without_admission"]


def test_each_role_acts_from_its_own_organisation(plan: Plan) -> None:
    tree = plan.tree
    after, before = date(2026, 1, 5), date(2024, 1, 5)
    assert tree.seat(Role.CELL_SECRETARY, "CB-XM-LN", after) == "CB-XM-LN"
    assert tree.seat(Role.GRASSROOTS_STAFF, "CB-XM-LN", after) == "DB-XM"
    assert tree.seat(Role.GRASSROOTS_STAFF, "CS-YT-CL", after) == "CS-YT-CL"  # a grassroots cell is its own grassroots level
    assert tree.seat(Role.GRASSROOTS_STAFF, "XA-CL", after) == "XA-CL"
    assert tree.seat(Role.STANDING_COMMITTEE, "CB-XM-LN", after) == "DB-XM"  # authorised to decide
    assert tree.seat(Role.STANDING_COMMITTEE, "CB-HT-NT", after) == "XA-CL"
    assert tree.seat(Role.STANDING_COMMITTEE, "CB-HT-NT", before) == "HU-CL"
    assert tree.seat(Role.ORGANISATION_BOARD, "DB-HT", before) == "HU-CL"
