"""The admission chain of one applicant: cell resolution, appraisal, grassroots resolution, decision,
extension, notification (ketnap.services.voting.admission_case)."""

from __future__ import annotations

from datetime import date

import pytest

from ketnap.domain.rules import RuleCode
from ketnap.platform.commands import Conflict, InvalidInput, NotFound, RuleViolation
from ketnap.platform.envelope import RecordedEvent
from ketnap.services.voting.admission_case import AdmissionCase
from ketnap.services.voting.roster import Chain, Competence, Organisation, OrganisationKind
from tests.unit.voting.builders import (
    CELL,
    GRASSROOTS,
    GRASSROOTS_DECIDES,
    MEETING_ON,
    PARTIAL,
    PROVINCE,
    UPPER,
    UPPER_DECIDES,
    admitted,
    adopted_by_cell,
    ballots,
    chain,
    citizen,
    committee,
    committee_ballots,
    event_types,
    last,
    opened,
    proposed_by_grassroots,
    roster,
)


def replayed(case: AdmissionCase) -> AdmissionCase:
    """The same case loaded back from its events, as the service does before every command."""
    recorded = [
        RecordedEvent(
            position=i, stream_id=case.stream_id, stream_version=i, event_id=e.event_id, event_type=e.event_type,
            schema_version=e.schema_version, data=e.data, actor="t", organisation=None, correlation_id=None,
            causation_id=None, recorded_at=None, previous_hash="", hash="",  # type: ignore[arg-type]
        )
        for i, e in enumerate(case.pending, start=1)
    ]
    return AdmissionCase.load(case.dossier_id, recorded)


def decide(case: AdmissionCase, decided_by: str = UPPER, competent: Competence = UPPER_DECIDES, **overrides):  # noqa: ANN003, ANN201
    fields = dict(
        decided_by=decided_by, decision_date=date(2025, 10, 1), admitted=True, decision_number="12-QĐ/ĐU",
        reason=None, competent=competent, chain=chain(),
    )
    fields.update(overrides)
    return case.decide_admission(**fields)


