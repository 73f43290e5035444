"""The dossier's state machine: each step moves it on, a command at the wrong step or with dates out of
order is refused with a Vietnamese message, endings and pauses, and the facts other services record."""

from __future__ import annotations

from datetime import date

import pytest

from ketnap.domain.rules import RuleCode
from ketnap.domain.rules.deadlines import official_date, party_age_months
from ketnap.platform.commands import InvalidInput, RuleViolation
from ketnap.platform.envelope import RecordedEvent
from ketnap.services.dossiers import events as ev
from ketnap.services.dossiers.dossier import (
    DateOutOfOrder,
    Dossier,
    DossierClosed,
    DossierOnHold,
    IncompleteDossier,
    OutOfStep,
    StaleVersion,
    WrongStep,
)
from ketnap.services.dossiers.values import Step
from tests.unit.dossiers import builders as b
from tests.unit.dossiers.builders import TODAY


class TestTheSteps:
    def test_each_step_moves_the_dossier_on(self) -> None:
        assert b.opened().step is Step.SOURCE_LIST
        assert b.with_letter().step is Step.APPLICATION
        assert b.declared().step is Step.VERIFICATION
        assert b.prepared().step is Step.VERIFICATION
        assert b.ready().step is Step.READY_FOR_CELL_VOTE
        assert b.resolved().step is Step.AWAITING_DECISION
        assert b.decided().step is Step.AWAITING_CEREMONY
        assert b.received().step is Step.AWAITING_CEREMONY
        assert b.in_probation().step is Step.PROBATION

    def test_ready_for_cell_vote_carries_exactly_the_contract_fields(self) -> None:
        checked, ready = b.prepared().mark_ready_for_cell_vote(ready_on=b.READY_ON, cell_meeting_on=b.MEETING_ON, today=TODAY)
        assert set(ready.model_dump()) == {"dossier_id", "cell", "citizen_id", "full_name", "birth_date", "ready_on", "rule_set"}
        assert checked.decision == "cell_vote" and checked.judged_on == b.MEETING_ON

    def test_recognition_ends_official_from_ceremony_plus_12_months_whatever_the_decision_date(self) -> None:
        dossier = b.with_new_member_class()
        dossier.then(
            dossier.record_recognition_papers(
                self_review_on=date(2027, 4, 1), helper_review_on=date(2027, 4, 1), opinions_on=date(2027, 4, 1),
                completed_on=date(2027, 4, 12), today=TODAY,
            )
        )
        assert dossier.step is Step.RECOGNITION
        (official,) = dossier.on_recognition_decided(decided_by="DU-HT", decision_number="9-QĐ/ĐU", decision_date=date(2027, 6, 30))
        assert official.official_date == official_date(b.CEREMONY_ON) == date(2027, 4, 10)
        assert official.admitted_on == b.DECISION_ON  # party age counts from the admission decision
        dossier.then([official])
        assert dossier.step is Step.OFFICIAL and dossier.closed
        assert party_age_months(official.admitted_on, date(2027, 3, 20)) == 12

    def test_probation_starts_on_the_ceremony_day(self) -> None:
        dossier = b.in_probation(ceremony_on=date(2026, 4, 14))
        assert dossier.ceremony is not None and dossier.ceremony.held_on == date(2026, 4, 14)

    def test_a_replayed_stream_gives_the_same_dossier_with_its_timeline(self) -> None:
        walked = b.opened()
        kept: list[ev.Event] = list(
            Dossier.open(
                b.DOSSIER_ID, cell=b.CELL, citizen_id=b.APPLICANT, full_name="Nguyễn Thị Hoa", opened_on=b.OPENED_ON,
                helper_citizen_id=b.HELPER, helper=b.OFFICIAL, today=TODAY,
            )
        )
        for step in (
            lambda d: d.submit_application_letter(submitted_on=b.LETTER_ON, today=TODAY),
            lambda d: d.declare_personal_history(
                applicant=b.applicant_facts(), relatives=b.relatives(), family_planning_case=False,
                qualifications=b.qualifications(), declared_on=b.DECLARED_ON, today=TODAY,
            ),
        ):
            events = step(walked)
            walked.then(events)
            kept.extend(events)
        replayed = Dossier.replay(b.DOSSIER_ID, [_recorded(e, v) for v, e in enumerate(kept, start=1)])
        assert (replayed.step, replayed.version) == (walked.step, walked.version) == (Step.VERIFICATION, 4)
        assert replayed.declaration == walked.declaration
        assert [t.event_type for t in replayed.timeline] == [t.event_type for t in walked.timeline]
        assert replayed.timeline[0].actor == "officer-1"


