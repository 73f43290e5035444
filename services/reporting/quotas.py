"""Quota vs achieved (chỉ tiêu và kết quả kết nạp): each organisation's assigned quota per year or
term, from the registry's log; and the comparison with the admissions of its subtree.

Achieved = admission decisions dated in the period, each counted for every organisation above
its cell on the decision date. The children's quotas are reported beside the parent's: their sum
may differ from it (domain.md §2, step 0).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date

import asyncpg

from ketnap.platform.envelope import RecordedEvent
from ketnap.services.reporting.admissions import Admission
from ketnap.services.reporting.base import Inbound, ReportingProjection, on, parse
from ketnap.services.reporting.organisation_tree import Tree
from ketnap.services.reporting.periods import Period, percent
from ketnap.services.reporting.pipeline import ORDER, InProgress


class QuotaAssigned(Inbound):
    organisation: str
    period_kind: str
    period: str
    quantity: int
    assigned_by: str
    decision_date: date
    decision_number: str | None = None


class QuotaChanged(Inbound):
    organisation: str
    period: str
    quantity: int
    decision_date: date
    decision_number: str | None = None


class Quotas(ReportingProjection):
    concern = "quotas"
    roles = ("registry",)
    tables = {
        "quotas": """
            organisation     text    NOT NULL,
            period           text    NOT NULL,
            period_kind      text    NOT NULL,
            quantity         integer NOT NULL,
            assigned_by      text    NOT NULL,
            decision_date    date    NOT NULL,
            decision_number  text,
            changes          integer NOT NULL DEFAULT 0,
            PRIMARY KEY (organisation, period)
        """,
    }

    @on("registry", "QuotaAssigned")
    async def assigned(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent) -> None:
        e = parse(QuotaAssigned, event)
        await conn.execute(
            f"INSERT INTO {schema}.quotas (organisation, period, period_kind, quantity, assigned_by, decision_date, "
            "decision_number) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (organisation, period) DO UPDATE SET "
            "period_kind = EXCLUDED.period_kind, quantity = EXCLUDED.quantity, assigned_by = EXCLUDED.assigned_by, "
            "decision_date = EXCLUDED.decision_date, decision_number = EXCLUDED.decision_number",
            e.organisation, e.period.replace("–", "-"), e.period_kind, e.quantity, e.assigned_by, e.decision_date,
            e.decision_number,
        )

    @on("registry", "QuotaChanged")
    async def changed(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent) -> None:
        e = parse(QuotaChanged, event)
        await conn.execute(
            f"UPDATE {schema}.quotas SET quantity = $3, decision_date = $4, decision_number = $5, changes = changes + 1 "
            "WHERE organisation = $1 AND period = $2",
            e.organisation, e.period.replace("–", "-"), e.quantity, e.decision_date, e.decision_number,
        )


# --- the report --------------------------------------------------------------------------------------


def quota_progress(
    tree: Tree,
    organisation: str,
    period: Period,
    status_on: date,
    quotas: dict[str, int],
    admissions: Iterable[Admission],
    in_progress: Iterable[InProgress],
) -> dict:
    """The quota report of `organisation` and each unit that sat directly under it during `period`."""
    achieved: Counter[str] = Counter()
    counted: list[dict[str, str]] = []
    for admission in sorted(admissions, key=lambda a: (a.decision_date, a.dossier_id)):
        if not period.contains(admission.decision_date):
            continue
        child = tree.attribute(organisation, admission.cell, admission.decision_date)
        if child is None:
            continue
        achieved[organisation] += 1
        if child != organisation:
            achieved[child] += 1
        counted.append(
            {"dossier_id": admission.dossier_id, "cell": admission.cell, "decision_number": admission.decision_number,
             "decision_date": admission.decision_date.isoformat(), "decided_by": admission.decided_by,
             "counted_for": child, "rule_set": admission.rule_set}
        )
    pending: dict[str, Counter[str]] = {}
    for dossier in in_progress:
        child = tree.attribute(organisation, dossier.cell, status_on)
        if child is None:
            continue
        for unit in {organisation, child}:
            steps = pending.setdefault(unit, Counter())
            steps[dossier.step] += 1
            steps["suspended"] += dossier.suspended
    children = [c for c in tree.children_during(organisation, period.start, period.end)]
    children += sorted(c for c in achieved if c != organisation and c not in children)

    def line(code: str) -> dict:
        unit = tree.unit_on(code, status_on)
        quota = quotas.get(code)
        steps = pending.get(code, Counter())
        return {
            **tree.describe(code, status_on),
            "quota": quota,
            "achieved": achieved[code],
            "percent": percent(achieved[code], quota),
            "in_progress": _in_progress(steps),
            "exists_on_status_day": unit is not None,
        }

    child_quotas = [quotas[c] for c in children if c in quotas]
    return {
        **line(organisation),
        "status_on": status_on.isoformat(),
        **period.as_dict(),
        "children_quota_total": sum(child_quotas) if child_quotas else None,
        "children": [line(c) for c in children],
        "admissions": counted,
    }


def _in_progress(steps: Counter[str]) -> dict:
    by_step = {step: steps[step] for step in ORDER if steps[step]}
    return {"total": sum(by_step.values()), "suspended": steps["suspended"], "by_step": by_step}


async def quotas_for(conn: asyncpg.Connection, schema: str, period: Period) -> dict[str, int]:
    rows = await conn.fetch(f"SELECT organisation, quantity FROM {schema}.quotas WHERE period = $1", period.label)
    return {r["organisation"]: r["quantity"] for r in rows}
