"""The verification overview: every case's status and every subject's request and reply, across cases.

A projection of this service's own log and of the dossiers log (rebuildable, verifiable, buildable
as of the past); the overdue list reads it. From the dossiers log it takes only what ends a case's
work or moves it: a dossier withdrawn or rejected is no longer waited on (nobody is reminded of
its requests), and a dossier transferred is followed by its new cell's scope. It holds no names
and no finding texts, only codes, dates and states.
"""

from __future__ import annotations

import asyncpg

from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.projections import Projection
from ketnap.services.dossiers import events as dossier_events
from ketnap.services.verification.events import (
    HistoryCertified,
    VerificationBlocked,
    VerificationBlockLifted,
    VerificationOpened,
    VerificationReplyCorrected,
    VerificationReplyRecorded,
    VerificationRequestSent,
    decode,
)

_APPLIED = {
    "VerificationOpened",
    "VerificationRequestSent",
    "VerificationReplyRecorded",
    "VerificationReplyCorrected",
    "VerificationBlocked",
    "VerificationBlockLifted",
    "HistoryCertified",
}


_FROM_DOSSIERS = {"DossierWithdrawn", "DossierRejected", "DossierTransferred"}


class VerificationOverview(Projection):
    def __init__(self, schema: str, dossiers_source: str = "dossiers") -> None:
        self.name = f"{schema}.overview"
        self.schema = schema
        self.sources = (schema, dossiers_source)
        self.tables = {
            "case_overview": """
                dossier_id    text NOT NULL PRIMARY KEY,
                cell          text NOT NULL,
                status        text NOT NULL,
                certified_on  date
            """,
            "subject_overview": """
                dossier_id   text NOT NULL,
                subject_id   text NOT NULL,
                cell         text NOT NULL,
                relation     text NOT NULL,
                template     text NOT NULL,
                method       text NOT NULL,
                sent_to      text,
                sent_on      date,
                sent_by      text,
                replied_on   date,
                finding      text,
                PRIMARY KEY (dossier_id, subject_id)
            """,
        }

    def consumed(self, source: str) -> tuple[str, ...] | None:
        return tuple(sorted(_APPLIED if source == self.schema else _FROM_DOSSIERS))

    async def apply(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent, source: str) -> None:
        if source != self.schema:
            if event.event_type in _FROM_DOSSIERS:
                await self._dossier_moved_on(conn, schema, dossier_events.decode(event))
            return
        if event.event_type not in _APPLIED:
            return
        match decode(event):
            case VerificationOpened() as opened:
                await conn.execute(
                    f"INSERT INTO {schema}.case_overview (dossier_id, cell, status) VALUES ($1, $2, 'open')",
                    opened.dossier_id,
                    opened.cell,
                )
                await conn.executemany(
                    f"INSERT INTO {schema}.subject_overview (dossier_id, subject_id, cell, relation, template, method) "
                    "VALUES ($1, $2, $3, $4, $5, $6)",
                    [
                        (opened.dossier_id, s.subject_id, opened.cell, s.relation, s.template, s.method)
                        for s in opened.subjects
                    ],
                )
            case VerificationRequestSent() as sent:
                await conn.execute(
                    f"UPDATE {schema}.subject_overview SET sent_to = $3, sent_on = $4, sent_by = $5 "
                    "WHERE dossier_id = $1 AND subject_id = $2",
                    sent.dossier_id,
                    sent.subject_id,
                    sent.sent_to,
                    sent.sent_on,
                    sent.sent_by,
                )
            case VerificationReplyRecorded() | VerificationReplyCorrected() as reply:
                await conn.execute(
                    f"UPDATE {schema}.subject_overview SET replied_on = $3, finding = $4 "
                    "WHERE dossier_id = $1 AND subject_id = $2",
                    reply.dossier_id,
                    reply.subject_id,
                    reply.replied_on,
                    reply.finding,
                )
            case VerificationBlocked() as blocked:
                await self._status(conn, schema, blocked.dossier_id, "blocked")
            case VerificationBlockLifted() as lifted:
                await self._status(conn, schema, lifted.dossier_id, "open" if lifted.outcome == "continue" else "rejected")
            case HistoryCertified() as certified:
                await conn.execute(
                    f"UPDATE {schema}.case_overview SET status = 'certified', certified_on = $2 WHERE dossier_id = $1",
                    certified.dossier_id,
                    certified.certified_on,
                )

    async def _dossier_moved_on(self, conn: asyncpg.Connection, schema: str, event: dossier_events.Event) -> None:
        match event:
            case dossier_events.DossierWithdrawn() | dossier_events.DossierRejected():
                # A certified case keeps its word; only work still waited on ends.
                await conn.execute(
                    f"UPDATE {schema}.case_overview SET status = 'ended' WHERE dossier_id = $1 AND status IN ('open', 'blocked')",
                    event.dossier_id,
                )
            case dossier_events.DossierTransferred() as moved:
                for table in ("case_overview", "subject_overview"):
                    await conn.execute(f"UPDATE {schema}.{table} SET cell = $2 WHERE dossier_id = $1", moved.dossier_id, moved.to_cell)

    @staticmethod
    async def _status(conn: asyncpg.Connection, schema: str, dossier_id: str, status: str) -> None:
        await conn.execute(f"UPDATE {schema}.case_overview SET status = $2 WHERE dossier_id = $1", dossier_id, status)
