"""Vote thresholds: two thirds of the denominator, in integers (ketnap.domain.rules.thresholds)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketnap.domain.rules import RuleCode
from ketnap.domain.rules.rule_sets import RULES_2025_07 as RULES
from ketnap.domain.rules.thresholds import (
    VoteOutcome,
    adopted,
    check_cell_has_minimum_official_members,
    check_cell_resolution_adopted,
    check_committee_resolution_adopted,
    check_recognition_failed_votes,
    two_thirds_required,
    vote_outcome,
    votes_required,
)


class TestTwoThirds:
    @pytest.mark.parametrize(
        ("denominator", "required"),
        [(1, 1), (2, 2), (3, 2), (4, 3), (5, 4), (6, 4), (9, 6), (10, 7), (12, 8), (100, 67)],
    )
    def test_required_is_the_ceiling_of_two_thirds(self, denominator: int, required: int) -> None:
        assert two_thirds_required(denominator) == required

    def test_no_voter_can_never_adopt(self) -> None:
        assert two_thirds_required(0) == 1
        assert not adopted(0, 0)

    def test_negative_denominator_is_invalid(self) -> None:
        with pytest.raises(ValueError):
            two_thirds_required(-1)

    def test_more_votes_than_voters_is_invalid(self) -> None:
        with pytest.raises(ValueError):
            adopted(10, 9)
        with pytest.raises(ValueError):
            vote_outcome(5, 5, 9)

    def test_other_shares_are_exact(self) -> None:
        assert votes_required(10, Fraction(1, 2)) == 5
        assert votes_required(11, Fraction(1, 2)) == 6
        assert votes_required(7, Fraction(1)) == 7
        with pytest.raises(ValueError):
            votes_required(7, Fraction(0))

    @given(st.integers(min_value=1, max_value=10**12))
    def test_required_is_the_smallest_count_reaching_two_thirds(self, denominator: int) -> None:
        required = two_thirds_required(denominator)
        assert 3 * required >= 2 * denominator
        assert 3 * (required - 1) < 2 * denominator

    @given(st.integers(min_value=0, max_value=500), st.data())
    def test_adopted_exactly_from_the_required_count(self, denominator: int, data) -> None:
        agree = data.draw(st.integers(min_value=0, max_value=denominator))
        assert adopted(agree, denominator) == (denominator > 0 and 3 * agree >= 2 * denominator)


class TestVoteOutcome:
    def test_two_thirds_for_is_adopted(self) -> None:
        assert vote_outcome(6, 3, 9) is VoteOutcome.ADOPTED

    def test_two_thirds_against_is_rejected(self) -> None:
        assert vote_outcome(3, 6, 9) is VoteOutcome.REJECTED

    def test_neither_side_reaching_two_thirds_fails(self) -> None:
        assert vote_outcome(5, 4, 9) is VoteOutcome.FAILED
        assert vote_outcome(0, 0, 9) is VoteOutcome.FAILED


class TestCell:
    def test_CELL_2_3_nine_members_six_agree_passes_five_fails(self) -> None:
        assert check_cell_resolution_adopted(6, 9, rules=RULES) is None
        violation = check_cell_resolution_adopted(5, 9, rules=RULES)
        assert violation is not None
        assert violation.code is RuleCode.CELL_2_3
        assert violation.details == {"agree": 5, "denominator": 9, "required": 6}

    def test_CELL_2_3_ten_members_need_seven(self) -> None:
        assert check_cell_resolution_adopted(7, 10, rules=RULES) is None
        assert check_cell_resolution_adopted(6, 10, rules=RULES) is not None

    def test_CELL_2_3_three_members_need_two(self) -> None:
        assert check_cell_resolution_adopted(2, 3, rules=RULES) is None
        assert check_cell_resolution_adopted(1, 3, rules=RULES) is not None

    def test_CELL_2_3_unanimity_of_those_present_is_not_enough(self) -> None:
        # 5 present of 9 official members, all agree: 5 < 6.
        assert check_cell_resolution_adopted(5, 9, rules=RULES) is not None

    def test_CELL_2_3_an_empty_denominator_never_adopts(self) -> None:
        assert check_cell_resolution_adopted(0, 0, rules=RULES) is not None

    def test_CELL_MIN3_two_official_members_cannot_vote(self) -> None:
        violation = check_cell_has_minimum_official_members(2, rules=RULES)
        assert violation is not None and violation.code is RuleCode.CELL_MIN3

    def test_CELL_MIN3_three_official_members_can_vote(self) -> None:
        assert check_cell_has_minimum_official_members(3, rules=RULES) is None


class TestCommittee:
    def test_COMMITTEE_2_3_seven_members_five_agree_passes_four_fails(self) -> None:
        assert check_committee_resolution_adopted(5, 7, rules=RULES) is None
        violation = check_committee_resolution_adopted(4, 7, rules=RULES)
        assert violation is not None and violation.code is RuleCode.COMMITTEE_2_3
        assert violation.details["required"] == 5

    def test_COMMITTEE_2_3_fifteen_members_need_ten(self) -> None:
        assert check_committee_resolution_adopted(10, 15, rules=RULES) is None
        assert check_committee_resolution_adopted(9, 15, rules=RULES) is not None


class TestRecognitionFailures:
    def test_RECOG_3_FAILS_two_failed_votes_do_not_escalate(self) -> None:
        assert check_recognition_failed_votes(2, rules=RULES) is None

    def test_RECOG_3_FAILS_the_third_failed_vote_escalates(self) -> None:
        violation = check_recognition_failed_votes(3, rules=RULES)
        assert violation is not None and violation.code is RuleCode.RECOG_3_FAILS
