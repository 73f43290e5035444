"""What officers ask of a dossier, one command per step; subjects `dossiers.cmd.<name>`.

Each command is validated at the edge (12-digit citizen ids, NFC names, ISO dates, bounded text,
consistent relatives) before anything is loaded; the aggregate then checks that the dates are in
order, within the command and against the dossier and today, and the rules of the step.
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from ketnap.domain.rules import RuleCode
from ketnap.domain.rules.readmission import LeftFor
from ketnap.platform.commands import Command
from ketnap.services.dossiers.values import (
    SINGLE_RELATIONS,
    AgreementPurpose,
    AreaExemption,
    CitizenId,
    DossierId,
    Gender,
    GeneralEducation,
    IsoDate,
    OpinionSource,
    OrganisationCode,
    PersonName,
    ProfessionalQualification,
    Relation,
    ShortText,
    SubjectId,
    Text,
    UnionKind,
)

MAX_RELATIVES = 40
MAX_OPINIONS = 10


class DossierCommand(Command):
    """A command about one existing dossier.

    `expected_version`, when given, is the version the officer last saw: if someone changed the
    dossier since, the command is refused with a conflict instead of being judged on a state the
    officer never saw."""

    model_config = ConfigDict(use_enum_values=True)

    dossier_id: DossierId
    expected_version: int | None = Field(default=None, ge=1, le=2**63 - 1)


class Fact(BaseModel):
    """A part of a command."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)


# --- source list and papers -------------------------------------------------------------------------


class Readmission(Fact):
    """Kết nạp lại: the person was a party member before (READMIT). `left_on` is the registry's when it
    knows the person; `readmitted_before`: already admitted again once."""

    left_on: IsoDate
    left_for: LeftFor
    conviction_cleared_on: IsoDate | None = None
    readmitted_before: bool = False
    first_admitted_on: IsoDate | None = None
    """The day the person was admitted the first time, as on their old party card."""
    party_card_number: ShortText | None = Field(default=None, repr=False)
    """The number of the party card they held (thẻ đảng viên), when known."""


