"""The audit timeline (nhật ký kiểm tra): every event of every log, indexed by stream, with its hash.

An inspector follows one dossier across services with it; each row names the event's log,
position and hash, so it can be checked against `ketnap audit verify`.
"""

from __future__ import annotations

import asyncpg

from shared.envelope import RecordedEvent
from shared.projections import Projection


class AuditTimeline(Projection):
    name = "reporting.audit_timeline"
    schema = "reporting"
    sources = ("registry", "dossiers", "verification", "voting")
    tables = {
        "audit_timeline": """
            source          text        NOT NULL,
            position        bigint      NOT NULL,
            stream_id       text        NOT NULL,
            stream_version  integer     NOT NULL,
            event_type      text        NOT NULL,
            actor           text        NOT NULL,
            organisation    text,
            recorded_at     timestamptz NOT NULL,
            hash            text        NOT NULL,
            PRIMARY KEY (source, position)
        """,
    }

    async def apply(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent, source: str) -> None:
        await conn.execute(
            f"INSERT INTO {schema}.audit_timeline "
            "(source, position, stream_id, stream_version, event_type, actor, organisation, recorded_at, hash) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            source,
            event.position,
            event.stream_id,
            event.stream_version,
            event.event_type,
            event.actor,
            event.organisation,
            event.recorded_at,
            event.hash,
        )
