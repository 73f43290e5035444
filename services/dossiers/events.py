"""The facts of a dossier (hồ sơ), one stream `dossier-<dossier_id>` each, in the past tense.

The events other services read (`DossierOpened`, `PersonalHistoryDeclared`, `ReadyForCellVote`,
`CeremonyHeld`, `RecognitionPapersCompleted`, and the endings `DossierWithdrawn`,
`DossierRejected`, `DossierSuspended`, `DossierResumed`, `DossierTransferred`) are contracts
(docs/contracts.md; their fields are in docs/asyncapi/dossiers.json, generated from these
models). Where a decision needs more on record (the rule set it was checked under, education and
youth-union facts) it is a second event of the same append, documented in docs/dossiers.md, so
the contract stays as it is. A new shape of an event is a new
`schema_version` with an upcaster in `UPCASTERS`, never an edit in place.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from ketnap.domain.rules.readmission import LeftFor
from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.events import DomainEvent, Upcaster, upcast


class Event(DomainEvent):
    """An immutable fact of one dossier; `event_type` is the class name."""

    dossier_id: str


class Part(BaseModel):
    """A value inside an event."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# --- source list, papers ---------------------------------------------------------------------------


class DossierOpened(Event):
    """Đưa vào danh sách cảm tình Đảng, with the official member assigned to help (contract)."""

    cell: str
    citizen_id: str
    full_name: str
    opened_on: date
    helper_citizen_id: str


class ReadmissionDeclared(Event):
    """Kết nạp lại: the applicant was a party member before (READMIT). Recorded with
    `DossierOpened`, in the same append, so the contract stays; the months out and the provincial
    agreement are judged again on the cell meeting. Internal to the dossiers service."""

    schema_version: ClassVar[int] = 2
    """v2: the first admission and the party card (v1 had neither: upcast as unknown)."""

    left_on: date
    left_for: LeftFor
    conviction_cleared_on: date | None = None
    readmitted_before: bool = False
    first_admitted_on: date | None = None
    party_card_number: str | None = Field(default=None, repr=False)


class ApplicantDossierOpened(Event):
    """The person's one open dossier in this deployment (ONE_DOSSIER), on the stream
    `applicant-<citizen_id>`: written before the dossier's own `DossierOpened`, at the version the
    opening read, so of two openings at once for one person only one is written. Internal to the
    dossiers service (docs/dossiers.md)."""

    citizen_id: str


class DossierTakenOverFromPaper(Event):
    """Tiếp nhận từ hồ sơ giấy: the dossier was begun on paper before this deployment, and is
    brought in at `step` (where the paper stood) on `taken_over_on` (the day it was typed in, not a
    day of the dossier: no business date). Recorded with `DossierOpened`; the steps done on paper
    follow as the ordinary events of each owning service, with the paper's dates, judged under the
    rule set of those dates. Internal to the dossiers service."""

    step: str
    taken_over_on: date


class ClassCertificateRecorded(Event):
    """Giấy chứng nhận lớp bồi dưỡng nhận thức về Đảng; a later one replaces it (học lại)."""

    certificate_number: str
    issued_on: date
    issued_by: str


class ApplicationLetterSubmitted(Event):
    """Đơn xin vào Đảng (Mẫu 1-KNĐ)."""

    submitted_on: date


class DeclaredApplicant(Part):
    citizen_id: str
    full_name: str
    birth_date: date = Field(repr=False)
    gender: str = Field(repr=False)
    ethnicity: str = Field(repr=False)
    religion: str = Field(repr=False)
    occupation: str = Field(repr=False)
    police_officer: bool = Field(repr=False)
    private_business_owner: bool = Field(repr=False)


class DeclaredRelative(Part):
    subject_id: str
    relation: str
    full_name: str = Field(repr=False)
    birth_year: int = Field(repr=False)
    residence_or_work: str = Field(repr=False)
    responding_organisation: str | None
    is_party_member: bool = Field(repr=False)
    member_citizen_id: str | None = Field(repr=False)
    fully_declared: bool = Field(repr=False)
    foreign_national: bool = Field(repr=False)
    adult_with_full_capacity: bool | None = Field(repr=False)
    """Children only; null for every other relation."""


class PersonalHistoryDeclared(Event):
    """Lý lịch người xin vào Đảng (Mẫu 2-KNĐ), declared once (contract). Sensitive: never logged."""

    cell: str
    applicant: DeclaredApplicant
    relatives: list[DeclaredRelative] = Field(repr=False)
    family_planning_case: bool = Field(repr=False)
    declared_on: date


