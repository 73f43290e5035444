"""Past snapshots: projections as recorded by a past moment, built once and kept for the next request.

A report "as recorded by" a moment reads the projections built from the events recorded by then.
Building them is a rebuild; doing it per request made such a report cost seconds (issue 21). A
snapshot is those projections built into the temporary tables of a connection held apart from
the pool, one connection per moment, the least recently used closed beyond `kept`.

What was recorded by a moment can still grow after it: an append that took its time before the
moment may commit after it, and a kept log receives a lower level's events with the time they
were recorded there, after an outage hours late. Both land at positions after the log's head as
the snapshot last saw it (positions are in commit order), so each use asks every source for its
head first and applies, in each log's order, whatever arrived since with a time up to the moment:
the snapshot always equals a build made now. Two sources' events may be applied in another order
than a build's interleaving by time; projections are written to be equal whatever it is, as their
live tables are (docs/platform.md, "Projections").

A snapshot is never moved forward to a later moment: an event recorded between the two moments
may sit at a position before one already applied, and a log's events must be applied in order.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg
from prometheus_client import Counter

from ketnap.platform.bus.logread import LogReader
from ketnap.platform.logging import get_logger
from ketnap.platform.projections import AsOf, Projection, build

log = get_logger(__name__)

KEPT = 4
"""Snapshots kept per service: each holds one PostgreSQL connection and its temporary tables."""

SNAPSHOT_USES = Counter(
    "ketnap_past_snapshot_uses_total",
    "Projections read as recorded by a past moment, by how: built (from the logs) or kept (built before, caught up).",
    ["service", "how"],
)

Connect = Callable[[], Awaitable[asyncpg.Connection]]


@dataclass
class _Snapshot:
    moment: datetime
    conn: asyncpg.Connection
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    seen: dict[str, dict[str, int]] = field(default_factory=dict)
    """Projection name -> source -> the head of the source up to which it was applied."""
    closed: bool = False


class PastSnapshots:
    """The snapshots of one service, by moment; `built` and `kept` count how each use was served."""

    def __init__(self, service: str, *, kept: int = KEPT) -> None:
        self.service = service
        self.limit = kept
        self._snapshots: OrderedDict[datetime, _Snapshot] = OrderedDict()
        self._opening = asyncio.Lock()
        self._evicting: set[asyncio.Task[None]] = set()
        self.built = 0
        self.kept = 0

    @asynccontextmanager
    async def opened(
        self, moment: datetime, needs: Sequence[Projection], reader: LogReader, connect: Connect
    ) -> AsyncIterator[asyncpg.Connection]:
        """A connection whose `pg_temp` holds `needs` as recorded by `moment`, for the block's use
        alone (a snapshot serves one report at a time)."""
        sources = sorted({source for projection in needs for source in projection.sources})
        # Asked first: a source that does not answer costs no connection.
        heads = dict(zip(sources, await asyncio.gather(*(reader.head(source) for source in sources)), strict=True))
        while True:
            snapshot = await self._snapshot(moment, connect)
            async with snapshot.lock:
                if snapshot.closed:  # evicted while this request waited for it
                    continue
                try:
                    await self._bring_up(snapshot, needs, reader, heads)
                except BaseException:
                    # Half built or half caught up: never used again.
                    self._forget(snapshot)
                    await self._close(snapshot)
                    raise
                yield snapshot.conn
                return

    async def close(self) -> None:
        for snapshot in list(self._snapshots.values()):
            self._forget(snapshot)
            await self._close(snapshot)
        await asyncio.gather(*self._evicting, return_exceptions=True)

    async def _snapshot(self, moment: datetime, connect: Connect) -> _Snapshot:
        async with self._opening:
            snapshot = self._snapshots.get(moment)
            if snapshot is not None and not snapshot.conn.is_closed():
                self._snapshots.move_to_end(moment)
                return snapshot
            if snapshot is not None:  # its connection was lost (PostgreSQL restarted): build anew
                self._forget(snapshot)
                snapshot.closed = True
            while len(self._snapshots) >= self.limit:
                _, oldest = self._snapshots.popitem(last=False)
                evicting = asyncio.create_task(self._evict(oldest))
                self._evicting.add(evicting)
                evicting.add_done_callback(self._evicting.discard)
            snapshot = _Snapshot(moment, await connect())
            self._snapshots[moment] = snapshot
            return snapshot

    async def _evict(self, snapshot: _Snapshot) -> None:
        async with snapshot.lock:  # the report reading it finishes first
            await self._close(snapshot)

    def _forget(self, snapshot: _Snapshot) -> None:
        if self._snapshots.get(snapshot.moment) is snapshot:
            del self._snapshots[snapshot.moment]

    async def _close(self, snapshot: _Snapshot) -> None:
        if snapshot.closed:
            return
        snapshot.closed = True
        try:
            await snapshot.conn.close(timeout=5)
        except Exception as error:  # noqa: BLE001 - a connection already gone is closed enough
            log.warning("past snapshot not closed cleanly", error=type(error).__name__)

    async def _bring_up(self, snapshot: _Snapshot, needs: Sequence[Projection], reader: LogReader, heads: dict[str, int]) -> None:
        for projection in needs:
            seen = snapshot.seen.get(projection.name)
            fresh = seen is None
            # `>=`: a request that asked the heads earlier may come after one that applied further.
            if seen is not None and all(seen[s] >= heads[s] for s in projection.sources):
                SNAPSHOT_USES.labels(self.service, "kept").inc()
                self.kept += 1
                continue
            await build(
                None, projection, "pg_temp", as_of=AsOf(positions={s: heads[s] for s in projection.sources}, moment=snapshot.moment),
                after=seen, fresh=fresh, reader=reader, connection=snapshot.conn,
            )
            if fresh:
                for table in projection.tables:
                    # Temporary tables are never analysed by autovacuum; without statistics the
                    # planner guesses, and a report's joins go wrong on big ones.
                    await snapshot.conn.execute(f"ANALYZE pg_temp.{table}")
            snapshot.seen[projection.name] = {s: max(heads[s], (seen or {}).get(s, 0)) for s in projection.sources}
            SNAPSHOT_USES.labels(self.service, "built" if fresh else "kept").inc()
            if fresh:
                self.built += 1
                log.info("past snapshot built", projection=projection.name, moment=snapshot.moment.isoformat())
            else:
                self.kept += 1

