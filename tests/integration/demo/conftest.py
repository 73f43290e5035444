"""All five real services on fresh schemas, one deployment, and a 50-applicant plan driven through
them by commands only (operations/demo). The drive happens once for the package; its tests read the
reports, then drive the same plan again."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import nats
import pytest
from nats.aio.client import Client as NatsClient

from ketnap.domain.calendar import today_in_vietnam
from ketnap.operations.demo.client import bus_actors
from ketnap.operations.demo.driver import Driver, Progress
from ketnap.operations.demo.plan import Plan, build_plan
from ketnap.platform import projections
from ketnap.platform.bus import subjects
from ketnap.platform.service import Service
from ketnap.services.dossiers.service import build_service as build_dossiers
from ketnap.services.registry.service import build_service as build_registry
from ketnap.services.reporting.service import build_service as build_reporting
from ketnap.services.verification.service import build_service as build_verification
from ketnap.services.voting.service import build_service as build_voting
from tests.conftest import eventually, unique
from tests.integration.harness import bootstrap_bus, consumers_caught_up, new_schema, running
from tests.servers import Servers

APPLICANTS = 50
SOURCES = ("registry", "dossiers", "verification", "voting")


@dataclass
class Scenario:
    pool: asyncpg.Pool
    nc: NatsClient
    plan: Plan
    services: dict[str, Service]
    """Service role (registry, dossiers, verification, voting, reporting) -> the service on its fresh schema."""
    deployment: str = ""
    seconds: float = 0.0
    progress: list[Progress] = field(default_factory=list)

    @property
    def names(self) -> dict[str, str]:
        return {role: service.name for role, service in self.services.items()}

    def driver(self) -> Driver:
        return Driver(self.plan, bus_actors(self.nc, services=self.names), progress=self.progress.append)

    async def report(self, name: str, **fields: Any) -> dict[str, Any]:
        reply = await self.nc.request(
            subjects.query_subject(self.services["reporting"].name, name), json.dumps(fields, default=str).encode(), timeout=60
        )
        body = json.loads(reply.data)
        assert body["ok"], body
        return body["result"]

    async def heads(self) -> dict[str, int]:
        async with self.pool.acquire() as conn:
            return {
                role: await conn.fetchval(f"SELECT coalesce(max(position), 0) FROM {self.services[role].name}.events") for role in SOURCES
            }

    async def settled(self) -> bool:
        """Every consumer of every service has applied its source log up to that log's head."""
        async with self.pool.acquire() as conn:
            return await consumers_caught_up(conn, list(self.services.values()))

    async def dead_letters(self) -> int:
        async with self.pool.acquire() as conn:
            return sum([await conn.fetchval(f"SELECT count(*) FROM {s.name}.dead_letters") for s in self.services.values()])


async def settle(scenario: Scenario) -> None:
    """Wait until no consumer has anything left to apply, twice in a row (a consumer's effect may
    be a new event another consumer then follows)."""
    for _ in range(2):
        await eventually(scenario.settled, timeout=120, interval=0.2)


@asynccontextmanager
async def five_services(pool: asyncpg.Pool, servers: Servers, database_url: str, applicants: int) -> AsyncIterator[Scenario]:
    """The five services running on fresh schemas and their own deployment, with a plan not yet driven."""
    names = {role: await new_schema(pool) for role in SOURCES}
    names["reporting"] = await new_schema(pool, owns_log=False)
    services = {
        "registry": build_registry(names["registry"], voting_source=names["voting"], dossiers_service=names["dossiers"]),
        "dossiers": build_dossiers(names["dossiers"], names["registry"], names["verification"], names["voting"]),
        "verification": build_verification(names["verification"], dossiers_source=names["dossiers"], registry_service=names["registry"]),
        "voting": build_voting(names["voting"], dossiers_source=names["dossiers"], registry_service=names["registry"]),
        # No gateway runs here: any log records reporting's acknowledgements as well.
        "reporting": build_reporting(names["reporting"], {role: names[role] for role in SOURCES}, acknowledgements_in=names["registry"]),
    }
    async with pool.acquire() as conn:
        for service in services.values():
            for projection in service.projections:
                await projections.create_tables(conn, projection, projection.schema)
    deployment = unique("d")
    async with AsyncExitStack() as stack:
        nc = await nats.connect(servers.nats_url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
        stack.push_async_callback(nc.drain)
        await bootstrap_bus(nc.jetstream(), deployment, list(services.values()))
        for service in services.values():
            await stack.enter_async_context(running(service, servers.nats_url, database_url, deployment))
        yield Scenario(pool, nc, build_plan(applicants, today_in_vietnam()), services, deployment)


@pytest.fixture(scope="package")
async def scenario(pool: asyncpg.Pool, servers: Servers, database_url: str) -> AsyncIterator[Scenario]:
    async with five_services(pool, servers, database_url, APPLICANTS) as found:
        started = time.monotonic()
        await found.driver().run()
        found.seconds = time.monotonic() - started
        await settle(found)
        yield found
