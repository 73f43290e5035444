"""Validity of the class certificate and of the dossier's introductions (ketnap.domain.rules.validity)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ketnap.domain.calendar import add_months
from ketnap.domain.rules import RuleCode
from ketnap.domain.rules.rule_sets import RULES_2025_07 as RULES
from ketnap.domain.rules.validity import (
    check_class_certificate_validity,
    check_introductions_current,
    class_certificate_valid_until,
    dossier_current_until,
)

ONE_DAY = timedelta(days=1)
dates = st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 31))


class TestClassCertificate:
    def test_CLASS_VALID_60_months_to_the_day_is_valid(self) -> None:
        issued, meeting = date(2021, 5, 10), date(2026, 5, 10)
        assert check_class_certificate_validity(issued, meeting, rules=RULES) is None

    def test_CLASS_VALID_a_day_more_than_60_months_is_expired(self) -> None:
        violation = check_class_certificate_validity(
            date(2021, 5, 10), date(2026, 5, 11), rules=RULES
        )
        assert violation is not None and violation.code is RuleCode.CLASS_VALID
        assert violation.message == "Giấy chứng nhận hết hạn, phải học lại"
        assert violation.details["valid_until"] == date(2026, 5, 10)

    def test_CLASS_VALID_issued_29_february_is_valid_until_28_february(self) -> None:
        assert class_certificate_valid_until(date(2020, 2, 29), rules=RULES) == date(2025, 2, 28)
        assert check_class_certificate_validity(date(2020, 2, 29), date(2025, 3, 1), rules=RULES)

    def test_CLASS_VALID_a_certificate_issued_after_the_meeting_is_refused(self) -> None:
        violation = check_class_certificate_validity(
            date(2025, 6, 2), date(2025, 6, 1), rules=RULES
        )
        assert violation is not None and violation.code is RuleCode.CLASS_VALID
        assert violation.details["reason"] == "issued_after_meeting"

    def test_CLASS_VALID_a_meeting_on_the_issue_day_is_valid(self) -> None:
        same_day = date(2025, 6, 2)
        assert check_class_certificate_validity(same_day, same_day, rules=RULES) is None

    @given(dates)
    def test_CLASS_VALID_expires_the_day_after_60_months(self, issued_on: date) -> None:
        last = add_months(issued_on, 60)
        assert check_class_certificate_validity(issued_on, last, rules=RULES) is None
        assert check_class_certificate_validity(issued_on, last + ONE_DAY, rules=RULES) is not None


class TestDossierAge:
    opened = date(2024, 3, 15)

    def test_DOC_12M_12_months_to_the_day_needs_no_renewal(self) -> None:
        assert dossier_current_until(self.opened, rules=RULES) == date(2025, 3, 15)
        assert check_introductions_current(self.opened, date(2025, 3, 15), rules=RULES) is None

    def test_DOC_12M_more_than_12_months_without_renewed_introductions_is_refused(self) -> None:
        violation = check_introductions_current(
            self.opened,
            date(2025, 4, 2),
            rules=RULES,
            introductions_dated=[date(2024, 4, 1), date(2024, 3, 20)],
        )
        assert violation is not None and violation.code is RuleCode.DOC_12M
        assert violation.details["stale_introductions"] == (date(2024, 3, 20), date(2024, 4, 1))

    def test_DOC_12M_introductions_still_under_12_months_old_need_no_renewal(self) -> None:
        assert (
            check_introductions_current(
                self.opened,
                date(2025, 3, 16),
                rules=RULES,
                introductions_dated=[date(2024, 3, 20)],
            )
            is None
        )

    def test_DOC_12M_stale_dossier_with_no_introduction_dates_needs_renewal(self) -> None:
        violation = check_introductions_current(self.opened, date(2025, 6, 1), rules=RULES)
        assert violation is not None and violation.code is RuleCode.DOC_12M

    def test_DOC_12M_renewed_introductions_are_accepted(self) -> None:
        assert (
            check_introductions_current(
                self.opened,
                date(2025, 6, 1),
                rules=RULES,
                introductions_dated=[date(2025, 5, 2), date(2025, 5, 10)],
            )
            is None
        )

    def test_DOC_12M_one_introduction_not_renewed_is_refused(self) -> None:
        violation = check_introductions_current(
            self.opened,
            date(2025, 6, 1),
            rules=RULES,
            introductions_dated=[date(2025, 5, 2), date(2024, 4, 1)],
        )
        assert violation is not None
        assert violation.details["stale_introductions"] == (date(2024, 4, 1),)
