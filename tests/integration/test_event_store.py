"""Contract of the event store, against a real PostgreSQL."""

from __future__ import annotations

import asyncio
import random
import uuid

import asyncpg
import pytest

from ketnap.platform.envelope import GENESIS_HASH, EventMetadata, NewEvent
from ketnap.platform.eventstore import ConcurrencyConflict, DuplicateEventMismatch, EventStore
from ketnap.platform.eventstore.schema import service_role

META = EventMetadata(actor="officer-1", organisation="CB-01")


def events(count: int, kind: str = "SomethingHappened") -> list[NewEvent]:
    return [NewEvent(event_type=kind, data={"n": i, "tên": "Nguyễn Văn Ân"}) for i in range(count)]


class TestAppendAndRead:
    async def test_a_new_stream_starts_at_version_one_and_positions_follow_the_log(self, store: EventStore) -> None:
        first = await store.append("dossier-1", 0, events(2), META)
        second = await store.append("dossier-2", 0, events(1), META)
        assert (first.stream_version, first.positions) == (2, (1, 2))
        assert (second.stream_version, second.positions) == (1, (3,))
        loaded = await store.read_stream("dossier-1")
        assert [e.stream_version for e in loaded] == [1, 2]
        assert loaded[0].data == {"n": 0, "tên": "Nguyễn Văn Ân"}
        assert loaded[0].previous_hash == GENESIS_HASH
        assert loaded[1].previous_hash == loaded[0].hash
        assert all(e.expected_hash() == e.hash for e in loaded)

    async def test_a_stale_expected_version_is_a_conflict_naming_the_stream_and_both_versions(self, store: EventStore) -> None:
        await store.append("dossier-1", 0, events(3), META)
        with pytest.raises(ConcurrencyConflict) as caught:
            await store.append("dossier-1", 1, events(1), META)
        assert (caught.value.stream_id, caught.value.expected_version, caught.value.actual_version) == ("dossier-1", 1, 3)
        assert "dossier-1" in str(caught.value) and "3" in str(caught.value) and "1" in str(caught.value)
        assert await store.head_position() == 3

    async def test_appending_stored_event_ids_again_returns_the_original_result_and_writes_nothing(self, store: EventStore) -> None:
        batch = events(2)
        original = await store.append("dossier-1", 0, batch, META)
        again = await store.append("dossier-1", 0, batch, META)
        assert again.duplicate and not original.duplicate
        assert (again.stream_version, again.positions, again.event_ids) == (
            original.stream_version, original.positions, original.event_ids,
        )
        assert await store.head_position() == 2

    async def test_a_batch_mixing_stored_and_new_event_ids_is_refused(self, store: EventStore) -> None:
        batch = events(1)
        await store.append("dossier-1", 0, batch, META)
        with pytest.raises(DuplicateEventMismatch):
            await store.append("dossier-1", 1, [batch[0], *events(1)], META)
        assert await store.head_position() == 1

    async def test_the_log_is_read_after_a_position_in_batches(self, store: EventStore) -> None:
        for i in range(5):
            await store.append(f"s-{i}", 0, events(5), META)
        batches = [batch async for batch in store.read_log(7, batch_size=4)]
        assert [len(b) for b in batches] == [4, 4, 4, 4, 2]
        assert [e.position for b in batches for e in b] == list(range(8, 26))

    async def test_the_log_can_be_read_up_to_a_position(self, store: EventStore) -> None:
        await store.append("s", 0, events(10), META)
        read = [e.position async for b in store.read_log(0, up_to_position=4) for e in b]
        assert read == [1, 2, 3, 4]


class TestConcurrency:
    async def test_concurrent_appends_at_one_version_give_one_success_and_conflicts(self, store: EventStore) -> None:
        await store.append("dossier-1", 0, events(1), META)
        results = await asyncio.gather(
            *(store.append("dossier-1", 1, events(1), META) for _ in range(10)), return_exceptions=True
        )
        successes = [r for r in results if not isinstance(r, Exception)]
        conflicts = [r for r in results if isinstance(r, ConcurrencyConflict)]
        assert len(successes) == 1 and len(conflicts) == 9
        assert [e.stream_version for e in await store.read_stream("dossier-1")] == [1, 2]

    async def test_a_tailing_reader_sees_every_event_once_in_position_order_while_writers_race(self, store: EventStore) -> None:
        writers, appends_each = 4, 60
        done = asyncio.Event()
        seen: list[int] = []

        async def write(writer: int) -> None:
            version = 0
            for _ in range(appends_each):
                size = random.randint(1, 3)
                await store.append(f"writer-{writer}", version, events(size), META)
                version += size
                await asyncio.sleep(random.random() / 500)

        async def tail() -> None:
            position = 0
            while True:
                finished = done.is_set()
                async for batch in store.read_log(position, batch_size=7):
                    seen.extend(e.position for e in batch)
                    position = batch[-1].position
                if finished:
                    return
                await asyncio.sleep(0)

        reader = asyncio.create_task(tail())
        await asyncio.gather(*(write(w) for w in range(writers)))
        done.set()
        await reader
        head = await store.head_position()
        assert seen == list(range(1, head + 1))
        assert head >= writers * appends_each


