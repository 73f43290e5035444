"""The voting rules that need the registry's data: who is entitled to vote, the denominator, the tally,
and whether an organisation may decide (CELL_2_3, CELL_MIN3, PROBATIONARY_NO_VOTE, COMMITTEE_2_3,
AUTHORITY, RECOG_3_FAILS). Pure functions; the thresholds themselves are `ketnap.domain.rules.thresholds`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from ketnap.domain.rules import RuleCode, RuleSet, Violation
from ketnap.domain.rules.thresholds import (
    VoteOutcome,
    check_cell_has_minimum_official_members,
    check_cell_resolution_adopted,
    check_committee_resolution_adopted,
    vote_outcome,
    votes_required,
)
from ketnap.platform.commands import InvalidInput, RuleViolation
from ketnap.platform.vietnamese import vn_date
from ketnap.services.voting.events import Ballot, RosterLine
from ketnap.services.voting.roster import Chain, Competence, Membership, MemberStatus, RosterMember


def refusal(violation: Violation) -> RuleViolation:
    """The command's refusal for a violated rule: its code, its Vietnamese message, its facts."""
    details = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in violation.details.items()}
    return RuleViolation(violation.code.value, violation.message, **details)


@dataclass(frozen=True)
class Tally:
    """A counted vote: the denominator is the whole body as the rule defines it, not those present."""

    roster: tuple[RosterLine, ...]
    ballots: tuple[Ballot, ...]
    denominator: int
    required: int
    agree: int
    disagree: int
    abstain: int
    outcome: VoteOutcome
    violation: Violation | None
    """CELL_2_3 or COMMITTEE_2_3 when "agree" did not reach 2/3: the resolution is not adopted."""

    @property
    def adopted(self) -> bool:
        return self.outcome is VoteOutcome.ADOPTED

    @property
    def entitled(self) -> list[str]:
        return [line.citizen_id for line in self.roster if line.counted]


def _counts(ballots: Sequence[Ballot]) -> tuple[int, int, int]:
    agree = sum(1 for b in ballots if b.choice == "agree")
    disagree = sum(1 for b in ballots if b.choice == "disagree")
    return agree, disagree, len(ballots) - agree - disagree


def _no_duplicates(ballots: Sequence[Ballot]) -> None:
    seen: set[str] = set()
    for index, ballot in enumerate(ballots):
        if ballot.citizen_id in seen:
            raise InvalidInput("Một người chỉ được biểu quyết một lần.", ballot=index)
        seen.add(ballot.citizen_id)


def counts_in_cell_denominator(member: RosterMember, present: bool) -> bool:
    """CELL_2_3's denominator: official members, except those temporarily transferred out,
    exempted members who are absent (an exempted member who attends counts), and suspended ones."""
    if member.membership is not Membership.OFFICIAL:
        return False
    if member.status is MemberStatus.ACTIVE:
        return True
    return member.status is MemberStatus.EXEMPTED and present


def cell_vote(roster: Iterable[RosterMember], ballots: Sequence[Ballot], *, rules: RuleSet, meeting_on: date) -> Tally:
    """Count a cell's vote (chi bộ biểu quyết) against its roster as of the meeting date.

    Refuses (raises) before counting: a cell with fewer than 3 official members (CELL_MIN3), a
    ballot of a probationary member (PROBATIONARY_NO_VOTE), a ballot of someone who is not a
    member of the cell that day, or who may not vote there (transferred out, suspended).
    """
    members = list(roster)
    official = sum(1 for m in members if m.membership is Membership.OFFICIAL)
    if violation := check_cell_has_minimum_official_members(official, rules=rules):
        raise refusal(violation)
    _no_duplicates(ballots)
    by_id = {m.citizen_id: m for m in members}
    for index, ballot in enumerate(ballots):
        member = by_id.get(ballot.citizen_id)
        if member is None:
            raise InvalidInput(
                f"Người biểu quyết không có tên trong danh sách đảng viên của chi bộ ngày {vn_date(meeting_on)}.",
                ballot=index,
            )
        if member.membership is Membership.PROBATIONARY:
            raise refusal(Violation.of(RuleCode.PROBATIONARY_NO_VOTE, ballot=index))
        if member.status in (MemberStatus.TEMPORARILY_TRANSFERRED_OUT, MemberStatus.SUSPENDED):
            raise InvalidInput(
                "Đảng viên đang chuyển sinh hoạt tạm thời hoặc bị đình chỉ sinh hoạt không biểu quyết tại chi bộ.",
                ballot=index,
                status=member.status.value,
            )
    present = {b.citizen_id for b in ballots}
    lines = tuple(
        RosterLine(
            citizen_id=m.citizen_id,
            membership=m.membership.value,
            status=m.status.value,
            present=m.citizen_id in present,
            counted=counts_in_cell_denominator(m, m.citizen_id in present),
        )
        for m in members
    )
    denominator = sum(1 for line in lines if line.counted)
    agree, disagree, abstain = _counts(ballots)
    return Tally(
        roster=lines,
        ballots=tuple(ballots),
        denominator=denominator,
        required=votes_required(denominator, rules.adoption_share),
        agree=agree,
        disagree=disagree,
        abstain=abstain,
        outcome=vote_outcome(agree, disagree, denominator, rules.adoption_share),
        violation=check_cell_resolution_adopted(agree, denominator, rules=rules),
    )


