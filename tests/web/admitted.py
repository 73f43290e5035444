"""A dossier taken from the cell's vote to the admission decision through the HTTP API, as the
people who record each act (for the printed papers: 6, 8, 9-KNĐ and the register, 18-KNĐ)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.integration.gateway.world import HELPERS, World
from tests.web.people import INTRODUCERS, _eventually, _ok, today

THIRD = ("001080000033", "Phạm Văn Ba")
CELL_MEMBERS = [HELPERS["CB-A1"], INTRODUCERS["CB-A1"][0], THIRD[0]]
"""The official members of CB-A1 (the world's helper, the second introducer and a third, CELL_MIN3): all vote."""
DECISION_NUMBER = "125-QĐ/TU"


def day(days_ago: int) -> str:
    return (today() - timedelta(days=days_ago)).isoformat()


async def seat_committee(world: World) -> None:
    """A third official member of CB-A1, and DU-A's committee: the three members of CB-A1."""
    await world.registry("register_member", citizen_id=THIRD[0], full_name=THIRD[1], organisation="CB-A1", kind="official",
                         effective_from="2010-01-01")
    for citizen_id, role in zip(CELL_MEMBERS, ("bí thư", "phó bí thư", "ủy viên"), strict=True):
        await world.registry("appoint_committee_member", organisation="DU-A", citizen_id=citizen_id, role=role, effective_from="2020-01-01")


async def admit(world: World, dossier: str) -> dict[str, Any]:
    """A dossier made ready for the cell's vote 28 days ago (people.prepare_certified(ready=True)):
    the cell votes 3 for out of 3, the grassroots committee 3 out of 3, the province decides."""
    await _eventually(world, "bithu.a1", "voting", "case", dossier)
    ballots = [{"citizen_id": c, "choice": "agree"} for c in CELL_MEMBERS]
    await _ok(await world.command("bithu.a1", "voting", "record_cell_resolution", {
        "dossier_ids": [dossier], "cell": "CB-A1", "meeting_on": day(28), "ballots": ballots,
    }))
    await _ok(await world.command("canbo.a", "voting", "record_grassroots_resolution", {
        "dossier_ids": [dossier], "organisation": "DU-A", "meeting_on": day(25), "ballots": ballots,
    }))
    await _ok(await world.command("thuongvu", "voting", "decide_admission", {
        "dossier_id": dossier, "decided_by": "T01", "decision_date": day(20), "admitted": True, "decision_number": DECISION_NUMBER,
    }))
    return await _eventually(world, "canbo.a", "dossiers", "dossier", dossier, lambda d: bool(d.get("admission")))
