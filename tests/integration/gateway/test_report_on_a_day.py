"""Reports about a business day (`on`) apart from what had been recorded (`as_recorded`), issue 18:
on data recorded today, a report about a past day answers about that day, never "no such unit"."""

from __future__ import annotations

import pytest

from tests.integration.gateway.reports import report, report_when
from tests.integration.gateway.world import World, new_citizen_id


@pytest.fixture(scope="module")
async def commune(world: World) -> str:
    """DU-C (since 2005) with a locality covered from 2015 by its cell CB-C1 (established 2015), which
    had admissions (on paper) on 02/03/2024 and 10/09/2024 against a 2024 quota of 4."""
    await world.registry("establish_organisation", code="DU-C", name="Đảng bộ xã C", kind="grassroots_committee", parent="T01",
                         effective_from="2005-01-01")
    await world.registry("establish_organisation", code="CB-C1", name="Chi bộ thôn C1", kind="cell", parent="DU-C",
                         effective_from="2015-01-01")
    await world.registry("register_member", citizen_id=new_citizen_id(), full_name="Đảng viên Thôn", organisation="CB-C1",
                         kind="official", effective_from="2015-01-01")
    await world.registry("register_locality", code="TH-C1", name="Thôn C1", kind="thôn", organisation="DU-C", effective_from="2005-01-01")
    await world.registry("change_locality_coverage", code="TH-C1", covered_by="CB-C1", effective_from="2015-01-01")
    await world.registry("assign_quota", organisation="DU-C", period="2024", quantity=4, assigned_by="T01", decision_date="2024-01-05")
    for decided, ceremony in (("2024-03-02", "2024-03-20"), ("2024-09-10", "2024-09-25")):
        await world.registry("record_paper_admission", citizen_id=new_citizen_id(), full_name="Người Được Kết Nạp",
                             organisation="CB-C1", decided_by="DU-C", decision_number="9-QĐ/ĐU", decision_date=decided,
                             ceremony_on=ceremony)
    return "DU-C"


async def test_a_white_zone_at_the_end_of_2010_is_closed_by_a_cell_established_later(world: World, commune: str) -> None:
    await report_when(world, "white_zones", lambda r: not r["localities"], organisation=commune)
    then = await report(world, "white_zones", organisation=commune, on="2010-12-31")
    assert [(lo["code"], lo["reason"]) for lo in then["localities"]] == [("TH-C1", "no_cell")]
    assert then["on"] == "2010-12-31"


async def test_an_idle_cell_on_a_past_report_date_and_not_today(world: World, commune: str) -> None:
    await report_when(world, "white_zones", lambda r: not r["cells_without_admission"], organisation=commune, years=3)
    then = await report(world, "white_zones", organisation=commune, years=3, on="2022-10-15")
    assert [c["code"] for c in then["cells_without_admission"]] == ["CB-C1"]


async def test_a_quota_report_on_a_day_inside_the_year_counts_what_was_decided_by_then(world: World, commune: str) -> None:
    await report_when(world, "quota", lambda r: r["achieved"] == 2, organisation=commune, year=2024)
    mid = await report(world, "quota", organisation=commune, year=2024, on="2024-06-30")
    assert (mid["quota"], mid["achieved"], mid["status_on"]) == (4, 1, "2024-06-30")


async def test_a_report_day_after_today_is_refused_naming_the_field(world: World, commune: str) -> None:
    response = await world.query("bantochuc", "reporting", "quota", {"organisation": commune, "year": 2024, "on": "2999-01-01"})
    assert response.status_code == 422 and "on" in response.text, response.text
