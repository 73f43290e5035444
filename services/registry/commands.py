"""The registry's commands (NATS `registry.cmd.<name>`), one model per use case.

Every command carries the platform's idempotency key, actor and scope (the actor's organisation:
it must be the unit acted on or one above it on the effective date). A command acting on a record
the user has seen may carry `expected_version`, the version the user saw: if someone changed the
record since, the reply is a `conflict` and nothing is written.

What a new organisation, member, committee seat or locality states is written once, as its
`...Facts` model: the command adds the platform's fields to it, and the import file's row
(importer.py) takes the same facts as people type them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ketnap.platform.commands import Command
from ketnap.services.registry.values import (
    CitizenId,
    ClassId,
    ClassKind,
    Day,
    DecisionNumber,
    LocalityCode,
    MemberKind,
    MemberStatus,
    OrganisationCode,
    OrganisationKind,
    PastDay,
    Period,
    PersonName,
    ShortText,
    Text,
    TransferKind,
)

ExpectedVersion = Field(default=None, ge=0, description="the version of the record the user saw")


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- the tree --------------------------------------------------------------------------------------


class OrganisationFacts(_Part):
    code: OrganisationCode
    name: ShortText
    kind: OrganisationKind
    parent: OrganisationCode | None = None
    effective_from: Day
    decision_number: DecisionNumber | None = None


class EstablishOrganisation(OrganisationFacts, Command):
    """Thành lập tổ chức đảng."""


class RenameOrganisation(Command):
    code: OrganisationCode
    name: ShortText
    effective_from: Day
    decision_number: DecisionNumber | None = None
    expected_version: int | None = ExpectedVersion


class ReclassifyOrganisation(Command):
    code: OrganisationCode
    kind: OrganisationKind
    effective_from: Day
    decision_number: DecisionNumber | None = None
    expected_version: int | None = ExpectedVersion


class MoveOrganisation(Command):
    """Chuyển tổ chức sang trực thuộc tổ chức khác."""

    code: OrganisationCode
    parent: OrganisationCode
    effective_from: Day
    decision_number: DecisionNumber | None = None
    expected_version: int | None = ExpectedVersion


class GrantAdmissionAuthority(Command):
    """Ủy quyền cho đảng ủy cơ sở quyết định kết nạp đảng viên."""

    code: OrganisationCode
    decision_number: DecisionNumber
    decision_date: PastDay
    effective_from: Day
    expected_version: int | None = ExpectedVersion


class RevokeAdmissionAuthority(Command):
    code: OrganisationCode
    effective_from: Day
    decision_number: DecisionNumber | None = None
    expected_version: int | None = ExpectedVersion


class MergeOrganisation(Command):
    """Sáp nhập `code` vào `into`; hợp nhất A và B thành C is: establish C, merge A into C, merge B into C."""

    code: OrganisationCode
    into: OrganisationCode
    effective_from: Day
    decision_number: DecisionNumber | None = None
    expected_version: int | None = ExpectedVersion


class SplitPartInput(_Part):
    code: OrganisationCode
    members: list[CitizenId] = Field(default_factory=list, max_length=5000)
    children: list[OrganisationCode] = Field(default_factory=list, max_length=1000)
    localities: list[LocalityCode] = Field(default_factory=list, max_length=1000)


class SplitOrganisation(Command):
    """Chia tách `code` into existing units (establish them first); what a part is not given
    explicitly goes to the first part."""

    code: OrganisationCode
    parts: list[SplitPartInput] = Field(min_length=2, max_length=20)
    effective_from: Day
    decision_number: DecisionNumber | None = None
    expected_version: int | None = ExpectedVersion


class DissolveOrganisation(Command):
    code: OrganisationCode
    effective_from: Day
    decision_number: DecisionNumber | None = None
    reason: Text | None = None
    expected_version: int | None = ExpectedVersion


# --- committees ------------------------------------------------------------------------------------


class CommitteeSeatFacts(_Part):
    organisation: OrganisationCode
    citizen_id: CitizenId
    role: ShortText | None = None
    effective_from: Day


class AppointCommitteeMember(CommitteeSeatFacts, Command):
    decision_number: DecisionNumber | None = None


class EndCommitteeMembership(Command):
    organisation: OrganisationCode
    citizen_id: CitizenId
    effective_from: Day
    reason: Text | None = None


# --- members ---------------------------------------------------------------------------------------


class MemberFacts(_Part):
    citizen_id: CitizenId
    full_name: PersonName
    organisation: OrganisationCode
    kind: MemberKind
    status: MemberStatus = MemberStatus.ACTIVE
    effective_from: Day
    admitted_on: PastDay | None = None
    official_since: PastDay | None = None


class RegisterMember(MemberFacts, Command):
    """Đăng ký một đảng viên đã có (chuyển đến từ nơi khác, bổ sung sổ); kết nạp mới đến từ quyết định kết nạp."""


class PaperAdmissionFacts(_Part):
    citizen_id: CitizenId
    full_name: PersonName
    organisation: OrganisationCode = Field(description="chi bộ")
    decided_by: OrganisationCode = Field(description="cấp ủy ra quyết định kết nạp")
    decision_number: DecisionNumber
    decision_date: PastDay
    ceremony_on: PastDay | None = None
    official_since: PastDay | None = Field(default=None, description="ngày công nhận chính thức = lễ kết nạp + 12 tháng")


class RecordPaperAdmission(PaperAdmissionFacts, Command):
    """Tiếp nhận một quyết định kết nạp đã làm trên giấy, trước khi dùng hệ thống: the person joins the
    cell from the ceremony (or the decision), counted in quotas and statistics like an admission decided
    here, marked as taken over from paper (`how` = paper_admission)."""


class ChangeMemberStatus(Command):
    """Miễn sinh hoạt, đình chỉ sinh hoạt, or back to active."""

    citizen_id: CitizenId
    status: MemberStatus
    effective_from: Day
    reason: Text | None = None
    expected_version: int | None = ExpectedVersion


class TransferMember(Command):
    """Chuyển sinh hoạt đảng: `to_organisation` None means a unit outside this registry."""

    citizen_id: CitizenId
    transfer: TransferKind
    to_organisation: OrganisationCode | None = None
    effective_from: Day
    reason: Text | None = None
    expected_version: int | None = ExpectedVersion


class ReturnMember(Command):
    """The end of a temporary transfer."""

    citizen_id: CitizenId
    effective_from: Day
    expected_version: int | None = ExpectedVersion


class RemoveMemberName(Command):
    """Xóa tên khỏi danh sách đảng viên by a decision made outside the voting service."""

    citizen_id: CitizenId
    effective_from: PastDay
    decided_by: OrganisationCode | None = None
    decision_number: DecisionNumber | None = None
    reason: Text
    expected_version: int | None = ExpectedVersion


# --- localities, quotas, classes --------------------------------------------------------------------


class LocalityFacts(_Part):
    code: LocalityCode
    name: ShortText
    kind: ShortText = Field(description="thôn, tổ dân phố, ấp, bản, khu phố...")
    organisation: OrganisationCode
    covered_by: OrganisationCode | None = None
    effective_from: Day


class RegisterLocality(LocalityFacts, Command):
    pass


class ChangeLocalityCoverage(Command):
    code: LocalityCode
    covered_by: OrganisationCode | None = None
    effective_from: Day
    expected_version: int | None = ExpectedVersion


class AssignQuota(Command):
    """Giao chỉ tiêu kết nạp đảng viên mới cho một năm hoặc một nhiệm kỳ."""

    organisation: OrganisationCode
    period: Period
    quantity: int = Field(ge=0, le=100_000)
    assigned_by: OrganisationCode
    decision_date: PastDay
    decision_number: DecisionNumber | None = None


class ChangeQuota(Command):
    organisation: OrganisationCode
    period: Period
    quantity: int = Field(ge=0, le=100_000)
    reason: Text
    decision_date: PastDay
    decision_number: DecisionNumber | None = None
    expected_version: int | None = ExpectedVersion


class AttendeeInput(_Part):
    citizen_id: CitizenId
    full_name: PersonName


class RecordClass(Command):
    class_id: ClassId
    kind: ClassKind
    organiser: OrganisationCode
    title: ShortText | None = None
    start_date: PastDay
    end_date: Day
    attendees: list[AttendeeInput] = Field(min_length=1, max_length=2000)


class CertificateInput(_Part):
    citizen_id: CitizenId
    number: DecisionNumber
    issued_on: PastDay


class IssueCertificates(Command):
    class_id: ClassId
    certificates: list[CertificateInput] = Field(min_length=1, max_length=2000)


# --- annual quality ratings -------------------------------------------------------------------------

RatingYear = Field(ge=1930, le=2200, description="năm được đánh giá, xếp loại")


class RecordQualityRating(Command):
    """Kết quả đánh giá, xếp loại chất lượng một năm của một đảng viên (citizen_id) hoặc một tổ chức
    đảng (organisation): số điểm; loại (xuất sắc, tốt, hoàn thành, không hoàn thành) được tính theo thang điểm."""

    year: int = RatingYear
    citizen_id: CitizenId | None = None
    organisation: OrganisationCode | None = None
    points: int = Field(description="số điểm, trên thang 0-100")
    rated_on: PastDay
    decision_number: DecisionNumber | None = None


class CorrectQualityRating(Command):
    """Điều chỉnh kết quả xếp loại đã ghi, kèm lý do."""

    year: int = RatingYear
    citizen_id: CitizenId | None = None
    organisation: OrganisationCode | None = None
    points: int = Field(description="số điểm sau điều chỉnh")
    corrected_on: PastDay
    reason: Text
    decision_number: DecisionNumber | None = None
    expected_version: int | None = ExpectedVersion


# --- bulk import ------------------------------------------------------------------------------------


class ImportRecords(Command):
    """Nhập dữ liệu tổ chức từ một tệp (Excel .xlsx, CSV hoặc JSON, docs/registry.md): kiểm tra mọi dòng; nếu
    không có lỗi và không phải chạy thử thì ghi tất cả trong một giao dịch (tất cả hoặc không gì cả).
    Mọi dòng phải thuộc `organisation` hoặc tổ chức cấp dưới."""

    organisation: OrganisationCode
    file_name: ShortText
    content: str = Field(
        min_length=1, max_length=512 * 1024,
        description="nội dung tệp: văn bản UTF-8 (CSV, JSON), hoặc các byte của tệp mã hóa base64 (`encoding`: base64, tệp Excel)",
    )
    encoding: Literal["utf-8", "base64"] = Field(default="utf-8", description="cách ghi `content`: utf-8 (văn bản) hoặc base64 (tệp Excel)")
    dry_run: bool = True
    dossiers_taken_over: bool = Field(
        default=False,
        description="các dòng hồ sơ đang làm và người thân do bên gửi tự tiếp nhận qua các dịch vụ hồ sơ, thẩm tra, "
        "biểu quyết (trang nhập của ứng dụng web): sổ đăng ký bỏ qua các dòng đó thay vì báo lỗi",
    )
