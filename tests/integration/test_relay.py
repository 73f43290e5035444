"""The relay publishes a log to JetStream in position order, once in effect, however it is interrupted."""

from __future__ import annotations

import asyncio
import random

import nats
from nats.aio.client import Client as NatsClient

from ketnap.platform.bus import subjects
from ketnap.platform.bus.bootstrap import ensure_event_stream
from ketnap.platform.bus.relay import Relay
from ketnap.platform.envelope import EventMetadata, NewEvent, from_wire
from ketnap.platform.eventstore import EventStore
from tests.conftest import eventually
from tests.servers import Servers

META = EventMetadata(actor="officer-1")


async def append_many(store: EventStore, count: int, stream: str = "s") -> None:
    version = len(await store.read_stream(stream))
    for start in range(0, count, 10):
        size = min(10, count - start)
        await store.append(stream, version, [NewEvent(event_type="Counted", data={"i": start + k}) for k in range(size)], META)
        version += size


async def stream_positions(nc: NatsClient, stream: str) -> list[int]:
    js = nc.jetstream()
    info = await js.stream_info(stream)
    positions = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        message = await js.get_msg(stream, seq)
        positions.append(int(message.headers[subjects.POSITION_HEADER]))
    return positions


async def test_the_relay_publishes_in_position_order_with_the_event_id_as_message_id(
    store: EventStore, nc: NatsClient, deployment: str
) -> None:
    js = nc.jetstream()
    await ensure_event_stream(js, deployment, store.schema, 120)
    await append_many(store, 30)
    relay = Relay(store, js, store.schema, deployment, batch_size=8)
    assert await relay.publish_pending() == 30
    assert await relay.checkpoint() == 30
    stream = subjects.event_stream(deployment, store.schema)
    assert await stream_positions(nc, stream) == list(range(1, 31))
    message = await js.get_msg(stream, 3)
    event, origin = from_wire(message.data)
    assert message.headers[subjects.MSG_ID_HEADER] == str(event.event_id)
    assert (event.position, origin["deployment"]) == (3, deployment)
    assert event.expected_hash() == event.hash


async def test_a_relay_that_dies_after_the_ack_before_its_checkpoint_publishes_nothing_twice(
    store: EventStore, nc: NatsClient, deployment: str
) -> None:
    js = nc.jetstream()
    await ensure_event_stream(js, deployment, store.schema, 120)
    await append_many(store, 20)

    class DiesBeforeCheckpoint(Relay):
        async def _save_checkpoint(self, position: int) -> None:
            raise ConnectionError("killed")

    try:
        await DiesBeforeCheckpoint(store, js, store.schema, deployment).publish_pending()
    except ConnectionError:
        pass
    relay = Relay(store, js, store.schema, deployment)
    assert await relay.checkpoint() == 0
    await relay.publish_pending()
    assert await relay.checkpoint() == 20
    assert await stream_positions(nc, subjects.event_stream(deployment, store.schema)) == list(range(1, 21))


async def test_a_relay_interrupted_at_random_points_loses_nothing_and_doubles_nothing(
    store: EventStore, nc: NatsClient, servers: Servers, deployment: str
) -> None:
    js = nc.jetstream()
    await ensure_event_stream(js, deployment, store.schema, 120)
    rng = random.Random(7)
    for _ in range(8):
        await append_many(store, rng.randint(20, 80))
        stop = asyncio.Event()
        # Its own connection, as a restarted process has: nats-py's state after a publish cancelled
        # mid-flight (the async-reply subscription, the flusher) must not outlive the relay.
        own = await nats.connect(servers.nats_url)
        relay = Relay(store, own.jetstream(), store.schema, deployment, batch_size=rng.randint(3, 40))
        task = asyncio.create_task(relay.run(stop))
        await asyncio.sleep(rng.random() / 20)
        task.cancel()  # wherever it is: mid-batch, between ack and checkpoint, or idle
        await asyncio.gather(task, return_exceptions=True)
        await own.close()
    stop = asyncio.Event()
    own = await nats.connect(servers.nats_url)
    relay = Relay(store, own.jetstream(), store.schema, deployment)
    task = asyncio.create_task(relay.run(stop))
    head = await store.head_position()

    async def published() -> bool:
        return await relay.checkpoint() >= head

    try:
        await eventually(published, timeout=60)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await own.close()
    assert await stream_positions(nc, subjects.event_stream(deployment, store.schema)) == list(range(1, head + 1))


async def test_what_is_offered_is_published_without_a_read_and_a_hole_is_read_from_the_log(
    store: EventStore, nc: NatsClient, deployment: str
) -> None:
    """A keeper offers what it has just kept (`Relay.offer`); the stream is the same either way:
    offered events that follow the checkpoint are published as they were handed over, and those
    after a hole (an event kept one by one, never offered) wait for the log to be read."""
    js = nc.jetstream()
    await ensure_event_stream(js, deployment, store.schema, 120)
    await append_many(store, 12)
    relay = Relay(store, js, store.schema, deployment, batch_size=8)
    read_log = store.read_log
    read: list[int] = []

    async def counted(after: int = 0, **options):  # type: ignore[no-untyped-def]
        async for batch in read_log(after, **options):
            read.extend(e.position for e in batch)
            yield batch

    logged = [event async for batch in read_log(0) for event in batch]
    store.read_log = counted  # type: ignore[method-assign]
    relay.offer(logged)
    assert await relay.publish_pending() == 12
    assert read == []  # all twelve from memory
    await append_many(store, 18)
    logged = [event async for batch in read_log(0) for event in batch]
    relay.offer(logged[20:])  # 13 to 20 never offered
    assert await relay.publish_pending() == 18
    assert read == list(range(13, 31))  # the hole and what follows it, from the log
    relay.offer(logged[25:])  # offered again after being published: nothing twice
    assert await relay.publish_pending() == 0
    assert await stream_positions(nc, subjects.event_stream(deployment, store.schema)) == list(range(1, 31))