class Qualifications(Part):
    """The facts of the personal history that the eligibility rules and the reports need beyond the
    contract: education (two axes), youth-union membership, area exemption."""

    general_education: str
    professional_qualification: str
    youth_union_member: bool
    youth_union_exists: bool
    """A youth-union organisation exists where the applicant works or lives (YOUTH_UNION)."""
    area_exemption: str | None
    village_elder_or_head: bool


class QualificationsDeclared(Event):
    """Recorded with `PersonalHistoryDeclared`, in the same append."""

    qualifications: Qualifications
    declared_on: date


class PersonalHistoryCorrected(Event):
    """A correction of the declared history, with its reason: the whole declaration as corrected.

    The declaration itself is never rewritten; verification certifies the latest one."""

    cell: str
    reason: str
    corrected_on: date
    applicant: DeclaredApplicant
    relatives: list[DeclaredRelative] = Field(repr=False)
    family_planning_case: bool = Field(repr=False)
    qualifications: Qualifications


class Introducer(Part):
    citizen_id: str
    full_name: str
    organisation: str
    """The party organisation where the introducer is a member and shares a unit with the applicant."""
    introduced_on: date
    """The date of the introduction (Mẫu 3-KNĐ)."""
    acquainted_since: date
    """Since when introducer and applicant work, study or live in the same unit, as declared."""
    replacement: bool
    """A replacement introducer (người giới thiệu thay thế) is exempt from INTRO_12M."""


class UnionResolution(Part):
    union: str
    number: str
    dated: date


class IntroductionsRecorded(Event):
    """Giới thiệu người vào Đảng: introducers and, with one introducer, the union's resolution.
    Recorded again when renewed (DOC_12M): the latest set is the one that counts."""

    introducers: list[Introducer]
    union_resolution: UnionResolution | None
    recorded_on: date


class Opinion(Part):
    source: str
    given_on: date
    summary: str = Field(repr=False)


class OpinionsRecorded(Event):
    """Nhận xét của đoàn thể nơi làm việc và chi ủy nơi cư trú (Mẫu 5-KNĐ)."""

    opinions: list[Opinion]


class ProvincialAgreementRecorded(Event):
    """Văn bản đồng ý của ban thường vụ tỉnh ủy, thành ủy (AGE_MAX, EDU_AREA)."""

    purpose: str
    document_number: str
    agreed_on: date


class RulesChecked(Event):
    """Which rules a decision was checked under, and the rule set in force on the date that
    matters to it; recorded with the decision, so the dossier stays valid under that set."""

    decision: str
    judged_on: date
    rule_set: str
    rules: list[str]
    flags: list[str]
    """Rules found broken that flag the dossier instead of refusing (e.g. CEREMONY_30WD)."""


class ReadyForCellVote(Event):
    """Hồ sơ đủ điều kiện, chuyển chi bộ xét (contract)."""

    cell: str
    citizen_id: str
    full_name: str
    birth_date: date = Field(repr=False)
    ready_on: date
    rule_set: str


# --- what verification and voting decided, as the dossier records it ---------------------------------


class PersonalHistoryCertified(Event):
    """Cấp ủy cơ sở chứng nhận lý lịch (verification's `HistoryCertified`)."""

    certified_by: str
    certified_on: date


class CellVoteBlocked(Event):
    """A disqualifying finding: the cell may not vote until the competent committee decides."""

    subject_id: str
    blocked_on: date


class CellVoteUnblocked(Event):
    decided_by: str
    decided_on: date


class CellResolutionRecorded(Event):
    """Nghị quyết chi bộ đề nghị kết nạp (Mẫu 6-KNĐ), adopted or not."""

    adopted: bool
    meeting_on: date
    agree: int
    disagree: int
    denominator: int
    rule_set: str


class RuleBreachFlagged(Event):
    """A rule found broken after the fact (e.g. on the real meeting date): flagged for the
    competent committee rather than undoing what another body decided."""

    rule: str
    message: str
    judged_on: date
    rule_set: str


class DecisionDeadlineExtensionRecorded(Event):
    by_working_days: int
    decided_by: str
    on: date
    decision: Literal["admission", "recognition"] = "admission"
    """Which decision's deadline; "admission" on records from before the field (only those were kept)."""


class AdmissionDecisionRecorded(Event):
    """Quyết định kết nạp (Mẫu 9-KNĐ): the date party age counts from."""

    decided_by: str
    decision_number: str
    decision_date: date
    rule_set: str


class AdmissionRefusalRecorded(Event):
    decided_by: str
    decision_date: date
    reason: str


