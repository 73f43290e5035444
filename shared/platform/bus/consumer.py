"""The one consumer runner: applies each event of a source log exactly once in effect, in order.

The checkpoint `(consumer, source, position, hash)` is updated in the same PostgreSQL transaction
as the handler's effect. Anything at or below it is a duplicate; a jump means JetStream lost or
reordered something, and the missing events are fetched from the source, never skipped. A
message is applied only when it is the next link of the source's chain (`ketnap.platform.chain`):
one that is not (forged on the subject, altered on the way) is never applied; the event really at
its position is read from the source log and applied instead, and an integrity alarm is raised.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractContextManager, AsyncExitStack, asynccontextmanager
from itertools import groupby
from typing import Any, Protocol

import asyncpg
import nats.errors
import pydantic
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy
from opentelemetry.trace import SpanKind

from ketnap.platform import alarms, tracing
from ketnap.platform.bus import subjects
from ketnap.platform.bus.bootstrap import ConsumerSpec
from ketnap.platform.bus.logread import RemoteLog
from ketnap.platform.chain import ChainRefused, Link, next_link
from ketnap.platform.envelope import GENESIS_HASH, RecordedEvent, from_wire
from ketnap.platform.jsoncodec import encode_json
from ketnap.platform.logging import get_logger
from ketnap.platform.turns import wait_for_turn, wait_for_turns

log = get_logger(__name__)


class Unapplicable(Exception):
    """An event this consumer can never apply (bad schema, impossible data): dead-lettered with the reason."""


class WaitingForEarlierActs(Exception):
    """The event does not fit yet, and a log it may build on holds an earlier act not applied yet:
    redelivered later, like any error but `Unapplicable`."""


async def earlier_act_pending(
    conn: asyncpg.Connection, nc: NatsClient, schema: str, consumer: str, logs: Sequence[str], event: RecordedEvent
) -> bool:
    """Whether one of `logs`, followed by `consumer` beside the log of `event`, holds an act
    recorded before `event` that the consumer has not applied yet.

    The runners of a consumer's logs run in no fixed order (after a restart, after an outage), so
    an event that does not fit may only be early: a cell notified of a decision taken above,
    recorded here after that decision was kept here. Only earlier acts count (by the time each
    deployment recorded them), so two logs never wait for each other, and an event that still
    does not fit once everything recorded before it is applied never will."""
    for log_name in logs:
        applied = await read_checkpoint(conn, schema, consumer, log_name)
        async for batch in RemoteLog(nc, log_name).read(applied, up_to=applied + 1):
            if batch and batch[0].recorded_at < event.recorded_at:
                return True
    return False


class SourceLogBroken(Exception):
    """The source log itself, read from its database, does not chain on to what was applied:
    nothing more is applied from it until it does (an alarm names the position)."""


class EventHandler(Protocol):
    def __call__(self, conn: asyncpg.Connection, event: RecordedEvent) -> Awaitable[None]: ...


class BatchHandler(EventHandler, Protocol):
    """A handler that applies consecutive events at once (a projection's live handler,
    `Projection.apply_batch`): a batched consumer hands it the events of a fetched batch
    together, a few round trips for the batch instead of a few per event (issue 21)."""

    def apply_batch(self, conn: asyncpg.Connection, events: list[RecordedEvent]) -> Awaitable[None]: ...


class SelectiveHandler(EventHandler, Protocol):
    """A handler that says which event types it has anything to do with (a projection's live
    handler, `Projection.handles`): the others are passed by without a savepoint or a call, their
    link in the chain still checked and the checkpoint moved past them (issue 21: most events of
    a log are of no interest to most consumers, and each savepoint is two round trips)."""

    def wants(self, event_type: str) -> bool: ...


async def read_checkpoint(conn: asyncpg.Connection, schema: str, consumer: str, source: str, *, lock: bool = False) -> int:
    position, _ = await read_link(conn, schema, consumer, source, lock=lock)
    return position


async def read_link(conn: asyncpg.Connection, schema: str, consumer: str, source: str, *, lock: bool = False) -> tuple[int, str | None]:
    """The checkpoint and the hash of the event at it (None when whoever moved it did not say)."""
    await conn.execute(
        f"INSERT INTO {schema}.consumer_checkpoints (consumer, source, position) VALUES ($1, $2, 0) "
        "ON CONFLICT DO NOTHING",
        consumer,
        source,
    )
    row = await conn.fetchrow(
        f"SELECT position, hash FROM {schema}.consumer_checkpoints WHERE consumer = $1 AND source = $2"
        + (" FOR UPDATE" if lock else ""),
        consumer,
        source,
    )
    return row["position"], (GENESIS_HASH if row["position"] == 0 else row["hash"])


async def read_links(conn: asyncpg.Connection, schema: str, consumers: Sequence[str], source: str, *, lock: bool = False) -> dict[str, tuple[int, str | None]]:
    """`read_link` of several consumers of one source at once (the members of a runner), their
    rows locked in the order of their names when `lock`; a row missing is created at 0."""
    query = (
        f"SELECT consumer, position, hash FROM {schema}.consumer_checkpoints WHERE consumer = ANY($1::text[]) AND source = $2 "
        "ORDER BY consumer" + (" FOR UPDATE" if lock else "")
    )
    rows = await conn.fetch(query, list(consumers), source)
    if len(rows) < len(consumers):
        await conn.execute(
            f"INSERT INTO {schema}.consumer_checkpoints (consumer, source, position) SELECT c, $2, 0 FROM unnest($1::text[]) AS c "
            "ON CONFLICT DO NOTHING",
            list(consumers), source,
        )
        rows = await conn.fetch(query, list(consumers), source)
    return {row["consumer"]: (row["position"], GENESIS_HASH if row["position"] == 0 else row["hash"]) for row in rows}


async def move_checkpoints(conn: asyncpg.Connection, schema: str, consumers: Sequence[str], source: str, position: int, hash_at: str) -> None:
    """Move the checkpoints of several consumers of one source to `position` in one statement;
    one already beyond it (a member ahead of the others) stays where it is."""
    await conn.execute(
        f"UPDATE {schema}.consumer_checkpoints SET position = $3, hash = $4 "
        "WHERE consumer = ANY($1::text[]) AND source = $2 AND position <= $3",
        list(consumers), source, position, hash_at,
    )


async def move_checkpoints_from(
    conn: asyncpg.Connection, schema: str, consumers: Sequence[str], source: str, expected: Link, position: int, hash_at: str
) -> bool:
    """Move the checkpoints of several consumers of one source to `position` only if every one of
    them still stands at `expected` (its position and hash), in one statement; whether they all
    moved (a row another transaction holds is waited for, then checked again)."""
    moved = await conn.execute(
        f"UPDATE {schema}.consumer_checkpoints SET position = $3, hash = $4 "
        "WHERE consumer = ANY($1::text[]) AND source = $2 AND position = $5 AND hash = $6",
        list(consumers), source, position, hash_at, expected.position, expected.hash,
    )
    return moved == f"UPDATE {len(consumers)}"


class _MovedMeanwhile(Exception):
    """A checkpoint a runner did not read again was moved by someone else since it committed it."""


async def move_checkpoint(
    conn: asyncpg.Connection, schema: str, consumer: str, source: str, position: int, hash_at: str | None, *, forward_only: bool = False
) -> None:
    """Move a checkpoint with the hash of the event at its new position (None when the mover does
    not know it: a consumer runner then reads it from the source log before going on)."""
    await conn.execute(
        f"UPDATE {schema}.consumer_checkpoints SET position = $3, hash = $4 WHERE consumer = $1 AND source = $2"
        + (" AND position < $3" if forward_only else ""),
        consumer, source, position, hash_at,
    )


async def take_turn(conn: asyncpg.Connection, schema: str, consumer: str) -> None:
    """Wait, inside a transaction, until no other transaction of this consumer is open.

    A consumer of several logs (the registry's model over its own and the kept registries, a
    process manager over several services) has a runner per log, and their transactions would
    otherwise overlap: each reads rows the other is changing and neither sees the other's
    uncommitted change (a cell established below while its parent is merged above keeps the old
    parent for ever). Everything that applies events for a consumer takes its turn here first."""
    await wait_for_turn(conn, f"consumer:{schema}.{consumer}")


async def take_turns(conn: asyncpg.Connection, schema: str, consumers: Sequence[str]) -> None:
    """`take_turn` for several consumers at once (the members of a runner), in one round trip."""
    await wait_for_turns(conn, [f"consumer:{schema}.{consumer}" for consumer in consumers])


def _reason(error: Exception) -> str:
    """Why an event was dead-lettered, naming fields but never their values (personal data)."""
    if isinstance(error, pydantic.ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['type']}" for e in error.errors(include_input=False, include_url=False)
        )
        return f"ValidationError: {problems}"[:2000]
    return f"{type(error).__name__}: {error}"[:2000]


SINGLE_FETCH = 100
BATCHED_FETCH = 500

PASSED_WRITTEN_AFTER = 1.0
"""Seconds a runner keeps in memory how far it has passed events by before it writes it (a fetch
that finds nothing, the next batch that applies anything, or the runner stopping write it
sooner)."""


DECODED_KEPT = 8192
"""Events a process keeps decoded for its other consumers of the same log (a few MB)."""


class DecodedOnce:
    """The events of the messages this process's consumers took lately, each decoded and its hash
    recomputed once. Every consumer is handed its own delivery of the same message: the province's
    reporting decoded and hashed each event once per projection, ten times (issue 21). Only an
    event whose contents match its hash is kept; any other is decoded again by each consumer and
    refused by each, as before."""

    def __init__(self, size: int = DECODED_KEPT) -> None:
        self.size = size
        self._events: OrderedDict[bytes, RecordedEvent] = OrderedDict()
        self._sound: dict[int, RecordedEvent] = {}

    def decode(self, payload: bytes) -> RecordedEvent:
        event = self._events.get(payload)
        if event is not None:
            return event
        event, _origin = from_wire(payload)
        if event.expected_hash() == event.hash:
            self._events[payload] = event
            self._sound[id(event)] = event
            if len(self._events) > self.size:
                _, oldest = self._events.popitem(last=False)
                del self._sound[id(oldest)]
        return event

    def contents_checked(self, event: RecordedEvent) -> bool:
        """Whether this very object was decoded here and its hash found to match its contents."""
        return self._sound.get(id(event)) is event


DECODED = DecodedOnce()
"""Shared by every consumer runner of this process."""


def decode_messages(
    messages: list[Msg], once: DecodedOnce | None = None
) -> tuple[list[tuple[Msg, RecordedEvent]], list[tuple[Msg, int, str]]]:
    """The events the messages carry, and those that carry none: (message, position from the
    header, why), for the caller to dead-letter or refuse. With `once`, an event another consumer
    of this process has decoded is not decoded again."""
    decoded: list[tuple[Msg, RecordedEvent]] = []
    undecodable: list[tuple[Msg, int, str]] = []
    for message in messages:
        try:
            event = once.decode(message.data) if once is not None else from_wire(message.data)[0]
        except (ValueError, KeyError, TypeError) as error:
            position = int((message.headers or {}).get(subjects.POSITION_HEADER, "0"))
            undecodable.append((message, position, f"undecodable message: {type(error).__name__}: {error}"))
            continue
        decoded.append((message, event))
    return decoded, undecodable


class Member:
    """One consumer a runner feeds: its name (the key of its checkpoint, dead letters and alarms)
    and its handler."""

    def __init__(self, spec: ConsumerSpec, handler: EventHandler, *, batched: bool) -> None:
        self.name = spec.name
        self.handler = handler
        declared = None if spec.events is None else frozenset(spec.events)
        self.wants: Callable[[str], bool] | None = getattr(handler, "wants", None) or (declared.__contains__ if declared is not None else None)
        """`SelectiveHandler.wants`, when the handler has it, else the types the consumer declares
        (`ConsumerSpec.events`: a reaction's handler returns at once on any other type)."""
        self.apply_batch: Callable[[asyncpg.Connection, list[RecordedEvent]], Awaitable[None]] | None = (
            getattr(handler, "apply_batch", None) if batched else None
        )
        """`BatchHandler.apply_batch`, for a batched consumer whose handler has it."""

    def takes(self, event: RecordedEvent, reached: int) -> bool:
        """Whether to hand it `event`: beyond its own checkpoint, of a type it has to do with."""
        return event.position > reached and (self.wants is None or self.wants(event.event_type))


class ConsumerRunner:
    """Feeds the consumers of one durable JetStream consumer (`spec`) on the log of `spec.source`.

    Usually one consumer, named as the durable. A service's projections share one durable per
    source log (`ConsumerSpec.group`, issue 21): nats-server hands each event to one consumer
    instead of one per projection, its link in the chain is checked once, and a fetched batch is
    applied to every member in one transaction that moves all their checkpoints in one statement.
    Each member keeps its own checkpoint row: the group applies from the lowest, and a member
    ahead of it (rebuilt alone, or added later) is handed only what lies beyond its own."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        schema: str,
        nc: NatsClient,
        js: JetStreamContext,
        spec: ConsumerSpec,
        members: Sequence[tuple[ConsumerSpec, EventHandler]],
        deployment: str,
        fetch_batch: int | None = None,
        turns: dict[str, asyncio.Lock] | None = None,
    ) -> None:
        self.pool = pool
        self.schema = schema
        self.nc = nc
        self.js = js
        self.spec = spec
        self.members = sorted((Member(member, handler, batched=spec.batched) for member, handler in members), key=lambda m: m.name)
        self._names = [member.name for member in self.members]
        self.deployment = deployment
        # A batched consumer commits a fetched batch at once: catching up (a province after an
        # outage below) is bound by its commits, so it asks for more at a time (issue 21), within
        # the durable's max_ack_pending (1,000, bus/bootstrap.py).
        self.fetch_batch = fetch_batch or (BATCHED_FETCH if spec.batched else SINGLE_FETCH)
        turns = {} if turns is None else turns
        self._turns = [turns.setdefault(name, asyncio.Lock()) for name in self._names]
        """Shared by this process's runners of the same consumers: they wait for their turn here,
        holding no pool connection, so waiting runners cannot leave the one whose turn it is
        without a connection for its handler (the advisory locks still guard other processes).
        Taken in the order of the names, as the advisory locks are."""
        self.source_log = RemoteLog(nc, spec.source)
        self._dead_letters: list[tuple[str, RecordedEvent | None, int, str]] = []
        self._refusals: list[alarms.Refusal] = []
        self._failures = 0
        self._committed: Link | None = None
        """Where every member's checkpoint stands as this runner last committed or read it (None
        when they stand apart or it does not know)."""
        self._passed: Link | None = None
        """How far beyond `_committed` the runner has passed events by, not written yet: each the
        next link of the chain, none wanted by any member (`_pass_by`). Only while `_committed`
        is known; written with the next transaction that applies anything, or by `_write_passed`."""
        self._passed_since = 0.0
        self._through = 0
        """The position up to which every member has applied or passed by every event (a member
        ahead may be further): what an acknowledgement of everything delivered so far may claim."""
        self._acks_all = False
        """Whether the durable acknowledges every message below the one acked (`AckPolicy.ALL`,
        durables created since issue 21): a batch is then acked with one message."""
        self._held_back: tuple[int, int] | None = None
        """The lowest stream sequence sent back for redelivery (nak) and its event's position:
        with `AckPolicy.ALL`, nothing above it is acked until that event is applied."""

    def _wanted_by_any(self, event_type: str) -> bool:
        return any(member.wants is None or member.wants(event_type) for member in self.members)

    @asynccontextmanager
    async def _local_turns(self) -> AsyncIterator[None]:
        async with AsyncExitStack() as held:
            for lock in self._turns:
                await held.enter_async_context(lock)
            yield

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop`; any failure (NATS away, a timeout of any kind) is retried with backoff.

        A runner that died quietly would leave its service answering commands while applying
        nothing, so nothing but `stop` ends this loop.
        """
        backoff = 0.2
        while not stop.is_set():
            try:
                await self._consume(stop)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - see the docstring
                log.warning(
                    "consumer interrupted; resuming", consumer=self.spec.name, source=self.spec.source,
                    error=type(error).__name__, detail=str(error)[:300], retry_in=backoff,
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            else:
                backoff = 0.2

    async def _consume(self, stop: asyncio.Event) -> None:
        subscription = await self.js.pull_subscribe_bind(
            subjects.durable_name(self.spec.name, self.spec.source),
            stream=subjects.event_stream(self.deployment, self.spec.source),
        )
        self._acks_all = (await subscription.consumer_info()).config.ack_policy == AckPolicy.ALL
        await self.catch_up()
        try:
            while not stop.is_set():
                try:
                    messages = await subscription.fetch(self.fetch_batch, timeout=1.0)
                except (TimeoutError, nats.errors.TimeoutError):
                    await self._write_passed()  # nothing new: nats-py raises either kind
                    continue
                await self.handle_batch(messages)
                if self._passed is not None and time.monotonic() - self._passed_since >= PASSED_WRITTEN_AFTER:
                    await self._write_passed()
        finally:
            try:
                await subscription.unsubscribe()
            except Exception:  # noqa: BLE001 - the connection may already be gone
                pass
            try:
                await asyncio.shield(self._write_passed(catch_up=False))
            except Exception as error:  # noqa: BLE001 - unwritten, those events are read again from the source log at the next start
                log.info("checkpoint of events passed by not written", consumer=self.spec.name, source=self.spec.source, error=type(error).__name__)

    async def catch_up(self) -> int:
        """Apply what the source log holds beyond the lowest checkpoint, before taking messages.

        After a crash, JetStream hands the messages this consumer held un-acked back only when
        their ack wait runs out; reading the source of record at start-up closes that window
        (and any other loss). A source that does not answer is not an error here: its events
        still arrive through JetStream, and any gap is then fetched as usual.
        """
        async with self.pool.acquire() as conn:
            links = await read_links(conn, self.schema, self._names, self.spec.source)
        after = min(position for position, _ in links.values())
        applied = 0
        try:
            async for batch in self.source_log.read(after):
                applied += await self._apply_in_order([(event, None) for event in batch])
        except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
            log.info("source log not readable at start-up; relying on JetStream", consumer=self.spec.name, source=self.spec.source)
        if applied:
            log.info("caught up from the source log", consumer=self.spec.name, source=self.spec.source, events=applied)
        return applied

    async def handle_batch(self, messages: list[Msg]) -> None:
        """A fetched batch, acked once applied. If any of it cannot be applied now, the batch is
        taken one message at a time, so what comes before is applied and acked."""
        try:
            await self._apply_messages(messages)
        except Exception:  # noqa: BLE001 - which one failed, and why, is found one at a time
            for index, message in enumerate(messages):
                delay = await self.handle(message)
                if delay is not None:
                    for later in messages[index + 1:]:
                        await later.nak(delay=delay)
                    return
            return
        self._failures = 0
        await self._acknowledge(messages)

    async def handle(self, message: Msg) -> float | None:
        """One message; None when applied (or already), else the delay before it is redelivered."""
        try:
            await self._apply_messages([message])
        except Exception as error:  # noqa: BLE001 - anything else is transient: redeliver later
            self._failures += 1
            delay = min(0.2 * 2 ** min(self._failures, 5), 5.0)
            log.warning(
                "event not applied; will be redelivered",
                consumer=self.spec.name,
                source=self.spec.source,
                error=type(error).__name__,
                detail=str(error)[:300],
                retry_in=delay,
            )
            await self._send_back(message, delay)
            return delay
        self._failures = 0
        await self._acknowledge([message])
        return None

    async def _send_back(self, message: Msg, delay: float) -> None:
        """Redeliver `message` after `delay`; with `AckPolicy.ALL`, remembered, so that nothing
        above it is acked (which would acknowledge it too) before its event is applied."""
        if self._acks_all:
            sequence = message.metadata.sequence.stream
            if self._held_back is None or sequence < self._held_back[0]:
                self._held_back = (sequence, int((message.headers or {}).get(subjects.POSITION_HEADER, "0")))
        await message.nak(delay=delay)

    async def _acknowledge(self, messages: list[Msg]) -> None:
        """Ack messages whose events are applied (or passed by, or dropped as delivered again).
        With `AckPolicy.ALL` one ack, of the highest, acknowledges the batch (issue 21: an ack a
        message cost nats-server and the client a publish each); it also acknowledges anything
        sent back below it, so while the event of a message sent back is not applied yet (a
        message at or below the checkpoint, a repeat or a forgery, can follow it) they are sent
        back too and come again."""
        if not self._acks_all or not messages:
            for message in messages:
                await message.ack()
            return
        if self._held_back is not None:
            if self._through < self._held_back[1]:
                for message in messages:
                    await message.nak(delay=min(0.2 * 2 ** min(self._failures + 1, 5), 5.0))
                return
            self._held_back = None
        await max(messages, key=lambda message: message.metadata.sequence.stream).ack()

    async def _apply_messages(self, messages: list[Msg]) -> None:
        decoded, undecodable = decode_messages(messages, DECODED)
        if undecodable:
            async with self.pool.acquire() as conn, conn.transaction():
                for _, position, reason in undecodable:
                    await self._dead_letter_undecodable(conn, position, reason)
            await self._publish_dead_letters()
        await self._apply_in_order([(event, message.subject) for message, event in decoded])

    async def _apply_in_order(self, events: list[tuple[RecordedEvent, str | None]]) -> int:
        """Apply the events beyond the lowest member checkpoint in position order, each only as
        the next link of the source's chain, filling any gap from the source log; each
        transaction moves the members' checkpoints with the effects it commits (all of them for a
        batched consumer, one event otherwise). An event comes with the subject it arrived on, or
        None when it was read from the source log. Returns how many were applied."""
        if await self._pass_by([event for event, _ in events]):
            return len(events)
        pending = deque(sorted(events, key=lambda e: e[0].position))
        applied = 0
        while pending:
            attempt, refusals = list(pending), len(self._refusals)
            try:
                async with self._local_turns(), self.pool.acquire() as conn, conn.transaction():
                    await take_turns(conn, self.schema, self._names)
                    expected = self._committed
                    if expected is not None:
                        # Where this runner left every member: not read again (issue 21: a round
                        # trip a transaction); the statement that moves them checks they still
                        # stand there, and if not, all of this is undone and taken again below.
                        last = self._passed or expected
                        written, start = expected.position, last.position
                        reached = dict.fromkeys(self._names, start)
                    else:
                        links = await read_links(conn, self.schema, self._names, self.spec.source, lock=True)
                        reached = {name: position for name, (position, _) in links.items()}
                        written = start = min(reached.values())
                        known_hash = next((h for position, h in links.values() if position == start and h is not None), None)
                        last = Link(start, known_hash or await self._hash_in_source(start))
                    ready: list[RecordedEvent] = []
                    while pending and (self.spec.batched or last.position == start):
                        event, subject = pending.popleft()
                        if event.position <= last.position:
                            if event.position == last.position and event.hash != last.hash and subject is not None:
                                # Not a redelivery: another event claims the position last applied.
                                self._refuse(event, subject, ChainRefused("rewritten", event.position, "another hash at the position last applied"))
                            continue  # delivered again: already applied
                        if event.position > last.position + 1:
                            log.info(
                                "gap filled from the source log", consumer=self.spec.name, source=self.spec.source,
                                first=last.position + 1, last=event.position - 1,
                            )
                            pending.appendleft((event, subject))
                            missing = await self.source_log.range(last.position + 1, event.position - 1)
                            pending.extendleft(reversed([(e, None) for e in missing]))
                            continue
                        try:
                            link = next_link(last, event, contents_checked=DECODED.contents_checked(event))
                        except ChainRefused as refused:
                            pending.extendleft(reversed([(e, None) for e in await self._instead_of(event, subject, refused)]))
                            continue
                        ready.append(event)
                        last = link
                    await self._apply_together(conn, ready, reached)
                    if last.position > written:  # with what was passed by before, if anything
                        if expected is None:
                            await move_checkpoints(conn, self.schema, self._names, self.spec.source, last.position, last.hash)
                        elif not await move_checkpoints_from(conn, self.schema, self._names, self.spec.source, expected, last.position, last.hash):
                            raise _MovedMeanwhile
                    applied += last.position - start
                self._committed = last if max(reached.values()) <= last.position else None
                self._passed = None
                self._through = last.position
            except _MovedMeanwhile:
                # A rebuild or the registry's catch-up moved a checkpoint: read them this time.
                self._committed = self._passed = None
                self._dead_letters.clear()
                del self._refusals[refusals:]
                pending = deque(attempt)
                continue
            except BaseException:
                self._committed = self._passed = None
                self._dead_letters.clear()  # rolled back with their transaction
                await self._record_refusals()  # an alarm outlives the transaction that saw it
                raise
            await self._record_refusals()
            await self._publish_dead_letters()
        return applied

    async def _pass_by(self, events: list[RecordedEvent]) -> bool:
        """Pass by events no member has anything to do with without a statement: how far is kept
        in memory (`_passed`) and written with the next transaction that applies anything, after
        `PASSED_WRITTEN_AFTER` seconds, when a fetch finds nothing or when the runner stops (issue
        21: most events of a log concern none of most consumers; this cost a statement a batch,
        six round trips before that).

        Only for what follows on at once from where this runner last committed every member's
        checkpoint (or passed by since), each event the next link of the chain and none wanted.
        Anything else goes the usual way (False). A restart before it is written starts from the
        checkpoint written before: those events are read again from the source log, checked link
        by link from the hash stored there, and passed by again, as none of them is wanted."""
        last = self._passed or self._committed
        if last is None or not events:
            return False
        link = last
        for event in sorted(events, key=lambda e: e.position):
            if event.position != link.position + 1 or self._wanted_by_any(event.event_type):
                return False
            try:
                link = next_link(link, event, contents_checked=DECODED.contents_checked(event))
            except ChainRefused:
                return False  # the usual way raises the alarm
        if self._passed is None:
            self._passed_since = time.monotonic()
        self._passed = link
        self._through = link.position
        return True

    async def _write_passed(self, *, catch_up: bool = True) -> None:
        """Write how far the runner has passed events by, in one compare-and-set statement without
        a transaction or the consumers' turns: the checkpoints move only if they all still stand
        where the runner last committed them (a row another transaction holds is waited for and
        then checked again). If anyone else moved them meanwhile (a rebuild, the registry's
        catch-up), nothing moves, the runner forgets both and, as at start, catches up from the
        source log past what the rows say, each event checked again as the next link (`catch_up`;
        those passed by are passed by again); a member moved while another was not is harmless,
        as none of the events passed by is wanted by any member."""
        committed, passed = self._committed, self._passed
        if passed is None or committed is None:
            return
        async with self.pool.acquire() as conn:
            moved = await move_checkpoints_from(conn, self.schema, self._names, self.spec.source, committed, passed.position, passed.hash)
        self._passed = None
        if moved:
            self._committed = passed
            return
        self._committed = None
        if catch_up:
            await self.catch_up()

    async def _hash_in_source(self, position: int) -> str:
        """The hash at a checkpoint moved without one (a rebuild), from the source of record."""
        (event,) = await self.source_log.range(position, position)
        return event.hash

    async def _instead_of(self, event: RecordedEvent, subject: str | None, refused: ChainRefused) -> list[RecordedEvent]:
        """A message that is not the next link is never applied: it is recorded as an alarm and
        the event really at its position is read from the source log, to be applied in its place
        (nothing when the source has not recorded that position yet: the real event comes later).
        The source log failing the same check is a broken log, not a bad message: nothing more
        is applied until it chains on."""
        self._refuse(event, subject, refused)
        if subject is None:
            raise SourceLogBroken(f"log {self.spec.source}: {refused}")
        try:
            return await self.source_log.range(event.position, event.position)
        except LookupError:
            return []

    async def _apply_together(self, conn: asyncpg.Connection, events: list[RecordedEvent], reached: Mapping[str, int]) -> None:
        """Hand each member the events beyond its own checkpoint that it has to do with, member
        after member (each writes only its own tables), a run of one trace at a time. First all
        of it in one savepoint (issue 21: a savepoint per member and run cost two round trips
        each, and an event a member cannot apply is rare); if a member cannot apply one of them,
        that is undone and it is all handed again carefully (`_hand`), so that only that event is
        dead-lettered, for that member alone: the others' effects of it stay (see `_apply`)."""
        handed = [(member, mine) for member in self.members if (mine := [e for e in events if member.takes(e, reached[member.name])])]
        if not handed:
            return
        try:
            async with conn.transaction():  # a savepoint: undone whole if one event cannot be applied
                for member, mine in handed:
                    await self._hand(conn, member, mine, careful=False)
        except (Unapplicable, pydantic.ValidationError):
            for member, mine in handed:
                await self._hand(conn, member, mine, careful=True)

    async def _hand(self, conn: asyncpg.Connection, member: Member, events: list[RecordedEvent], *, careful: bool) -> None:
        """`events` to `member`, through `apply_batch` a run of one trace at a time (its span in
        that trace, as `_apply`'s), or one at a time for a member without it. `careful`: each run
        in a savepoint, and one with an event that cannot be applied applied again one event at a
        time (`_apply`); otherwise the error goes up to the caller's savepoint."""
        if member.apply_batch is None:
            for event in events:
                await self._apply(conn, member, event, careful=careful)
            return
        for _, grouped in groupby(events, key=lambda event: tracing.trace_id_of(event.traceparent)):
            run = list(grouped)
            if careful and len(run) == 1:
                await self._apply(conn, member, run[0])
                continue
            try:
                with self._span(member, run):
                    if careful:
                        async with conn.transaction():  # a savepoint: undone whole if one event cannot be applied
                            await member.apply_batch(conn, run)
                    else:
                        await member.apply_batch(conn, run)
            except (Unapplicable, pydantic.ValidationError):
                if not careful:
                    raise
                for event in run:
                    await self._apply(conn, member, event)

    def _span(self, member: Member, run: list[RecordedEvent]) -> AbstractContextManager[Any]:
        """The span of applying `run`, in the trace its events were appended in, however they came
        (JetStream or the source log)."""
        first = run[0]
        return tracing.span(
            f"{member.name} apply {first.event_type if len(run) == 1 else f'{len(run)} events'}", self.schema, kind=SpanKind.CONSUMER,
            parent=tracing.context_of(first.traceparent),
            **{"ketnap.consumer": member.name, "ketnap.source": self.spec.source, "ketnap.position": first.position,
               **({"ketnap.events": len(run)} if len(run) > 1 else {})},
        )

    async def _apply(self, conn: asyncpg.Connection, member: Member, event: RecordedEvent, *, careful: bool = True) -> None:
        """One event to one member; carefully, in a savepoint: an event it can never apply is
        dead-lettered for it alone, with none of its effect kept, while the other members of the
        runner apply it as usual in the same transaction (the checkpoints move on for all: a dead
        letter does not stall the stream). Any other error rolls the whole transaction back, for
        every member, and the batch is retried one message at a time: what comes before it is
        applied to all, and the group waits at that event."""
        if member.wants is not None and not member.wants(event.event_type):
            return
        try:
            with self._span(member, [event]):
                if not careful:
                    await member.handler(conn, event)
                    return
                async with conn.transaction():  # a savepoint: a dead letter keeps none of its effect
                    await member.handler(conn, event)
        except (Unapplicable, pydantic.ValidationError) as error:
            if not careful:
                raise
            reason = _reason(error)
            await conn.execute(
                f"INSERT INTO {self.schema}.dead_letters (consumer, source, position, event_id, reason) "
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                member.name,
                self.spec.source,
                event.position,
                event.event_id,
                reason,
            )
            self._dead_letters.append((member.name, event, event.position, reason))
            log.error(
                "event dead-lettered",
                consumer=member.name,
                source=self.spec.source,
                position=event.position,
                event_type=event.event_type,
            )

    async def _dead_letter_undecodable(self, conn: asyncpg.Connection, position: int, reason: str) -> None:
        for member in self.members:
            await conn.execute(
                f"INSERT INTO {self.schema}.dead_letters (consumer, source, position, reason) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                member.name,
                self.spec.source,
                position,
                reason[:2000],
            )
            self._dead_letters.append((member.name, None, position, reason))

    def _refuse(self, event: RecordedEvent, subject: str | None, refused: ChainRefused) -> None:
        """Each member raises its own alarm, as a consumer of its own did: an operator reads which
        projections a forged message was aimed at, and status counts them as before."""
        for member in self.members:
            self._refusals.append(
                alarms.Refusal(
                    member.name, self.spec.source, subject or subjects.log_read_subject(self.spec.source),
                    event.position, refused.kind, refused.detail, event.hash,
                )
            )

    async def _record_refusals(self) -> None:
        """Alarms are written in their own transaction: one raised while the apply was rolled back
        (the source log did not answer) must still be seen."""
        if not self._refusals:
            return
        refusals, self._refusals = self._refusals, []
        async with self.pool.acquire() as conn:
            for refusal in refusals:
                if await alarms.record(conn, self.schema, refusal):
                    log.error(
                        "message refused: not the next link of its source's chain", consumer=refusal.consumer,
                        source=refusal.source, subject=refusal.subject, position=refusal.position, kind=refusal.kind,
                    )

    async def _publish_dead_letters(self) -> None:
        """Tell operators on the bus too, on the subject of the durable (one a service may publish
        on, deploy/nats/nats.conf); the table row is the record, so this is best effort."""
        while self._dead_letters:
            consumer, event, position, reason = self._dead_letters.pop(0)
            body = {
                "consumer": consumer,
                "source": self.spec.source,
                "position": position,
                "event_id": str(event.event_id) if event else None,
                "event_type": event.event_type if event else None,
                "reason": reason,
            }
            try:
                await self.js.publish(
                    subjects.dead_letter_subject(self.deployment, subjects.durable_name(self.spec.name, self.spec.source)),
                    encode_json(body).encode(),
                    stream=subjects.dead_letter_stream(self.deployment),
                )
            except Exception as error:  # noqa: BLE001
                log.warning("dead letter not published to JetStream", error=type(error).__name__)