def _recorded(event: ev.Event, version: int) -> RecordedEvent:
    import uuid
    from datetime import UTC, datetime

    new = event.to_new_event()
    return RecordedEvent(
        position=version, stream_id=ev.stream_id(b.DOSSIER_ID), stream_version=version, event_id=uuid.uuid4(),
        event_type=new.event_type, schema_version=1, data=new.data, actor="officer-1", organisation=b.CELL,
        correlation_id=None, causation_id=None, recorded_at=datetime(2026, 1, 1, tzinfo=UTC), previous_hash="0" * 64,
        hash="0" * 64,
    )


class TestWrongSteps:
    def test_the_history_needs_the_application_letter_first(self) -> None:
        with pytest.raises(WrongStep, match="Chưa có đơn xin vào Đảng"):
            b.opened().declare_personal_history(
                applicant=b.applicant_facts(), relatives=[], family_planning_case=False, qualifications=b.qualifications(),
                declared_on=b.DECLARED_ON, today=TODAY,
            )

    def test_the_history_is_declared_once_then_corrected_with_a_reason(self) -> None:
        dossier = b.declared()
        with pytest.raises(WrongStep, match="đính chính có lý do"):
            dossier.declare_personal_history(
                applicant=b.applicant_facts(), relatives=[], family_planning_case=False, qualifications=b.qualifications(),
                declared_on=b.DECLARED_ON, today=TODAY,
            )
        (corrected,) = dossier.correct_personal_history(
            applicant=b.applicant_facts(religion="Phật giáo"), relatives=[{**b.relatives()[0], "subject_id": "father-1"}],
            family_planning_case=False, qualifications=b.qualifications(), corrected_on=date(2025, 10, 20), reason="Khai sai tôn giáo",
            today=TODAY,
        )
        assert corrected.reason == "Khai sai tôn giáo" and corrected.relatives[0].subject_id == "father-1"
        dossier.then([corrected])
        assert dossier.corrections == 1 and dossier.declaration is not None
        assert dossier.declaration.applicant.religion == "Phật giáo"

    def test_relatives_get_stable_readable_subject_ids(self) -> None:
        dossier = b.declared()
        assert dossier.declaration is not None
        assert [r.subject_id for r in dossier.declaration.relatives] == ["father-1", "mother-1"]
        (corrected,) = dossier.correct_personal_history(
            applicant=b.applicant_facts(), relatives=[*b.relatives(), {**b.relatives()[0], "relation": "spouse"}],
            family_planning_case=False, qualifications=b.qualifications(), corrected_on=date(2025, 10, 20), reason="Bổ sung",
            today=TODAY,
        )
        # Not given back, so new ones: never reusing an id verification may already know.
        assert [r.subject_id for r in corrected.relatives] == ["father-2", "mother-2", "spouse-1"]

    def test_a_correction_cannot_name_an_unknown_relative(self) -> None:
        with pytest.raises(InvalidInput, match="Mã người thân không có"):
            b.declared().correct_personal_history(
                applicant=b.applicant_facts(), relatives=[{**b.relatives()[0], "subject_id": "uncle-1"}],
                family_planning_case=False, qualifications=b.qualifications(), corrected_on=date(2025, 10, 20), reason="x",
                today=TODAY,
            )

    def test_the_letter_is_submitted_once(self) -> None:
        with pytest.raises(WrongStep, match="đã nộp đơn xin vào Đảng"):
            b.with_letter().submit_application_letter(submitted_on=b.LETTER_ON, today=TODAY)

    def test_ready_for_the_vote_lists_the_missing_papers(self) -> None:
        with pytest.raises(WrongStep, match="Hồ sơ còn thiếu: giấy chứng nhận"):
            b.with_letter().mark_ready_for_cell_vote(ready_on=b.READY_ON, cell_meeting_on=b.MEETING_ON, today=TODAY)
        with pytest.raises(IncompleteDossier) as error:
            b.declared().mark_ready_for_cell_vote(ready_on=b.READY_ON, cell_meeting_on=b.MEETING_ON, today=TODAY)
        assert error.value.code == "validation"
        assert len(error.value.details["missing"]) == 3

    def test_a_ceremony_needs_the_admission_decision(self) -> None:
        with pytest.raises(WrongStep, match="chờ chi bộ xét"):
            b.ready().record_ceremony(
                held_on=b.CEREMONY_ON, helper_citizen_id=b.HELPER, helper=b.OFFICIAL, received_decision_on=None,
                upper_committee_agreed_delay=False, today=TODAY,
            )

    def test_a_ceremony_needs_the_day_the_cell_received_the_decision(self) -> None:
        dossier = b.decided()
        with pytest.raises(IncompleteDossier, match="Chưa có ngày chi bộ nhận quyết định"):
            dossier.record_ceremony(
                held_on=b.CEREMONY_ON, helper_citizen_id=b.HELPER, helper=b.OFFICIAL, received_decision_on=None,
                upper_committee_agreed_delay=False, today=TODAY,
            )
        held, _ = dossier.record_ceremony(
            held_on=b.CEREMONY_ON, helper_citizen_id=b.HELPER, helper=b.OFFICIAL, received_decision_on=b.RECEIVED_ON,
            upper_committee_agreed_delay=False, today=TODAY,
        )
        assert held.received_decision_on == b.RECEIVED_ON

    def test_a_late_ceremony_is_recorded_and_flagged_CEREMONY_30WD_unless_the_committee_above_agreed(self) -> None:
        late = date(2026, 6, 30)  # more than 30 working days after 25/03/2026
        for agreed, flags in ((False, ["CEREMONY_30WD"]), (True, [])):
            _, checked = b.received().record_ceremony(
                held_on=late, helper_citizen_id=b.HELPER, helper=b.OFFICIAL, received_decision_on=None,
                upper_committee_agreed_delay=agreed, today=TODAY,
            )
            assert checked.flags == flags

    def test_the_member_history_is_filed_once(self) -> None:
        dossier = b.in_probation()
        dossier.then(dossier.file_member_history(filed_on=date(2026, 5, 4), today=TODAY))
        with pytest.raises(WrongStep, match="đã nộp ngày 04/05/2026"):
            dossier.file_member_history(filed_on=date(2026, 5, 5), today=TODAY)


