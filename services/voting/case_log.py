"""Where a voting chain is read from: this deployment's voting log and the voting logs it keeps.

A case lives in the deployment of its cell, but the competent committee may work in the
deployment above (`Chain.acts_here`): its decision is recorded in that deployment's voting log,
the cell's acts below. Each deployment keeps the other's voting log, so either one sees the
whole chain by merging the case's stream in every log it holds, in the order the acts were
recorded (on a tie, this deployment's own act first: the merge is the same on every read).

Appends go to this deployment's own log only, at the own stream's version: two officers acting
at once here still get one success and one conflict. Acts recorded in two deployments cannot
collide, because each act has exactly one deployment where it may be recorded.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import Any

import asyncpg

from ketnap.platform.aggregates import KeptAggregates
from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.eventstore import EventStore
from ketnap.services.voting.admission_case import AdmissionCase, dossier_id_of, stream_id_of

CASES: KeptAggregates[AdmissionCase] = KeptAggregates(
    lambda stream, recorded: AdmissionCase.load(dossier_id_of(stream), recorded), AdmissionCase.advance
)
"""Cases of a deployment keeping no other voting log, kept between commands
(ketnap.platform.aggregates). Merged from several logs by the time each act was recorded, a case
could take an act of a kept log in front of those it holds, so those are replayed every time."""


class CaseLog:
    def __init__(self, store: EventStore, kept: Sequence[str] = ()) -> None:
        self.store = store
        """This deployment's own voting log: the only one appended to."""
        self.kept = tuple(EventStore(store.pool, name) for name in kept)

    async def read(self, dossier_id: str, *, connection: asyncpg.Connection | None = None) -> tuple[list[RecordedEvent], int, int]:
        """The case's events from every log, merged; the own stream's version, and its version at
        its last act of a person (a command's, not a fact a consumer learnt from the dossiers log)."""
        own, merged = await self._logs(dossier_id, connection)
        acted = max((e.stream_version for e in own if not e.follow_up), default=0)
        return merged, own[-1].stream_version if own else 0, acted

    async def _logs(self, dossier_id: str, connection: asyncpg.Connection | None) -> tuple[list[RecordedEvent], list[RecordedEvent]]:
        """The own log's events of the case, and those of every log merged."""
        stream_id = stream_id_of(dossier_id)
        own = await self.store.read_stream(stream_id, connection=connection)
        others = [await kept.read_stream(stream_id, connection=connection) for kept in self.kept]
        # heapq.merge keeps each log's own order and, on equal keys, the earlier iterable first.
        return own, list(heapq.merge(own, *others, key=lambda e: e.recorded_at))

    async def load(self, dossier_id: str, *, connection: asyncpg.Connection | None = None) -> AdmissionCase:
        if not self.kept and connection is None:  # one log, in its order: kept between commands
            case = await CASES.load(self.store, stream_id_of(dossier_id))
            return case if case is not None else AdmissionCase(dossier_id)
        recorded, version, acted = await self.read(dossier_id, connection=connection)
        return AdmissionCase.load(dossier_id, recorded, version=version, acted_version=acted)

    async def history(self, dossier_id: str) -> list[dict[str, Any]]:
        """Who recorded what on the case and when, in every log in the order recorded; the version
        is the own stream's (what `expected_version` is judged against), none for an act kept from
        a linked deployment's log."""
        own, merged = await self._logs(dossier_id, None)
        own_ids = {event.event_id for event in own}
        return [event.history_entry(own=event.event_id in own_ids) for event in merged]
