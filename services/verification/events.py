"""The events of a verification case (hồ sơ thẩm tra) and the dossiers event it opens from.

The published ones are contracts (docs/contracts.md, fields in docs/asyncapi/verification.json); `SubjectDetailsNoted`,
`MemberRecordCrossChecked` and `VerificationReplyCorrected` are this service's additions,
documented in docs/verification.md. A new shape of an event is a new `schema_version` with an
upcaster in `UPCASTERS`, never an edit in place.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.events import DomainEvent, Upcaster, upcast


def nfc(text: str) -> str:
    """Vietnamese text is stored in Unicode NFC with no stray spaces (domain.md §6)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


DossierId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")]
SubjectId = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
OrganisationCode = Annotated[str, Field(min_length=1, max_length=64)]

Relation = Literal["applicant", "father", "mother", "father_in_law", "mother_in_law", "guardian", "spouse", "child"]
Method = Literal["field", "member_record"]
Template = Literal["standard", "police", "religious", "married_to_foreigner", "private_business_owner", "family_planning"]
Finding = Literal["clear", "concern", "disqualifying"]
Outcome = Literal["continue", "reject"]


class Event(DomainEvent):
    """An immutable fact of a case; `event_type` is the class name."""


# --- consumed: dossiers -> verification ---------------------------------------------------------


class DeclaredApplicant(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    citizen_id: str
    full_name: str
    birth_date: date
    gender: str | None = None
    ethnicity: str | None = None
    religion: str | None = None
    occupation: str | None = None
    police_officer: bool = False
    private_business_owner: bool = False


class DeclaredRelative(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    subject_id: SubjectId
    # Free text on purpose: a relation this service does not verify (a grandparent, a sibling)
    # is simply not a subject, rather than a dossier it cannot open.
    relation: str
    full_name: str | None = None
    birth_year: int | None = None
    residence_or_work: str | None = None
    responding_organisation: str | None = None
    is_party_member: bool = False
    member_citizen_id: str | None = None
    fully_declared: bool = False
    foreign_national: bool = False
    adult_with_full_capacity: bool | None = None


class PersonalHistoryDeclared(BaseModel):
    """Lý lịch người xin vào Đảng (Mẫu 2-KNĐ), as the dossiers service publishes it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    dossier_id: DossierId
    cell: OrganisationCode
    applicant: DeclaredApplicant
    relatives: list[DeclaredRelative] = Field(default_factory=list)
    family_planning_case: bool = False
    declared_on: date


# --- recorded by this service --------------------------------------------------------------------


class SubjectSpec(BaseModel):
    """One required subject (đối tượng thẩm tra): whose history, how, and with which form."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject_id: SubjectId
    relation: Relation
    method: Method
    template: Template


class VerificationOpened(Event):
    dossier_id: DossierId
    cell: OrganisationCode
    subjects: list[SubjectSpec]


class SubjectDetail(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    subject_id: SubjectId
    responding_organisation: str | None
    member_citizen_id: str | None


class SubjectDetailsNoted(Event):
    """What the opening rests on: the rule set the subjects were chosen under (family planning
    depends on it), and, per relative, the organisation that should answer and a party member's
    citizen id for the cross-check. Recorded with the opening so the case never has to read
    another service's data again."""

    dossier_id: DossierId
    rule_set: str
    subjects: list[SubjectDetail]


class VerificationRequestSent(Event):
    dossier_id: DossierId
    subject_id: SubjectId
    sent_to: OrganisationCode
    sent_on: date
    sent_by: OrganisationCode


class VerificationReplyRecorded(Event):
    dossier_id: DossierId
    subject_id: SubjectId
    replied_on: date
    responding_organisation: OrganisationCode
    finding: Finding
    note: str | None


class VerificationReplyCorrected(Event):
    """A reply replaced by a corrected one, with the reason (đính chính kết quả thẩm tra)."""

    dossier_id: DossierId
    subject_id: SubjectId
    replied_on: date
    responding_organisation: OrganisationCode
    finding: Finding
    note: str | None
    reason: str


class MemberRecordCrossChecked(Event):
    """The registry confirmed that the relative is a party member on that date: the evidence
    behind closing a subject against the member file instead of a field check."""

    dossier_id: DossierId
    subject_id: SubjectId
    organisation: OrganisationCode
    checked_on: date
    member_kind: str | None


class HistoryCertified(Event):
    dossier_id: DossierId
    cell: OrganisationCode
    certified_by: OrganisationCode
    certified_on: date


class HistoryTakenOverFromPaper(Event):
    """Tiếp nhận từ hồ sơ giấy: the history was verified and certified on paper before this
    deployment. Recorded before the replies it stands for (one `VerificationReplyRecorded`, clear,
    per subject still without one, dated the certification) and the `HistoryCertified` that follows."""

    dossier_id: DossierId
    certified_by: OrganisationCode
    certified_on: date


class VerificationBlocked(Event):
    dossier_id: DossierId
    subject_id: SubjectId
    note: str | None


class VerificationBlockLifted(Event):
    dossier_id: DossierId
    decided_by: OrganisationCode
    decided_on: date
    outcome: Outcome


class HistoryCorrectionReceived(Event):
    """The dossier's history was corrected (`PersonalHistoryCorrected`): a certification of the earlier
    declaration no longer stands, and relatives the correction adds are new subjects to verify. The
    grassroots committee certifies again once every subject has its reply."""

    dossier_id: DossierId
    corrected_on: date
    certification_withdrawn: bool
    new_subjects: list[SubjectSpec]
    details: list[SubjectDetail]


EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        VerificationOpened,
        SubjectDetailsNoted,
        VerificationRequestSent,
        VerificationReplyRecorded,
        VerificationReplyCorrected,
        MemberRecordCrossChecked,
        HistoryCertified,
        HistoryTakenOverFromPaper,
        VerificationBlocked,
        VerificationBlockLifted,
        HistoryCorrectionReceived,
    )
}

UPCASTERS: dict[tuple[str, int], Upcaster] = {}
"""(event type, old schema version) -> function returning the data of the next version."""


def decode(event: RecordedEvent) -> Event:
    """A recorded event of this service's log as its model, upcast to the current version."""
    cls = EVENT_TYPES[event.event_type]
    return upcast(event, cls, UPCASTERS)
