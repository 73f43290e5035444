"""The consumer runner applies each source event once in effect, in order, whatever JetStream does."""

from __future__ import annotations

import asyncio
import json
import random

import asyncpg
from nats.aio.client import Client as NatsClient

from ketnap.platform import projections
from ketnap.platform.bus import subjects
from ketnap.platform.bus.consumer import Unapplicable
from ketnap.platform.bus.relay import Relay
from ketnap.platform.envelope import EventMetadata, NewEvent, RecordedEvent, to_wire
from ketnap.platform.eventstore import EventStore
from ketnap.platform.projections import Projection
from ketnap.platform.service import Service, ServiceContext
from tests.conftest import eventually
from tests.integration.harness import bootstrap_bus, new_schema, running
from tests.servers import Servers

META = EventMetadata(actor="officer-1")


class Scenario:
    """A source service with a log, and a consumer service that counts how often it applied each event."""

    def __init__(self, pool: asyncpg.Pool, source: str, target: str, deployment: str) -> None:
        self.pool = pool
        self.source = Service(source)
        self.target = Service(target, owns_log=False)
        self.deployment = deployment
        self.store = EventStore(pool, source)
        self.transient_failures: set[int] = set()

        @self.target.consumer(source, name=f"{target}.counter")
        def counter(_ctx: ServiceContext):  # noqa: ANN202
            async def apply(conn: asyncpg.Connection, event: RecordedEvent) -> None:
                if event.event_type == "Broken":
                    raise Unapplicable("this event can never be applied")
                if event.position in self.transient_failures:
                    self.transient_failures.discard(event.position)
                    raise RuntimeError("database hiccup")
                await conn.execute(
                    f"INSERT INTO {target}.applied (position, times) VALUES ($1, 1) "
                    f"ON CONFLICT (position) DO UPDATE SET times = {target}.applied.times + 1",
                    event.position,
                )

            return apply

    async def prepare(self, js) -> None:  # noqa: ANN001
        async with self.pool.acquire() as conn:
            await conn.execute(f"CREATE TABLE {self.target.name}.applied (position bigint PRIMARY KEY, times int NOT NULL)")
        await bootstrap_bus(js, self.deployment, [self.source, self.target])

    async def append(self, count: int, event_type: str = "Counted") -> None:
        version = len(await self.store.read_stream("s"))
        for _ in range(count):
            await self.store.append("s", version, [NewEvent(event_type=event_type, data={})], META)
            version += 1

    async def applied(self) -> dict[int, int]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(f"SELECT position, times FROM {self.target.name}.applied ORDER BY position")
        return {r["position"]: r["times"] for r in rows}

    async def checkpoint(self) -> int:
        async with self.pool.acquire() as conn:
            return await conn.fetchval(
                f"SELECT coalesce(max(position), 0) FROM {self.target.name}.consumer_checkpoints WHERE source = $1",
                self.source.name,
            )


async def scenario(pool: asyncpg.Pool, nc: NatsClient, deployment: str) -> Scenario:
    built = Scenario(pool, await new_schema(pool), await new_schema(pool, owns_log=False), deployment)
    await built.prepare(nc.jetstream())
    return built


async def test_each_event_is_applied_once_in_order(pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str) -> None:
    s = await scenario(pool, nc, deployment)
    await s.append(60)
    async with running(s.source, servers.nats_url, database_url, deployment), \
            running(s.target, servers.nats_url, database_url, deployment):
        await eventually(lambda: _reached(s, 60))
    assert await s.applied() == {p: 1 for p in range(1, 61)}


async def _reached(s: Scenario, position: int) -> bool:
    return await s.checkpoint() >= position


async def test_a_redelivered_or_republished_event_is_skipped(pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str) -> None:
    s = await scenario(pool, nc, deployment)
    await s.append(10)
    async with running(s.source, servers.nats_url, database_url, deployment), \
            running(s.target, servers.nats_url, database_url, deployment):
        await eventually(lambda: _reached(s, 10))
        # Past JetStream's duplicate window a relay restart could publish again: same event, new message id.
        (third,) = [e async for batch in s.store.read_log(2, up_to_position=3) for e in batch]
        await nc.jetstream().publish(
            subjects.event_subject(deployment, s.source.name, third.event_type),
            to_wire(third, s.source.name, deployment),
            headers={subjects.MSG_ID_HEADER: "another-id", subjects.POSITION_HEADER: "3"},
        )
        await s.append(1)
        await eventually(lambda: _reached(s, 11))
    assert await s.applied() == {p: 1 for p in range(1, 12)}


