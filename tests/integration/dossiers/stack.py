"""The dossiers service on fresh schemas, beside the logs it consumes and the registry it asks.

`Stack` runs the real dossiers runtime (relay, request endpoints, process manager) and the two
source services (their relays and log-read endpoints), appends verification and voting events to
the source logs as those services would, and sends commands and queries over NATS.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import date
from typing import Any

import asyncpg
import nats.errors
from nats.aio.client import Client as NatsClient

from ketnap.platform import projections
from ketnap.platform.bus import subjects
from ketnap.platform.envelope import EventMetadata, NewEvent
from ketnap.platform.eventstore import EventStore
from ketnap.platform.eventstore.store import ANY_VERSION
from ketnap.platform.service import Service
from ketnap.services.dossiers import events as ev
from ketnap.services.dossiers.service import build_service
from tests.conftest import eventually
from tests.integration.harness import bootstrap_bus, new_schema, running

TODAY = date(2027, 12, 31)
CELL = "CB-01"
APPLICANT = "001098012345"
SECOND_APPLICANT = "001098012346"
HELPER = "001080000001"
INTRODUCER_A = "001075000002"
INTRODUCER_B = "001077000003"
PROBATIONARY = "001099000009"
FORMER = "001070000007"
"""A member whose name was removed on 01/06/2023 (registry.py): a former member (READMIT)."""
CLOSING_FIELDS = {"dossier_id", "cell", "on"}
"""docs/contracts.md: DossierWithdrawn, DossierSuspended, DossierResumed carry exactly these."""


class Stack:
    def __init__(
        self, pool: asyncpg.Pool, nc: NatsClient, nats_url: str, database_url: str, deployment: str, registry: str, name: str | None = None
    ) -> None:
        self.pool, self.nc = pool, nc
        self.nats_url, self.database_url, self.deployment = nats_url, database_url, deployment
        self.registry = registry
        self._name = name
        self._exit = AsyncExitStack()

    async def prepare(self) -> None:
        self.name = self._name or await new_schema(self.pool)
        self.verification_name = await new_schema(self.pool)
        self.voting_name = await new_schema(self.pool)
        self.service = build_service(
            self.name, self.registry, self.verification_name, self.voting_name, today=lambda: TODAY
        )
        self.verification = Service(self.verification_name)
        self.voting = Service(self.voting_name)
        self.store = EventStore(self.pool, self.name)
        async with self.pool.acquire() as conn:
            for projection in self.service.projections:  # the dossier index (search)
                await projections.create_tables(conn, projection, projection.schema)
        await bootstrap_bus(self.nc.jetstream(), self.deployment, [self.service, self.verification, self.voting])

    async def start_sources(self) -> None:
        for source in (self.verification, self.voting):
            await self._exit.enter_async_context(running(source, self.nats_url, self.database_url, self.deployment))

    @asynccontextmanager
    async def dossiers_running(self) -> AsyncIterator[asyncio.Task[None]]:
        async with running(self.service, self.nats_url, self.database_url, self.deployment) as task:
            await answering(self.nc, self.name)
            yield task

    async def close(self) -> None:
        await self._exit.aclose()

    # --- commands and queries over NATS ------------------------------------------------------------

    async def ask(self, command: str, **fields: Any) -> dict[str, Any]:
        body = {"idempotency_key": fields.pop("idempotency_key", str(uuid.uuid4())), "actor": "officer-1", "scope": CELL}
        body.update(fields)
        reply = await self.nc.request(
            subjects.command_subject(self.name, command), json.dumps(body, default=str).encode(), timeout=10
        )
        return json.loads(reply.data)

    async def ok(self, command: str, **fields: Any) -> dict[str, Any]:
        reply = await self.ask(command, **fields)
        assert reply["ok"], reply
        return reply

    async def dossier(self, dossier_id: str, on: date | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"dossier_id": dossier_id}
        if on:
            body["on"] = on.isoformat()
        reply = await self.nc.request(subjects.query_subject(self.name, "dossier"), json.dumps(body).encode(), timeout=10)
        return json.loads(reply.data)

    # --- what the dossier recorded ------------------------------------------------------------------

    async def events(self, dossier_id: str) -> list[str]:
        return [e.event_type for e in await self.store.read_stream(ev.stream_id(dossier_id))]

    async def step(self, dossier_id: str) -> str | None:
        body = await self.dossier(dossier_id)
        return body["result"]["step"] if body["ok"] else None

    async def wait_for_step(self, dossier_id: str, step: str) -> None:
        async def reached() -> bool:
            return await self.step(dossier_id) == step

        await eventually(reached, timeout=20)

    async def wait_for_checkpoint(self, source: str, position: int) -> None:
        async def reached() -> bool:
            async with self.pool.acquire() as conn:
                at = await conn.fetchval(
                    f"SELECT max(position) FROM {self.name}.consumer_checkpoints WHERE source = $1", source
                )
            return (at or 0) >= position

        await eventually(reached, timeout=20)

    # --- verification and voting, as those services would record -------------------------------------

    async def verification_decides(self, event_type: str, **data: Any) -> int:
        return await self._append(self.verification_name, event_type, data)

    async def voting_decides(self, event_type: str, **data: Any) -> int:
        return await self._append(self.voting_name, event_type, data)

    async def _append(self, schema: str, event_type: str, data: dict[str, Any]) -> int:
        store = EventStore(self.pool, schema)
        body = json.loads(json.dumps(data, default=str))
        result = await store.append(
            f"case-{data.get('dossier_id', 'x')}", ANY_VERSION, [NewEvent(event_type=event_type, data=body)],
            EventMetadata(actor="secretary-2", organisation="DU-HT"),
        )
        return result.positions[-1]


async def answering(nc: NatsClient, service: str, timeout: float = 20.0) -> None:
    """Wait until a service started by `running` answers requests: on a busy machine its
    subscriptions may take longer than the harness's short pause."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            await nc.request(subjects.status_subject(service), b"{}", timeout=1)
            return
        except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.05)


