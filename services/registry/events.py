"""The registry's events: what happened to the organisation tree, its members, committees, localities,
quotas and classes, each effective from a date (reports over a past period use the world as it was).

Streams: `organisation-<code>` (the unit, its committee and its quotas), `person-<citizen_id>` (one
person's party membership: the stream is what makes a citizen id registered once),
`locality-<code>`, `class-<class_id>` and `rating-<year>-<subject>-<key>` (one subject's annual
quality rating: the stream is what makes a subject rated once a year). Every field is documented in docs/registry.md. A new shape
of an event is a new `schema_version` with an upcaster in `UPCASTERS`, never an edit in place.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from ketnap.domain.rules.quality_ratings import QualityClass
from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.events import DomainEvent, Upcaster, upcast
from ketnap.services.registry.values import (
    ClassKind,
    MemberKind,
    MemberStatus,
    OrganisationKind,
    PeriodKind,
    RatingSubject,
    TransferKind,
)


class Event(DomainEvent):
    """An immutable fact; `event_type` is the class name."""


# --- organisation-<code> --------------------------------------------------------------------------


class OrganisationEstablished(Event):
    """Thành lập: a unit of the tree exists from `effective_from`, under `parent` (None: a root)."""

    code: str
    name: str
    kind: OrganisationKind
    parent: str | None
    effective_from: date
    decision_number: str | None = None


class OrganisationRenamed(Event):
    code: str
    name: str
    previous_name: str
    effective_from: date
    decision_number: str | None = None


class OrganisationReclassified(Event):
    """The unit changes kind, e.g. a commune committee that became an upper committee on 01/07/2025."""

    code: str
    kind: OrganisationKind
    previous_kind: OrganisationKind
    effective_from: date
    decision_number: str | None = None


class OrganisationMoved(Event):
    """Chuyển trực thuộc: the unit, with its subtree and members, moves under another parent."""

    code: str
    parent: str
    previous_parent: str | None
    effective_from: date
    decision_number: str | None = None


class AdmissionAuthorityGranted(Event):
    """Ủy quyền kết nạp: a grassroots committee may decide admissions (domain.md §1)."""

    code: str
    decision_number: str
    decision_date: date
    effective_from: date
    granted_by: str | None = None


class AdmissionAuthorityRevoked(Event):
    code: str
    effective_from: date
    decision_number: str | None = None


class OrganisationMerged(Event):
    """Sáp nhập: the unit ends on `effective_from`; its members, child units and localities continue
    in `into` (an existing unit of the same level); its committee ends."""

    code: str
    into: str
    effective_from: date
    decision_number: str | None = None


class SplitPart(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    members: list[str] = []
    children: list[str] = []
    localities: list[str] = []


class OrganisationSplit(Event):
    """Chia tách: the unit ends on `effective_from`; what each part receives is listed, and
    whatever is not listed goes to the first part."""

    code: str
    parts: list[SplitPart]
    effective_from: date
    decision_number: str | None = None


class OrganisationDissolved(Event):
    """Giải thể: the unit ends with nothing left in it."""

    code: str
    effective_from: date
    decision_number: str | None = None
    reason: str | None = None


class CommitteeMemberAppointed(Event):
    """Cấp ủy viên: counts in the committee's 2/3 votes (COMMITTEE_2_3) from `effective_from`."""

    organisation: str
    citizen_id: str
    role: str | None = None
    effective_from: date
    decision_number: str | None = None


class CommitteeMemberLeft(Event):
    organisation: str
    citizen_id: str
    effective_from: date
    reason: str | None = None


class QuotaAssigned(Event):
    """Giao chỉ tiêu kết nạp for a year or a congress term, by an organisation above."""

    organisation: str
    period_kind: PeriodKind
    period: str
    quantity: int
    assigned_by: str
    decision_date: date
    decision_number: str | None = None


class QuotaChanged(Event):
    """Điều chỉnh chỉ tiêu: always with a reason; the earlier figure stays in the history."""

    organisation: str
    period: str
    quantity: int
    previous_quantity: int
    reason: str
    decision_date: date
    decision_number: str | None = None


# --- person-<citizen_id> ----------------------------------------------------------------------------


class MemberJoined(Event):
    """The person is on a cell's roster from `effective_from`: admitted (`how` = admission, from the
    voting service's decision), or an existing member registered (registration, import)."""

    citizen_id: str
    full_name: str
    organisation: str
    kind: MemberKind
    status: MemberStatus = MemberStatus.ACTIVE
    effective_from: date
    admitted_on: date | None = None
    """Date of the admission decision: party age counts from it."""
    official_since: date | None = None
    decision_number: str | None = None
    how: str = "registration"
    """`registration`, `admission` (a decision of the voting service) or `paper_admission` (an admission
    decided on paper before the system, taken over by `record_paper_admission`)."""
    decided_by: str | None = None
    """The committee that decided the admission, for `paper_admission`."""


