"""The audit timeline built in the database (`AuditTimeline.build_in_database`, a rebuild whose logs
are local) holds the same rows as built from the events in Python, whatever the data's dates, rule
sets and trace contexts look like."""

from __future__ import annotations

import random

import asyncpg

from ketnap.platform import projections
from ketnap.platform.bus.logread import DatabaseLogReader
from ketnap.platform.envelope import EventMetadata, NewEvent
from ketnap.platform.eventstore import EventStore
from ketnap.services.reporting.audit_timeline import AuditTimeline
from ketnap.services.reporting.base import DATE_FIELDS
from tests.integration.harness import new_schema

# Texts a date field may hold: days in every ISO form `date.fromisoformat` reads, impossible days,
# year 0, other words, and values that are not text at all.
DATES = ["2025-03-04", "2024-02-29", "2025-02-29", "0000-01-01", "0001-01-01", "9999-12-31", "20250304", "2025-W10", "2025W10", "2025-W10-2",
         "2025W102", "2025-W53-1", "2025-13-01", "2025-1-4", "04/03/2025", "hôm nay", "", "２０２５-03-04", 20250304, None, True,
         ["2025-03-04"], {"day": "2025-03-04"}]
RULE_SETS = ["2021", "", None, 0, 0.0, False, 1, [], {}, ["2021"], "2013"]
TRACES = [None, "", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
          "00-4bf92f3577b34da6a3ce929d0e0e4736", "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", "x-y-z-w"]


def _data(rng: random.Random) -> dict:
    data: dict = {"dossier_id": "d"}
    for field in rng.sample(DATE_FIELDS, rng.randrange(4)):
        data[field] = rng.choice(DATES)
    for field in ("rule_set", "dossier_rule_set"):
        if rng.random() < 0.6:
            data[field] = rng.choice(RULE_SETS)
    return data


async def test_built_in_the_database_it_equals_built_from_the_events(pool: asyncpg.Pool) -> None:
    log = await new_schema(pool)
    store = EventStore(pool, log)
    rng = random.Random(21)
    for i in range(60):
        meta = EventMetadata(actor="officer-1", organisation=rng.choice(["CB-01", None]), traceparent=rng.choice(TRACES))
        await store.append(f"dossier-{i}", 0, [NewEvent(event_type="Noted", data=_data(rng)) for _ in range(5)], meta)
    in_database, from_events = await new_schema(pool, owns_log=False), await new_schema(pool, owns_log=False)
    timeline = AuditTimeline(in_database, {"registry": log, "dossiers": [], "verification": [], "voting": []})
    assert timeline.sources == (log,)

    built = await projections.build(pool, timeline, in_database)
    # A reader of its own: the events read and applied in Python, as for logs read through the bus.
    read = await projections.build(pool, timeline, from_events, reader=DatabaseLogReader(pool))

    assert built == read == {log: 300}
    async with pool.acquire() as conn:
        assert await conn.fetchval(f"SELECT count(*) FROM {in_database}.audit_timeline") == 300
        assert await projections.compare(conn, timeline, in_database, from_events) == []
        # Rows name days, rule sets and traces; some events were left to Python (week dates, YYYYMMDD).
        assert await conn.fetchval(f"SELECT count(occurred_on) FROM {in_database}.audit_timeline") > 50
        assert await conn.fetchval(f"SELECT count(rule_set) FROM {in_database}.audit_timeline") > 50
        assert await conn.fetchval(f"SELECT count(trace_id) FROM {in_database}.audit_timeline") > 10
        aside = await new_schema(pool, owns_log=False)
        await projections.create_tables(conn, timeline, aside)
        passed, left = await timeline.build_in_database(conn, aside, log, f"{log}.events", 100, 250, None)
        assert passed == 250 and left and all(100 < p <= 250 for p in left)
        assert await conn.fetchval(f"SELECT count(*) FROM {aside}.audit_timeline") == 150 - len(left)


async def test_as_of_a_position_it_stops_there_as_the_events_do(pool: asyncpg.Pool) -> None:
    log = await new_schema(pool)
    rng = random.Random(7)
    for i in range(10):
        await EventStore(pool, log).append(f"dossier-{i}", 0, [NewEvent(event_type="Noted", data=_data(rng)) for _ in range(3)],
                                           EventMetadata(actor="officer-1"))
    in_database, from_events = await new_schema(pool, owns_log=False), await new_schema(pool, owns_log=False)
    timeline = AuditTimeline(in_database, {"registry": log, "dossiers": [], "verification": [], "voting": []})
    as_of = projections.AsOf(positions={log: 17})
    assert await projections.build(pool, timeline, in_database, as_of=as_of) == {log: 17}
    assert await projections.build(pool, timeline, from_events, as_of=as_of, reader=DatabaseLogReader(pool)) == {log: 17}
    async with pool.acquire() as conn:
        assert await conn.fetchval(f"SELECT max(position) FROM {in_database}.audit_timeline") == 17
        assert await projections.compare(conn, timeline, in_database, from_events) == []