async def test_a_message_lost_by_jetstream_is_fetched_from_the_source_log(pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str) -> None:
    s = await scenario(pool, nc, deployment)
    js = nc.jetstream()
    await s.append(12)
    await Relay(s.store, js, s.source.name, deployment).publish_pending()
    stream = subjects.event_stream(deployment, s.source.name)
    await js.delete_msg(stream, 5)
    await js.delete_msg(stream, 6)
    async with running(s.source, servers.nats_url, database_url, deployment), \
            running(s.target, servers.nats_url, database_url, deployment):
        await eventually(lambda: _reached(s, 12))
    assert await s.applied() == {p: 1 for p in range(1, 13)}


async def test_an_unapplicable_event_is_dead_lettered_with_its_reason_and_the_stream_goes_on(
    pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str
) -> None:
    s = await scenario(pool, nc, deployment)
    await s.append(3)
    await s.append(1, event_type="Broken")
    await s.append(3)
    async with running(s.source, servers.nats_url, database_url, deployment), \
            running(s.target, servers.nats_url, database_url, deployment):
        await eventually(lambda: _reached(s, 7))
        js = nc.jetstream()
        dead = await eventually(lambda: _dead_letter_message(js, deployment))
    assert await s.applied() == {p: 1 for p in (1, 2, 3, 5, 6, 7)}
    async with pool.acquire() as conn:
        rows = await conn.fetch(f"SELECT position, reason FROM {s.target.name}.dead_letters")
    assert [r["position"] for r in rows] == [4]
    assert "never be applied" in rows[0]["reason"]
    assert dead["position"] == 4 and dead["event_type"] == "Broken"


async def _dead_letter_message(js, deployment: str):  # noqa: ANN001, ANN202
    info = await js.stream_info(subjects.dead_letter_stream(deployment))
    if info.state.messages == 0:
        return None
    return json.loads((await js.get_msg(subjects.dead_letter_stream(deployment), info.state.first_seq)).data)


async def test_a_failed_apply_is_nacked_redelivered_and_applied_once(pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str) -> None:
    s = await scenario(pool, nc, deployment)
    s.transient_failures = {4, 9}
    await s.append(10)
    async with running(s.source, servers.nats_url, database_url, deployment), \
            running(s.target, servers.nats_url, database_url, deployment):
        await eventually(lambda: _reached(s, 10))
    assert s.transient_failures == set()
    assert await s.applied() == {p: 1 for p in range(1, 11)}


async def test_a_consumer_killed_and_restarted_mid_stream_loses_nothing_and_applies_nothing_twice(
    pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str
) -> None:
    s = await scenario(pool, nc, deployment)
    rng = random.Random(11)
    async with running(s.source, servers.nats_url, database_url, deployment):
        for _ in range(5):
            await s.append(rng.randint(10, 40))
            async with running(s.target, servers.nats_url, database_url, deployment) as consumer:
                await asyncio.sleep(rng.random() / 2)
                consumer.cancel()  # a crash: no clean stop, messages in flight are never acked
        head = await s.store.head_position()
        async with running(s.target, servers.nats_url, database_url, deployment):
            await eventually(lambda: _reached(s, head), timeout=60)
    assert await s.applied() == {p: 1 for p in range(1, head + 1)}


async def test_a_restarted_consumer_reads_what_it_held_unacked_from_the_source_without_waiting_for_the_ack_wait(
    pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str
) -> None:
    s = await scenario(pool, nc, deployment)
    js = nc.jetstream()
    await s.append(15)
    await Relay(s.store, js, s.source.name, deployment).publish_pending()
    # A consumer that crashed holding every message: JetStream gives them back only after 30 s.
    (spec,) = s.target.consumer_specs
    held = await js.pull_subscribe_bind(subjects.durable_name(spec.name, spec.source), stream=subjects.event_stream(deployment, s.source.name))
    assert len(await held.fetch(15, timeout=5)) == 15
    async with running(s.source, servers.nats_url, database_url, deployment), \
            running(s.target, servers.nats_url, database_url, deployment):
        await eventually(lambda: _reached(s, 15), timeout=10)  # well inside the 30 s ack wait
    assert await s.applied() == {p: 1 for p in range(1, 16)}


