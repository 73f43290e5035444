"""A service's projections of one log share one durable consumer (`ConsumerSpec.group`): a fetched
batch is checked once and applied to every member in one transaction with their checkpoints, a
member behind the others catches up alone, and a message that is not the next link is refused for
each member (issue 21)."""

from __future__ import annotations

import dataclasses
import json
from typing import TypeVar

import asyncpg
import nats.js.errors
import pytest
from nats.aio.client import Client as NatsClient

from ketnap.platform import projections
from ketnap.platform.bus import subjects
from ketnap.platform.bus.bootstrap import ConsumerSpec, ensure_consumer
from ketnap.platform.bus.consumer import ConsumerRunner, Unapplicable
from ketnap.platform.envelope import NewEvent, RecordedEvent, canonical_encoding, chain_hash
from ketnap.platform.eventstore import EventStore
from ketnap.platform.projections import Projection
from ketnap.platform.service import Service
from tests.conftest import eventually
from tests.integration import forgery
from tests.integration.harness import bootstrap_bus, new_schema, running
from tests.integration.test_consumer import META
from tests.integration.test_next_link import consumer_alone
from tests.servers import Servers

P = TypeVar("P", bound=Projection)


class Seen(Projection):
    """A row per event it applies (no key: an event applied twice shows twice), with the
    transaction that wrote it; `only`: the one event type it has anything to do with."""

    def __init__(self, schema: str, source: str, table: str, only: str | None = None) -> None:
        self.schema, self.name, self.sources, self.table, self.only = schema, f"{schema}.{table}", (source,), table, only
        self.tables = {table: "position bigint NOT NULL, xact bigint NOT NULL"}

    def consumed(self, source: str) -> tuple[str, ...] | None:
        return None if self.only is None else (self.only,)

    async def apply(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent, source: str) -> None:
        await conn.execute(f"INSERT INTO {schema}.{self.table} (position, xact) VALUES ($1, txid_current())", event.position)


class SeenUnlessBroken(Seen):
    """Writes its row, then refuses a `Broken` event: the row must not stay."""

    async def apply(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent, source: str) -> None:
        await super().apply(conn, schema, event, source)
        if event.event_type == "Broken":
            raise Unapplicable("this event can never be applied")


@dataclasses.dataclass
class World:
    pool: asyncpg.Pool
    nc: NatsClient
    deployment: str
    source: Service
    target: Service
    store: EventStore

    def add(self, projection: P) -> P:
        self.target.add_projection(projection)
        return projection

    async def create(self, *added: Projection) -> None:
        async with self.pool.acquire() as conn:
            for projection in added:
                await projections.create_tables(conn, projection, self.target.name)

    async def append(self, types: list[str]) -> list[RecordedEvent]:
        version = len(await self.store.read_stream("s"))
        for offset, event_type in enumerate(types):
            await self.store.append("s", version + offset, [NewEvent(event_type=event_type, data={})], META)
        return [e async for batch in self.store.read_log(0) for e in batch]

    async def rows(self, projection: Seen) -> list[asyncpg.Record]:
        return await self.pool.fetch(f"SELECT position, xact FROM {self.target.name}.{projection.table} ORDER BY position")

    async def checkpoints(self) -> dict[str, tuple[int, str | None]]:
        rows = await self.pool.fetch(
            f"SELECT consumer, position, hash FROM {self.target.name}.consumer_checkpoints WHERE source = $1", self.source.name
        )
        return {r["consumer"]: (r["position"], r["hash"]) for r in rows}

    async def at(self, head: RecordedEvent, *members: Projection) -> bool:
        return await self.checkpoints() == {m.name: (head.position, head.hash) for m in members}


async def world(pool: asyncpg.Pool, nc: NatsClient, deployment: str) -> World:
    source = Service(await new_schema(pool))
    target = Service(await new_schema(pool, owns_log=False), owns_log=False)
    return World(pool, nc, deployment, source, target, EventStore(pool, source.name))