class TestDates:
    def test_a_date_in_the_future_is_refused(self) -> None:
        with pytest.raises(DateOutOfOrder, match="không được sau ngày hôm nay") as error:
            b.opened().submit_application_letter(submitted_on=date(2028, 1, 1), today=TODAY)
        assert error.value.code == "validation" and error.value.details["field"] == "submitted_on"

    def test_a_future_birth_date_is_refused(self) -> None:
        with pytest.raises(DateOutOfOrder, match="Ngày sinh"):
            b.with_letter().declare_personal_history(
                applicant=b.applicant_facts(date(2028, 5, 5)), relatives=[], family_planning_case=False,
                qualifications=b.qualifications(), declared_on=b.DECLARED_ON, today=TODAY,
            )

    def test_a_birth_date_after_the_declaration_is_refused(self) -> None:
        with pytest.raises(DateOutOfOrder, match="Ngày sinh phải trước ngày khai lý lịch"):
            b.with_letter().declare_personal_history(
                applicant=b.applicant_facts(date(2025, 12, 1)), relatives=[], family_planning_case=False,
                qualifications=b.qualifications(), declared_on=b.DECLARED_ON, today=TODAY,
            )

    def test_steps_out_of_order_are_refused(self) -> None:
        with pytest.raises(DateOutOfOrder, match="nộp đơn xin vào Đảng .* không được trước ngày đưa vào danh sách"):
            b.opened().submit_application_letter(submitted_on=date(2025, 8, 1), today=TODAY)
        with pytest.raises(DateOutOfOrder, match="khai lý lịch"):
            b.with_letter().declare_personal_history(
                applicant=b.applicant_facts(), relatives=[], family_planning_case=False, qualifications=b.qualifications(),
                declared_on=date(2025, 9, 30), today=TODAY,
            )
        with pytest.raises(DateOutOfOrder, match="lễ kết nạp"):
            b.received().record_ceremony(
                held_on=date(2026, 3, 24), helper_citizen_id=b.HELPER, helper=b.OFFICIAL, received_decision_on=None,
                upper_committee_agreed_delay=False, today=TODAY,
            )
        with pytest.raises(DateOutOfOrder, match="chuyển hồ sơ"):
            b.prepared().mark_ready_for_cell_vote(ready_on=date(2026, 1, 5), cell_meeting_on=b.MEETING_ON, today=TODAY)
        with pytest.raises(DateOutOfOrder, match="Ngày chi bộ họp xét .* không được trước ngày chuyển hồ sơ"):
            b.prepared().mark_ready_for_cell_vote(ready_on=b.MEETING_ON, cell_meeting_on=b.READY_ON, today=TODAY)
        with pytest.raises(DateOutOfOrder, match="không được trước ngày bắt đầu cùng công tác"):
            b.declared().record_introductions(
                introducers=[b.introducer(acquainted_since=date(2025, 12, 1)), b.introducer(b.INTRODUCER_B)],
                union_resolution=None, standings={b.INTRODUCER_A: b.standing(), b.INTRODUCER_B: b.standing()},
                recorded_on=b.INTRODUCED_ON, today=TODAY,
            )
        with pytest.raises(DateOutOfOrder, match="hoàn thành hồ sơ xét công nhận"):
            b.with_new_member_class().record_recognition_papers(
                self_review_on=date(2027, 5, 2), helper_review_on=date(2027, 4, 1), opinions_on=date(2027, 4, 1),
                completed_on=date(2027, 5, 1), today=TODAY,
            )

    def test_NO_RULE_SET_every_step_refuses_a_date_before_every_known_rule_set_with_one_code_and_message(self) -> None:
        """Not one step accepts a date a later step could not judge: the opening, the letter, the
        history and the introductions are all refused alike, the day before Quy định 45-QĐ/TW."""
        too_early = date(2011, 10, 31)
        first = date(2011, 11, 1)
        refusals = []
        for act in (
            lambda: b.opened(opened_on=too_early),
            lambda: b.with_letter(opened_on=first, letter_on=too_early),
            lambda: b.declared(opened_on=first, letter_on=first, declared_on=too_early),
            lambda: b.declared(opened_on=first, letter_on=first, declared_on=first).record_opinions(
                opinions=[ev.Opinion(source="residence_cell", given_on=too_early, summary="x")], today=TODAY
            ),
        ):
            with pytest.raises(RuleViolation) as refused:
                act()
            refusals.append((refused.value.rule, refused.value.message))
        assert {code for code, _ in refusals} == {"NO_RULE_SET"}
        assert {message for _, message in refusals} == {f"[NO_RULE_SET] Ngày 31/10/2011: {RuleCode.NO_RULE_SET.message}"}
        assert "45-QĐ/TW" in RuleCode.NO_RULE_SET.message

    def test_NO_RULE_SET_the_first_day_of_45_QD_TW_is_judged_under_it(self) -> None:
        first = date(2011, 11, 1)
        dossier = b.declared(opened_on=first, letter_on=first, declared_on=first)
        events = dossier.record_introductions(
            introducers=[
                b.introducer(introduced_on=first, acquainted_since=date(2009, 1, 1)),
                b.introducer(b.INTRODUCER_B, introduced_on=first, acquainted_since=date(2009, 1, 1)),
            ],
            union_resolution=None,
            standings={b.INTRODUCER_A: b.standing(in_unit_since=date(2009, 1, 1)), b.INTRODUCER_B: b.standing(in_unit_since=date(2009, 1, 1))},
            recorded_on=first,
            today=TODAY,
        )
        assert events


