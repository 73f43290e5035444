"""Taking over the paper past (issue 18): an admission decided on paper before the system is recorded in
the registry, judged under the rule set of its dates, and counted in the quota report and the
new-member statistics like an admission decided here; refusals name their rule."""

from __future__ import annotations

from typing import Any

from tests.integration.gateway.reports import report_when
from tests.integration.gateway.world import World, new_citizen_id


def paper(citizen_id: str, **over: Any) -> dict[str, Any]:
    return {"citizen_id": citizen_id, "full_name": "Phan Văn Tiếp", "organisation": "CB-A1", "decided_by": "DU-A",
            "decision_number": "112-QĐ/ĐU", "decision_date": "2023-03-02", "ceremony_on": "2023-03-20",
            "official_since": "2024-03-20", **over}


async def test_a_paper_admission_counts_in_the_quota_and_the_statistics_of_its_year(world: World) -> None:
    quota = await world.command("bantochuc", "registry", "assign_quota", {
        "organisation": "DU-A", "period": "2023", "quantity": 4, "assigned_by": "T01", "decision_date": "2023-01-05",
    })
    assert quota.status_code == 200, quota.text
    for _ in range(2):
        taken = await world.command("canbo.a", "registry", "record_paper_admission", paper(new_citizen_id()))
        assert taken.status_code == 200, taken.text

    result = await report_when(world, "quota", lambda r: r["achieved"] == 2, "canbo.a", organisation="DU-A", year=2023)
    assert (result["quota"], result["achieved"], result["percent"]) == (4, 2, 50.0)
    assert {a["decided_by"] for a in result["admissions"]} == {"DU-A"} and {a["rule_set"] for a in result["admissions"]} == {"2021"}
    stats = await world.query("canbo.a", "reporting", "stats", {"organisation": "DU-A", "year": 2023})
    assert stats.status_code == 200 and stats.json()["result"]["admitted"] == 2, stats.text


async def test_a_paper_admission_is_refused_with_the_rule_it_breaks(world: World) -> None:
    before = await world.heads()
    refusals = {
        "NO_RULE_SET": paper(new_citizen_id(), decision_date="2010-06-01", ceremony_on="2010-06-20", official_since="2011-06-20"),
        "AUTHORITY": paper(new_citizen_id(), decided_by="CB-A2"),
        "RECOG_EARLY": paper(new_citizen_id(), official_since="2024-03-19"),
    }
    for rule, body in refusals.items():
        response = await world.command("canbo.a", "registry", "record_paper_admission", body)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == f"rule:{rule}", response.text
    assert await world.heads() == before
