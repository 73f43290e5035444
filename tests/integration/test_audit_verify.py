"""`ketnap audit verify` finds a tampered log and names the first broken position."""

from __future__ import annotations

import os
import subprocess
import sys

import asyncpg
import pytest
from nats.aio.client import Client as NatsClient

from ketnap.platform.bus.bootstrap import ensure_event_stream
from ketnap.platform.bus.relay import Relay
from ketnap.platform.envelope import EventMetadata, NewEvent
from ketnap.platform.eventstore import EventStore
from tests.servers import Servers

META = EventMetadata(actor="officer-1", organisation="CB-01")


def ketnap(database_url: str, nats_url: str, deployment: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=database_url, NATS_URL=nats_url, KETNAP_DEPLOYMENT=deployment)
    return subprocess.run([sys.executable, "-m", "ketnap.operations.cli", *args], env=env, capture_output=True, text=True, timeout=60)


async def fill(store: EventStore) -> None:
    for i in range(10):
        await store.append(f"dossier-{i % 3}", i // 3, [NewEvent(event_type="Noted", data={"note": f"ghi chú {i}"})], META)


async def tamper(pool: asyncpg.Pool, *statements: str) -> None:
    """As a superuser who switched the guard off: what an insider with full access could do."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        for statement in statements:
            await conn.execute(statement)


async def published(store: EventStore, nc: NatsClient, deployment: str) -> None:
    await ensure_event_stream(nc.jetstream(), deployment, store.schema, 120)
    await Relay(store, nc.jetstream(), store.schema, deployment).publish_pending()


async def test_an_intact_log_verifies(store: EventStore, nc: NatsClient, servers: Servers, database_url: str, deployment: str) -> None:
    await fill(store)
    await published(store, nc, deployment)
    result = ketnap(database_url, servers.nats_url, deployment, "audit", "verify", "--service", store.schema)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "10 sự kiện" in result.stdout
    assert "10 vị trí khớp luồng" in result.stdout


async def test_a_tail_the_relay_has_not_published_is_reported_after_the_wait(
    store: EventStore, nc: NatsClient, servers: Servers, database_url: str, deployment: str,
) -> None:
    await fill(store)
    await published(store, nc, deployment)
    await store.append("dossier-9", 0, [NewEvent(event_type="Noted", data={"note": "chưa đẩy"})], META)
    result = ketnap(database_url, servers.nats_url, deployment, "audit", "verify", "--service", store.schema, "--wait", "0.2")
    assert result.returncode == 1, result.stdout
    assert "HỎNG tại vị trí 11: positions 11..11 are not in the stream" in result.stdout


@pytest.mark.parametrize(
    ("statements", "position"),
    [
        (["UPDATE {s}.events SET data = jsonb_set(data, '{{note}}', '\"ghi chú 5!\"') WHERE position = 6"], 6),
        (["UPDATE {s}.events SET actor = 'officer-2' WHERE position = 3"], 3),
        (["DELETE FROM {s}.events WHERE position = 4"], 4),
        (["DELETE FROM {s}.events WHERE position = 10"], 10),
        (
            [
                "UPDATE {s}.events SET position = -7 WHERE position = 7",
                "UPDATE {s}.events SET position = 7 WHERE position = 8",
                "UPDATE {s}.events SET position = 8 WHERE position = -7",
            ],
            7,
        ),
    ],
    ids=["one-byte-of-data", "actor", "deleted-middle", "deleted-last", "swapped"],
)
async def test_tampering_is_detected_at_its_position(
    pool: asyncpg.Pool, store: EventStore, nc: NatsClient, servers: Servers, database_url: str, deployment: str,
    statements: list[str], position: int,
) -> None:
    await fill(store)
    await published(store, nc, deployment)
    await tamper(pool, *(s.format(s=store.schema) for s in statements))
    result = ketnap(database_url, servers.nats_url, deployment, "audit", "verify", "--service", store.schema, "--wait", "0")
    assert result.returncode == 1, result.stdout
    assert store.schema in result.stdout
    assert f"vị trí {position}" in result.stdout
