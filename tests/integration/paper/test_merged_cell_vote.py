"""A dossier ready for its cell's vote in a cell that is then merged into another (issue 24): the
dossiers service moves it to the successor (services/dossiers/tree_changes.py), voting's case
follows, the successor votes on it with the members it received, the dossier goes on, and reports
count it under the successor. Five real services; the dossier is taken over from paper at the
cell's vote, the quickest honest way to a dossier at that step."""

from __future__ import annotations

import uuid

from ketnap.domain.calendar import today_in_vietnam
from ketnap.platform.bus import requests
from tests.conftest import eventually
from tests.integration.paper.test_take_over import World
from tests.integration.paper.test_take_over_cases import (
    CELL,
    HELPER,
    INTRODUCER,
    MEMBER_3,
    MEMBER_4,
    PARTIAL,
    SECOND_MEMBER,
    TO_THE_APPRAISAL,
    _prepare,
    paper,
    person,
    world,  # noqa: F401 - the fixture: five services on fresh schemas
)

APPLICANT = "001998000031"
SUCCESSOR = "PT.H2.X2.B1.C2"
READY = {k: v for k, v in TO_THE_APPRAISAL.items() if k not in ("Số phiếu tán thành", "Đảng ủy bộ phận thẩm định", "Ngày thẩm định")}


async def test_the_cell_a_dossier_waits_in_is_merged_and_the_successor_votes_on_it(world: World) -> None:  # noqa: F811
    w = world
    await _prepare(w)
    taken, _ = await w.take_over(paper({**person(APPLICANT, "Mai Văn Hợp", "ready_for_cell_vote"), **READY, **SECOND_MEMBER}))
    assert taken.ok, taken.problems
    (dossier_id,) = taken.dossiers.values()
    await w.settle()
    assert (await w.query("voting", "case", dossier_id=dossier_id))["cell"] == CELL

    established = await requests.command(w.nc, w.names["registry"], "establish_organisation", {
        "code": SUCCESSOR, "name": "Chi bộ khu 3 mới", "kind": "cell", "parent": PARTIAL, "effective_from": "2015-01-01",
        "idempotency_key": str(uuid.uuid4()), "actor": "ban-to-chuc", "scope": "PT",
    })
    assert established["ok"], established
    merged = await w.command("registry", "merge_organisation", code=CELL, into=SUCCESSOR, effective_from="2025-04-12")
    assert merged["ok"], merged

    async def voting_follows() -> bool:
        return (await w.query("voting", "case", dossier_id=dossier_id))["cell"] == SUCCESSOR

    await eventually(voting_follows, timeout=60)
    dossier = await w.query("dossiers", "dossier", dossier_id=dossier_id)
    assert (dossier["cell"], dossier["step"]) == (SUCCESSOR, "ready_for_cell_vote")
    await w.settle()
    pipeline = await w.query("reporting", "pipeline", organisation=SUCCESSOR, on=today_in_vietnam().isoformat())
    assert pipeline["total"] == 1, pipeline

    # The successor's vote: the members it received from the merged cell are its roster.
    ballots = [{"citizen_id": c, "choice": "agree"} for c in (HELPER, INTRODUCER, MEMBER_3, MEMBER_4)]
    voted = await w.command("voting", "record_cell_resolution", dossier_ids=[dossier_id], cell=SUCCESSOR, meeting_on="2025-04-15",
                            ballots=ballots)
    assert voted["ok"], voted
    assert voted["result"]["outcome"] == "adopted", voted["result"]
    # The old cell's vote is no more possible: the dossier is not there.
    again = await w.command("voting", "record_cell_resolution", dossier_ids=[dossier_id], cell=CELL, meeting_on="2025-04-16",
                            ballots=ballots)
    assert not again["ok"], again

    async def moved_on() -> bool:
        return (await w.query("dossiers", "dossier", dossier_id=dossier_id))["step"] != "ready_for_cell_vote"

    await eventually(moved_on, timeout=60)
