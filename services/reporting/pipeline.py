"""The admission pipeline (tiến độ hồ sơ): where each dossier stood on any day, how long it spent in
each step, and why dossiers were rejected; from the dossiers service's log.

The dossiers service owns a dossier's step: its log records every move, including those caused
by verification and voting (recorded by its process manager), so this projection reads that log
alone and its days are the business dates the events state.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import asyncpg

from ketnap.domain.rules import RuleCode
from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.rows import Rows
from ketnap.services.reporting.base import Inbound, KeyedProjection, on, parse
from ketnap.services.reporting.organisation_tree import Tree
from ketnap.services.reporting.periods import Period
from ketnap.services.reporting.workdays import working_days_between

STEPS: dict[str, str] = {
    "source_list": "trong danh sách cảm tình Đảng",
    "application": "đã nộp đơn xin vào Đảng",
    "verification": "đang thẩm tra lý lịch",
    "ready_for_cell_vote": "chờ chi bộ xét",
    "awaiting_decision": "chờ quyết định kết nạp",
    "awaiting_ceremony": "chờ tổ chức lễ kết nạp",
    "probation": "đảng viên dự bị",
    "recognition": "chờ xét công nhận đảng viên chính thức",
    "official": "đã là đảng viên chính thức",
    "name_removed": "đã xóa tên khỏi danh sách đảng viên dự bị",
    "withdrawn": "đã rút hồ sơ",
    "rejected": "đã bị bác",
    "refused": "cấp có thẩm quyền không kết nạp",
}
"""Every step in pipeline order, with its Vietnamese label."""

ORDER = list(STEPS)
assert len(ORDER) < 16, "dossiers_on keeps a step's place in ORDER in four bits"
ENDINGS = ("official", "name_removed", "withdrawn", "rejected", "refused")
OPEN_STEPS = tuple(s for s in ORDER if s not in ENDINGS)
BEFORE_DECISION = ("source_list", "application", "verification", "ready_for_cell_vote", "awaiting_decision")
"""A dossier in one of these steps is "in progress" against a quota: not yet decided."""

NO_RULE = "NONE"
"""A rejection by the committee's judgement, naming no rule."""


class Opened(Inbound):
    dossier_id: str
    cell: str
    opened_on: date


class StepFact(Inbound):
    dossier_id: str


class LetterSubmitted(StepFact):
    submitted_on: date


class HistoryDeclared(StepFact):
    declared_on: date


class Ready(StepFact):
    ready_on: date


class CellResolution(StepFact):
    adopted: bool
    meeting_on: date


class Decided(StepFact):
    """`AdmissionDecisionRecorded`, `AdmissionRefusalRecorded`, `BecameOfficialMember`, `NameRemoved`."""

    decision_date: date


class Ceremony(StepFact):
    held_on: date


class PapersCompleted(StepFact):
    completed_on: date


class Dated(StepFact):
    """`DossierWithdrawn`, `DossierSuspended`, `DossierResumed`."""

    on: date


class Rejected(Dated):
    rule: str | None = None


class Transferred(Dated):
    to_cell: str


ENTERED: dict[str, tuple[str, type[StepFact], str]] = {
    "ApplicationLetterSubmitted": ("application", LetterSubmitted, "submitted_on"),
    "PersonalHistoryDeclared": ("verification", HistoryDeclared, "declared_on"),
    "ReadyForCellVote": ("ready_for_cell_vote", Ready, "ready_on"),
    "AdmissionDecisionRecorded": ("awaiting_ceremony", Decided, "decision_date"),
    "AdmissionRefusalRecorded": ("refused", Decided, "decision_date"),
    "CeremonyHeld": ("probation", Ceremony, "held_on"),
    "RecognitionPapersCompleted": ("recognition", PapersCompleted, "completed_on"),
    "BecameOfficialMember": ("official", Decided, "decision_date"),
    "NameRemoved": ("name_removed", Decided, "decision_date"),
    "DossierWithdrawn": ("withdrawn", Dated, "on"),
}
"""An event of the dossiers log -> the step it moves the dossier to, how reporting reads it, and
the field that states the day. The moves that depend on more (a cell's resolution, a rejection)
have their own handlers."""


