"""The events of a dossier's voting chain (biểu quyết, quyết định), and the dossiers events it starts from.

The published ones are contracts (docs/contracts.md; their fields are in
docs/asyncapi/voting.json, generated from these models, which a test keeps current); the others
are this service's own record, documented in docs/voting.md: the roster snapshot and the
ballots behind each vote (`VoteHeld`), which organisation was competent and which rule set
applied to a decision (`AuthorityChecked`), and the dossier facts the chain needs.
A new shape of an event is a new `schema_version` with an upcaster in `UPCASTERS`, never an
edit in place.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.events import DomainEvent, Upcaster, upcast


def nfc(text: str) -> str:
    """Vietnamese text is stored in Unicode NFC with no stray spaces (domain.md §6)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


DossierId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")]
CitizenId = Annotated[str, Field(pattern=r"^[0-9]{12}$")]
OrganisationCode = Annotated[str, Field(min_length=1, max_length=64)]
Text = Annotated[str, AfterValidator(nfc), Field(min_length=1, max_length=4000)]
Name = Annotated[str, AfterValidator(nfc), Field(min_length=1, max_length=200)]

Choice = Literal["agree", "disagree", "abstain"]
"""Tán thành, không tán thành, không biểu quyết (present, counted, voting neither way)."""

Act = Literal[
    "cell_resolution",
    "grassroots_resolution",
    "admission_decision",
    "decision_extension",
    "recognition_cell_resolution",
    "recognition_grassroots_resolution",
    "recognition_decision",
    "name_removal_decision",
]
"""The acts of collective bodies this service records, one applicant each."""


class Event(DomainEvent):
    """An immutable fact of a voting chain; `event_type` is the class name."""

    published: ClassVar[bool] = False
    """In docs/contracts.md: other services react to it, its fields never change in place."""


class Published(Event):
    published: ClassVar[bool] = True


# --- published: voting -> dossiers, registry, reporting (docs/contracts.md) ----------------------


class CellResolutionAdopted(Published):
    """Nghị quyết chi bộ đề nghị kết nạp (Mẫu 6-KNĐ), adopted by ≥ 2/3 of the denominator."""

    dossier_id: DossierId
    cell: OrganisationCode
    citizen_id: CitizenId
    meeting_on: date
    agree: int
    disagree: int
    denominator: int
    entitled: list[CitizenId]
    rule_set: str


class CellResolutionNotAdopted(CellResolutionAdopted):
    """The cell voted but fewer than 2/3 of the denominator agreed (CELL_2_3)."""


class PartialCommitteeAppraised(Published):
    """Thẩm định của đảng ủy bộ phận (Mẫu 7-KNĐ)."""

    dossier_id: DossierId
    organisation: OrganisationCode
    appraised_on: date
    opinion: Text


class GrassrootsResolutionAdopted(Published):
    """Nghị quyết đảng ủy cơ sở (Mẫu 8-KNĐ), adopted by ≥ 2/3 of all committee members."""

    dossier_id: DossierId
    organisation: OrganisationCode
    meeting_on: date
    agree: int
    denominator: int
    rule_set: str


class GrassrootsResolutionNotAdopted(GrassrootsResolutionAdopted):
    """Fewer than 2/3 of the committee members agreed (COMMITTEE_2_3)."""


class AdmissionDecided(Published):
    """Quyết định kết nạp đảng viên: the registry adds a probationary member to the cell."""

    dossier_id: DossierId
    citizen_id: CitizenId
    full_name: Name
    organisation: OrganisationCode
    """The cell."""
    decided_by: OrganisationCode
    decision_number: Annotated[str, Field(min_length=1, max_length=64)]
    decision_date: date
    rule_set: str


class AdmissionRefused(Published):
    dossier_id: DossierId
    citizen_id: CitizenId
    organisation: OrganisationCode
    decided_by: OrganisationCode
    decision_date: date
    reason: Text
    rule_set: str | None = None
    """The rule set the decision was checked under (also on `AuthorityChecked`); None only on decisions
    recorded before the field existed."""


class DecisionDeadlineExtended(Published):
    """Gia hạn thời gian xem xét, quyết định: at most 30 working days, once (DECISION_60WD), of the
    admission decision before the ceremony or of the recognition decision during probation."""

    dossier_id: DossierId
    by_working_days: int
    decided_by: OrganisationCode
    on: date
    decision: Literal["admission", "recognition"] | None = None
    """Which decision it extends; None only on extensions recorded before the field existed (then:
    the recognition decision when the ceremony had been held)."""


