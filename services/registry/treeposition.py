"""Where the tree last changed: per log the read model folds in, the position of its latest event
that changed an organisation (`TREE_EVENTS`). What `registry.query.tree_position` answers, so that
an answer about the tree kept elsewhere (the gateway's scope check) can be known still current
with one small question instead of the question itself (issue 21).

Each answer reads the log, never only this process's memory: the positions past the one last
seen are scanned for tree events (one index range read), so an event appended by any process is
counted as soon as it is committed. Positions are gapless and commit-ordered, so nothing below a
position already seen can appear later.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketnap.platform.eventstore import EventStore
from ketnap.services.registry import events as ev

TREE_EVENTS: frozenset[str] = frozenset(cls.__name__ for cls in (
    ev.OrganisationEstablished, ev.OrganisationRenamed, ev.OrganisationReclassified, ev.OrganisationMoved,
    ev.AdmissionAuthorityGranted, ev.AdmissionAuthorityRevoked, ev.OrganisationMerged, ev.OrganisationSplit,
    ev.OrganisationDissolved,
))
"""The events that write the tree's tables (organisations, endings, split allocations): every
answer about a unit's chain or ending is a function of these alone (and of the day asked about).
Renames and authority changes are counted too: they rewrite a unit's dated rows."""


@dataclass
class _Seen:
    head: int = 0
    tree: int = 0


class TreePositions:
    """Per log, the last position read and the last tree event at or below it."""

    def __init__(self) -> None:
        self._seen: dict[str, _Seen] = {}

    async def of(self, store: EventStore) -> int:
        """The position of the latest tree event in `store`'s log, as committed now."""
        seen = self._seen.setdefault(store.schema, _Seen())
        async with store.pool.acquire() as conn:
            head, tree = await conn.fetchrow(
                f"SELECT max(position), max(position) FILTER (WHERE event_type = ANY($2::text[])) FROM {store.table} WHERE position > $1",
                seen.head, sorted(TREE_EVENTS),
            )
        if head is not None and head > seen.head:  # answers racing each other only move it forward
            seen.tree = max(seen.tree, tree or 0)
            seen.head = head
        return max(seen.tree, tree or 0)
