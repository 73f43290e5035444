"""Admission decisions (quyết định kết nạp), from the voting service's `AdmissionDecided` and the
registry's admissions taken over from paper (`MemberJoined` with `how` = paper_admission): the facts
behind "achieved", new-member statistics and cells without admissions, the same for both.

The cell is the one the decision names; the tree decides, at the decision date, which
organisations above it the admission counts for.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import asyncpg

from ketnap.domain.rules import NoRuleSetInForce, rule_set_on
from ketnap.platform.bus.consumer import Unapplicable
from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.rows import Rows
from ketnap.services.reporting.base import Inbound, KeyedProjection, on, parse


@dataclass(frozen=True)
class Admission:
    dossier_id: str
    cell: str
    decided_by: str
    decision_number: str
    decision_date: date
    rule_set: str


class AdmissionDecided(Inbound):
    dossier_id: str
    organisation: str
    decided_by: str
    decision_number: str
    decision_date: date
    rule_set: str


class PaperAdmission(Inbound):
    """A registry `MemberJoined`, as far as an admission taken over from paper needs it."""

    citizen_id: str
    organisation: str
    how: str = "registration"
    admitted_on: date | None = None
    decision_number: str | None = None
    decided_by: str | None = None


PAPER = "paper_admission"
_PAPER_NAMESPACE = uuid.UUID("6b1c2f0e-8a4d-4f5e-9c3b-7d2a1e0f4b59")


def paper_admission_id(citizen_id: str, admitted_on: date) -> str:
    """The stand-in for a dossier id of a paper admission: stable, and not the person's CCCD (reports
    list admissions by this id)."""
    return str(uuid.uuid5(_PAPER_NAMESPACE, f"{citizen_id}:{admitted_on.isoformat()}"))


class Admissions(KeyedProjection):
    concern = "admissions"
    roles = ("voting", "registry")
    tables = {
        "admissions": """
            dossier_id       text NOT NULL PRIMARY KEY,
            cell             text NOT NULL,
            decided_by       text NOT NULL,
            decision_number  text NOT NULL,
            decision_date    date NOT NULL,
            rule_set         text NOT NULL,
            position         bigint NOT NULL
        """,
    }

    def key_of(self, event: RecordedEvent) -> str | None:
        if event.event_type == "MemberJoined":
            return paper_key(event)
        return super().key_of(event)

    @on("voting", "AdmissionDecided")
    def decided(self, rows: Rows, event: RecordedEvent) -> None:
        e = parse(AdmissionDecided, event)
        # One admission per dossier: a later decision for the same dossier (a re-admission after
        # the chain started again) replaces the earlier one.
        admission = rows.get("admissions", e.dossier_id) or rows.add("admissions", dossier_id=e.dossier_id)
        admission.update(cell=e.organisation, decided_by=e.decided_by, decision_number=e.decision_number,
                         decision_date=e.decision_date, rule_set=e.rule_set, position=event.position)

    @on("registry", "MemberJoined")
    def taken_over_from_paper(self, rows: Rows, event: RecordedEvent) -> None:
        """An admission decided on paper counts like one decided here, under the rule set of its date."""
        e = parse(PaperAdmission, event)
        if e.how != PAPER or e.admitted_on is None:
            return
        dossier_id = paper_admission_id(e.citizen_id, e.admitted_on)
        if rows.get("admissions", dossier_id) is None:
            rows.add("admissions", dossier_id=dossier_id, cell=e.organisation, decided_by=e.decided_by or "",
                     decision_number=e.decision_number or "", decision_date=e.admitted_on,
                     rule_set=_rule_set_id(e.admitted_on), position=event.position)


def paper_key(event: RecordedEvent) -> str | None:
    """The stand-in id a registry `MemberJoined` taken over from paper is listed by (None: not
    such an event, or one the handler will refuse): the batch's keys are gathered before its
    handlers run."""
    try:
        e = parse(PaperAdmission, event)
    except Unapplicable:
        return None
    return paper_admission_id(e.citizen_id, e.admitted_on) if e.how == PAPER and e.admitted_on is not None else None


def _rule_set_id(on: date) -> str:
    # The registry refuses a paper admission no rule set covers (NO_RULE_SET); an older record from
    # before that check still counts, with no rule set named.
    try:
        return rule_set_on(on).id
    except NoRuleSetInForce:
        return ""


async def admissions_between(conn: asyncpg.Connection, schema: str, start: date, end: date) -> list[Admission]:
    rows = await conn.fetch(
        f"SELECT dossier_id, cell, decided_by, decision_number, decision_date, rule_set FROM {schema}.admissions "
        "WHERE decision_date BETWEEN $1 AND $2 ORDER BY decision_date, dossier_id",
        start,
        end,
    )
    return [Admission(**dict(r)) for r in rows]


async def last_admission_per_cell(conn: asyncpg.Connection, schema: str, on: date) -> dict[str, date]:
    rows = await conn.fetch(
        f"SELECT cell, max(decision_date) AS last FROM {schema}.admissions WHERE decision_date <= $1 GROUP BY cell", on
    )
    return {r["cell"]: r["last"] for r in rows}


async def decided_among(conn: asyncpg.Connection, schema: str, dossier_ids: list[str], on: date) -> set[str]:
    """Which of these dossiers had an admission decision by `on`."""
    rows = await conn.fetch(
        f"SELECT dossier_id FROM {schema}.admissions WHERE decision_date <= $1 AND dossier_id = ANY($2::text[])",
        on,
        dossier_ids,
    )
    return {r["dossier_id"] for r in rows}
