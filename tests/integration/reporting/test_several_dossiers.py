"""One person, one dossier, across deployments (issue 18): each commune's dossiers service keeps one
open dossier per citizen id (ONE_DOSSIER), but two communes do not see each other. The level above,
which keeps both communes' dossiers logs, reports the person whose dossiers are open in both."""

from __future__ import annotations

import dataclasses
import uuid
from contextlib import AsyncExitStack

import asyncpg

from ketnap.platform.eventstore import EventStore
from ketnap.services.dossiers import events as dossiers
from tests.conftest import eventually
from tests.integration.reporting.conftest import DISTRICT, DOC_TRAU, NORTH, OTHER, SUOI_DA, TA_GU, d, new_world
from tests.integration.reporting.story import DossierStory, Story, citizen
from tests.servers import Servers


async def _open(story: Story, cell: str, citizen_id: str, on: str) -> DossierStory:
    dossier = DossierStory(story, str(uuid.uuid4()), cell, citizen_id, OTHER)
    await dossier.dossiers([dossiers.DossierOpened(dossier_id=dossier.id, cell=cell, citizen_id=citizen_id, full_name="Trần Văn Bình",
                                                   opened_on=d(on), helper_citizen_id=citizen(999999))])
    return dossier


async def test_the_level_above_names_a_person_with_dossiers_open_in_two_communes(pool: asyncpg.Pool, servers: Servers, database_url: str) -> None:
    async with AsyncExitStack() as stack:
        world = await new_world(stack, pool, servers, database_url, dossiers_logs=2)
        story = world.story
        other_commune = Story(dataclasses.replace(story.logs, dossiers=EventStore(pool, world.sources["dossiers-2"].name)))
        start = d("2020-01-01")
        await story.establish("TINH-KH", "Tỉnh ủy Khánh Hòa", "province", None, start)
        await story.establish(DISTRICT, "Huyện ủy Khánh Sơn", "upper_committee", "TINH-KH", start)
        await story.establish(NORTH, "Đảng ủy xã Ba Cụm Bắc", "grassroots_committee", DISTRICT, start)
        await story.establish("XA-BCN", "Đảng ủy xã Ba Cụm Nam", "grassroots_committee", DISTRICT, start)
        await story.establish(TA_GU, "Chi bộ thôn Tà Gụ", "cell", NORTH, start)
        await story.establish(SUOI_DA, "Chi bộ thôn Suối Đá", "cell", NORTH, start)
        await story.establish(DOC_TRAU, "Chi bộ thôn Dốc Trầu", "cell", "XA-BCN", start)

        twice = citizen(4242)
        here = await _open(story, TA_GU, twice, "2025-03-01")
        there = await _open(other_commune, DOC_TRAU, twice, "2025-04-01")
        await _open(story, SUOI_DA, citizen(4343), "2025-03-01")  # one dossier: not listed
        withdrawn_too = citizen(4444)
        await _open(story, SUOI_DA, withdrawn_too, "2025-02-01")
        gone = await _open(other_commune, DOC_TRAU, withdrawn_too, "2025-02-02")
        await gone.dossiers([dossiers.DossierWithdrawn(dossier_id=gone.id, cell=DOC_TRAU, on=d("2025-05-01"))])

        async with world.reporting_running():
            await eventually(world.caught_up, timeout=60)
            found = await world.result("several_dossiers", organisation=DISTRICT, names=True)
            assert [[(x["dossier_id"], x["cell"]["code"], x["step"]) for x in p["dossiers"]] for p in found["people"]] == [
                [(here.id, TA_GU, "source_list"), (there.id, DOC_TRAU, "source_list")]
            ]
            assert {x["full_name"] for x in found["people"][0]["dossiers"]} == {"Trần Văn Bình"}
            # Inside one commune nobody is listed; no name unless asked.
            assert (await world.result("several_dossiers", organisation=NORTH, names=True))["people"] == []
            plain = await world.result("several_dossiers", organisation=DISTRICT)
            assert not any("full_name" in x for p in plain["people"] for x in p["dossiers"])
            # On a past day: the people whose dossiers were open in both communes then.
            people_on = [len((await world.result("several_dossiers", organisation=DISTRICT, on=day))["people"])
                         for day in ("2025-01-31", "2025-03-15", "2025-04-15", "2025-05-02")]
            assert people_on == [0, 1, 2, 1]
