"""A durable created since issue 21 acknowledges every message below the one acked
(`AckPolicy.ALL`): a runner acks a batch with one message, and never one above a message it sent
back for redelivery while that message's event is not applied, or the event would be lost."""

from __future__ import annotations

import asyncio
import dataclasses

import asyncpg
from nats.aio.client import Client as NatsClient
from nats.js.api import AckPolicy

from ketnap.platform.bus import subjects
from ketnap.platform.envelope import NewEvent, RecordedEvent
from ketnap.platform.eventstore import EventStore
from ketnap.platform.service import Service, ServiceContext
from tests.conftest import eventually
from tests.integration import forgery
from tests.integration.harness import bootstrap_bus, new_schema
from tests.integration.test_consumer import META
from tests.integration.test_next_link import consumer_alone
from tests.servers import Servers


@dataclasses.dataclass
class Held:
    """A source log, and a reaction that fails on position 2 while `failing` is set."""

    store: EventStore
    source: Service
    target: Service
    failing: bool = True
    failures: int = 0


async def test_a_message_at_or_below_the_checkpoint_acked_after_one_sent_back_does_not_acknowledge_it(
    pool: asyncpg.Pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str
) -> None:
    source = Service(await new_schema(pool))
    target = Service(await new_schema(pool, owns_log=False), owns_log=False)
    held = Held(EventStore(pool, source.name), source, target)

    @target.consumer(source.name, name=f"{target.name}.counter")
    def counter(_ctx: ServiceContext):
        async def apply(conn: asyncpg.Connection, event: RecordedEvent) -> None:
            if event.position == 2 and held.failing:
                held.failures += 1
                raise RuntimeError("database hiccup")
            await conn.execute(
                f"INSERT INTO {target.name}.applied (position, times) VALUES ($1, 1) "
                f"ON CONFLICT (position) DO UPDATE SET times = {target.name}.applied.times + 1",
                event.position,
            )

        return apply

    await pool.execute(f"CREATE TABLE {target.name}.applied (position bigint PRIMARY KEY, times int NOT NULL)")
    await bootstrap_bus(nc.jetstream(), deployment, [source, target])
    (durable,) = target.durables
    stream = subjects.event_stream(deployment, source.name)
    info = await nc.jetstream().consumer_info(stream, subjects.durable_name(durable.name, source.name))
    assert info.config.ack_policy == AckPolicy.ALL

    async def applied() -> dict[int, int]:
        return {r["position"]: r["times"] for r in await pool.fetch(f"SELECT position, times FROM {target.name}.applied")}

    async with consumer_alone(held, nc, servers, database_url, deployment):
        for version in range(2):
            await held.store.append("s", version, [NewEvent(event_type="Counted", data={})], META)
        log = [e async for batch in held.store.read_log(0) for e in batch]
        for event in log:
            await forgery.publish(nc, deployment, source.name, event)
        await eventually(lambda: _sent_back(held))
        # The first event again, as a relay past the duplicate window would send it: dropped as
        # delivered before. Acking it with AckPolicy.ALL would acknowledge event 2's message too.
        await forgery.publish(nc, deployment, source.name, log[0])
        await asyncio.sleep(2)
        held.failing = False
        await eventually(lambda: _has(applied, {1: 1, 2: 1}), timeout=30)
        await eventually(lambda: _all_acked(nc, stream, subjects.durable_name(durable.name, source.name)), timeout=30)
    assert await applied() == {1: 1, 2: 1}


async def _sent_back(held: Held) -> bool:
    return held.failures >= 1


async def _has(applied, expected: dict[int, int]) -> bool:
    return await applied() == expected


async def _all_acked(nc: NatsClient, stream: str, durable: str) -> bool:
    info = await nc.jetstream().consumer_info(stream, durable)
    return info.num_ack_pending == 0 and info.num_pending == 0

