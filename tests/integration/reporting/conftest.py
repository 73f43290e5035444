"""The district of Khánh Sơn over 2021-2025, told to fresh registry, dossiers, verification and voting
logs, with a reporting service on a fresh schema reading them: shared by the package's tests.

Phase A is everything recorded before the registry recorded that the communes Ba Cụm Bắc and Ba Cụm
Nam merged on 01/07/2025; phase B records the merge and what followed. Reporting runs through
phase A, is stopped, and is started again for phase B (test_rebuild.py also stops it part-way
through a log).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import nats
import pytest
from nats.aio.client import Client as NatsClient

from ketnap.platform import projections
from ketnap.platform.bus import subjects
from ketnap.platform.eventstore import EventStore
from ketnap.platform.service import Service
from ketnap.services.reporting.service import build_service
from tests.conftest import eventually, unique
from tests.integration.harness import bootstrap_bus, new_schema, running
from tests.integration.reporting.story import DossierStory, Logs, Profile, Story
from tests.servers import Servers

TODAY = date(2025, 11, 20)
"""The reporting service's today: every figure below is as the district saw it that day."""

PROVINCE, DISTRICT = "TINH-KH", "HUYEN-KS"
NORTH, SOUTH, SON_BINH = "XA-BCB", "XA-BCN", "XA-SB"
"""Communes (grassroots committees): Ba Cụm Bắc merges into Ba Cụm Nam on 01/07/2025."""
TA_GU, SUOI_DA, DOC_TRAU, HA_NIT, CO_ROA = "CB-BCB-1", "CB-BCB-2", "CB-BCN-1", "CB-SB-1", "CB-SB-2"
MERGED_ON = date(2025, 7, 1)


def d(text: str) -> date:
    return date.fromisoformat(text)


@dataclass
class World:
    pool: asyncpg.Pool
    nc: NatsClient
    servers: Servers
    database_url: str
    deployment: str
    sources: dict[str, Service]
    reporting: Service
    story: Story
    dossiers: dict[str, DossierStory] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)
    """Citizen ids of the members registered in each cell."""
    before_merge: datetime | None = None
    """The moment phase A was recorded and phase B not yet."""

    async def query(self, name: str, **fields: Any) -> dict[str, Any]:
        reply = await self.nc.request(
            subjects.query_subject(self.reporting.name, name), json.dumps(fields, default=str).encode(), timeout=30
        )
        return json.loads(reply.data)

    async def result(self, name: str, **fields: Any) -> dict[str, Any]:
        reply = await self.query(name, **fields)
        assert reply["ok"], reply
        return reply["result"]

    async def heads(self) -> dict[str, int]:
        async with self.pool.acquire() as conn:
            return {
                s.name: await conn.fetchval(f"SELECT coalesce(max(position), 0) FROM {s.name}.events") for s in self.sources.values()
            }

    async def checkpoints(self) -> list[tuple[str, int]]:
        """(source, position reached) of every consumer of every projection."""
        async with self.pool.acquire() as conn:
            return [
                (source, await conn.fetchval(
                    f"SELECT coalesce(max(position), 0) FROM {self.reporting.name}.consumer_checkpoints WHERE consumer = $1 AND source = $2",
                    projection.name,
                    source,
                ))
                for projection in self.reporting.projections
                for source in projection.sources
            ]

    async def caught_up(self) -> bool:
        heads = await self.heads()
        return all(reached >= heads[source] for source, reached in await self.checkpoints())

    @asynccontextmanager
    async def reporting_running(self) -> AsyncIterator[None]:
        async with running(self.reporting, self.servers.nats_url, self.database_url, self.deployment):
            await eventually(self.caught_up, timeout=60)
            yield


PROFILES = {
    "D1": Profile(d("1995-05-01"), "female", "Kinh", "Không", "Giáo viên", "upper_secondary", "university", True),
    "D2": Profile(d("1988-02-29"), "male", "Raglai", "Không", "Nông dân", "lower_secondary", "none", False),
    "D3": Profile(d("1970-01-15"), "male", "Kinh", "Công giáo", "Công nhân", "upper_secondary", "college", False),
    "D4": Profile(d("2000-01-01"), "female", "Raglai", "Không", "Nông dân", "upper_secondary", "none", True),
    "D5": Profile(d("1990-03-03"), "male", "Kinh", "Không", "Bộ đội xuất ngũ"),
    "D7": Profile(d("2001-08-15"), "female", "Raglai", "  Không ", "nông   dân", "upper_secondary", "intermediate", True),
}
OTHER = Profile(d("1999-09-09"), "female", "Kinh", "Không", "Sinh viên")