class Reaction:
    """A consumer that decides each event on what it reads through another connection, as the
    registry decides a name removal on the admission recorded before it."""

    def __init__(self, pool: asyncpg.Pool, source: Service, target: Service) -> None:
        self.pool, self.source, self.target = pool, source, target

        @target.consumer(source.name, name=f"{target.name}.reaction")
        def reaction(ctx: ServiceContext):  # noqa: ANN202
            async def apply(conn: asyncpg.Connection, event: RecordedEvent) -> None:
                async with ctx.pool.acquire() as other:
                    seen = await other.fetchval(f"SELECT count(*) FROM {target.name}.applied")
                await conn.execute(f"INSERT INTO {target.name}.applied (position, times) VALUES ($1, $2)", event.position, seen)

            return apply

    async def seen_before_each(self) -> dict[int, int]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(f"SELECT position, times FROM {self.target.name}.applied ORDER BY position")
        return {r["position"]: r["times"] for r in rows}


async def _reaction(pool: asyncpg.Pool, nc: NatsClient, deployment: str, events: int) -> Reaction:
    source, target = Service(await new_schema(pool)), Service(await new_schema(pool, owns_log=False), owns_log=False)
    reaction = Reaction(pool, source, target)
    async with pool.acquire() as conn:
        await conn.execute(f"CREATE TABLE {target.name}.applied (position bigint PRIMARY KEY, times int NOT NULL)")
    await bootstrap_bus(nc.jetstream(), deployment, [source, target])
    store = EventStore(pool, source.name)
    for version in range(events):
        await store.append("s", version, [NewEvent(event_type="Counted", data={})], META)
    return reaction


async def test_a_reaction_catching_up_sees_the_effect_of_each_event_before_the_next(
    pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str
) -> None:
    r = await _reaction(pool, nc, deployment, 40)
    async with running(r.source, servers.nats_url, database_url, deployment), \
            running(r.target, servers.nats_url, database_url, deployment):
        await eventually(lambda: _all_seen(r, 40))
    assert await r.seen_before_each() == {p: p - 1 for p in range(1, 41)}


async def test_a_reaction_given_a_fetched_batch_sees_the_effect_of_each_event_before_the_next(
    pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str
) -> None:
    r = await _reaction(pool, nc, deployment, 40)
    await Relay(EventStore(pool, r.source.name), nc.jetstream(), r.source.name, deployment).publish_pending()
    # The source service is not running: nothing to catch up from, all 40 come in fetched batches.
    async with running(r.target, servers.nats_url, database_url, deployment):
        await eventually(lambda: _all_seen(r, 40))
    assert await r.seen_before_each() == {p: p - 1 for p in range(1, 41)}


async def _all_seen(r: Reaction, count: int) -> bool:
    return len(await r.seen_before_each()) >= count


class RunningTotal(Projection):
    """A projection of two logs that reads a row before it writes it, as the registry's model
    re-homes the children of a merged unit, whichever log established them."""

    def __init__(self, schema: str, sources: tuple[str, ...]) -> None:
        self.name, self.schema, self.sources = f"{schema}.total", schema, sources
        self.tables = {"total": "id int PRIMARY KEY, events int NOT NULL"}

    async def apply(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent, source: str) -> None:
        events = await conn.fetchval(f"SELECT events FROM {schema}.total WHERE id = 1") or 0
        await asyncio.sleep(0.002)  # the other log's runner is busy meanwhile
        await conn.execute(
            f"INSERT INTO {schema}.total VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET events = $1", events + 1
        )


async def test_the_runners_of_a_projection_of_several_logs_take_turns_and_lose_no_update(
    pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str
) -> None:
    first, second = Service(await new_schema(pool)), Service(await new_schema(pool))
    target = Service(await new_schema(pool, owns_log=False), owns_log=False)
    total = RunningTotal(target.name, (first.name, second.name))
    target.add_projection(total)
    async with pool.acquire() as conn:
        await projections.create_tables(conn, total, target.name)
    await bootstrap_bus(nc.jetstream(), deployment, [first, second, target])
    for source in (first, second):
        store = EventStore(pool, source.name)
        for version in range(150):
            await store.append("s", version, [NewEvent(event_type="Counted", data={})], META)
        await Relay(store, nc.jetstream(), source.name, deployment).publish_pending()
    async with running(target, servers.nats_url, database_url, deployment):
        await eventually(lambda: _checkpoints_at(pool, target.name, 150, count=2), timeout=60)
    async with pool.acquire() as conn:
        assert await conn.fetchval(f"SELECT events FROM {target.name}.total") == 300


async def _checkpoints_at(pool: asyncpg.Pool, schema: str, position: int, *, count: int) -> bool:
    async with pool.acquire() as conn:
        reached = await conn.fetchval(f"SELECT count(*) FROM {schema}.consumer_checkpoints WHERE position >= $1", position)
    return reached == count


