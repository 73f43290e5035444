"""Deadlines in working days and months, and party age (ketnap.domain.rules.deadlines)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketnap.domain.calendar import add_months, is_working_day, working_days_between
from ketnap.domain.rules import RuleCode
from ketnap.domain.rules.deadlines import (
    ceremony_due_on,
    check_ceremony_deadline,
    check_decision_deadline,
    check_decision_extension,
    check_recognition_deadline,
    check_recognition_not_early,
    decision_due_on,
    member_history_due_on,
    official_date,
    party_age_months,
    probation_ends_on,
    recognition_decision_due_on,
    recognition_vote_due_on,
)
from ketnap.domain.rules.rule_sets import RULES_2025_07 as RULES

ONE_DAY = timedelta(days=1)
dates = st.dates(min_value=date(2021, 8, 1), max_value=date(2032, 12, 31))


class TestDecision:
    resolved = date(2025, 7, 1)

    def test_DECISION_60WD_due_60_working_days_after_the_cell_resolution(self) -> None:
        # Counted by hand; Quốc khánh (01-02/09/2025) pushes it from 23/09 to 25/09.
        assert decision_due_on(self.resolved, rules=RULES) == date(2025, 9, 25)

    def test_DECISION_60WD_with_an_extension_of_30_working_days(self) -> None:
        due = decision_due_on(self.resolved, rules=RULES, extension_working_days=30)
        assert due == date(2025, 11, 6)
        assert working_days_between(self.resolved, due) == 90

    def test_DECISION_60WD_decision_on_the_due_date_is_on_time(self) -> None:
        assert (
            check_decision_deadline(
                self.resolved, date(2025, 12, 1), rules=RULES, decided_on=date(2025, 9, 25)
            )
            is None
        )

    def test_DECISION_60WD_no_decision_the_day_after_the_due_date_is_overdue(self) -> None:
        assert check_decision_deadline(self.resolved, date(2025, 9, 25), rules=RULES) is None
        violation = check_decision_deadline(self.resolved, date(2025, 9, 26), rules=RULES)
        assert violation is not None and violation.code is RuleCode.DECISION_60WD
        assert violation.details == {
            "due_on": date(2025, 9, 25),
            "done": False,
            "checked_on": date(2025, 9, 26),
        }

    def test_DECISION_60WD_a_late_decision_is_flagged(self) -> None:
        violation = check_decision_deadline(
            self.resolved, date(2025, 12, 1), rules=RULES, decided_on=date(2025, 9, 29)
        )
        assert violation is not None and violation.details["done"] is True

    def test_DECISION_60WD_the_extension_moves_the_deadline(self) -> None:
        assert (
            check_decision_deadline(
                self.resolved, date(2025, 11, 6), rules=RULES, extension_working_days=30
            )
            is None
        )

    def test_DECISION_60WD_extension_of_30_working_days_is_accepted(self) -> None:
        assert check_decision_extension(30, rules=RULES) is None

    def test_DECISION_60WD_extension_of_31_working_days_is_refused(self) -> None:
        violation = check_decision_extension(31, rules=RULES)
        assert violation is not None and violation.code is RuleCode.DECISION_60WD
        assert violation.details["reason"] == "extension_too_long"

    def test_DECISION_60WD_a_second_extension_is_refused(self) -> None:
        violation = check_decision_extension(10, rules=RULES, previous_extensions=1)
        assert violation is not None and violation.details["reason"] == "extended_before"

    def test_DECISION_60WD_a_negative_extension_is_invalid_input(self) -> None:
        with pytest.raises(ValueError):
            check_decision_extension(-1, rules=RULES)

    @given(dates)
    def test_DECISION_60WD_due_date_is_a_working_day_60_working_days_later(
        self, resolved: date
    ) -> None:
        due = decision_due_on(resolved, rules=RULES)
        assert is_working_day(due)
        assert working_days_between(resolved, due) == 60


class TestCeremony:
    received = date(2026, 2, 2)

    def test_CEREMONY_30WD_due_30_working_days_after_receiving_the_decision(self) -> None:
        # Tết 2026 (16-20/02) is a whole week off: 23/03 instead of 16/03.
        assert ceremony_due_on(self.received, rules=RULES) == date(2026, 3, 23)

    def test_CEREMONY_30WD_held_on_the_due_date_is_on_time(self) -> None:
        assert (
            check_ceremony_deadline(
                self.received, date(2026, 5, 1), rules=RULES, held_on=date(2026, 3, 23)
            )
            is None
        )

    def test_CEREMONY_30WD_not_held_after_the_due_date_is_overdue(self) -> None:
        violation = check_ceremony_deadline(self.received, date(2026, 3, 24), rules=RULES)
        assert violation is not None and violation.code is RuleCode.CEREMONY_30WD

    def test_CEREMONY_30WD_late_with_the_upper_committee_s_agreement_is_accepted(self) -> None:
        assert (
            check_ceremony_deadline(
                self.received, date(2026, 6, 1), rules=RULES, upper_committee_agreed=True
            )
            is None
        )

    def test_member_history_due_30_working_days_after_the_ceremony(self) -> None:
        # Saturday 15/03/2025; the 30th working day is the make-up Saturday 26/04/2025.
        assert member_history_due_on(date(2025, 3, 15), rules=RULES) == date(2025, 4, 26)


class TestProbationAndRecognition:
    def test_probation_ends_12_months_after_the_ceremony(self) -> None:
        assert probation_ends_on(date(2025, 3, 16)) == date(2026, 3, 16)

    def test_ceremony_on_29_february_ends_probation_on_28_february(self) -> None:
        assert probation_ends_on(date(2024, 2, 29)) == date(2025, 2, 28)

    def test_official_date_is_ceremony_plus_12_months_whatever_the_decision_date(self) -> None:
        assert official_date(date(2025, 3, 16)) == date(2026, 3, 16)

    def test_RECOG_EARLY_vote_the_day_before_12_months_is_refused(self) -> None:
        violation = check_recognition_not_early(date(2025, 3, 16), date(2026, 3, 15))
        assert violation is not None and violation.code is RuleCode.RECOG_EARLY
        assert violation.details["probation_ends_on"] == date(2026, 3, 16)

    def test_RECOG_EARLY_vote_on_the_day_12_months_end_is_accepted(self) -> None:
        assert check_recognition_not_early(date(2025, 3, 16), date(2026, 3, 16)) is None

    def test_RECOG_30WD_vote_due_30_working_days_after_the_12_months(self) -> None:
        # Giỗ Tổ Hùng Vương 2026 is on Sunday 26/04, observed Monday 27/04.
        assert recognition_vote_due_on(date(2025, 3, 16), rules=RULES) == date(2026, 4, 28)

    def test_RECOG_30WD_no_vote_after_the_due_date_is_overdue(self) -> None:
        ceremony = date(2025, 3, 16)
        assert check_recognition_deadline(ceremony, date(2026, 4, 28), rules=RULES) is None
        violation = check_recognition_deadline(ceremony, date(2026, 4, 29), rules=RULES)
        assert violation is not None and violation.code is RuleCode.RECOG_30WD

    def test_RECOG_30WD_a_vote_held_in_time_is_not_flagged_later(self) -> None:
        assert (
            check_recognition_deadline(
                date(2025, 3, 16), date(2027, 1, 1), rules=RULES, voted_on=date(2026, 4, 1)
            )
            is None
        )

    def test_recognition_decision_due_30_working_days_after_the_cell_resolution(self) -> None:
        resolved = date(2026, 4, 1)
        due = recognition_decision_due_on(resolved, rules=RULES)
        assert working_days_between(resolved, due) == 30
        extended = recognition_decision_due_on(resolved, rules=RULES, extension_working_days=30)
        assert working_days_between(resolved, extended) == 60

    @given(dates)
    def test_RECOG_EARLY_changes_exactly_on_ceremony_plus_12_months(self, ceremony: date) -> None:
        ends = add_months(ceremony, 12)
        assert check_recognition_not_early(ceremony, ends) is None
        assert check_recognition_not_early(ceremony, ends - ONE_DAY) is not None


class TestPartyAge:
    admitted = date(2000, 5, 10)

    def test_counts_full_months_from_the_decision_date(self) -> None:
        assert party_age_months(self.admitted, date(2025, 5, 10)) == 300
        assert party_age_months(self.admitted, date(2025, 5, 9)) == 299

    def test_periods_out_of_the_party_are_deducted(self) -> None:
        out = [(date(2005, 3, 1), date(2009, 6, 1))]  # 51 months
        assert party_age_months(self.admitted, date(2025, 5, 10), out) == 249

    def test_a_period_still_running_counts_to_the_day_of_the_count(self) -> None:
        out = [(date(2024, 5, 10), None)]
        assert party_age_months(self.admitted, date(2025, 5, 10), out) == 288

    def test_overlapping_periods_are_counted_once(self) -> None:
        out = [(date(2005, 1, 10), date(2006, 1, 10)), (date(2005, 7, 10), date(2007, 1, 10))]
        assert party_age_months(self.admitted, date(2025, 5, 10), out) == 300 - 24

    def test_periods_outside_membership_are_ignored(self) -> None:
        out = [(date(1990, 1, 1), date(1995, 1, 1)), (date(2030, 1, 1), None)]
        assert party_age_months(self.admitted, date(2025, 5, 10), out) == 300

    def test_before_admission_party_age_is_zero(self) -> None:
        assert party_age_months(self.admitted, date(2000, 5, 9)) == 0
        assert party_age_months(self.admitted, self.admitted) == 0

    @given(
        dates,
        st.integers(min_value=0, max_value=600),
        st.lists(st.tuples(dates, st.integers(min_value=0, max_value=2000)), max_size=4),
    )
    def test_never_negative_nor_more_than_the_time_since_admission(
        self, admitted: date, days: int, periods: list[tuple[date, int]]
    ) -> None:
        on = admitted + timedelta(days=days)
        out = [(start, start + timedelta(days=length)) for start, length in periods]
        age = party_age_months(admitted, on, out)
        assert 0 <= age <= party_age_months(admitted, on)
