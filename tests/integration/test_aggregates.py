"""Aggregates kept between commands (ketnap.platform.aggregates) and several streams appended in one
transaction (`EventStore.append_together`), against a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg
import pytest

from ketnap.platform import aggregates
from ketnap.platform.aggregates import KeptAggregates
from ketnap.platform.envelope import EventMetadata, NewEvent, RecordedEvent
from ketnap.platform.eventstore import ConcurrencyConflict, EventStore

META = EventMetadata(actor="officer-1", organisation="CB-01")


@dataclass
class Notes:
    stream_id: str
    version: int = 0
    said: list[str] = field(default_factory=list)


def _advance(notes: Notes, recorded: Sequence[RecordedEvent]) -> None:
    for event in recorded:
        notes.version = event.stream_version
        notes.said.append(event.data["said"])


def _replay(stream_id: str, recorded: Sequence[RecordedEvent]) -> Notes:
    notes = Notes(stream_id)
    _advance(notes, recorded)
    return notes


def said(*words: str) -> list[NewEvent]:
    return [NewEvent(event_type="Said", data={"said": w}) for w in words]


class CountingStore(EventStore):
    """The log, noting from which version each stream read starts."""

    def __init__(self, pool: asyncpg.Pool, schema: str) -> None:
        super().__init__(pool, schema)
        self.reads: list[int] = []

    async def read_stream(self, stream_id: str, after_version: int = 0, *, connection: asyncpg.Connection | None = None) -> list[RecordedEvent]:
        self.reads.append(after_version)
        return await super().read_stream(stream_id, after_version, connection=connection)


@pytest.fixture
def kept() -> KeptAggregates[Notes]:
    return KeptAggregates(_replay, _advance)


async def test_a_kept_aggregate_reads_only_from_its_version_and_sees_what_another_process_appended(
    pool: asyncpg.Pool, schema: str, kept: KeptAggregates[Notes]
) -> None:
    store, other_process = CountingStore(pool, schema), EventStore(pool, schema)
    await store.append("notes-1", 0, said("a", "b"), META)
    assert (await kept.load(store, "notes-1")) == Notes("notes-1", 2, ["a", "b"])
    await other_process.append("notes-1", 2, said("c"), META)
    assert (await kept.load(store, "notes-1")) == Notes("notes-1", 3, ["a", "b", "c"])
    assert (await kept.load(store, "notes-1")) == Notes("notes-1", 3, ["a", "b", "c"])
    assert store.reads == [0, 1, 2]  # the whole stream once, then from the version kept
    assert await kept.load(store, "notes-2") is None


async def test_what_a_load_hands_out_is_the_callers_own(store: EventStore, kept: KeptAggregates[Notes]) -> None:
    await store.append("notes-1", 0, said("a"), META)
    first = await kept.load(store, "notes-1")
    assert first is not None
    first.said.append("decided but never appended")
    first.version = 99
    assert (await kept.load(store, "notes-1")) == Notes("notes-1", 1, ["a"])


async def test_a_kept_head_the_log_no_longer_holds_as_kept_is_replayed_whole(
    pool: asyncpg.Pool, schema: str, kept: KeptAggregates[Notes]
) -> None:
    store = CountingStore(pool, schema)
    await store.append("notes-1", 0, said("a", "b"), META)
    await kept.load(store, "notes-1")
    # The log rewritten under the kept state (a restore of another copy): the kept head's hash no longer matches.
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")  # past the append-only trigger
        await conn.execute(
            f"UPDATE {schema}.events SET data = '{{\"said\": \"B\"}}', hash = repeat('f', 64) WHERE stream_id = 'notes-1' AND stream_version = 2"
        )
    await store.append("notes-1", 2, said("c"), META)
    assert (await kept.load(store, "notes-1")) == Notes("notes-1", 3, ["a", "B", "c"])
    assert store.reads == [0, 1, 0]


async def test_a_stream_forgotten_after_a_conflict_is_replayed_whole(pool: asyncpg.Pool, schema: str, kept: KeptAggregates[Notes]) -> None:
    store = CountingStore(pool, schema)
    await store.append("notes-1", 0, said("a"), META)
    await kept.load(store, "notes-1")
    aggregates.forget(store, "notes-1")
    assert (await kept.load(store, "notes-1")) == Notes("notes-1", 1, ["a"])
    assert store.reads == [0, 0]


async def test_states_are_kept_per_log_object(pool: asyncpg.Pool, schema: str, kept: KeptAggregates[Notes]) -> None:
    """A judgement's scratch log is another object: what it would append never reaches the live one's states."""
    live, scratch = CountingStore(pool, schema), CountingStore(pool, schema)
    await live.append("notes-1", 0, said("a"), META)
    await kept.load(live, "notes-1")
    await kept.load(scratch, "notes-1")
    assert (live.reads, scratch.reads) == ([0], [0])


async def test_streams_appended_together_are_recorded_all_or_none(pool: asyncpg.Pool, store: EventStore) -> None:
    await store.append("applicant-1", 0, said("reserved before"), META)
    async with pool.acquire() as conn:
        with pytest.raises(ConcurrencyConflict) as caught:
            async with conn.transaction():
                await store.append_together([("dossier-1", 0, said("opened"), META), ("applicant-1", 0, said("reserved"), META)], connection=conn)
        assert caught.value.stream_id == "applicant-1"
        assert await store.head_position() == 1  # the dossier's event went with the refusal
        async with conn.transaction():
            reserved, opened = await store.append_together(
                [("applicant-1", 1, said("reserved"), META), ("dossier-1", 0, said("opened"), META)], connection=conn
            )
    assert (reserved.stream_version, reserved.positions, opened.stream_version, opened.positions) == (2, (2,), 1, (3,))
    events = [e for batch in [b async for b in store.read_log()] for e in batch]
    assert [e.previous_hash for e in events[1:]] == [e.hash for e in events[:-1]]  # one chain through both streams
