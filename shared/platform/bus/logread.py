"""Re-reading a service's log from the source of record, over NATS request/reply.

JetStream may lose an acknowledged message, so a consumer that sees a jump in positions asks
the owning service for the missing range instead of skipping it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Collection
from datetime import datetime
from typing import Any, Protocol

import asyncpg
from nats.aio.client import Client as NatsClient
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from ketnap.platform.bus import subjects
from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.eventstore import EventStore

MAX_EVENTS_PER_REPLY = 200
"""Keeps a reply well under NATS's 1 MB default payload limit."""

HEAD_PROBE = 2**62
"""A position no log reaches: a read after it answers only the head."""


class LogReadRequest(BaseModel):
    """A request for part of a log. `after` is required: a body that does not say where to start
    is refused, never read as "from the beginning"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    after: StrictInt = Field(ge=0)
    up_to: StrictInt | None = Field(default=None, ge=0)
    up_to_time: datetime | None = None
    limit: StrictInt = Field(default=MAX_EVENTS_PER_REPLY, ge=1)
    event_types: list[str] | None = Field(default=None, max_length=500)
    """Only events of these types (what a projection applies); None: every event."""


async def answer_log_request(store: EventStore, request: Any) -> dict[str, Any]:
    """The owning service's side: events after `after`, up to `up_to`, at most `limit`.
    A malformed request raises pydantic's `ValidationError` (the service answers `validation`)."""
    asked = LogReadRequest.model_validate(request)
    limit = min(asked.limit, MAX_EVENTS_PER_REPLY)
    events: list[dict[str, Any]] = []
    async for batch in store.read_log(
        asked.after, batch_size=limit, up_to_position=asked.up_to, up_to_time=asked.up_to_time, event_types=asked.event_types
    ):
        events.extend(e.to_json_dict() for e in batch)
        break
    return {"events": events, "head": await store.head_position()}


class RemoteLog:
    """A consumer's view of another service's log, read through that service."""

    def __init__(self, nc: NatsClient, source: str, timeout: float = 5.0, *, subject: str | None = None) -> None:
        self.nc = nc
        self.source = source
        self.timeout = timeout
        self.subject = subject or subjects.log_read_subject(source)

    async def read(
        self, after: int, up_to: int | None = None, up_to_time: datetime | None = None, event_types: Collection[str] | None = None
    ) -> AsyncIterator[list[RecordedEvent]]:
        while True:
            request: dict[str, Any] = {
                "after": after,
                "up_to": up_to,
                "up_to_time": up_to_time.isoformat() if up_to_time else None,
                "limit": MAX_EVENTS_PER_REPLY,
            }
            if event_types is not None:  # absent otherwise: a source not yet upgraded still answers
                request["event_types"] = sorted(event_types)
            reply = await self.nc.request(self.subject, json.dumps(request).encode(), timeout=self.timeout)
            body = json.loads(reply.data)
            if "events" not in body:  # the source refused the request: a bug of this side, never "no events"
                raise LookupError(f"log {self.source}: read refused: {body.get('error')}")
            events = [RecordedEvent.from_json_dict(e) for e in body["events"]]
            if not events:
                return
            yield events
            after = events[-1].position
            if up_to is not None and after >= up_to:
                return

    async def head(self) -> int:
        """The position of the log's last event: the answer to a read that starts past any end."""
        request = {"after": HEAD_PROBE, "up_to": None, "up_to_time": None, "limit": 1}
        reply = await self.nc.request(self.subject, json.dumps(request).encode(), timeout=self.timeout)
        body = json.loads(reply.data)
        if "head" not in body:
            raise LookupError(f"log {self.source}: head refused: {body.get('error')}")
        return int(body["head"])

    async def range(self, first: int, last: int) -> list[RecordedEvent]:
        """Exactly positions first..last, or an error: a consumer never applies around a hole."""
        found: list[RecordedEvent] = []
        async for batch in self.read(first - 1, last):
            found.extend(batch)
        if [e.position for e in found] != list(range(first, last + 1)):
            raise LookupError(f"log {self.source}: positions {first}..{last} not all available from the source")
        return found


class LogReader(Protocol):
    """Where a projection reads its source logs from when it is built."""

    def read(
        self,
        source: str,
        after: int,
        *,
        up_to_position: int | None = None,
        up_to_time: datetime | None = None,
        event_types: Collection[str] | None = None,
    ) -> AsyncIterator[list[RecordedEvent]]: ...

    async def head(self, source: str) -> int:
        """The position of the source log's last event (0 when empty)."""
        ...


class DatabaseLogReader:
    """Straight from the logs' tables: for operators (`ketnap projections rebuild`) and benchmarks."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    def read(
        self,
        source: str,
        after: int,
        *,
        up_to_position: int | None = None,
        up_to_time: datetime | None = None,
        event_types: Collection[str] | None = None,
    ) -> AsyncIterator[list[RecordedEvent]]:
        return EventStore(self.pool, source).read_log(
            after, batch_size=2000, up_to_position=up_to_position, up_to_time=up_to_time, event_types=event_types
        )

    async def head(self, source: str) -> int:
        return await EventStore(self.pool, source).head_position()


class BusLogReader:
    """Through each source service (`<source>.query.log`): how a service reads logs it does not own."""

    def __init__(self, nc: NatsClient) -> None:
        self.nc = nc

    def read(
        self,
        source: str,
        after: int,
        *,
        up_to_position: int | None = None,
        up_to_time: datetime | None = None,
        event_types: Collection[str] | None = None,
    ) -> AsyncIterator[list[RecordedEvent]]:
        return RemoteLog(self.nc, source).read(after, up_to_position, up_to_time, event_types)

    async def head(self, source: str) -> int:
        return await RemoteLog(self.nc, source).head()