async def test_a_reaction_over_more_logs_than_its_pool_has_connections_does_not_deadlock(
    pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str
) -> None:
    """A province keeps the voting logs of many communes; the registry's reaction over them reads
    through a second connection. Runners waiting for their turn must not hold the pool's
    connections (a service's pool has 10), or the runner whose turn it is waits for ever."""
    sources = [Service(await new_schema(pool)) for _ in range(12)]
    target = Service(await new_schema(pool, owns_log=False), owns_log=False)
    async with pool.acquire() as conn:
        await conn.execute(f"CREATE TABLE {target.name}.applied (source text, position bigint, PRIMARY KEY (source, position))")
    for source in sources:

        @target.consumer(source.name, name=f"{target.name}.reaction")
        def reaction(ctx: ServiceContext, source: str = source.name):  # noqa: ANN202
            async def apply(conn: asyncpg.Connection, event: RecordedEvent) -> None:
                async with ctx.pool.acquire() as other:
                    await other.fetchval("SELECT 1")
                await conn.execute(f"INSERT INTO {target.name}.applied VALUES ($1, $2)", source, event.position)

            return apply

    await bootstrap_bus(nc.jetstream(), deployment, [*sources, target])
    for source in sources:
        store = EventStore(pool, source.name)
        for version in range(5):
            await store.append("s", version, [NewEvent(event_type="Counted", data={})], META)
        await Relay(store, nc.jetstream(), source.name, deployment).publish_pending()

    async def all_applied() -> bool:
        async with pool.acquire() as conn:
            return await conn.fetchval(f"SELECT count(*) FROM {target.name}.applied") == 60

    async with running(target, servers.nats_url, database_url, deployment):
        await eventually(all_applied, timeout=60)


async def _projection_applies_a_log(
    pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str,  # noqa: ANN001
    projection_of: type[Projection], event_types: list[str],
) -> Service:
    """A log of one stream with these event types, appended before its reader starts; the service
    holding `projection_of(its schema, the log)` run until its checkpoint reaches the head."""
    source = Service(await new_schema(pool))
    target = Service(await new_schema(pool, owns_log=False), owns_log=False)
    projection = projection_of(target.name, source.name)  # type: ignore[call-arg]
    target.add_projection(projection)
    async with pool.acquire() as conn:
        await projections.create_tables(conn, projection, target.name)
    await bootstrap_bus(nc.jetstream(), deployment, [source, target])
    store = EventStore(pool, source.name)
    for version, event_type in enumerate(event_types):
        await store.append("s", version, [NewEvent(event_type=event_type, data={})], META)
    async with running(source, servers.nats_url, database_url, deployment), running(target, servers.nats_url, database_url, deployment):
        await eventually(lambda: _checkpoints_at(pool, target.name, len(event_types), count=1))
    return target


class CountedOnly(Projection):
    """Counts `Counted` events and says it has nothing to do with any other type (`consumed`)."""

    def __init__(self, schema: str, source: str) -> None:
        self.schema, self.name, self.sources = schema, f"{schema}.counted_only", (source,)
        self.tables = {"seen": "position bigint PRIMARY KEY, event_type text NOT NULL"}

    def consumed(self, source: str) -> tuple[str, ...] | None:
        return ("Counted",)

    async def apply(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent, source: str) -> None:
        await conn.execute(f"INSERT INTO {schema}.seen VALUES ($1, $2)", event.position, event.event_type)


async def test_a_projection_is_not_handed_the_events_it_has_nothing_to_do_with_and_its_checkpoint_passes_them(
    pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str
) -> None:
    types = ["Counted" if version % 3 == 0 else "Noted" for version in range(30)]
    target = await _projection_applies_a_log(pool, nc, servers, database_url, deployment, CountedOnly, types)
    async with pool.acquire() as conn:
        seen = await conn.fetch(f"SELECT position, event_type FROM {target.name}.seen ORDER BY position")
    assert [(r["position"], r["event_type"]) for r in seen] == [(p, "Counted") for p in range(1, 31, 3)]


class SeenUnlessBroken(Projection):
    """Writes a row for every event, then refuses a `Broken` one (its row must not stay)."""

    def __init__(self, schema: str, source: str) -> None:
        self.schema, self.name, self.sources = schema, f"{schema}.seen_unless_broken", (source,)
        self.tables = {"seen": "position bigint PRIMARY KEY, event_type text NOT NULL"}

    async def apply(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent, source: str) -> None:
        await conn.execute(f"INSERT INTO {schema}.seen VALUES ($1, $2)", event.position, event.event_type)
        if event.event_type == "Broken":
            raise Unapplicable("this event can never be applied")


