"""A cell's resolution adopted on paper and taken over with its counts (issue 18): judged by the same
rules as a vote recorded here (CELL_MIN3, CELL_2_3 against the registry's roster, NO_RULE_SET), and
then the chain goes on live as after any adopted resolution."""

from __future__ import annotations

from datetime import date

import pytest

from ketnap.platform.commands import Conflict, InvalidInput, RuleViolation
from ketnap.services.voting.admission_case import AdmissionCase
from tests.unit.voting.builders import (
    CELL,
    GRASSROOTS,
    GRASSROOTS_DECIDES,
    MEETING_ON,
    UPPER,
    UPPER_DECIDES,
    adopted_by_cell,
    chain,
    citizen,
    committee,
    event_types,
    last,
    opened,
    roster,
)


class TestCellResolutionTakenOverFromPaper:
    def test_the_counts_are_judged_against_the_roster_and_the_resolution_is_published_as_adopted(self) -> None:
        case = opened()
        tally = case.take_over_cell_resolution(cell=CELL, meeting_on=MEETING_ON, agree=6, disagree=1, roster=roster(9))
        assert tally.adopted and (tally.denominator, tally.required) == (9, 6)
        assert event_types(case) == ["CaseOpened", "ResolutionTakenOverFromPaper", "VoteHeld", "CellResolutionAdopted"]
        assert last(case, "CellResolutionAdopted") | {"entitled": None} == {
            "dossier_id": case.dossier_id, "cell": CELL, "citizen_id": citizen(999), "meeting_on": "2025-09-10",
            "agree": 6, "disagree": 1, "denominator": 9, "entitled": None, "rule_set": "2025-07",
        }
        assert last(case, "VoteHeld")["ballots"] == []
        assert case.summary()["taken_over_from_paper"] == ["cell_resolution"]
        case.decide_admission(decided_by=UPPER, decision_date=date(2025, 10, 1), admitted=True, decision_number="12-QĐ/ĐU",
                              reason=None, competent=UPPER_DECIDES, chain=chain(grassroots_cell=True))
        assert event_types(case)[-1] == "AdmissionDecided"

    def test_CELL_2_3_a_paper_resolution_short_of_two_thirds_is_refused_and_records_nothing(self) -> None:
        case = opened()
        with pytest.raises(RuleViolation) as refused:
            case.take_over_cell_resolution(cell=CELL, meeting_on=MEETING_ON, agree=5, disagree=0, roster=roster(9))
        assert refused.value.rule == "CELL_2_3"
        assert event_types(case) == ["CaseOpened"]

    def test_CELL_MIN3_a_cell_of_two_official_members_cannot_adopt_one(self) -> None:
        with pytest.raises(RuleViolation) as refused:
            opened().take_over_cell_resolution(cell=CELL, meeting_on=MEETING_ON, agree=2, disagree=0, roster=roster(2))
        assert refused.value.rule == "CELL_MIN3"

    def test_NO_RULE_SET_a_paper_meeting_before_every_rule_set_is_refused(self) -> None:
        case = AdmissionCase("d-2011")
        case.open(cell=CELL, citizen_id=citizen(999), full_name="Nguyễn Văn An", ready_on=date(2011, 10, 20), dossier_rule_set="2011")
        with pytest.raises(RuleViolation) as refused:
            case.take_over_cell_resolution(cell=CELL, meeting_on=date(2011, 10, 31), agree=9, disagree=0, roster=roster(9))
        assert refused.value.rule == "NO_RULE_SET"

    def test_more_votes_than_members_or_a_second_resolution_is_refused(self) -> None:
        case = opened()
        with pytest.raises(InvalidInput):
            case.take_over_cell_resolution(cell=CELL, meeting_on=MEETING_ON, agree=9, disagree=1, roster=roster(9))
        case.take_over_cell_resolution(cell=CELL, meeting_on=MEETING_ON, agree=9, disagree=0, roster=roster(9))
        with pytest.raises(Conflict):
            case.take_over_cell_resolution(cell=CELL, meeting_on=MEETING_ON, agree=9, disagree=0, roster=roster(9))


