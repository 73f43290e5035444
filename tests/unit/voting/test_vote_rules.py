"""Who may vote and what the denominator is: CELL_2_3, CELL_MIN3, PROBATIONARY_NO_VOTE, COMMITTEE_2_3,
ONE_BY_ONE, AUTHORITY at their edges (ketnap.services.voting.rules)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketnap.domain.rules.rule_sets import RULES_2025_07 as RULES
from ketnap.domain.rules.thresholds import VoteOutcome
from ketnap.platform.commands import InvalidInput, RuleViolation
from ketnap.services.voting.commands import RecordCellResolution
from ketnap.services.voting.roster import Competence, MemberStatus, OrganisationKind
from ketnap.services.voting.rules import cell_vote, check_authority, check_only_one_applicant, committee_vote, raise_if
from tests.unit.voting.builders import ballots, citizen, committee, committee_ballots, official, probationary, roster

ON = date(2025, 9, 10)


def count(members, cast):  # noqa: ANN001, ANN201
    return cell_vote(members, cast, rules=RULES, meeting_on=ON)


class TestCellTwoThirds:
    def test_CELL_2_3_nine_official_members_six_agree_is_adopted_five_is_not(self) -> None:
        six = count(roster(9), ballots(agree=range(1, 7), disagree=range(7, 10)))
        five = count(roster(9), ballots(agree=range(1, 6), disagree=range(6, 10)))
        assert (six.denominator, six.required, six.adopted, six.violation) == (9, 6, True, None)
        assert (five.denominator, five.adopted) == (9, False)
        assert five.violation is not None and five.violation.code == "CELL_2_3"

    def test_CELL_2_3_the_denominator_is_the_cell_not_those_present(self) -> None:
        # Five of nine present, all agree: 5 of 5 present is not 2/3 of the cell.
        tally = count(roster(9), ballots(agree=range(1, 6)))
        assert tally.denominator == 9 and not tally.adopted
        assert [line.present for line in tally.roster].count(True) == 5

    def test_CELL_2_3_a_temporarily_transferred_member_is_excluded_from_the_denominator(self) -> None:
        members = roster(8) + [official(9, MemberStatus.TEMPORARILY_TRANSFERRED_OUT)]
        tally = count(members, ballots(agree=range(1, 7)))
        assert tally.denominator == 8 and tally.required == 6 and tally.adopted
        assert citizen(9) not in tally.entitled
        five = count(members, ballots(agree=range(1, 6)))
        assert not five.adopted  # 5 of 8 < 2/3

    def test_CELL_2_3_an_exempted_absent_member_is_excluded_from_the_denominator(self) -> None:
        members = roster(8) + [official(9, MemberStatus.EXEMPTED)]
        tally = count(members, ballots(agree=range(1, 6), disagree=[6]))
        assert tally.denominator == 8 and citizen(9) not in tally.entitled
        assert not tally.adopted  # 5 of 8
        assert count(members, ballots(agree=range(1, 7))).adopted  # 6 of 8

    def test_CELL_2_3_an_exempted_present_member_is_counted(self) -> None:
        members = roster(8) + [official(9, MemberStatus.EXEMPTED)]
        tally = count(members, ballots(agree=range(1, 6), disagree=[9]))
        assert tally.denominator == 9 and citizen(9) in tally.entitled
        assert not tally.adopted  # 5 of 9
        with_the_exempted = count(members, ballots(agree=[1, 2, 3, 4, 5, 9]))
        assert with_the_exempted.denominator == 9 and with_the_exempted.adopted  # 6 of 9

    def test_CELL_2_3_a_suspended_member_is_excluded_and_may_not_vote(self) -> None:
        members = roster(8) + [official(9, MemberStatus.SUSPENDED)]
        assert count(members, ballots(agree=range(1, 7))).denominator == 8
        with pytest.raises(InvalidInput):
            count(members, ballots(agree=[9]))

    def test_a_member_transferred_out_may_not_vote_in_the_cell(self) -> None:
        members = roster(8) + [official(9, MemberStatus.TEMPORARILY_TRANSFERRED_OUT)]
        with pytest.raises(InvalidInput) as refused:
            count(members, ballots(agree=[9]))
        assert refused.value.details["status"] == "temporarily_transferred_out"

    def test_someone_not_on_the_roster_cannot_vote_and_nobody_votes_twice(self) -> None:
        with pytest.raises(InvalidInput, match="không có tên"):
            count(roster(5), ballots(agree=[1, 2, 77]))
        with pytest.raises(InvalidInput, match="một lần"):
            count(roster(5), ballots(agree=[1, 2], disagree=[2]))

    def test_the_roster_snapshot_records_each_member_presence_and_whether_counted(self) -> None:
        members = roster(3) + [official(4, MemberStatus.EXEMPTED), probationary(5)]
        tally = count(members, ballots(agree=[1, 2], abstain=[3]))
        assert [(line.present, line.counted) for line in tally.roster] == [
            (True, True), (True, True), (True, True), (False, False), (False, False),
        ]
        assert (tally.agree, tally.disagree, tally.abstain) == (2, 0, 1)

    @given(
        st.lists(st.sampled_from(list(MemberStatus)), min_size=3, max_size=30),
        st.data(),
    )
    def test_CELL_2_3_adopted_exactly_when_three_agree_reach_two_denominators(self, statuses, data) -> None:  # noqa: ANN001
        members = [official(n + 1, s) for n, s in enumerate(statuses)]
        may_vote = [n + 1 for n, s in enumerate(statuses) if s in (MemberStatus.ACTIVE, MemberStatus.EXEMPTED)]
        voters = data.draw(st.lists(st.sampled_from(may_vote), unique=True) if may_vote else st.just([]))
        agree = data.draw(st.integers(0, len(voters)))
        tally = count(members, ballots(agree=voters[:agree], disagree=voters[agree:]))
        expected = sum(1 for n, s in enumerate(statuses) if s is MemberStatus.ACTIVE or (s is MemberStatus.EXEMPTED and n + 1 in voters))
        assert tally.denominator == expected
        assert tally.adopted == (tally.denominator > 0 and 3 * agree >= 2 * tally.denominator)


class TestProbationaryMembers:
    def test_PROBATIONARY_NO_VOTE_a_probationary_members_ballot_is_refused(self) -> None:
        with pytest.raises(RuleViolation) as refused:
            count(roster(9, probationary(10)), ballots(agree=[1, 2, 3, 4, 5, 10]))
        assert refused.value.code == "rule:PROBATIONARY_NO_VOTE"
        assert refused.value.message.startswith("[PROBATIONARY_NO_VOTE] Đảng viên dự bị")
        assert refused.value.details["ballot"] == 5

    def test_PROBATIONARY_NO_VOTE_probationary_members_are_not_in_the_denominator(self) -> None:
        tally = count(roster(3, probationary(4), probationary(5)), ballots(agree=[1, 2]))
        assert tally.denominator == 3 and tally.adopted


class TestCellMinimum:
    def test_CELL_MIN3_a_cell_with_two_official_members_cannot_vote(self) -> None:
        with pytest.raises(RuleViolation) as refused:
            count(roster(2, probationary(3), probationary(4)), ballots(agree=[1, 2]))
        assert refused.value.code == "rule:CELL_MIN3"
        assert "Chi bộ chưa đủ 3 đảng viên chính thức" in refused.value.message

    def test_CELL_MIN3_three_official_members_can_vote(self) -> None:
        assert count(roster(3), ballots(agree=[1, 2])).adopted


class TestCommitteeTwoThirds:
    def test_COMMITTEE_2_3_nine_committee_members_six_agree_is_adopted_five_is_not(self) -> None:
        six = committee_vote(committee(9), committee_ballots(6), rules=RULES, meeting_on=ON)
        five = committee_vote(committee(9), committee_ballots(5, 1), rules=RULES, meeting_on=ON)
        assert six.adopted and six.denominator == 9
        assert not five.adopted and five.violation is not None and five.violation.code == "COMMITTEE_2_3"

    def test_COMMITTEE_2_3_absent_committee_members_stay_in_the_denominator(self) -> None:
        tally = committee_vote(committee(9), committee_ballots(5), rules=RULES, meeting_on=ON)
        assert tally.denominator == 9 and not tally.adopted

    def test_only_committee_members_vote_in_the_committee(self) -> None:
        with pytest.raises(InvalidInput, match="cấp ủy viên"):
            committee_vote(committee(9), ballots(agree=[1]), rules=RULES, meeting_on=ON)

    def test_recognition_outcomes_are_for_against_or_failed(self) -> None:
        assert committee_vote(committee(9), committee_ballots(0, 6), rules=RULES, meeting_on=ON).outcome is VoteOutcome.REJECTED
        assert committee_vote(committee(9), committee_ballots(5, 4), rules=RULES, meeting_on=ON).outcome is VoteOutcome.FAILED


class TestOneByOne:
    def test_ONE_BY_ONE_a_vote_covering_two_applicants_is_refused(self) -> None:
        command = RecordCellResolution(
            idempotency_key="k" * 12, actor="bi-thu", scope="CB-1", dossier_ids=["d-1", "d-2"], cell="CB-1",
            meeting_on=ON, ballots=ballots(agree=[1]),
        )
        with pytest.raises(RuleViolation) as refused:
            raise_if(check_only_one_applicant(command.dossier_ids))
        assert refused.value.code == "rule:ONE_BY_ONE"
        assert refused.value.message == "[ONE_BY_ONE] Phải xét và biểu quyết riêng từng người"

    def test_ONE_BY_ONE_one_applicant_is_accepted(self) -> None:
        assert check_only_one_applicant(["d-1"]) is None


class TestAuthority:
    def test_AUTHORITY_only_the_competent_organisation_decides(self) -> None:
        competent = Competence("DU-PHUONG-1", OrganisationKind.UPPER_COMMITTEE)
        assert check_authority("DU-PHUONG-1", competent) is None
        refused = check_authority("DU-XA-1", competent)
        assert refused is not None and refused.code == "AUTHORITY"
        assert dict(refused.details) == {"decided_by": "DU-XA-1", "competent_authority": "DU-PHUONG-1"}
