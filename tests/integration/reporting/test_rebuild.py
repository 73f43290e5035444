"""Every reporting projection equals its rebuild from the logs, after a restart in the middle of
consumption (stopped while its consumers are part-way through the logs); `ketnap audit verify`
sees a reporting checkpoint beyond the end of a log."""

from __future__ import annotations

import asyncio
import os
import sys
from contextlib import AsyncExitStack
from datetime import date

import asyncpg
import pytest
from nats.aio.client import Client as NatsClient

from ketnap.platform import projections
from ketnap.platform.bus.bootstrap import ensure_event_stream
from ketnap.platform.bus.relay import Relay
from ketnap.platform.commands import Unavailable
from ketnap.platform.envelope import EventMetadata, NewEvent
from ketnap.platform.eventstore import EventStore
from ketnap.platform.service import ServiceContext
from ketnap.platform.settings import Settings
from ketnap.services.reporting.service import build_service
from ketnap.services.voting import events as voting
from tests.conftest import eventually, unique
from tests.integration.harness import new_schema, running
from tests.integration.reporting.conftest import DISTRICT, HA_NIT, OTHER, PROVINCE, SON_BINH, World, d, new_world
from tests.servers import Servers


async def test_every_projection_equals_its_rebuild(world: World) -> None:
    assert len(world.reporting.projections) == 12
    for projection in world.reporting.projections:
        assert await projections.verify(world.pool, projection) == [], projection.name
    async with world.pool.acquire() as conn:
        assert await conn.fetchval(f"SELECT count(*) FROM {world.reporting.name}.dead_letters") == 0


DOSSIERS, ADMITTED, CLASSES = 1000, 150, 150


async def many_events(world: World) -> None:
    """About 2,700 events: 1,000 dossiers with their letters, 150 admissions, 150 classes with
    certificates (counted by increments: applied twice, they would count twice)."""
    story = world.story
    for code, name, kind, parent in ((PROVINCE, "Tỉnh ủy Khánh Hòa", "province", None),
                                      (DISTRICT, "Huyện ủy Khánh Sơn", "upper_committee", PROVINCE),
                                      (SON_BINH, "Đảng ủy xã Sơn Bình", "grassroots_committee", DISTRICT),
                                      (HA_NIT, "Chi bộ thôn Ha Nít", "cell", SON_BINH)):
        await story.establish(code, name, kind, parent, d("2020-01-01"))

    async def dossier(n: int) -> None:
        opened = date(2025, 1 + n % 6, 1 + n % 28)
        world.dossiers[f"N{n}"] = found = await story.dossier(HA_NIT, opened, OTHER)
        await found.letter(date(2025, 7, 1))
        if n < ADMITTED:
            await found.voting([voting.AdmissionDecided(
                dossier_id=found.id, citizen_id=found.citizen_id, full_name="Nguyễn Thị Hoa", organisation=HA_NIT, decided_by=DISTRICT,
                decision_number=f"{n}-QĐ/HU", decision_date=date(2025, 8, 1), rule_set="2025-07",
            )])
        if n < CLASSES:
            await story.class_held(f"LOP-{n}", "awareness", DISTRICT, date(2025, 3, 1), date(2025, 3, 5), 4, 3)

    for first in range(0, DOSSIERS, 50):  # appends waiting together share a commit
        await asyncio.gather(*(dossier(n) for n in range(first, first + 50)))


async def test_stopped_part_way_through_the_logs_it_resumes_without_counting_twice(
    pool: asyncpg.Pool, servers: Servers, database_url: str
) -> None:
    async with AsyncExitStack() as stack:
        world = await new_world(stack, pool, servers, database_url)
        await many_events(world)
        heads = await world.heads()
        assert heads[world.sources["dossiers"].name] == 2 * DOSSIERS

        async def part_way() -> list[tuple[str, int]]:
            return [(source, reached) for source, reached in await world.checkpoints() if 0 < reached < heads[source]]

        async def well_into_the_dossiers() -> bool:
            # Several commits from the end of the longest log: a short log seen part-way may be
            # finished by its next commit, before the service has stopped.
            dossiers = world.sources["dossiers"].name
            return any(source == dossiers and reached <= heads[source] - 600 for source, reached in await part_way())

        async with running(world.reporting, servers.nats_url, database_url, world.deployment):
            await eventually(well_into_the_dossiers, timeout=60, interval=0.005)
        # Stopped: some consumers are part-way through a log, and not everything is applied.
        assert await part_way() and not await world.caught_up()

        async with world.reporting_running():
            for projection in world.reporting.projections:
                assert await projections.verify(pool, projection) == [], projection.name
            assert all(reached == heads[source] for source, reached in await world.checkpoints())
            async with pool.acquire() as conn:
                assert await conn.fetchval(f"SELECT count(*) FROM {world.reporting.name}.dead_letters") == 0
                assert await conn.fetchval(f"SELECT count(*) FROM {world.reporting.name}.audit_timeline") == sum(heads.values())
            pipeline = await world.result("pipeline", organisation=DISTRICT)
            assert (pipeline["total"], pipeline["by_step"]["application"]) == (DOSSIERS, DOSSIERS)
            quota = await world.result("quota", organisation=DISTRICT, year=2025)
            assert quota["achieved"] == ADMITTED
            classes = await world.result("classes", organisation=DISTRICT, year=2025)
            assert [(k["classes"], k["attendees"], k["certificates"]) for k in classes["by_kind"]] == [
                (CLASSES, 4 * CLASSES, 3 * CLASSES), (0, 0, 0)
            ]


