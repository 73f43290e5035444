"""The real registry service (services/registry) on fresh schemas, seeded through its NATS commands
with the tree and the members the dossiers tests need."""

from __future__ import annotations

import json
import uuid
from contextlib import AsyncExitStack
from typing import Any

import asyncpg
from nats.aio.client import Client as NatsClient

from ketnap.platform import projections
from ketnap.platform.bus import subjects
from ketnap.platform.service import Service
from ketnap.services.registry.service import build_service
from tests.integration.dossiers.stack import CELL, FORMER, HELPER, INTRODUCER_A, INTRODUCER_B, PROBATIONARY, answering
from tests.integration.harness import bootstrap_bus, new_schema, running

OTHER_CELL = "CB-09"
TREE = (("T01", "province", None), ("DU-HT", "grassroots_committee", "T01"), (CELL, "cell", "DU-HT"), (OTHER_CELL, "cell", "DU-HT"))
MEMBERS = (
    (HELPER, "Hoàng Văn Một", "official", "2010-05-19"),
    (INTRODUCER_A, "Lê Văn Năm", "official", "2015-03-02"),
    (INTRODUCER_B, "Phạm Thị Sáu", "official", "2016-09-02"),
    (PROBATIONARY, "Vũ Văn Chín", "probationary", "2025-06-01"),
)


class RealRegistry:
    def __init__(self, pool: asyncpg.Pool, nc: NatsClient, nats_url: str, database_url: str, deployment: str) -> None:
        self.pool, self.nc = pool, nc
        self.nats_url, self.database_url, self.deployment = nats_url, database_url, deployment
        self._running = AsyncExitStack()

    async def start(self) -> None:
        self.name = await new_schema(self.pool)
        self.dossiers = await new_schema(self.pool)
        """The schema of the dossiers service the registry asks about a unit's open dossiers (the `stack`)."""
        # The registry follows a voting log of its own here: the dossiers tests do not test its roster.
        voting = Service(await new_schema(self.pool))
        self.service = build_service(self.name, voting_source=voting.name, dossiers_service=self.dossiers)
        async with self.pool.acquire() as conn:
            for projection in self.service.projections:
                await projections.create_tables(conn, projection, projection.schema)
        await bootstrap_bus(self.nc.jetstream(), self.deployment, [self.service, voting])
        await self._running.enter_async_context(running(self.service, self.nats_url, self.database_url, self.deployment))
        await answering(self.nc, self.name)

    async def stop(self) -> None:
        await self._running.aclose()

    async def seed(self) -> None:
        for code, kind, parent in TREE:
            await self.ok("establish_organisation", code=code, name=f"Tổ chức {code}", kind=kind, parent=parent,
                          effective_from="2005-01-01")
        for citizen_id, full_name, kind, since in MEMBERS:
            extra = {"admitted_on": since} if kind == "probationary" else {}
            await self.ok("register_member", citizen_id=citizen_id, full_name=full_name, organisation=CELL, kind=kind,
                          effective_from=since, **extra)
        await self.ok("register_member", citizen_id=FORMER, full_name="Đỗ Văn Cựu", organisation=CELL, kind="official",
                      effective_from="2008-03-02")
        await self.ok("remove_member_name", citizen_id=FORMER, effective_from="2023-06-01", decided_by="DU-HT",
                      decision_number="3-QĐ/ĐU", reason="Vi phạm tư cách đảng viên")

    async def ask(self, command: str, **fields: Any) -> dict[str, Any]:
        body = {"idempotency_key": str(uuid.uuid4()), "actor": "officer-1", "scope": "T01", **fields}
        return json.loads((await self.nc.request(subjects.command_subject(self.name, command), json.dumps(body).encode(), timeout=15)).data)

    async def ok(self, command: str, **fields: Any) -> dict[str, Any]:
        reply = await self.ask(command, **fields)
        assert reply["ok"], reply
        return reply