class OpenDossier(Command):
    """Đưa quần chúng vào danh sách cảm tình Đảng và phân công đảng viên giúp đỡ: opens the dossier.

    `dossier_id` may be chosen by the caller (a UUID); otherwise the service derives one from the
    idempotency key, so a retried request opens the same dossier, and returns it in `result`."""

    dossier_id: str | None = None
    cell: OrganisationCode
    citizen_id: CitizenId
    full_name: PersonName
    opened_on: IsoDate
    helper_citizen_id: CitizenId
    readmission: Readmission | None = None
    """Only for a former party member, who may be opened only through re-admission (READMIT)."""

    @field_validator("dossier_id")
    @classmethod
    def _uuid(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(uuid.UUID(value))
        except ValueError as error:
            raise ValueError("Mã hồ sơ phải là một UUID") from error


TAKEN_OVER_STEPS = (
    "source_list", "application", "verification", "ready_for_cell_vote", "awaiting_decision", "awaiting_ceremony", "probation",
)
"""Where a dossier begun on paper may stand when taken over, up to probation. The steps done on paper
are then recorded by the command of each owning service, with the paper's dates (docs/registry.md,
"Dossiers in progress")."""


class TakeOverDossier(OpenDossier):
    """Tiếp nhận hồ sơ giấy: open a dossier begun on paper, marked as taken over, with the step the
    paper stands at (`step`). Judged like `open_dossier` on `opened_on` (NO_RULE_SET, SOURCE_HELPER,
    ALREADY_MEMBER, ONE_DOSSIER, READMIT)."""

    step: Literal[
        "source_list", "application", "verification", "ready_for_cell_vote", "awaiting_decision", "awaiting_ceremony", "probation",
    ]


class RecordClassCertificate(DossierCommand):
    """Ghi giấy chứng nhận lớp bồi dưỡng nhận thức về Đảng (a newer one replaces the older)."""

    certificate_number: ShortText
    issued_on: IsoDate
    issued_by: ShortText


class SubmitApplicationLetter(DossierCommand):
    """Nộp đơn xin vào Đảng (Mẫu 1-KNĐ)."""

    submitted_on: IsoDate


class ApplicantFacts(Fact):
    birth_date: IsoDate = Field(repr=False)
    gender: Gender = Field(repr=False)
    ethnicity: ShortText = Field(repr=False)
    religion: ShortText = Field(repr=False)
    occupation: ShortText = Field(repr=False)
    police_officer: bool = Field(default=False, repr=False)
    private_business_owner: bool = Field(default=False, repr=False)


class RelativeFacts(Fact):
    subject_id: SubjectId | None = None
    """Keep a relative's id when correcting the history; new relatives get one from the dossier."""
    relation: Relation
    full_name: PersonName = Field(repr=False)
    birth_year: int = Field(ge=1850, le=2200, repr=False)
    residence_or_work: ShortText = Field(repr=False)
    responding_organisation: OrganisationCode | None = None
    is_party_member: bool = Field(default=False, repr=False)
    member_citizen_id: CitizenId | None = Field(default=None, repr=False)
    fully_declared: bool = Field(default=False, repr=False)
    foreign_national: bool = Field(default=False, repr=False)
    adult_with_full_capacity: bool | None = Field(default=None, repr=False)

    @model_validator(mode="after")
    def _consistent(self) -> RelativeFacts:
        if self.member_citizen_id is not None and not self.is_party_member:
            raise ValueError("Chỉ ghi số CCCD đảng viên khi người thân là đảng viên")
        if self.relation != Relation.CHILD and self.adult_with_full_capacity is not None:
            raise ValueError("Năng lực hành vi dân sự đầy đủ chỉ khai cho con")
        if self.relation == Relation.CHILD and self.adult_with_full_capacity is None:
            raise ValueError("Với con, phải khai có năng lực hành vi dân sự đầy đủ hay không")
        return self


class QualificationFacts(Fact):
    general_education: GeneralEducation
    professional_qualification: ProfessionalQualification
    youth_union_member: bool
    youth_union_exists: bool = True
    area_exemption: AreaExemption | None = None
    village_elder_or_head: bool = False


class _Declaration(DossierCommand):
    applicant: ApplicantFacts
    relatives: list[RelativeFacts] = Field(default_factory=list, max_length=MAX_RELATIVES, repr=False)
    family_planning_case: bool = Field(default=False, repr=False)
    qualifications: QualificationFacts

    @field_validator("relatives")
    @classmethod
    def _relatives_consistent(cls, relatives: list[RelativeFacts], info: ValidationInfo) -> list[RelativeFacts]:
        counts: dict[str, int] = {}
        for relative in relatives:
            counts[relative.relation] = counts.get(relative.relation, 0) + 1
        doubled = sorted(r for r, n in counts.items() if n > 1 and r in SINGLE_RELATIONS)
        if doubled:
            raise ValueError("Chỉ khai một người cho mỗi quan hệ: " + ", ".join(doubled))
        ids = [r.subject_id for r in relatives if r.subject_id is not None]
        if len(ids) != len(set(ids)):
            raise ValueError("Mã người thân bị trùng")
        applicant = info.data.get("applicant")  # absent when the applicant itself was invalid
        if applicant is not None:
            born = applicant.birth_date.year
            if any(r.relation in (Relation.FATHER, Relation.MOTHER) and r.birth_year >= born for r in relatives):
                raise ValueError("Năm sinh của cha, mẹ phải trước năm sinh của người vào Đảng")
            if any(r.relation == Relation.CHILD and r.birth_year <= born for r in relatives):
                raise ValueError("Năm sinh của con phải sau năm sinh của người vào Đảng")
        return relatives


class DeclarePersonalHistory(_Declaration):
    """Khai lý lịch người xin vào Đảng (Mẫu 2-KNĐ): once; later changes are corrections."""

    declared_on: IsoDate


class CorrectPersonalHistory(_Declaration):
    """Đính chính lý lịch: the whole declaration as corrected, with the reason."""

    corrected_on: IsoDate
    reason: Text


class IntroducerFacts(Fact):
    citizen_id: CitizenId
    full_name: PersonName
    organisation: OrganisationCode | None = None
    """Where the introducer is a member; the dossier's cell when left out."""
    introduced_on: IsoDate
    acquainted_since: IsoDate
    replacement: bool = False



class UnionResolutionFacts(Fact):
    union: UnionKind
    number: ShortText
    dated: IsoDate


class RecordIntroductions(DossierCommand):
    """Ghi người giới thiệu (Mẫu 3-KNĐ) và nghị quyết giới thiệu của đoàn thể (Mẫu 4-KNĐ)."""

    introducers: list[IntroducerFacts] = Field(max_length=4)
    union_resolution: UnionResolutionFacts | None = None
    recorded_on: IsoDate



class OpinionFacts(Fact):
    source: OpinionSource
    given_on: IsoDate
    summary: Text = Field(repr=False)


class RecordOpinions(DossierCommand):
    """Ghi nhận xét của đoàn thể nơi làm việc và chi ủy nơi cư trú (Mẫu 5-KNĐ)."""

    opinions: list[OpinionFacts] = Field(min_length=1, max_length=MAX_OPINIONS)


class RecordProvincialAgreement(DossierCommand):
    """Ghi văn bản đồng ý của ban thường vụ tỉnh ủy, thành ủy (người trên 60 tuổi; già làng,
    trưởng bản chỉ biết đọc, biết viết; kết nạp lại)."""

    purpose: AgreementPurpose
    document_number: ShortText
    agreed_on: IsoDate


class MarkReadyForCellVote(DossierCommand):
    """Chuyển hồ sơ để chi bộ xét: every rule of the cell meeting is checked on `cell_meeting_on`."""

    ready_on: IsoDate
    cell_meeting_on: IsoDate
    """The planned meeting date (may be ahead of today); the rules are judged on it."""



# --- ceremony, probation, recognition ------------------------------------------------------------------


class RecordCeremony(DossierCommand):
    """Ghi lễ kết nạp và đảng viên chính thức được phân công giúp đỡ: probation starts on `held_on`."""

    held_on: IsoDate
    helper_citizen_id: CitizenId | None = None
    received_decision_on: IsoDate | None = None
    """Only when the cell's receipt of the decision has not reached the dossier from voting."""
    upper_committee_agreed_delay: bool = False
    """The committee above agreed to a ceremony later than 30 working days (no CEREMONY_30WD flag)."""



class FileMemberHistory(DossierCommand):
    """Ghi ngày đảng viên dự bị nộp lý lịch đảng viên."""

    filed_on: IsoDate


class RecordNewMemberClass(DossierCommand):
    """Ghi giấy chứng nhận lớp bồi dưỡng đảng viên mới."""

    certificate_number: ShortText
    issued_on: IsoDate
    issued_by: ShortText


class RecordRecognitionPapers(DossierCommand):
    """Ghi hồ sơ xét công nhận đảng viên chính thức; complete only with every paper (RECOG_DOCS)
    and not before the 12 months of probation are over (RECOG_EARLY)."""

    self_review_on: IsoDate | None = None
    helper_review_on: IsoDate | None = None
    opinions_on: IsoDate | None = None
    completed_on: IsoDate



# --- endings and pauses -------------------------------------------------------------------------------


class Withdraw(DossierCommand):
    """Người vào Đảng rút hồ sơ."""

    on: IsoDate


class Reject(DossierCommand):
    """Bác hồ sơ, with the rule broken (when a rule is the cause) and the reason."""

    on: IsoDate
    rule: RuleCode | None = None
    reason: Text


class Suspend(DossierCommand):
    """Để lại sưu tra: pause the dossier for internal political screening."""

    on: IsoDate


class Resume(DossierCommand):
    """Tiếp tục hồ sơ sau khi sưu tra."""

    on: IsoDate


class Transfer(DossierCommand):
    """Chuyển hồ sơ theo người sang chi bộ khác; the receiving cell continues it."""

    on: IsoDate
    to_cell: OrganisationCode

