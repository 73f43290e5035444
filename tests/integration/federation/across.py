"""The demo plan driven across three deployments, and what its reports must then show: shared by
the in-process test (tests/integration/federation/test_demo_across_levels.py) and the one through
`ketnap up --topology` (tests/e2e/test_levels.py).

The province's deployment keeps the province, the former district, the communes and most
grassroots organisations; two grassroots organisations (the cement company and Mẫu Sơn) run
deployments of their own, joined to the province as leaf nodes. Every act goes to the deployment
that records it (`routing.py`). One link is cut for a while in the middle of the drive.
"""

from __future__ import annotations

import asyncio

from ketnap.domain.calendar import today_in_vietnam
from ketnap.operations.demo import expected as ex
from ketnap.operations.demo import figures as figures_of
from ketnap.operations.demo.client import bus_actors
from ketnap.operations.demo.driver import Driver, Progress
from ketnap.operations.demo.expected import Expected
from ketnap.operations.demo.plan import Plan, build_plan
from tests.conftest import eventually
from tests.integration.federation.linked import Deployment
from tests.integration.federation.routing import Routing, routed_actors

APPLICANTS = 34
"""The plan's first 34 dossiers: the 35th and 36th are transferred between the province's cells and
the lower deployments' cells, and a dossier does not move between deployments yet."""
PROVINCE = "tinh-ls"
ROOTS = {"db-xm": "DB-XM", "db-ms": "DB-MS"}
CUT = "db-xm"
CUT_AFTER_DOSSIERS, CUT_SECONDS = 15, 20.0


class Levels:
    def __init__(self, province: Deployment, lowers: list[Deployment]) -> None:
        self.province = province
        self.lowers = {d.id: d for d in lowers}
        self.everyone = [province, *lowers]
        self.plan: Plan = build_plan(APPLICANTS, today_in_vietnam())
        self.cut_task: asyncio.Task[None] | None = None

    async def drive(self) -> None:
        """The whole plan, one link cut in the middle; returns once every log is kept everywhere
        and every consumer has applied it."""
        clients = {d.id: bus_actors(d.nc) for d in self.everyone}  # type: ignore[arg-type]
        actors = routed_actors(Routing(self.plan, PROVINCE, ROOTS), clients, self.settle_links)
        await Driver(self.plan, actors, progress=self._on_progress, wait_timeout=300).run()
        assert self.cut_task is not None, "the link was cut during the drive"
        await self.cut_task
        for _ in range(2):  # a consumer's effect may be an event another consumer then follows
            await eventually(self.settled, timeout=300, interval=0.2)

    async def holds_everything(self, deployment: Deployment) -> bool:
        """`deployment` holds every log it keeps up to its origin's head."""
        for kept in [k for s in deployment.services for k in s.kept_logs]:
            service, origin = kept.split("_at_")
            source = next(d for d in self.everyone if d.id.replace("-", "_") == origin)
            if await deployment.head(kept) < await source.head(service):
                return False
        return True

    async def settle_links(self, deployment_id: str) -> None:
        """Before `deployment_id` acts, what the others recorded has arrived there."""
        deployment = next(d for d in self.everyone if d.id == deployment_id)
        await eventually(lambda: self.holds_everything(deployment), timeout=300, interval=0.05)

    async def settled(self) -> bool:
        return all([await self.holds_everything(d) and await d.caught_up() for d in self.everyone])

    def _on_progress(self, progress: Progress) -> None:
        if self.cut_task is None and progress.text == f"{CUT_AFTER_DOSSIERS}/{APPLICANTS} hồ sơ":
            self.cut_task = asyncio.create_task(self._outage(self.lowers[CUT]))

    @staticmethod
    async def _outage(lower: Deployment) -> None:
        assert lower.proxy is not None
        await lower.proxy.cut()
        await asyncio.sleep(CUT_SECONDS)
        await lower.proxy.restore()


def organisations(plan: Plan) -> list[str]:
    tree = plan.tree
    grassroots = sorted({tree.grassroots_on(d.voting_cell, plan.reference) for d in plan.dossiers})
    return [plan.province, "HU-CL", *plan.communes, *grassroots]


def periods(figures: Expected) -> list[tuple[ex.Period, dict]]:
    return [(p, {"year": int(p.label)} if "-" not in p.label else {"term": p.label}) for p in ex.periods(figures.on)]


async def check_the_province_reports_every_level(levels: Levels) -> None:
    figures = Expected(levels.plan, today_in_vietnam())
    for organisation in organisations(levels.plan):
        for period, body in periods(figures):
            quota = await levels.province.ask("reporting", "quota", {"organisation": organisation, **body})
            assert figures_of.quota(quota) == figures.quota(organisation, period), (organisation, period.label)
            stats = await levels.province.ask("reporting", "stats", {"organisation": organisation, **body})
            assert figures_of.stats(stats) == figures.stats(organisation, period), (organisation, period.label)
        pipeline = await levels.province.ask("reporting", "pipeline", {"organisation": organisation})
        assert figures_of.pipeline(pipeline) == figures.pipeline(organisation), organisation


async def check_each_lower_level_reports_its_subtree_as_the_province_does(levels: Levels) -> None:
    figures = Expected(levels.plan, today_in_vietnam())
    for lower_id, root in ROOTS.items():
        lower = levels.lowers[lower_id]
        for period, body in periods(figures):
            own = await lower.ask("reporting", "quota", {"organisation": root, **body})
            assert figures_of.quota(own) == figures.quota(root, period), (root, period.label)
            assert own == await levels.province.ask("reporting", "quota", {"organisation": root, **body})
        pipeline = await lower.ask("reporting", "pipeline", {"organisation": root})
        assert figures_of.pipeline(pipeline) == figures.pipeline(root), root