def committee_vote(committee: Iterable[str], ballots: Sequence[Ballot], *, rules: RuleSet, meeting_on: date) -> Tally:
    """Count a committee's vote (cấp ủy biểu quyết): the denominator is all its committee members
    on the meeting date (COMMITTEE_2_3), present or not."""
    members = list(dict.fromkeys(committee))
    _no_duplicates(ballots)
    known = set(members)
    for index, ballot in enumerate(ballots):
        if ballot.citizen_id not in known:
            raise InvalidInput(
                f"Người biểu quyết không phải cấp ủy viên ngày {vn_date(meeting_on)}.", ballot=index
            )
    present = {b.citizen_id for b in ballots}
    lines = tuple(
        RosterLine(citizen_id=c, membership="committee", status="active", present=c in present, counted=True)
        for c in members
    )
    agree, disagree, abstain = _counts(ballots)
    denominator = len(members)
    return Tally(
        roster=lines,
        ballots=tuple(ballots),
        denominator=denominator,
        required=votes_required(denominator, rules.adoption_share),
        agree=agree,
        disagree=disagree,
        abstain=abstain,
        outcome=vote_outcome(agree, disagree, denominator, rules.adoption_share),
        violation=check_committee_resolution_adopted(agree, denominator, rules=rules),
    )


def check_authority(decided_by: str, competent: Competence) -> Violation | None:
    """AUTHORITY — only the organisation with admission authority over the cell on the decision date
    (the nearest ancestor that may decide, or the authorised grassroots committee) decides."""
    if decided_by == competent.organisation:
        return None
    return Violation.of(RuleCode.AUTHORITY, decided_by=decided_by, competent_authority=competent.organisation)


def check_recorded_here(chain: Chain, body: str, established_here: Collection[str]) -> Violation | None:
    """AUTHORITY, across deployments: an act is recorded only in the deployment where the body
    that takes it works (`Chain.venue_of`: the deployment that established the unit just below
    it); the other deployment sees it through the voting log it keeps. A body that is not on the
    chain at all is left to the other checks."""
    venue = chain.venue_of(body)
    if venue is None or venue in established_here:
        return None
    return Violation.of(
        RuleCode.AUTHORITY,
        f"{body} làm việc ở cấp triển khai khác: biểu quyết, quyết định của {body} về hồ sơ này phải "
        "được ghi tại hệ thống của cấp đó, không ghi tại hệ thống này",
        organisation=body,
        recorded_in="another_deployment",
    )


def check_only_one_applicant(dossier_ids: Sequence[str]) -> Violation | None:
    """ONE_BY_ONE — a vote covers exactly one applicant (xét và biểu quyết riêng từng người)."""
    if len(set(dossier_ids)) <= 1:
        return None
    return Violation.of(RuleCode.ONE_BY_ONE, applicants=len(set(dossier_ids)))


def raise_if(violation: Violation | None) -> None:
    if violation is not None:
        raise refusal(violation)