class TestGrassrootsResolutionTakenOverFromPaper:
    def test_COMMITTEE_2_3_the_counts_are_judged_against_all_the_committee_members(self) -> None:
        case = adopted_by_cell()
        with pytest.raises(RuleViolation) as refused:
            case.take_over_grassroots_resolution(organisation=GRASSROOTS, meeting_on=date(2025, 9, 20), agree=5, disagree=0,
                                                 chain=chain(), committee=committee(9))
        assert refused.value.rule == "COMMITTEE_2_3"
        tally = case.take_over_grassroots_resolution(organisation=GRASSROOTS, meeting_on=date(2025, 9, 20), agree=6, disagree=1,
                                                     chain=chain(), committee=committee(9))
        assert tally.adopted and event_types(case)[-3:] == ["ResolutionTakenOverFromPaper", "VoteHeld", "GrassrootsResolutionAdopted"]
        assert case.summary()["taken_over_from_paper"] == ["grassroots_resolution"]


class TestAdmissionDecisionTakenOverFromPaper:
    """An authorised grassroots committee decided on paper by its own vote, whose ballots the paper
    does not hold: its counts are judged as its live vote is (AUTHORITY, COMMITTEE_2_3)."""

    def decide(self, case: AdmissionCase, **overrides: object) -> None:
        arguments: dict = {"decided_by": GRASSROOTS, "decision_number": "15-QĐ/ĐU", "decision_date": date(2025, 9, 25),
                           "agree": 6, "disagree": 1, "competent": GRASSROOTS_DECIDES, "chain": chain(),
                           "committee": committee(9)}
        case.take_over_admission_decision(**(arguments | overrides))  # type: ignore[arg-type]

    def test_COMMITTEE_2_3_the_counts_are_judged_against_all_the_committee_members_and_the_admission_is_published(self) -> None:
        case = adopted_by_cell()
        with pytest.raises(RuleViolation) as refused:
            self.decide(case, agree=5, disagree=0)
        assert refused.value.rule == "COMMITTEE_2_3" and event_types(case)[-1] == "CellResolutionAdopted"
        self.decide(case)
        assert event_types(case)[-4:] == ["ResolutionTakenOverFromPaper", "VoteHeld", "AuthorityChecked", "AdmissionDecided"]
        assert last(case, "ResolutionTakenOverFromPaper")["act"] == "admission_decision"
        assert (last(case, "VoteHeld")["denominator"], last(case, "VoteHeld")["ballots"]) == (9, [])
        assert last(case, "AdmissionDecided")["decision_number"] == "15-QĐ/ĐU"
        assert case.summary()["taken_over_from_paper"] == ["admission_decision"]

    def test_AUTHORITY_a_committee_not_authorised_cannot_be_taken_over_with_counts(self) -> None:
        case = adopted_by_cell()
        with pytest.raises(RuleViolation) as refused:
            self.decide(case, competent=UPPER_DECIDES)
        assert refused.value.rule == "AUTHORITY"
        # The upper committee itself decides in its standing committee: no counts to take over.
        with pytest.raises(InvalidInput, match="ủy quyền"):
            self.decide(case, decided_by=UPPER, competent=UPPER_DECIDES, committee=None)

    def test_more_votes_than_members_a_date_before_the_cell_or_a_second_decision_is_refused(self) -> None:
        case = adopted_by_cell()
        with pytest.raises(InvalidInput):
            self.decide(case, agree=9, disagree=1)
        with pytest.raises(InvalidInput, match="trước"):
            self.decide(case, decision_date=MEETING_ON.replace(day=MEETING_ON.day - 1))
        self.decide(case)
        with pytest.raises(Conflict):
            self.decide(case)
