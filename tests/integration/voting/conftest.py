"""The voting service with the REAL registry service and a dossiers-like source log, each on fresh
schemas, running for the whole package (each test builds its own tree and dossiers, with unique
codes, so tests do not see each other)."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import asyncpg
import nats
import pytest
from nats.aio.client import Client as NatsClient

from ketnap.platform import projections
from ketnap.platform.bus import subjects
from ketnap.platform.envelope import EventMetadata, NewEvent
from ketnap.platform.eventstore import EventStore
from ketnap.platform.eventstore.store import ANY_VERSION
from ketnap.platform.service import Service
from ketnap.services.registry.service import build_service as build_registry
from ketnap.services.voting.service import build_service as build_voting
from tests.conftest import eventually, unique
from tests.integration.harness import bootstrap_bus, new_schema, running
from tests.servers import Servers

DOSSIERS_ACTOR = EventMetadata(actor="dossiers-officer")


def citizen_ids(count: int) -> list[str]:
    """Fresh 12-digit citizen ids: the registry registers a person once across every test."""
    rng = random.Random(uuid.uuid4().int)
    return [f"0{rng.randrange(10**10, 10**11)}" for _ in range(count)]


@dataclass
class Tree:
    """province → upper committee → grassroots committee → cell, with members and a committee."""

    province: str
    upper: str
    grassroots: str
    cell: str
    officials: list[str]
    probationary: list[str]
    committee: list[str]
    extra: dict[str, str] = field(default_factory=dict)


class Stack:
    def __init__(self, pool: asyncpg.Pool, nc: NatsClient, voting: Service, registry: Service, dossiers: Service) -> None:
        self.pool = pool
        self.nc = nc
        self.voting = voting
        self.registry = registry
        self.dossiers = dossiers
        self.voting_store = EventStore(pool, voting.name)
        self.dossiers_store = EventStore(pool, dossiers.name)

    # --- voting ---------------------------------------------------------------------------------

    async def request(self, subject: str, body: dict[str, Any]) -> dict[str, Any]:
        reply = await self.nc.request(subject, json.dumps(body, default=str).encode(), timeout=20)
        return json.loads(reply.data)

    async def command(self, name: str, /, *, key: str | None = None, scope: str = "any", **fields: Any) -> dict[str, Any]:
        body = {"idempotency_key": key or str(uuid.uuid4()), "actor": "bi-thu-1", "scope": scope, **fields}
        return await self.request(subjects.command_subject(self.voting.name, name), body)

    async def ok(self, name: str, /, **fields: Any) -> dict[str, Any]:
        reply = await self.command(name, **fields)
        assert reply["ok"], reply
        return reply

    async def query(self, name: str, /, **fields: Any) -> dict[str, Any]:
        return await self.request(subjects.query_subject(self.voting.name, name), fields)

    async def case(self, dossier_id: str) -> dict[str, Any] | None:
        reply = await self.query("case", dossier_id=dossier_id)
        return reply["result"] if reply["ok"] else None

    async def events(self, dossier_id: str) -> list[str]:
        return [e.event_type for e in await self.voting_store.read_stream(f"voting-{dossier_id}")]

    # --- the dossiers log -----------------------------------------------------------------------

    async def dossier_event(self, event_type: str, dossier_id: str, **data: Any) -> None:
        body = {"dossier_id": dossier_id, **{k: v.isoformat() if isinstance(v, date) else v for k, v in data.items()}}
        await self.dossiers_store.append(f"dossier-{dossier_id}", ANY_VERSION, [NewEvent(event_type=event_type, data=body)], DOSSIERS_ACTOR)

    async def ready(self, tree: Tree, *, ready_on: date = date(2025, 9, 1), citizen_id: str | None = None) -> str:
        """A dossier made ready for the cell's vote, and seen by the voting service."""
        dossier_id = str(uuid.uuid4())
        await self.dossier_event(
            "ReadyForCellVote", dossier_id, cell=tree.cell, citizen_id=citizen_id or citizen_ids(1)[0],
            full_name="Nguyễn Thị Bình", birth_date="2000-05-01", ready_on=ready_on, rule_set="2025-07",
        )
        await eventually(lambda: self.case(dossier_id))
        return dossier_id

    # --- the registry ---------------------------------------------------------------------------

    async def registry_ok(self, name: str, /, *, scope: str, **fields: Any) -> dict[str, Any]:
        body = {"idempotency_key": str(uuid.uuid4()), "actor": "ban-to-chuc", "scope": scope, **fields}
        reply = await self.request(subjects.command_subject(self.registry.name, name), body)
        assert reply["ok"], reply
        return reply

    async def registry_answer(self, name: str, /, **fields: Any) -> dict[str, Any]:
        reply = await self.request(subjects.query_subject(self.registry.name, name), fields)
        assert reply["ok"], reply
        return reply["result"]

    async def establish(self, code: str, kind: str, parent: str | None, *, scope: str, since: str = "2015-01-01") -> None:
        await self.registry_ok(
            "establish_organisation", scope=scope, code=code, name=f"Tổ chức {code}", kind=kind, parent=parent, effective_from=since
        )

    async def member(self, citizen_id: str, cell: str, kind: str = "official", *, scope: str, since: str = "2016-01-01") -> None:
        await self.registry_ok(
            "register_member", scope=scope, citizen_id=citizen_id, full_name="Trần Văn Cường", organisation=cell, kind=kind,
            effective_from=since,
        )

    async def tree(self, *, officials: int = 9, probationary: int = 1, committee: int = 5) -> Tree:
        """A fresh tree: the cell's official members are also the grassroots committee's pool."""
        tag = unique("")[:8].upper()
        tree = Tree(
            province=f"T{tag}", upper=f"H{tag}", grassroots=f"G{tag}", cell=f"C{tag}",
            officials=citizen_ids(officials), probationary=citizen_ids(probationary), committee=[],
        )
        scope = tree.province
        await self.establish(tree.province, "province", None, scope=scope)
        await self.establish(tree.upper, "upper_committee", tree.province, scope=scope)
        await self.establish(tree.grassroots, "grassroots_committee", tree.upper, scope=scope)
        await self.establish(tree.cell, "cell", tree.grassroots, scope=scope)
        for citizen_id in tree.officials:
            await self.member(citizen_id, tree.cell, scope=scope)
        for citizen_id in tree.probationary:
            await self.member(citizen_id, tree.cell, "probationary", scope=scope, since="2025-03-01")
        tree.committee = tree.officials[:committee]
        for citizen_id in tree.committee:
            await self.registry_ok(
                "appoint_committee_member", scope=scope, organisation=tree.grassroots, citizen_id=citizen_id,
                effective_from="2020-01-01",
            )
        return tree


