"""Deadlines (thời hạn) of each dossier: when each started, when it is due in working days, and when it
was met, waived or made moot; from the dossiers log (the steps) and the voting log (recognition
votes, a ceremony delay agreed by the committee above).

| kind | rule | starts | due (shared/domain/rules/deadlines.py) | met by |
|---|---|---|---|---|
| decision | DECISION_60WD | cell resolution adopted | 60 working days (+ extension) | admission decided or refused |
| ceremony | CEREMONY_30WD | the cell received the decision | 30 working days | ceremony held (waived: delay agreed) |
| member_history | — [S] | ceremony | 30 working days | member history filed |
| recognition_vote | RECOG_30WD | ceremony | 12 months + 30 working days | a recognition vote of the cell |
| recognition_decision | — | the cell's resolution proposing recognition | 30 working days (+ extension) | recognition decided, or the name removed |

The recognition decision's clock starts on the day of the cell's resolution proposing recognition
(Quy định 29-QĐ/TW and 232-QĐ/TW, 4.3.1: "trong thời hạn 30 ngày làm việc kể từ ngày chi bộ có nghị
quyết đề nghị công nhận đảng viên chính thức"), as the voting service counts it; the grassroots
committee's resolution in between does not restart it. Like the admission decision's, it may be
extended once, by up to 30 working days. domain.md §4 gives it no rule code.

A deadline is open on a day when it has started and is neither met nor waived, and its dossier
has not ended; overdue when its due date has passed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

import asyncpg

from ketnap.domain.calendar import working_days_between
from ketnap.domain.rules import recorded_rule_set
from ketnap.domain.rules.deadlines import (
    ceremony_due_on,
    decision_due_on,
    member_history_due_on,
    recognition_decision_due_on,
    recognition_vote_due_on,
)
from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.rows import Row, Rows
from ketnap.services.reporting.base import Inbound, KeyedProjection, on, parse
from ketnap.services.reporting.organisation_tree import Tree

KINDS = {
    "decision": ("DECISION_60WD", "Quyết định kết nạp (60 ngày làm việc từ nghị quyết chi bộ)"),
    "ceremony": ("CEREMONY_30WD", "Lễ kết nạp (30 ngày làm việc từ khi chi bộ nhận quyết định)"),
    "member_history": (None, "Lý lịch đảng viên (30 ngày làm việc từ lễ kết nạp)"),
    "recognition_vote": ("RECOG_30WD", "Chi bộ xét công nhận chính thức (30 ngày làm việc sau 12 tháng dự bị)"),
    "recognition_decision": (None, "Quyết định công nhận đảng viên chính thức (30 ngày làm việc từ nghị quyết chi bộ đề nghị)"),
}


def _due(compute: Callable[[], date]) -> date | None:
    try:
        return compute()
    except ValueError:  # a year the holiday calendar does not know
        return None


class Fact(Inbound):
    dossier_id: str


class CellResolution(Fact):
    adopted: bool
    meeting_on: date
    rule_set: str | None = None


class Extended(Fact):
    by_working_days: int
    decision: str | None = None


class Decided(Fact):
    decision_date: date


class Received(Fact):
    received_on: date


class Ceremony(Fact):
    held_on: date
    received_decision_on: date


class Filed(Fact):
    filed_on: date


class Agreed(Fact):
    agreed_on: date


class RecognitionVote(Fact):
    meeting_on: date


class RecognitionResolution(RecognitionVote):
    level: str
    rule_set: str | None = None


Met = tuple[str, str, type[Fact], str]
"""The deadline's kind, the column the event sets, how reporting reads the event, the field that states the day."""

MET_IN_DOSSIERS: dict[str, Met] = {
    "AdmissionDecisionRecorded": ("decision", "done_on", Decided, "decision_date"),
    "AdmissionRefusalRecorded": ("decision", "done_on", Decided, "decision_date"),
    "MemberHistoryFiled": ("member_history", "done_on", Filed, "filed_on"),
}
MET_IN_VOTING: dict[str, Met] = {
    "CeremonyDelayAgreed": ("ceremony", "waived_on", Agreed, "agreed_on"),
    "RecognitionResolutionRejected": ("recognition_vote", "done_on", RecognitionVote, "meeting_on"),
    "RecognitionVoteFailed": ("recognition_vote", "done_on", RecognitionVote, "meeting_on"),
}
MET = {**MET_IN_DOSSIERS, **MET_IN_VOTING}
"""The events that meet (or waive) a deadline and do nothing else; no type is in both logs."""


