"""Age rules, counted in months on the cell-meeting date (ketnap.domain.rules.ages)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ketnap.domain.calendar import add_months
from ketnap.domain.rules import RuleCode
from ketnap.domain.rules.ages import (
    check_maximum_age,
    check_minimum_age,
    check_youth_union_membership,
    in_youth_union_age,
    over_maximum_age,
)
from ketnap.domain.rules.rule_sets import RULES_2025_07 as RULES

ONE_DAY = timedelta(days=1)
births = st.dates(min_value=date(1940, 1, 1), max_value=date(2015, 12, 31))


class TestMinimumAge:
    def test_AGE_MIN_day_before_18th_birthday_is_refused(self) -> None:
        violation = check_minimum_age(date(2008, 3, 15), date(2026, 3, 14), rules=RULES)
        assert violation is not None
        assert violation.code is RuleCode.AGE_MIN
        assert violation.message == "Chưa đủ 18 tuổi tại thời điểm chi bộ xét"
        assert violation.details == {"age_months": 215, "required_months": 216}

    def test_AGE_MIN_on_18th_birthday_is_accepted(self) -> None:
        assert check_minimum_age(date(2008, 3, 15), date(2026, 3, 15), rules=RULES) is None

    def test_AGE_MIN_born_29_february_is_18_on_28_february(self) -> None:
        assert check_minimum_age(date(2008, 2, 29), date(2026, 2, 28), rules=RULES) is None
        assert check_minimum_age(date(2008, 2, 29), date(2026, 2, 27), rules=RULES) is not None

    def test_AGE_MIN_born_31_march_is_18_on_31_march(self) -> None:
        assert check_minimum_age(date(2008, 3, 31), date(2026, 3, 30), rules=RULES) is not None
        assert check_minimum_age(date(2008, 3, 31), date(2026, 3, 31), rules=RULES) is None

    @given(births)
    def test_AGE_MIN_changes_exactly_on_the_18th_birthday(self, birth: date) -> None:
        birthday = add_months(birth, 18 * 12)
        assert check_minimum_age(birth, birthday, rules=RULES) is None
        assert check_minimum_age(birth, birthday - ONE_DAY, rules=RULES) is not None


class TestMaximumAge:
    birth = date(1965, 6, 10)
    sixtieth = date(2025, 6, 10)
    decision = date(2025, 9, 1)

    def test_AGE_MAX_exactly_60_needs_no_agreement(self) -> None:
        assert not over_maximum_age(self.birth, self.sixtieth, rules=RULES)
        assert not over_maximum_age(self.birth, date(2025, 7, 9), rules=RULES)
        assert (
            check_maximum_age(
                self.birth,
                date(2025, 7, 9),
                rules=RULES,
                decision_on=self.decision,
                provincial_agreement_on=None,
            )
            is None
        )

    def test_AGE_MAX_60_years_and_a_month_without_agreement_is_refused(self) -> None:
        violation = check_maximum_age(
            self.birth,
            date(2025, 7, 10),
            rules=RULES,
            decision_on=self.decision,
            provincial_agreement_on=None,
        )
        assert violation is not None and violation.code is RuleCode.AGE_MAX
        assert violation.details["reason"] == "agreement_missing"
        assert violation.details["age_months"] == 721

    def test_AGE_MAX_agreement_before_the_decision_is_accepted(self) -> None:
        assert (
            check_maximum_age(
                self.birth,
                date(2026, 1, 5),
                rules=RULES,
                decision_on=self.decision,
                provincial_agreement_on=date(2025, 8, 20),
            )
            is None
        )

    def test_AGE_MAX_agreement_on_the_decision_day_is_accepted(self) -> None:
        assert (
            check_maximum_age(
                self.birth,
                date(2026, 1, 5),
                rules=RULES,
                decision_on=self.decision,
                provincial_agreement_on=self.decision,
            )
            is None
        )

    def test_AGE_MAX_agreement_after_the_decision_is_refused(self) -> None:
        violation = check_maximum_age(
            self.birth,
            date(2026, 1, 5),
            rules=RULES,
            decision_on=self.decision,
            provincial_agreement_on=self.decision + ONE_DAY,
        )
        assert violation is not None and violation.code is RuleCode.AGE_MAX
        assert violation.details["reason"] == "agreement_after_decision"


class TestYouthUnion:
    birth = date(2000, 5, 20)

    def check(self, on: date, *, member: bool = False, exists: bool = True):
        return check_youth_union_membership(
            self.birth, on, rules=RULES, is_union_member=member, union_exists=exists
        )

    def test_YOUTH_UNION_non_member_of_union_age_is_refused(self) -> None:
        violation = self.check(date(2025, 5, 20))
        assert violation is not None and violation.code is RuleCode.YOUTH_UNION

    def test_YOUTH_UNION_member_is_accepted(self) -> None:
        assert self.check(date(2025, 5, 20), member=True) is None

    def test_YOUTH_UNION_no_union_organisation_is_accepted(self) -> None:
        assert self.check(date(2025, 5, 20), exists=False) is None

    def test_YOUTH_UNION_30_is_still_union_age_until_the_31st_birthday(self) -> None:
        assert self.check(date(2031, 5, 19)) is not None
        assert self.check(date(2031, 5, 20)) is None

    def test_YOUTH_UNION_age_starts_on_the_16th_birthday(self) -> None:
        assert not in_youth_union_age(self.birth, date(2016, 5, 19), rules=RULES)
        assert in_youth_union_age(self.birth, date(2016, 5, 20), rules=RULES)

    def test_YOUTH_UNION_age_range_comes_from_the_rule_set(self) -> None:
        narrower = replace(RULES, youth_union_max_age=28)
        assert in_youth_union_age(self.birth, date(2029, 5, 19), rules=narrower)
        assert not in_youth_union_age(self.birth, date(2029, 5, 20), rules=narrower)
