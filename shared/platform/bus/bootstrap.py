"""Creates JetStream streams and durable consumers once, with nats-py.

Services never declare streams at start-up: FastStream's declare would overwrite a stream's
settings, and a service restarting must not change what the bootstrap decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import nats.js.errors
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)

from ketnap.platform.bus import subjects
from ketnap.platform.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class ConsumerSpec:
    """A durable consumer `name` of the log of `source` (e.g. reporting's pipeline of dossiers)."""

    name: str
    source: str
    ack_wait_seconds: float = 30.0
    batched: bool = False
    """Whether several events may commit in one transaction. A projection writes only through the
    connection it is handed, so a fetched batch commits at once (catching up is bound by commits).
    A reaction decides each event on state it reads through its own service (the store, a view),
    which must already hold the effect of the event before: it commits each event alone."""
    events: tuple[str, ...] | None = None
    """The event types it applies (None: every one): AsyncAPI documents them, and the runner
    passes the others by without calling the handler (`bus.consumer.Member.wants`), so a handler
    must do nothing with them. Not a JetStream filter: the consumer still reads every position of
    the log, or it could not tell a gap from a skip, nor check each link of the chain."""
    group: str | None = None
    """The durable consumer that feeds it together with others of its service on the same log
    (a service's projections, `Service.add_projection`), or None: a durable of its own. The
    consumer keeps its own checkpoint, dead letters and alarms either way."""

    @property
    def durable(self) -> ConsumerSpec:
        """The durable JetStream consumer it is fed by."""
        if self.group is None:
            return self
        return ConsumerSpec(self.group, self.source, self.ack_wait_seconds, self.batched)


async def ensure_event_stream(js: JetStreamContext, deployment: str, service: str, duplicate_window_seconds: int) -> None:
    name = subjects.event_stream(deployment, service)
    config = StreamConfig(
        name=name,
        subjects=[subjects.event_subjects(deployment, service)],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        duplicate_window=float(duplicate_window_seconds),
        allow_direct=True,
    )
    await _create_once(js, config)


async def ensure_dead_letter_stream(js: JetStreamContext, deployment: str) -> None:
    config = StreamConfig(
        name=subjects.dead_letter_stream(deployment),
        subjects=[subjects.dead_letter_subjects(deployment)],
        storage=StorageType.FILE,
        allow_direct=True,
    )
    await _create_once(js, config)


async def _create_once(js: JetStreamContext, config: StreamConfig) -> None:
    try:
        info = await js.stream_info(config.name)
    except nats.js.errors.NotFoundError:
        await js.add_stream(config)
        log.info("stream created", stream=config.name)
        return
    if set(info.config.subjects or []) != set(config.subjects or []):
        # Subjects are the one setting bootstrap owns outright: a new deployment id must reach the stream.
        await js.update_stream(config)
        log.info("stream subjects updated", stream=config.name)


def durables_of(consumers: Sequence[ConsumerSpec]) -> dict[ConsumerSpec, list[str]]:
    """The durable JetStream consumers that feed `consumers`, once each, with the names of the
    consumers each feeds as a group (none for a consumer's own durable)."""
    durables: dict[ConsumerSpec, list[str]] = {}
    for spec in consumers:
        durables.setdefault(spec.durable, [])
        if spec.group is not None:
            durables[spec.durable].append(spec.name)
    return durables


async def ensure_consumers(js: JetStreamContext, deployment: str, consumers: Sequence[ConsumerSpec]) -> None:
    """The durables that feed `consumers` (a service's `consumer_specs`)."""
    for durable, grouped in durables_of(consumers).items():
        await ensure_consumer(js, deployment, durable, replaces=grouped)


async def ensure_consumer(js: JetStreamContext, deployment: str, spec: ConsumerSpec, *, replaces: Sequence[str] = ()) -> None:
    """The durable of `spec`, created once. `replaces`: the consumers it feeds that had a durable
    of their own in an earlier version (a service's projections, one each, before issue 21): it
    starts where the furthest behind of those had everything acknowledged, and they are deleted,
    or the server would keep every message for them for ever. Each member's runner still skips
    what lies at or below its own checkpoint, and reads from the source log what is missing."""
    durable = subjects.durable_name(spec.name, spec.source)
    stream = subjects.event_stream(deployment, spec.source)
    try:
        await js.consumer_info(stream, durable)
        exists = True
    except nats.js.errors.NotFoundError:
        exists = False
    retired = [name for name in (subjects.durable_name(r, spec.source) for r in replaces) if name != durable]
    floors = [] if exists else await _ack_floors(js, stream, retired)
    if not exists:
        await _add_consumer(js, stream, durable, spec, start_after=min(floors) if floors else 0)
    for name in retired:
        try:
            await js.delete_consumer(stream, name)
            log.info("consumer replaced by its group", stream=stream, durable=name, group=durable)
        except nats.js.errors.NotFoundError:
            pass


async def _ack_floors(js: JetStreamContext, stream: str, durables: Sequence[str]) -> list[int]:
    """The stream sequence each existing durable has had everything acknowledged up to."""
    floors = []
    for name in durables:
        try:
            info = await js.consumer_info(stream, name)
        except nats.js.errors.NotFoundError:
            continue
        floors.append(info.ack_floor.stream_seq if info.ack_floor and info.ack_floor.stream_seq else 0)
    return floors


async def _add_consumer(js: JetStreamContext, stream: str, durable: str, spec: ConsumerSpec, *, start_after: int) -> None:
    await js.add_consumer(
        stream,
        ConsumerConfig(
            durable_name=durable,
            **({"deliver_policy": DeliverPolicy.BY_START_SEQUENCE, "opt_start_seq": start_after + 1} if start_after
               else {"deliver_policy": DeliverPolicy.ALL}),
            # One ack acknowledges the messages below it: the runner acks a batch with its last
            # message, once every event up to it is applied (bus/consumer.py, issue 21). A durable
            # created before keeps EXPLICIT (nats-server cannot change it) and is acked per message.
            ack_policy=AckPolicy.ALL,
            ack_wait=spec.ack_wait_seconds,
            max_ack_pending=1000,
            # Unlimited redelivery: a message that can never be applied is dead-lettered by the
            # runner itself, with its reason, instead of silently dropped after N tries.
            max_deliver=-1,
        ),
    )
    log.info("consumer created", stream=stream, durable=durable)
