"""Every reporting projection built in batches (a build's hundreds of events, a live consumer's
fetched batch) holds exactly the rows it holds when its events are applied one at a time: the
batched projections keep a batch's rows in memory (ketnap.platform.rows), and a dossier's events
may fall on either side of a batch's end."""

from __future__ import annotations

import pytest

from ketnap.platform import projections
from ketnap.platform.envelope import EventMetadata, NewEvent
from ketnap.platform.eventstore import EventStore
from ketnap.services.reporting.service import build_service
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



async def test_applied_live_in_batches_it_equals_applied_one_event_at_a_time(world: World) -> None:
    """As a live consumer applies its fetched batches (`LiveHandler.apply_batch`, each batch on its
    own `WriteBehind`): what a batch touches is read from the tables the batches before it wrote
    (`Rows.load`; the white zones' members and localities of a whole batch at once,
    `intervals.remember`). Every log after the other, in batches of 7; then a registry log whose
    members and localities change in later batches than they were written in, in batches of 2."""
    moves = await new_schema(world.pool)
    joined = {"organisation": "CB-A", "kind": "official", "status": "active", "full_name": "Đảng viên", "how": "registration"}
    changes = [
        ("person-1", "MemberJoined", {**joined, "citizen_id": "001200000001", "effective_from": "2022-01-01"}),
        ("person-2", "MemberJoined", {**joined, "citizen_id": "001200000002", "effective_from": "2022-01-01"}),
        ("locality-T1", "LocalityRegistered", {"code": "T1", "name": "Thôn Một", "organisation": "XA", "covered_by": "CB-A",
                                               "effective_from": "2022-01-01"}),
        ("person-1", "MemberTransferred", {"citizen_id": "001200000001", "to_organisation": "CB-B", "transfer": "official",
                                           "effective_from": "2023-05-01"}),
        ("person-2", "MemberNameRemoved", {"citizen_id": "001200000002", "effective_from": "2023-06-01"}),
        ("locality-T1", "LocalityCoverageChanged", {"code": "T1", "covered_by": "CB-B", "effective_from": "2023-07-01"}),
        ("person-1", "MemberTransferred", {"citizen_id": "001200000001", "to_organisation": "CB-A", "transfer": "official",
                                           "effective_from": "2024-02-01"}),
    ]
    versions: dict[str, int] = {}
    for stream, event_type, data in changes:
        await EventStore(world.pool, moves).append(stream, versions.get(stream, 0), [NewEvent(event_type=event_type, data=data)],
                                                   EventMetadata(actor="test", organisation="XA"))
        versions[stream] = versions.get(stream, 0) + 1
    chosen: dict[str, str | tuple[str, ...]] = {role: s.name for role, s in world.sources.items() if not role.startswith("dossiers")}
    chosen["dossiers"] = tuple(s.name for role, s in world.sources.items() if role.startswith("dossiers"))
    for sources, batch in ((chosen, 7), ({**chosen, "registry": moves}, 2)):
        live, one_by_one = await new_schema(world.pool, owns_log=False), await new_schema(world.pool, owns_log=False)
        for projection in build_service(live, sources).projections:
            async with world.pool.acquire() as conn:
                await projections.create_tables(conn, projection, live)
                for source in projection.sources:
                    handler = projection.live_handler(source)
                    async for read in EventStore(world.pool, source).read_log(0, batch_size=batch):
                        async with conn.transaction():
                            await handler.apply_batch(conn, [event for event in read if handler.wants(event.event_type)])
        for projection in build_service(one_by_one, sources).projections:
            for event_source in projection.sources:
                async with world.pool.acquire() as conn:
                    await projections.create_tables(conn, projection, one_by_one)
                    async for read in EventStore(world.pool, event_source).read_log(0):
                        for event in read:
                            await projection.apply(conn, one_by_one, event, event_source)
            async with world.pool.acquire() as conn:
                assert await projections.compare(conn, projection, live, one_by_one) == [], projection.name
    async with world.pool.acquire() as conn:
        # Not two empty tables: person 1 moved twice, person 2 removed, each in a batch after the one before.
        assert await conn.fetchval(f"SELECT count(*) FROM {live}.member_intervals WHERE valid_to IS NOT NULL") == 3
        assert await conn.fetchval(f"SELECT count(*) FROM {live}.locality_intervals") == 2
