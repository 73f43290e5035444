"""Age rules (tuổi đời) for a person joining the Party, counted in months (tính theo tháng).

Ages follow `ketnap.domain.calendar.age_in_months`: the birthday counts, and someone born on 29/02
completes a year on 28/02 of a common year. The age is taken on the date of the cell meeting
that considers the applicant (tại thời điểm chi bộ xét kết nạp).
"""

from __future__ import annotations

from datetime import date

from ketnap.domain.calendar import age_in_months, full_years
from ketnap.domain.rules.codes import RuleCode, Violation
from ketnap.domain.rules.rule_sets import RuleSet


def check_minimum_age(birth: date, cell_meeting_on: date, *, rules: RuleSet) -> Violation | None:
    """AGE_MIN — đủ 18 tuổi: refused when the applicant has completed fewer than 18 × 12 months on
    the cell-meeting date. Born 15/03/2008: refused on 14/03/2026, accepted on 15/03/2026."""
    months = age_in_months(birth, cell_meeting_on)
    required = rules.min_age_years * 12
    if months >= required:
        return None
    return Violation.of(RuleCode.AGE_MIN, age_months=months, required_months=required)


def over_maximum_age(birth: date, cell_meeting_on: date, *, rules: RuleSet) -> bool:
    """Whether the applicant is above 60 (trên 60 tuổi) on the cell-meeting date, counted in
    months: "đủ 60 tuổi" is allowed without agreement up to 60 years and 0 full months, so the
    agreement is needed from 60 years and 1 full month (721 months)."""
    return age_in_months(birth, cell_meeting_on) > rules.max_age_years * 12


def check_maximum_age(
    birth: date,
    cell_meeting_on: date,
    *,
    rules: RuleSet,
    decision_on: date,
    provincial_agreement_on: date | None,
) -> Violation | None:
    """AGE_MAX — người trên 60 tuổi: an applicant over 60 on the cell-meeting date may be admitted
    only with the written agreement of the provincial standing committee (ban thường vụ cấp ủy
    trực thuộc Trung ương) dated no later than the admission decision.

    An agreement dated the same day as the decision is accepted: dates carry no time of day, and
    refusing it would reject valid decisions signed after the agreement on one day.
    """
    if not over_maximum_age(birth, cell_meeting_on, rules=rules):
        return None
    if provincial_agreement_on is not None and provincial_agreement_on <= decision_on:
        return None
    return Violation.of(
        RuleCode.AGE_MAX,
        age_months=age_in_months(birth, cell_meeting_on),
        maximum_months=rules.max_age_years * 12,
        reason=(
            "agreement_missing"
            if provincial_agreement_on is None
            else "agreement_after_decision"
        ),
    )


def in_youth_union_age(birth: date, on: date, *, rules: RuleSet) -> bool:
    """Whether the person is of youth-union age (tuổi đoàn viên) on ``on``: completed years
    between ``youth_union_min_age`` and ``youth_union_max_age`` inclusive (default 16–30, i.e.
    from the 16th birthday to the day before the 31st) [U: configurable in the rule set]."""
    return rules.youth_union_min_age <= full_years(birth, on) <= rules.youth_union_max_age


def check_youth_union_membership(
    birth: date,
    cell_meeting_on: date,
    *,
    rules: RuleSet,
    is_union_member: bool,
    union_exists: bool,
) -> Violation | None:
    """YOUTH_UNION — đoàn viên Đoàn TNCS Hồ Chí Minh: an applicant of youth-union age, where a
    youth-union organisation exists (``union_exists``), must be a member."""
    if is_union_member or not union_exists:
        return None
    if not in_youth_union_age(birth, cell_meeting_on, rules=rules):
        return None
    return Violation.of(
        RuleCode.YOUTH_UNION,
        age_years=full_years(birth, cell_meeting_on),
        youth_union_min_age=rules.youth_union_min_age,
        youth_union_max_age=rules.youth_union_max_age,
    )
