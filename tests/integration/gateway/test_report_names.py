"""Report rows that name a dossier carry the applicant's name for the roles that may read personal
data (access.PERSONAL_READERS), recorded as one personal read naming the dossiers shown; an
administrator gets the same report without names, and nobody may ask for names themselves."""

from __future__ import annotations

import pytest

from ketnap.services.gateway import events as ev
from tests.integration.gateway.reports import report, report_when
from tests.integration.gateway.world import World, new_citizen_id

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture(scope="module")
async def commune(world: World) -> str:
    """DU-N with its cell CB-N1 and one admission taken over from paper in 2023."""
    await world.registry("establish_organisation", code="DU-N", name="Đảng bộ xã N", kind="grassroots_committee", parent="T01",
                         effective_from="2015-01-01")
    await world.registry("establish_organisation", code="CB-N1", name="Chi bộ thôn N1", kind="cell", parent="DU-N",
                         effective_from="2015-01-01")
    await world.registry("record_paper_admission", citizen_id=new_citizen_id(), full_name="Đinh Thị  Nết", organisation="CB-N1",
                         decided_by="DU-N", decision_number="5-QĐ/ĐU", decision_date="2023-04-03", ceremony_on="2023-04-20")
    await report_when(world, "quota", lambda r: r["achieved"] == 1, organisation="DU-N", year=2023)
    return "DU-N"


async def _searches(world: World, login: str) -> list[dict]:
    return [e.data for e in await world.store("gateway").read_stream(ev.searches_stream(login))]


async def test_the_board_reads_the_new_members_name_and_the_read_is_recorded_once(world: World, commune: str) -> None:
    before = len(await _searches(world, "bantochuc"))
    result = await report(world, "quota", "bantochuc", organisation=commune, year=2023)
    (admission,) = result["admissions"]
    assert admission["full_name"] == "Đinh Thị Nết"
    recorded = await _searches(world, "bantochuc")
    assert len(recorded) == before + 1
    assert (recorded[-1]["read"], recorded[-1]["organisation"], recorded[-1]["dossier_ids"]) == (
        "reporting.quota", commune, [admission["dossier_id"]]
    )
    assert "Nết" not in str(recorded[-1])


async def test_an_administrator_gets_the_report_without_names_and_no_personal_read(world: World, commune: str) -> None:
    before = await _searches(world, "quantri")
    result = await report(world, "quota", "quantri", organisation=commune, year=2023)
    assert len(result["admissions"]) == 1 and "full_name" not in result["admissions"][0]
    assert await _searches(world, "quantri") == before


async def test_asking_for_names_in_the_body_is_refused_naming_the_field(world: World, commune: str) -> None:
    response = await world.query("quantri", "reporting", "quota", {"organisation": commune, "year": 2023, "names": True})
    assert response.status_code == 422 and "names" in response.text, response.text
    assert "do hệ thống điền" in response.json()["error"]["message"]
