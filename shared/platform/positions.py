"""Where a log last recorded an event of some types: the position of the latest one, as committed
now. What a service answers so that another process may keep answers that depend on those events
alone and know them still current with one small question (the gateway's scope check, issue 21:
the registry's tree, the dossiers' cells).

Each answer reads the log, never only this process's memory: the positions past the one last
seen are scanned for those types (one index range read), so an event appended by any process is
counted as soon as it is committed. Positions are gapless and commit-ordered, so nothing below a
position already seen can appear later.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ketnap.platform.eventstore.store import EventStore


@dataclass
class _Seen:
    head: int = 0
    latest: int = 0


class LatestOf:
    """Per log, the last position read and the latest event of `event_types` at or below it."""

    def __init__(self, event_types: Iterable[str]) -> None:
        self.event_types = sorted(set(event_types))
        self._seen: dict[str, _Seen] = {}

    async def position(self, store: EventStore) -> int:
        """The position of the latest event of these types in `store`'s log (0: none yet)."""
        seen = self._seen.setdefault(store.schema, _Seen())
        since, latest = seen.head, seen.latest
        async with store.pool.acquire() as conn:
            head, found = await conn.fetchrow(
                f"SELECT max(position), max(position) FILTER (WHERE event_type = ANY($2::text[])) FROM {store.table} WHERE position > $1",
                since, self.event_types,
            )
        latest = max(latest, found or 0)
        if head is not None and head > seen.head:  # answers racing each other only move it forward
            seen.latest, seen.head = max(seen.latest, latest), head
        return max(seen.latest, latest)
