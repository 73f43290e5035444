"""A dossiers stack per test: fresh schemas, its own JetStream streams, the real registry service."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from nats.aio.client import Client as NatsClient

from tests.integration.dossiers.registry import RealRegistry
from tests.integration.dossiers.stack import Stack
from tests.servers import Servers


@pytest.fixture
async def registry(pool: asyncpg.Pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str) -> AsyncIterator[RealRegistry]:
    started = RealRegistry(pool, nc, servers.nats_url, database_url, deployment)
    await started.start()
    try:
        await started.seed()
        yield started
    finally:
        await started.stop()


@pytest.fixture
async def stack(
    pool: asyncpg.Pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str, registry: RealRegistry
) -> AsyncIterator[Stack]:
    built = Stack(pool, nc, servers.nats_url, database_url, deployment, registry.name, registry.dossiers)
    await built.prepare()
    await built.start_sources()
    try:
        yield built
    finally:
        await built.close()
