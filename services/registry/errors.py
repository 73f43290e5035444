"""What can go wrong in the registry, each named after what went wrong, with the message the user reads.

Each derives from the platform's `DomainError` kinds, so a command's reply carries the right code
(`validation`, `not_found`, `conflict`, `forbidden`) and the Vietnamese message. Messages never
repeat a person's name or citizen id: the user knows whom they asked about, and replies may be
logged by callers.
"""

from __future__ import annotations

from datetime import date

from ketnap.domain.rules import RuleCode
from ketnap.platform.commands import Conflict, Forbidden, InvalidInput, NotFound, RuleConflict, RuleViolation
from ketnap.platform.vietnamese import vn_date
from ketnap.services.registry.values import KIND_LABELS, OrganisationKind, RatingSubject


class OrganisationNotFound(NotFound):
    def __init__(self, code: str, on: date | None = None) -> None:
        when = f" vào ngày {vn_date(on)}" if on else ""
        super().__init__(f"Không tìm thấy tổ chức đảng {code}{when}.", organisation=code)


class OrganisationAlreadyExists(RuleConflict):
    """ORG_CODE_UNIQUE: one unit per code, whatever its case (`cb-x` when `CB-X` exists: codes are
    typed in any case, the CLI writes them in capitals, people in lower case, and two units told
    apart only by case would be found by the wrong lookup). A rule's refusal with its code, answered
    as a `conflict` (HTTP 409) like every refusal by another's record (RuleConflict)."""

    def __init__(self, code: str, stored: str | None = None) -> None:
        stored = stored or code
        taken = (
            f"Mã tổ chức {code} đã được dùng cho một tổ chức khác"
            if stored == code
            else f"Mã tổ chức {code} trùng với mã {stored} đã có (mã tổ chức không phân biệt chữ hoa, chữ thường)"
        )
        super().__init__(str(RuleCode.ORG_CODE_UNIQUE), f"{taken}; hãy chọn mã khác.", organisation=code, stored=stored)


class UnknownOrganisation(InvalidInput):
    """A command names another unit (a parent, a target, a cell) that does not exist on its date."""

    def __init__(self, code: str, on: date, role: str = "Tổ chức") -> None:
        super().__init__(f"{role} {code} không tồn tại vào ngày {vn_date(on)}.", organisation=code, on=on.isoformat())


class UnknownParent(UnknownOrganisation):
    def __init__(self, code: str, on: date) -> None:
        super().__init__(code, on, role="Tổ chức cấp trên")


class ParentKindNotAllowed(InvalidInput):
    def __init__(self, kind: OrganisationKind, parent_kind: OrganisationKind) -> None:
        super().__init__(
            f"{KIND_LABELS[kind].capitalize()} không thể trực thuộc {KIND_LABELS[parent_kind]}.",
            kind=kind.value,
            parent_kind=parent_kind.value,
        )


class RootNotAllowed(InvalidInput):
    def __init__(self, kind: OrganisationKind) -> None:
        super().__init__(
            f"{KIND_LABELS[kind].capitalize()} phải có tổ chức cấp trên; chỉ trung ương, tỉnh ủy hoặc "
            "cấp ủy cấp trên cơ sở mới đứng đầu cây.",
            kind=kind.value,
        )


class TreeCycle(InvalidInput):
    def __init__(self, code: str, parent: str, on: date) -> None:
        super().__init__(
            f"Không thể đặt {code} trực thuộc {parent}: {parent} nằm trong chính cây tổ chức của {code} "
            f"(từ ngày {vn_date(on)}), cây sẽ thành vòng lặp.",
            organisation=code,
            parent=parent,
            on=on.isoformat(),
        )


class OrganisationEnded(Conflict):
    """The unit has ended (merged, split, dissolved): a `conflict`, the answer the loser of two
    people ending it at once gets whichever check stops it."""

    def __init__(self, code: str, how: str, on: date) -> None:
        verb = {"merged": "đã sáp nhập", "split": "đã chia tách", "dissolved": "đã giải thể"}.get(how, "đã kết thúc")
        super().__init__(f"Tổ chức {code} {verb} từ ngày {vn_date(on)}.", organisation=code, ended_on=on.isoformat())


class NotYetEstablished(InvalidInput):
    def __init__(self, code: str, established_on: date) -> None:
        super().__init__(
            f"Tổ chức {code} chỉ được thành lập từ ngày {vn_date(established_on)}.",
            organisation=code,
            established_on=established_on.isoformat(),
        )


class EffectiveDateTooEarly(InvalidInput):
    """Changes of one record are kept in the order of their effective dates, so as-of answers are exact."""

    def __init__(self, effective_from: date, last_change: date) -> None:
        super().__init__(
            f"Ngày hiệu lực {vn_date(effective_from)} trước lần thay đổi gần nhất ({vn_date(last_change)}); "
            "không ghi lùi ngày trước một thay đổi đã có.",
            effective_from=effective_from.isoformat(),
            last_change=last_change.isoformat(),
        )


