"""Steps 12 to 15, the ceremony, probation and recognition: the ceremony with the member who helps
the new member, the member's history and the new members' class, the papers for recognition as an
official member, then the recognition decided by voting (or the case escalated above the cell)."""

from __future__ import annotations

from datetime import date

from ketnap.domain.rules import RuleCode
from ketnap.domain.rules.deadlines import check_ceremony_deadline, check_recognition_not_early, official_date
from ketnap.platform.commands import InvalidInput
from ketnap.platform.vietnamese import vn_date
from ketnap.services.dossiers import events as ev
from ketnap.services.dossiers import rules
from ketnap.services.dossiers.dossier.refusals import (
    IncompleteDossier,
    StepTaken,
    act_dates,
    not_before,
    not_future,
    raise_violation,
    rules_in_force,
)
from ketnap.services.dossiers.dossier.state import DossierState, RegistryStanding
from ketnap.services.dossiers.values import Step


class Probation(DossierState):
    """The officer's commands from the ceremony to the recognition papers, what voting decided about
    the probationary member (facts the process manager passes in), and how their events change the
    dossier."""

    def record_ceremony(
        self,
        *,
        held_on: date,
        helper_citizen_id: str | None,
        helper: RegistryStanding,
        received_decision_on: date | None,
        upper_committee_agreed_delay: bool,
        today: date,
    ) -> list[ev.Event]:
        self._require("ghi lễ kết nạp", [Step.AWAITING_CEREMONY])
        assert self.decision is not None
        received = self.decision_received_on
        if received is not None and received_decision_on is not None and received_decision_on != received:
            raise InvalidInput(
                f"Ngày chi bộ nhận quyết định đã được ghi là {vn_date(received)}.", field="received_decision_on"
            )
        received = received or received_decision_on
        if received is None:
            raise IncompleteDossier("Chưa có ngày chi bộ nhận quyết định kết nạp.", missing=["received_decision_on"])
        act_dates(today, held_on=held_on, received_decision_on=received)
        not_before(received, "received_decision_on", self.decision.decision_date, "decision_date")
        not_before(held_on, "held_on", received, "received_decision_on")
        violation = rules.check_ceremony_helper(helper_citizen_id, self.citizen_id, helper_is_official=helper.official)
        if violation:
            raise_violation(violation)
        assert helper_citizen_id is not None
        in_force = rules_in_force(held_on)
        late = check_ceremony_deadline(
            received, today, rules=in_force, held_on=held_on, upper_committee_agreed=upper_committee_agreed_delay
        )
        return [
            ev.CeremonyHeld(
                dossier_id=self.dossier_id,
                cell=self.cell,
                citizen_id=self.citizen_id,
                held_on=held_on,
                received_decision_on=received,
                helper_citizen_id=helper_citizen_id,
            ),
            self._rules_checked(
                "ceremony", held_on, in_force, (RuleCode.CEREMONY_HELPER, RuleCode.CEREMONY_30WD),
                flags=[late.code] if late else [],
            ),
        ]

    def file_member_history(self, *, filed_on: date, today: date) -> list[ev.Event]:
        self._require("ghi lý lịch đảng viên", [Step.PROBATION, Step.RECOGNITION])
        if self.member_history_filed_on is not None:
            raise StepTaken(f"Lý lịch đảng viên đã nộp ngày {vn_date(self.member_history_filed_on)}.", step=self.step_value)
        assert self.ceremony is not None
        act_dates(today, filed_on=filed_on)
        not_before(filed_on, "filed_on", self.ceremony.held_on, "held_on")
        return [ev.MemberHistoryFiled(dossier_id=self.dossier_id, filed_on=filed_on)]

    def record_new_member_class(self, *, certificate_number: str, issued_on: date, issued_by: str, today: date) -> list[ev.Event]:
        self._require("ghi giấy chứng nhận lớp bồi dưỡng đảng viên mới", [Step.PROBATION])
        assert self.ceremony is not None
        not_future(today, issued_on=issued_on)  # a paper, judged at recognition under that vote's rules
        not_before(issued_on, "issued_on", self.ceremony.held_on, "held_on")
        return [
            ev.NewMemberClassCompleted(
                dossier_id=self.dossier_id, certificate_number=certificate_number, issued_on=issued_on, issued_by=issued_by
            )
        ]

    def record_recognition_papers(
        self,
        *,
        self_review_on: date | None,
        helper_review_on: date | None,
        opinions_on: date | None,
        completed_on: date,
        today: date,
    ) -> list[ev.Event]:
        self._require("ghi hồ sơ xét công nhận đảng viên chính thức", [Step.PROBATION])
        assert self.ceremony is not None
        held_on = self.ceremony.held_on
        act_dates(
            today, self_review_on=self_review_on, helper_review_on=helper_review_on, opinions_on=opinions_on,
            completed_on=completed_on,
        )
        for label, value in (
            ("self_review_on", self_review_on), ("helper_review_on", helper_review_on), ("opinions_on", opinions_on),
        ):
            if value is not None:
                not_before(value, label, held_on, "held_on")
                not_before(completed_on, "completed_on", value, label)
        not_before(completed_on, "completed_on", held_on, "held_on")
        found = [
            v
            for v in (
                check_recognition_not_early(held_on, completed_on),
                rules.check_recognition_papers(
                    self_review_on=self_review_on,
                    helper_review_on=helper_review_on,
                    opinions_on=opinions_on,
                    new_member_class_on=self.new_member_class.issued_on if self.new_member_class else None,
                ),
            )
            if v is not None
        ]
        if found:
            raise_violation(found[0], others=found[1:])
        assert self_review_on and helper_review_on and opinions_on
        in_force = rules_in_force(completed_on)
        return [
            ev.RecognitionPapersRecorded(
                dossier_id=self.dossier_id,
                self_review_on=self_review_on,
                helper_review_on=helper_review_on,
                opinions_on=opinions_on,
            ),
            self._rules_checked("recognition_papers", completed_on, in_force, (RuleCode.RECOG_EARLY, RuleCode.RECOG_DOCS)),
            ev.RecognitionPapersCompleted(
                dossier_id=self.dossier_id, cell=self.cell, citizen_id=self.citizen_id, completed_on=completed_on
            ),
        ]

    # --- what voting decided (the process manager) -------------------------------------------------------

    def on_recognition_decided(
        self, *, decided_by: str, decision_number: str, decision_date: date
    ) -> list[ev.Event]:
        if not self._fact_allowed("RecognitionDecided", [Step.PROBATION, Step.RECOGNITION]):
            return []
        assert self.ceremony is not None and self.decision is not None
        return [
            ev.BecameOfficialMember(
                dossier_id=self.dossier_id,
                cell=self.cell,
                citizen_id=self.citizen_id,
                official_date=official_date(self.ceremony.held_on),
                decided_by=decided_by,
                decision_number=decision_number,
                decision_date=decision_date,
                admitted_on=self.decision.decision_date,
            )
        ]

    def on_recognition_escalated(self, *, to_organisation: str) -> list[ev.Event]:
        if not self._fact_allowed("RecognitionEscalated", [Step.PROBATION, Step.RECOGNITION]):
            return []
        if self.escalated_to == to_organisation:
            return []
        return [ev.RecognitionEscalationRecorded(dossier_id=self.dossier_id, to_organisation=to_organisation)]

    # --- how their events change the dossier ----------------------------------------------------------

    def _when_CeremonyHeld(self, e: ev.CeremonyHeld) -> None:
        self.ceremony = e
        self.decision_received_on = e.received_decision_on
        self.step = Step.PROBATION

    def _when_MemberHistoryFiled(self, e: ev.MemberHistoryFiled) -> None:
        self.member_history_filed_on = e.filed_on

    def _when_NewMemberClassCompleted(self, e: ev.NewMemberClassCompleted) -> None:
        self.new_member_class = e

    def _when_RecognitionPapersRecorded(self, e: ev.RecognitionPapersRecorded) -> None:
        self.recognition_papers = e

    def _when_RecognitionPapersCompleted(self, e: ev.RecognitionPapersCompleted) -> None:
        self.papers_completed_on = e.completed_on
        self.step = Step.RECOGNITION

    def _when_RecognitionEscalationRecorded(self, e: ev.RecognitionEscalationRecorded) -> None:
        self.escalated_to = e.to_organisation

    def _when_BecameOfficialMember(self, e: ev.BecameOfficialMember) -> None:
        self.official = e
        self._end(Step.OFFICIAL, e.decision_date, None, None)
