"""The JetStream side of a link: each kept log arrives through a stream of this deployment that
*sources* the origin deployment's stream across the leaf-node link.

Sourcing, not publishing across the link: the sourcing server keeps its place in the origin
stream and resumes from it when the link returns, so nothing is lost while it is down, and the
messages keep their headers (event id, position, origin).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses

import nats.errors
import nats.js.errors
from nats.aio.client import Client as NatsClient
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


def sourced_stream(kept: KeptLog) -> str:
    """The stream it sources in the deployment it comes through: the origin's own stream, or
    what the lower deployment relays of the log it keeps from further below (only what it has
    checked and kept, with the origin's positions)."""
    return subjects.event_stream(kept.through, kept.name_there)


def keeper_durable(kept: KeptLog) -> str:
    return subjects.durable_name(KEEPER, kept.name)


SOURCING_CHECK_SECONDS = 1.0
"""How often the arriving streams' sources are checked for a stall (a few requests to the local server)."""

STALLED_AFTER_SECONDS = 5.0
"""A source with no contact for this long (or none since the server started) is stalled. A
healthy source hears from its origin every second or so, even when nothing is written there."""


async def resume_stalled_sourcing(nc: NatsClient, links: Links) -> list[str]:
    """Restart the sourcing of every arriving stream whose source is stalled while its origin
    answers across the link; the names of those restarted.

    After this deployment's nats-server restarts, it tries to resume sourcing before the lower
    deployments' leaf nodes are back, fails, and waits out its retry backoff (10 s, then 20 s:
    about 40 s) although the link returned within a second. Taking the source out of the stream's
    configuration and putting it back starts it at once; the server resumes after the last
    message it holds from that source, so nothing is lost or doubled.
    """
    js = nc.jetstream()
    restarted = []
    for kept in links.kept:
        name = arriving_stream(kept)
        try:
            info = await js.stream_info(name)
            source = next((s for s in info.sources or [] if s.name == sourced_stream(kept)), None)
            if source is None or 0 <= (source.active or 0) < STALLED_AFTER_SECONDS * 1e9:
                continue
            # The deployment it comes through answers: the link is up.
            await nc.jetstream(domain=kept.through, timeout=1.0).stream_info(sourced_stream(kept))
            await js.update_stream(dataclasses.replace(info.config, sources=[]))
            await js.update_stream(info.config)
        except (nats.errors.Error, nats.js.errors.Error, TimeoutError):
            continue  # the link or the origin is not back yet: tried again on the next round
        log.info("sourcing restarted", stream=name, origin=kept.origin, through=kept.through)
        restarted.append(name)
    return restarted


async def keep_sourcing(nc: NatsClient, links: Links, closing: asyncio.Event, interval: float = SOURCING_CHECK_SECONDS) -> None:
    """Until `closing` is set: sourcing resumes about a second after the link returns, not after
    nats-server's backoff (the federation service runs this beside its keepers)."""
    while not closing.is_set():
        await resume_stalled_sourcing(nc, links)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(closing.wait(), interval)


async def ensure_link_streams(js: JetStreamContext, links: Links) -> None:
    for origin, through in sorted({(kept.origin, kept.through) for kept in links.kept}):
        # The signed heads of the linked deployment's logs, kept beside its logs: `audit verify
        # --deployment` checks the kept logs against them (docs/integrity.md). From further
        # below, the lower deployment's copy of them (it keeps them beside the logs it passes up).
        name = subjects.anchor_stream(origin)
        try:
            await js.stream_info(name)
        except nats.js.errors.NotFoundError:
            await js.add_stream(StreamConfig(
                name=name, sources=[StreamSource(name=name, external=ExternalStream(api=f"$JS.{through}.API"))],
                retention=RetentionPolicy.LIMITS, storage=StorageType.FILE, allow_direct=True,
            ))
            log.info("link anchor stream created", stream=name, origin=origin)
    for kept in links.kept:
        name = arriving_stream(kept)
        config = StreamConfig(
            name=name,
            sources=[StreamSource(name=sourced_stream(kept), external=ExternalStream(api=f"$JS.{kept.through}.API"))],
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