async def two_projections(w: World) -> tuple[Seen, Seen]:
    """The target's projections of the source log, one of every event and one of `Counted` only,
    their tables and the durables made."""
    every = w.add(Seen(w.target.name, w.source.name, "every"))
    counted = w.add(Seen(w.target.name, w.source.name, "counted", "Counted"))
    await w.create(every, counted)
    await bootstrap_bus(w.nc.jetstream(), w.deployment, [w.source, w.target])
    return every, counted


async def test_a_batch_is_applied_to_every_projection_of_the_log_in_one_transaction_with_their_checkpoints(
    pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str
) -> None:
    w = await world(pool, nc, deployment)
    every, counted = await two_projections(w)
    # One durable for both, none of their own: nats-server hands each event over once.
    (durable,) = w.target.durables
    stream = subjects.event_stream(deployment, w.source.name)
    await nc.jetstream().consumer_info(stream, subjects.durable_name(durable.name, w.source.name))
    for own in (every, counted):
        with pytest.raises(nats.js.errors.NotFoundError):
            await nc.jetstream().consumer_info(stream, subjects.durable_name(own.name, w.source.name))
    # Appended before the reader starts: the whole log is one batch.
    log = await w.append(["Counted" if version % 2 == 0 else "Noted" for version in range(40)])
    async with running(w.source, servers.nats_url, database_url, deployment), running(w.target, servers.nats_url, database_url, deployment):
        await eventually(lambda: w.at(log[-1], every, counted), timeout=60)
    every_rows, counted_rows = await w.rows(every), await w.rows(counted)
    assert [r["position"] for r in every_rows] == list(range(1, 41))
    assert [r["position"] for r in counted_rows] == list(range(1, 41, 2))
    # One transaction wrote both projections' rows and moved both checkpoints.
    moved = await pool.fetch(
        f"SELECT DISTINCT xmin::text::bigint AS xact FROM {w.target.name}.consumer_checkpoints WHERE source = $1", w.source.name
    )
    assert {r["xact"] % 2**32 for r in [*every_rows, *counted_rows]} == {r["xact"] for r in moved}
    assert len(moved) == 1


async def test_a_projection_behind_the_others_catches_up_alone_and_none_applies_an_event_twice(
    pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str
) -> None:
    """A deployment of an earlier version: the first projection has its own durable and has
    applied 20 events; the second is new. The group's durable replaces the old one, starting
    where it had everything acknowledged; the first skips what it has applied, the second is
    handed the whole log."""
    w = await world(pool, nc, deployment)
    first = Seen(w.target.name, w.source.name, "first")
    await w.create(first)
    await bootstrap_bus(nc.jetstream(), deployment, [w.source, w.target])
    old = ConsumerSpec(first.name, w.source.name, batched=True)
    await ensure_consumer(nc.jetstream(), deployment, old)
    log = await w.append(["Counted"] * 20)
    stream = subjects.event_stream(deployment, w.source.name)
    async with running(w.source, servers.nats_url, database_url, deployment):
        await eventually(lambda: _relayed(nc, stream, 20))
        runner = ConsumerRunner(
            pool=pool, schema=w.target.name, nc=nc, js=nc.jetstream(), spec=old, members=[(old, first.live_handler(w.source.name))],
            deployment=deployment,
        )
        subscription = await nc.jetstream().pull_subscribe_bind(subjects.durable_name(old.name, old.source), stream=stream)
        await runner.handle_batch(await subscription.fetch(20, timeout=5))
        await subscription.unsubscribe()
    assert await w.checkpoints() == {first.name: (20, log[-1].hash)}

    second = w.add(Seen(w.target.name, w.source.name, "second"))
    w.add(first)
    await w.create(second)
    await bootstrap_bus(nc.jetstream(), deployment, [w.source, w.target])
    (group,) = w.target.durables
    info = await nc.jetstream().consumer_info(stream, subjects.durable_name(group.name, w.source.name))
    assert info.config.opt_start_seq == 21, "the group starts where the old durable had everything acknowledged"
    with pytest.raises(nats.js.errors.NotFoundError):
        await nc.jetstream().consumer_info(stream, subjects.durable_name(old.name, old.source))

    log = await w.append(["Counted"] * 10)
    async with running(w.source, servers.nats_url, database_url, deployment), running(w.target, servers.nats_url, database_url, deployment):
        await eventually(lambda: w.at(log[-1], first, second), timeout=60)
    assert [r["position"] for r in await w.rows(first)] == list(range(1, 31))
    assert [r["position"] for r in await w.rows(second)] == list(range(1, 31))


