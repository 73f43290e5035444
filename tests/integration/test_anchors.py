"""Signed log heads: what they find that the chain and the stream cannot, and that a service never
signs a log rewritten under it."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nats.aio.client import Client as NatsClient

from ketnap.operations.audit import verify_logs
from ketnap.platform.anchors import Anchor, Anchorer, HeadNotExtended, ensure_anchor_stream, latest_anchor, load_or_create_key
from ketnap.platform.bus import subjects
from ketnap.platform.bus.bootstrap import ensure_event_stream
from ketnap.platform.bus.relay import Relay
from ketnap.platform.envelope import EventMetadata, NewEvent
from ketnap.platform.eventstore import EventStore
from ketnap.platform.service import Service
from ketnap.platform.settings import Settings
from tests.forgery import overwrite, with_data
from tests.integration.harness import bootstrap_bus, running
from tests.servers import Servers

META = EventMetadata(actor="officer-1", organisation="CB-01")


async def fill(store: EventStore, count: int = 10, first: int = 0) -> None:
    for i in range(first, first + count):
        await store.append(f"dossier-{i}", 0, [NewEvent(event_type="Noted", data={"note": f"ghi chú {i}"})], META)


async def whole_log(store: EventStore) -> list:
    return [e async for batch in store.read_log(0) for e in batch]


@pytest.fixture
async def signed(store: EventStore, nc: NatsClient, deployment: str, tmp_path: Path) -> tuple[Settings, Anchorer]:
    """A log of ten events, published to its stream and its head signed."""
    await fill(store)
    js = nc.jetstream()
    await ensure_event_stream(js, deployment, store.schema, 120)
    await Relay(store, js, store.schema, deployment).publish_pending()
    await ensure_anchor_stream(js, deployment)
    settings = Settings(deployment_id=deployment, keys_dir=tmp_path)
    anchorer = Anchorer(store.pool, js, store.schema, deployment, load_or_create_key(settings.signing_key_file(store.schema)))
    assert (await anchorer.sign_head()).position == 10
    return settings, anchorer


async def broken(settings: Settings, servers: Servers, database_url: str, schema: str) -> list[str]:
    return [line.text for line in await verify_logs(settings, servers.nats_url, database_url, service=schema, wait=0) if not line.intact]


async def test_a_log_rewritten_with_its_stream_is_found_by_the_signed_head(
    pool: asyncpg.Pool, store: EventStore, nc: NatsClient, servers: Servers, database_url: str, deployment: str,
    signed: tuple[Settings, Anchorer],
) -> None:
    settings, _ = signed
    log = await whole_log(store)
    # Someone holding PostgreSQL and the NATS server, not the keys: the log and its stream agree again.
    async with pool.acquire() as conn:
        await overwrite(conn, store.schema, with_data(log, 4, {"note": "đã sửa"}))
        await conn.execute(f"UPDATE {store.schema}.relay_checkpoint SET position = 0")
    js = nc.jetstream()
    await js.delete_stream(subjects.event_stream(deployment, store.schema))
    await ensure_event_stream(js, deployment, store.schema, 120)
    await Relay(store, js, store.schema, deployment).publish_pending()
    signed_at = (await latest_anchor(js, deployment, store.schema)).signed_at
    assert await broken(settings, servers, database_url, store.schema) == [
        f"{store.schema}: HỎNG tại vị trí 10: mã băm khác đầu nhật ký đã ký lúc {signed_at:%d/%m/%Y %H:%M:%S} (đã kiểm 9 sự kiện trước đó)"
    ]


async def test_a_head_signed_with_another_key_is_refused(
    store: EventStore, nc: NatsClient, servers: Servers, database_url: str, deployment: str, signed: tuple[Settings, Anchorer],
) -> None:
    settings, anchorer = signed
    assert await broken(settings, servers, database_url, store.schema) == []
    forged = Anchor(deployment, store.schema, 10, anchorer.last.hash, anchorer.last.signed_at).signed_with(Ed25519PrivateKey.generate())
    await nc.jetstream().publish(subjects.anchor_subject(deployment, store.schema), forged.to_json(), stream=subjects.anchor_stream(deployment))
    assert await broken(settings, servers, database_url, store.schema) == [
        f"{store.schema}: HỎNG: chữ ký đầu nhật ký (vị trí 10) không hợp lệ."
    ]


async def test_a_log_rewritten_under_its_service_is_never_signed(
    pool: asyncpg.Pool, store: EventStore, nc: NatsClient, deployment: str, signed: tuple[Settings, Anchorer],
) -> None:
    _, anchorer = signed
    await fill(store, 3, first=10)
    assert (await anchorer.sign_head()).position == 13  # the log grew: signed
    log = await whole_log(store)
    async with pool.acquire() as conn:
        await overwrite(conn, store.schema, with_data(log, 12, {"note": "đã sửa"}))
    await fill(store, 1, first=13)
    with pytest.raises(HeadNotExtended, match="position 13 no longer holds the hash signed for it"):
        await anchorer.sign_head()
    # A service starting afresh reads the head signed last from the stream, and refuses too.
    fresh = Anchorer(pool, nc.jetstream(), store.schema, deployment, anchorer.key)
    with pytest.raises(HeadNotExtended):
        await fresh.sign_head()
    assert (await latest_anchor(nc.jetstream(), deployment, store.schema)).position == 13


async def test_a_service_signs_its_head_while_it_runs_and_when_it_stops(
    pool: asyncpg.Pool, store: EventStore, nc: NatsClient, servers: Servers, database_url: str, deployment: str,
) -> None:
    service = Service(store.schema)
    await bootstrap_bus(nc.jetstream(), deployment, [service])
    async with running(service, servers.nats_url, database_url, deployment):
        await fill(store, 4)
    anchor = await latest_anchor(nc.jetstream(), deployment, store.schema)
    assert (anchor.position, anchor.hash) == (4, (await whole_log(store))[-1].hash)
