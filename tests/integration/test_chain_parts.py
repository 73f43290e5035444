"""A long log walked in parts at once (ketnap.platform.chainparts: one connection a part, one snapshot)
finds what one pass finds: the same first wrong position and kind, and the same head hash when
intact, wherever a tampering falls against the parts' bounds."""

from __future__ import annotations

import asyncpg
import pytest

from ketnap.platform.chainparts import PARTS_VARIABLE, parts_for, split
from ketnap.platform.envelope import GENESIS_HASH, EventMetadata, NewEvent
from ketnap.platform.eventstore import EventStore
from ketnap.platform.logcheck import walk_part
from tests.integration.test_audit_verify import tamper

META = EventMetadata(actor="officer-1", organisation="CB-01")
SIZE = 30
PARTS = 3
"""Parts of 1..10, 11..20 and 21..30."""


def test_the_parts_cover_every_position_once_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    assert split(1, 30, 3) == [(1, 10), (11, 20), (21, 30)]
    assert split(5, 11, 3) == [(5, 6), (7, 8), (9, 11)]
    assert split(1, 2, 4) == [(1, 1), (2, 2)]
    monkeypatch.delenv(PARTS_VARIABLE, raising=False)
    assert parts_for(1_000, cores=2) == 1  # a short walk is not worth a connection
    assert parts_for(1_000_000, cores=2) == 2
    assert parts_for(1_000_000, cores=64) == 4
    monkeypatch.setenv(PARTS_VARIABLE, "1")  # one pass, whatever the cores
    assert parts_for(1_000_000, cores=2) == 1


async def walks(pool: asyncpg.Pool, database_url: str, schema: str) -> tuple:
    async with pool.acquire() as conn:
        one = await walk_part(conn, schema, 0, GENESIS_HASH, limit=2**62)
        parted = await walk_part(conn, schema, 0, GENESIS_HASH, limit=2**62, database_url=database_url, parts=PARTS)
    return one, parted


@pytest.mark.parametrize(
    ("statements", "position", "kind"),
    [
        ([], None, None),
        (["UPDATE {s}.events SET actor = 'officer-2' WHERE position = 25"], 25, "altered"),  # inside the last part
        (["UPDATE {s}.events SET actor = 'officer-2' WHERE position = 10"], 10, "altered"),  # the last of the first part
        (["DELETE FROM {s}.events WHERE position = 11"], 11, "gap"),  # the first of the second part
        (["DELETE FROM {s}.events WHERE position = 10"], 10, "gap"),  # the one a later part starts after
        (["UPDATE {s}.events SET previous_hash = repeat('1', 64) WHERE position = 21"], 21, "broken_link"),
        (["UPDATE {s}.events SET actor = 'x' WHERE position = 22", "DELETE FROM {s}.events WHERE position = 5"], 5, "gap"),
        (["DELETE FROM {s}.events WHERE position > 27"], None, None),  # a cut tail is the copies' to find
    ],
    ids=["intact", "changed-inside-last", "changed-at-a-bound", "deleted-first-of-a-part", "deleted-before-a-part",
         "unlinked-first-of-a-part", "two-the-earlier-wins", "tail-cut"],
)
async def test_parts_at_once_find_what_one_pass_finds(
    pool: asyncpg.Pool, store: EventStore, database_url: str, statements: list[str], position: int | None, kind: str | None
) -> None:
    for i in range(SIZE):
        await store.append(f"dossier-{i % 4}", i // 4, [NewEvent(event_type="Noted", data={"note": f"ghi chú {i}", "n": i / 7})], META)
    await tamper(pool, *(s.format(s=store.schema) for s in statements))
    one, parted = await walks(pool, database_url, store.schema)
    assert parted == one
    if position is None:
        assert parted.broken is None and parted.intact_to == parted.head
    else:
        assert parted.broken is not None and (parted.broken.position, parted.broken.kind) == (position, kind)
        assert parted.intact_to == position - 1


async def test_a_part_is_walked_on_its_own_connection_on_the_snapshot_it_was_given(
    pool: asyncpg.Pool, store: EventStore, database_url: str
) -> None:
    from ketnap.platform.chainparts import _walk_in_snapshot

    for i in range(SIZE):
        await store.append(f"dossier-{i % 4}", i // 4, [NewEvent(event_type="Noted", data={"note": f"ghi chú {i}"})], META)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
        expected = await conn.fetchval(f"SELECT hash FROM {store.schema}.events WHERE position = 20")
        await store.append("after-the-snapshot", 0, [NewEvent(event_type="Noted", data={"note": "sau"})], META)
        found = await _walk_in_snapshot(database_url, snapshot, store.schema, 11, 20)
    assert found is not None  # None: no connection, and the part would be walked by the caller
    assert found == (20, expected, None)