def votes(agree: list[str] = (), disagree: list[str] = (), abstain: list[str] = ()) -> list[dict[str, str]]:  # type: ignore[assignment]
    return (
        [{"citizen_id": c, "choice": "agree"} for c in agree]
        + [{"citizen_id": c, "choice": "disagree"} for c in disagree]
        + [{"citizen_id": c, "choice": "abstain"} for c in abstain]
    )


@pytest.fixture(scope="package")
async def stack(servers: Servers, pool: asyncpg.Pool, database_url: str) -> AsyncIterator[Stack]:
    deployment = unique("d")
    voting_name, registry_name, dossiers_name = [await new_schema(pool) for _ in range(3)]
    voting = build_voting(voting_name, dossiers_source=dossiers_name, registry_service=registry_name)
    registry = build_registry(registry_name, voting_source=voting_name, dossiers_service=dossiers_name)
    dossiers = Service(dossiers_name)  # a dossiers-like log that only relays
    async with pool.acquire() as conn:
        for service in (voting, registry):
            for projection in service.projections:
                await projections.create_tables(conn, projection, projection.schema)
    nc = await nats.connect(servers.nats_url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    await bootstrap_bus(nc.jetstream(), deployment, [voting, registry, dossiers])
    try:
        async with running(dossiers, servers.nats_url, database_url, deployment), \
                running(registry, servers.nats_url, database_url, deployment), \
                running(voting, servers.nats_url, database_url, deployment):
            yield Stack(pool, nc, voting, registry, dossiers)
    finally:
        await nc.drain()