def history(declared_on: str = "2025-10-10", **applicant: Any) -> dict[str, Any]:
    return {
        "declared_on": declared_on,
        "applicant": {
            "birth_date": "1998-03-15",
            "gender": "female",
            "ethnicity": "Kinh",
            "religion": "Không",
            "occupation": "Giáo viên",
            **applicant,
        },
        "relatives": [
            {"relation": "father", "full_name": "Nguyễn Văn Ba", "birth_year": 1968, "residence_or_work": "Thôn Đông",
             "responding_organisation": "DU-HT"},
            {"relation": "mother", "full_name": "Trần Thị Tư", "birth_year": 1970, "residence_or_work": "Thôn Đông"},
        ],
        "qualifications": {"general_education": "upper_secondary", "professional_qualification": "university", "youth_union_member": True},
    }


def introductions(first: str = INTRODUCER_A, second: str = INTRODUCER_B, on: str = "2025-11-03") -> dict[str, Any]:
    return {
        "introducers": [
            {"citizen_id": first, "full_name": "Lê Văn Năm", "introduced_on": on, "acquainted_since": "2020-01-01"},
            {"citizen_id": second, "full_name": "Phạm Thị Sáu", "introduced_on": on, "acquainted_since": "2020-01-01"},
        ],
        "recorded_on": on,
    }


async def prepared_dossier(stack: Stack, dossier_id: str | None = None, citizen_id: str = APPLICANT, **opening: Any) -> str:
    """Open a dossier and record every paper over NATS, up to the history waiting for certification.
    A second dossier in one test is for another person (ONE_DOSSIER). `opening`: more fields of
    `open_dossier` (a re-admission)."""
    fields: dict[str, Any] = dict(opening)
    if dossier_id:
        fields["dossier_id"] = dossier_id
    opened = await stack.ok(
        "open_dossier", cell=CELL, citizen_id=citizen_id, full_name="Nguyễn Thị Hoa", opened_on="2025-09-01",
        helper_citizen_id=HELPER, **fields,
    )
    dossier_id = opened["result"]["dossier_id"]
    await stack.ok("record_class_certificate", dossier_id=dossier_id, certificate_number="123/GCN", issued_on="2025-08-01",
                   issued_by="Trung tâm chính trị")
    await stack.ok("submit_application_letter", dossier_id=dossier_id, submitted_on="2025-10-01")
    await stack.ok("declare_personal_history", dossier_id=dossier_id, **history())
    await stack.ok("record_introductions", dossier_id=dossier_id, **introductions())
    await stack.ok("record_opinions", dossier_id=dossier_id,
                   opinions=[{"source": "residence_cell", "given_on": "2025-11-05", "summary": "Gương mẫu, nhiệt tình"}])
    return dossier_id
