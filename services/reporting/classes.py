"""Classes held (lớp bồi dưỡng): awareness classes (nhận thức về Đảng) and new-member classes
(đảng viên mới), their attendees and certificates, from the registry's log.

A class counts in the period it ended in, for every organisation above its organiser on that day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from ketnap.platform.envelope import RecordedEvent
from ketnap.services.reporting.base import Inbound, ReportingProjection, on, parse, text
from ketnap.services.reporting.organisation_tree import Tree
from ketnap.services.reporting.periods import Period

KINDS = {"awareness": "Lớp bồi dưỡng nhận thức về Đảng", "new_member": "Lớp bồi dưỡng đảng viên mới"}


class ClassHeld(Inbound):
    class_id: str
    kind: str
    organiser: str
    title: str | None = None
    start_date: date
    end_date: date
    attendees: list[dict[str, Any]]


class CertificatesIssued(Inbound):
    class_id: str
    certificates: list[dict[str, Any]]


class Classes(ReportingProjection):
    concern = "classes"
    roles = ("registry",)
    tables = {
        "classes": """
            class_id      text    PRIMARY KEY,
            kind          text    NOT NULL,
            organiser     text    NOT NULL,
            title         text,
            start_date    date    NOT NULL,
            end_date      date    NOT NULL,
            attendees     integer NOT NULL,
            certificates  integer NOT NULL DEFAULT 0
        """,
    }

    @on("registry", "ClassHeld")
    async def held(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent) -> None:
        e = parse(ClassHeld, event)
        await conn.execute(
            f"INSERT INTO {schema}.classes (class_id, kind, organiser, title, start_date, end_date, attendees) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (class_id) DO UPDATE SET kind = EXCLUDED.kind, "
            "organiser = EXCLUDED.organiser, title = EXCLUDED.title, start_date = EXCLUDED.start_date, "
            "end_date = EXCLUDED.end_date, attendees = EXCLUDED.attendees",
            e.class_id, e.kind, e.organiser, text(e.title), e.start_date, e.end_date, len(e.attendees),
        )

    @on("registry", "CertificatesIssued")
    async def certificates(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent) -> None:
        e = parse(CertificatesIssued, event)
        await conn.execute(
            f"UPDATE {schema}.classes SET certificates = certificates + $2 WHERE class_id = $1", e.class_id, len(e.certificates)
        )


@dataclass(frozen=True)
class ClassRecord:
    class_id: str
    kind: str
    organiser: str
    title: str | None
    start_date: date
    end_date: date
    attendees: int
    certificates: int


def classes_report(tree: Tree, organisation: str, period: Period, classes: list[ClassRecord]) -> dict:
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"classes": 0, "attendees": 0, "certificates": 0})
    listed = []
    for record in sorted(classes, key=lambda c: (c.end_date, c.class_id)):
        if not period.contains(record.end_date) or tree.attribute(organisation, record.organiser, record.end_date) is None:
            continue
        total = totals[record.kind]
        total["classes"] += 1
        total["attendees"] += record.attendees
        total["certificates"] += record.certificates
        listed.append(
            {"class_id": record.class_id, "kind": record.kind, "organiser": record.organiser, "title": record.title,
             "start_date": record.start_date.isoformat(), "end_date": record.end_date.isoformat(),
             "attendees": record.attendees, "certificates": record.certificates}
        )
    kinds = [*KINDS, *sorted(k for k in totals if k not in KINDS)]
    return {
        **tree.describe(organisation, period.status_on(period.end)),
        **period.as_dict(),
        "by_kind": [{"kind": k, "label": KINDS.get(k, k), **totals[k]} for k in kinds],
        "classes": listed,
    }


async def classes_ended_between(conn: asyncpg.Connection, schema: str, start: date, end: date) -> list[ClassRecord]:
    rows = await conn.fetch(f"SELECT * FROM {schema}.classes WHERE end_date BETWEEN $1 AND $2", start, end)
    return [ClassRecord(**dict(r)) for r in rows]
