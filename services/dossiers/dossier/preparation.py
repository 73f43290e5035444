"""Steps 1 to 7, opening and preparation: the source list (with the member helping the applicant),
the class certificate, the application letter, the personal history and its corrections, the
introductions, the opinions, and the provincial agreements some applicants need."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from ketnap.domain.rules.readmission import check_readmission_allowed
from ketnap.platform.commands import InvalidInput
from ketnap.services.dossiers import events as ev
from ketnap.services.dossiers import rules
from ketnap.services.dossiers.dossier.refusals import DateOutOfOrder, act_dates, not_before, not_future, raise_violation, rules_in_force
from ketnap.services.dossiers.dossier.state import Declaration, DossierState, RegistryStanding
from ketnap.services.dossiers.values import PREPARATION_STEPS, Step


class Preparation(DossierState):
    """The officer's commands of steps 1 to 7, and how their events change the dossier."""

    # --- step 1: source list -------------------------------------------------------------------------

    @staticmethod
    def open(
        dossier_id: str,
        *,
        cell: str,
        citizen_id: str,
        full_name: str,
        opened_on: date,
        helper_citizen_id: str,
        helper: RegistryStanding,
        today: date,
        readmission: ev.ReadmissionDeclared | None = None,
    ) -> list[ev.Event]:
        act_dates(today, opened_on=opened_on)
        violation = rules.check_source_helper(helper_citizen_id, citizen_id, helper_is_official=helper.official)
        if violation:
            raise_violation(violation)
        opened: list[ev.Event] = [
            ev.DossierOpened(
                dossier_id=dossier_id,
                cell=cell,
                citizen_id=citizen_id,
                full_name=full_name,
                opened_on=opened_on,
                helper_citizen_id=helper_citizen_id,
            )
        ]
        if readmission is not None:  # a former member: what no wait can change is judged now (READMIT)
            not_future(today, conviction_cleared_on=readmission.conviction_cleared_on)  # may predate every rule set
            not_before(opened_on, "opened_on", readmission.left_on, "left_on")
            not_before(readmission.left_on, "left_on", readmission.first_admitted_on, "first_admitted_on")
            if violation := check_readmission_allowed(readmission.left_for, readmitted_before=readmission.readmitted_before):
                raise_violation(violation)
            opened.append(readmission)
        return opened

    # --- steps 2-7: papers -----------------------------------------------------------------------------

    def record_class_certificate(self, *, certificate_number: str, issued_on: date, issued_by: str, today: date) -> list[ev.Event]:
        self._require("ghi giấy chứng nhận lớp bồi dưỡng nhận thức về Đảng", PREPARATION_STEPS)
        not_future(today, issued_on=issued_on)  # a paper judged later under the meeting's rules
        return [
            ev.ClassCertificateRecorded(
                dossier_id=self.dossier_id, certificate_number=certificate_number, issued_on=issued_on, issued_by=issued_by
            )
        ]

    def submit_application_letter(self, *, submitted_on: date, today: date) -> list[ev.Event]:
        self._require("nộp đơn xin vào Đảng (đơn đã có)", [Step.SOURCE_LIST])
        act_dates(today, submitted_on=submitted_on)
        not_before(submitted_on, "submitted_on", self.opened_on, "opened_on")
        return [ev.ApplicationLetterSubmitted(dossier_id=self.dossier_id, submitted_on=submitted_on)]

    def declare_personal_history(
        self,
        *,
        applicant: Mapping[str, Any],
        relatives: Sequence[Mapping[str, Any]],
        family_planning_case: bool,
        qualifications: Mapping[str, Any],
        declared_on: date,
        today: date,
    ) -> list[ev.Event]:
        self._require(
            "khai lý lịch",
            [Step.APPLICATION],
            why={
                Step.SOURCE_LIST: "Chưa có đơn xin vào Đảng: phải nộp đơn trước khi khai lý lịch.",
                Step.VERIFICATION: "Lý lịch đã được khai; thay đổi phải là đính chính có lý do.",
            },
        )
        self._check_declaration_dates(applicant, declared_on, "declared_on", today)
        not_before(declared_on, "declared_on", self.letter_on, "submitted_on")
        declared_applicant = self._applicant(applicant)
        return [
            ev.PersonalHistoryDeclared(
                dossier_id=self.dossier_id,
                cell=self.cell,
                applicant=declared_applicant,
                relatives=self._relatives(relatives),
                family_planning_case=family_planning_case,
                declared_on=declared_on,
            ),
            ev.QualificationsDeclared(
                dossier_id=self.dossier_id, qualifications=ev.Qualifications(**qualifications), declared_on=declared_on
            ),
        ]

    def correct_personal_history(
        self,
        *,
        applicant: Mapping[str, Any],
        relatives: Sequence[Mapping[str, Any]],
        family_planning_case: bool,
        qualifications: Mapping[str, Any],
        corrected_on: date,
        reason: str,
        today: date,
    ) -> list[ev.Event]:
        self._require("đính chính lý lịch", [Step.VERIFICATION])
        assert self.declaration is not None
        self._check_declaration_dates(applicant, corrected_on, "corrected_on", today)
        not_before(corrected_on, "corrected_on", self.declaration.declared_on, "declared_on")
        unknown = [r["subject_id"] for r in relatives if r.get("subject_id") and r["subject_id"] not in self.subject_ids]
        if unknown:
            raise InvalidInput("Mã người thân không có trong lý lịch đã khai: " + ", ".join(unknown), subjects=unknown)
        return [
            ev.PersonalHistoryCorrected(
                dossier_id=self.dossier_id,
                cell=self.cell,
                reason=reason,
                corrected_on=corrected_on,
                applicant=self._applicant(applicant),
                relatives=self._relatives(relatives),
                family_planning_case=family_planning_case,
                qualifications=ev.Qualifications(**qualifications),
            )
        ]

    def _check_declaration_dates(self, applicant: Mapping[str, Any], on: date, on_label: str, today: date) -> None:
        birth: date = applicant["birth_date"]
        not_future(today, birth_date=birth)
        act_dates(today, **{on_label: on})
        if birth >= on:
            raise DateOutOfOrder("Ngày sinh phải trước ngày khai lý lịch.", field="birth_date")

    def _applicant(self, facts: Mapping[str, Any]) -> ev.DeclaredApplicant:
        # Who the applicant is was settled when the dossier was opened; the history cannot change it.
        return ev.DeclaredApplicant(citizen_id=self.citizen_id, full_name=self.full_name, **facts)

    def _relatives(self, relatives: Sequence[Mapping[str, Any]]) -> list[ev.DeclaredRelative]:
        taken = set(self.subject_ids) | {r["subject_id"] for r in relatives if r.get("subject_id")}
        declared = []
        for relative in relatives:
            subject_id = relative.get("subject_id")
            if not subject_id:
                subject_id = _next_subject_id(relative["relation"], taken)
                taken.add(subject_id)
            declared.append(ev.DeclaredRelative(**{**relative, "subject_id": subject_id}))
        return declared

    def record_introductions(
        self,
        *,
        introducers: Sequence[ev.Introducer],
        union_resolution: ev.UnionResolution | None,
        standings: Mapping[str, RegistryStanding],
        recorded_on: date,
        today: date,
    ) -> list[ev.Event]:
        """`standings`: per introducer's citizen id, what the registry said on their introduction date."""
        self._require(
            "ghi người giới thiệu",
            [Step.APPLICATION, Step.VERIFICATION],
            why={Step.SOURCE_LIST: "Chưa có đơn xin vào Đảng: chưa thể ghi người giới thiệu."},
        )
        act_dates(today, recorded_on=recorded_on)
        for introducer in introducers:
            act_dates(today, introduced_on=introducer.introduced_on)
            not_before(introducer.introduced_on, "introduced_on", self.letter_on, "submitted_on")
            not_before(introducer.introduced_on, "introduced_on", introducer.acquainted_since, "acquainted_since")
            not_before(recorded_on, "recorded_on", introducer.introduced_on, "introduced_on")
        if union_resolution is not None:
            act_dates(today, union_resolution_dated=union_resolution.dated)
            not_before(union_resolution.dated, "union_resolution_dated", self.letter_on, "submitted_on")
            not_before(recorded_on, "recorded_on", union_resolution.dated, "union_resolution_dated")
        judged_on = max([i.introduced_on for i in introducers] or [recorded_on])
        in_force = rules_in_force(judged_on)
        set_violation = rules.check_introducer_set(
            [i.citizen_id for i in introducers], has_union_resolution=union_resolution is not None,
            applicant_citizen_id=self.citizen_id,
        )
        if set_violation:
            raise_violation(set_violation)
        measured = [
            rules.IntroducerStanding(
                citizen_id=i.citizen_id,
                introduced_on=i.introduced_on,
                acquainted_since=i.acquainted_since,
                replacement=i.replacement,
                official_on_date=standings[i.citizen_id].official,
                in_unit_since=standings[i.citizen_id].in_unit_since,
            )
            for i in introducers
        ]
        for violation in (
            rules.check_introducers_official(measured),
            rules.check_introducers_acquainted(measured, rules=in_force),
        ):
            if violation:
                raise_violation(violation)
        return [
            ev.IntroductionsRecorded(
                dossier_id=self.dossier_id,
                introducers=list(introducers),
                union_resolution=union_resolution,
                recorded_on=recorded_on,
            ),
            self._rules_checked("introductions", judged_on, in_force, rules.INTRODUCTION_RULES),
        ]

    def record_opinions(self, *, opinions: Sequence[ev.Opinion], today: date) -> list[ev.Event]:
        self._require(
            "ghi nhận xét",
            [Step.APPLICATION, Step.VERIFICATION],
            why={Step.SOURCE_LIST: "Chưa có đơn xin vào Đảng: chưa thể ghi nhận xét."},
        )
        for opinion in opinions:
            act_dates(today, given_on=opinion.given_on)
            not_before(opinion.given_on, "given_on", self.letter_on, "submitted_on")
        return [ev.OpinionsRecorded(dossier_id=self.dossier_id, opinions=list(opinions))]

    def record_provincial_agreement(self, *, purpose: str, document_number: str, agreed_on: date, today: date) -> list[ev.Event]:
        self._require("ghi văn bản đồng ý của ban thường vụ tỉnh ủy", PREPARATION_STEPS)
        act_dates(today, agreed_on=agreed_on)
        not_before(agreed_on, "agreed_on", self.opened_on, "opened_on")
        return [
            ev.ProvincialAgreementRecorded(
                dossier_id=self.dossier_id, purpose=purpose, document_number=document_number, agreed_on=agreed_on
            )
        ]

    # --- how their events change the dossier ----------------------------------------------------------

    def _when_DossierOpened(self, e: ev.DossierOpened) -> None:
        self.step = Step.SOURCE_LIST
        self.cell, self.citizen_id, self.full_name = e.cell, e.citizen_id, e.full_name
        self.opened_on, self.helper_citizen_id = e.opened_on, e.helper_citizen_id

    def _when_ClassCertificateRecorded(self, e: ev.ClassCertificateRecorded) -> None:
        self.class_certificate = e

    def _when_ApplicationLetterSubmitted(self, e: ev.ApplicationLetterSubmitted) -> None:
        self.letter_on = e.submitted_on
        self.step = Step.APPLICATION

    def _when_PersonalHistoryDeclared(self, e: ev.PersonalHistoryDeclared) -> None:
        self.declaration = Declaration(e.applicant, list(e.relatives), e.family_planning_case, None, e.declared_on, self.version)
        self.subject_ids.update(r.subject_id for r in e.relatives)
        self.step = Step.VERIFICATION

    def _when_QualificationsDeclared(self, e: ev.QualificationsDeclared) -> None:
        assert self.declaration is not None
        self.declaration.qualifications = e.qualifications

    def _when_PersonalHistoryCorrected(self, e: ev.PersonalHistoryCorrected) -> None:
        self.declaration = Declaration(
            e.applicant, list(e.relatives), e.family_planning_case, e.qualifications, e.corrected_on, self.version
        )
        self.subject_ids.update(r.subject_id for r in e.relatives)
        self.corrections += 1

    def _when_IntroductionsRecorded(self, e: ev.IntroductionsRecorded) -> None:
        self.introductions = e

    def _when_OpinionsRecorded(self, e: ev.OpinionsRecorded) -> None:
        # A newer opinion from the same source replaces the older one.
        by_source = {o.source: o for o in self.opinions}
        by_source.update({o.source: o for o in e.opinions})
        self.opinions = list(by_source.values())

    def _when_ProvincialAgreementRecorded(self, e: ev.ProvincialAgreementRecorded) -> None:
        self.agreements[e.purpose] = e.agreed_on

    def _when_ReadmissionDeclared(self, e: ev.ReadmissionDeclared) -> None:
        self.readmission = e

    def _when_DossierTakenOverFromPaper(self, e: ev.DossierTakenOverFromPaper) -> None:
        self.taken_over = e


def _next_subject_id(relation: str, taken: set[str]) -> str:
    """Readable, never reused: `father-1`, `child-2`, ... so verification's subjects stay stable."""
    n = 1
    while f"{relation}-{n}" in taken:
        n += 1
    return f"{relation}-{n}"

