"""issue 23: a province's own quota (the one it is given for its whole party organisation, with no
unit above it in the deployment) is recorded by the province itself and shown in the quota report
beside the sum of what it split below."""

from __future__ import annotations

from tests.integration.gateway.reports import report_when
from tests.integration.gateway.world import World

YEAR = "2024"


async def test_a_province_records_its_own_quota_and_the_report_shows_it_beside_what_it_split_below(world: World) -> None:
    own = await world.command("bantochuc", "registry", "assign_quota", {
        "organisation": "T01", "period": YEAR, "quantity": 30, "assigned_by": "T01", "decision_date": "2024-01-10",
        "decision_number": "05-NQ/TU",
    })
    assert own.status_code == 200, own.text
    for unit, quantity in (("DU-A", 12), ("DU-B", 10)):
        split = await world.command("bantochuc", "registry", "assign_quota", {
            "organisation": unit, "period": YEAR, "quantity": quantity, "assigned_by": "T01", "decision_date": "2024-01-15",
        })
        assert split.status_code == 200, split.text

    result = await report_when(world, "quota", lambda r: r["children_quota_total"] == 22, organisation="T01", year=2024)
    assert (result["code"], result["quota"], result["children_quota_total"]) == ("T01", 30, 22)
    assert {c["code"]: c["quota"] for c in result["children"]} == {"DU-A": 12, "DU-B": 10}


async def test_a_unit_with_a_unit_above_cannot_record_its_own_quota(world: World) -> None:
    before = await world.heads()
    response = await world.command("bantochuc", "registry", "assign_quota", {
        "organisation": "DU-A", "period": "2023", "quantity": 5, "assigned_by": "DU-A", "decision_date": "2023-01-10",
    })
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["details"]["field"] == "assigned_by"
    assert error["message"].startswith("DU-A có tổ chức cấp trên vào ngày 10/01/2023: chỉ tiêu của DU-A do cấp trên giao")
    assert await world.heads() == before
