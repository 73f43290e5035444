"""Acknowledging an integrity alarm is an event in a log: the service's own, appended in the
transaction that marks the alarm, or, for a service without one, the log it names: once, with who,
what and why; a retry or a second person's acknowledgement records nothing more, and the first
acknowledgement stands in both."""

from __future__ import annotations

import dataclasses
import json
import uuid

import asyncpg
from nats.aio.client import Client as NatsClient

from ketnap.platform import alarms
from ketnap.platform.bus import subjects
from ketnap.platform.envelope import EventMetadata
from ketnap.platform.eventstore import EventStore
from ketnap.platform.service import Service
from ketnap.platform.settings import Settings
from ketnap.services import all_services
from tests.integration.harness import bootstrap_bus, new_schema, running
from tests.servers import Servers

REFUSAL = alarms.Refusal(
    consumer="x.counter", source="dossiers", subject="ketnap.d.evt.dossiers.DossierWithdrawn", position=7, kind="broken_link",
    detail="previous hash differs", received_hash="ab" * 32,
)


async def test_an_acknowledgement_is_recorded_once_in_the_log(pool: asyncpg.Pool) -> None:
    schema = await new_schema(pool)
    store = EventStore(pool, schema)
    async with pool.acquire() as conn:
        await alarms.record(conn, schema, REFUSAL)
        (alarm,) = await alarms.listed(conn, schema)
        first = await alarms.acknowledge_recorded(
            conn, store, alarm.id, EventMetadata(actor="quantri", organisation="T01"), uuid.uuid4(), "Tin giả mạo, đã đối chiếu"
        )
        again = await alarms.acknowledge_recorded(conn, store, alarm.id, EventMetadata(actor="khac", organisation="T01"), uuid.uuid4(), "Lần hai")
        assert await alarms.acknowledge_recorded(conn, store, alarm.id + 1, EventMetadata(actor="quantri"), uuid.uuid4()) is None
    assert first is not None and again is not None
    assert (first.acknowledged_by, first.acknowledged_reason) == ("quantri", "Tin giả mạo, đã đối chiếu")
    assert (again.acknowledged_by, again.acknowledged_reason, again.acknowledged_at) == ("quantri", "Tin giả mạo, đã đối chiếu", first.acknowledged_at)
    (event,) = [e async for batch in store.read_log(0) for e in batch]
    assert (event.event_type, event.stream_id, event.actor, event.organisation) == (
        "IntegrityAlarmAcknowledged", alarms.alarm_stream(alarm.id), "quantri", "T01",
    )
    assert event.data == {
        "alarm_id": alarm.id, "consumer": "x.counter", "source": "dossiers", "position": 7, "kind": "broken_link",
        "received_hash": "ab" * 32, "reason": "Tin giả mạo, đã đối chiếu",
    }


async def _acknowledge(nc: NatsClient, service: str, alarm_id: int, actor: str, key: str, reason: str) -> dict:
    body = {"idempotency_key": key, "actor": actor, "scope": "T01", "alarm_id": alarm_id, "reason": reason}
    return json.loads((await nc.request(subjects.command_subject(service, "acknowledge_alarm"), json.dumps(body).encode(), timeout=15)).data)


async def test_a_service_without_a_log_has_each_acknowledgement_recorded_in_the_log_it_names(
    pool: asyncpg.Pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str
) -> None:
    """Reporting and federation keep no log: the gateway's records their acknowledgements, before
    the alarm is marked, once, and the alarm says what that log says."""
    recorder = Service(await new_schema(pool))
    logless = Service(await new_schema(pool, owns_log=False), owns_log=False, acknowledgements_in=recorder.name)
    async with pool.acquire() as conn:
        await alarms.record(conn, logless.name, REFUSAL)
        await alarms.record(conn, logless.name, dataclasses.replace(REFUSAL, position=8))
        first, second = await alarms.listed(conn, logless.name)
    await bootstrap_bus(nc.jetstream(), deployment, [recorder, logless])
    key = "ack-" + uuid.uuid4().hex
    async with running(logless, servers.nats_url, database_url, deployment):
        # The log it names is down: nothing is marked, the operator is told to try again.
        refused = await _acknowledge(nc, logless.name, first.id, "quantri", key, "Tin giả mạo, đã đối chiếu")
        assert refused["error"]["code"] == "unavailable", refused
        async with pool.acquire() as conn:
            assert len(await alarms.listed(conn, logless.name)) == 2
        async with running(recorder, servers.nats_url, database_url, deployment):
            done = await _acknowledge(nc, logless.name, first.id, "quantri", key, "Tin giả mạo, đã đối chiếu")
            retried = await _acknowledge(nc, logless.name, first.id, "quantri", key, "Tin giả mạo, đã đối chiếu")
            other = await _acknowledge(nc, logless.name, first.id, "khac", "ack-" + uuid.uuid4().hex, "Lần hai")
            await _acknowledge(nc, logless.name, second.id, "khac", "ack-" + uuid.uuid4().hex, "Vị trí 8 đã xem")
    for reply in (done, retried, other):
        assert reply["ok"], reply
        assert (reply["result"]["acknowledged_by"], reply["result"]["acknowledged_reason"]) == ("quantri", "Tin giả mạo, đã đối chiếu")
    logged = [e async for batch in EventStore(pool, recorder.name).read_log(0) for e in batch]
    assert [(e.event_type, e.stream_id, e.actor, e.data["reason"]) for e in logged] == [
        ("IntegrityAlarmAcknowledged", alarms.alarm_stream(first.id, logless.name), "quantri", "Tin giả mạo, đã đối chiếu"),
        ("IntegrityAlarmAcknowledged", alarms.alarm_stream(second.id, logless.name), "khac", "Vị trí 8 đã xem"),
    ]
    assert logged[0].data == {
        "alarm_id": first.id, "consumer": "x.counter", "source": "dossiers", "position": 7, "kind": "broken_link",
        "received_hash": "ab" * 32, "reason": "Tin giả mạo, đã đối chiếu",
    }


def test_every_service_without_a_log_names_a_log_for_its_acknowledgements() -> None:
    """Reporting, and federation in a linked deployment: the same rule for every alarm."""
    services = all_services(Settings(deployment_id="tinh", lower_deployments=("xa",)))
    owners = {s.name for s in services if s.owns_log}
    logless = {s.name: s.acknowledgements_in for s in services if not s.owns_log}
    assert logless == {"reporting": "gateway", "federation": "gateway"} and "gateway" in owners