class TestEndingsAndPauses:
    def test_withdrawal_ends_the_dossier_and_nothing_more_can_be_recorded(self) -> None:
        dossier = b.declared()
        (withdrawn,) = dossier.withdraw(on=date(2025, 12, 1), today=TODAY)
        assert set(withdrawn.model_dump()) == {"dossier_id", "cell", "on"}
        dossier.then([withdrawn])
        assert dossier.step is Step.WITHDRAWN
        with pytest.raises(DossierClosed, match="Hồ sơ đã kết thúc \\(đã rút hồ sơ\\)"):
            dossier.record_opinions(opinions=[ev.Opinion(source="residence_cell", given_on=date(2025, 12, 2), summary="x")], today=TODAY)
        assert dossier.on_history_certified(certified_by="DU-HT", certified_on=date(2025, 12, 5)) == []

    def test_rejection_records_the_rule_and_the_reason(self) -> None:
        dossier = b.prepared(general_education="primary")
        (rejected,) = dossier.reject(on=date(2026, 2, 3), rule="EDU_MIN", reason="Chưa tốt nghiệp THCS", today=TODAY)
        assert (rejected.rule, rejected.reason, rejected.cell) == ("EDU_MIN", "Chưa tốt nghiệp THCS", b.CELL)
        dossier.then([rejected])
        assert (dossier.step, dossier.ended_rule) == (Step.REJECTED, "EDU_MIN")

    def test_after_the_admission_decision_a_dossier_can_no_longer_be_withdrawn(self) -> None:
        with pytest.raises(WrongStep, match="chỉ có thể xóa tên"):
            b.decided().withdraw(on=date(2026, 4, 1), today=TODAY)

    def test_an_ending_cannot_precede_the_latest_fact(self) -> None:
        with pytest.raises(DateOutOfOrder, match="sự kiện mới nhất"):
            b.prepared().withdraw(on=date(2025, 12, 1), today=TODAY)  # certified 12/01/2026

    def test_suspension_pauses_officers_but_not_the_facts_of_other_services(self) -> None:
        dossier = b.declared()
        dossier.then(dossier.suspend(on=date(2025, 11, 1), today=TODAY))
        with pytest.raises(DossierOnHold, match="để lại sưu tra từ ngày 01/11/2025"):
            dossier.record_opinions(opinions=[ev.Opinion(source="residence_cell", given_on=date(2025, 11, 2), summary="x")], today=TODAY)
        with pytest.raises(WrongStep, match="đã để lại sưu tra"):
            dossier.suspend(on=date(2025, 11, 2), today=TODAY)
        dossier.then(dossier.on_history_certified(certified_by="DU-HT", certified_on=date(2025, 12, 1)))
        assert dossier.certification is not None
        with pytest.raises(DateOutOfOrder):
            dossier.resume(on=date(2025, 11, 15), today=TODAY)
        dossier.then(dossier.resume(on=date(2025, 12, 2), today=TODAY))
        assert dossier.suspended_on is None
        assert dossier.record_opinions(opinions=[ev.Opinion(source="residence_cell", given_on=date(2025, 12, 3), summary="x")], today=TODAY)
        with pytest.raises(WrongStep, match="không ở trạng thái để lại sưu tra"):
            dossier.resume(on=date(2025, 12, 3), today=TODAY)

    def test_a_suspended_dossier_may_still_be_withdrawn_rejected_or_transferred(self) -> None:
        dossier = b.declared()
        dossier.then(dossier.suspend(on=date(2025, 11, 1), today=TODAY))
        assert dossier.withdraw(on=date(2025, 11, 2), today=TODAY)
        assert dossier.reject(on=date(2025, 11, 2), rule=None, reason="Kết quả sưu tra", today=TODAY)
        assert dossier.transfer(on=date(2025, 11, 2), to_cell="CB-02", to_a_cell=True, today=TODAY)

    def test_a_transfer_keeps_the_history_and_the_receiving_cell_continues(self) -> None:
        dossier = b.in_probation()
        with pytest.raises(InvalidInput, match="Chi bộ nhận phải khác") as refused:
            dossier.transfer(on=date(2026, 5, 4), to_cell=b.CELL, to_a_cell=True, today=TODAY)
        assert refused.value.code == "validation"  # never moved there: the input is wrong
        (moved,) = dossier.transfer(on=date(2026, 5, 4), to_cell="CB-09", to_a_cell=True, today=TODAY)
        assert (moved.cell, moved.from_cell, moved.to_cell) == (b.CELL, b.CELL, "CB-09")
        version = dossier.version
        dossier.then([moved])
        assert dossier.cell == "CB-09" and dossier.step is Step.PROBATION and dossier.version == version + 1
        dossier.then(
            dossier.record_new_member_class(certificate_number="1", issued_on=date(2026, 6, 1), issued_by="TTCT", today=TODAY)
        )
        (_, _, completed) = dossier.record_recognition_papers(
            self_review_on=date(2027, 4, 10), helper_review_on=date(2027, 4, 10), opinions_on=date(2027, 4, 10),
            completed_on=date(2027, 4, 12), today=TODAY,
        )
        assert completed.cell == "CB-09"
        with pytest.raises(InvalidInput, match="đã được chuyển đến chi bộ CB-09 ngày 04/05/2026") as refused:
            dossier.transfer(on=date(2026, 6, 2), to_cell="CB-09", to_a_cell=True, today=TODAY)
        assert refused.value.code == "conflict"  # the loser of two officers moving it at once
        with pytest.raises(InvalidInput, match="không phải là một chi bộ"):
            dossier.transfer(on=date(2026, 6, 2), to_cell="DU-HT", to_a_cell=False, today=TODAY)

    def test_an_officer_acting_on_an_old_version_gets_a_conflict(self) -> None:
        dossier = b.declared()
        dossier.check_expected_version(dossier.version)
        with pytest.raises(StaleVersion) as error:
            dossier.check_expected_version(dossier.version - 1)
        assert error.value.code == "conflict" and "người khác cập nhật" in error.value.message


