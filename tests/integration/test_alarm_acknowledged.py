"""Acknowledging an integrity alarm is an event of the service's own log, appended in the
transaction that marks the alarm: once, with who, what and why; a retry or a second person's
acknowledgement records nothing more, and the first acknowledgement stands in both."""

from __future__ import annotations

import uuid

import asyncpg

from ketnap.platform import alarms
from ketnap.platform.envelope import EventMetadata
from ketnap.platform.eventstore import EventStore
from tests.integration.harness import new_schema

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