class Pipeline(KeyedProjection):
    concern = "pipeline"
    roles = ("dossiers",)
    tables = {
        "pipeline_dossiers": """
            dossier_id  text PRIMARY KEY,
            opened_on   date NOT NULL,
            cell        text NOT NULL,
            step        text NOT NULL,
            step_on     date NOT NULL,
            ended_on    date
        """,
        "pipeline_steps": """
            dossier_id    text    NOT NULL,
            step          text    NOT NULL,
            entered_on    date    NOT NULL,
            left_on       date,
            PRIMARY KEY (dossier_id, step)
        """,
        "pipeline_cells": """
            dossier_id  text NOT NULL,
            valid_from  date NOT NULL,
            cell        text NOT NULL,
            PRIMARY KEY (dossier_id, valid_from)
        """,
        "pipeline_rejections": """
            dossier_id   text PRIMARY KEY,
            rejected_on  date NOT NULL,
            rule         text NOT NULL
        """,
        "pipeline_suspensions": """
            dossier_id    text NOT NULL,
            suspended_on  date NOT NULL,
            resumed_on    date,
            PRIMARY KEY (dossier_id, suspended_on)
        """,
    }

    @on("dossiers", "DossierOpened")
    def opened(self, rows: Rows, event: RecordedEvent) -> None:
        e = parse(Opened, event)
        if rows.get("pipeline_dossiers", e.dossier_id) is not None:
            return  # opened once: a repeat changes nothing
        rows.add("pipeline_dossiers", dossier_id=e.dossier_id, opened_on=e.opened_on, cell=e.cell, step="source_list", step_on=e.opened_on)
        rows.add("pipeline_steps", dossier_id=e.dossier_id, step="source_list", entered_on=e.opened_on)
        rows.add("pipeline_cells", dossier_id=e.dossier_id, valid_from=e.opened_on, cell=e.cell)

    @on("dossiers", *ENTERED)
    def entered(self, rows: Rows, event: RecordedEvent) -> None:
        step, model, day = ENTERED[event.event_type]
        e = parse(model, event)
        self._enter(rows, e.dossier_id, step, getattr(e, day))

    @on("dossiers", "CellResolutionRecorded")
    def cell_resolution(self, rows: Rows, event: RecordedEvent) -> None:
        e = parse(CellResolution, event)
        if e.adopted:  # not adopted: the dossier's `DossierRejected` (CELL_2_3) follows
            self._enter(rows, e.dossier_id, "awaiting_decision", e.meeting_on)

    @on("dossiers", "DossierRejected")
    def rejected(self, rows: Rows, event: RecordedEvent) -> None:
        e = parse(Rejected, event)
        if rows.get("pipeline_dossiers", e.dossier_id) is None:
            return
        self._enter(rows, e.dossier_id, "rejected", e.on)
        if (rejection := rows.get("pipeline_rejections", e.dossier_id)) is None:
            rejection = rows.add("pipeline_rejections", dossier_id=e.dossier_id, rejected_on=e.on, rule=e.rule or NO_RULE)
        rejection.update(rejected_on=e.on, rule=e.rule or NO_RULE)

    @on("dossiers", "DossierSuspended")
    def suspended(self, rows: Rows, event: RecordedEvent) -> None:
        e = parse(Dated, event)
        if rows.get("pipeline_dossiers", e.dossier_id) is not None and rows.get("pipeline_suspensions", e.dossier_id, e.on) is None:
            rows.add("pipeline_suspensions", dossier_id=e.dossier_id, suspended_on=e.on)

    @on("dossiers", "DossierResumed")
    def resumed(self, rows: Rows, event: RecordedEvent) -> None:
        e = parse(Dated, event)
        for suspension in rows.of("pipeline_suspensions", e.dossier_id):
            if suspension["resumed_on"] is None:
                suspension["resumed_on"] = e.on

    @on("dossiers", "DossierTransferred")
    def transferred(self, rows: Rows, event: RecordedEvent) -> None:
        e = parse(Transferred, event)
        if (dossier := rows.get("pipeline_dossiers", e.dossier_id)) is None:
            return
        dossier["cell"] = e.to_cell
        if (since := rows.get("pipeline_cells", e.dossier_id, e.on)) is None:
            rows.add("pipeline_cells", dossier_id=e.dossier_id, valid_from=e.on, cell=e.to_cell)
        else:
            since["cell"] = e.to_cell

    def _enter(self, rows: Rows, dossier_id: str, step: str, entered_on: date) -> None:
        """The dossier moves to `step` on `entered_on`, leaving the step it was in (entering the
        step it is in again restarts it). Nothing happens to a dossier this log never opened."""
        if (dossier := rows.get("pipeline_dossiers", dossier_id)) is None:
            return
        if dossier["step"] != step and (left := rows.get("pipeline_steps", dossier_id, dossier["step"])) is not None:
            left["left_on"] = entered_on
        if (entered := rows.get("pipeline_steps", dossier_id, step)) is None:
            rows.add("pipeline_steps", dossier_id=dossier_id, step=step, entered_on=entered_on)
        else:
            entered.update(entered_on=entered_on, left_on=None)
        dossier.update(step=step, step_on=entered_on, ended_on=entered_on if step in ENDINGS else None)


