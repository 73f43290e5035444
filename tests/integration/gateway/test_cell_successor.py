"""A cell merged into another or split: its open dossiers continue in the unit that took its place
(issue 24; services/dossiers/tree_changes.py). The next step is taken by the successor's secretary,
reports count the dossier there, and nothing is left open in the unit that ended."""

from __future__ import annotations

import json
from typing import Any

from ketnap.platform.bus import subjects
from tests.conftest import eventually
from tests.integration.gateway.reports import report_when
from tests.integration.gateway.world import World, new_citizen_id


async def _moved_to(world: World, dossier_id: str, cell: str) -> dict[str, Any]:
    """The transfer the dossiers service recorded when it applied the registry's tree change."""

    async def moved() -> dict[str, Any] | None:
        events = await world.store("dossiers").read_stream(f"dossier-{dossier_id}")
        found = [e for e in events if e.event_type == "DossierTransferred" and e.data["to_cell"] == cell]
        return {"data": found[0].data, "actor": found[0].actor} if found else None

    return await eventually(moved)


async def _open_in(world: World, organisation: str) -> int:
    reply = await world.request(subjects.query_subject(world.name("dossiers"), "open_dossiers"), {"organisation": organisation})
    assert reply["ok"], reply
    return reply["result"]["open"]


async def test_a_dossier_of_a_merged_cell_continues_in_the_cell_it_was_merged_into(world: World) -> None:
    dossier_id = await world.open_dossier("bithu.a1", "CB-A1")
    await world.registry("merge_organisation", code="CB-A1", into="CB-A2", effective_from="2025-10-01", decision_number="12-QĐ/ĐU")

    moved = await _moved_to(world, dossier_id, "CB-A2")
    assert moved["data"] | {"dossier_id": dossier_id} == {
        "dossier_id": dossier_id, "cell": "CB-A1", "on": "2025-10-01", "from_cell": "CB-A1", "to_cell": "CB-A2",
    }
    assert moved["actor"] == "dossiers.tree_changes"
    assert await _open_in(world, "CB-A1") == 0 and await _open_in(world, "CB-A2") == 1

    # The next step, by the secretary of the cell it was merged into.
    letter = await world.command("bithu.a2", "dossiers", "submit_application_letter", {"dossier_id": dossier_id, "submitted_on": "2025-10-06"})
    assert letter.status_code == 200, letter.text
    body = (await world.query("bithu.a2", "dossiers", "dossier", {"dossier_id": dossier_id})).json()["result"]
    assert body["cell"] == "CB-A2", json.dumps(body, ensure_ascii=False)

    # Reports count it under CB-A2, in the commune's report and in the cell's own.
    commune = await report_when(
        world, "pipeline", lambda r: any(c["code"] == "CB-A2" and c["total"] == 1 for c in r["children"]), organisation="DU-A",
    )
    assert [c["code"] for c in commune["children"]] == ["CB-A2"], "the merged cell is no unit of the commune any more"
    own = await report_when(world, "pipeline", lambda r: r["total"] == 1, login="bithu.a2", organisation="CB-A2")
    assert own["code"] == "CB-A2"


async def test_a_dossier_of_a_split_cell_goes_with_its_helper(world: World) -> None:
    for code in ("CB-A3", "CB-A4", "CB-A5"):
        await world.registry("establish_organisation", code=code, name=f"Chi bộ {code}", kind="cell", parent="DU-A", effective_from="2005-01-01")
    helper, staying = new_citizen_id(), new_citizen_id()
    for member in (helper, staying):
        await world.registry("register_member", citizen_id=member, full_name="Đảng viên Chi Bộ Ba", organisation="CB-A3",
                             kind="official", effective_from="2010-01-01")
    response = await world.command("canbo.a", "dossiers", "open_dossier", {
        "cell": "CB-A3", "citizen_id": new_citizen_id(), "full_name": "Lò Văn Khánh", "opened_on": "2025-09-01", "helper_citizen_id": helper,
    })
    assert response.status_code == 200, response.text
    dossier_id = response.json()["result"]["dossier_id"]
    # The first part receives whatever is not listed; the helper is listed for the second.
    await world.registry("split_organisation", code="CB-A3", effective_from="2025-10-01", parts=[
        {"code": "CB-A4", "members": [staying]}, {"code": "CB-A5", "members": [helper]},
    ])

    moved = await _moved_to(world, dossier_id, "CB-A5")
    assert moved["data"]["from_cell"] == "CB-A3"
    assert await _open_in(world, "CB-A3") == 0
    letter = await world.command("canbo.a", "dossiers", "submit_application_letter", {"dossier_id": dossier_id, "submitted_on": "2025-10-06"})
    assert letter.status_code == 200, letter.text
    await report_when(world, "pipeline", lambda r: r["total"] == 1, organisation="CB-A5")
