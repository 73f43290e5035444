"""The scratch copy a judgement decides on (`ketnap.platform.judging.ScratchStore`): reads see the log
and what the judged steps would append; appends keep the log's version check and its answer to a
retry; nothing reaches the database."""

from __future__ import annotations

import pytest

from ketnap.platform.envelope import EventMetadata, NewEvent
from ketnap.platform.eventstore import ConcurrencyConflict, EventStore
from ketnap.platform.judging import ScratchStore

META = EventMetadata(actor="can-bo", organisation="CB-01")


def events(count: int) -> list[NewEvent]:
    return [NewEvent(event_type="SomethingHappened", data={"n": n}) for n in range(count)]


async def test_a_scratch_copy_reads_the_log_and_its_own_appends_and_writes_nothing(store: EventStore) -> None:
    recorded = events(2)
    await store.append("case-1", 0, recorded, META)
    head = await store.head_position()
    scratch = ScratchStore(store)

    judged = events(1)
    appended = await scratch.append("case-1", 2, judged, META)
    assert appended.stream_version == 3
    assert [e.stream_version for e in await scratch.read_stream("case-1")] == [1, 2, 3]
    assert [e.event_id for e in await scratch.read_stream("case-1", after_version=2)] == [judged[0].event_id]
    # The version check of the log: a step decided on a stale version is a conflict, as live.
    with pytest.raises(ConcurrencyConflict):
        await scratch.append("case-1", 2, events(1), META)
    # The same events again are a retry: the first answer, nothing added.
    assert (await scratch.append("case-1", 2, judged, META)).duplicate
    assert (await scratch.append("case-1", 0, recorded, META)).duplicate
    assert [e.event_id for e in scratch.produced] == [judged[0].event_id]

    assert await store.head_position() == head
    assert len(await store.read_stream("case-1")) == 2
    # Another judgement starts from the log again, given what the earlier one would record.
    again = ScratchStore(store)
    again.replay(scratch.produced)
    assert [e.stream_version for e in await again.read_stream("case-1")] == [1, 2, 3]
    assert again.produced == []