class TestTheDatabaseRefusesChanges:
    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE {schema}.events SET actor = 'someone else'",
            "DELETE FROM {schema}.events",
            "TRUNCATE {schema}.events",
        ],
        ids=["update", "delete", "truncate"],
    )
    async def test_the_service_role_cannot_change_its_own_log(self, pool: asyncpg.Pool, store: EventStore, schema: str, statement: str) -> None:
        await store.append("s", 0, events(2), META)
        async with pool.acquire() as conn:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                async with conn.transaction():
                    await conn.execute(f"SET LOCAL ROLE {service_role(schema)}")
                    await conn.execute(statement.format(schema=schema))
        assert await store.head_position() == 2

    @pytest.mark.parametrize(
        "statement",
        ["UPDATE {schema}.events SET actor = 'x'", "DELETE FROM {schema}.events", "TRUNCATE {schema}.events"],
        ids=["update", "delete", "truncate"],
    )
    async def test_even_the_owner_is_refused_by_the_trigger(self, pool: asyncpg.Pool, store: EventStore, schema: str, statement: str) -> None:
        await store.append("s", 0, events(1), META)
        async with pool.acquire() as conn:
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await conn.execute(statement.format(schema=schema))
        assert len(await store.read_stream("s")) == 1

    async def test_the_service_role_can_read_and_append(self, pool: asyncpg.Pool, schema: str) -> None:
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(f"SET LOCAL ROLE {service_role(schema)}")
            store = EventStore(pool, schema)
            result = await store.append("s", 0, events(1), META, connection=conn)
            assert result.positions == (1,)


async def test_unicode_text_round_trips_unchanged(store: EventStore) -> None:
    text = "Lê Thị Hồng Nhung — Chi bộ thôn Đông, xã Hợp Thành"
    await store.append("s", 0, [NewEvent(event_type="Named", data={"text": text, "id": str(uuid.uuid4())})], META)
    (event,) = await store.read_stream("s")
    assert event.data["text"] == text
    assert event.expected_hash() == event.hash


async def test_every_number_an_event_may_hold_hashes_the_same_once_stored(store: EventStore, pool: asyncpg.Pool, schema: str) -> None:
    # The numbers the envelope lets through (tests/unit/test_envelope_numbers.py refuses the rest):
    # jsonb gives each back so that the stored event recomputes its hash, the slow way and verify's.
    from ketnap.platform.logcheck import verify_chain

    kept = {"zero": 0.0, "tenth": 0.1, "small": 1e-07, "tiny": 5e-324, "below_exponent": 1e15, "largest_plain": 9999999999999998.0,
            "sum": 0.30000000000000004, "negative": -1.5, "integer": 10**18, "list": [2.5, -0.5, 1e-300]}
    await store.append("s", 0, [NewEvent(event_type="Measured", data=kept)], META)
    (event,) = await store.read_stream("s")
    assert event.data == kept
    assert event.expected_hash() == event.hash
    async with pool.acquire() as conn:
        report = await verify_chain(conn, schema)
    assert report.intact and report.events == 1


async def test_appends_grouped_in_one_transaction_chain_link_to_link(store: EventStore, pool: asyncpg.Pool, schema: str) -> None:
    # Many writers at once share transactions (the group commit writes them as one statement of
    # arrays, a large batch by COPY): every event must still be the next link, in position order.
    from ketnap.platform.logcheck import verify_chain

    sizes = [1] * 20 + [3, 250]
    results = await asyncio.gather(*(store.append(f"group-{i}", 0, events(size), META) for i, size in enumerate(sizes)))
    positions = sorted(p for r in results for p in r.positions)
    assert positions == list(range(1, sum(sizes) + 1))
    previous = GENESIS_HASH
    async for batch in store.read_log(0):
        for event in batch:
            assert (event.previous_hash, event.expected_hash()) == (previous, event.hash)
            previous = event.hash
    async with pool.acquire() as conn:
        report = await verify_chain(conn, schema)
    assert report.intact and report.events == sum(sizes)


