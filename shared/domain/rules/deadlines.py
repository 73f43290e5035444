"""Deadlines of the admission and probation steps (thời hạn), in working days or months.

Working days follow `ketnap.domain.calendar`: the start day never counts, and a due date is the last day
that is still on time. A step is late when it happens (or, while it has not happened, when
today is) strictly after its due date.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from ketnap.domain.calendar import add_months, add_working_days, age_in_months
from ketnap.domain.rules.codes import RuleCode, Violation
from ketnap.domain.rules.rule_sets import RuleSet

PROBATION_MONTHS = 12
"""Thời kỳ dự bị (Party Charter, art. 5): never extended, never shortened, in every rule set."""


def decision_due_on(
    cell_resolved_on: date, *, rules: RuleSet, extension_working_days: int = 0
) -> date:
    """Quyết định kết nạp: due 60 working days after the cell resolution, plus the extension the
    competent committee granted (checked by `check_decision_extension`)."""
    return add_working_days(
        cell_resolved_on, rules.decision_due_working_days + extension_working_days
    )


def check_decision_extension(
    extension_working_days: int, *, rules: RuleSet, previous_extensions: int = 0
) -> Violation | None:
    """DECISION_60WD — gia hạn: one extension only, of at most 30 working days. A negative
    extension is invalid input (ValueError)."""
    if extension_working_days < 0:
        raise ValueError(f"an extension cannot be negative, got {extension_working_days}")
    maximum = rules.decision_extension_max_working_days
    if previous_extensions > 0:
        return Violation.of(
            RuleCode.DECISION_60WD,
            "Chỉ được gia hạn một lần",
            reason="extended_before",
            previous_extensions=previous_extensions,
        )
    if extension_working_days <= maximum:
        return None
    return Violation.of(
        RuleCode.DECISION_60WD,
        f"Thời gian gia hạn không được quá {maximum} ngày làm việc",
        reason="extension_too_long",
        extension_working_days=extension_working_days,
        maximum_working_days=maximum,
    )


def _late(code: RuleCode, due_on: date, done_on: date | None, today: date) -> Violation | None:
    """Late if done after the due date, or not done and the due date has passed."""
    at = done_on if done_on is not None else today
    if at <= due_on:
        return None
    return Violation.of(code, due_on=due_on, done=done_on is not None, checked_on=at)


def check_decision_deadline(
    cell_resolved_on: date,
    today: date,
    *,
    rules: RuleSet,
    decided_on: date | None = None,
    extension_working_days: int = 0,
) -> Violation | None:
    """DECISION_60WD — flags a dossier with no decision 60 working days (+ extension) after the
    cell resolution, or a decision that came after that."""
    due = decision_due_on(
        cell_resolved_on, rules=rules, extension_working_days=extension_working_days
    )
    return _late(RuleCode.DECISION_60WD, due, decided_on, today)


def ceremony_due_on(decision_received_on: date, *, rules: RuleSet) -> date:
    """Lễ kết nạp: due 30 working days after the cell received the decision."""
    return add_working_days(decision_received_on, rules.ceremony_due_working_days)


def check_ceremony_deadline(
    decision_received_on: date,
    today: date,
    *,
    rules: RuleSet,
    held_on: date | None = None,
    upper_committee_agreed: bool = False,
) -> Violation | None:
    """CEREMONY_30WD — flags a ceremony not held within 30 working days of the cell receiving the
    decision, unless the committee above agreed to the delay."""
    if upper_committee_agreed:
        return None
    due = ceremony_due_on(decision_received_on, rules=rules)
    return _late(RuleCode.CEREMONY_30WD, due, held_on, today)


def member_history_due_on(ceremony_on: date, *, rules: RuleSet) -> date:
    """Lý lịch đảng viên: to be filed within 30 working days of the ceremony [S]."""
    return add_working_days(ceremony_on, rules.member_history_due_working_days)


def probation_ends_on(ceremony_on: date) -> date:
    """The day the 12 months of probation (thời kỳ dự bị), which start on the ceremony day, are
    complete: ceremony + 12 months (29/02 → 28/02). The recognition vote may be held from this
    day on."""
    return add_months(ceremony_on, PROBATION_MONTHS)


def official_date(ceremony_on: date) -> date:
    """Ngày công nhận chính thức: ceremony + 12 months, whatever the date of the recognition
    decision."""
    return probation_ends_on(ceremony_on)


def check_recognition_not_early(ceremony_on: date, vote_on: date) -> Violation | None:
    """RECOG_EARLY — the cell may vote on recognition only once the 12 months are complete."""
    ends_on = probation_ends_on(ceremony_on)
    if vote_on >= ends_on:
        return None
    return Violation.of(RuleCode.RECOG_EARLY, probation_ends_on=ends_on, vote_on=vote_on)


def recognition_vote_due_on(ceremony_on: date, *, rules: RuleSet) -> date:
    """Nghị quyết chi bộ công nhận chính thức: due 30 working days after the 12 months end."""
    return add_working_days(probation_ends_on(ceremony_on), rules.recognition_vote_due_working_days)


def check_recognition_deadline(
    ceremony_on: date, today: date, *, rules: RuleSet, voted_on: date | None = None
) -> Violation | None:
    """RECOG_30WD — flags a probationary member whose cell has not voted on recognition within
    30 working days after ceremony + 12 months."""
    due = recognition_vote_due_on(ceremony_on, rules=rules)
    return _late(RuleCode.RECOG_30WD, due, voted_on, today)


def recognition_decision_due_on(
    cell_resolved_on: date, *, rules: RuleSet, extension_working_days: int = 0
) -> date:
    """Quyết định công nhận chính thức: due 30 working days (+ an extension of at most 30) after
    the cell's recognition resolution."""
    return add_working_days(
        cell_resolved_on, rules.recognition_decision_due_working_days + extension_working_days
    )


def party_age_months(
    admitted_on: date,
    on: date,
    periods_out: Iterable[tuple[date, date | None]] = (),
) -> int:
    """Tuổi đảng in full months on ``on``: from the admission decision date, minus the periods out
    of the party.

    Each period is (left_on, back_on), ``back_on`` None while still out. Periods are clipped to
    [admitted_on, on] and overlapping ones merged; the result is the full months from
    ``admitted_on`` to ``on`` minus the full months of each period, never below 0. A period out
    shorter than a month deducts nothing.
    """
    if on <= admitted_on:
        return 0
    clipped = sorted(
        (max(left_on, admitted_on), min(back_on or on, on))
        for left_on, back_on in periods_out
    )
    merged: list[tuple[date, date]] = []
    for start, end in clipped:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    months_out = sum(age_in_months(start, end) for start, end in merged)
    return max(0, age_in_months(admitted_on, on) - months_out)