class TestCellResolution:
    def test_an_adopted_resolution_records_the_vote_and_the_published_event(self) -> None:
        case = opened()
        tally = case.record_cell_resolution(cell=CELL, meeting_on=MEETING_ON, ballots=ballots(agree=range(1, 7), disagree=[7]), roster=roster(9))
        assert tally.adopted
        assert event_types(case) == ["CaseOpened", "VoteHeld", "CellResolutionAdopted"]
        published = last(case, "CellResolutionAdopted")
        assert published == {
            "dossier_id": case.dossier_id, "cell": CELL, "citizen_id": citizen(999), "meeting_on": "2025-09-10",
            "agree": 6, "disagree": 1, "denominator": 9, "entitled": [citizen(n) for n in range(1, 10)], "rule_set": "2025-07",
        }
        vote = last(case, "VoteHeld")
        assert vote["act"] == "cell_resolution" and vote["outcome"] == "adopted" and vote["required"] == 6
        assert {b["citizen_id"]: b["choice"] for b in vote["ballots"]}[citizen(7)] == "disagree"
        assert len(vote["roster"]) == 9

    def test_NO_RULE_SET_a_meeting_before_every_rule_set_is_refused_as_every_step_refuses_it(self) -> None:
        case = AdmissionCase("d-2011")
        case.open(cell=CELL, citizen_id=citizen(999), full_name="Nguyễn Văn An", ready_on=date(2011, 10, 20), dossier_rule_set="2011")
        with pytest.raises(RuleViolation) as refused:
            case.record_cell_resolution(cell=CELL, meeting_on=date(2011, 10, 31), ballots=ballots(agree=range(1, 7)), roster=roster(9))
        assert refused.value.rule == "NO_RULE_SET"
        assert refused.value.message == f"[NO_RULE_SET] Ngày 31/10/2011: {RuleCode.NO_RULE_SET.message}"
        tally = case.record_cell_resolution(cell=CELL, meeting_on=date(2011, 11, 1), ballots=ballots(agree=range(1, 7)), roster=roster(9))
        assert tally.adopted and last(case, "CellResolutionAdopted")["rule_set"] == "2011"

    def test_CELL_2_3_a_resolution_short_of_two_thirds_is_recorded_as_not_adopted(self) -> None:
        case = opened()
        tally = case.record_cell_resolution(cell=CELL, meeting_on=MEETING_ON, ballots=ballots(agree=range(1, 6)), roster=roster(9))
        assert tally.violation is not None and tally.violation.code == "CELL_2_3"
        assert event_types(case)[-1] == "CellResolutionNotAdopted"

    def test_a_second_record_of_the_cell_step_is_a_conflict(self) -> None:
        case = adopted_by_cell()
        with pytest.raises(Conflict):
            case.record_cell_resolution(cell=CELL, meeting_on=MEETING_ON, ballots=ballots(agree=range(1, 7)), roster=roster(9))
        not_adopted = opened()
        not_adopted.record_cell_resolution(cell=CELL, meeting_on=MEETING_ON, ballots=ballots(agree=[1]), roster=roster(9))
        with pytest.raises(Conflict):
            not_adopted.record_cell_resolution(cell=CELL, meeting_on=MEETING_ON, ballots=ballots(agree=range(1, 9)), roster=roster(9))

    def test_a_dossier_made_ready_again_after_a_failed_vote_can_be_voted_again(self) -> None:
        case = opened()
        case.record_cell_resolution(cell=CELL, meeting_on=MEETING_ON, ballots=ballots(agree=[1]), roster=roster(9))
        assert case.open(cell=CELL, citizen_id=citizen(999), full_name="Nguyễn Văn An", ready_on=date(2025, 11, 1), dossier_rule_set="2025-07")
        assert case.record_cell_resolution(cell=CELL, meeting_on=date(2025, 11, 5), ballots=ballots(agree=range(1, 8)), roster=roster(9)).adopted

    def test_a_repeated_ready_event_changes_nothing_while_the_chain_goes_on(self) -> None:
        case = adopted_by_cell()
        assert not case.open(cell=CELL, citizen_id=citizen(999), full_name="X", ready_on=date(2025, 9, 2), dossier_rule_set="2025-07")
        assert case.cell_resolution is not None and case.cell_resolution.adopted

    def test_no_vote_without_a_ready_dossier_nor_by_another_cell_nor_before_it_was_ready(self) -> None:
        with pytest.raises(NotFound):
            AdmissionCase("unknown").record_cell_resolution(cell=CELL, meeting_on=MEETING_ON, ballots=[], roster=roster(3))
        with pytest.raises(InvalidInput, match="chi bộ khác"):
            opened().record_cell_resolution(cell="CB-KHAC", meeting_on=MEETING_ON, ballots=[], roster=roster(3))
        with pytest.raises(InvalidInput, match="trước ngày hồ sơ sẵn sàng"):
            opened().record_cell_resolution(cell=CELL, meeting_on=date(2025, 8, 1), ballots=[], roster=roster(3))

    def test_a_withdrawn_or_suspended_dossier_takes_no_vote(self) -> None:
        case = opened()
        case.suspend(on=date(2025, 9, 5))
        with pytest.raises(Conflict, match="sưu tra"):
            case.record_cell_resolution(cell=CELL, meeting_on=MEETING_ON, ballots=ballots(agree=[1, 2]), roster=roster(3))
        case.resume(on=date(2025, 9, 8))
        case.close(on=date(2025, 9, 9), why="withdrawn")
        with pytest.raises(Conflict, match="đã rút"):
            case.record_cell_resolution(cell=CELL, meeting_on=MEETING_ON, ballots=ballots(agree=[1, 2]), roster=roster(3))

    def test_a_refused_vote_records_nothing(self) -> None:
        case = opened()
        with pytest.raises(RuleViolation):
            case.record_cell_resolution(cell=CELL, meeting_on=MEETING_ON, ballots=ballots(agree=[1]), roster=roster(2))
        assert event_types(case) == ["CaseOpened"]

    def test_a_transferred_dossier_is_voted_by_the_receiving_cell(self) -> None:
        case = opened()
        case.transfer(from_cell=CELL, to_cell="CB-MOI", on=date(2025, 9, 5))
        with pytest.raises(InvalidInput):
            case.record_cell_resolution(cell=CELL, meeting_on=MEETING_ON, ballots=ballots(agree=[1, 2]), roster=roster(3))
        assert case.record_cell_resolution(cell="CB-MOI", meeting_on=MEETING_ON, ballots=ballots(agree=[1, 2]), roster=roster(3)).adopted


