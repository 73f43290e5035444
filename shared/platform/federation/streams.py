"""The JetStream side of a link: each kept log arrives through a stream of this deployment that
*sources* the origin deployment's stream across the leaf-node link.

Sourcing, not publishing across the link: the sourcing server keeps its place in the origin
stream and resumes from it when the link returns, so nothing is lost while it is down, and the
messages keep their headers (event id, position, origin).
"""

from __future__ import annotations

import nats.js.errors
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    ExternalStream,
    RetentionPolicy,
    StorageType,
    StreamConfig,
    StreamSource,
)

from ketnap.platform.bus import subjects
from ketnap.platform.federation.links import KeptLog, Links
from ketnap.platform.logging import get_logger

log = get_logger(__name__)

KEEPER = "federation"
"""The consumer that takes the sourced events, checks each link and keeps them."""


def arriving_stream(kept: KeptLog) -> str:
    """The stream here that sources the origin's stream; it has the origin's name."""
    return subjects.event_stream(kept.origin, kept.service)


def keeper_durable(kept: KeptLog) -> str:
    return subjects.durable_name(KEEPER, kept.name)


async def ensure_link_streams(js: JetStreamContext, links: Links) -> None:
    for origin in sorted({kept.origin for kept in links.kept}):
        # The signed heads of the linked deployment's logs, kept beside its logs: `audit verify
        # --deployment` checks the kept logs against them (docs/integrity.md).
        name = subjects.anchor_stream(origin)
        try:
            await js.stream_info(name)
        except nats.js.errors.NotFoundError:
            await js.add_stream(StreamConfig(
                name=name, sources=[StreamSource(name=name, external=ExternalStream(api=f"$JS.{origin}.API"))],
                retention=RetentionPolicy.LIMITS, storage=StorageType.FILE, allow_direct=True,
            ))
            log.info("link anchor stream created", stream=name, origin=origin)
    for kept in links.kept:
        name = arriving_stream(kept)
        config = StreamConfig(
            name=name,
            sources=[StreamSource(name=name, external=ExternalStream(api=f"$JS.{kept.origin}.API"))],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            allow_direct=True,
        )
        try:
            await js.stream_info(name)
        except nats.js.errors.NotFoundError:
            await js.add_stream(config)
            log.info("link stream created", stream=name, origin=kept.origin)
        try:
            await js.consumer_info(name, keeper_durable(kept))
        except nats.js.errors.NotFoundError:
            await js.add_consumer(
                name,
                ConsumerConfig(
                    durable_name=keeper_durable(kept),
                    deliver_policy=DeliverPolicy.ALL,
                    ack_policy=AckPolicy.EXPLICIT,
                    ack_wait=30.0,
                    max_ack_pending=2000,
                    max_deliver=-1,
                ),
            )
