"""`ketnap audit verify` finds a tampered log and names the first broken position."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest
from nats.aio.client import Client as NatsClient

from ketnap.platform.bus.bootstrap import ensure_event_stream
from ketnap.platform.bus.relay import Relay
from ketnap.platform.envelope import GENESIS_HASH, EventMetadata, NewEvent
from ketnap.platform.eventstore import EventStore
from ketnap.platform.eventstore.store import _COLUMNS, record_from_row
from ketnap.platform.logcheck import VerifyLogQuery, read_beyond, verify_own_log, walk_part
from ketnap.platform.settings import Settings
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
    assert "HỎNG tại vị trí 11: các vị trí 11..11 chưa có trên luồng JetStream" in result.stdout


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


async def verified_in_parts(store: EventStore, nc: NatsClient, deployment: str, tmp_path: Path, limit: int) -> tuple[list[int], dict]:
    """A service's `verify_log` answers, part after part as the inspection page asks them:
    (where each part stopped, the last answer)."""
    settings = Settings(deployment_id=deployment, keys_dir=tmp_path)
    after, previous_hash, stops = 0, GENESIS_HASH, []
    while True:
        query = VerifyLogQuery(after=after, previous_hash=previous_hash, limit=limit)
        answer = await verify_own_log(store.pool, nc.jetstream(), settings, store.schema, query)
        stops.append(answer["checked_to"])
        if answer["done"]:
            return stops, answer
        after, previous_hash = answer["checked_to"], answer["hash"]


@pytest.mark.parametrize(
    ("statements", "position"),
    [
        ([], None),
        (["DELETE FROM {s}.events WHERE position = 4"], 4),  # the first of the second part
        (["UPDATE {s}.events SET actor = 'officer-2' WHERE position = 3"], 3),  # the last of the first
        (["UPDATE {s}.events SET data = jsonb_set(data, '{{note}}', '\"ghi chú 9!\"') WHERE position = 10"], 10),
    ],
    ids=["intact", "deleted-first-of-a-part", "changed-last-of-a-part", "changed-last"],
)
async def test_a_service_checks_its_own_log_part_by_part_as_strictly_as_in_one_pass(
    pool: asyncpg.Pool, store: EventStore, nc: NatsClient, deployment: str, tmp_path: Path,
    statements: list[str], position: int | None,
) -> None:
    await fill(store)
    await published(store, nc, deployment)
    await tamper(pool, *(s.format(s=store.schema) for s in statements))
    stops, answer = await verified_in_parts(store, nc, deployment, tmp_path, limit=3)
    assert answer["broken_at"] == position
    if position is None:
        assert stops == [3, 6, 9, 10] and answer["events"] == 10 and answer["compared_with_stream"] == 10
    else:
        assert stops[-1] == position - 1 and answer["events"] == position - 1


AWKWARD = [
    {"note": 'a "quoted" word, a back\\slash, a tab\there, a new\nline, a bell \x07 and \x01'},
    {"nested": {"z": [1, 2.5, 1e-05, 0.1, 12345678901234567890], "a": {"é": "Nguyễn Thị Minh Khai"}}, "empty": {}},
    {"copy": "\\N \\t \\\\ \\x41", "unicode": "\u2028\u00a0\U0001f600", "none": None, "yes": True},
]


async def test_the_fast_walk_agrees_with_the_canonical_encoding_on_awkward_contents(pool: asyncpg.Pool, store: EventStore) -> None:
    for i, data in enumerate(AWKWARD):
        meta = EventMetadata(actor=f'officer "{i}"\\\t', organisation=None if i % 2 else "CB-01\n")
        await store.append(f"awkward-{i}", 0, [NewEvent(event_type="Noted", data=data)], meta)
    async with pool.acquire() as conn:
        walk = await walk_part(conn, store.schema, 0, GENESIS_HASH, limit=100)
        assert (walk.head, walk.intact_to, walk.broken) == (3, 3, None), walk
        # A backslash put before a quote reads, unescaped, as the quote escaped: it is found all the same.
        await tamper(pool, f"""UPDATE {store.schema}.events SET actor = 'officer \\"1"\\' || chr(9) WHERE position = 2""")
        walk = await walk_part(conn, store.schema, 0, GENESIS_HASH, limit=100)
    assert walk.intact_to == 1 and walk.broken is not None and (walk.broken.position, walk.broken.kind) == (2, "altered")


async def test_a_previous_hash_with_more_after_it_is_a_broken_link(pool: asyncpg.Pool, store: EventStore) -> None:
    """The fast walk reads the previous hash at the head of the hashed bytes: one stored longer,
    with the event re-hashed over it, still does not link on."""
    await fill(store)
    async with pool.acquire() as conn:
        (row,) = await conn.fetch(f"SELECT {_COLUMNS} FROM {store.schema}.events WHERE position = 2")
        longer = dataclasses.replace(record_from_row(row), previous_hash=row["previous_hash"] + "0")
    await tamper(pool, f"UPDATE {store.schema}.events SET previous_hash = '{longer.previous_hash}', hash = '{longer.expected_hash()}' WHERE position = 2")
    async with pool.acquire() as conn:
        walk = await walk_part(conn, store.schema, 0, GENESIS_HASH, limit=100)
    assert walk.broken is not None and (walk.broken.position, walk.broken.kind) == (2, "broken_link")


async def test_a_reader_beyond_a_cut_tail_is_named_by_its_consumer_for_the_page_to_say_in_words(
    pool: asyncpg.Pool, store: EventStore, nc: NatsClient, deployment: str, tmp_path: Path,
) -> None:
    """The service answers which consumer read beyond the head (its internal name); the inspection
    page says it by its service's title (web/pages/log_check.py), never by that name."""
    from ketnap.services.gateway.web.system_words import SystemWords

    await fill(store)
    await published(store, nc, deployment)  # the stream as long as the log: only the reader says it was longer
    async with pool.acquire() as conn:
        await conn.execute(f"INSERT INTO {store.schema}.consumer_checkpoints (consumer, source, position) VALUES ('reporting.pipeline', $1, 12)",
                           store.schema)
    _, answer = await verified_in_parts(store, nc, deployment, tmp_path, limit=100)
    assert (answer["broken_at"], answer["reader"], answer["read_to"]) == (11, "reporting.pipeline", 12)
    assert "bên đọc reporting.pipeline" in answer["problem"]
    said = read_beyond(answer["broken_at"], answer["read_to"], SystemWords({}).part(answer["reader"]))
    assert said == "thiếu các vị trí 11..12: dịch vụ Báo cáo đã đọc đến vị trí 12 (đuôi nhật ký bị cắt)"


async def test_events_appended_before_the_hashed_text_was_kept_are_checked_by_encoding_their_data_again(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    """A log from before `data_text` (its rows NULL there) beside rows that have it: each row is
    checked its own way, and a change of an old row's data is still found."""
    await fill(store)
    await tamper(pool, f"UPDATE {store.schema}.events SET data_text = NULL WHERE position <= 6")
    async with pool.acquire() as conn:
        walk = await walk_part(conn, store.schema, 0, GENESIS_HASH, limit=100)
        assert (walk.head, walk.intact_to, walk.broken) == (10, 10, None), walk
        await tamper(pool, f"""UPDATE {store.schema}.events SET data = jsonb_set(data, '{{note}}', '"ghi chú 4!"') WHERE position = 5""")
        walk = await walk_part(conn, store.schema, 0, GENESIS_HASH, limit=100)
    assert walk.intact_to == 4 and walk.broken is not None and (walk.broken.position, walk.broken.kind) == (5, "altered")