class TestAppraisalAndGrassroots:
    def test_a_partial_committee_appraises_before_the_grassroots_committee_votes(self) -> None:
        case = adopted_by_cell()
        with pytest.raises(InvalidInput, match="thẩm định"):
            case.record_grassroots_resolution(
                organisation=GRASSROOTS, meeting_on=date(2025, 9, 20), ballots=committee_ballots(7), chain=chain(partial=True), committee=committee(9)
            )
        with pytest.raises(InvalidInput, match=PARTIAL):
            case.record_appraisal(organisation=GRASSROOTS, appraised_on=date(2025, 9, 15), opinion="Đủ điều kiện", chain=chain(partial=True))
        case.record_appraisal(organisation=PARTIAL, appraised_on=date(2025, 9, 15), opinion="Đủ  điều kiện ", chain=chain(partial=True))
        assert last(case, "PartialCommitteeAppraised") == {
            "dossier_id": case.dossier_id, "organisation": PARTIAL, "appraised_on": "2025-09-15", "opinion": "Đủ điều kiện",
        }
        case.record_grassroots_resolution(
            organisation=GRASSROOTS, meeting_on=date(2025, 9, 20), ballots=committee_ballots(6), chain=chain(partial=True), committee=committee(9)
        )
        assert event_types(case)[-1] == "GrassrootsResolutionAdopted"

    def test_no_appraisal_without_a_partial_committee(self) -> None:
        with pytest.raises(InvalidInput, match="không trực thuộc đảng bộ bộ phận"):
            adopted_by_cell().record_appraisal(organisation=PARTIAL, appraised_on=date(2025, 9, 15), opinion="x", chain=chain())

    def test_COMMITTEE_2_3_grassroots_resolution_with_five_of_nine_is_not_adopted(self) -> None:
        case = adopted_by_cell()
        tally = case.record_grassroots_resolution(
            organisation=GRASSROOTS, meeting_on=date(2025, 9, 20), ballots=committee_ballots(5, 2), chain=chain(), committee=committee(9)
        )
        assert tally.violation is not None and tally.violation.code == "COMMITTEE_2_3"
        assert last(case, "GrassrootsResolutionNotAdopted") == {
            "dossier_id": case.dossier_id, "organisation": GRASSROOTS, "meeting_on": "2025-09-20", "agree": 5, "denominator": 9,
            "rule_set": "2025-07",
        }
        with pytest.raises(Conflict):
            decide(case)

    def test_only_the_cells_grassroots_committee_votes_and_only_after_the_cell(self) -> None:
        with pytest.raises(InvalidInput, match=GRASSROOTS):
            adopted_by_cell().record_grassroots_resolution(
                organisation=UPPER, meeting_on=date(2025, 9, 20), ballots=[], chain=chain(), committee=committee(9)
            )
        with pytest.raises(InvalidInput, match="chưa có nghị quyết"):
            opened().record_grassroots_resolution(
                organisation=GRASSROOTS, meeting_on=date(2025, 9, 20), ballots=[], chain=chain(), committee=committee(9)
            )
        with pytest.raises(InvalidInput, match="Chi bộ cơ sở"):
            adopted_by_cell().record_grassroots_resolution(
                organisation=GRASSROOTS, meeting_on=date(2025, 9, 20), ballots=[], chain=chain(grassroots_cell=True), committee=committee(9)
            )


