"""How a build interleaves several logs (ketnap.platform.projections): by the time each event was
recorded, each log in its own order, whatever the pages the logs are read in."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Collection
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketnap.platform import projections
from ketnap.platform.envelope import RecordedEvent

START = datetime(2026, 1, 1, tzinfo=UTC)


def _event(position: int, seconds: int) -> RecordedEvent:
    return RecordedEvent(position, "s", 1, uuid.uuid4(), "Noted", 1, {}, "t", None, None, None,
                         START + timedelta(seconds=seconds), "0" * 64, "0" * 64)


class _Pages:
    """A reader that hands each log in pages of the given sizes."""

    def __init__(self, logs: dict[str, list[RecordedEvent]], page: int) -> None:
        self.logs, self.page = logs, page

    async def read(self, source: str, after: int, *, up_to_position: int | None = None, up_to_time: datetime | None = None,
                   event_types: Collection[str] | None = None) -> AsyncIterator[list[RecordedEvent]]:
        events = [e for e in self.logs[source] if e.position > after]
        for first in range(0, len(events), self.page):
            await asyncio.sleep(0)
            yield events[first:first + self.page]

    async def head(self, source: str) -> int:
        return len(self.logs[source])


# Each log's events recorded at non-decreasing times, often the same second as another log's.
log_times = st.lists(st.integers(min_value=0, max_value=5), max_size=30).map(lambda steps: [sum(steps[:i + 1]) for i in range(len(steps))])


@given(st.lists(log_times, min_size=1, max_size=4), st.integers(min_value=1, max_value=7), st.integers(min_value=1, max_value=9))
@settings(max_examples=200, deadline=None)
def test_the_logs_come_interleaved_by_time_in_batches(times: list[list[int]], page: int, batch: int) -> None:
    logs = {f"log{i}": [_event(position, second) for position, second in enumerate(seconds, start=1)] for i, seconds in enumerate(times)}
    expected = sorted(
        ((event.recorded_at, index, event.position, source) for index, (source, events) in enumerate(logs.items()) for event in events),
    )

    async def merged() -> list[list[tuple[str, RecordedEvent]]]:
        return [b async for b in projections._merged(_Pages(logs, page), dict.fromkeys(logs), {}, projections.AsOf())]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(projections, "BATCH", batch)
        batches = asyncio.run(merged())
    assert all(0 < len(b) <= batch for b in batches)
    assert [(source, event.position) for b in batches for source, event in b] == [(source, position) for _, _, position, source in expected]
