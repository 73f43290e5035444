"""A service's sign of life for a container health check: a file touched every few seconds while
the service still reaches both NATS and PostgreSQL. `ketnap health` calls the service healthy
while the file is fresh; a hung process, a lost connection or a dead database lets it go stale.

A file, not a request: the services' NATS users may not send requests to one another's status
endpoints (deploy/nats/nats.conf), and all but the gateway have no HTTP port.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncpg
from nats.aio.client import Client as NatsClient

from ketnap.platform.logging import get_logger

log = get_logger(__name__)

INTERVAL_SECONDS = 5.0
STALE_AFTER_SECONDS = 30.0


async def beat(path: Path, nc: NatsClient, pool: asyncpg.Pool, stop: asyncio.Event, interval: float = INTERVAL_SECONDS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    while not stop.is_set():
        try:
            if nc.is_connected:
                async with pool.acquire(timeout=interval) as conn:
                    await conn.fetchval("SELECT 1", timeout=interval)
                path.touch()
        except Exception as error:  # noqa: BLE001 - not touching the file is the report
            log.warning("heartbeat skipped", error=type(error).__name__)
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass


def fresh(path: Path, stale_after: float = STALE_AFTER_SECONDS) -> bool:
    try:
        return time.time() - path.stat().st_mtime < stale_after
    except FileNotFoundError:
        return False
