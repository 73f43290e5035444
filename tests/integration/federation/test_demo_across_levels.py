"""The demo plan driven across three deployments in this process (issue #9; the same drive runs
through `ketnap up --topology` in tests/e2e/test_levels.py): the district's and communes'
decisions on the lower deployments' cells are taken above and reach the cells' dossiers through
the kept logs; one link is cut for 20 seconds in the middle. Afterwards every report, above and
below, equals the figures computed from the plan alone, and every projection equals its rebuild.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ketnap.platform import projections
from ketnap.platform.logcheck import verify_chain
from tests.integration.federation.across import (
    PROVINCE,
    ROOTS,
    Levels,
    check_each_lower_level_reports_its_subtree_as_the_province_does,
    check_the_province_reports_every_level,
)
from tests.integration.federation.linked import linked_deployments
from tests.servers import Servers

pytestmark = pytest.mark.timeout(1500)


@pytest.fixture(scope="module")
async def levels(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Levels]:
    async with linked_deployments(tmp_path_factory.mktemp("levels"), servers.postgres_url, PROVINCE, list(ROOTS)) as (top, below):
        found = Levels(top, below)
        await found.drive()
        yield found


async def test_nothing_is_dead_lettered_anywhere(levels: Levels) -> None:
    for deployment in levels.everyone:
        async with deployment.pool.acquire() as conn:  # type: ignore[union-attr]
            for service in deployment.services:
                letters = await conn.fetch(f"SELECT consumer, source, reason FROM {service.name}.dead_letters")
                assert [dict(r) for r in letters] == [], (deployment.id, service.name)


async def test_the_province_reports_every_level_exactly(levels: Levels) -> None:
    await check_the_province_reports_every_level(levels)


async def test_each_lower_level_reports_its_own_subtree_exactly_as_the_province_sees_it(levels: Levels) -> None:
    await check_each_lower_level_reports_its_subtree_as_the_province_does(levels)


async def test_every_projection_everywhere_equals_its_rebuild_and_every_kept_chain_verifies(levels: Levels) -> None:
    for deployment in levels.everyone:
        for service in deployment.services:
            for projection in service.projections:
                assert await projections.verify(deployment.pool, projection) == [], (deployment.id, projection.name)  # type: ignore[arg-type]
        async with deployment.pool.acquire() as conn:  # type: ignore[union-attr]
            for kept in [k for s in deployment.services for k in s.kept_logs]:
                assert (await verify_chain(conn, kept)).intact, (deployment.id, kept)
            assert await conn.fetchval("SELECT count(*) FROM federation.integrity_alarms") == 0, deployment.id
