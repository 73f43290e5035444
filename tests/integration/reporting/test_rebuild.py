"""Every reporting projection equals its rebuild from the logs, after a restart in the middle of
consumption; `ketnap audit verify` sees a reporting checkpoint beyond the end of a log."""

from __future__ import annotations

import asyncio
import os
import sys

import asyncpg
import pytest
from nats.aio.client import Client as NatsClient

from services.reporting.service import build_service
from shared.commands import Unavailable
from shared import projections
from shared.envelope import EventMetadata, NewEvent
from shared.eventstore import EventStore
from shared.service import ServiceContext
from shared.settings import Settings
from tests.conftest import unique
from tests.integration.harness import new_schema
from tests.integration.reporting.conftest import DISTRICT, World
from tests.servers import Servers


async def test_every_projection_equals_its_rebuild(world: World) -> None:
    assert len(world.reporting.projections) == 9
    for projection in world.reporting.projections:
        assert await projections.verify(world.pool, projection) == [], projection.name
    async with world.pool.acquire() as conn:
        assert await conn.fetchval(f"SELECT count(*) FROM {world.reporting.name}.dead_letters") == 0


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


async def test_audit_verify_names_a_reporting_checkpoint_beyond_the_log(pool: asyncpg.Pool, servers: Servers, database_url: str) -> None:
    source = EventStore(pool, await new_schema(pool))
    for i in range(4):
        await source.append(f"dossier-{i}", 0, [NewEvent(event_type="DossierOpened", data={})], EventMetadata(actor="chi-uy"))
    reporting = build_service(await new_schema(pool, owns_log=False), {"dossiers": source.schema})
    pipeline = next(p for p in reporting.projections if p.name.endswith(".pipeline"))

    async def verify() -> tuple[int, str]:
        env = dict(os.environ, DATABASE_URL=database_url, NATS_URL=servers.nats_url)
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "shared.cli", "audit", "verify", "--service", source.schema, env=env,
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
    assert "vị trí 5" in output and f"consumer {pipeline.name} already read up to 7" in output


async def test_a_report_as_of_a_past_date_needs_its_sources_to_answer(pool: asyncpg.Pool, nc: NatsClient) -> None:
    reporting = build_service(await new_schema(pool, owns_log=False), {"registry": unique("nobody_")})
    quota = next(q for q in reporting.queries if q.subject.endswith(".quota"))
    ctx = ServiceContext(reporting.name, Settings(), pool, EventStore(pool, reporting.name), nc, nc.jetstream())
    with pytest.raises(Unavailable) as raised:
        await quota.handler(ctx, quota.model.model_validate({"organisation": DISTRICT, "year": 2025, "as_of": "2025-06-30"}))
    assert raised.value.code == "unavailable" and "thử lại" in raised.value.message
    async with pool.acquire() as conn:  # nothing left behind on the pooled connection
        assert await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname LIKE 'pg_temp%'") == 0
