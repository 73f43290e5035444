"""A running service re-checks its log's chain: an event edited in place in the database (its
hash left alone, so nothing that travels shows it) raises an integrity alarm of the service,
naming the log and the position, without anyone running `ketnap audit verify`."""

from __future__ import annotations

import asyncio
import dataclasses

import asyncpg

from ketnap.platform import alarms
from ketnap.platform.chaincheck import ChainWatch
from ketnap.platform.envelope import EventMetadata, NewEvent, RecordedEvent
from ketnap.platform.eventstore import EventStore
from tests.conftest import eventually
from tests.forgery import overwrite

META = EventMetadata(actor="bi-thu", organisation="CB-01")


async def recorded(store: EventStore, count: int) -> list[RecordedEvent]:
    for i in range(count):
        await store.append(f"dossier-{i}", 0, [NewEvent(event_type="Noted", data={"note": f"ghi chú {i}"})], META)
    return [e async for batch in store.read_log(0) for e in batch]


async def open_alarms(pool: asyncpg.Pool, schema: str) -> list[alarms.IntegrityAlarm]:
    async with pool.acquire() as conn:
        return await alarms.listed(conn, schema)


async def test_an_event_edited_in_place_raises_an_alarm_of_the_service(pool: asyncpg.Pool, store: EventStore, schema: str) -> None:
    events = await recorded(store, 5)
    stop = asyncio.Event()
    watch = ChainWatch(pool, schema, schema, full_every=0.2)
    running = asyncio.create_task(watch.run(stop))
    try:
        assert await eventually(lambda: _reached(watch, 5))
        assert await open_alarms(pool, schema) == []
        edited = dataclasses.replace(events[1], data={"note": "sửa lén"})  # hash and previous hash left as they were
        async with pool.acquire() as conn:
            await overwrite(conn, schema, [edited])
        (alarm,) = await eventually(lambda: open_alarms(pool, schema))
    finally:
        stop.set()
        await running
    assert (alarm.consumer, alarm.source, alarm.position, alarm.kind) == (f"{schema}.chain_check", schema, 2, "altered")
    assert alarm.describe().startswith(f"Nhật ký {schema}, vị trí 2") and "nội dung không khớp mã băm" in alarm.describe()


async def test_new_events_are_checked_as_they_come_and_the_whole_log_only_on_schedule(
    pool: asyncpg.Pool, store: EventStore, schema: str
) -> None:
    events = await recorded(store, 3)
    watch = ChainWatch(pool, schema, schema, full_every=3600)
    assert await watch.check(whole=True) is None
    async with pool.acquire() as conn:
        await overwrite(conn, schema, [dataclasses.replace(events[0], data={"note": "sửa lén"})])
    (added,) = await recorded_one(store)
    assert await watch.check(whole=False) is None and watch.last.position == added.position  # only the new event was read
    refused = await watch.check(whole=True)
    assert refused is not None and (refused.position, refused.kind) == (1, "altered")
    assert [(a.position, a.kind) for a in await open_alarms(pool, schema)] == [(1, "altered")]


async def recorded_one(store: EventStore) -> list[RecordedEvent]:
    await store.append("dossier-new", 0, [NewEvent(event_type="Noted", data={"note": "mới"})], META)
    return [e async for batch in store.read_log(3) for e in batch]


async def _reached(watch: ChainWatch, position: int) -> bool:
    return watch.last.position == position


async def test_a_tail_cut_below_what_was_checked_raises_an_alarm(pool: asyncpg.Pool, store: EventStore, schema: str) -> None:
    await recorded(store, 5)
    watch = ChainWatch(pool, schema, schema, full_every=3600)
    assert await watch.check(whole=True) is None and watch.last.position == 5
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute(f"DELETE FROM {schema}.events WHERE position > 3")
    refused = await watch.check(whole=False)
    assert refused is not None and (refused.position, refused.kind) == (4, "gap")
    assert [(a.position, a.kind) for a in await open_alarms(pool, schema)] == [(4, "gap")]
