"""The keeper of a linked log, against a real JetStream stream and a real origin database: a
message JetStream lost is fetched from the origin's own log, never skipped; while the origin
cannot be asked nothing after the gap is kept (a delay, not an alarm); an altered event is an
integrity alarm of the keeping service, as any consumer's refusal is."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

import asyncpg
import pytest
from nats.aio.client import Client as NatsClient
from nats.js.api import StreamConfig

from ketnap.platform import alarms
from ketnap.platform.bus import subjects
from ketnap.platform.bus.logread import answer_log_request
from ketnap.platform.envelope import EventMetadata, NewEvent, RecordedEvent, to_wire
from ketnap.platform.eventstore import EventStore
from ketnap.platform.eventstore.schema import migrate_service
from ketnap.platform.federation.links import KeptLog
from ketnap.platform.federation.streams import arriving_stream, keeper_durable
from ketnap.services.federation.keeper import Keeper
from tests.conftest import eventually, unique

META = EventMetadata(actor="bi-thu", organisation="CB-01")


@pytest.fixture
async def origin(store: EventStore) -> list[RecordedEvent]:
    for i in range(6):
        await store.append(f"dossier-{i}", 0, [NewEvent(event_type="Noted", data={"note": f"ghi chú {i}"})], META)
    return [e for batch in [b async for b in store.read_log(0)] for e in batch]


@pytest.fixture
async def keeper(pool: asyncpg.Pool, nc: NatsClient) -> Keeper:
    kept = KeptLog("registry", unique("xa-"), "up")
    async with pool.acquire() as conn:
        await migrate_service(conn, kept.name)
        await migrate_service(conn, "federation_test", owns_log=False)
        await conn.execute("DELETE FROM federation_test.integrity_alarms")
    js = nc.jetstream()
    # The stream the link would source: here the test publishes into it, leaving a hole.
    await js.add_stream(StreamConfig(name=arriving_stream(kept), subjects=[f"arrive.{kept.origin}.>"]))
    await js.add_consumer(arriving_stream(kept), durable_name=keeper_durable(kept), ack_policy="explicit", max_deliver=-1)
    return Keeper(kept, pool, "federation_test", nc, js)


async def publish(keeper: Keeper, events: list[RecordedEvent]) -> None:
    for event in events:
        await keeper.js.publish(f"arrive.{keeper.kept.origin}.{event.position}", to_wire(event, "registry", keeper.kept.origin))


async def origin_answers(nc: NatsClient, keeper: Keeper, store: EventStore) -> Any:
    async def answer(message: Any) -> None:
        await message.respond(json.dumps(await answer_log_request(store, json.loads(message.data)), default=str).encode())

    return await nc.subscribe(subjects.linked_log_subject(keeper.kept.origin, keeper.kept.service), cb=answer)


async def kept_positions(keeper: Keeper) -> list[int]:
    return [e.position for batch in [b async for b in keeper.store.read_log(0)] for e in batch]


async def on_the_way(keeper: Keeper) -> int:
    consumer = await keeper.js.consumer_info(arriving_stream(keeper.kept), keeper_durable(keeper.kept))
    return (consumer.num_pending or 0) + (consumer.num_ack_pending or 0)


async def refused(keeper: Keeper) -> list[tuple[int, str]]:
    async with keeper.pool.acquire() as conn:
        return [(a.position, a.kind) for a in await alarms.listed(conn, "federation_test") if a.source == keeper.kept.name]


async def test_a_message_lost_on_the_way_is_fetched_from_the_origin(
    keeper: Keeper, origin: list[RecordedEvent], store: EventStore, nc: NatsClient
) -> None:
    subscription = await origin_answers(nc, keeper, store)
    stop = asyncio.Event()
    running = asyncio.create_task(keeper.run(stop))
    try:
        await publish(keeper, [e for e in origin if e.position != 3])
        assert await eventually(lambda: _equals(kept_positions(keeper), [1, 2, 3, 4, 5, 6]))
        assert await refused(keeper) == []
    finally:
        stop.set()
        await running
        await subscription.unsubscribe()


async def test_while_the_origin_cannot_be_asked_nothing_after_the_gap_is_kept_until_it_answers(
    keeper: Keeper, origin: list[RecordedEvent], store: EventStore, nc: NatsClient
) -> None:
    stop = asyncio.Event()
    running = asyncio.create_task(keeper.run(stop))
    try:
        await publish(keeper, [e for e in origin if e.position != 3])
        assert await eventually(lambda: _equals(kept_positions(keeper), [1, 2]))
        # The keeper asked the origin, found no answer and holds 4..6 back, counted as still on
        # their way (what the link's status shows), to ask again: a delay, not a refusal.
        assert await eventually(lambda: _equals(on_the_way(keeper), 3))
        assert await kept_positions(keeper) == [1, 2] and await refused(keeper) == []
        # The origin answers again: the next redelivery fills the gap.
        subscription = await origin_answers(nc, keeper, store)
        try:
            assert await eventually(lambda: _equals(kept_positions(keeper), [1, 2, 3, 4, 5, 6]), timeout=60)
            assert await refused(keeper) == []
        finally:
            await subscription.unsubscribe()
    finally:
        stop.set()
        await running


async def test_an_altered_event_is_an_integrity_alarm_of_the_keeping_service_and_nothing_after_it_is_kept(
    keeper: Keeper, origin: list[RecordedEvent], store: EventStore, nc: NatsClient
) -> None:
    altered = dataclasses.replace(origin[3], data={"note": "sửa lén"})  # the hash left as it was
    stop = asyncio.Event()
    running = asyncio.create_task(keeper.run(stop))
    try:
        await publish(keeper, [*origin[:3], altered, *origin[4:]])
        assert await eventually(lambda: _equals(refused(keeper), [(4, "altered")]))
        assert await kept_positions(keeper) == [1, 2, 3]
        async with keeper.pool.acquire() as conn:
            (alarm,) = await alarms.listed(conn, "federation_test")
        assert alarm.consumer == "federation" and alarm.received_hash == altered.hash
        assert alarm.describe().startswith(f"Nhật ký {keeper.kept.name}, vị trí 4") and "nội dung không khớp mã băm" in alarm.describe()
    finally:
        stop.set()
        await running


async def _equals(value: Any, expected: Any) -> bool:
    return await value == expected
