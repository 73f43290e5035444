"""Recognition as an official member and name removal: RECOG_3_FAILS, RECOG_EARLY, RECOG_DOCS, and the
decisions of the competent committee (ketnap.services.voting.admission_case)."""

from __future__ import annotations

from datetime import date

import pytest

from ketnap.platform.commands import Conflict, InvalidInput, RuleViolation
from ketnap.services.voting.admission_case import AdmissionCase
from tests.unit.voting.builders import (
    CELL,
    GRASSROOTS,
    GRASSROOTS_DECIDES,
    PROBATION_ENDS_ON,
    UPPER,
    UPPER_DECIDES,
    admitted,
    ballots,
    chain,
    citizen,
    committee,
    committee_ballots,
    event_types,
    last,
    on_probation,
    probationary,
    roster,
)

VOTE_ON = date(2026, 10, 20)


def cell_vote(case: AdmissionCase, agree: int, disagree: int = 0, on: date = VOTE_ON):  # noqa: ANN201
    members = roster(9, probationary(999))
    return case.record_recognition_cell_resolution(
        cell=CELL, meeting_on=on, ballots=ballots(agree=range(1, agree + 1), disagree=range(agree + 1, agree + disagree + 1)),
        roster=members, chain=chain(),
    )


def grassroots_vote(case: AdmissionCase, agree: int, disagree: int = 0, on: date = date(2026, 10, 27)):  # noqa: ANN201
    return case.record_recognition_grassroots_resolution(
        organisation=GRASSROOTS, meeting_on=on, ballots=committee_ballots(agree, disagree), chain=chain(), committee=committee(9)
    )


def recognise(case: AdmissionCase, decided_by: str = UPPER, on: date = date(2026, 11, 3), **overrides):  # noqa: ANN003, ANN201
    fields = dict(decided_by=decided_by, decision_number="45-QĐ/ĐU", decision_date=on, competent=UPPER_DECIDES, chain=chain())
    fields.update(overrides)
    return case.decide_recognition(**fields)