async def phase_a(story: Story, world: World) -> None:
    """The tree, rosters, localities, quotas, classes, and every dossier up to 30/06/2025."""
    start = d("2020-01-01")
    await story.establish(PROVINCE, "Tỉnh ủy Khánh Hòa", "province", None, start)
    await story.establish(DISTRICT, "Huyện ủy Khánh Sơn", "upper_committee", PROVINCE, start)
    await story.establish(NORTH, "Đảng ủy xã Ba Cụm Bắc", "grassroots_committee", DISTRICT, start)
    await story.establish(SOUTH, "Đảng ủy xã Ba Cụm Nam", "grassroots_committee", DISTRICT, start)
    await story.establish(SON_BINH, "Đảng ủy xã Sơn Bình", "grassroots_committee", DISTRICT, start)
    await story.establish(TA_GU, "Chi bộ thôn Tà Gụ", "cell", NORTH, start)
    await story.establish(SUOI_DA, "Chi bộ thôn Suối Đá", "cell", NORTH, start)
    await story.establish(DOC_TRAU, "Chi bộ thôn Dốc Trầu", "cell", SOUTH, start)
    await story.establish(HA_NIT, "Chi bộ thôn Ha Nít", "cell", SON_BINH, start)
    await story.establish(CO_ROA, "Chi bộ thôn Cô Róa", "cell", SON_BINH, d("2023-03-01"))
    for cell, members in ((TA_GU, 3), (DOC_TRAU, 2), (HA_NIT, 3), (CO_ROA, 1)):
        for _ in range(members):
            world.members.setdefault(cell, []).append(await story.member(cell, d("2023-03-01") if cell == CO_ROA else start))
    await story.locality("THON-TG", "Thôn Tà Gụ", NORTH, TA_GU, start)
    await story.locality("THON-SD", "Thôn Suối Đá", NORTH, SUOI_DA, start)
    await story.locality("THON-DT", "Thôn Dốc Trầu", SOUTH, DOC_TRAU, start)
    await story.locality("THON-HN", "Thôn Ha Nít", SON_BINH, HA_NIT, start)
    await story.locality("THON-MOI", "Thôn Tà Lương", SON_BINH, None, start)
    await story.quota(DISTRICT, "2025", 10, PROVINCE, d("2025-01-15"))
    await story.quota(NORTH, "2025", 4, DISTRICT, d("2025-01-20"))
    await story.quota(SOUTH, "2025", 5, DISTRICT, d("2025-01-20"))
    await story.quota(SON_BINH, "2025", 3, DISTRICT, d("2025-01-20"))
    await story.quota(DISTRICT, "2020-2025", 40, PROVINCE, d("2020-10-01"))
    await story.class_held("LOP-2024-1", "awareness", DISTRICT, d("2024-10-01"), d("2024-10-04"), 30, 0)
    await story.class_held("LOP-2025-1", "awareness", DISTRICT, d("2025-03-01"), d("2025-03-05"), 40, 38)
    await story.class_held("LOP-2025-2", "new_member", NORTH, d("2025-06-10"), d("2025-06-12"), 12, 12)

    dossiers = world.dossiers
    # D5: admitted in 2021, official in 2022; declared before qualifications were recorded.
    d5 = dossiers["D5"] = await story.dossier(HA_NIT, d("2021-08-02"), PROFILES["D5"])
    d5.with_qualifications = False
    await d5.admit(d("2021-08-09"), d("2021-08-16"), d("2021-09-01"), d("2021-09-06"), d("2021-09-13"), d("2021-10-15"),
                   by=DISTRICT, number="12-QĐ/HU")
    await d5.notify(d("2021-10-20"))
    await d5.ceremony(d("2021-11-01"), d("2021-10-20"))
    await d5.history_filed(d("2021-11-15"))
    await d5.recognition_papers(d("2022-11-02"))
    await d5.recognition_vote(d("2022-11-04"))
    await d5.recognised(d("2022-11-20"), DISTRICT, "40-QĐ/HU")
    # D4: admitted in 2024; recognition papers and the cell's vote done, decision awaited.
    d4 = dossiers["D4"] = await story.dossier(HA_NIT, d("2023-09-04"), PROFILES["D4"])
    await d4.admit(d("2023-10-02"), d("2023-10-16"), d("2024-03-01"), d("2024-07-01"), d("2024-07-15"), d("2024-09-10"),
                   by=DISTRICT, number="88-QĐ/HU")
    await d4.notify(d("2024-09-16"))
    await d4.ceremony(d("2024-10-01"), d("2024-09-16"))
    await d4.history_filed(d("2024-10-20"))
    await d4.recognition_papers(d("2025-10-03"))
    await d4.recognition_vote(d("2025-10-08"))
    # D1, D2 (Tà Gụ, Ba Cụm Bắc) and D3 (Dốc Trầu, Ba Cụm Nam): admitted in 2025 before the merge.
    d1 = dossiers["D1"] = await story.dossier(TA_GU, d("2024-06-03"), PROFILES["D1"])
    await d1.admit(d("2024-07-01"), d("2024-07-15"), d("2024-10-01"), d("2024-12-02"), d("2025-01-10"), d("2025-03-10"),
                   by=DISTRICT, number="101-QĐ/HU")
    await d1.notify(d("2025-03-20"))
    await d1.ceremony(d("2025-04-15"), d("2025-03-20"))
    d2 = dossiers["D2"] = await story.dossier(TA_GU, d("2024-08-01"), PROFILES["D2"])
    await d2.admit(d("2024-08-15"), d("2024-09-02"), d("2024-11-01"), d("2024-11-15"), d("2025-03-18"), d("2025-05-20"),
                   by=DISTRICT, number="130-QĐ/HU")
    await d2.notify(d("2025-05-28"))
    d3 = dossiers["D3"] = await story.dossier(DOC_TRAU, d("2024-05-06"), PROFILES["D3"])
    await d3.admit(d("2024-05-20"), d("2024-06-03"), d("2024-09-02"), d("2024-10-01"), d("2024-10-15"), d("2025-04-01"),
                   by=DISTRICT, number="115-QĐ/HU")
    await d3.notify(d("2025-04-10"))
    await d3.ceremony(d("2025-04-25"), d("2025-04-10"))
    await d3.history_filed(d("2025-05-05"))
    # D6 awaits the decision; D7 is being verified (Suối Đá); D8 is on the source list.
    d6 = dossiers["D6"] = await story.dossier(DOC_TRAU, d("2025-03-03"), OTHER)
    await d6.letter(d("2025-03-10"))
    await d6.declare(d("2025-03-17"))
    await d6.certify(d("2025-06-02"), by=SOUTH)
    await d6.ready(d("2025-06-16"))
    await d6.cell_vote(d("2025-08-20"))
    d7 = dossiers["D7"] = await story.dossier(SUOI_DA, d("2025-02-01"), PROFILES["D7"])
    await d7.letter(d("2025-02-10"))
    await d7.declare(d("2025-03-01"))
    dossiers["D8"] = await story.dossier(HA_NIT, d("2025-05-05"), OTHER)
    # Endings: a withdrawal, a rule rejection (AGE_MIN), a cell vote not adopted (CELL_2_3); a suspension.
    d9 = dossiers["D9"] = await story.dossier(HA_NIT, d("2025-01-06"), OTHER)
    await d9.letter(d("2025-01-20"))
    await d9.withdraw(d("2025-06-01"))
    d10 = dossiers["D10"] = await story.dossier(DOC_TRAU, d("2025-01-06"), OTHER)
    await d10.letter(d("2025-02-03"))
    await d10.declare(d("2025-02-17"))
    await d10.reject(d("2025-04-20"), "AGE_MIN", "Chưa đủ 18 tuổi tại thời điểm chi bộ xét")
    d11 = dossiers["D11"] = await story.dossier(TA_GU, d("2024-09-03"), OTHER)
    await d11.letter(d("2024-09-16"))
    await d11.declare(d("2024-10-01"))
    await d11.certify(d("2025-01-06"), by=NORTH)
    await d11.ready(d("2025-04-01"))
    await d11.cell_vote(d("2025-05-05"), adopted=False)
    d12 = dossiers["D12"] = await story.dossier(HA_NIT, d("2025-04-01"), OTHER)
    await d12.letter(d("2025-04-08"))
    await d12.declare(d("2025-04-15"))
    await d12.suspend(d("2025-07-01"))
    await ratings_of_2024(story, world)


