"""The peer library `eventsourcing` (its PostgreSQL persistence) doing what the bench asks of
Ketnap's log, on the same PostgreSQL in the same run: the issue's "ahead of the peer library".

Used as its documentation shows: an `Application` whose aggregates record events through
`PostgresApplicationRecorder` (psycopg 3, its own pool; one table, totally ordered by its
notification ids), read back as domain events through the application's mapper. It is
synchronous, so it runs in threads here, each writer its own, as its users run it. Installed
only by the `bench` extra (`make bench`); without it the bench says so and skips these figures.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any
from urllib.parse import unquote, urlsplit

try:
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event
except ImportError:  # the bench extra is not installed
    Application = None  # type: ignore[assignment,misc]


def available() -> bool:
    return Application is not None


if available():

    class Dossier(Aggregate):
        """One stream; its events carry the same fields as the bench's Ketnap events."""

        @event("Opened")
        def __init__(self, citizen_id: str, full_name: str, step: str, note: str) -> None:
            pass

        @event("Noted")
        def noted(self, citizen_id: str, full_name: str, step: str, note: str) -> None:
            pass

    class PeerSingles(Application):
        """Where the single-event appends go (its own table, `peersingles_events`)."""

    class PeerBatches(Application):
        """Where the batches go, and what is read back: the same 1,000-event streams Ketnap reads."""


def _environment(url: str, pool_size: int) -> dict[str, str]:
    parts = urlsplit(url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parts.path.lstrip("/"),
        "POSTGRES_HOST": parts.hostname or "localhost",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": "0",
    }


class Peer:
    """One `eventsourcing` application on the bench's database, measured like Ketnap's store."""

    def __init__(self, url: str, writers: int = 4) -> None:
        self.singles = PeerSingles(env=_environment(url, writers))
        self.app = PeerBatches(env=_environment(url, writers))

    def close(self) -> None:
        self.singles.close()
        self.app.close()

    def _single_appends(self, writers: int, each: int, data: dict[str, Any]) -> float:
        # Each writer saves new aggregates of one event: one event per transaction, as Ketnap's figure.
        barrier = threading.Barrier(writers + 1)

        def writer() -> None:
            barrier.wait()
            for _ in range(each):
                self.singles.save(Dossier(**data))

        threads = [threading.Thread(target=writer) for _ in range(writers)]
        for thread in threads:
            thread.start()
        barrier.wait()
        start = time.perf_counter()
        for thread in threads:
            thread.join()
        return writers * each / (time.perf_counter() - start)

    def _batch_appends(self, calls: int, size: int, data: dict[str, Any]) -> float:
        start = time.perf_counter()
        for _ in range(calls):
            dossier = Dossier(**data)
            for _ in range(size - 1):
                dossier.noted(**data)
            self.app.save(dossier)
        return calls * size / (time.perf_counter() - start)

    def _read_decoded(self, page: int) -> tuple[float, int]:
        # The application sequence in pages, each notification mapped back to its domain event
        # (the state decoded from JSON): what a projection of the library's users reads.
        recorder, mapper = self.app.recorder, self.app.mapper
        count, start_id = 0, 1
        start = time.perf_counter()
        while True:
            notifications = recorder.select_notifications(start_id, page)
            if not notifications:
                break
            for notification in notifications:
                mapper.to_domain_event(notification)
            count += len(notifications)
            start_id = notifications[-1].id + 1
        return count / (time.perf_counter() - start), count

    async def single_appends(self, writers: int, each: int, data: dict[str, Any]) -> float:
        return await asyncio.to_thread(self._single_appends, writers, each, data)

    async def batch_appends(self, calls: int, size: int, data: dict[str, Any]) -> float:
        return await asyncio.to_thread(self._batch_appends, calls, size, data)

    async def read_decoded(self, page: int = 5000) -> tuple[float, int]:
        return await asyncio.to_thread(self._read_decoded, page)

    @property
    def table(self) -> str:
        return self.app.recorder.events_table_name