class TestDecision:
    def test_the_competent_committee_admits_and_the_published_event_has_the_contract_fields(self) -> None:
        case = proposed_by_grassroots()
        decide(case)
        assert event_types(case)[-2:] == ["AuthorityChecked", "AdmissionDecided"]
        assert last(case, "AdmissionDecided") == {
            "dossier_id": case.dossier_id, "citizen_id": citizen(999), "full_name": "Nguyễn Văn An", "organisation": CELL,
            "decided_by": UPPER, "decision_number": "12-QĐ/ĐU", "decision_date": "2025-10-01", "rule_set": "2025-07",
        }
        assert last(case, "AuthorityChecked")["competent_authority"] == UPPER

    def test_AUTHORITY_a_decision_from_the_wrong_organisation_is_refused(self) -> None:
        case = proposed_by_grassroots()
        with pytest.raises(RuleViolation) as refused:
            decide(case, decided_by=PROVINCE)
        assert refused.value.code == "rule:AUTHORITY"
        assert refused.value.message.startswith("[AUTHORITY] Tổ chức đảng không có thẩm quyền")
        assert refused.value.details == {"rule": "AUTHORITY", "decided_by": PROVINCE, "competent_authority": UPPER}
        assert event_types(case)[-1] == "GrassrootsResolutionAdopted"

    def test_AUTHORITY_through_a_tree_that_changed_authority_granted_to_the_grassroots_committee(self) -> None:
        granted_from = date(2025, 10, 1)

        def competent_on(d: date) -> Competence:
            # The registry's answer: the upper committee decides until the grassroots committee's
            # authorisation takes effect.
            return GRASSROOTS_DECIDES if d >= granted_from else UPPER_DECIDES

        before = adopted_by_cell()
        with pytest.raises(RuleViolation, match="AUTHORITY"):
            decide(before, decided_by=GRASSROOTS, competent=competent_on(date(2025, 9, 30)), decision_date=date(2025, 9, 30),
                   committee=committee(9), ballots=committee_ballots(7))
        after = adopted_by_cell()
        decide(after, decided_by=GRASSROOTS, competent=competent_on(granted_from), decision_date=granted_from,
               committee=committee(9), ballots=committee_ballots(6))
        assert event_types(after)[-3:] == ["VoteHeld", "AuthorityChecked", "AdmissionDecided"]
        assert last(after, "VoteHeld")["act"] == "admission_decision"
        # ... and from that day the upper committee no longer decides for this cell.
        with pytest.raises(RuleViolation, match="AUTHORITY"):
            decide(proposed_by_grassroots(), decided_by=UPPER, competent=competent_on(date(2025, 10, 2)), decision_date=date(2025, 10, 2))

    def test_AUTHORITY_through_a_tree_that_changed_the_cell_moved_under_another_committee(self) -> None:
        moved_on = date(2025, 10, 1)
        new_upper = "DU-PHUONG-2"
        moved = Chain(
            (
                Organisation(CELL, OrganisationKind.CELL, GRASSROOTS),
                Organisation(GRASSROOTS, OrganisationKind.GRASSROOTS_COMMITTEE, new_upper),
                Organisation(new_upper, OrganisationKind.UPPER_COMMITTEE, PROVINCE),
                Organisation(PROVINCE, OrganisationKind.PROVINCE, None),
            )
        )

        def competent_on(d: date) -> Competence:
            return Competence(new_upper if d >= moved_on else UPPER, OrganisationKind.UPPER_COMMITTEE)

        with pytest.raises(RuleViolation, match="AUTHORITY"):
            decide(proposed_by_grassroots(), decided_by=UPPER, competent=competent_on(moved_on), decision_date=moved_on, chain=moved)
        case = proposed_by_grassroots()
        decide(case, decided_by=UPPER, competent=competent_on(date(2025, 9, 30)), decision_date=date(2025, 9, 30))
        assert last(case, "AdmissionDecided")["decided_by"] == UPPER
        case = proposed_by_grassroots()
        decide(case, decided_by=new_upper, competent=competent_on(moved_on), decision_date=moved_on, chain=moved)
        assert last(case, "AdmissionDecided")["decided_by"] == new_upper

    def test_COMMITTEE_2_3_an_authorised_grassroots_committee_admits_only_with_two_thirds_of_all_members(self) -> None:
        case = adopted_by_cell()
        with pytest.raises(RuleViolation) as refused:
            decide(case, decided_by=GRASSROOTS, competent=GRASSROOTS_DECIDES, committee=committee(9), ballots=committee_ballots(5))
        assert refused.value.code == "rule:COMMITTEE_2_3"
        with pytest.raises(InvalidInput, match="biểu quyết"):
            decide(case, decided_by=GRASSROOTS, competent=GRASSROOTS_DECIDES, committee=committee(9), ballots=[])
        decide(case, decided_by=GRASSROOTS, competent=GRASSROOTS_DECIDES, committee=committee(9), ballots=committee_ballots(6))
        assert last(case, "VoteHeld")["denominator"] == 9

    def test_an_authorised_grassroots_committee_refuses_when_two_thirds_did_not_agree(self) -> None:
        case = adopted_by_cell()
        decide(case, decided_by=GRASSROOTS, competent=GRASSROOTS_DECIDES, committee=committee(9), ballots=committee_ballots(4, 5),
               admitted=False, decision_number=None, reason="Chưa đủ hai phần ba cấp ủy viên tán thành")
        assert last(case, "AdmissionRefused")["reason"] == "Chưa đủ hai phần ba cấp ủy viên tán thành"

    def test_an_upper_committee_decides_only_after_the_grassroots_resolution(self) -> None:
        with pytest.raises(InvalidInput, match="đảng ủy cơ sở"):
            decide(adopted_by_cell())
        grassroots_cell = adopted_by_cell()
        decide(grassroots_cell, chain=chain(grassroots_cell=True))
        assert event_types(grassroots_cell)[-1] == "AdmissionDecided"

    def test_a_refusal_needs_a_reason_an_admission_a_number_and_a_second_decision_conflicts(self) -> None:
        with pytest.raises(InvalidInput, match="lý do"):
            decide(proposed_by_grassroots(), admitted=False, decision_number=None)
        with pytest.raises(InvalidInput, match="số quyết định"):
            decide(proposed_by_grassroots(), decision_number=None)
        case = proposed_by_grassroots()
        decide(case, admitted=False, decision_number=None, reason="Chưa đủ tiêu chuẩn")
        assert (last(case, "AdmissionRefused")["decided_by"], last(case, "AdmissionRefused")["rule_set"]) == (UPPER, "2025-07")
        with pytest.raises(Conflict):
            decide(case)

    def test_a_decision_is_not_dated_before_the_resolutions(self) -> None:
        with pytest.raises(InvalidInput, match="trước"):
            decide(proposed_by_grassroots(), decision_date=date(2025, 9, 15))

    def test_ballots_are_refused_when_an_upper_committee_decides(self) -> None:
        with pytest.raises(InvalidInput, match="được ủy quyền"):
            decide(proposed_by_grassroots(), committee=committee(9), ballots=committee_ballots(9))