async def test_a_projection_applies_a_fetched_batch_at_once_and_an_unapplicable_event_in_it_alone_is_dead_lettered(
    pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str
) -> None:
    # Appended before the consumer starts: the whole log arrives in one fetched batch.
    types = ["Broken" if version == 16 else "Counted" for version in range(40)]
    target = await _projection_applies_a_log(pool, nc, servers, database_url, deployment, SeenUnlessBroken, types)
    async with pool.acquire() as conn:
        rows = await conn.fetch(f"SELECT position FROM {target.name}.seen ORDER BY position")
        dead = await conn.fetch(f"SELECT position FROM {target.name}.dead_letters")
    assert [r["position"] for r in rows] == [p for p in range(1, 41) if p != 17]
    assert [r["position"] for r in dead] == [17]


async def test_events_passed_by_one_at_a_time_move_the_checkpoint_with_their_hash_even_when_another_moves_it_too(
    pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str
) -> None:
    """Events a projection has nothing to do with, arriving one by one, move its checkpoint in one
    statement from where the runner last left it; when anyone else moved it meanwhile (a rebuild
    stores no hash), the runner goes the usual way and neither skips nor repeats an event."""
    source = Service(await new_schema(pool))
    target = Service(await new_schema(pool, owns_log=False), owns_log=False)
    counted = CountedOnly(target.name, source.name)
    target.add_projection(counted)
    async with pool.acquire() as conn:
        await projections.create_tables(conn, counted, target.name)
    await bootstrap_bus(nc.jetstream(), deployment, [source, target])
    store = EventStore(pool, source.name)

    async def checkpoint() -> tuple[int, str | None]:
        row = await pool.fetchrow(f"SELECT position, hash FROM {target.name}.consumer_checkpoints")
        return (row["position"], row["hash"]) if row else (0, None)

    async def one(version: int, event_type: str) -> None:
        await store.append("s", version, [NewEvent(event_type=event_type, data={})], META)
        head = [e async for batch in store.read_log(version) for e in batch][-1]
        await eventually(lambda: _at(checkpoint, (head.position, head.hash)))

    async with running(source, servers.nats_url, database_url, deployment), running(target, servers.nats_url, database_url, deployment):
        await one(0, "Counted")
        for version in range(1, 6):
            await one(version, "Noted")
        # A rebuild moved it (to the same place, without the hash): the next pass goes the usual way.
        await pool.execute(f"UPDATE {target.name}.consumer_checkpoints SET hash = NULL")
        await one(6, "Noted")
        await one(7, "Counted")
        await one(8, "Noted")
    seen = await pool.fetch(f"SELECT position, event_type FROM {target.name}.seen ORDER BY position")
    assert [(r["position"], r["event_type"]) for r in seen] == [(1, "Counted"), (8, "Counted")]


async def _at(checkpoint, expected: tuple[int, str]) -> bool:  # noqa: ANN001
    return await checkpoint() == expected


async def test_a_reaction_is_not_handed_the_types_it_does_not_declare_and_its_checkpoint_passes_them(
    pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str
) -> None:
    """`events=` of `Service.consumer`: the runner passes the other types by without a call (most
    of a log concerns none of a service's reactions, issue 21)."""
    source = Service(await new_schema(pool))
    target = Service(await new_schema(pool, owns_log=False), owns_log=False)

    @target.consumer(source.name, name=f"{target.name}.declared", events=("Counted",))
    def declared(_ctx: ServiceContext):
        async def apply(conn: asyncpg.Connection, event: RecordedEvent) -> None:
            await conn.execute(f"INSERT INTO {target.name}.handed VALUES ($1, $2)", event.position, event.event_type)

        return apply

    await pool.execute(f"CREATE TABLE {target.name}.handed (position bigint PRIMARY KEY, event_type text NOT NULL)")
    await bootstrap_bus(nc.jetstream(), deployment, [source, target])
    store = EventStore(pool, source.name)
    async with running(source, servers.nats_url, database_url, deployment), running(target, servers.nats_url, database_url, deployment):
        for version in range(12):
            await store.append("s", version, [NewEvent(event_type="Counted" if version % 4 == 0 else "Noted", data={})], META)
        await eventually(lambda: _checkpoints_at(pool, target.name, 12, count=1))
    handed = await pool.fetch(f"SELECT position, event_type FROM {target.name}.handed ORDER BY position")
    assert [(r["position"], r["event_type"]) for r in handed] == [(1, "Counted"), (5, "Counted"), (9, "Counted")]
