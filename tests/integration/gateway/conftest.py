"""One world per test module: every real service, the gateway's HTTP server, a tree and users."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import nats
import pytest

from tests.conftest import unique
from tests.integration.gateway.world import World, world_of
from tests.servers import Servers


@pytest.fixture(scope="module")
async def world(pool: asyncpg.Pool, servers: Servers, database_url: str) -> AsyncIterator[World]:
    nc = await nats.connect(servers.nats_url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    try:
        async with world_of(pool, nc, servers.nats_url, database_url, unique("d")) as started:
            yield started
    finally:
        await nc.drain()