async def test_a_changed_row_is_named_and_a_rebuild_restores_the_figures(world: World) -> None:
    pipeline = next(p for p in world.reporting.projections if p.name.endswith(".pipeline"))
    before = await world.result("quota", organisation=DISTRICT, year=2025)
    dossier = world.dossiers["D6"].id
    async with world.pool.acquire() as conn:
        await conn.execute(f"UPDATE {world.reporting.name}.pipeline_dossiers SET cell = 'CB-KHAC' WHERE dossier_id = $1", dossier)
    differences = await projections.verify(world.pool, pipeline)
    assert [(d.table, d.only_in_live[0]["cell"], d.only_in_rebuild[0]["cell"]) for d in differences] == [
        ("pipeline_dossiers", "CB-KHAC", "CB-BCN-1")
    ]
    await projections.rebuild(world.pool, pipeline)
    assert await projections.verify(world.pool, pipeline) == []
    assert await world.result("quota", organisation=DISTRICT, year=2025) == before


async def test_audit_verify_names_a_reporting_checkpoint_beyond_the_log(
    pool: asyncpg.Pool, servers: Servers, database_url: str, nc: NatsClient, deployment: str,
) -> None:
    source = EventStore(pool, await new_schema(pool))
    for i in range(4):
        await source.append(f"dossier-{i}", 0, [NewEvent(event_type="DossierOpened", data={})], EventMetadata(actor="chi-uy"))
    reporting = build_service(await new_schema(pool, owns_log=False), {"dossiers": source.schema})
    pipeline = next(p for p in reporting.projections if p.name.endswith(".pipeline"))

    # Published, as a running relay would: `audit verify` compares the log with its stream.
    await ensure_event_stream(nc.jetstream(), deployment, source.schema, 120)
    await Relay(source, nc.jetstream(), source.schema, deployment).publish_pending()

    async def verify() -> tuple[int, str]:
        env = dict(os.environ, DATABASE_URL=database_url, NATS_URL=servers.nats_url, KETNAP_DEPLOYMENT=deployment)
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "ketnap.operations.cli", "audit", "verify", "--service", source.schema, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await child.communicate()
        return child.returncode or 0, output.decode()

    async with pool.acquire() as conn:
        await conn.execute(
            f"INSERT INTO {reporting.name}.consumer_checkpoints (consumer, source, position) VALUES ($1, $2, 4)",
            pipeline.name, source.schema,
        )
    code, output = await verify()
    assert code == 0, output
    async with pool.acquire() as conn:
        await conn.execute(f"UPDATE {reporting.name}.consumer_checkpoints SET position = 7 WHERE consumer = $1", pipeline.name)
    code, output = await verify()
    assert code == 1, output
    assert "vị trí 5" in output and f"bên đọc {pipeline.name} đã đọc đến vị trí 7" in output


async def test_a_report_as_of_a_past_date_needs_its_sources_to_answer(pool: asyncpg.Pool, nc: NatsClient) -> None:
    reporting = build_service(await new_schema(pool, owns_log=False), {"registry": unique("nobody_")})
    quota = next(q for q in reporting.queries if q.subject.endswith(".quota"))
    ctx = ServiceContext(reporting.name, Settings(), pool, EventStore(pool, reporting.name), nc, nc.jetstream())
    with pytest.raises(Unavailable) as raised:
        await quota.handler(ctx, quota.model.model_validate({"organisation": DISTRICT, "year": 2025, "as_of": "2025-06-30"}))
    assert raised.value.code == "unavailable" and "thử lại" in raised.value.message
    async with pool.acquire() as conn:  # nothing left behind on the pooled connection (snapshots keep their own)
        assert await conn.fetchval("SELECT count(*) FROM pg_class WHERE relnamespace = pg_my_temp_schema()") == 0
