"""A running verification service on a fresh schema, fed by a real dossiers-like source log, with a
registry answering `membership` on the bus: shared by the tests of a module, each using its own dossiers.

The registry is either the real registry service (`real_registry=True`, seeded through its
commands) or a real NATS responder started here with the registry's reply shape, not a mock
object: either way the service's adapter goes through the bus exactly as in production.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import nats
import pytest
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from ketnap.platform import projections
from ketnap.platform.bus import subjects
from ketnap.platform.envelope import EventMetadata, NewEvent
from ketnap.platform.eventstore import EventStore
from ketnap.platform.service import Service
from ketnap.services.registry.service import build_service as build_registry
from ketnap.services.verification.service import build_service
from tests.conftest import eventually, unique
from tests.integration.harness import bootstrap_bus, new_schema, running
from tests.servers import Servers
from tests.unit.verification.declared import declared

DECLARED_BY = EventMetadata(actor="officer-1", organisation="CB-01")


class Registry:
    """Answers `<name>.query.membership` for the members it is told about, records every question,
    and `<name>.query.subtree` as for a cell (the unit alone)."""

    def __init__(self, nc: NatsClient, name: str) -> None:
        self.nc = nc
        self.name = name
        self.members: dict[tuple[str, str], dict[str, Any]] = {}
        self.questions: list[dict[str, Any]] = []
        self.subscriptions: list[Subscription] = []

    async def start(self) -> None:
        self.subscriptions = [
            await self.nc.subscribe(subjects.query_subject(self.name, "membership"), cb=self._answer),
            await self.nc.subscribe(subjects.query_subject(self.name, "subtree"), cb=self._subtree),
        ]

    async def stop(self) -> None:
        for subscription in self.subscriptions:
            await subscription.unsubscribe()
        self.subscriptions = []

    def add_member(self, citizen_id: str, organisation: str, kind: str = "official") -> None:
        self.members[(citizen_id, organisation)] = {"member": True, "kind": kind, "status": "active"}

    async def _answer(self, message: Msg) -> None:
        question = json.loads(message.data)
        self.questions.append(question)
        found = self.members.get((question["citizen_id"], question["organisation"]))
        result = found or {"member": False, "kind": None, "status": None}
        await message.respond(json.dumps({"ok": True, "result": result}).encode())

    async def _subtree(self, message: Msg) -> None:
        code = json.loads(message.data)["code"]
        await message.respond(json.dumps({"ok": True, "result": {"organisations": [{"code": code}]}}).encode())


@dataclass
class World:
    pool: asyncpg.Pool
    nc: NatsClient
    deployment: str
    source: Service
    service: Service
    registry: Registry | RealRegistry
    source_store: EventStore = field(init=False)
    store: EventStore = field(init=False)

    def __post_init__(self) -> None:
        self.source_store = EventStore(self.pool, self.source.name)
        self.store = EventStore(self.pool, self.service.name)

    async def declare(self, *relatives: dict[str, Any], **fields: Any) -> str:
        """Append a `PersonalHistoryDeclared` to the source log, as the dossiers service would."""
        data = declared(*relatives, **fields)
        await self.source_store.append(
            f"dossier-{data['dossier_id']}", 0, [NewEvent(event_type="PersonalHistoryDeclared", data=data)], DECLARED_BY
        )
        return data["dossier_id"]

    async def opened(self, *relatives: dict[str, Any], **fields: Any) -> tuple[str, dict[str, Any]]:
        dossier_id = await self.declare(*relatives, **fields)
        return dossier_id, await self.case_when_open(dossier_id)

    async def case_when_open(self, dossier_id: str) -> dict[str, Any]:
        async def found() -> dict[str, Any] | None:
            reply = await self.query("case", dossier_id=dossier_id)
            return reply["result"] if reply["ok"] else None

        return await eventually(found)

    async def command(self, name: str, **fields: Any) -> dict[str, Any]:
        body = {"idempotency_key": uuid.uuid4().hex, "actor": "officer-7", "scope": "DU-01", **fields}
        return await self.request(subjects.command_subject(self.service.name, name), body)

    async def query(self, name: str, **fields: Any) -> dict[str, Any]:
        return await self.request(subjects.query_subject(self.service.name, name), fields)

    async def request(self, subject: str, body: dict[str, Any]) -> dict[str, Any]:
        reply = await self.nc.request(subject, json.dumps(body, default=str).encode(), timeout=10)
        return json.loads(reply.data)

    async def events(self, dossier_id: str) -> list:
        return await self.store.read_stream(f"verification-{dossier_id}")

    async def send(self, dossier_id: str, subject_id: str, sent_on: str = "2025-09-03") -> dict[str, Any]:
        reply = await self.command(
            "send_request", dossier_id=dossier_id, subject_id=subject_id, sent_to=f"UB-{subject_id}", sent_on=sent_on,
            sent_by="DU-01",
        )
        assert reply["ok"], reply
        return reply

    async def answer(self, dossier_id: str, subject_id: str, finding: str = "clear", note: str | None = None, **fields: Any) -> dict[str, Any]:
        values = {"replied_on": "2025-09-20", "responding_organisation": f"UB-{subject_id}", "finding": finding, "note": note}
        values.update(fields)
        return await self.command("record_reply", dossier_id=dossier_id, subject_id=subject_id, **values)


class RealRegistry:
    """The registry service itself (services/registry) on fresh schemas, seeded through its commands."""

    def __init__(self, nc: NatsClient, service: Service) -> None:
        self.nc = nc
        self.service = service
        self.name = service.name

    async def ok(self, command: str, **fields: Any) -> dict[str, Any]:
        body = {"idempotency_key": uuid.uuid4().hex, "actor": "officer-1", "scope": "T01", **fields}
        reply = await self.nc.request(subjects.command_subject(self.name, command), json.dumps(body).encode(), timeout=15)
        answer = json.loads(reply.data)
        assert answer["ok"], answer
        return answer


async def start_world(
    stack: AsyncExitStack, pool: asyncpg.Pool, servers: Servers, database_url: str, *, real_registry: bool = False, **options: Any
) -> World:
    nc = await nats.connect(servers.nats_url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    stack.push_async_callback(nc.drain)
    deployment = unique("d")
    source = Service(await new_schema(pool))
    services = [source]
    if real_registry:
        voting = Service(await new_schema(pool))  # the registry follows a voting log; an empty one here
        registry_service = build_registry(await new_schema(pool), voting_source=voting.name)
        services += [voting, registry_service]
        registry: Registry | RealRegistry = RealRegistry(nc, registry_service)
    else:
        registry = Registry(nc, unique("reg"))
    service = build_service(await new_schema(pool), dossiers_source=source.name, registry_service=registry.name, **options)
    services.append(service)
    async with pool.acquire() as conn:
        for built in services:
            for projection in built.projections:
                await projections.create_tables(conn, projection, projection.schema)
    await bootstrap_bus(nc.jetstream(), deployment, services)
    if isinstance(registry, Registry):
        await registry.start()
        stack.push_async_callback(registry.stop)
    else:
        await stack.enter_async_context(running(registry.service, servers.nats_url, database_url, deployment))
    await stack.enter_async_context(running(source, servers.nats_url, database_url, deployment))
    await stack.enter_async_context(running(service, servers.nats_url, database_url, deployment))
    return World(pool, nc, deployment, source, service, registry)


@pytest.fixture(scope="module")
async def world(pool: asyncpg.Pool, servers: Servers, database_url: str) -> AsyncIterator[World]:
    async with AsyncExitStack() as stack:
        yield await start_world(stack, pool, servers, database_url)
