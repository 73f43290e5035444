"""Applicants' names, for the report rows that name a dossier (overdue deadlines, admissions counted
against a quota): a board reads "Nguyễn Văn An", not a UUID (issue 18).

A name is personal data: a report carries names only when the query asks for them (`names`), which
the gateway does for the roles that may read personal data, and records that read. The table keeps
the name only, never the citizen id (base.person_key).
"""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg

from ketnap.platform.envelope import RecordedEvent
from ketnap.services.reporting.admissions import PAPER, PaperAdmission, paper_admission_id
from ketnap.services.reporting.base import Inbound, ReportingProjection, on, parse, text


class Opened(Inbound):
    dossier_id: str
    full_name: str


class Applicant(Inbound):
    full_name: str


class Declared(Inbound):
    """`PersonalHistoryDeclared` and `PersonalHistoryCorrected`: the name as declared last."""

    dossier_id: str
    applicant: Applicant


class PaperMember(PaperAdmission):
    full_name: str


class Applicants(ReportingProjection):
    concern = "applicants"
    roles = ("dossiers", "registry")
    tables = {
        "applicant_names": """
            dossier_id  text PRIMARY KEY,
            full_name   text NOT NULL
        """,
    }

    async def _name(self, conn: asyncpg.Connection, schema: str, dossier_id: str, full_name: str) -> None:
        await conn.execute(
            f"INSERT INTO {schema}.applicant_names (dossier_id, full_name) VALUES ($1, $2) "
            "ON CONFLICT (dossier_id) DO UPDATE SET full_name = EXCLUDED.full_name",
            dossier_id, text(full_name) or "",
        )

    @on("dossiers", "DossierOpened")
    async def opened(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent) -> None:
        e = parse(Opened, event)
        await self._name(conn, schema, e.dossier_id, e.full_name)

    @on("dossiers", "PersonalHistoryDeclared", "PersonalHistoryCorrected")
    async def declared(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent) -> None:
        e = parse(Declared, event)
        await self._name(conn, schema, e.dossier_id, e.applicant.full_name)

    @on("registry", "MemberJoined")
    async def taken_over_from_paper(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent) -> None:
        """An admission decided on paper is listed by its stand-in id (admissions.paper_admission_id)."""
        e = parse(PaperMember, event)
        if e.how == PAPER and e.admitted_on is not None:
            await self._name(conn, schema, paper_admission_id(e.citizen_id, e.admitted_on), e.full_name)


async def names_of(conn: asyncpg.Connection, schema: str, dossier_ids: Iterable[str]) -> dict[str, str]:
    rows = await conn.fetch(
        f"SELECT dossier_id, full_name FROM {schema}.applicant_names WHERE dossier_id = ANY($1::text[])", sorted(set(dossier_ids))
    )
    return {r["dossier_id"]: r["full_name"] for r in rows}


def named(rows: list[dict], names: dict[str, str]) -> list[dict]:
    """Each row that names a dossier with the applicant's name beside it (None when not known)."""
    return [{**row, "full_name": names.get(row["dossier_id"])} for row in rows]
