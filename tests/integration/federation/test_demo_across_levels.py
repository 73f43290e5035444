"""The demo plan driven across three deployments (issue #9).

The province's deployment keeps the province, the former district, the communes and most
grassroots organisations; two grassroots organisations (the cement company and Mẫu Sơn) run
deployments of their own, joined to the province as leaf nodes. Every act goes to the deployment
that records it (tests/integration/federation/routing.py): the cells' work below, the district's
and communes' decisions on those cells above, reaching the cells' dossiers through the kept logs.
One link is cut for a while in the middle of the drive. Afterwards every report, above and below,
equals the figures computed from the plan alone, and every projection equals its rebuild.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from shared import projections
from shared.audit import verify_chain
from shared.demo import expected as ex
from shared.demo import figures as figures_of
from shared.demo.client import bus_actors
from shared.demo.driver import Driver, Progress
from shared.demo.expected import Expected
from shared.demo.plan import Plan, build_plan
from shared.demo.schedule import today_in_vietnam
from tests.conftest import eventually
from tests.integration.federation.linked import Deployment, linked_deployments
from tests.integration.federation.routing import Routing, routed_actors
from tests.servers import Servers

pytestmark = pytest.mark.timeout(1500)

APPLICANTS = 34
"""The plan's first 34 dossiers: the 35th and 36th are transferred between the province's cells and
the lower deployments' cells, and a dossier does not move between deployments yet."""
PROVINCE = "tinh-ls"
ROOTS = {"db-xm": "DB-XM", "db-ms": "DB-MS"}
CUT_AFTER_DOSSIERS, CUT_SECONDS = 15, 20.0


class Levels:
    def __init__(self, province: Deployment, lowers: list[Deployment], plan: Plan) -> None:
        self.province = province
        self.lowers = {d.id: d for d in lowers}
        self.plan = plan
        self.everyone = [province, *lowers]
        self.cut_task: asyncio.Task[None] | None = None

    async def holds_everything(self, deployment: Deployment) -> bool:
        """`deployment` keeps every log it keeps up to its origin's head."""
        by_id = {d.id: d for d in self.everyone}
        for kept in [k for s in deployment.services for k in s.kept_logs]:
            service, origin = kept.split("_at_")
            source = next(d for i, d in by_id.items() if i.replace("-", "_") == origin)
            if await deployment.head(kept) < await source.head(service):
                return False
        return True

    async def settle_links(self, deployment_id: str) -> None:
        deployment = next(d for d in self.everyone if d.id == deployment_id)
        await eventually(lambda: self.holds_everything(deployment), timeout=300, interval=0.05)

    async def settled(self) -> bool:
        return all([await self.holds_everything(d) and await d.caught_up() for d in self.everyone])

    def on_progress(self, progress: Progress) -> None:
        if self.cut_task is None and progress.text == f"{CUT_AFTER_DOSSIERS}/{APPLICANTS} hồ sơ":
            self.cut_task = asyncio.create_task(self._outage(self.lowers["db-xm"]))

    @staticmethod
    async def _outage(lower: Deployment) -> None:
        assert lower.proxy is not None
        await lower.proxy.cut()
        await asyncio.sleep(CUT_SECONDS)
        await lower.proxy.restore()

    async def report(self, at: Deployment, name: str, **fields: object) -> dict:
        return await at.ask("reporting", name, fields)


@pytest.fixture(scope="module")
async def levels(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Levels]:
    plan = build_plan(APPLICANTS, today_in_vietnam())
    async with linked_deployments(tmp_path_factory.mktemp("levels"), servers.postgres_url, PROVINCE, list(ROOTS)) as (top, below):
        found = Levels(top, below, plan)
        actors = routed_actors(Routing(plan, PROVINCE, ROOTS), {d.id: bus_actors(d.nc) for d in found.everyone}, found.settle_links)
        await Driver(plan, actors, progress=found.on_progress, wait_timeout=300).run()
        assert found.cut_task is not None, "the link was cut during the drive"
        await found.cut_task
        for _ in range(2):
            await eventually(found.settled, timeout=300, interval=0.2)
        yield found


def organisations(plan: Plan) -> list[str]:
    tree = plan.tree
    grassroots = sorted({tree.grassroots_on(d.voting_cell, plan.reference) for d in plan.dossiers})
    return [plan.province, "HU-CL", *plan.communes, *grassroots]


def bodies(figures: Expected) -> list[tuple[ex.Period, dict]]:
    return [(p, {"year": int(p.label)} if "-" not in p.label else {"term": p.label}) for p in ex.periods(figures.on)]


async def test_nothing_is_dead_lettered_anywhere(levels: Levels) -> None:
    for deployment in levels.everyone:
        async with deployment.pool.acquire() as conn:  # type: ignore[union-attr]
            for service in deployment.services:
                letters = await conn.fetch(f"SELECT consumer, source, reason FROM {service.name}.dead_letters")
                assert [dict(r) for r in letters] == [], (deployment.id, service.name)


async def test_the_province_reports_every_level_exactly(levels: Levels) -> None:
    figures = Expected(levels.plan, today_in_vietnam())
    for organisation in organisations(levels.plan):
        for period, body in bodies(figures):
            quota = await levels.report(levels.province, "quota", organisation=organisation, **body)
            assert figures_of.quota(quota) == figures.quota(organisation, period), (organisation, period.label)
            stats = await levels.report(levels.province, "stats", organisation=organisation, **body)
            assert figures_of.stats(stats) == figures.stats(organisation, period), (organisation, period.label)
        pipeline = await levels.report(levels.province, "pipeline", organisation=organisation)
        assert figures_of.pipeline(pipeline) == figures.pipeline(organisation), organisation


async def test_each_lower_level_reports_its_own_subtree_exactly_as_the_province_sees_it(levels: Levels) -> None:
    figures = Expected(levels.plan, today_in_vietnam())
    for lower_id, root in ROOTS.items():
        lower = levels.lowers[lower_id]
        for period, body in bodies(figures):
            own = await levels.report(lower, "quota", organisation=root, **body)
            assert figures_of.quota(own) == figures.quota(root, period), (root, period.label)
            assert own == await levels.report(levels.province, "quota", organisation=root, **body)
        pipeline = await levels.report(lower, "pipeline", organisation=root)
        assert figures_of.pipeline(pipeline) == figures.pipeline(root), root


async def test_every_projection_everywhere_equals_its_rebuild_and_every_kept_chain_verifies(levels: Levels) -> None:
    for deployment in levels.everyone:
        for service in deployment.services:
            for projection in service.projections:
                assert await projections.verify(deployment.pool, projection) == [], (deployment.id, projection.name)  # type: ignore[arg-type]
        async with deployment.pool.acquire() as conn:  # type: ignore[union-attr]
            for kept in [k for s in deployment.services for k in s.kept_logs]:
                assert (await verify_chain(conn, kept)).intact, (deployment.id, kept)
            assert await conn.fetchval("SELECT count(*) FROM federation.alarms") == 0, deployment.id
