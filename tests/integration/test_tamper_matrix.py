"""The tamper matrix: eleven kinds of rewrite, twenty random trials each, done to a log as a
superuser with the guard switched off, and three more on the two texts of an event's data (the
jsonb its readers use and the exact text its hash covers, `data_text`): changed apart or together.
`audit verify` must find every one and name the log and the first wrong position.

Each kind gets one log, published to its stream and signed; each trial rewrites the table, asks
`audit verify`, and puts the original rows back (the copy is reused: small logs, fast)."""

from __future__ import annotations

import dataclasses
import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from nats.aio.client import Client as NatsClient

from ketnap.operations.audit import verify_logs
from ketnap.platform.anchors import Anchorer, ensure_anchor_stream, load_or_create_key
from ketnap.platform.bus.bootstrap import ensure_event_stream
from ketnap.platform.bus.relay import Relay
from ketnap.platform.envelope import EventMetadata, NewEvent, RecordedEvent, canonical_encoding, chain_hash, dumps_data
from ketnap.platform.eventstore import EventStore
from ketnap.platform.eventstore.store import _COLUMNS, _WRITTEN, record_from_row
from ketnap.platform.settings import Settings
from tests.forgery import rehashed
from tests.servers import Servers

LOG_SIZE = 16
TRIALS = 20
META = EventMetadata(actor="officer-1", organisation="CB-01")

Log = list[RecordedEvent]
Tampering = Callable[[Log, random.Random, int], tuple[Log, int]]
"""(log, random, trial) -> (the log as the attacker leaves it, the first wrong position)."""


def _chained_from(log: Log, position: int, events: Log) -> Log:
    """`events` placed from `position` on, re-chained onto what stays before them."""
    previous = log[position - 2].hash if position > 1 else "0" * 64
    return log[: position - 1] + rehashed(events, previous)


def _forged(position: int, previous_hash: str, rng: random.Random) -> RecordedEvent:
    event = RecordedEvent(
        position, f"forged-{rng.randrange(10**6)}", 1, uuid.UUID(int=rng.getrandbits(128)), "MemberAdmitted", 1,
        {"member": "giả mạo"}, "officer-9", "CB-01", None, None, _base_time(), previous_hash, "",
    )
    return dataclasses.replace(event, hash=chain_hash(previous_hash, canonical_encoding(event)))


def _base_time():
    from datetime import UTC, datetime

    return datetime(2026, 1, 1, tzinfo=UTC)


def one_byte_of_data(log: Log, rng: random.Random, _: int) -> tuple[Log, int]:
    p = rng.randint(1, len(log))
    note = log[p - 1].data["note"]
    i = rng.randrange(len(note))
    changed = note[:i] + chr(ord(note[i]) ^ 1) + note[i + 1 :]
    log = list(log)
    log[p - 1] = dataclasses.replace(log[p - 1], data={**log[p - 1].data, "note": changed})
    return log, p


def metadata(log: Log, rng: random.Random, trial: int) -> tuple[Log, int]:
    p = rng.randint(1, len(log))
    event = log[p - 1]
    field = ("actor", "organisation", "recorded_at", "event_type")[trial % 4]
    value = {
        "actor": "officer-2", "organisation": "CB-99", "event_type": "MemberRemoved",
        "recorded_at": event.recorded_at + timedelta(microseconds=rng.randint(1, 10**6)),
    }[field]
    log = list(log)
    log[p - 1] = dataclasses.replace(event, **{field: value})
    return log, p


def delete_first_middle_last(log: Log, rng: random.Random, trial: int) -> tuple[Log, int]:
    p = (1, rng.randint(2, len(log) - 1), len(log))[trial % 3]
    return log[: p - 1] + log[p:], p


def swap_two(log: Log, rng: random.Random, _: int) -> tuple[Log, int]:
    p, q = sorted(rng.sample(range(1, len(log) + 1), 2))
    log = list(log)
    a, b = log[p - 1], log[q - 1]
    log[p - 1], log[q - 1] = dataclasses.replace(b, position=p), dataclasses.replace(a, position=q)
    return log, p


def forged_append_wrong_hash(log: Log, rng: random.Random, _: int) -> tuple[Log, int]:
    forged = dataclasses.replace(_forged(len(log) + 1, log[-1].hash, rng), hash=f"{rng.getrandbits(256):064x}")
    return [*log, forged], len(log) + 1


