"""A registry running on a fresh schema (and a fresh "voting" log it follows), driven over NATS."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import nats.errors
import pytest
from nats.aio.client import Client as NatsClient

from ketnap.platform import projections
from ketnap.platform.bus import subjects
from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.eventstore import EventStore
from ketnap.platform.service import Service
from ketnap.services.registry.service import build_service
from tests.integration.harness import bootstrap_bus, new_schema, running
from tests.servers import Servers

ROOT = "T01"
"""Every test's tree hangs under this province; commands are sent in its scope."""


class Registry:
    """The registry service of one test, and its "voting" source log."""

    def __init__(self, pool: asyncpg.Pool, nc: NatsClient, service: Service, voting: Service) -> None:
        self.pool = pool
        self.nc = nc
        self.service = service
        self.voting = voting
        self.name = service.name
        self.store = EventStore(pool, service.name)
        self.voting_store = EventStore(pool, voting.name)

    async def command(self, command: str, /, *, scope: str = ROOT, key: str | None = None, **fields: Any) -> dict[str, Any]:
        body = {"idempotency_key": key or str(uuid.uuid4()), "actor": "officer-1", "scope": scope, **fields}
        return await self.raw_command(command, body)

    async def raw_command(self, command: str, body: dict[str, Any]) -> dict[str, Any]:
        reply = await self.nc.request(subjects.command_subject(self.name, command), json.dumps(body).encode(), timeout=15)
        return json.loads(reply.data)

    async def ok(self, command: str, /, **fields: Any) -> dict[str, Any]:
        reply = await self.command(command, **fields)
        assert reply["ok"], reply
        return reply

    async def query(self, query: str, /, **fields: Any) -> dict[str, Any]:
        reply = await self.nc.request(subjects.query_subject(self.name, query), json.dumps(fields).encode(), timeout=15)
        return json.loads(reply.data)

    async def answer(self, query: str, /, **fields: Any) -> dict[str, Any]:
        reply = await self.query(query, **fields)
        assert reply["ok"], reply
        return reply["result"]

    async def log(self) -> list[RecordedEvent]:
        return [e async for batch in self.store.read_log(0) for e in batch]

    async def head(self) -> int:
        return await self.store.head_position()

    async def tree(self, **codes: str) -> None:
        """Establish units given as code="kind:parent:yyyy-mm-dd" in order (parent "-" for none)."""
        for code, spec in codes.items():
            kind, parent, day = spec.split(":")
            await self.ok(
                "establish_organisation", code=code, name=f"Tổ chức {code}", kind=kind,
                parent=None if parent == "-" else parent, effective_from=day,
            )


async def start_registry(pool: asyncpg.Pool, nc: NatsClient, deployment: str) -> Registry:
    name = await new_schema(pool)
    voting = Service(await new_schema(pool))
    service = build_service(name, voting_source=voting.name, dossiers_service=None)  # the registry alone: its units hold no dossier
    async with pool.acquire() as conn:
        for projection in service.projections:
            await projections.create_tables(conn, projection, projection.schema)
    await bootstrap_bus(nc.jetstream(), deployment, [service, voting])
    return Registry(pool, nc, service, voting)


async def answering(nc: NatsClient, service: Service, timeout: float = 30.0) -> None:
    """Wait until the service answers requests: `running` gives it a fixed moment, a loaded machine needs more."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            await nc.request(subjects.status_subject(service.name), b"{}", timeout=1)
            return
        except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.05)


@pytest.fixture
async def registry(pool: asyncpg.Pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str) -> AsyncIterator[Registry]:
    started = await start_registry(pool, nc, deployment)
    async with running(started.service, servers.nats_url, database_url, deployment):
        await answering(nc, started.service)
        yield started


@pytest.fixture
async def province(registry: Registry) -> Registry:
    """The root of every test's tree: province T01 from 2015."""
    await registry.tree(T01="province:-:2015-01-01")
    return registry