class TestRecognitionVotes:
    def test_the_cell_proposes_recognition_then_the_grassroots_committee_then_the_competent_committee_decides(self) -> None:
        case = on_probation()
        assert cell_vote(case, 6).adopted
        assert event_types(case)[-2:] == ["VoteHeld", "RecognitionResolutionAdopted"]
        assert grassroots_vote(case, 6).adopted
        recognise(case)
        assert last(case, "RecognitionDecided") == {
            "dossier_id": case.dossier_id, "citizen_id": citizen(999), "organisation": CELL, "decided_by": UPPER,
            "decision_number": "45-QĐ/ĐU", "decision_date": "2026-11-03", "official_date": PROBATION_ENDS_ON.isoformat(),
            "rule_set": "2025-07",
        }

    def test_the_official_date_is_ceremony_plus_twelve_months_whatever_the_decision_date(self) -> None:
        case = on_probation()
        cell_vote(case, 7)
        grassroots_vote(case, 7)
        recognise(case, on=date(2026, 11, 20))
        assert last(case, "RecognitionDecided")["official_date"] == "2026-10-15"

    def test_PROBATIONARY_NO_VOTE_the_member_on_probation_does_not_vote_on_their_own_recognition(self) -> None:
        case = on_probation()
        with pytest.raises(RuleViolation, match="PROBATIONARY_NO_VOTE"):
            case.record_recognition_cell_resolution(
                cell=CELL, meeting_on=VOTE_ON, ballots=ballots(agree=[1, 2, 3, 4, 5, 999]), roster=roster(9, probationary(999)),
                chain=chain(),
            )

    def test_RECOG_EARLY_no_vote_before_the_twelve_months_are_complete(self) -> None:
        with pytest.raises(RuleViolation) as refused:
            cell_vote(on_probation(), 9, on=date(2026, 10, 14))
        assert refused.value.code == "rule:RECOG_EARLY"
        assert cell_vote(on_probation(), 9, on=PROBATION_ENDS_ON).adopted

    def test_RECOG_DOCS_no_vote_before_the_papers_are_complete(self) -> None:
        with pytest.raises(RuleViolation, match="RECOG_DOCS"):
            cell_vote(on_probation(papers=False), 9)

    def test_no_recognition_vote_before_the_ceremony(self) -> None:
        with pytest.raises(InvalidInput, match="lễ kết nạp"):
            cell_vote(admitted(), 9)

    def test_RECOG_3_FAILS_the_third_failed_vote_escalates_to_the_committee_above(self) -> None:
        case = on_probation()
        for attempt in (1, 2):
            assert cell_vote(case, 5, 4, on=date(2026, 10, 15 + attempt)).outcome == "failed"
            assert last(case, "RecognitionVoteFailed")["attempt"] == attempt
            assert "RecognitionEscalated" not in event_types(case)
        cell_vote(case, 4, 5, on=date(2026, 10, 20))
        assert event_types(case)[-3:] == ["VoteHeld", "RecognitionVoteFailed", "RecognitionEscalated"]
        assert last(case, "RecognitionVoteFailed") == {
            "dossier_id": case.dossier_id, "citizen_id": citizen(999), "organisation": CELL, "attempt": 3, "meeting_on": "2026-10-20",
        }
        assert last(case, "RecognitionEscalated") == {
            "dossier_id": case.dossier_id, "citizen_id": citizen(999), "organisation": CELL, "to_organisation": GRASSROOTS,
        }
        with pytest.raises(RuleViolation) as refused:
            cell_vote(case, 9, on=date(2026, 10, 21))
        assert refused.value.code == "rule:RECOG_3_FAILS"
        # The committee above takes the case up without a cell resolution.
        assert grassroots_vote(case, 7).adopted
        recognise(case)
        assert event_types(case)[-1] == "RecognitionDecided"

    def test_RECOG_3_FAILS_two_failed_votes_then_an_adopted_one_do_not_escalate(self) -> None:
        case = on_probation()
        cell_vote(case, 5, 4, on=date(2026, 10, 16))
        cell_vote(case, 5, 4, on=date(2026, 10, 17))
        assert cell_vote(case, 6, 3, on=date(2026, 10, 20)).adopted
        assert "RecognitionEscalated" not in event_types(case)

    def test_RECOG_3_FAILS_counts_the_grassroots_committees_failed_votes_on_their_own(self) -> None:
        case = on_probation()
        cell_vote(case, 6)
        for day in (27, 28, 29):
            grassroots_vote(case, 5, 4, on=date(2026, 10, day))
        assert last(case, "RecognitionEscalated") == {
            "dossier_id": case.dossier_id, "citizen_id": citizen(999), "organisation": GRASSROOTS, "to_organisation": UPPER,
        }
        with pytest.raises(RuleViolation, match="RECOG_3_FAILS"):
            grassroots_vote(case, 9, on=date(2026, 10, 30))

    def test_a_cell_rejection_leads_to_the_removal_of_the_name(self) -> None:
        case = on_probation()
        assert cell_vote(case, 1, 7).outcome == "rejected"
        assert event_types(case)[-1] == "RecognitionResolutionRejected"
        with pytest.raises(InvalidInput):
            recognise(case)
        case.decide_name_removal(decided_by=UPPER, decision_date=date(2026, 11, 5), reason="Không đủ tư cách đảng viên", competent=UPPER_DECIDES)
        assert last(case, "NameRemovalDecided") == {
            "dossier_id": case.dossier_id, "citizen_id": citizen(999), "organisation": CELL, "decided_by": UPPER,
            "decision_date": "2026-11-05", "reason": "Không đủ tư cách đảng viên", "rule_set": "2025-07",
        }
        with pytest.raises(Conflict):
            case.decide_name_removal(decided_by=UPPER, decision_date=date(2026, 11, 6), reason="x", competent=UPPER_DECIDES)

    def test_a_second_resolution_of_the_cell_conflicts(self) -> None:
        case = on_probation()
        cell_vote(case, 6)
        with pytest.raises(Conflict):
            cell_vote(case, 9)


class TestRecognitionDecisions:
    def test_AUTHORITY_a_recognition_from_the_wrong_organisation_is_refused(self) -> None:
        case = on_probation()
        cell_vote(case, 6)
        grassroots_vote(case, 6)
        with pytest.raises(RuleViolation, match="AUTHORITY"):
            recognise(case, decided_by=GRASSROOTS)
        with pytest.raises(RuleViolation, match="AUTHORITY"):
            case.decide_name_removal(decided_by=GRASSROOTS, decision_date=date(2026, 11, 5), reason="x", competent=UPPER_DECIDES)

    def test_COMMITTEE_2_3_an_authorised_grassroots_committee_recognises_with_two_thirds_of_all_members(self) -> None:
        case = on_probation()
        cell_vote(case, 6)
        with pytest.raises(RuleViolation, match="COMMITTEE_2_3"):
            recognise(case, decided_by=GRASSROOTS, competent=GRASSROOTS_DECIDES, committee=committee(9), ballots=committee_ballots(5))
        recognise(case, decided_by=GRASSROOTS, competent=GRASSROOTS_DECIDES, committee=committee(9), ballots=committee_ballots(6))
        assert event_types(case)[-3:] == ["VoteHeld", "AuthorityChecked", "RecognitionDecided"]

    def test_the_recognition_decision_may_be_extended_once(self) -> None:
        case = on_probation()
        cell_vote(case, 6)
        case.extend_decision_deadline(decided_by=UPPER, on=date(2026, 11, 1), by_working_days=30, competent=UPPER_DECIDES)
        assert case.recognition_extensions == [30] and case.extensions == []
        assert last(case, "DecisionDeadlineExtended")["decision"] == "recognition"
        with pytest.raises(RuleViolation, match="DECISION_60WD"):
            case.extend_decision_deadline(decided_by=UPPER, on=date(2026, 11, 2), by_working_days=1, competent=UPPER_DECIDES)
