"""What users ask of a verification case, as NATS commands `verification.cmd.<name>`.

Each carries the common idempotency key, actor and scope (`ketnap.platform.commands.Command`), and may
carry `expected_version`, the case version the user last saw: when given, the command is
refused as a conflict if the case has moved on since.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ketnap.platform.commands import Command
from ketnap.services.verification.events import DossierId, Finding, OrganisationCode, Outcome, SubjectId, nfc

Text = Annotated[str, Field(min_length=1, max_length=4000), AfterValidator(nfc)]
Day = Annotated[date, Field(ge=date(1930, 2, 3), le=date(2100, 12, 31))]
"""A date of the procedure: not before the Party was founded, within the working-day calendar."""
ExpectedVersion = Annotated[int | None, Field(default=None, ge=1, description="the case version the user last saw")]


class CaseCommand(Command):
    dossier_id: DossierId
    expected_version: ExpectedVersion = None


class SendRequest(CaseCommand):
    """Gửi yêu cầu thẩm tra: a request for one subject, to the organisation where the person lives
    or works (`sent_to`), sent by a cell or grassroots committee (`sent_by`)."""

    subject_id: SubjectId
    sent_to: OrganisationCode
    sent_on: Day
    sent_by: OrganisationCode


class RecordReply(CaseCommand):
    """Ghi kết quả thẩm tra: the reply to a sent request. A subject that already has a different
    reply needs `correction_reason` (đính chính); the same reply again changes nothing."""

    subject_id: SubjectId
    replied_on: Day
    responding_organisation: OrganisationCode
    finding: Finding
    note: Text | None = None
    correction_reason: Text | None = None


class CloseByMemberRecord(CaseCommand):
    """Đối chiếu hồ sơ đảng viên: close a relative's subject against their member file, when the
    relative is a party member who declared fully and the registry confirms the membership on
    `checked_on` in `organisation` (by default the organisation declared in the history)."""

    subject_id: SubjectId
    checked_on: Day
    organisation: OrganisationCode | None = None
    finding: Finding = "clear"
    note: Text | None = None


class CertifyHistory(CaseCommand):
    """Chứng nhận lý lịch: the grassroots committee certifies the history once every subject has a reply."""

    certified_by: OrganisationCode
    certified_on: Day


class TakeOverCertification(CaseCommand):
    """Tiếp nhận lý lịch đã thẩm tra, chứng nhận trên hồ sơ giấy: the certification made on paper
    before this deployment, standing for the replies the paper holds."""

    certified_by: OrganisationCode
    certified_on: Day


class LiftBlock(CaseCommand):
    """Quyết định của cấp ủy có thẩm quyền sau kết quả thẩm tra không đủ điều kiện: continue or reject."""

    decided_by: OrganisationCode
    decided_on: Day
    outcome: Outcome


# --- queries ---------------------------------------------------------------------------------------


class CaseQuery(BaseModel):
    """`verification.query.case`: one dossier's case with each subject's state."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dossier_id: DossierId


class OverdueQuery(BaseModel):
    """`verification.query.overdue`: requests without a reply for more than `working_days` working
    days on `on` (default: today in Vietnam), each with a reminder."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    on: Day | None = None
    working_days: int | None = Field(default=None, ge=1, le=400)
    cell: OrganisationCode | None = Field(
        default=None, description="a cell, or a unit above cells: the requests of every dossier of its subtree on `on`"
    )
    limit: int = Field(default=500, ge=1, le=5000)
