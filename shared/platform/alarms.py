"""Integrity alarms: messages a consumer refused because they were not the next link of their
source's chain, kept in the consumer's service until an operator acknowledges them.

Every service answers `<service>.query.integrity_alarms` and `<service>.cmd.acknowledge_alarm`
(registered by the runtime, `ketnap.platform.service`); `ketnap alarms` and `ketnap status` read them.
Every acknowledgement is an event in a log (`IntegrityAlarmAcknowledged`): a service that keeps a
log records it there, in the transaction that marks the alarm; a service without one (reporting,
federation) has it recorded in the log of the service it names (the gateway's, the log of people's
acts) before it marks the alarm, and marks it as that log says. The audit trail holds who
acknowledged what and why, and a change of the table alone would show against the log.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from ketnap.platform.commands import Command
from ketnap.platform.envelope import EventMetadata, RecordedEvent
from ketnap.platform.events import DomainEvent
from ketnap.platform.eventstore import ConcurrencyConflict, DuplicateEventMismatch, EventStore

TABLE = "integrity_alarms"

KIND_TEXT = {
    "gap": "thiếu sự kiện",
    "broken_link": "đứt mắt xích (băm trước không khớp)",
    "altered": "nội dung không khớp mã băm",
    "rewritten": "vị trí đã nhận nay có băm khác",
    "undecodable": "không đọc được",
}


@dataclass(frozen=True)
class Refusal:
    """What a consumer saw: the message's subject, the position it claimed, what was wrong."""

    consumer: str
    source: str
    subject: str
    position: int
    kind: str
    detail: str
    received_hash: str


@dataclass(frozen=True, kw_only=True)
class IntegrityAlarm(Refusal):
    """A refusal as recorded: how often it came, and whether an operator acknowledged it."""

    id: int
    first_seen: datetime
    last_seen: datetime
    times: int
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledged_reason: str | None = None

    def describe(self) -> str:
        return (
            f"Nhật ký {self.source}, vị trí {self.position}, kênh {self.subject}: "
            f"{KIND_TEXT.get(self.kind, self.kind)}; bên nhận {self.consumer} không áp dụng tin này"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "consumer": self.consumer, "source": self.source, "subject": self.subject,
            "position": self.position, "kind": self.kind, "detail": self.detail, "received_hash": self.received_hash,
            "first_seen": self.first_seen.isoformat(), "last_seen": self.last_seen.isoformat(), "times": self.times,
            "acknowledged_at": self.acknowledged_at.isoformat() if self.acknowledged_at else None,
            "acknowledged_by": self.acknowledged_by, "acknowledged_reason": self.acknowledged_reason, "message": self.describe(),
        }


class AlarmsQuery(BaseModel):
    """Cảnh báo toàn vẹn của dịch vụ: tin nhận trên kênh sự kiện không phải mắt xích kế tiếp."""

    model_config = ConfigDict(extra="forbid")
    include_acknowledged: bool = False


class AcknowledgeAlarm(Command):
    """Xác nhận đã xem xét một cảnh báo toàn vẹn (ghi người xác nhận và thời điểm)."""

    alarm_id: int = Field(ge=1, le=2**63 - 1, description="the alarm's number (a bigserial: larger ones cannot exist)")
    reason: str | None = Field(default=None, max_length=500, description="why it is acknowledged (what the operator found)")


class IntegrityAlarmAcknowledged(DomainEvent):
    """An operator looked at an alarm and says why it may rest: what was refused, by whom, and why."""

    alarm_id: int
    consumer: str
    source: str
    position: int
    kind: str
    received_hash: str
    reason: str | None


class RecordAcknowledgement(Command):
    """Ghi vào nhật ký này việc xác nhận một cảnh báo toàn vẹn của dịch vụ không có nhật ký riêng."""

    service: str = Field(min_length=1, max_length=64, description="the service whose alarm it is")
    event_id: uuid.UUID
    acknowledged: IntegrityAlarmAcknowledged


def alarm_stream(alarm_id: int, service: str | None = None) -> str:
    """One stream per alarm: its acknowledgement is the stream's first and only event. An alarm of
    another service (one without a log) is named with that service: ids are per service."""
    return f"integrity-alarm-{service}-{alarm_id}" if service else f"integrity-alarm-{alarm_id}"


async def record_for(store: EventStore, command: RecordAcknowledgement) -> RecordedEvent:
    """The acknowledgement of another service's alarm appended to `store`'s log once: a retry (the
    same event id) appends nothing, and a second acknowledgement (another person) finds the first,
    which stands. Returns the acknowledgement as recorded."""
    stream = alarm_stream(command.acknowledged.alarm_id, command.service)
    metadata = EventMetadata(actor=command.actor, organisation=command.scope, correlation_id=command.event_id)
    try:
        await store.append(stream, 0, [command.acknowledged.to_new_event(command.event_id)], metadata)
    except (ConcurrencyConflict, DuplicateEventMismatch):
        pass  # acknowledged before, by someone else: the first acknowledgement stands
    first, *_ = await store.read_stream(stream)
    return first


