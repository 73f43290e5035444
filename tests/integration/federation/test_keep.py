"""Keeping another deployment's log: every event must be the next link of the origin's chain.

What a lower deployment could do to its own log (rewrite an event and re-hash everything after
it, drop one, swap two) must be refused above, naming the position, with nothing of the bad
batch kept.
"""

from __future__ import annotations

import dataclasses

import asyncpg
import pytest

from ketnap.platform.envelope import EventMetadata, NewEvent, RecordedEvent
from ketnap.platform.eventstore import ChainRefused, EventStore
from ketnap.platform.eventstore.schema import migrate_service
from tests.conftest import unique
from tests.forgery import rehashed

META = EventMetadata(actor="bi-thu", organisation="CB-01")


async def origin_events(store: EventStore, count: int = 8) -> list[RecordedEvent]:
    for i in range(count):
        await store.append(f"dossier-{i % 3}", i // 3, [NewEvent(event_type="Noted", data={"note": f"ghi chú {i}"})], META)
    return [e for batch in [b async for b in store.read_log(0)] for e in batch]


@pytest.fixture
async def kept(pool: asyncpg.Pool) -> EventStore:
    name = unique("kept_")
    async with pool.acquire() as conn:
        await migrate_service(conn, name)
    return EventStore(pool, name)


async def kept_positions(store: EventStore) -> list[int]:
    return [e.position for batch in [b async for b in store.read_log(0)] for e in batch]


async def test_an_intact_chain_is_kept_verbatim_and_a_resend_changes_nothing(store: EventStore, kept: EventStore) -> None:
    events = await origin_events(store)
    assert await kept.keep(events[:5]) == 5
    assert await kept.keep(events[3:]) == 3  # overlapping resend: only the new ones
    assert await kept.keep(events) == 0
    assert [e.to_json_dict() for b in [x async for x in kept.read_log(0)] for e in b] == [e.to_json_dict() for e in events]


async def test_a_gap_is_refused_naming_the_missing_position(store: EventStore, kept: EventStore) -> None:
    events = await origin_events(store)
    await kept.keep(events[:3])
    with pytest.raises(ChainRefused) as refused:
        await kept.keep(events[4:])
    assert (refused.value.kind, refused.value.position) == ("gap", 4)
    assert await kept_positions(kept) == [1, 2, 3]


async def test_a_rewritten_history_breaks_the_link_at_the_first_new_event(store: EventStore, kept: EventStore) -> None:
    events = await origin_events(store)
    await kept.keep(events[:5])
    # Position 3 rewritten below and everything after it re-hashed: the lower chain is valid in
    # itself, but position 6 no longer links to the position 5 kept above.
    forged = [dataclasses.replace(events[2], data={"note": "đã sửa"})]
    forged = rehashed(forged + events[3:], events[1].hash)
    with pytest.raises(ChainRefused) as refused:
        await kept.keep(forged[3:])
    assert (refused.value.kind, refused.value.position) == ("broken_link", 6)
    with pytest.raises(ChainRefused) as resent:
        await kept.keep(forged)
    assert (resent.value.kind, resent.value.position) == ("rewritten", 3)
    assert await kept_positions(kept) == [1, 2, 3, 4, 5]


async def test_an_event_altered_without_rehashing_is_refused(store: EventStore, kept: EventStore) -> None:
    events = await origin_events(store)
    altered = [*events[:4], dataclasses.replace(events[4], data={"note": "đã sửa"}), *events[5:]]
    with pytest.raises(ChainRefused) as refused:
        await kept.keep(altered)
    assert (refused.value.kind, refused.value.position) == ("altered", 5)
    assert await kept_positions(kept) == []  # nothing of a refused batch is kept


async def test_two_events_swapped_are_refused(store: EventStore, kept: EventStore) -> None:
    events = await origin_events(store)
    swapped = [*events[:2], dataclasses.replace(events[3], position=3), dataclasses.replace(events[2], position=4)]
    with pytest.raises(ChainRefused) as refused:
        await kept.keep(swapped)
    assert refused.value.kind in ("broken_link", "altered") and refused.value.position == 3