def forged_insertion_in_middle(log: Log, rng: random.Random, _: int) -> tuple[Log, int]:
    p = rng.randint(2, len(log))
    forged = _forged(p, log[p - 2].hash, rng)
    shifted = [dataclasses.replace(e, position=e.position + 1) for e in log[p - 1 :]]
    # The forger keeps the chain around the insertion where he can: only the event after it breaks.
    return [*log[: p - 1], forged, *shifted], p


def tail_deleted(log: Log, rng: random.Random, _: int) -> tuple[Log, int]:
    keep = rng.randint(1, len(log) - 1)
    return log[:keep], keep + 1


def one_event_rehashed(log: Log, rng: random.Random, trial: int) -> tuple[Log, int]:
    p = len(log) if trial % 4 == 0 else rng.randint(1, len(log))
    event = log[p - 1]
    changed = dataclasses.replace(event, data={**event.data, "note": "đã sửa"})
    log = list(log)
    log[p - 1] = dataclasses.replace(changed, hash=chain_hash(event.previous_hash, canonical_encoding(changed)))
    return log, p


def changed_and_every_later_rehashed(log: Log, rng: random.Random, _: int) -> tuple[Log, int]:
    p = rng.randint(1, len(log))
    changed = dataclasses.replace(log[p - 1], data={**log[p - 1].data, "note": "đã sửa"})
    return _chained_from(log, p, [changed, *log[p:]]), p


def forged_append_correctly_chained(log: Log, rng: random.Random, _: int) -> tuple[Log, int]:
    return [*log, _forged(len(log) + 1, log[-1].hash, rng)], len(log) + 1


KINDS: dict[str, Tampering] = {
    "one-byte-of-data": one_byte_of_data,
    "metadata": metadata,
    "delete-first-middle-last": delete_first_middle_last,
    "swap-two": swap_two,
    "forged-append-wrong-hash": forged_append_wrong_hash,
    "forged-insertion-in-middle": forged_insertion_in_middle,
    "tail-deleted": tail_deleted,
    "tail-deleted-checkpoints-moved-back": tail_deleted,
    "one-event-rehashed": one_event_rehashed,
    "changed-and-every-later-rehashed": changed_and_every_later_rehashed,
    "forged-append-correctly-chained": forged_append_correctly_chained,
}


async def _rewrite(conn: asyncpg.Connection, schema: str, log: Log, checkpoint: int | None = None) -> None:
    """Put `log` in place of the table's rows, as a superuser who switched the guard off (who
    writes the data's hashed text beside each changed data, as the append would)."""
    async with conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute(f"DELETE FROM {schema}.events")
        await conn.copy_records_to_table("events", schema_name=schema, columns=_WRITTEN.split(", "), records=[
            (e.position, e.stream_id, e.stream_version, e.event_id, e.event_type, e.schema_version, dumps_data(e.data), e.actor,
             e.organisation, e.correlation_id, e.causation_id, e.recorded_at, e.previous_hash, e.hash, e.traceparent,
             dumps_data(e.data))
            for e in log
        ])
        if checkpoint is not None:
            await conn.execute(f"UPDATE {schema}.relay_checkpoint SET position = $1", checkpoint)
            await conn.execute(f"UPDATE {schema}.consumer_checkpoints SET position = $1 WHERE source = $2", checkpoint, schema)