class DecisionReceivedByCell(Event):
    """The cell received the competent committee's decision: the ceremony's 30 working days start."""

    received_on: date


# --- ceremony, probation, recognition ---------------------------------------------------------------


class CeremonyHeld(Event):
    """Lễ kết nạp: probation starts this day (contract)."""

    cell: str
    citizen_id: str
    held_on: date
    received_decision_on: date
    helper_citizen_id: str


class MemberHistoryFiled(Event):
    """Lý lịch đảng viên filed by the new member."""

    filed_on: date


class NewMemberClassCompleted(Event):
    """Giấy chứng nhận lớp bồi dưỡng đảng viên mới."""

    certificate_number: str
    issued_on: date
    issued_by: str


class RecognitionPapersRecorded(Event):
    """Bản tự kiểm điểm (10-KNĐ), bản nhận xét của đảng viên giúp đỡ (11-KNĐ), ý kiến nhận xét
    của đoàn thể và chi ủy nơi cư trú (12-KNĐ)."""

    self_review_on: date
    helper_review_on: date
    opinions_on: date


class RecognitionPapersCompleted(Event):
    """Every paper for the recognition vote is in the dossier (contract)."""

    cell: str
    citizen_id: str
    completed_on: date


class RecognitionEscalationRecorded(Event):
    """Three failed recognition votes: the committee above takes the case (RECOG_3_FAILS)."""

    to_organisation: str


class BecameOfficialMember(Event):
    """Công nhận đảng viên chính thức: official from ceremony + 12 months, whatever the decision
    date; party age counts from the admission decision (`admitted_on`)."""

    cell: str
    citizen_id: str
    official_date: date
    decided_by: str
    decision_number: str
    decision_date: date
    admitted_on: date


class NameRemoved(Event):
    """Xóa tên khỏi danh sách đảng viên dự bị."""

    cell: str
    citizen_id: str
    decided_by: str
    decision_date: date
    reason: str


# --- endings and pauses (contract) --------------------------------------------------------------------


class DossierWithdrawn(Event):
    cell: str
    on: date


class DossierRejected(Event):
    cell: str
    on: date
    rule: str | None
    """The rule code (domain.md §4) when a rule is the cause; null for a committee's judgement."""
    reason: str


class DossierSuspended(Event):
    """Để lại sưu tra: paused for internal political screening."""

    cell: str
    on: date


class DossierResumed(Event):
    cell: str
    on: date


class DossierTransferred(Event):
    """The dossier moves with the person; the receiving cell continues it."""

    cell: str
    on: date
    from_cell: str
    to_cell: str


EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        DossierOpened,
        ReadmissionDeclared,
        ApplicantDossierOpened,
        DossierTakenOverFromPaper,
        ClassCertificateRecorded,
        ApplicationLetterSubmitted,
        PersonalHistoryDeclared,
        QualificationsDeclared,
        PersonalHistoryCorrected,
        IntroductionsRecorded,
        OpinionsRecorded,
        ProvincialAgreementRecorded,
        RulesChecked,
        ReadyForCellVote,
        PersonalHistoryCertified,
        CellVoteBlocked,
        CellVoteUnblocked,
        CellResolutionRecorded,
        RuleBreachFlagged,
        DecisionDeadlineExtensionRecorded,
        AdmissionDecisionRecorded,
        AdmissionRefusalRecorded,
        DecisionReceivedByCell,
        CeremonyHeld,
        MemberHistoryFiled,
        NewMemberClassCompleted,
        RecognitionPapersRecorded,
        RecognitionPapersCompleted,
        RecognitionEscalationRecorded,
        BecameOfficialMember,
        NameRemoved,
        DossierWithdrawn,
        DossierRejected,
        DossierSuspended,
        DossierResumed,
        DossierTransferred,
    )
}

UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("ReadmissionDeclared", 1): lambda data: {"first_admitted_on": None, "party_card_number": None, **data},
}
"""(event type, old schema version) -> the data of the next version."""


def decode(event: RecordedEvent) -> Event:
    """A recorded event of the dossiers log as its model, upcast to the current version."""
    cls = EVENT_TYPES[event.event_type]
    return upcast(event, cls, UPCASTERS)


def stream_id(dossier_id: str) -> str:
    return f"dossier-{dossier_id}"


def dossier_id_of(stream: str) -> str:
    """The dossier whose stream is `stream` (`stream_id`'s inverse)."""
    return stream.removeprefix(stream_id(""))


def applicant_stream_id(citizen_id: str) -> str:
    """Where the dossiers of one person (CCCD) are reserved, one open at a time (ONE_DOSSIER)."""
    return f"applicant-{citizen_id}"
