"""Publishes a service's log to JetStream in position order; the checkpoint moves only after the ack.

JetStream is not the system of record: a crash between ack and checkpoint republishes, and
JetStream's duplicate window (Nats-Msg-Id = event id) or, past the window, the consumers'
position checkpoints make the repeat harmless.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
from nats.js import JetStreamContext

from ketnap.platform import tracing
from ketnap.platform.bus import subjects
from ketnap.platform.envelope import RecordedEvent, to_wire
from ketnap.platform.eventstore import EventStore
from ketnap.platform.logging import get_logger

log = get_logger(__name__)

RELAY_NAME = "jetstream"
OFFERED_LIMIT = 10_000
"""Events offered and not yet published kept in memory at most; past it (NATS away for long) they
are dropped and read back from the log when NATS returns."""


@dataclass
class RelayState:
    head: int
    published: int

    @property
    def lag(self) -> int:
        return self.head - self.published


async def relay_state(conn: asyncpg.Connection, schema: str) -> RelayState:
    row = await conn.fetchrow(
        f"SELECT (SELECT coalesce(max(position), 0) FROM {schema}.events) AS head, "
        f"(SELECT position FROM {schema}.relay_checkpoint WHERE relay = $1) AS published",
        RELAY_NAME,
    )
    return RelayState(head=row["head"], published=row["published"] or 0)


class Relay:
    def __init__(
        self,
        store: EventStore,
        js: JetStreamContext,
        service: str,
        deployment: str,
        *,
        batch_size: int = 1000,
        ack_timeout: float = 10.0,
        origin: tuple[str, str] | None = None,
    ) -> None:
        """`origin`: the service and deployment that wrote the log, when it is a kept copy of
        another deployment's (the messages say so); by default `service` of `deployment`."""
        self.store = store
        self.origin_service, self.origin_deployment = origin or (service, deployment)
        self.js = js
        self.service = service
        self.deployment = deployment
        self.batch_size = batch_size
        self.ack_timeout = ack_timeout
        self.stream = subjects.event_stream(deployment, service)
        self._offered: deque[RecordedEvent] = deque()
        self._wake = asyncio.Event()

    def offer(self, events: Sequence[RecordedEvent]) -> None:
        """Events this process has just committed to the log, in position order (a keeper hands
        over what it kept): published from memory instead of read back from the database. The
        log stays the source of record: whatever does not follow the checkpoint is read from it."""
        self._offered.extend(events)
        if len(self._offered) > OFFERED_LIMIT:
            self._offered.clear()
        self._wake.set()

    def _next_offered(self, after: int) -> list[RecordedEvent]:
        """The offered events right after `after`, without a hole, one batch at most."""
        offered = self._offered
        while offered and offered[0].position <= after:
            offered.popleft()
        batch: list[RecordedEvent] = []
        while offered and len(batch) < self.batch_size and offered[0].position == after + 1 + len(batch):
            batch.append(offered.popleft())
        return batch

    async def checkpoint(self) -> int:
        async with self.store.pool.acquire() as conn:
            value = await conn.fetchval(
                f"SELECT position FROM {self.store.schema}.relay_checkpoint WHERE relay = $1", RELAY_NAME
            )
        return value or 0

    async def _save_checkpoint(self, position: int) -> None:
        async with self.store.pool.acquire() as conn:
            await conn.execute(
                f"INSERT INTO {self.store.schema}.relay_checkpoint (relay, position) VALUES ($1, $2) "
                "ON CONFLICT (relay) DO UPDATE SET position = excluded.position "
                f"WHERE {self.store.schema}.relay_checkpoint.position < excluded.position",
                RELAY_NAME,
                position,
            )

    def _headers(self, event: RecordedEvent) -> dict[str, str]:
        headers = {
            subjects.MSG_ID_HEADER: str(event.event_id),
            subjects.POSITION_HEADER: str(event.position),
            subjects.ORIGIN_HEADER: self.origin_deployment,
        }
        if event.traceparent:
            # For tools reading the stream; consumers take the event's own (ketnap.platform.tracing).
            headers[tracing.TRACEPARENT] = event.traceparent
        return headers

    async def publish_pending(self) -> int:
        """Publish everything after the checkpoint; returns how many events were acknowledged."""
        published = 0
        after = await self.checkpoint()
        while batch := self._next_offered(after):
            after, count = await self._publish(batch, after)
            published += count
        async for batch in self.store.read_log(after, batch_size=self.batch_size):
            after, count = await self._publish(batch, after)
            published += count
        return published

    async def _publish(self, batch: list[RecordedEvent], after: int) -> tuple[int, int]:
        """One batch following `after`: the position now published through, and how many."""
        futures = []
        for event in batch:
            futures.append(
                await self.js.publish_async(
                    subjects.event_subject(self.deployment, self.service, event.event_type),
                    to_wire(event, self.origin_service, self.origin_deployment),
                    stream=self.stream,
                    headers=self._headers(event),
                )
            )
        acked_through = after
        failure: BaseException | None = None
        # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation that
        # arrives as the acks do, and a relay told to stop would then run on for ever.
        async with asyncio.timeout(self.ack_timeout):
            results = await asyncio.gather(*futures, return_exceptions=True)
        # Only the unbroken prefix of acks counts: the checkpoint never passes a lost publish.
        for event, result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                failure = result
                break
            acked_through = event.position
        if acked_through > after:
            await self._save_checkpoint(acked_through)
        if failure is not None:
            raise failure
        return acked_through, acked_through - after

    async def run(self, stop: asyncio.Event, poll_seconds: float = 1.0) -> None:
        """Publish as events are appended (LISTEN/NOTIFY), polling as a safety net; retry on failure."""
        wake = self._wake

        def on_notify(*_: object) -> None:
            wake.set()

        listener = await self.store.pool.acquire()
        try:
            await listener.add_listener(self.store.notify_channel, on_notify)
            backoff = 0.1
            while not stop.is_set():
                wake.clear()
                try:
                    count = await self.publish_pending()
                    backoff = 0.1
                    if count:
                        log.debug("relay published", count=count)
                        continue
                except Exception as error:  # noqa: BLE001 - NATS or PostgreSQL away: retried forever
                    log.warning("relay publish failed; retrying", error=type(error).__name__, detail=str(error))
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                await _wait_any(stop, wake, poll_seconds)
        finally:
            await listener.remove_listener(self.store.notify_channel, on_notify)
            await self.store.pool.release(listener)


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event, timeout: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
