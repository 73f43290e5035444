"""The audit timeline (nhật ký kiểm tra): every event of every log, indexed by stream, with its hash.

An inspector follows one dossier across services with it; each row names the event's log,
position and hash, so it can be checked against `ketnap audit verify`, and the trace it was
recorded in when the deployment traces (ketnap.platform.tracing). It keeps no event data
but the day the fact happened and the rule set it was judged under: what happened, when, who
recorded it, in which organisation.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

import asyncpg

from ketnap.domain.labels import EVENT_LABELS
from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.tracing import trace_id_of
from ketnap.services.reporting.base import DATE_FIELDS, ReportingProjection, business_date

DOSSIER_STREAMS = ("dossier-", "verification-", "voting-")
"""How the dossiers, verification and voting services name the streams of one dossier
(`<prefix><dossier_id>`): the dossier's whole history across services."""


class AuditTimeline(ReportingProjection):
    concern = "audit_timeline"
    roles = ("registry", "dossiers", "verification", "voting")
    tables = {
        # Keyed by stream first: a dossier's history is a lookup of its three streams.
        "audit_timeline": """
            stream_id       text        NOT NULL,
            source          text        NOT NULL,
            position        bigint      NOT NULL,
            stream_version  integer     NOT NULL,
            event_type      text        NOT NULL,
            occurred_on     date,
            rule_set        text,
            actor           text        NOT NULL,
            organisation    text,
            recorded_at     timestamptz NOT NULL,
            hash            text        NOT NULL,
            trace_id        text,
            PRIMARY KEY (stream_id, source, position)
        """,
    }
    added_columns: ClassVar[dict[str, tuple[str, ...]]] = {"audit_timeline": ("trace_id text",)}
    interleaved = False  # a row per event, whatever came before it

    def consumed(self, source: str) -> tuple[str, ...] | None:
        return None  # a row for every event of every log

    async def apply(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent, source: str) -> None:
        await self.apply_batch(conn, schema, [(source, event)])

    async def apply_batch(self, conn: asyncpg.Connection, schema: str, events: Sequence[tuple[str, RecordedEvent]]) -> None:
        """One row per event and no row depends on another: a build's batch goes by COPY (the
        cheapest way into PostgreSQL), a few events (live) by one INSERT, which costs fewer round
        trips than a COPY."""
        rows = [_row(source, event) for source, event in events]
        if len(rows) >= COPY_FROM:
            await conn.copy_records_to_table("audit_timeline", schema_name=schema, columns=COLUMNS, records=rows)
        elif rows:
            await conn.execute(
                f"INSERT INTO {schema}.audit_timeline ({', '.join(COLUMNS)}) SELECT * FROM unnest($1::text[], $2::text[], "
                "$3::bigint[], $4::integer[], $5::text[], $6::date[], $7::text[], $8::text[], $9::text[], $10::timestamptz[], "
                "$11::text[], $12::text[])",
                *(list(column) for column in zip(*rows, strict=True)),
            )


    builds_in_database = True

    async def build_in_database(
        self, conn: asyncpg.Connection, schema: str, source: str, log_table: str, after: int, up_to: int, moment: datetime | None
    ) -> tuple[int, list[int]]:
        """Every row of the log in one `INSERT ... SELECT`, the day and the rule set taken from the
        data in SQL as `_row` takes them: a build then reads only the events other projections
        apply (about half of a province's log was read and decoded for this table alone; issue
        21). An event with a date field whose text Python might read otherwise than SQL (an ISO
        form other than YYYY-MM-DD) is left to `apply_batch`."""
        found = await conn.fetchrow(
            f"WITH stated AS (SELECT position, stream_id, stream_version, event_type, {_RULE_SET} AS rule_set, actor, organisation, "
            f"recorded_at, hash, {_TRACE_ID} AS trace_id, {_DAYS_STATED} FROM {log_table} "
            "WHERE position > $1 AND position <= $2 AND ($3::timestamptz IS NULL OR recorded_at <= $3)), "
            f"picked AS (SELECT *, {_OCCURRED_ON} AS occurred_on, {_DOUBTFUL} AS doubtful FROM stated), "
            f"moved AS (INSERT INTO {schema}.audit_timeline ({', '.join(COLUMNS)}) SELECT stream_id, $4, position, stream_version, "
            "event_type, occurred_on, rule_set, actor, organisation, recorded_at, hash, trace_id FROM picked WHERE NOT doubtful) "
            "SELECT coalesce((SELECT max(position) FROM picked), $1) AS passed, "
            "coalesce((SELECT array_agg(position ORDER BY position) FROM picked WHERE doubtful), '{}') AS doubtful",
            after, up_to, moment, source,
        )
        return found["passed"], list(found["doubtful"])


