"""Which voting chains belong to which cell and may still have a deadline open: the read model behind
"open deadlines under an organisation". Fed from this service's own log; rebuilt like any projection."""

from __future__ import annotations

import asyncpg

from services.voting.admission_case import STREAM_PREFIX
from shared.envelope import RecordedEvent
from shared.projections import Projection

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
    def __init__(self, schema: str) -> None:
        self.name = f"{schema}.case_index"
        self.schema = schema
        self.sources = (schema,)
        self.tables = {
            "case_index": """
                dossier_id  text    PRIMARY KEY,
                cell        text    NOT NULL,
                open        boolean NOT NULL
            """,
        }

    async def apply(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent, source: str) -> None:
        if not event.stream_id.startswith(STREAM_PREFIX):
            return
        dossier_id = event.stream_id.removeprefix(STREAM_PREFIX)
        if event.event_type == "CaseOpened":
            await conn.execute(
                f"INSERT INTO {schema}.case_index (dossier_id, cell, open) VALUES ($1, $2, true) "
                "ON CONFLICT (dossier_id) DO UPDATE SET cell = excluded.cell, open = true",
                dossier_id,
                event.data["cell"],
            )
        elif event.event_type == "CaseTransferred":
            await conn.execute(f"UPDATE {schema}.case_index SET cell = $2 WHERE dossier_id = $1", dossier_id, event.data["to_cell"])
        elif event.event_type in _ENDED:
            await conn.execute(f"UPDATE {schema}.case_index SET open = false WHERE dossier_id = $1", dossier_id)

    @staticmethod
    async def open_cases(conn: asyncpg.Connection, schema: str) -> list[tuple[str, str]]:
        rows = await conn.fetch(f"SELECT dossier_id, cell FROM {schema}.case_index WHERE open ORDER BY dossier_id")
        return [(r["dossier_id"], r["cell"]) for r in rows]