class NothingToChange(Conflict):
    """The record already says what the command would record: a `conflict`, as for the loser of
    two people making the same change at once (the store's version check stops the other order)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"Không có gì thay đổi: {what}.")


class IncompatibleLevel(InvalidInput):
    def __init__(self, code: str, other: str, action: str) -> None:
        super().__init__(
            f"Không thể {action} {code} và {other}: hai tổ chức không cùng cấp.", organisation=code, other=other
        )


class StillInUse(RuleViolation):
    """DISSOLVE_EMPTY: what is still attached to the unit; open dossiers are the dossiers service's
    answer, asked in the tree's turn (platform turns.TREE)."""

    def __init__(self, code: str, members: int, children: int, localities: int, open_dossiers: int = 0) -> None:
        parts = [
            f"{members} đảng viên" if members else "",
            f"{children} tổ chức trực thuộc" if children else "",
            f"{localities} địa bàn" if localities else "",
            f"{open_dossiers} hồ sơ kết nạp đang mở" if open_dossiers else "",
        ]
        super().__init__(
            str(RuleCode.DISSOLVE_EMPTY),
            f"Tổ chức {code} còn {', '.join(p for p in parts if p)}; hãy chuyển đi hoặc sáp nhập trước khi giải thể.",
            organisation=code,
            members=members,
            children=children,
            localities=localities,
            open_dossiers=open_dossiers,
        )


class NoAdmissionAuthority(Conflict):
    """A `conflict`: the state of the unit, as for the loser of two revocations at once."""

    def __init__(self, code: str) -> None:
        super().__init__(f"Tổ chức {code} không có quyết định ủy quyền kết nạp đang hiệu lực.", organisation=code)


class AuthorityNotGrantable(InvalidInput):
    def __init__(self, code: str, kind: OrganisationKind) -> None:
        super().__init__(
            f"Chỉ đảng bộ cơ sở mới được ủy quyền kết nạp; {code} là {KIND_LABELS[kind]}"
            + (" (đã có thẩm quyền)." if kind.decides_admission_by_itself else "."),
            organisation=code,
        )


class OutOfScope(Forbidden):
    def __init__(self, scope: str, code: str) -> None:
        super().__init__(
            f"Người dùng của {scope} không có quyền với tổ chức {code} (không thuộc phạm vi quản lý).",
            scope=scope,
            organisation=code,
        )


# --- members ----------------------------------------------------------------------------------------


class AlreadyMember(Conflict):
    def __init__(self, organisation: str) -> None:
        super().__init__(
            f"Người này đã là đảng viên (số CCCD đã có trong sổ, đang sinh hoạt tại {organisation}).",
            organisation=organisation,
        )


class NotAMember(NotFound):
    def __init__(self, on: date | None = None) -> None:
        when = f" vào ngày {vn_date(on)}" if on else ""
        super().__init__(f"Số CCCD này không phải đảng viên trong sổ đăng ký{when}.")


class NotInOrganisation(InvalidInput):
    def __init__(self, organisation: str, actual: str | None, on: date) -> None:
        super().__init__(
            f"Đảng viên không sinh hoạt tại {organisation} vào ngày {vn_date(on)}"
            + (f" (đang sinh hoạt tại {actual})." if actual else "."),
            organisation=organisation,
            actual=actual,
        )


class MembersOnlyInCells(InvalidInput):
    def __init__(self, code: str, kind: OrganisationKind) -> None:
        super().__init__(
            f"Đảng viên sinh hoạt ở chi bộ; {code} là {KIND_LABELS[kind]}.", organisation=code, kind=kind.value
        )


class NotProbationary(InvalidInput):
    def __init__(self) -> None:
        super().__init__("Chỉ đảng viên dự bị mới được công nhận chính thức; người này đã là đảng viên chính thức.")


class TransferredOutNow(Conflict):
    """The member is temporarily transferred out: the act needs them back first (a `conflict`, as
    for the loser of two temporary transfers at once)."""

    def __init__(self, then: str) -> None:
        super().__init__(f"Đảng viên đang chuyển sinh hoạt tạm thời; hãy ghi việc trở về sinh hoạt trước khi {then}.")


class NotTransferredOut(Conflict):
    """A return for a member not temporarily transferred out (a `conflict`, as for the loser of two
    returns recorded at once)."""

    def __init__(self) -> None:
        super().__init__("Đảng viên không trong thời gian chuyển sinh hoạt tạm thời.")


class MembershipEnded(Conflict):
    """The person's membership here has ended (name removed, or transferred to another deployment):
    a `conflict`, as for the loser of two removals of one name at once. A person never registered is
    `NotAMember`."""

    def __init__(self, since: date | None) -> None:
        when = f" từ ngày {vn_date(since)}" if since else ""
        super().__init__(f"Người này không còn sinh hoạt đảng trong sổ đăng ký này{when}.", since=since.isoformat() if since else None)