# --- the reports -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InProgress:
    """A dossier not yet decided on the status day, where it stood then."""

    dossier_id: str
    cell: str
    step: str
    suspended: bool


@dataclass(frozen=True)
class StepSpent:
    step: str
    cell: str
    left_on: date
    working_days: int | None
    days: int


@dataclass(frozen=True)
class Ending:
    dossier_id: str
    step: str
    on: date
    cell: str
    rule: str | None


_CELL_ON = (
    "(SELECT c.cell FROM {s}.pipeline_cells c WHERE c.dossier_id = {d} AND c.valid_from <= {on} "
    "ORDER BY c.valid_from DESC LIMIT 1)"
)


async def dossiers_on(conn: asyncpg.Connection, schema: str, on: date, steps: Iterable[str] | None = None) -> list[InProgress]:
    """Every dossier opened by `on`, with its step, cell and suspension on that day; with `steps`,
    only those in one of them that day (a quota report wants the few still before a decision, not
    every dossier of the province: filtered in the database, not in Python after the read)."""
    # A dossier's step on `on` is its step entered last by then, the later in ORDER on a tie: the
    # greatest of (days since year 1) * 16 + (place in ORDER, 1 to 13), in one pass over the steps
    # (a sorted look-up per dossier took twice as long), its remainder by 16 the step's place.
    rows = await conn.fetch(
        f"""SELECT d.dossier_id, {_CELL_ON.format(s=schema, d='d.dossier_id', on='$1')} AS cell, ($2::text[])[s.last % 16] AS step,
               EXISTS (SELECT 1 FROM {schema}.pipeline_suspensions u WHERE u.dossier_id = d.dossier_id
                       AND u.suspended_on <= $1 AND (u.resumed_on IS NULL OR u.resumed_on > $1)) AS suspended
            FROM (SELECT dossier_id, max((entered_on - date '0001-01-01') * 16 + array_position($2::text[], step)) AS last
                  FROM {schema}.pipeline_steps WHERE entered_on <= $1 GROUP BY dossier_id) s
            JOIN {schema}.pipeline_dossiers d ON d.dossier_id = s.dossier_id
            WHERE d.opened_on <= $1 AND s.last IS NOT NULL AND ($3::text[] IS NULL OR ($2::text[])[s.last % 16] = ANY($3::text[]))
            ORDER BY d.dossier_id""",
        on,
        ORDER,
        None if steps is None else list(steps),
    )
    # The columns in InProgress's order; the cell is looked up only for the dossiers kept.
    return [InProgress(*r) for r in rows if r["cell"] is not None]


async def steps_left_between(conn: asyncpg.Connection, schema: str, start: date, end: date) -> list[StepSpent]:
    rows = await conn.fetch(
        f"""SELECT s.step, s.entered_on, s.left_on, {_CELL_ON.format(s=schema, d='s.dossier_id', on='s.left_on')} AS cell
            FROM {schema}.pipeline_steps s WHERE s.left_on BETWEEN $1 AND $2""",
        start,
        end,
    )
    return [
        StepSpent(r["step"], r["cell"], r["left_on"], _working_days(r["entered_on"], r["left_on"]), (r["left_on"] - r["entered_on"]).days)
        for r in rows
        if r["cell"] is not None
    ]