class CellNotified(Published):
    """The cell received the decision (admission or refusal); the ceremony clock starts."""

    dossier_id: DossierId
    organisation: OrganisationCode
    received_on: date


class RecognitionDecided(Published):
    """Quyết định công nhận đảng viên chính thức: the registry makes the member official."""

    dossier_id: DossierId
    citizen_id: CitizenId
    organisation: OrganisationCode
    decided_by: OrganisationCode
    decision_number: Annotated[str, Field(min_length=1, max_length=64)]
    decision_date: date
    official_date: date
    rule_set: str | None = None
    """The rule set the decision was checked under (also on `AuthorityChecked`); None only on decisions
    recorded before the field existed."""


class RecognitionVoteFailed(Published):
    """A recognition vote reached neither 2/3 for nor 2/3 against; `attempt` counts such votes of
    `organisation` for this member."""

    dossier_id: DossierId
    citizen_id: CitizenId
    organisation: OrganisationCode
    attempt: int
    meeting_on: date


class RecognitionEscalated(Published):
    """RECOG_3_FAILS: the third failed vote sends the case to the committee above."""

    dossier_id: DossierId
    citizen_id: CitizenId
    organisation: OrganisationCode
    to_organisation: OrganisationCode


class NameRemovalDecided(Published):
    """Xóa tên khỏi danh sách đảng viên dự bị: the registry takes the name off."""

    dossier_id: DossierId
    citizen_id: CitizenId
    organisation: OrganisationCode
    decided_by: OrganisationCode
    decision_date: date
    reason: Text
    rule_set: str | None = None
    """The rule set the decision was checked under (also on `AuthorityChecked`); None only on decisions
    recorded before the field existed."""


class CeremonyDelayAgreed(Published):
    """The committee above agreed that the ceremony be held after 30 working days (CEREMONY_30WD).
    Published since issue 18: reporting's ceremony deadline reads it (waived, not overdue)."""

    dossier_id: DossierId
    agreed_by: OrganisationCode
    agreed_on: date


# --- this service's own record (docs/voting.md) --------------------------------------------------


class RosterLine(BaseModel):
    """One person of the body on the meeting date, as the registry listed them, and how they counted."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    citizen_id: CitizenId
    membership: Literal["official", "probationary", "committee"]
    status: str
    present: bool
    counted: bool
    """In the denominator."""


class Ballot(BaseModel):
    """How one person present voted (biểu quyết)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    citizen_id: CitizenId
    choice: Choice


class ResolutionTakenOverFromPaper(Event):
    """Tiếp nhận từ hồ sơ giấy: a resolution (`act`: the cell's or the grassroots committee's, or the
    vote by which an authorised grassroots committee decided the admission, `meeting_on` then the
    decision's date) was adopted on paper before this deployment, with these counts (the paper holds
    no ballots). Recorded before the `VoteHeld` (the roster or committee on the meeting day, no
    ballots) and the adopted resolution or the decision it stands for."""

    dossier_id: DossierId
    act: Literal["cell_resolution", "grassroots_resolution", "admission_decision"]
    organisation: OrganisationCode
    meeting_on: date
    agree: int
    disagree: int


class VoteHeld(Event):
    """The whole vote behind a resolution or a committee's decision: who was entitled (the roster
    from the registry as of the meeting date), who voted how, the count and the outcome by the rule
    (≥ 2/3 of the denominator, not of those present)."""

    dossier_id: DossierId
    act: Act
    organisation: OrganisationCode
    meeting_on: date
    roster: list[RosterLine]
    ballots: list[Ballot]
    denominator: int
    required: int
    agree: int
    disagree: int
    abstain: int
    outcome: Literal["adopted", "rejected", "failed"]
    rule_set: str


class AuthorityChecked(Event):
    """Which organisation had admission authority over the cell on the decision date, and the rule
    set the decision was checked under (the published decisions carry it too, since issue 18)."""

    dossier_id: DossierId
    act: Act
    decided_by: OrganisationCode
    competent_authority: OrganisationCode
    on: date
    rule_set: str


