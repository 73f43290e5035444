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
from ketnap.platform.rows import Rows
from ketnap.services.reporting.admissions import PAPER, PaperAdmission, paper_admission_id, paper_key
from ketnap.services.reporting.base import Inbound, KeyedProjection, on, parse, text


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


class Applicants(KeyedProjection):
    concern = "applicants"
    roles = ("dossiers", "registry")
    tables = {
        "applicant_names": """
            dossier_id  text PRIMARY KEY,
            full_name   text NOT NULL
        """,
    }

    def key_of(self, event: RecordedEvent) -> str | None:
        if event.event_type == "MemberJoined":
            return paper_key(event)
        return super().key_of(event)

    def _name(self, rows: Rows, dossier_id: str, full_name: str) -> None:
        named = rows.get("applicant_names", dossier_id) or rows.add("applicant_names", dossier_id=dossier_id)
        named["full_name"] = text(full_name) or ""

    @on("dossiers", "DossierOpened")
    def opened(self, rows: Rows, event: RecordedEvent) -> None:
        e = parse(Opened, event)
        self._name(rows, e.dossier_id, e.full_name)

    @on("dossiers", "PersonalHistoryDeclared", "PersonalHistoryCorrected")
    def declared(self, rows: Rows, event: RecordedEvent) -> None:
        e = parse(Declared, event)
        self._name(rows, e.dossier_id, e.applicant.full_name)

    @on("registry", "MemberJoined")
    def taken_over_from_paper(self, rows: Rows, event: RecordedEvent) -> None:
        """An admission decided on paper is listed by its stand-in id (admissions.paper_admission_id)."""
        e = parse(PaperMember, event)
        if e.how == PAPER and e.admitted_on is not None:
            self._name(rows, paper_admission_id(e.citizen_id, e.admitted_on), e.full_name)


async def names_of(conn: asyncpg.Connection, schema: str, dossier_ids: Iterable[str]) -> dict[str, str]:
    rows = await conn.fetch(
        f"SELECT dossier_id, full_name FROM {schema}.applicant_names WHERE dossier_id = ANY($1::text[])", sorted(set(dossier_ids))
    )
    return {r["dossier_id"]: r["full_name"] for r in rows}


def named(rows: list[dict], names: dict[str, str]) -> list[dict]:
    """Each row that names a dossier with the applicant's name beside it (None when not known)."""
    return [{**row, "full_name": names.get(row["dossier_id"])} for row in rows]