async def _relayed(nc: NatsClient, stream: str, count: int) -> bool:
    return (await nc.jetstream().stream_info(stream)).state.messages >= count


async def test_a_message_that_is_not_the_next_link_is_refused_for_every_projection_of_the_group(
    pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str
) -> None:
    w = await world(pool, nc, deployment)
    every, counted = await two_projections(w)
    async with consumer_alone(w, nc, servers, database_url, deployment):
        real = await w.append(["Counted", "Counted", "Noted"])
        await forgery.publish(nc, deployment, w.source.name, real[0])
        await eventually(lambda: w.at(real[0], every, counted))
        # Hashed correctly over its own contents, but chained on to another history.
        other = dataclasses.replace(real[1], previous_hash="1" * 64)
        forged = dataclasses.replace(other, hash=chain_hash(other.previous_hash, canonical_encoding(other)))
        subject = await forgery.publish(nc, deployment, w.source.name, forged)

        async def alarmed() -> list[dict]:
            reply = json.loads((await nc.request(subjects.query_subject(w.target.name, "integrity_alarms"), b"{}", timeout=5)).data)
            return reply["result"]["items"] if len(reply["result"]["items"]) == 2 else []

        found = await eventually(alarmed)
        assert sorted((a["consumer"], a["subject"], a["position"], a["kind"], a["received_hash"]) for a in found) == sorted(
            (m.name, subject, 2, "broken_link", forged.hash) for m in (every, counted)
        )
        # The real event at that position was read from the source log and applied in its place.
        await eventually(lambda: w.at(real[1], every, counted))
        await forgery.publish(nc, deployment, w.source.name, real[2])
        await eventually(lambda: w.at(real[2], every, counted))
    assert [r["position"] for r in await w.rows(every)] == [1, 2, 3]
    assert [r["position"] for r in await w.rows(counted)] == [1, 2]
    assert await pool.fetchval(f"SELECT count(*) FROM {w.target.name}.dead_letters") == 0


async def test_an_event_one_projection_cannot_apply_is_dead_lettered_for_it_alone_and_the_others_apply_it(
    pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str
) -> None:
    w = await world(pool, nc, deployment)
    every, picky = w.add(Seen(w.target.name, w.source.name, "every")), w.add(SeenUnlessBroken(w.target.name, w.source.name, "picky"))
    await w.create(every, picky)
    await bootstrap_bus(nc.jetstream(), deployment, [w.source, w.target])
    # Appended before the reader starts: the whole log is one batch.
    log = await w.append(["Broken" if version == 6 else "Counted" for version in range(20)])
    async with running(w.source, servers.nats_url, database_url, deployment), running(w.target, servers.nats_url, database_url, deployment):
        await eventually(lambda: w.at(log[-1], every, picky), timeout=60)
    assert [r["position"] for r in await w.rows(every)] == list(range(1, 21))
    assert [r["position"] for r in await w.rows(picky)] == [p for p in range(1, 21) if p != 7]
    dead = await pool.fetch(f"SELECT consumer, position FROM {w.target.name}.dead_letters")
    assert [(r["consumer"], r["position"]) for r in dead] == [(picky.name, 7)]