class RecognitionResolutionAdopted(Published):
    """A recognition vote with ≥ 2/3 for (Mẫu 13-KNĐ at the cell, 15-KNĐ at the grassroots committee).
    Published (docs/contracts.md): reporting's recognition deadlines read it."""

    dossier_id: DossierId
    organisation: OrganisationCode
    level: Literal["cell", "grassroots"]
    meeting_on: date
    agree: int
    disagree: int
    denominator: int
    rule_set: str


class RecognitionResolutionRejected(RecognitionResolutionAdopted):
    """A recognition vote with ≥ 2/3 against: the body proposes removing the name."""


class CaseOpened(Event):
    """The dossier is ready for the cell's vote (from the dossiers service's `ReadyForCellVote`)."""

    dossier_id: DossierId
    cell: OrganisationCode
    citizen_id: CitizenId
    full_name: Name
    ready_on: date
    dossier_rule_set: str


class CeremonyRecorded(Event):
    """Lễ kết nạp held (from `CeremonyHeld`): probation starts this day."""

    dossier_id: DossierId
    cell: OrganisationCode
    held_on: date
    received_decision_on: date


class RecognitionPapersRecorded(Event):
    """The recognition papers are complete (from `RecognitionPapersCompleted`)."""

    dossier_id: DossierId
    completed_on: date


class CaseTransferred(Event):
    """The dossier moved with the person to another cell, which continues the chain."""

    dossier_id: DossierId
    from_cell: OrganisationCode
    to_cell: OrganisationCode
    on: date


class CaseSuspended(Event):
    """Để lại sưu tra: no act is recorded until the dossier is resumed."""

    dossier_id: DossierId
    on: date


class CaseResumed(CaseSuspended):
    pass


class CaseClosed(Event):
    """The dossier was withdrawn or rejected: no act is recorded any more."""

    dossier_id: DossierId
    on: date
    why: Literal["withdrawn", "rejected"]


EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        CellResolutionAdopted,
        CellResolutionNotAdopted,
        PartialCommitteeAppraised,
        GrassrootsResolutionAdopted,
        GrassrootsResolutionNotAdopted,
        AdmissionDecided,
        AdmissionRefused,
        DecisionDeadlineExtended,
        CellNotified,
        RecognitionDecided,
        RecognitionVoteFailed,
        RecognitionEscalated,
        NameRemovalDecided,
        VoteHeld,
        ResolutionTakenOverFromPaper,
        AuthorityChecked,
        RecognitionResolutionAdopted,
        RecognitionResolutionRejected,
        CeremonyDelayAgreed,
        CaseOpened,
        CeremonyRecorded,
        RecognitionPapersRecorded,
        CaseTransferred,
        CaseSuspended,
        CaseResumed,
        CaseClosed,
    )
}

PUBLISHED_TYPES: tuple[type[Event], ...] = tuple(cls for cls in EVENT_TYPES.values() if cls.published)

UPCASTERS: dict[tuple[str, int], Upcaster] = {}
"""(event type, old schema version) -> the data in the next version's shape."""


def parse(recorded: RecordedEvent) -> Event:
    """A stored event as its model, upcast from older schema versions."""
    cls = EVENT_TYPES[recorded.event_type]
    return upcast(recorded, cls, UPCASTERS)


# --- consumed: dossiers -> voting ---------------------------------------------------------------


class DossierEvent(BaseModel):
    """A dossiers event as this service reads it: unknown fields are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    dossier_id: DossierId


class ReadyForCellVote(DossierEvent):
    cell: OrganisationCode
    citizen_id: CitizenId
    full_name: Name
    birth_date: date
    ready_on: date
    rule_set: str


class CeremonyHeld(DossierEvent):
    cell: OrganisationCode
    citizen_id: CitizenId
    held_on: date
    received_decision_on: date
    helper_citizen_id: CitizenId


class RecognitionPapersCompleted(DossierEvent):
    cell: OrganisationCode
    citizen_id: CitizenId
    completed_on: date


class DossierStateChanged(DossierEvent):
    """`DossierWithdrawn`, `DossierRejected`, `DossierSuspended`, `DossierResumed`: the contract gives each a `cell` and an `on`."""

    cell: OrganisationCode
    on: date


class DossierTransferred(DossierEvent):
    from_cell: OrganisationCode
    to_cell: OrganisationCode
    on: date
