"""Rule sets versioned by effective date (ketnap.domain.rules.rule_sets)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketnap.domain.rules import (
    RULE_SETS,
    NoRuleSetInForce,
    RuleCode,
    check_rule_set_covers,
    recorded_rule_set,
    rule_set_by_id,
    rule_set_on,
)

ONE_DAY = timedelta(days=1)


def test_rule_sets_are_in_date_order_with_unique_ids() -> None:
    assert [r.effective_from for r in RULE_SETS] == sorted({r.effective_from for r in RULE_SETS})
    assert len({r.id for r in RULE_SETS}) == len(RULE_SETS)


def test_each_rule_set_applies_from_its_effective_date_to_the_day_before_the_next() -> None:
    for older, newer in zip(RULE_SETS, RULE_SETS[1:], strict=False):
        assert rule_set_on(newer.effective_from - ONE_DAY) is older
        assert rule_set_on(newer.effective_from) is newer


def test_known_versions() -> None:
    assert rule_set_on(date(2022, 6, 1)).id == "2021"
    assert rule_set_on(date(2025, 2, 1)).id == "2025-01"
    assert rule_set_on(date(2025, 7, 1)).id == "2025-07"
    assert rule_set_on(date(2030, 1, 1)).id == "2025-07"


def test_family_planning_check_is_off_for_decisions_after_20_march_2025() -> None:
    assert rule_set_on(date(2025, 3, 20)).family_planning_check
    assert not rule_set_on(date(2025, 3, 21)).family_planning_check


def test_district_level_is_gone_from_1_july_2025() -> None:
    assert rule_set_on(date(2025, 6, 30)).has_district_level
    assert not rule_set_on(date(2025, 7, 1)).has_district_level


def test_a_date_before_the_oldest_rule_set_has_none() -> None:
    with pytest.raises(NoRuleSetInForce):
        rule_set_on(RULE_SETS[0].effective_from - ONE_DAY)


def test_a_recorded_id_finds_its_rule_set() -> None:
    assert rule_set_by_id("2025-03") is RULE_SETS[4]
    with pytest.raises(KeyError):
        rule_set_by_id("1930")


def test_what_was_recorded_is_judged_under_its_rule_set_or_the_one_of_its_day() -> None:
    """A recorded id; one this release does not know (a newer service's) or none: the set in force
    on the day; a day before every set: the oldest (what is recorded is never refused)."""
    assert recorded_rule_set("2021", date(2025, 8, 1)).id == "2021"
    assert recorded_rule_set("unknown", date(2025, 8, 1)).id == "2025-07"
    assert recorded_rule_set("", date(2019, 1, 1)).id == "2016"
    assert recorded_rule_set(None, date(2010, 1, 1)).id == "2011"


def test_rule_sets_cannot_be_changed() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        RULE_SETS[0].class_validity_months = 24  # type: ignore[misc]


def test_shared_parameters_match_domain_md() -> None:
    for rules in RULE_SETS:
        assert (rules.min_age_years, rules.max_age_years) == (18, 60)
        assert (rules.youth_union_min_age, rules.youth_union_max_age) == (16, 30)
        assert rules.class_validity_months == 60
        assert rules.decision_due_working_days == 60
        assert rules.decision_extension_max_working_days == 30
        assert rules.ceremony_due_working_days == 30
        assert rules.recognition_vote_due_working_days == 30


@given(st.dates(min_value=RULE_SETS[0].effective_from, max_value=date(2100, 12, 31)))
def test_the_rule_set_in_force_is_the_latest_already_effective(d: date) -> None:
    rules = rule_set_on(d)
    assert rules.effective_from <= d
    assert all(r.effective_from <= rules.effective_from or r.effective_from > d for r in RULE_SETS)


def test_rule_sets_go_back_to_the_2011_charter_with_their_guidance() -> None:
    assert [(r.id, r.effective_from) for r in RULE_SETS[:3]] == [
        ("2011", date(2011, 11, 1)),
        ("2016", date(2016, 7, 25)),
        ("2021", date(2021, 7, 30)),
    ]
    assert "45-QĐ/TW" in RULE_SETS[0].basis and "01-HD/TW ngày 05/01/2012" in RULE_SETS[0].basis
    assert "29-QĐ/TW" in RULE_SETS[1].basis and "01-HD/TW ngày 20/9/2016" in RULE_SETS[1].basis
    assert rule_set_on(date(2016, 7, 24)).id == "2011"
    assert rule_set_on(date(2021, 7, 29)).id == "2016"


def test_EDU_MIN_or_equivalent_arrived_in_2016() -> None:
    assert not rule_set_on(date(2016, 7, 24)).lower_secondary_or_equivalent
    assert all(r.lower_secondary_or_equivalent for r in RULE_SETS[1:])


def test_older_rule_sets_say_what_they_keep_from_the_later_one() -> None:
    for rules in RULE_SETS[:2]:
        assert "kept from it" in rules.note


def test_NO_RULE_SET_a_date_before_the_oldest_rule_set_is_one_violation_with_its_date() -> None:
    day_before = RULE_SETS[0].effective_from - ONE_DAY
    violation = check_rule_set_covers(day_before)
    assert violation is not None and violation.code == "NO_RULE_SET"
    assert violation.message.startswith("Ngày 31/10/2011: ")
    assert violation.message.endswith(RuleCode.NO_RULE_SET.message)
    assert check_rule_set_covers(RULE_SETS[0].effective_from) is None
    with pytest.raises(NoRuleSetInForce) as error:
        rule_set_on(day_before)
    assert error.value.violation == violation
