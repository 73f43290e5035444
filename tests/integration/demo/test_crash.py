"""The driver stopped in the middle (its task cancelled with requests in flight, as when the process
dies) and run again: it continues where it stopped, and every report and every dossier's history
is exactly what the plan says: nothing lost, nothing recorded twice."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from ketnap.domain.calendar import today_in_vietnam
from ketnap.operations.demo import expected as ex
from ketnap.operations.demo import figures as figures_of
from ketnap.operations.demo.client import bus_actors
from ketnap.operations.demo.driver import Driver, Progress
from ketnap.operations.demo.expected import Expected
from tests.integration.demo.conftest import five_services, settle
from tests.servers import Servers

pytestmark = pytest.mark.timeout(600)


async def test_a_driver_cut_short_is_finished_by_running_it_again(pool: asyncpg.Pool, servers: Servers, database_url: str) -> None:
    async with five_services(pool, servers, database_url, 12) as scenario:
        halfway = asyncio.Event()

        def watch(step: Progress) -> None:
            scenario.progress.append(step)
            if step.phase == "dossiers" and step.done >= 4:
                halfway.set()

        first = asyncio.create_task(Driver(scenario.plan, bus_actors(scenario.nc, services=scenario.names), progress=watch).run())
        await asyncio.wait([first, asyncio.create_task(halfway.wait())], return_when=asyncio.FIRST_COMPLETED)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        assert scenario.progress[-1].done < 12, "the first run was stopped before the end"

        await scenario.driver().run()
        await settle(scenario)
        figures = Expected(scenario.plan, today_in_vietnam())
        province = scenario.plan.province
        assert figures_of.pipeline(await scenario.report("pipeline", organisation=province)) == figures.pipeline(province)
        quota = await scenario.report("quota", organisation=province, term="2025-2030")
        assert figures_of.quota(quota) == figures.quota(province, ex.term(2025, 2030))
        classes = await scenario.report("classes", organisation=province, term="2025-2030")
        assert figures_of.classes(classes) == figures.classes(province, ex.term(2025, 2030))
        for dossier in scenario.plan.dossiers:
            result = await scenario.report("audit_history", dossier_id=dossier.dossier_id)
            assert figures_of.audit(result) == figures.audit(dossier), dossier.label
        assert await scenario.dead_letters() == 0