class Deadlines(KeyedProjection):
    concern = "deadlines"
    roles = ("dossiers", "voting")
    tables = {
        "deadlines": """
            dossier_id              text    NOT NULL,
            kind                    text    NOT NULL,
            started_on              date,
            due_on                  date,
            rule_set                text,
            extension_working_days  integer NOT NULL DEFAULT 0,
            done_on                 date,
            waived_on               date,
            PRIMARY KEY (dossier_id, kind)
        """,
    }
    # Columns by source: the dossiers log owns started_on, due_on, rule_set, extension and done_on
    # of every kind but `recognition_vote` and `recognition_decision`; the voting log owns the
    # former's done_on and waived_on, and every column of the latter.

    def _row(self, rows: Rows, dossier_id: str, kind: str) -> Row:
        """The deadline's row, added (every column NULL, no extension) if it has none yet."""
        return rows.get("deadlines", dossier_id, kind) or rows.add("deadlines", dossier_id=dossier_id, kind=kind)

    def _start(self, rows: Rows, dossier_id: str, kind: str, started_on: date, due_on: date | None, rule_set: str | None) -> None:
        self._row(rows, dossier_id, kind).update(started_on=started_on, due_on=due_on, rule_set=rule_set)

    def _merge(self, rows: Rows, dossier_id: str, kind: str, column: str, day: date | None) -> None:
        """Record the earliest day something met (or waived) the deadline."""
        row = self._row(rows, dossier_id, kind)
        row[column] = _earliest(row[column], day)

    @on("dossiers", *MET_IN_DOSSIERS)
    @on("voting", *MET_IN_VOTING)
    def met(self, rows: Rows, event: RecordedEvent) -> None:
        kind, column, model, day = MET[event.event_type]
        e = parse(model, event)
        self._merge(rows, e.dossier_id, kind, column, getattr(e, day))

    @on("dossiers", "CellResolutionRecorded")
    def cell_resolution(self, rows: Rows, event: RecordedEvent) -> None:
        e = parse(CellResolution, event)
        if not e.adopted:
            return
        rules = recorded_rule_set(e.rule_set, e.meeting_on)
        due = _due(lambda: decision_due_on(e.meeting_on, rules=rules))
        self._start(rows, e.dossier_id, "decision", e.meeting_on, due, rules.id)

    def _extend(self, rows: Rows, dossier_id: str, kind: str, by_working_days: int, due_on: Callable[..., date]) -> None:
        """Add an extension to a deadline of `kind` and, if it has started, move its due date;
        nothing if it has no row."""
        if (row := rows.get("deadlines", dossier_id, kind)) is None:
            return
        row["extension_working_days"] += by_working_days
        if row["started_on"] is None:
            return
        rules = recorded_rule_set(row["rule_set"], row["started_on"])
        row["due_on"] = _due(lambda: due_on(row["started_on"], rules=rules, extension_working_days=row["extension_working_days"]))

    @on("dossiers", "DecisionDeadlineExtensionRecorded")
    def extended(self, rows: Rows, event: RecordedEvent) -> None:
        """The admission decision's extension; the recognition decision's is read from voting's log."""
        e = parse(Extended, event)
        if e.decision == "recognition":
            return
        self._extend(rows, e.dossier_id, "decision", e.by_working_days, decision_due_on)

    @on("dossiers", "DecisionReceivedByCell")
    def received(self, rows: Rows, event: RecordedEvent) -> None:
        e = parse(Received, event)
        rules = recorded_rule_set(None, e.received_on)
        self._start(rows, e.dossier_id, "ceremony", e.received_on, _due(lambda: ceremony_due_on(e.received_on, rules=rules)), rules.id)

    @on("dossiers", "CeremonyHeld")
    def ceremony(self, rows: Rows, event: RecordedEvent) -> None:
        """Meets the ceremony deadline (started now if the cell's receipt was stated only with the
        ceremony) and starts the member-history and recognition-vote ones."""
        e = parse(Ceremony, event)
        received_rules, rules = recorded_rule_set(None, e.received_decision_on), recorded_rule_set(None, e.held_on)
        ceremony = self._row(rows, e.dossier_id, "ceremony")
        if ceremony["started_on"] is None:
            ceremony.update(
                started_on=e.received_decision_on,
                due_on=_due(lambda: ceremony_due_on(e.received_decision_on, rules=received_rules)),
                rule_set=received_rules.id,
            )
        ceremony["done_on"] = _earliest(ceremony["done_on"], e.held_on)
        self._start(rows, e.dossier_id, "member_history", e.held_on, _due(lambda: member_history_due_on(e.held_on, rules=rules)), rules.id)
        self._start(rows, e.dossier_id, "recognition_vote", e.held_on, _due(lambda: recognition_vote_due_on(e.held_on, rules=rules)), rules.id)

    @on("voting", "RecognitionResolutionAdopted")
    def recognition_proposed(self, rows: Rows, event: RecordedEvent) -> None:
        """A vote for recognition meets the recognition-vote deadline; the cell's starts the decision's clock."""
        e = parse(RecognitionResolution, event)
        self._merge(rows, e.dossier_id, "recognition_vote", "done_on", e.meeting_on)
        if e.level != "cell":
            return
        rules = recorded_rule_set(e.rule_set, e.meeting_on)
        due = _due(lambda: recognition_decision_due_on(e.meeting_on, rules=rules))
        self._start(rows, e.dossier_id, "recognition_decision", e.meeting_on, due, rules.id)

    @on("voting", "DecisionDeadlineExtended")
    def recognition_extended(self, rows: Rows, event: RecordedEvent) -> None:
        """Voting extends the recognition decision once the cell proposed recognition. An admission
        extension (named so, or older and earlier in the same log, finding no such deadline) changes
        nothing here: the dossiers log's record of it extends the admission decision."""
        e = parse(Extended, event)
        if e.decision == "admission":
            return
        self._extend(rows, e.dossier_id, "recognition_decision", e.by_working_days, recognition_decision_due_on)

    @on("voting", "RecognitionDecided", "NameRemovalDecided")
    def recognition_decided(self, rows: Rows, event: RecordedEvent) -> None:
        """Recognised, or the name removed: the competent committee has decided on the proposal."""
        e = parse(Decided, event)
        if (row := rows.get("deadlines", e.dossier_id, "recognition_decision")) is not None:
            row["done_on"] = _earliest(row["done_on"], e.decision_date)