class TestWhatOtherServicesDecided:
    def test_a_certification_received_twice_is_recorded_once(self) -> None:
        dossier = b.declared()
        dossier.then(dossier.on_history_certified(certified_by="DU-HT", certified_on=b.CERTIFIED_ON))
        assert dossier.on_history_certified(certified_by="DU-HT", certified_on=b.CERTIFIED_ON) == []

    def test_a_resolution_not_adopted_rejects_the_dossier_under_CELL_2_3(self) -> None:
        dossier = b.ready()
        recorded, rejected = dossier.on_cell_resolution(
            adopted=False, meeting_on=b.MEETING_ON, agree=5, disagree=4, denominator=9, rule_set="2025-07"
        )
        assert not recorded.adopted and (rejected.rule, rejected.on) == ("CELL_2_3", b.MEETING_ON)

    def test_rules_broken_on_the_real_meeting_date_are_flagged_not_silently_kept(self) -> None:
        dossier = b.ready(class_issued_on=date(2021, 2, 10))  # valid to 10/02/2026, the planned date
        recorded, *flags = dossier.on_cell_resolution(
            adopted=True, meeting_on=date(2026, 2, 12), agree=8, disagree=0, denominator=9, rule_set="2025-07"
        )
        assert recorded.adopted and [f.rule for f in flags] == ["CLASS_VALID"]
        dossier.then([recorded, *flags])
        assert dossier.step is Step.AWAITING_DECISION and dossier.flags[0].message.startswith("Giấy chứng nhận hết hạn")

    def test_a_block_lifted_with_reject_rejects_the_dossier(self) -> None:
        dossier = b.prepared()
        dossier.then(dossier.on_verification_blocked(subject_id="father-1", on=date(2026, 1, 20)))
        assert dossier.on_verification_blocked(subject_id="father-1", on=date(2026, 1, 21)) == []
        (rejected,) = dossier.on_verification_block_lifted(decided_by="HU-01", decided_on=date(2026, 1, 30), outcome="reject")
        assert rejected.rule is None and "HU-01" in rejected.reason

    def test_a_refusal_ends_the_dossier(self) -> None:
        dossier = b.resolved()
        dossier.then(dossier.on_admission_refused(decided_by="DU-HT", decision_date=date(2026, 3, 2), reason="Chưa đủ tiêu chuẩn"))
        assert dossier.step is Step.REFUSED and dossier.closed
        assert dossier.on_cell_notified(received_on=date(2026, 3, 5)) == []

    def test_a_fact_that_cannot_fit_the_dossier_is_out_of_step(self) -> None:
        with pytest.raises(OutOfStep):
            b.declared().on_admission_decided(decided_by="DU-HT", decision_number="1", decision_date=b.DECISION_ON, rule_set="2025-07")
        with pytest.raises(OutOfStep):
            b.with_letter().on_history_certified(certified_by="DU-HT", certified_on=b.CERTIFIED_ON)
        with pytest.raises(OutOfStep):
            b.resolved().on_cell_resolution(adopted=True, meeting_on=b.MEETING_ON, agree=9, disagree=0, denominator=9, rule_set="2025-07")

    def test_an_extension_during_probation_is_of_the_recognition_decision_and_kept_not_refused(self) -> None:
        dossier = b.in_probation()
        (kept,) = dossier.on_decision_deadline_extended(by_working_days=30, decided_by="DU-HT", on=date(2027, 5, 3), decision="recognition")
        assert kept.decision == "recognition"
        dossier.then([kept])
        assert dossier.extension_working_days == 0  # the admission decision's deadline is not moved
        # An extension voting recorded before it named the decision is placed by the step.
        (older,) = b.in_probation().on_decision_deadline_extended(by_working_days=10, decided_by="DU-HT", on=date(2027, 5, 3))
        assert older.decision == "recognition"
        with pytest.raises(OutOfStep):
            b.in_probation().on_decision_deadline_extended(by_working_days=10, decided_by="DU-HT", on=date(2027, 5, 3), decision="admission")

    def test_the_cell_receiving_the_decision_is_recorded_once(self) -> None:
        dossier = b.received()
        assert dossier.decision_received_on == b.RECEIVED_ON
        assert dossier.on_cell_notified(received_on=date(2026, 3, 30)) == []

    def test_name_removal_and_escalation(self) -> None:
        dossier = b.in_probation()
        dossier.then(dossier.on_recognition_escalated(to_organisation="HU-01"))
        assert dossier.escalated_to == "HU-01" and dossier.on_recognition_escalated(to_organisation="HU-01") == []
        dossier.then(dossier.on_name_removal_decided(decided_by="HU-01", decision_date=date(2027, 6, 1), reason="Không đủ tư cách"))
        assert dossier.step is Step.NAME_REMOVED


