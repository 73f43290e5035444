"""Fifty applicants pushed through the five real services by commands only, along every path
(admitted, recognised, rejected by an eligibility rule, failed recognition, withdrawn, transferred,
in progress at several steps); every report equals the figures computed from the plan; the same
plan driven again doubles nothing."""

from __future__ import annotations

from collections import Counter

import pytest

from ketnap.domain.calendar import today_in_vietnam
from ketnap.operations.demo import expected as ex
from ketnap.operations.demo import figures as figures_of
from ketnap.operations.demo.expected import Expected
from ketnap.operations.demo.schedule import Path
from tests.integration.demo.conftest import APPLICANTS, Scenario, settle

pytestmark = pytest.mark.timeout(1200)


def expected(scenario: Scenario) -> Expected:
    return Expected(scenario.plan, today_in_vietnam())


def organisations(scenario: Scenario) -> list[str]:
    """The province, the former district, the communes and every grassroots organisation with dossiers."""
    tree = scenario.plan.tree
    grassroots = sorted({tree.grassroots_on(d.voting_cell, scenario.plan.reference) for d in scenario.plan.dossiers})
    return [scenario.plan.province, "HU-CL", *scenario.plan.communes, *grassroots]


async def test_every_dossier_reaches_its_planned_step_and_nothing_is_dead_lettered(scenario: Scenario) -> None:
    plan = scenario.plan
    assert len(plan.dossiers) == APPLICANTS
    assert scenario.progress[-1].text == f"{APPLICANTS}/{APPLICANTS} hồ sơ"
    paths = Counter(d.path for d in plan.dossiers)
    assert set(paths) == set(Path), "every path of the plan is driven at least once"
    assert sum(1 for d in plan.dossiers if d.to_cell) == 3
    assert await scenario.dead_letters() == 0
    print(f"\n{APPLICANTS} hồ sơ qua năm dịch vụ trong {scenario.seconds:.0f} giây; {dict(paths)}")


async def test_quota_per_organisation_year_and_term(scenario: Scenario) -> None:
    figures = expected(scenario)
    for organisation in organisations(scenario):
        for period in ex.periods(figures.on):
            body = {"year": int(period.label)} if "-" not in period.label else {"term": period.label}
            result = await scenario.report("quota", organisation=organisation, **body)
            assert figures_of.quota(result) == figures.quota(organisation, period), (organisation, period.label)


async def test_new_member_statistics(scenario: Scenario) -> None:
    figures = expected(scenario)
    for organisation in organisations(scenario):
        for period in ex.periods(figures.on):
            body = {"year": int(period.label)} if "-" not in period.label else {"term": period.label}
            result = await scenario.report("stats", organisation=organisation, **body)
            assert figures_of.stats(result) == figures.stats(organisation, period), (organisation, period.label)
    admitted = (await scenario.report("stats", organisation=scenario.plan.province, term="2025-2030"))["admitted"]
    assert admitted == sum(1 for d in scenario.plan.dossiers if d.dates.decided)


async def test_pipeline_steps_time_endings_and_rejections(scenario: Scenario) -> None:
    figures = expected(scenario)
    for organisation in organisations(scenario):
        result = await scenario.report("pipeline", organisation=organisation)
        assert figures_of.pipeline(result) == figures.pipeline(organisation), organisation
        for period in ex.periods(figures.on):
            body = {"year": int(period.label)} if "-" not in period.label else {"term": period.label}
            result = await scenario.report("pipeline", organisation=organisation, **body)
            assert figures_of.pipeline(result) == figures.pipeline(organisation, period), (organisation, period.label)
    rejections = figures_of.pipeline(await scenario.report("pipeline", organisation=scenario.plan.province))["rejections"]
    assert {rule for rule, _ in rejections} == {"AGE_MIN", "EDU_MIN", "CLASS_VALID", "CELL_2_3"}


async def test_classes_and_attendees(scenario: Scenario) -> None:
    figures = expected(scenario)
    for organisation in [scenario.plan.province, "HU-CL", *scenario.plan.communes]:
        for period in ex.periods(figures.on):
            body = {"year": int(period.label)} if "-" not in period.label else {"term": period.label}
            result = await scenario.report("classes", organisation=organisation, **body)
            assert figures_of.classes(result) == figures.classes(organisation, period), (organisation, period.label)


async def test_white_zones(scenario: Scenario) -> None:
    figures = expected(scenario)
    for organisation in [scenario.plan.province, *scenario.plan.communes]:
        for years in (1, 3):
            result = await scenario.report("white_zones", organisation=organisation, years=years)
            assert figures_of.white_zones(result) == figures.white_zones(organisation, years), (organisation, years)
    province = figures.white_zones(scenario.plan.province)
    assert {(code, reason) for code, reason, *_ in province["localities"]} == {("TH-KHUOIPHAY", "no_member"), ("TH-LUNGVAI", "no_cell")}


async def test_open_and_overdue_deadlines(scenario: Scenario) -> None:
    figures = expected(scenario)
    for organisation in [scenario.plan.province, *scenario.plan.communes]:
        for overdue_only in (False, True):
            result = await scenario.report("deadlines", organisation=organisation, overdue_only=overdue_only)
            assert figures_of.deadlines(result) == figures.deadlines_report(organisation, overdue_only=overdue_only), organisation
    overdue = figures.deadlines_report(scenario.plan.province, overdue_only=True)["items"]
    assert {kind for _, kind, *_ in overdue} >= {"decision", "member_history", "recognition_vote"}


async def test_audit_history_of_a_dossier_on_each_kind_of_path(scenario: Scenario) -> None:
    figures = expected(scenario)
    chosen: dict[Path, int] = {}
    for dossier in scenario.plan.dossiers:
        chosen.setdefault(dossier.path, dossier.number)
    for number in sorted(chosen.values()):
        dossier = scenario.plan.dossiers[number - 1]
        result = await scenario.report("audit_history", dossier_id=dossier.dossier_id)
        assert figures_of.audit(result) == figures.audit(dossier), dossier.label


async def test_driving_the_same_plan_again_doubles_nothing(scenario: Scenario) -> None:
    figures = expected(scenario)
    before = await scenario.heads()
    quota = await scenario.report("quota", organisation=scenario.plan.province, term="2025-2030")
    await scenario.driver().run()
    assert await scenario.heads() == before
    await settle(scenario)
    assert await scenario.report("quota", organisation=scenario.plan.province, term="2025-2030") == quota
    result = await scenario.report("pipeline", organisation=scenario.plan.province)
    assert figures_of.pipeline(result) == figures.pipeline(scenario.plan.province)