def _working_days(start: date, end: date) -> int | None:
    try:
        return working_days_between(start, end)
    except ValueError:  # a year the holiday calendar does not know
        return None


async def endings_between(conn: asyncpg.Connection, schema: str, start: date, end: date) -> list[Ending]:
    rows = await conn.fetch(
        f"""SELECT s.dossier_id, s.step, s.entered_on AS on, r.rule,
               {_CELL_ON.format(s=schema, d='s.dossier_id', on='s.entered_on')} AS cell
            FROM {schema}.pipeline_steps s
            LEFT JOIN {schema}.pipeline_rejections r ON r.dossier_id = s.dossier_id AND s.step = 'rejected'
            WHERE s.step = ANY($3::text[]) AND s.entered_on BETWEEN $1 AND $2
            ORDER BY s.entered_on, s.dossier_id""",
        start,
        end,
        list(ENDINGS),
    )
    return [Ending(**dict(r)) for r in rows if r["cell"] is not None]


def still_to_decide(dossiers: Iterable[InProgress], decided: set[str]) -> list[InProgress]:
    """Dossiers not yet decided on the status day: the "in progress" of a quota report. A dossier
    the voting log already decided is not counted, even if the dossiers log has not caught up."""
    return [d for d in dossiers if d.step in BEFORE_DECISION and d.dossier_id not in decided]


def pipeline_report(
    tree: Tree,
    organisation: str,
    status_on: date,
    period: Period | None,
    dossiers: Iterable[InProgress],
    spent: Iterable[StepSpent],
    endings: Iterable[Ending],
) -> dict:
    """Dossiers per open step for `organisation` and each unit under it on the status day; over the
    period (or up to the status day), time spent per step, endings, and rejections by rule code."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for dossier in dossiers:
        if dossier.step not in OPEN_STEPS:
            continue
        child = tree.attribute(organisation, dossier.cell, status_on)
        if child is None:
            continue
        for unit in {organisation, child}:
            counts[unit][dossier.step] += 1
            counts[unit]["suspended"] += dossier.suspended

    durations: dict[str, list[StepSpent]] = defaultdict(list)
    for item in spent:
        if tree.attribute(organisation, item.cell, item.left_on) is not None:
            durations[item.step].append(item)

    ended: Counter[str] = Counter()
    rejections: Counter[str] = Counter()
    for ending in endings:
        if tree.attribute(organisation, ending.cell, ending.on) is None:
            continue
        ended[ending.step] += 1
        if ending.step == "rejected":
            rejections[ending.rule or NO_RULE] += 1

    def line(code: str) -> dict:
        steps = counts.get(code, Counter())
        return {
            **tree.describe(code, status_on),
            "by_step": {s: steps[s] for s in OPEN_STEPS},
            "total": sum(steps[s] for s in OPEN_STEPS),
            "suspended": steps["suspended"],
        }

    return {
        **line(organisation),
        "status_on": status_on.isoformat(),
        **(period.as_dict() if period else {}),
        "steps": [{"step": s, "label": STEPS[s]} for s in OPEN_STEPS],
        "children": [line(c) for c in tree.children_on(organisation, status_on)],
        "time_per_step": [_spent(step, durations[step]) for step in ORDER if durations.get(step)],
        "endings": {s: ended[s] for s in ENDINGS},
        "rejections": [
            {"rule": rule, "label": _rule_label(rule), "count": n} for rule, n in sorted(rejections.items(), key=lambda x: (-x[1], x[0]))
        ],
    }


def _spent(step: str, items: list[StepSpent]) -> dict:
    working = [i.working_days for i in items if i.working_days is not None]
    return {
        "step": step,
        "label": STEPS[step],
        "dossiers": len(items),
        "average_days": round(sum(i.days for i in items) / len(items), 1),
        "average_working_days": round(sum(working) / len(working), 1) if working else None,
        "max_working_days": max(working) if working else None,
    }


def _rule_label(rule: str) -> str:
    if rule == NO_RULE:
        return "Cấp ủy có thẩm quyền quyết định không tiếp tục (không nêu quy định)"
    try:
        return RuleCode(rule).message
    except ValueError:
        return rule