def _earliest(day: date | None, other: date | None) -> date | None:
    """SQL's `least`: the earlier of two days, NULL only when both are."""
    return other if day is None else day if other is None else min(day, other)


# --- the report --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenDeadline:
    dossier_id: str
    kind: str
    started_on: date
    due_on: date | None
    cell: str


async def open_deadlines(conn: asyncpg.Connection, schema: str, on_day: date) -> list[OpenDeadline]:
    """Deadlines open on `on_day`, with the cell their dossier was in that day (pipeline tables)."""
    rows = await conn.fetch(
        f"""SELECT t.dossier_id, t.kind, t.started_on, t.due_on,
               (SELECT c.cell FROM {schema}.pipeline_cells c WHERE c.dossier_id = t.dossier_id AND c.valid_from <= $1
                ORDER BY c.valid_from DESC LIMIT 1) AS cell
            FROM {schema}.deadlines t JOIN {schema}.pipeline_dossiers d ON d.dossier_id = t.dossier_id
            WHERE t.started_on <= $1 AND (t.done_on IS NULL OR t.done_on > $1) AND (t.waived_on IS NULL OR t.waived_on > $1)
              AND (d.ended_on IS NULL OR d.ended_on > $1)
            ORDER BY t.due_on NULLS LAST, t.dossier_id, t.kind""",
        on_day,
    )
    return [OpenDeadline(**dict(r)) for r in rows if r["cell"] is not None]


def deadlines_report(tree: Tree, organisation: str, on_day: date, deadlines: Iterable[OpenDeadline], *, overdue_only: bool) -> dict:
    per_unit: dict[str, Counter[str]] = defaultdict(Counter)
    per_due: dict[date | None, Counter[str]] = defaultdict(Counter)
    items = []
    for deadline in deadlines:
        child = tree.attribute(organisation, deadline.cell, on_day)
        if child is None:
            continue
        overdue = deadline.due_on is not None and deadline.due_on < on_day
        for unit in {organisation, child}:
            per_unit[unit]["open"] += 1
            per_unit[unit]["overdue"] += overdue
        per_due[deadline.due_on]["open"] += 1
        per_due[deadline.due_on]["overdue"] += overdue
        if overdue_only and not overdue:
            continue
        rule, label = KINDS.get(deadline.kind, (None, deadline.kind))
        items.append(
            {"dossier_id": deadline.dossier_id, "kind": deadline.kind, "rule": rule, "label": label, "cell": deadline.cell,
             "counted_for": child, "started_on": deadline.started_on.isoformat(),
             "due_on": deadline.due_on.isoformat() if deadline.due_on else None, "overdue": overdue,
             "working_days_late": _late(deadline.due_on, on_day) if overdue else 0}
        )

    def line(code: str) -> dict:
        return {**tree.describe(code, on_day), "open": per_unit[code]["open"], "overdue": per_unit[code]["overdue"]}

    return {
        **line(organisation),
        "on": on_day.isoformat(),
        "overdue_only": overdue_only,
        "children": [line(c) for c in tree.children_on(organisation, on_day)],
        "by_due_date": [
            {"due_on": due.isoformat() if due else None, "open": counts["open"], "overdue": counts["overdue"]}
            for due, counts in sorted(per_due.items(), key=lambda x: (x[0] is None, x[0] or date.min))
        ],
        "items": items,
    }


def _late(due_on: date, on_day: date) -> int | None:
    try:
        return working_days_between(due_on, on_day)
    except ValueError:
        return None