async def _signed_log(
    pool: asyncpg.Pool, store: EventStore, nc: NatsClient, servers: Servers, database_url: str, deployment: str, tmp_path: Path,
) -> tuple[Log, Callable[[], Awaitable[list[str]]]]:
    """A log of `LOG_SIZE` events published to its stream, signed and read by a consumer: its
    events, and `audit verify` of it (the lines that are not intact)."""
    schema = store.schema
    for i in range(LOG_SIZE):
        data = {"note": f"ghi chú số {i}", "count": i, "share": 0.5}
        await store.append(f"dossier-{i % 4}", i // 4, [NewEvent(event_type="Noted", data=data)], META)
    js = nc.jetstream()
    await ensure_event_stream(js, deployment, schema, 120)
    await Relay(store, js, schema, deployment).publish_pending()
    await ensure_anchor_stream(js, deployment)
    settings = Settings(deployment_id=deployment, keys_dir=tmp_path)
    await Anchorer(pool, js, schema, deployment, load_or_create_key(settings.signing_key_file(schema))).sign_head()
    async with pool.acquire() as conn:
        await conn.execute(f"INSERT INTO {schema}.consumer_checkpoints VALUES ('reporting.pipeline', $1, $2)", schema, LOG_SIZE)
        original = [record_from_row(r) for r in await conn.fetch(f"SELECT {_COLUMNS} FROM {schema}.events ORDER BY position")]

    async def audit() -> list[str]:
        lines = await verify_logs(settings, servers.nats_url, database_url, service=schema, wait=0)
        return [line.text for line in lines if not line.intact]

    assert await audit() == []
    return original, audit


async def _every_trial_found(
    pool: asyncpg.Pool, schema: str, kind: str, audit: Callable[[], Awaitable[list[str]]],
    tamper: Callable[[asyncpg.Connection, random.Random, int], Awaitable[int]], restore: Callable[[asyncpg.Connection], Awaitable[None]],
) -> None:
    """`TRIALS` random trials: each tampers (returning the first wrong position), asks `audit
    verify`, restores; every one must be found there, in one line naming the log."""
    found = []
    for trial in range(TRIALS):
        rng = random.Random(f"{kind}-{trial}")
        async with pool.acquire() as conn:
            position = await tamper(conn, rng, trial)
            try:
                broken = await audit()
            finally:
                await restore(conn)
        found.append(broken == [broken[0]] and broken[0].startswith(f"{schema}: HỎNG tại vị trí {position}:") if broken else False)
        assert found[-1], (trial, position, broken)
    assert sum(found) == TRIALS
    assert await audit() == []


@pytest.mark.parametrize("kind", list(KINDS))
async def test_every_tampering_is_found_at_its_first_wrong_position(
    kind: str, pool: asyncpg.Pool, store: EventStore, nc: NatsClient, servers: Servers, database_url: str, deployment: str,
    tmp_path: Path,
) -> None:
    schema = store.schema
    original, audit = await _signed_log(pool, store, nc, servers, database_url, deployment, tmp_path)
    moved_back = kind == "tail-deleted-checkpoints-moved-back"

    async def tamper(conn: asyncpg.Connection, rng: random.Random, trial: int) -> int:
        tampered, position = KINDS[kind](original, rng, trial)
        await _rewrite(conn, schema, tampered, tampered[-1].position if moved_back else None)
        return position

    async def restore(conn: asyncpg.Connection) -> None:
        await _rewrite(conn, schema, original, LOG_SIZE if moved_back else None)

    await _every_trial_found(pool, schema, kind, audit, tamper, restore)


# The data's two texts, changed in place (the hash left alone). Each statement is given the
# position and a random note; `data->>'count'` written as 1.0 where it was 1 is the same number
# to jsonb's `=`, not the text that was hashed.
TEXT_KINDS = {
    "data-alone": "UPDATE {s}.events SET data = jsonb_set(data, '{{note}}', to_jsonb($2::text)) WHERE position = $1",
    "data-number-form-alone": "UPDATE {s}.events SET data = jsonb_set(data, '{{count}}', (data->>'count' || '.0')::jsonb) "
                              "WHERE position = $1 AND $2::text IS NOT NULL",
    "data-text-alone": "UPDATE {s}.events SET data_text = jsonb_set(data, '{{note}}', to_jsonb($2::text))::text WHERE position = $1",
    "data-text-not-json": "UPDATE {s}.events SET data_text = left(data_text, -1) || $2::text WHERE position = $1",
    "both-alike": "UPDATE {s}.events SET data = jsonb_set(data, '{{note}}', to_jsonb($2::text)), "
                  "data_text = jsonb_set(data, '{{note}}', to_jsonb($2::text))::text WHERE position = $1",
}


@pytest.mark.parametrize("kind", list(TEXT_KINDS))
async def test_the_data_and_the_text_its_hash_covers_cannot_be_changed_apart_or_together(
    kind: str, pool: asyncpg.Pool, store: EventStore, nc: NatsClient, servers: Servers, database_url: str, deployment: str,
    tmp_path: Path,
) -> None:
    schema = store.schema
    original, audit = await _signed_log(pool, store, nc, servers, database_url, deployment, tmp_path)

    async def tamper(conn: asyncpg.Connection, rng: random.Random, _: int) -> int:
        position = rng.randint(1, LOG_SIZE)
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute(TEXT_KINDS[kind].format(s=schema), position, f"đã sửa {rng.randrange(10**6)}")
        return position

    async def restore(conn: asyncpg.Connection) -> None:
        await _rewrite(conn, schema, original)

    await _every_trial_found(pool, schema, kind, audit, tamper, restore)
