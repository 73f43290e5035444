"""Creates JetStream streams and durable consumers once, with nats-py.

Services never declare streams at start-up: FastStream's declare would overwrite a stream's
settings, and a service restarting must not change what the bootstrap decided.
"""

from __future__ import annotations

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
    """The event types it applies (None: every one). Documentation (AsyncAPI), not a filter: the
    consumer still reads every position of the log, or it could not tell a gap from a skip."""


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


async def ensure_consumer(js: JetStreamContext, deployment: str, spec: ConsumerSpec) -> None:
    durable = subjects.durable_name(spec.name, spec.source)
    stream = subjects.event_stream(deployment, spec.source)
    try:
        await js.consumer_info(stream, durable)
        return
    except nats.js.errors.NotFoundError:
        pass
    await js.add_consumer(
        stream,
        ConsumerConfig(
            durable_name=durable,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=spec.ack_wait_seconds,
            max_ack_pending=1000,
            # Unlimited redelivery: a message that can never be applied is dead-lettered by the
            # runner itself, with its reason, instead of silently dropped after N tries.
            max_deliver=-1,
        ),
    )
    log.info("consumer created", stream=stream, durable=durable)
