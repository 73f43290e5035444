"""Steps 8 to 11, to the cell's vote and the decision: verification's certification and blocks,
the dossier made ready for the cell's vote, then the facts the voting service records (the cell's
resolution, the extension of the decision's deadline, the admission decision or refusal, the
cell notified of it)."""

from __future__ import annotations

from datetime import date

from ketnap.domain.rules import RuleCode, recorded_rule_set
from ketnap.services.dossiers import events as ev
from ketnap.services.dossiers import rules
from ketnap.services.dossiers.dossier.refusals import (
    IncompleteDossier,
    OutOfStep,
    act_dates,
    not_before,
    raise_violation,
    rules_in_force,
)
from ketnap.services.dossiers.dossier.state import BEFORE_ADMISSION, Certification, DossierState
from ketnap.services.dossiers.values import GeneralEducation, Step


class VoteAndDecision(DossierState):
    """Readiness for the cell's vote (an officer's command), what verification and voting decided
    about it (facts the process manager passes in), and how their events change the dossier."""

    # --- step 8: to the cell vote ------------------------------------------------------------------------

    def eligibility_facts(self) -> rules.EligibilityFacts:
        assert self.declaration is not None and self.declaration.qualifications is not None
        assert self.class_certificate is not None and self.opened_on is not None
        q = self.declaration.qualifications
        intro_dates: tuple[date, ...] = ()
        if self.introductions is not None:
            intro_dates = tuple(i.introduced_on for i in self.introductions.introducers)
            if self.introductions.union_resolution is not None:
                intro_dates += (self.introductions.union_resolution.dated,)
        return rules.EligibilityFacts(
            birth_date=self.declaration.applicant.birth_date,
            general_education=GeneralEducation(q.general_education),
            area_exemption=q.area_exemption,
            village_elder_or_head=q.village_elder_or_head,
            youth_union_member=q.youth_union_member,
            youth_union_exists=q.youth_union_exists,
            opened_on=self.opened_on,
            class_certificate_issued_on=self.class_certificate.issued_on,
            introductions_dated=intro_dates,
            over_60_agreement_on=self.agreements.get("over_60"),
            literacy_agreement_on=self.agreements.get("literacy_only"),
            certified_on=self.certification.certified_on if self.certification else None,
            open_blocks=frozenset(self.open_blocks),
            certification_covers_latest_declaration=(
                self.certification is not None and self.certification.version > self.declaration.version
            ),
            readmission=rules.Readmitted(
                left_on=self.readmission.left_on, left_for=self.readmission.left_for,
                conviction_cleared_on=self.readmission.conviction_cleared_on, agreement_on=self.agreements.get("readmission"),
            ) if self.readmission else None,
        )

    def missing_papers(self) -> list[str]:
        missing = []
        if self.class_certificate is None:
            missing.append("giấy chứng nhận lớp bồi dưỡng nhận thức về Đảng")
        if self.letter_on is None:
            missing.append("đơn xin vào Đảng")
        if self.declaration is None:
            missing.append("lý lịch người xin vào Đảng")
        if self.introductions is None:
            missing.append("giấy giới thiệu người vào Đảng")
        if not self.opinions:
            missing.append("nhận xét của đoàn thể và chi ủy nơi cư trú")
        return missing

    def mark_ready_for_cell_vote(self, *, ready_on: date, cell_meeting_on: date, today: date) -> list[ev.Event]:
        missing = self.missing_papers()
        early = "Hồ sơ còn thiếu: " + "; ".join(missing) + "."
        self._require(
            "chuyển hồ sơ để chi bộ xét", [Step.VERIFICATION], why={Step.SOURCE_LIST: early, Step.APPLICATION: early}
        )
        if missing:
            raise IncompleteDossier("Hồ sơ còn thiếu: " + "; ".join(missing) + ".", missing=missing)
        act_dates(today, ready_on=ready_on)
        not_before(ready_on, "ready_on", self.last_on, "latest_paper")
        not_before(cell_meeting_on, "cell_meeting_on", ready_on, "ready_on")
        in_force = rules_in_force(cell_meeting_on)
        violations = rules.eligibility_for_cell_vote(
            self.eligibility_facts(), cell_meeting_on, rules=in_force, agreements_due_by=ready_on
        )
        if violations:
            raise_violation(violations[0], others=violations[1:])
        assert self.declaration is not None
        return [
            self._rules_checked("cell_vote", cell_meeting_on, in_force, rules.cell_vote_rules(self.readmission is not None)),
            ev.ReadyForCellVote(
                dossier_id=self.dossier_id,
                cell=self.cell,
                citizen_id=self.citizen_id,
                full_name=self.full_name,
                birth_date=self.declaration.applicant.birth_date,
                ready_on=ready_on,
                rule_set=in_force.id,
            ),
        ]

    # --- what verification decided (the process manager) ------------------------------------------------

    def on_history_certified(self, *, certified_by: str, certified_on: date) -> list[ev.Event]:
        if not self._fact_allowed("HistoryCertified", [s for s in Step if s not in (Step.SOURCE_LIST, Step.APPLICATION)]):
            return []
        current = self.certification
        assert self.declaration is not None
        if current and current.version > self.declaration.version and (current.certified_by, current.certified_on) == (
            certified_by, certified_on
        ):
            return []
        return [ev.PersonalHistoryCertified(dossier_id=self.dossier_id, certified_by=certified_by, certified_on=certified_on)]

    def on_verification_blocked(self, *, subject_id: str, on: date) -> list[ev.Event]:
        if not self._fact_allowed("VerificationBlocked", [s for s in Step if s not in (Step.SOURCE_LIST, Step.APPLICATION)]):
            return []
        if subject_id in self.open_blocks:
            return []
        return [ev.CellVoteBlocked(dossier_id=self.dossier_id, subject_id=subject_id, blocked_on=on)]

    def on_verification_block_lifted(self, *, decided_by: str, decided_on: date, outcome: str) -> list[ev.Event]:
        if not self._fact_allowed("VerificationBlockLifted", BEFORE_ADMISSION):
            return []
        if outcome == "reject":
            return [
                ev.DossierRejected(
                    dossier_id=self.dossier_id,
                    cell=self.cell,
                    on=decided_on,
                    rule=None,
                    reason=f"Cấp ủy có thẩm quyền ({decided_by}) quyết định không tiếp tục sau kết quả thẩm tra lý lịch",
                )
            ]
        if not self.open_blocks:
            return []
        return [ev.CellVoteUnblocked(dossier_id=self.dossier_id, decided_by=decided_by, decided_on=decided_on)]

    # --- what voting decided (the process manager) -------------------------------------------------------

    def on_cell_resolution(
        self, *, adopted: bool, meeting_on: date, agree: int, disagree: int, denominator: int, rule_set: str
    ) -> list[ev.Event]:
        if not self._fact_allowed("CellResolution", [Step.READY_FOR_CELL_VOTE]):
            return []
        recorded: list[ev.Event] = [
            ev.CellResolutionRecorded(
                dossier_id=self.dossier_id,
                adopted=adopted,
                meeting_on=meeting_on,
                agree=agree,
                disagree=disagree,
                denominator=denominator,
                rule_set=rule_set,
            )
        ]
        if not adopted:
            recorded.append(
                ev.DossierRejected(
                    dossier_id=self.dossier_id,
                    cell=self.cell,
                    on=meeting_on,
                    rule=str(RuleCode.CELL_2_3),
                    reason=RuleCode.CELL_2_3.message,
                )
            )
            return recorded
        # The rules were judged on the planned date; the cell may have met on another day. What
        # fails on the real date is flagged for the competent committee, not silently kept.
        in_force = recorded_rule_set(rule_set, meeting_on)
        assert self.ready_on is not None
        for violation in rules.eligibility_for_cell_vote(
            self.eligibility_facts(), meeting_on, rules=in_force, agreements_due_by=self.ready_on
        ):
            recorded.append(
                ev.RuleBreachFlagged(
                    dossier_id=self.dossier_id,
                    rule=str(violation.code),
                    message=violation.message,
                    judged_on=meeting_on,
                    rule_set=in_force.id,
                )
            )
        return recorded

    def on_decision_deadline_extended(
        self, *, by_working_days: int, decided_by: str, on: date, decision: str | None = None
    ) -> list[ev.Event]:
        """Voting extended the admission decision's deadline (before the ceremony) or the recognition
        decision's (during probation); an extension from before voting named it is placed by the step."""
        if not self._fact_allowed("DecisionDeadlineExtended", [Step.AWAITING_DECISION, Step.PROBATION]):
            return []
        extended = decision or ("recognition" if self.step is Step.PROBATION else "admission")
        if (extended == "recognition") != (self.step is Step.PROBATION):
            raise OutOfStep(f"an extension of the {extended} decision does not fit a dossier at step {self.step_value}")
        return [
            ev.DecisionDeadlineExtensionRecorded(
                dossier_id=self.dossier_id, by_working_days=by_working_days, decided_by=decided_by, on=on, decision=extended
            )
        ]

    def on_admission_decided(self, *, decided_by: str, decision_number: str, decision_date: date, rule_set: str) -> list[ev.Event]:
        if not self._fact_allowed("AdmissionDecided", [Step.AWAITING_DECISION]):
            return []
        return [
            ev.AdmissionDecisionRecorded(
                dossier_id=self.dossier_id,
                decided_by=decided_by,
                decision_number=decision_number,
                decision_date=decision_date,
                rule_set=rule_set,
            )
        ]

    def on_admission_refused(self, *, decided_by: str, decision_date: date, reason: str) -> list[ev.Event]:
        if not self._fact_allowed("AdmissionRefused", [Step.AWAITING_DECISION]):
            return []
        return [
            ev.AdmissionRefusalRecorded(
                dossier_id=self.dossier_id, decided_by=decided_by, decision_date=decision_date, reason=reason
            )
        ]

    def on_cell_notified(self, *, received_on: date) -> list[ev.Event]:
        if self.closed or self.step in (Step.PROBATION, Step.RECOGNITION):
            return []  # a refusal, or a recognition decision, reaching the cell: nothing starts
        if not self._fact_allowed("CellNotified", [Step.AWAITING_CEREMONY]):
            return []
        if self.decision_received_on is not None:
            return []
        return [ev.DecisionReceivedByCell(dossier_id=self.dossier_id, received_on=received_on)]

    # --- how their events change the dossier ----------------------------------------------------------

    def _when_ReadyForCellVote(self, e: ev.ReadyForCellVote) -> None:
        self.ready_on = e.ready_on
        self.step = Step.READY_FOR_CELL_VOTE

    def _when_PersonalHistoryCertified(self, e: ev.PersonalHistoryCertified) -> None:
        self.certification = Certification(e.certified_by, e.certified_on, self.version)

    def _when_CellVoteBlocked(self, e: ev.CellVoteBlocked) -> None:
        self.open_blocks.add(e.subject_id)

    def _when_CellVoteUnblocked(self, e: ev.CellVoteUnblocked) -> None:
        self.open_blocks.clear()

    def _when_CellResolutionRecorded(self, e: ev.CellResolutionRecorded) -> None:
        self.resolution = e
        self.rule_sets["cell_resolution"] = e.rule_set
        if e.adopted:
            self.step = Step.AWAITING_DECISION

    def _when_RuleBreachFlagged(self, e: ev.RuleBreachFlagged) -> None:
        self.flags.append(e)

    def _when_DecisionDeadlineExtensionRecorded(self, e: ev.DecisionDeadlineExtensionRecorded) -> None:
        if e.decision == "admission":
            self.extension_working_days += e.by_working_days

    def _when_AdmissionDecisionRecorded(self, e: ev.AdmissionDecisionRecorded) -> None:
        self.decision = e
        self.rule_sets["admission_decision"] = e.rule_set
        self.step = Step.AWAITING_CEREMONY

    def _when_AdmissionRefusalRecorded(self, e: ev.AdmissionRefusalRecorded) -> None:
        self.refusal = e
        self._end(Step.REFUSED, e.decision_date, None, e.reason)

    def _when_DecisionReceivedByCell(self, e: ev.DecisionReceivedByCell) -> None:
        self.decision_received_on = e.received_on