class InvalidStatusChange(InvalidInput):
    def __init__(self, message: str) -> None:
        super().__init__(message)


class CommitteeSeatTaken(Conflict):
    def __init__(self, organisation: str) -> None:
        super().__init__(f"Người này đã là cấp ủy viên của {organisation}.", organisation=organisation)


class NotOnCommittee(Conflict):
    """Also what the loser of two people removing the same seat at once meets."""

    def __init__(self, organisation: str) -> None:
        super().__init__(f"Người này không phải cấp ủy viên của {organisation}.", organisation=organisation)


# --- quotas, localities, classes ---------------------------------------------------------------------


class QuotaAlreadyAssigned(Conflict):
    def __init__(self, organisation: str, period: str) -> None:
        super().__init__(
            f"{organisation} đã được giao chỉ tiêu kỳ {period}; thay đổi chỉ tiêu phải ghi lý do (điều chỉnh chỉ tiêu).",
            organisation=organisation,
            period=period,
        )


class QuotaNotAssigned(NotFound):
    def __init__(self, organisation: str, period: str) -> None:
        super().__init__(f"{organisation} chưa được giao chỉ tiêu kỳ {period}.", organisation=organisation, period=period)


class NotAnAncestor(InvalidInput):
    def __init__(self, assigned_by: str, organisation: str, on: date) -> None:
        super().__init__(
            f"{assigned_by} không phải tổ chức cấp trên của {organisation} vào ngày {vn_date(on)}.",
            assigned_by=assigned_by,
            organisation=organisation,
        )


class OwnQuotaUnderAUnitAbove(InvalidInput):
    def __init__(self, organisation: str, on: date) -> None:
        super().__init__(
            f"{organisation} có tổ chức cấp trên vào ngày {vn_date(on)}: chỉ tiêu của {organisation} do cấp trên giao "
            "(chỉ tổ chức không có cấp trên trong hệ thống mới tự ghi chỉ tiêu được giao cho mình).",
            field="assigned_by",
            organisation=organisation,
        )


class LocalityAlreadyExists(Conflict):
    def __init__(self, code: str) -> None:
        super().__init__(f"Mã địa bàn {code} đã được dùng.", locality=code)


class LocalityNotFound(NotFound):
    def __init__(self, code: str) -> None:
        super().__init__(f"Không tìm thấy địa bàn {code}.", locality=code)


class ClassAlreadyRecorded(Conflict):
    def __init__(self, class_id: str) -> None:
        super().__init__(f"Lớp {class_id} đã được ghi nhận.", class_id=class_id)


class CertificateAlreadyIssued(Conflict):
    def __init__(self, index: int) -> None:
        super().__init__(f"Người ở dòng thứ {index + 1} đã được cấp giấy chứng nhận của lớp này.", index=index)


class ClassNotFound(NotFound):
    def __init__(self, class_id: str) -> None:
        super().__init__(f"Không tìm thấy lớp {class_id}.", class_id=class_id)


class DuplicateInList(InvalidInput):
    def __init__(self, what: str, index: int) -> None:
        super().__init__(f"{what} bị lặp lại trong danh sách (dòng thứ {index + 1}).", index=index)


# --- annual quality ratings -------------------------------------------------------------------------


def _rated(subject: RatingSubject, key: str) -> str:
    # A member is named only as "đảng viên này": messages never repeat a citizen id.
    return "đảng viên này" if subject is RatingSubject.MEMBER else f"tổ chức {key}"


class OneRatingSubject(InvalidInput):
    def __init__(self) -> None:
        super().__init__("Ghi đúng một đối tượng xếp loại: số CCCD của đảng viên, hoặc mã tổ chức đảng.")


class PointsOutOfScale(InvalidInput):
    def __init__(self, lowest: int, highest: int) -> None:
        # The points are not repeated: they are a person's personal data.
        super().__init__(f"Điểm đánh giá phải từ {lowest} đến {highest}.", field="points")


class RatedBeforeTheYear(InvalidInput):
    def __init__(self, year: int) -> None:
        super().__init__(
            f"Ngày đánh giá phải từ ngày {vn_date(date(year, 1, 1))} trở đi: không xếp loại một năm chưa bắt đầu.",
            year=year,
            field="rated_on",
        )


class AlreadyRated(Conflict):
    def __init__(self, year: int, subject: RatingSubject, key: str) -> None:
        super().__init__(
            f"Đã có kết quả xếp loại chất lượng năm {year} của {_rated(subject, key)}; muốn sửa thì ghi điều chỉnh "
            "xếp loại kèm lý do.",
            year=year,
        )


class NotRated(NotFound):
    def __init__(self, year: int, subject: RatingSubject, key: str) -> None:
        super().__init__(f"Chưa có kết quả xếp loại chất lượng năm {year} của {_rated(subject, key)} để điều chỉnh.", year=year)
