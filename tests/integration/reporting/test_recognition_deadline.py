"""The recognition decision's deadline (domain.md §2, step 15): 30 working days (+ one extension of at
most 30) from the cell's resolution proposing recognition; met by the recognition decision, closed
by a name removal. Four members of the cell Ha Nít on probation, seen on 20/11/2025."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime

import asyncpg
import pytest

from ketnap.platform import projections
from tests.integration.reporting.conftest import DISTRICT, HA_NIT, OTHER, PROVINCE, SON_BINH, World, d, new_world
from tests.integration.reporting.story import DossierStory
from tests.servers import Servers


async def on_probation(world: World, name: str, ceremony_on: date) -> DossierStory:
    """Admitted the year before, with every deadline up to the recognition vote met."""
    year = ceremony_on.year
    dossier = world.dossiers[name] = await world.story.dossier(HA_NIT, date(year, 1, 8), OTHER)
    await dossier.letter(date(year, 1, 15))
    await dossier.declare(date(year, 1, 22))
    await dossier.certify(date(year, 3, 1), by=SON_BINH)
    await dossier.ready(date(year, 3, 15))
    await dossier.cell_vote(date(year, 4, 1))
    if name == "R1":
        await dossier.admission_extended(d("2024-06-20"), DISTRICT, 10)
    await dossier.decide(date(year, 7, 1), DISTRICT, f"{name}-QĐ/HU")
    await dossier.notify(date(year, 7, 10))
    await dossier.ceremony(ceremony_on, date(year, 7, 10))
    await dossier.history_filed(date(year, ceremony_on.month, ceremony_on.day + 1))
    await dossier.recognition_papers(ceremony_on.replace(year=year + 1))
    return dossier


@dataclass
class Probation:
    world: World
    before_decisions: datetime
    """A moment when all four proposals were recorded and neither decision yet."""

    def ids(self) -> dict[str, str]:
        return {name: dossier.id for name, dossier in self.world.dossiers.items()}


@pytest.fixture(scope="module")
async def probation(pool: asyncpg.Pool, servers: Servers, database_url: str) -> AsyncIterator[Probation]:
    async with AsyncExitStack() as stack:
        world = await new_world(stack, pool, servers, database_url)
        story = world.story
        for code, name, kind, parent in ((PROVINCE, "Tỉnh ủy Khánh Hòa", "province", None),
                                          (DISTRICT, "Huyện ủy Khánh Sơn", "upper_committee", PROVINCE),
                                          (SON_BINH, "Đảng ủy xã Sơn Bình", "grassroots_committee", DISTRICT),
                                          (HA_NIT, "Chi bộ thôn Ha Nít", "cell", SON_BINH)):
            await story.establish(code, name, kind, parent, d("2020-01-01"))
        # R1: proposed on 05/08/2025; the grassroots committee's resolution does not restart the clock; extended by 20.
        r1 = await on_probation(world, "R1", d("2024-08-01"))
        await r1.recognition_vote(d("2025-08-05"))
        await r1.recognition_grassroots_vote(d("2025-08-20"), SON_BINH)
        await r1.recognition_extended(d("2025-09-10"), DISTRICT, 20)
        # R4: proposed on 05/11/2025, not due yet.
        r4 = await on_probation(world, "R4", d("2024-11-03"))
        await r4.recognition_vote(d("2025-11-05"))
        # R2: proposed on 18/09/2025, then the competent committee removed the name instead.
        r2 = await on_probation(world, "R2", d("2024-09-16"))
        await r2.recognition_vote(d("2025-09-18"))
        # R3: proposed on 20/10/2025, recognised on 03/11/2025.
        r3 = await on_probation(world, "R3", d("2024-10-15"))
        await r3.recognition_vote(d("2025-10-20"))
        before_decisions = datetime.now(UTC)
        await r2.name_removed(d("2025-10-06"), DISTRICT)
        await r3.recognised(d("2025-11-03"), DISTRICT, "R3-CN/HU")
        await stack.enter_async_context(world.reporting_running())
        yield Probation(world, before_decisions)


def recognition_items(result: dict) -> list[tuple]:
    return [(i["dossier_id"], i["started_on"], i["due_on"], i["overdue"], i["working_days_late"])
            for i in result["items"] if i["kind"] == "recognition_decision"]


async def test_open_recognition_decisions_with_their_due_dates(probation: Probation) -> None:
    result = await probation.world.result("deadlines", organisation=DISTRICT)
    ids = probation.ids()
    assert recognition_items(result) == [
        # 30 + 20 working days from 05/08/2025 (01-02/09 are public holidays): 16/10/2025, 25 working days ago.
        (ids["R1"], "2025-08-05", "2025-10-16", True, 25),
        (ids["R4"], "2025-11-05", "2025-12-17", False, 0),
    ]
    assert [i["kind"] for i in result["items"]] == ["recognition_decision", "recognition_decision"]
    assert {i["rule"] for i in result["items"]} == {None}
    assert (result["open"], result["overdue"]) == (2, 1)


async def test_before_the_decisions_every_proposal_was_waiting(probation: Probation) -> None:
    result = await probation.world.result("deadlines", organisation=SON_BINH, as_of=probation.before_decisions.isoformat())
    ids = probation.ids()
    assert recognition_items(result) == [
        (ids["R1"], "2025-08-05", "2025-10-16", True, 25),
        (ids["R2"], "2025-09-18", "2025-10-30", True, 15),
        (ids["R3"], "2025-10-20", "2025-12-01", False, 0),
        (ids["R4"], "2025-11-05", "2025-12-17", False, 0),
    ]


async def test_met_by_the_decision_closed_by_the_name_removal_and_each_extension_where_it_belongs(probation: Probation) -> None:
    world = probation.world
    async with world.pool.acquire() as conn:
        rows = {
            (r["dossier_id"], r["kind"]): (r["started_on"], r["due_on"], r["extension_working_days"], r["done_on"], r["rule_set"])
            for r in await conn.fetch(f"SELECT * FROM {world.reporting.name}.deadlines WHERE kind IN ('decision', 'recognition_decision')")
        }
    ids = probation.ids()
    assert rows[ids["R1"], "recognition_decision"] == (d("2025-08-05"), d("2025-10-16"), 20, None, "2025-07")
    # The admission's extension (voting's log says it too) stayed with the admission decision.
    assert rows[ids["R1"], "decision"] == (d("2024-04-01"), d("2024-07-11"), 10, d("2024-07-01"), "2021")
    assert rows[ids["R2"], "recognition_decision"] == (d("2025-09-18"), d("2025-10-30"), 0, d("2025-10-06"), "2025-07")
    assert rows[ids["R3"], "recognition_decision"] == (d("2025-10-20"), d("2025-12-01"), 0, d("2025-11-03"), "2025-07")
    assert rows[ids["R4"], "recognition_decision"][3] is None
    assert len([key for key in rows if key[1] == "recognition_decision"]) == 4


async def test_the_deadlines_equal_their_rebuild(probation: Probation) -> None:
    deadlines = next(p for p in probation.world.reporting.projections if p.name.endswith(".deadlines"))
    assert await projections.verify(probation.world.pool, deadlines) == []
