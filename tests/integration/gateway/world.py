"""Every real service on fresh schemas (registry, dossiers, verification, voting, reporting and the
gateway with its HTTP server on a free port), a small tree, one user per role, and an HTTP client.

Tree: T01 (province) > DU-A (grassroots committee) > CB-A1, CB-A2 (cells); T01 > DU-B > CB-B1.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import nats
from nats.aio.client import Client as NatsClient

from ketnap.operations.embedded import free_port
from ketnap.platform import projections
from ketnap.platform.bus import subjects
from ketnap.platform.eventstore import EventStore
from ketnap.platform.eventstore.schema import service_role
from ketnap.platform.service import Service
from ketnap.services.dossiers.service import build_service as build_dossiers
from ketnap.services.gateway.access import COMMANDS as ALL_COMMANDS
from ketnap.services.gateway.access import LINKED_ONLY, Role
from ketnap.services.gateway.access import QUERIES as ALL_QUERIES
from ketnap.services.gateway.passwords import hash_password
from ketnap.services.gateway.scope import OPERATOR, WHOLE_DEPLOYMENT
from ketnap.services.gateway.server import Listener
from ketnap.services.gateway.service import build_service as build_gateway
from ketnap.services.registry.service import build_service as build_registry
from ketnap.services.reporting.service import build_service as build_reporting
from ketnap.services.verification.service import build_service as build_verification
from ketnap.services.voting.service import build_service as build_voting
from tests.conftest import unique
from tests.integration.harness import bootstrap_bus, new_schema, running

TREE = (
    ("T01", "province", None),
    ("DU-A", "grassroots_committee", "T01"),
    ("CB-A1", "cell", "DU-A"),
    ("CB-A2", "cell", "DU-A"),
    ("DU-B", "grassroots_committee", "T01"),
    ("CB-B1", "cell", "DU-B"),
)
HELPERS = {"CB-A1": "001080000001", "CB-A2": "001080000002", "CB-B1": "001080000003"}
"""An official member in each cell, to help an applicant (open_dossier)."""

USERS: dict[str, tuple[Role, str]] = {
    "bithu.a1": (Role.CELL_SECRETARY, "CB-A1"),
    "bithu.a2": (Role.CELL_SECRETARY, "CB-A2"),
    "canbo.a": (Role.GRASSROOTS_STAFF, "DU-A"),
    "canbo.b": (Role.GRASSROOTS_STAFF, "DU-B"),
    "bantochuc": (Role.ORGANISATION_BOARD, "T01"),
    "thuongvu": (Role.STANDING_COMMITTEE, "T01"),
    "kiemtra": (Role.INSPECTOR, "T01"),
    "quantri": (Role.ADMINISTRATOR, "T01"),
    "quantri.b": (Role.ADMINISTRATOR, "DU-B"),
}
BY_ROLE_AT_TOP = {
    Role.CELL_SECRETARY: "bithu.a1", Role.GRASSROOTS_STAFF: "canbo.a", Role.ORGANISATION_BOARD: "bantochuc",
    Role.STANDING_COMMITTEE: "thuongvu", Role.INSPECTOR: "kiemtra", Role.ADMINISTRATOR: "quantri",
}
ROLES = ("registry", "dossiers", "verification", "voting", "reporting")

# The access table's entries this world routes: a deployment linked to none runs no federation
# service (catalogue.py); those are checked with a linked deployment in tests/unit/gateway/test_catalogue.py.
COMMANDS = {key: access for key, access in ALL_COMMANDS.items() if key[0] not in LINKED_ONLY}
QUERIES = {key: access for key, access in ALL_QUERIES.items() if key[0] not in LINKED_ONLY}


@dataclass
class Clock:
    """The gateway's clock: real time plus a shift a test may set (token expiry)."""

    shift: timedelta = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.shift