def test_a_rule_violation_is_a_domain_error_with_the_code_and_message() -> None:
    with pytest.raises(RuleViolation) as error:
        b.prepared(general_education="primary").mark_ready_for_cell_vote(ready_on=b.READY_ON, cell_meeting_on=b.MEETING_ON, today=TODAY)
    body = error.value.body()
    assert body.code == "rule:EDU_MIN" and body.message == "[EDU_MIN] Không đủ trình độ học vấn"


def test_a_readmission_declared_before_the_party_card_was_asked_reads_with_it_unknown() -> None:
    """`ReadmissionDeclared` v1 had no first admission nor party card: read as v2 with both unknown."""
    import dataclasses

    v2 = ev.ReadmissionDeclared(dossier_id=b.DOSSIER_ID, left_on=date(2020, 1, 1), left_for="name_removed", first_admitted_on=date(2010, 5, 19),
                                party_card_number="12.345.678")
    assert ev.ReadmissionDeclared.schema_version == 2 and ev.decode(dataclasses.replace(_recorded(v2, 1), schema_version=2)) == v2
    v1 = {k: v for k, v in v2.to_new_event().data.items() if k not in ("first_admitted_on", "party_card_number")}
    read = ev.decode(dataclasses.replace(_recorded(v2, 1), data=v1))
    assert (read.left_on, read.first_admitted_on, read.party_card_number) == (date(2020, 1, 1), None, None)
