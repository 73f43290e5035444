"""What people ask the voting service to record: the acts of cells and committees, one applicant each.

Every command carries the platform's idempotency key, actor and scope (`ketnap.platform.commands.Command`),
and may carry `expected_version`, the case version the person last saw (the `version` of the
`case` query): when given, the command is refused as a conflict if someone recorded an act since.
A vote lists who was present and how each voted; the roster and the denominator come from the
registry, never from the caller. Votes take `dossier_ids` (a list) so that a vote covering several
applicants can be sent and is refused with ONE_BY_ONE rather than being unrepresentable.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ketnap.domain.calendar import today_in_vietnam
from ketnap.platform.commands import Command
from ketnap.services.voting.events import Ballot, DossierId, OrganisationCode, Text


def _not_in_future(d: date) -> date:
    if d > today_in_vietnam():
        raise ValueError("ngày không được ở tương lai")
    return d


PastDate = Annotated[date, AfterValidator(_not_in_future)]
"""An act is recorded after it happened: a date after today (in Vietnam) is a typing error."""
Ballots = Annotated[list[Ballot], Field(max_length=500)]
DecisionNumber = Annotated[str, Field(min_length=1, max_length=64)]


class CaseCommand(Command):
    expected_version: int | None = Field(default=None, ge=0, le=2**63 - 1, description="the case version the user last saw")
    """0 for a case with nothing recorded here yet (its own stream's version, as `case` answers it)."""


class Vote(CaseCommand):
    dossier_ids: Annotated[list[DossierId], Field(min_length=1, max_length=100)]
    """The applicants the vote covers: exactly one is accepted (ONE_BY_ONE)."""
    meeting_on: PastDate
    ballots: Ballots
    """One per member present: citizen id and `agree`, `disagree` or `abstain`."""


class RecordCellResolution(Vote):
    """Ghi nghị quyết chi bộ đề nghị kết nạp (Mẫu 6-KNĐ)."""

    cell: OrganisationCode


class TakeOverCellResolution(CaseCommand):
    """Tiếp nhận nghị quyết chi bộ đề nghị kết nạp đã có trên hồ sơ giấy (Mẫu 6-KNĐ): the counts the
    paper records; the denominator comes from the registry's roster on the meeting day."""

    dossier_id: DossierId
    cell: OrganisationCode
    meeting_on: PastDate
    agree: int = Field(ge=0, le=10000)
    disagree: int = Field(default=0, ge=0, le=10000)


class TakeOverGrassrootsResolution(CaseCommand):
    """Tiếp nhận nghị quyết đảng ủy cơ sở đề nghị kết nạp đã có trên hồ sơ giấy (Mẫu 8-KNĐ): the counts
    the paper records; the denominator is the committee's members on the meeting day (registry)."""

    dossier_id: DossierId
    organisation: OrganisationCode
    meeting_on: PastDate
    agree: int = Field(ge=0, le=1000)
    disagree: int = Field(default=0, ge=0, le=1000)


class RecordAppraisal(CaseCommand):
    """Ghi ý kiến thẩm định của đảng ủy bộ phận (Mẫu 7-KNĐ)."""

    dossier_id: DossierId
    organisation: OrganisationCode
    appraised_on: PastDate
    opinion: Text


class RecordGrassrootsResolution(Vote):
    """Ghi nghị quyết đảng ủy cơ sở đề nghị kết nạp (Mẫu 8-KNĐ)."""

    organisation: OrganisationCode


class DecideAdmission(CaseCommand):
    """Ghi quyết định kết nạp (Mẫu 9-KNĐ) hoặc quyết định không kết nạp của cấp có thẩm quyền.

    `ballots` only when the decider is an authorised grassroots committee, which decides by a
    vote of its committee members ("agree" = admit)."""

    dossier_id: DossierId
    decided_by: OrganisationCode
    decision_date: PastDate
    admitted: bool
    decision_number: DecisionNumber | None = None
    reason: Text | None = None
    ballots: Ballots = Field(default_factory=list)


class TakeOverAdmissionDecision(CaseCommand):
    """Tiếp nhận quyết định kết nạp đã có trên hồ sơ giấy của đảng ủy cơ sở được ủy quyền (Mẫu 9-KNĐ):
    the decision's number and date and the counts of the committee's vote the paper records (it holds
    no ballots); the denominator is the committee's members on the decision day (registry). A decision
    of an upper committee, which votes in its standing committee, is taken over by `decide_admission`."""

    dossier_id: DossierId
    decided_by: OrganisationCode
    decision_number: DecisionNumber
    decision_date: PastDate
    agree: int = Field(ge=0, le=1000)
    disagree: int = Field(default=0, ge=0, le=1000)


class ExtendDecisionDeadline(CaseCommand):
    """Ghi việc gia hạn thời gian ra quyết định (một lần, tối đa 30 ngày làm việc)."""

    dossier_id: DossierId
    decided_by: OrganisationCode
    on: PastDate
    by_working_days: int = Field(ge=1, le=366)


class RecordCellNotified(CaseCommand):
    """Ghi ngày chi bộ nhận quyết định."""

    dossier_id: DossierId
    received_on: PastDate


class AgreeCeremonyDelay(CaseCommand):
    """Ghi việc cấp ủy cấp trên đồng ý tổ chức lễ kết nạp quá 30 ngày làm việc."""

    dossier_id: DossierId
    agreed_by: OrganisationCode
    agreed_on: PastDate


class RecordRecognitionCellResolution(Vote):
    """Ghi nghị quyết chi bộ về việc công nhận đảng viên chính thức (13-KNĐ); "agree" = công nhận."""

    cell: OrganisationCode


class RecordRecognitionGrassrootsResolution(Vote):
    """Ghi nghị quyết đảng ủy cơ sở về việc công nhận đảng viên chính thức (15-KNĐ)."""

    organisation: OrganisationCode


class DecideRecognition(CaseCommand):
    """Ghi quyết định công nhận đảng viên chính thức (16-KNĐ)."""

    dossier_id: DossierId
    decided_by: OrganisationCode
    decision_number: DecisionNumber
    decision_date: PastDate
    ballots: Ballots = Field(default_factory=list)


class DecideNameRemoval(CaseCommand):
    """Ghi quyết định xóa tên khỏi danh sách đảng viên dự bị; "agree" = đồng ý xóa tên."""

    dossier_id: DossierId
    decided_by: OrganisationCode
    decision_date: PastDate
    reason: Text
    ballots: Ballots = Field(default_factory=list)


# --- queries ------------------------------------------------------------------------------------


class _Query(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class CaseQuery(_Query):
    """The voting chain of one dossier: every step recorded so far."""

    dossier_id: DossierId


class DeadlinesQuery(_Query):
    """Deadline flags for one dossier (all, kept or not), or the open ones under an organisation."""

    dossier_id: DossierId | None = None
    organisation: OrganisationCode | None = None
    on: date | None = None
    """The day to judge "overdue" on; today in Vietnam when not given."""