async def record(conn: asyncpg.Connection, schema: str, refusal: Refusal) -> bool:
    """Record the refusal; True when it is new (logged once, not on every redelivery)."""
    return await conn.fetchval(
        f"""INSERT INTO {schema}.{TABLE} (consumer, source, subject, position, kind, detail, received_hash)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (consumer, source, position, kind, received_hash)
            DO UPDATE SET last_seen = now(), times = {schema}.{TABLE}.times + 1
            RETURNING times = 1""",
        refusal.consumer, refusal.source, refusal.subject[:300], refusal.position, refusal.kind, refusal.detail[:500],
        refusal.received_hash[:128],
    )


async def listed(conn: asyncpg.Connection, schema: str, *, include_acknowledged: bool = False) -> list[IntegrityAlarm]:
    rows = await conn.fetch(
        f"SELECT * FROM {schema}.{TABLE} WHERE $1 OR acknowledged_at IS NULL ORDER BY id", include_acknowledged
    )
    return [IntegrityAlarm(**dict(r)) for r in rows]


async def unacknowledged(conn: asyncpg.Connection, schema: str) -> int:
    return await conn.fetchval(f"SELECT count(*) FROM {schema}.{TABLE} WHERE acknowledged_at IS NULL")


async def acknowledge(conn: asyncpg.Connection, schema: str, alarm_id: int, by: str, reason: str | None = None) -> IntegrityAlarm | None:
    """Mark it seen; an alarm acknowledged before keeps its first acknowledgement (who, when, why). None: no such alarm."""
    row = await conn.fetchrow(
        f"""UPDATE {schema}.{TABLE} SET acknowledged_at = coalesce(acknowledged_at, now()),
                acknowledged_by = coalesce(acknowledged_by, $2),
                acknowledged_reason = CASE WHEN acknowledged_at IS NULL THEN $3 ELSE acknowledged_reason END
            WHERE id = $1 RETURNING *""",
        alarm_id, by, reason,
    )
    return IntegrityAlarm(**dict(row)) if row else None


async def acknowledge_recorded(
    conn: asyncpg.Connection, store: EventStore, alarm_id: int, metadata: EventMetadata, event_id: uuid.UUID, reason: str | None = None
) -> IntegrityAlarm | None:
    """`acknowledge`, and its event appended to `store`'s log in the same transaction. An alarm
    acknowledged before records nothing more: its first acknowledgement stands, in the table and in
    the log. None: no such alarm."""
    async with conn.transaction():
        row = await conn.fetchrow(f"SELECT * FROM {store.schema}.{TABLE} WHERE id = $1 FOR UPDATE", alarm_id)
        if row is None:
            return None
        if row["acknowledged_at"] is not None:
            return IntegrityAlarm(**dict(row))
        alarm = IntegrityAlarm(**dict(row))
        event = IntegrityAlarmAcknowledged(
            alarm_id=alarm.id, consumer=alarm.consumer, source=alarm.source, position=alarm.position, kind=alarm.kind,
            received_hash=alarm.received_hash, reason=reason,
        )
        await store.append(alarm_stream(alarm_id), 0, [event.to_new_event(event_id)], metadata, connection=conn)
        return await acknowledge(conn, store.schema, alarm_id, metadata.actor, reason)


Recorder = Callable[[IntegrityAlarmAcknowledged], Awaitable[tuple[str, str | None]]]
"""Records an acknowledgement in another service's log; returns who acknowledged and why, as that
log holds it."""


async def acknowledge_elsewhere(
    conn: asyncpg.Connection, schema: str, alarm_id: int, recorder: Recorder, reason: str | None = None
) -> IntegrityAlarm | None:
    """`acknowledge` for a service without a log: the acknowledgement is recorded in another log
    first (`recorder`), then the alarm is marked as that log says (its first acknowledgement, who
    and why). The row stays locked meanwhile, so two people acknowledging at once are recorded and
    marked one after the other. None: no such alarm."""
    async with conn.transaction():
        row = await conn.fetchrow(f"SELECT * FROM {schema}.{TABLE} WHERE id = $1 FOR UPDATE", alarm_id)
        if row is None:
            return None
        alarm = IntegrityAlarm(**dict(row))
        if alarm.acknowledged_at is not None:
            return alarm
        by, why = await recorder(IntegrityAlarmAcknowledged(
            alarm_id=alarm.id, consumer=alarm.consumer, source=alarm.source, position=alarm.position, kind=alarm.kind,
            received_hash=alarm.received_hash, reason=reason,
        ))
        return await acknowledge(conn, schema, alarm_id, by, why)