class MemberBecameOfficial(Event):
    """Công nhận đảng viên chính thức; `official_date` is ceremony + 12 months, whatever the decision date."""

    citizen_id: str
    organisation: str
    official_date: date
    decision_number: str | None = None
    decision_date: date | None = None


class MemberStatusChanged(Event):
    citizen_id: str
    organisation: str
    status: MemberStatus
    previous_status: MemberStatus
    effective_from: date
    reason: str | None = None


class MemberTransferred(Event):
    """Chuyển sinh hoạt: official (the roster changes) or temporary (the member stays on the home
    roster as transferred out and is a temporary member of `to_organisation`)."""

    citizen_id: str
    from_organisation: str
    to_organisation: str | None
    """None: a unit outside this registry (another deployment); an official transfer then ends the
    membership here."""
    transfer: TransferKind
    effective_from: date
    reason: str | None = None


class MemberReturned(Event):
    """The end of a temporary transfer: active again at home."""

    citizen_id: str
    organisation: str
    host: str | None
    effective_from: date


class MemberNameRemoved(Event):
    """Xóa tên: the person leaves the roster (and the party) on `effective_from`."""

    citizen_id: str
    organisation: str
    effective_from: date
    decided_by: str | None = None
    decision_number: str | None = None
    reason: str | None = None


# --- locality-<code> --------------------------------------------------------------------------------


class LocalityRegistered(Event):
    """A thôn or tổ dân phố in the territory of `organisation`, covered by the cell `covered_by`
    (None: no cell covers it, a white zone)."""

    code: str
    name: str
    kind: str
    organisation: str
    covered_by: str | None
    effective_from: date


class LocalityCoverageChanged(Event):
    code: str
    covered_by: str | None
    previous_covered_by: str | None
    effective_from: date


# --- class-<class_id> -------------------------------------------------------------------------------


class Attendee(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    citizen_id: str
    full_name: str


class Certificate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    citizen_id: str
    number: str
    issued_on: date


class ClassHeld(Event):
    """Lớp bồi dưỡng nhận thức về Đảng, or lớp đảng viên mới, held by `organiser`."""

    class_id: str
    kind: ClassKind
    organiser: str
    title: str | None = None
    start_date: date
    end_date: date
    attendees: list[Attendee]


class CertificatesIssued(Event):
    class_id: str
    certificates: list[Certificate]


# --- rating-<year>-<subject>-<key> ------------------------------------------------------------------


class QualityRated(Event):
    """Đánh giá, xếp loại chất lượng hằng năm: a member (`citizen_id`, in `organisation`, the cell
    they belonged to that year) or an organisation (`citizen_id` None) scored `points`, which put
    it in `classification` under the scale `scale` (shared/domain/rules/quality_ratings.py)."""

    year: int
    subject: RatingSubject
    citizen_id: str | None = None
    organisation: str
    points: int = Field(repr=False)
    classification: QualityClass = Field(repr=False)
    scale: str
    rated_on: date
    decision_number: str | None = None


class QualityRatingCorrected(Event):
    """A rating recorded earlier is corrected, always with a reason; the earlier figure stays in the log."""

    year: int
    subject: RatingSubject
    citizen_id: str | None = None
    organisation: str
    points: int = Field(repr=False)
    previous_points: int = Field(repr=False)
    classification: QualityClass = Field(repr=False)
    previous_classification: QualityClass = Field(repr=False)
    scale: str
    corrected_on: date
    reason: str
    decision_number: str | None = None


EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        OrganisationEstablished, OrganisationRenamed, OrganisationReclassified, OrganisationMoved,
        AdmissionAuthorityGranted, AdmissionAuthorityRevoked, OrganisationMerged, OrganisationSplit,
        OrganisationDissolved, CommitteeMemberAppointed, CommitteeMemberLeft, QuotaAssigned, QuotaChanged,
        MemberJoined, MemberBecameOfficial, MemberStatusChanged, MemberTransferred, MemberReturned,
        MemberNameRemoved, LocalityRegistered, LocalityCoverageChanged, ClassHeld, CertificatesIssued, QualityRated,
        QualityRatingCorrected,
    )
}

UPCASTERS: dict[tuple[str, int], Upcaster] = {}
"""(event type, old schema version) -> function returning the data in the next version."""


def parse(recorded: RecordedEvent) -> Event | None:
    """The typed event of a recorded one, upcast to the current version; None for a type this code
    does not know (a newer writer), which readers skip."""
    cls = EVENT_TYPES.get(recorded.event_type)
    if cls is None:
        return None
    return upcast(recorded, cls, UPCASTERS)


def organisation_stream(code: str) -> str:
    return f"organisation-{code}"


def person_stream(citizen_id: str) -> str:
    return f"person-{citizen_id}"


def locality_stream(code: str) -> str:
    return f"locality-{code}"


def class_stream(class_id: str) -> str:
    return f"class-{class_id}"


def rating_stream(year: int, subject: RatingSubject, key: str) -> str:
    """`key` is the member's citizen id or the organisation's code."""
    return f"rating-{year}-{subject.value}-{key}"
