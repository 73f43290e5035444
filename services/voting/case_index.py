"""Which voting chains belong to which cell and may still have a deadline open: the read model behind
"open deadlines under an organisation". Fed from this service's own log and the voting logs it keeps
from the linked deployments (a case opened below may be ended by a decision taken above); rebuilt
like any projection.

Live, each source log is applied by its own consumer, so the acts of one case may arrive in another
order than a rebuild (which merges the logs by recording time) applies them. Every row therefore
keeps the recording time of what it holds and an update only moves forward in time: the table ends
the same whatever the order.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.projections import Projection
from ketnap.services.voting.admission_case import STREAM_PREFIX

_ENDED = frozenset(
    {
        "CellResolutionNotAdopted",
        "GrassrootsResolutionNotAdopted",
        "AdmissionRefused",
        "RecognitionDecided",
        "NameRemovalDecided",
        "CaseClosed",
    }
)


class CaseIndex(Projection):
    def __init__(self, schema: str, kept: Sequence[str] = ()) -> None:
        # Named after its table: an existing deployment's new consumer starts from position 0 and
        # fills `case_cells` by itself, where the old `case_index` checkpoint sits at the head.
        self.name = f"{schema}.case_cells"
        self.schema = schema
        self.sources = (schema, *kept)
        self.tables = {
            # A new table name: the single-log table `case_index` had no recording times.
            "case_cells": """
                dossier_id  text        PRIMARY KEY,
                cell        text,
                cell_at     timestamptz,
                opened_at   timestamptz,
                ended_at    timestamptz,
                open        boolean GENERATED ALWAYS AS (
                                opened_at IS NOT NULL AND cell IS NOT NULL AND (ended_at IS NULL OR ended_at < opened_at)
                            ) STORED
            """,
        }

    async def apply(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent, source: str) -> None:
        if not event.stream_id.startswith(STREAM_PREFIX):
            return
        dossier_id = event.stream_id.removeprefix(STREAM_PREFIX)
        at = event.recorded_at
        if event.event_type == "CaseOpened":
            await self._cell(conn, schema, dossier_id, event.data["cell"], at, opened=True)
        elif event.event_type == "CaseTransferred":
            await self._cell(conn, schema, dossier_id, event.data["to_cell"], at, opened=False)
        elif event.event_type in _ENDED:
            await conn.execute(
                f"INSERT INTO {schema}.case_cells AS c (dossier_id, ended_at) VALUES ($1, $2) "
                "ON CONFLICT (dossier_id) DO UPDATE SET ended_at = greatest(c.ended_at, excluded.ended_at)",
                dossier_id,
                at,
            )

    @staticmethod
    async def _cell(conn: asyncpg.Connection, schema: str, dossier_id: str, cell: str, at: object, *, opened: bool) -> None:
        # The latest cell by recording time wins (ties by code, so the order of arrival never matters).
        await conn.execute(
            f"INSERT INTO {schema}.case_cells AS c (dossier_id, cell, cell_at, opened_at) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (dossier_id) DO UPDATE SET "
            "cell = CASE WHEN c.cell_at IS NULL OR (excluded.cell_at, excluded.cell) > (c.cell_at, c.cell) "
            "THEN excluded.cell ELSE c.cell END, "
            "cell_at = greatest(c.cell_at, excluded.cell_at), "
            "opened_at = greatest(c.opened_at, excluded.opened_at)",
            dossier_id,
            cell,
            at,
            at if opened else None,
        )

    @staticmethod
    async def open_cases(conn: asyncpg.Connection, schema: str) -> list[tuple[str, str]]:
        """Cases opened (or opened again) after whatever ended them last."""
        rows = await conn.fetch(f"SELECT dossier_id, cell FROM {schema}.case_cells WHERE open ORDER BY dossier_id")
        return [(r["dossier_id"], r["cell"]) for r in rows]
