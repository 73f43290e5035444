"""One world per test module: every real service, the gateway's HTTP server, a tree and users."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.integration.gateway.world import World, world_of
from tests.servers import Servers


@pytest.fixture(scope="module")
async def world(pool: asyncpg.Pool, servers: Servers, database_url: str) -> AsyncIterator[World]:
    async with world_of(pool, servers.nats_url, database_url) as started:
        yield started
