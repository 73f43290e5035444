"""Deadline flags from the recorded dates: DECISION_60WD, CEREMONY_30WD, RECOG_30WD (ketnap.services.voting.deadlines)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ketnap.domain.calendar import add_working_days
from ketnap.platform.commands import RuleViolation
from ketnap.services.voting.admission_case import AdmissionCase
from ketnap.services.voting.deadlines import Deadline, deadlines_of
from tests.unit.voting.builders import (
    CELL,
    MEETING_ON,
    UPPER,
    UPPER_DECIDES,
    admitted,
    ballots,
    chain,
    on_probation,
    opened,
    probationary,
    proposed_by_grassroots,
    roster,
)

DECISION_DUE = date(2025, 12, 3)
"""60 working days after 10/09/2025 (the holidays of 2/9 are before it)."""


def step(case: AdmissionCase, name: str, today: date) -> Deadline:
    (found,) = [d for d in deadlines_of(case, today) if d.step == name]
    return found


class TestDecisionDeadline:
    def test_DECISION_60WD_due_sixty_working_days_after_the_cell_resolution(self) -> None:
        assert add_working_days(MEETING_ON, 60) == DECISION_DUE
        case = proposed_by_grassroots()
        on_the_day = step(case, "admission_decision", DECISION_DUE)
        assert (on_the_day.code, on_the_day.due_on, on_the_day.overdue, on_the_day.open) == ("DECISION_60WD", DECISION_DUE, False, True)
        day_after = step(case, "admission_decision", date(2025, 12, 4))
        assert day_after.overdue
        assert day_after.to_json()["message"].startswith("Quá 60 ngày làm việc")

    def test_DECISION_60WD_the_extension_moves_the_due_date(self) -> None:
        case = proposed_by_grassroots()
        case.extend_decision_deadline(decided_by=UPPER, on=date(2025, 11, 20), by_working_days=30, competent=UPPER_DECIDES)
        extended = step(case, "admission_decision", date(2026, 1, 15))
        assert extended.due_on == date(2026, 1, 15) and not extended.overdue and extended.extension_working_days == 30
        assert step(case, "admission_decision", date(2026, 1, 16)).overdue

    def test_DECISION_60WD_a_late_decision_stays_flagged_and_an_early_one_is_kept(self) -> None:
        late = proposed_by_grassroots()
        late.decide_admission(decided_by=UPPER, decision_date=date(2025, 12, 4), admitted=True, decision_number="1", reason=None,
                              competent=UPPER_DECIDES, chain=chain())
        flagged = step(late, "admission_decision", date(2026, 6, 1))
        assert flagged.done_on == date(2025, 12, 4) and flagged.overdue and not flagged.open
        kept = step(admitted(), "admission_decision", date(2026, 6, 1))
        assert not kept.overdue

    def test_no_decision_deadline_before_an_adopted_cell_resolution_nor_after_a_withdrawal(self) -> None:
        case = opened()
        assert deadlines_of(case, date(2026, 6, 1)) == []
        case.record_cell_resolution(cell=CELL, meeting_on=MEETING_ON, ballots=ballots(agree=[1]), roster=roster(9))
        assert deadlines_of(case, date(2026, 6, 1)) == []
        withdrawn = proposed_by_grassroots()
        withdrawn.close(on=date(2025, 10, 1), why="withdrawn")
        assert deadlines_of(withdrawn, date(2026, 6, 1)) == []


class TestCeremonyDeadline:
    def test_CEREMONY_30WD_due_thirty_working_days_after_the_cell_received_the_decision(self) -> None:
        case = admitted()
        case.record_cell_notified(received_on=date(2025, 10, 3))
        due = add_working_days(date(2025, 10, 3), 30)
        assert not step(case, "ceremony", due).overdue
        late = step(case, "ceremony", due + timedelta(days=1))
        assert late.overdue and late.code == "CEREMONY_30WD"

    def test_CEREMONY_30WD_not_overdue_when_the_committee_above_agreed(self) -> None:
        case = admitted()
        case.record_cell_notified(received_on=date(2025, 10, 3))
        case.agree_ceremony_delay(agreed_by=UPPER, agreed_on=date(2025, 11, 1), chain=chain())
        agreed = step(case, "ceremony", date(2026, 3, 1))
        assert agreed.upper_committee_agreed and not agreed.overdue

    def test_CEREMONY_30WD_the_delay_is_agreed_only_by_a_committee_above_the_cell(self) -> None:
        case = admitted()
        with pytest.raises(RuleViolation, match="AUTHORITY"):
            case.agree_ceremony_delay(agreed_by=CELL, agreed_on=date(2025, 11, 1), chain=chain())

    def test_CEREMONY_30WD_a_ceremony_held_in_time_closes_it(self) -> None:
        case = on_probation()
        held = step(case, "ceremony", date(2026, 6, 1))
        assert held.done_on == date(2025, 10, 15) and not held.overdue


class TestRecognitionDeadline:
    def test_RECOG_30WD_due_thirty_working_days_after_the_twelve_months(self) -> None:
        case = on_probation()
        due = add_working_days(date(2026, 10, 15), 30)
        assert not step(case, "recognition_cell_resolution", due).overdue
        late = step(case, "recognition_cell_resolution", date(2026, 11, 28))
        assert late.due_on == due and late.overdue and late.code == "RECOG_30WD"

    def test_RECOG_30WD_the_cell_resolution_closes_it(self) -> None:
        case = on_probation()
        case.record_recognition_cell_resolution(
            cell=CELL, meeting_on=date(2026, 10, 20), ballots=ballots(agree=range(1, 7)), roster=roster(9, probationary(999)), chain=chain()
        )
        voted = step(case, "recognition_cell_resolution", date(2026, 12, 31))
        assert voted.done_on == date(2026, 10, 20) and not voted.overdue
        decision = step(case, "recognition_decision", date(2026, 12, 31))
        assert decision.code is None and decision.due_on == add_working_days(date(2026, 10, 20), 30) and decision.overdue