class TestTwoStoresOnOneLog:
    """Two processes appending to one log (each its own EventStore): each starts from the head it
    wrote last, and must find out when the other has moved the log or the stream on since."""

    async def test_appends_taking_turns_keep_one_gapless_chain(self, pool: asyncpg.Pool, schema: str) -> None:
        from ketnap.platform.logcheck import verify_chain

        first, second = EventStore(pool, schema), EventStore(pool, schema)
        for turn in range(6):
            writer = first if turn % 3 else second
            result = await writer.append(f"turn-{turn}", 0, events(2), META)
            assert result.positions == (2 * turn + 1, 2 * turn + 2)
        async with pool.acquire() as conn:
            report = await verify_chain(conn, schema)
        assert report.intact and report.events == 12

    async def test_one_stream_two_stores_at_one_version_one_wins(self, pool: asyncpg.Pool, schema: str) -> None:
        first, second = EventStore(pool, schema), EventStore(pool, schema)
        await first.append("dossier-1", 0, events(1), META)
        await second.append("other", 0, events(1), META)  # each store now knows a head
        results = await asyncio.gather(
            first.append("dossier-1", 1, events(1), META), second.append("dossier-1", 1, events(1), META), return_exceptions=True
        )
        assert sorted(type(r).__name__ for r in results) == ["AppendResult", "ConcurrencyConflict"]
        assert [e.stream_version for e in await first.read_stream("dossier-1")] == [1, 2]

    async def test_a_stream_moved_on_by_the_other_store_is_a_conflict_with_its_real_version(self, pool: asyncpg.Pool, schema: str) -> None:
        first, second = EventStore(pool, schema), EventStore(pool, schema)
        await first.append("dossier-1", 0, events(1), META)
        await second.append("dossier-1", 1, events(2), META)
        with pytest.raises(ConcurrencyConflict) as stale:
            await first.append("dossier-1", 1, events(1), META)
        assert (stale.value.expected_version, stale.value.actual_version) == (1, 3)
        with pytest.raises(ConcurrencyConflict):
            await first.append("dossier-1", 5, events(1), META)  # ahead of the stream: a conflict too
        assert [e.stream_version for e in await first.read_stream("dossier-1")] == [1, 2, 3]

    async def test_a_retried_append_answers_with_its_first_result(self, pool: asyncpg.Pool, schema: str) -> None:
        first, second = EventStore(pool, schema), EventStore(pool, schema)
        sent = events(2)
        original = await first.append("dossier-1", 0, sent, META)
        await second.append("other", 0, events(1), META)
        await first.append("third", 0, events(1), META)
        retried = await first.append("dossier-1", 0, sent, META)
        assert retried.duplicate and retried.positions == original.positions


async def test_large_groups_by_copy_keep_the_chain_answer_retries_and_refuse_stale_versions(pool: asyncpg.Pool, schema: str) -> None:
    """A group above `COPY_FROM_ROWS` rows from a store that wrote the head itself goes by COPY
    without looking its event ids up first (issue 21): whatever that cannot see (the other store
    moved the head, a retried append, a stream at another version) must still be found."""
    from ketnap.platform.eventstore.store import COPY_FROM_ROWS
    from ketnap.platform.logcheck import verify_chain

    first, second = EventStore(pool, schema), EventStore(pool, schema)
    size = COPY_FROM_ROWS + 50
    locked = 0
    by_lock = first._group_commit._in_locked_transaction

    async def counted(*args):  # type: ignore[no-untyped-def]
        nonlocal locked
        locked += 1
        return await by_lock(*args)

    first._group_commit._in_locked_transaction = counted  # type: ignore[method-assign]
    sent = events(size)
    original = await first.append("big-1", 0, sent, META)
    await second.append("big-2", 0, events(size), META)  # the head first knows is stale now
    moved_on = await first.append("big-3", 0, events(size), META)
    assert moved_on.positions[0] == 2 * size + 1 and locked == 2
    by_copy = await first.append("big-4", 0, events(size), META)
    assert by_copy.positions == tuple(range(3 * size + 1, 4 * size + 1)) and locked == 2  # no locked transaction
    retried = await first.append("big-1", 0, sent, META)
    assert retried.duplicate and retried.positions == original.positions and locked == 3
    await first.append("big-5", 0, events(size), META)
    with pytest.raises(ConcurrencyConflict):
        await first.append("big-5", 0, events(size), META)
    await first.append("big-6", 0, events(size), META)
    with pytest.raises(ConcurrencyConflict):
        await first.append("big-6", size + 5, events(size), META)  # ahead of the stream
    async with pool.acquire() as conn:
        report = await verify_chain(conn, schema)
    assert report.intact and report.events == 6 * size