class TestExtensionAndNotification:
    def extend(self, case: AdmissionCase, days: int, decided_by: str = UPPER) -> None:
        case.extend_decision_deadline(decided_by=decided_by, on=date(2025, 11, 20), by_working_days=days, competent=UPPER_DECIDES)

    def test_DECISION_60WD_an_extension_of_30_working_days_is_accepted(self) -> None:
        case = proposed_by_grassroots()
        self.extend(case, 30)
        assert last(case, "DecisionDeadlineExtended") == {
            "dossier_id": case.dossier_id, "by_working_days": 30, "decided_by": UPPER, "on": "2025-11-20", "decision": "admission",
        }

    def test_DECISION_60WD_an_extension_of_31_working_days_is_refused(self) -> None:
        case = proposed_by_grassroots()
        with pytest.raises(RuleViolation) as refused:
            self.extend(case, 31)
        assert refused.value.code == "rule:DECISION_60WD"
        assert "không được quá 30 ngày làm việc" in refused.value.message

    def test_DECISION_60WD_a_second_extension_is_refused(self) -> None:
        case = proposed_by_grassroots()
        self.extend(case, 10)
        with pytest.raises(RuleViolation) as refused:
            self.extend(case, 5)
        assert refused.value.code == "rule:DECISION_60WD"
        assert "Chỉ được gia hạn một lần" in refused.value.message
        assert replayed(case).extensions == [10]

    def test_AUTHORITY_only_the_competent_committee_extends(self) -> None:
        with pytest.raises(RuleViolation, match="AUTHORITY"):
            self.extend(proposed_by_grassroots(), 10, decided_by=GRASSROOTS)

    def test_no_extension_after_the_decision(self) -> None:
        with pytest.raises(Conflict):
            self.extend(admitted(), 10)

    def test_the_cell_is_notified_of_either_decision_once(self) -> None:
        case = admitted()
        with pytest.raises(InvalidInput):
            case.record_cell_notified(received_on=date(2025, 9, 30))
        case.record_cell_notified(received_on=date(2025, 10, 3))
        assert last(case, "CellNotified") == {"dossier_id": case.dossier_id, "organisation": CELL, "received_on": "2025-10-03"}
        with pytest.raises(Conflict):
            case.record_cell_notified(received_on=date(2025, 10, 4))
        with pytest.raises(InvalidInput, match="Chưa có quyết định"):
            proposed_by_grassroots().record_cell_notified(received_on=date(2025, 10, 3))

    def test_the_whole_chain_loads_back_from_its_events(self) -> None:
        case = admitted()
        case.record_cell_notified(received_on=date(2025, 10, 3))
        again = replayed(case)
        assert again.summary() | {"version": 0} == case.summary() | {"version": 0}
        assert again.decision is not None and again.decision.positive