_ISO_DAY = "'^[0-9]{4}-[0-9]{2}-[0-9]{2}$'"
_DAYS_STATED = ", ".join(f"data->>'{field}' AS day_{i}" for i, field in enumerate(DATE_FIELDS))
"""The text of each date field, taken from the data once (a number's or an object's text never
looks like YYYY-MM-DD, so whether it was JSON text need not be asked again)."""


def _date_of(i: int) -> str:
    # `date.fromisoformat` of YYYY-MM-DD in SQL: a valid day of years 1 to 9999, else nothing.
    return f"CASE WHEN day_{i} ~ {_ISO_DAY} AND left(day_{i}, 4) <> '0000' AND pg_input_is_valid(day_{i}, 'date') THEN day_{i}::date END"


def _truthy(field: str) -> str:
    # Python's truth of a JSON value: not absent, null, false, 0, "", [] or {}.
    return f"coalesce(data->'{field}' NOT IN ('null', 'false', '0', '\"\"', '[]', '{{}}'), false)"


def _text_of(field: str) -> str:
    return f"CASE WHEN jsonb_typeof(data->'{field}') = 'string' THEN data->>'{field}' END"


_OCCURRED_ON = (
    f"(SELECT CASE day WHEN '9999-12-31' THEN 'infinity'::date WHEN '0001-01-01' THEN '-infinity'::date ELSE day END "
    f"FROM (SELECT coalesce({', '.join(_date_of(i) for i in range(len(DATE_FIELDS)))}) AS day) AS first_day)"
)
"""`business_date` in SQL: the first of the date fields, in their order, that holds a day; the
first and last days Python knows stored as asyncpg stores them (-infinity, infinity)."""
_RULE_SET = f"CASE WHEN {_truthy('rule_set')} THEN {_text_of('rule_set')} ELSE {_text_of('dossier_rule_set')} END"
"""`data.get("rule_set") or data.get("dossier_rule_set")` when it is text, in SQL."""
_TRACE_ID = (
    "CASE WHEN coalesce(traceparent, '') = '' OR cardinality(string_to_array(traceparent, '-')) < 4 "
    "OR length(split_part(traceparent, '-', 2)) <> 32 OR split_part(traceparent, '-', 2) = repeat('0', 32) "
    "THEN NULL ELSE split_part(traceparent, '-', 2) END"
)
"""`trace_id_of` in SQL."""
_DOUBTFUL = " OR ".join(f"coalesce(length(day_{i}) IN (7, 8, 10) AND day_{i} !~ {_ISO_DAY}, false)" for i in range(len(DATE_FIELDS)))
"""A date field in another form `date.fromisoformat` may read (YYYYMMDD, week dates): left to Python."""


COLUMNS = ("stream_id", "source", "position", "stream_version", "event_type", "occurred_on", "rule_set", "actor", "organisation",
           "recorded_at", "hash", "trace_id")
COPY_FROM = 50
"""Events from which a batch goes by COPY rather than INSERT."""


def _row(source: str, event: RecordedEvent) -> tuple[Any, ...]:
    rule_set = event.data.get("rule_set") or event.data.get("dossier_rule_set")
    return (
        event.stream_id, source, event.position, event.stream_version, event.event_type, business_date(event.data),
        rule_set if isinstance(rule_set, str) else None, event.actor, event.organisation, event.recorded_at, event.hash,
        trace_id_of(event.traceparent),
    )


async def dossier_history(conn: asyncpg.Connection, schema: str, dossier_id: str) -> list[dict[str, Any]]:
    """Every event of the dossier's streams in every log, in the order they were recorded."""
    rows = await conn.fetch(
        f"SELECT * FROM {schema}.audit_timeline WHERE stream_id = ANY($1::text[]) ORDER BY recorded_at, source, position",
        [prefix + dossier_id for prefix in DOSSIER_STREAMS],
    )
    return [
        {
            "recorded_at": r["recorded_at"].isoformat(),
            "occurred_on": r["occurred_on"].isoformat() if r["occurred_on"] else None,
            "event_type": r["event_type"],
            "label": EVENT_LABELS.get(r["event_type"], r["event_type"]),
            "actor": r["actor"],
            "organisation": r["organisation"],
            "rule_set": r["rule_set"],
            "log": r["source"],
            "position": r["position"],
            "stream_id": r["stream_id"],
            "stream_version": r["stream_version"],
            "hash": r["hash"],
            "trace_id": r["trace_id"],
        }
        for r in rows
    ]