async def ratings_of_2024(story: Story, world: World) -> None:
    """Every member and organisation rated for 2024 in December; Ba Cụm Bắc rated for 2025 on the eve of its merge."""
    rated_on = d("2024-12-20")
    for cell, points in ((TA_GU, (95, 80, 60)), (DOC_TRAU, (91, 45)), (HA_NIT, (90, 89, 70)), (CO_ROA, (69,))):
        for citizen_id, score in zip(world.members[cell], points, strict=True):
            await story.rating(2024, cell, score, rated_on, citizen_id=citizen_id)
    for unit, score in ((TA_GU, 92), (SUOI_DA, 72), (DOC_TRAU, 55), (HA_NIT, 88), (CO_ROA, 40), (NORTH, 90), (SOUTH, 75),
                        (SON_BINH, 65), (DISTRICT, 85)):
        await story.rating(2024, unit, score, rated_on)
    await story.rating(2025, NORTH, 88, d("2025-06-30"))


async def phase_b(story: Story, world: World) -> None:
    """The merge of 01/07/2025 and what followed: Suối Đá's applicant admitted, a new dossier."""
    await story.merge(NORTH, SOUTH, MERGED_ON)
    await story.rename(SOUTH, "Đảng ủy xã Ba Cụm", "Đảng ủy xã Ba Cụm Nam", MERGED_ON)
    d7 = world.dossiers["D7"]
    await d7.certify(d("2025-07-15"), by=SOUTH)
    await d7.ready(d("2025-08-01"))
    await d7.cell_vote(d("2025-08-10"))
    await d7.decide(d("2025-08-15"), DISTRICT, "160-QĐ/HU")
    await d7.notify(d("2025-08-20"))
    await d7.delay_agreed(d("2025-09-05"), DISTRICT)
    world.dossiers["D13"] = await story.dossier(TA_GU, d("2025-09-01"), OTHER)
    await ratings_of_2025(story, world)


