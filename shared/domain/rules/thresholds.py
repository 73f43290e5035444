"""Vote thresholds (biểu quyết, "hai phần ba"): how many "agree" votes adopt a resolution.

Counts are exact integers; no float is involved anywhere, so 2/3 of 9 is exactly 6. Impossible
counts (negative, or more votes than voters) are invalid input, not a rule outcome: they raise
ValueError and the command that carries them must be refused before any rule is asked.
"""

from __future__ import annotations

from enum import StrEnum
from fractions import Fraction

from ketnap.domain.rules.codes import RuleCode, Violation
from ketnap.domain.rules.rule_sets import RuleSet

TWO_THIRDS = Fraction(2, 3)


def votes_required(denominator: int, share: Fraction = TWO_THIRDS) -> int:
    """The smallest number of votes that reaches ``share`` of ``denominator``: ceil(share × d).

    A body with no voter can adopt nothing: for ``denominator == 0`` this returns 1, a number of
    votes that nobody can cast, so `adopted` is False.
    """
    if denominator < 0:
        raise ValueError(f"denominator must not be negative, got {denominator}")
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share}")
    if denominator == 0:
        return 1
    return -(-share.numerator * denominator // share.denominator)


def two_thirds_required(denominator: int) -> int:
    """ceil(2/3 × denominator): 9 → 6, 10 → 7, 3 → 2; 0 → 1 (see `votes_required`)."""
    return votes_required(denominator, TWO_THIRDS)


def _check_counts(denominator: int, *counts: int) -> None:
    if denominator < 0 or any(count < 0 for count in counts):
        raise ValueError("vote counts must not be negative")
    if sum(counts) > denominator:
        raise ValueError(f"{sum(counts)} votes counted for a denominator of {denominator}")


def adopted(agree: int, denominator: int, share: Fraction = TWO_THIRDS) -> bool:
    """Whether ``agree`` votes adopt a resolution whose denominator is ``denominator``.

    The denominator is the whole body (the cell's official members, all committee members), not
    those present.
    """
    _check_counts(denominator, agree)
    return agree >= votes_required(denominator, share)


class VoteOutcome(StrEnum):
    """How one vote ended."""

    ADOPTED = "adopted"
    """At least the required share agreed."""
    REJECTED = "rejected"
    """At least the required share disagreed."""
    FAILED = "failed"
    """Neither: the vote decided nothing (counts toward RECOG_3_FAILS)."""


def vote_outcome(
    agree: int, disagree: int, denominator: int, share: Fraction = TWO_THIRDS
) -> VoteOutcome:
    """Adopted, rejected, or failed (neither side reached the share of the denominator)."""
    _check_counts(denominator, agree, disagree)
    required = votes_required(denominator, share)
    if agree >= required:
        return VoteOutcome.ADOPTED
    if disagree >= required:
        return VoteOutcome.REJECTED
    return VoteOutcome.FAILED


def check_cell_resolution_adopted(
    agree: int, official_members: int, *, rules: RuleSet
) -> Violation | None:
    """CELL_2_3 — nghị quyết chi bộ: adopted only if at least 2/3 of the cell's official members
    agree. ``official_members`` is the denominator already computed by the caller: official
    members minus those temporarily transferred out, exempted members who are absent, and
    suspended members."""
    if adopted(agree, official_members, rules.adoption_share):
        return None
    return Violation.of(
        RuleCode.CELL_2_3,
        agree=agree,
        denominator=official_members,
        required=votes_required(official_members, rules.adoption_share),
    )


def check_committee_resolution_adopted(
    agree: int, committee_members: int, *, rules: RuleSet
) -> Violation | None:
    """COMMITTEE_2_3 — nghị quyết đảng ủy cơ sở: adopted only if at least 2/3 of all committee
    members (cấp ủy viên) agree. Also the rule for an authorised grassroots committee's decision,
    where the denominator is all its members."""
    if adopted(agree, committee_members, rules.adoption_share):
        return None
    return Violation.of(
        RuleCode.COMMITTEE_2_3,
        agree=agree,
        denominator=committee_members,
        required=votes_required(committee_members, rules.adoption_share),
    )


def check_cell_has_minimum_official_members(
    official_members: int, *, rules: RuleSet
) -> Violation | None:
    """CELL_MIN3 — a cell with fewer than 3 official members (đảng viên chính thức) cannot vote
    on an admission; the cell is to be flagged."""
    if official_members >= rules.cell_min_official_members:
        return None
    return Violation.of(
        RuleCode.CELL_MIN3,
        official_members=official_members,
        minimum=rules.cell_min_official_members,
    )


def check_recognition_failed_votes(failed_votes: int, *, rules: RuleSet) -> Violation | None:
    """RECOG_3_FAILS — công nhận đảng viên chính thức: after the third vote that reached neither
    2/3 for nor 2/3 against, the case goes to the committee above. ``failed_votes`` counts the
    `VoteOutcome.FAILED` votes so far, including the one just held."""
    if failed_votes < rules.recognition_max_failed_votes:
        return None
    return Violation.of(
        RuleCode.RECOG_3_FAILS,
        failed_votes=failed_votes,
        maximum=rules.recognition_max_failed_votes,
    )
