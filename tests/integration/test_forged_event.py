"""Issue 16's experiment on the five real services: a well-formed `DossierWithdrawn` published on
the dossiers event subject at head + 1 with all-zero hashes changes nothing in any projection or
process manager, every consumer of the dossiers log raises an alarm, `ketnap status` is unhealthy
until each is acknowledged, and the real event that later takes that position is applied."""

from __future__ import annotations

import json
import uuid

import asyncpg
from nats.aio.client import Client as NatsClient

from ketnap.domain.calendar import today_in_vietnam
from ketnap.operations.demo.client import BusClient
from ketnap.operations.status import collect_status
from ketnap.platform import projections
from ketnap.platform.bus import subjects
from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.eventstore import EventStore
from ketnap.services.gateway.access import Role
from tests.conftest import eventually
from tests.integration.demo.conftest import Scenario, five_services, settle
from tests.integration.forgery import forged_withdrawal, publish
from tests.servers import Servers

APPLICANTS = 12


async def everything_derived(sc: Scenario) -> dict[str, object]:
    """Every log's head and every projection's rows: what a forged event could change."""
    found: dict[str, object] = {f"{role} head": h for role, h in (await sc.heads()).items()}
    async with sc.pool.acquire() as conn:
        for service in sc.services.values():
            for projection in service.projections:
                for table in projection.tables:
                    rows = await conn.fetch(f"SELECT to_jsonb(t)::text AS row FROM {projection.schema}.{table} t ORDER BY 1")
                    found[f"{projection.schema}.{table}"] = [r["row"] for r in rows]
    return found


def dossier_consumers(sc: Scenario) -> list[tuple[str, str]]:
    """(service, consumer) of every consumer of the dossiers log."""
    dossiers = sc.services["dossiers"].name
    return [(s.name, spec.name) for s in sc.services.values() for spec in s.consumer_specs if spec.source == dossiers]


async def open_alarms(sc: Scenario) -> list[tuple[str, dict]]:
    found = []
    for service in sc.services.values():
        reply = json.loads((await sc.nc.request(subjects.query_subject(service.name, "integrity_alarms"), b"{}", timeout=10)).data)
        assert reply["ok"], reply
        found += [(service.name, a) for a in reply["result"]["items"]]
    return found


async def log_of(pool: asyncpg.Pool, schema: str) -> list[RecordedEvent]:
    return [e async for batch in EventStore(pool, schema).read_log(0) for e in batch]


async def test_a_forged_withdrawal_changes_nothing_raises_alarms_and_the_real_event_is_applied(
    pool: asyncpg.Pool, nc: NatsClient, servers: Servers, database_url: str
) -> None:
    async with five_services(pool, servers, database_url, APPLICANTS) as sc:
        await sc.driver().run()
        await settle(sc)
        dossiers = sc.services["dossiers"].name
        events = await log_of(pool, dossiers)
        official = next(e for e in events if e.event_type == "BecameOfficialMember")
        opened = next(e for e in events if e.event_type == "DossierOpened" and e.stream_id == official.stream_id)
        before = await everything_derived(sc)
        head = events[-1]

        forged = forged_withdrawal(opened, official.stream_version, head.position + 1)
        subject = await publish(sc.nc, sc.deployment, dossiers, forged)

        expected = sorted(dossier_consumers(sc))

        async def every_consumer_alarmed() -> list[tuple[str, dict]] | None:
            found = await open_alarms(sc)
            return found if sorted((s, a["consumer"]) for s, a in found) == expected else None

        alarms = await eventually(every_consumer_alarmed, timeout=60)
        assert {(a["subject"], a["position"], a["kind"]) for _, a in alarms} == {(subject, forged.position, "broken_link")}
        await settle(sc)
        assert await everything_derived(sc) == before, "the forged event changed something"
        assert await sc.dead_letters() == 0

        report = await collect_status(servers.nats_url, database_url, services=list(sc.services.values()))
        assert not report.healthy
        assert {s.name: s.alarms for s in report.services if s.alarms} == {
            name: sum(1 for n, _ in expected if n == name) for name, _ in expected
        }

        # The real event that takes that position is applied by every consumer, not skipped.
        withdrawn, refusals = None, []
        for candidate in [e for e in events if e.event_type == "DossierOpened" and e.stream_id != official.stream_id]:
            officer = BusClient(sc.nc, Role.CELL_SECRETARY, candidate.data["cell"], services=sc.names)
            reply = await officer.command(
                "dossiers", "withdraw", {"dossier_id": candidate.data["dossier_id"], "on": today_in_vietnam().isoformat()},
                key=f"withdraw-{uuid.uuid4().hex}",
            )
            if reply["ok"]:
                withdrawn = candidate
                break
            refusals.append(reply["error"])
        assert withdrawn is not None, refusals
        await settle(sc)
        real = await log_of(pool, dossiers)
        assert real[forged.position - 1].event_type == "DossierWithdrawn"
        assert real[forged.position - 1].stream_id == withdrawn.stream_id
        async with pool.acquire() as conn:
            for name, consumer in expected:
                reached = await conn.fetchrow(
                    f"SELECT position, hash FROM {name}.consumer_checkpoints WHERE consumer = $1 AND source = $2", consumer, dossiers
                )
                assert (reached["position"], reached["hash"]) == (real[-1].position, real[-1].hash), consumer
        for service in sc.services.values():
            for projection in service.projections:
                assert await projections.verify(pool, projection) == [], projection.name

        # Acknowledged, one by one: status is healthy again.
        for name, alarm in alarms:
            body = {"idempotency_key": f"ack-{uuid.uuid4().hex}", "actor": "operator", "scope": "*", "alarm_id": alarm["id"]}
            reply = json.loads((await sc.nc.request(subjects.command_subject(name, "acknowledge_alarm"), json.dumps(body).encode(), timeout=10)).data)
            assert reply["ok"], reply
        report = await collect_status(servers.nats_url, database_url, services=list(sc.services.values()))
        assert report.healthy, report