async def ratings_of_2025(story: Story, world: World) -> None:
    """A correction of 2024; the merged commune's cells rated for 2025 in November (Sơn Bình not yet)."""
    await story.rating_corrected(2024, 71, d("2025-08-01"), citizen_id=world.members[CO_ROA][0])
    rated_on = d("2025-11-15")
    for cell, points in ((TA_GU, (90, 90, 50)), (DOC_TRAU, (70, 30))):
        for citizen_id, score in zip(world.members[cell], points, strict=True):
            await story.rating(2025, cell, score, rated_on, citizen_id=citizen_id)
    await story.rating(2025, SUOI_DA, 85, rated_on, citizen_id=world.dossiers["D7"].citizen_id)
    await story.rating_corrected(2025, 52, d("2025-11-18"), citizen_id=world.members[DOC_TRAU][1])
    for unit, score in ((TA_GU, 95), (DOC_TRAU, 70), (SOUTH, 80)):
        await story.rating(2025, unit, score, rated_on)


async def new_world(
    stack: AsyncExitStack, pool: asyncpg.Pool, servers: Servers, database_url: str, *, today: date = TODAY, dossiers_logs: int = 1
) -> World:
    """Fresh registry, dossiers, verification and voting logs with their services running (until
    `stack` closes), and a reporting service on a fresh schema reading them, not started.

    With `dossiers_logs` > 1, reporting reads that many dossiers logs (`sources["dossiers-2"]`, ...),
    as a level above does that keeps the logs of the communes below it."""
    nc = await nats.connect(servers.nats_url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    stack.push_async_callback(nc.drain)
    deployment = unique("d")
    sources = {role: Service(await new_schema(pool)) for role in ("registry", "dossiers", "verification", "voting")}
    for n in range(2, dossiers_logs + 1):
        sources[f"dossiers-{n}"] = Service(await new_schema(pool))
    chosen: dict[str, str | tuple[str, ...]] = {r: s.name for r, s in sources.items() if not r.startswith("dossiers")}
    chosen["dossiers"] = tuple(s.name for r, s in sources.items() if r.startswith("dossiers"))
    reporting = build_service(await new_schema(pool, owns_log=False), chosen, today=lambda: today)
    async with pool.acquire() as conn:
        for projection in reporting.projections:
            await projections.create_tables(conn, projection, projection.schema)
    await bootstrap_bus(nc.jetstream(), deployment, [*sources.values(), reporting])
    for source in sources.values():
        await stack.enter_async_context(running(source, servers.nats_url, database_url, deployment))
    logs = Logs(*(EventStore(pool, sources[r].name) for r in ("registry", "dossiers", "verification", "voting")))
    return World(pool, nc, servers, database_url, deployment, sources, reporting, Story(logs))


@pytest.fixture(scope="package")
async def world(pool: asyncpg.Pool, servers: Servers, database_url: str) -> AsyncIterator[World]:
    async with AsyncExitStack() as stack:
        found = await new_world(stack, pool, servers, database_url)
        await phase_a(found.story, found)
        found.before_merge = datetime.now(UTC)
        async with found.reporting_running():
            pass
        await phase_b(found.story, found)
        await stack.enter_async_context(found.reporting_running())
        yield found