@dataclass
class World:
    pool: asyncpg.Pool
    nc: NatsClient
    nats_url: str
    database_url: str
    deployment: str
    services: dict[str, Service] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    clock: Clock = field(default_factory=Clock)
    listener: Listener = field(default_factory=lambda: Listener("127.0.0.1", 0))
    metrics_ports: dict[str, int] = field(default_factory=dict)
    """Where each service (by role) serves its Prometheus metrics; none unless a test asks."""

    async def start(self) -> None:
        names = {role: await new_schema(self.pool) for role in ROLES}
        names["reporting"] = await new_schema(self.pool, owns_log=False)
        gateway_name = await new_schema(self.pool)
        self.services = {
            "registry": build_registry(names["registry"], voting_source=names["voting"], dossiers_service=names["dossiers"]),
            "dossiers": build_dossiers(names["dossiers"], names["registry"], names["verification"], names["voting"]),
            "verification": build_verification(names["verification"], names["dossiers"], names["registry"]),
            "voting": build_voting(names["voting"], names["dossiers"], names["registry"]),
            "reporting": build_reporting(
                names["reporting"], {r: names[r] for r in ("registry", "dossiers", "verification", "voting")}, acknowledgements_in=gateway_name,
            ),
            "gateway": build_gateway(gateway_name, names, listener=self.listener, now=self.clock.now),
        }
        async with self.pool.acquire() as conn:
            for service in self.services.values():
                for projection in service.projections:
                    await projections.create_tables(conn, projection, projection.schema)
                for table, columns in service.tables.items():  # as the bootstrap creates them
                    await conn.execute(f"CREATE TABLE IF NOT EXISTS {service.name}.{table} ({columns})")
                    await conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {service.name}.{table} TO {service_role(service.name)}")
                for upgrade in service.upgrades:
                    await conn.execute(upgrade)
        await bootstrap_bus(self.nc.jetstream(), self.deployment, list(self.services.values()))
        self._running = {role: AsyncExitStack() for role in self.services}
        for role in self.services:
            await self.start_service(role)
        await asyncio.wait_for(self.listener.ready.wait(), 30)
        self.http = httpx.AsyncClient(base_url=self.listener.url, timeout=60)
        await self.seed()

    async def start_service(self, role: str) -> None:
        await self._running[role].enter_async_context(running(
            self.services[role], self.nats_url, self.database_url, self.deployment, metrics_port=self.metrics_ports.get(role)
        ))

    async def stop_service(self, role: str) -> None:
        await self._running[role].aclose()
        self._running[role] = AsyncExitStack()

    @asynccontextmanager
    async def down(self, role: str) -> AsyncIterator[None]:
        """The service stopped for the block, started again after it."""
        await self.stop_service(role)
        try:
            yield
        finally:
            await self.start_service(role)

    async def close(self) -> None:
        await self.http.aclose()
        for role in reversed(list(self._running)):
            await self._running[role].aclose()

    # --- seeding over NATS, as the operator would ----------------------------------------------------

    async def seed(self) -> None:
        for code, kind, parent in TREE:
            await self.registry("establish_organisation", scope=code if parent is None else "T01", code=code,
                                name=f"Tổ chức {code}", kind=kind, parent=parent, effective_from="2005-01-01")
        for cell, helper in HELPERS.items():
            await self.registry("register_member", citizen_id=helper, full_name="Đảng viên Giúp Đỡ", organisation=cell,
                                kind="official", effective_from="2010-01-01")
        for login, (role, organisation) in USERS.items():
            await self.operator("create_user", login=login, display_name=f"Người dùng {login}", role=role.value, organisation=organisation)
            self.tokens[login] = (await self.operator("issue_token", login=login))["result"]["token"]

    async def set_password(self, login: str, password: str) -> None:
        """`ketnap users password LOGIN`: the hash made here, sent by the operator."""
        await self.operator("set_password", login=login, password_hash=hash_password(password))

    async def registry(self, command: str, scope: str = "T01", **fields: Any) -> dict[str, Any]:
        body = {"idempotency_key": str(uuid.uuid4()), "actor": "seed", "scope": scope, **fields}
        reply = await self.request(subjects.command_subject(self.name("registry"), command), body)
        assert reply["ok"], reply
        return reply

    async def operator(self, command: str, **fields: Any) -> dict[str, Any]:
        """`ketnap users ...`: the gateway's NATS commands as the operator."""
        reply = await self.operator_reply(command, **fields)
        assert reply["ok"], reply
        return reply

    async def operator_reply(self, command: str, **fields: Any) -> dict[str, Any]:
        body = {"idempotency_key": str(uuid.uuid4()), "actor": OPERATOR, "scope": WHOLE_DEPLOYMENT, **fields}
        return await self.request(subjects.command_subject(self.name("gateway"), command), body)

    async def request(self, subject: str, body: dict[str, Any]) -> dict[str, Any]:
        return json.loads((await self.nc.request(subject, json.dumps(body).encode(), timeout=30)).data)

    def name(self, role: str) -> str:
        return self.services[role].name

    def store(self, role: str) -> EventStore:
        return EventStore(self.pool, self.name(role))

    async def heads(self) -> dict[str, int]:
        """Every log's head: equal before and after means nothing was written anywhere."""
        return {role: await self.store(role).head_position() for role in self.services if self.services[role].owns_log}

    # --- HTTP, as a user ------------------------------------------------------------------------------

    def headers(self, login: str | None, key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.tokens[login]}"} if login else {}
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    async def command(self, login: str | None, service: str, name: str, body: Any = None, *, key: str | None = "auto",
                      content: bytes | None = None) -> httpx.Response:
        key = str(uuid.uuid4()) if key == "auto" else key
        url = f"/api/v1/{service}/commands/{name}"
        if content is not None:
            return await self.http.post(url, content=content, headers={**self.headers(login, key), "Content-Type": "application/json"})
        return await self.http.post(url, json={} if body is None else body, headers=self.headers(login, key))

    async def query(self, login: str | None, service: str, name: str, body: Any = None) -> httpx.Response:
        return await self.http.post(f"/api/v1/{service}/queries/{name}", json={} if body is None else body, headers=self.headers(login))

    async def open_dossier(self, login: str, cell: str, citizen_id: str | None = None) -> str:
        """Open a dossier, for a new person unless `citizen_id` is given (ONE_DOSSIER: one open dossier a person)."""
        citizen_id = citizen_id or new_citizen_id()
        response = await self.command(login, "dossiers", "open_dossier", {
            "cell": cell, "citizen_id": citizen_id, "full_name": "Nguyễn Thị Hoa", "opened_on": "2025-09-01",
            "helper_citizen_id": HELPERS[cell],
        })
        assert response.status_code == 200, response.text
        return response.json()["result"]["dossier_id"]


def new_citizen_id() -> str:
    """A CCCD no other test uses: a person with no dossier yet."""
    return f"0019{uuid.uuid4().int % 10**8:08d}"


@asynccontextmanager
async def world_of(pool: asyncpg.Pool, nats_url: str, database_url: str, *, metrics: bool = False) -> AsyncIterator[World]:
    """A started world of a fresh deployment, with its own NATS connection; with `metrics`, every
    service serves its metrics on a free port."""
    nc = await nats.connect(nats_url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    world = World(pool, nc, nats_url, database_url, unique("d"))
    if metrics:
        world.metrics_ports = {role: free_port() for role in (*ROLES, "gateway")}
    try:
        await world.start()
        yield world
    finally:
        try:
            await world.close()
        finally:
            await nc.drain()
