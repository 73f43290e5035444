"""Every reporting projection built in batches (a build's hundreds of events, a live consumer's
fetched batch) holds exactly the rows it holds when its events are applied one at a time: the
batched projections keep a batch's rows in memory (ketnap.platform.rows), and a dossier's events
may fall on either side of a batch's end."""

from __future__ import annotations

import pytest

from ketnap.platform import projections
from tests.integration.harness import new_schema
from tests.integration.reporting.conftest import World


@pytest.mark.parametrize("batch", [7, projections.BATCH])
async def test_built_in_batches_it_equals_applied_one_event_at_a_time(world: World, monkeypatch: pytest.MonkeyPatch, batch: int) -> None:
    assert len(world.reporting.projections) == 12
    in_batches, one_by_one = await new_schema(world.pool, owns_log=False), await new_schema(world.pool, owns_log=False)
    for projection in world.reporting.projections:
        monkeypatch.setattr(projections, "BATCH", batch)
        await projections.build(world.pool, projection, in_batches)
        monkeypatch.setattr(projections, "BATCH", 1)
        await projections.build(world.pool, projection, one_by_one)
        async with world.pool.acquire() as conn:
            assert await projections.compare(conn, projection, in_batches, one_by_one) == [], projection.name
    async with world.pool.acquire() as conn:
        # Not two empty tables: the story moves dossiers through every step and deadline.
        for table in ("pipeline_steps", "pipeline_rejections", "pipeline_suspensions", "deadlines", "admissions", "applicant_names"):
            assert await conn.fetchval(f"SELECT count(*) FROM {one_by_one}.{table}") > 0, table
