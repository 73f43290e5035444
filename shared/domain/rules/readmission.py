"""READMIT — kết nạp lại người từng là đảng viên (domain.md §4, READMIT) [V].

A former member may be admitted again only once, at least 36 months after leaving (60 months after a
minor conviction is cleared), with the written agreement of the provincial standing committee;
never someone who left for quitting party activity, asking to leave, causing serious disunity,
corruption or a serious crime. What cannot change (the reason for leaving, an earlier
re-admission) is judged when the dossier is opened; the months and the agreement on the cell
meeting, like AGE_MAX.

A member transferred to another deployment (chuyển sinh hoạt đảng đi nơi khác) did not leave the
party: the registry here knows only that the membership here ended. Such a person is still a party
member (ALREADY_MEMBER), unless the re-admission declares that they left the party there, after the
transfer (`check_former_membership`).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from ketnap.domain.calendar import add_months
from ketnap.domain.rules.codes import RuleCode, Violation
from ketnap.platform.vietnamese import vn_date

MONTHS_OUT = 36
MONTHS_AFTER_CONVICTION_CLEARED = 60


class LeftFor(StrEnum):
    """Why the person left the party (lý do ra khỏi Đảng)."""

    NAME_REMOVED = "name_removed"
    """Xóa tên, for a reason other than those below."""
    EXPELLED = "expelled"
    """Khai trừ, for a reason other than those below."""
    MINOR_CONVICTION = "minor_conviction"
    """Bị kết án về tội ít nghiêm trọng (re-admission 60 months after the conviction is cleared)."""
    QUIT_ACTIVITY = "quit_activity"
    """Bỏ sinh hoạt đảng."""
    ASKED_TO_LEAVE = "asked_to_leave"
    """Tự xin ra khỏi Đảng."""
    DISUNITY = "disunity"
    """Gây mất đoàn kết nội bộ nghiêm trọng."""
    CORRUPTION = "corruption"
    """Tham nhũng."""
    SERIOUS_CRIME = "serious_crime"
    """Vi phạm pháp luật bị truy cứu trách nhiệm hình sự về tội nghiêm trọng trở lên."""


NEVER_READMITTED = frozenset({LeftFor.QUIT_ACTIVITY, LeftFor.ASKED_TO_LEAVE, LeftFor.DISUNITY, LeftFor.CORRUPTION, LeftFor.SERIOUS_CRIME})


def check_former_membership(
    *, left_on: date | None, transferred_out_on: date | None, declared_left_on: date | None
) -> Violation | None:
    """Whether a person may be opened, from what the registry knows of their past membership here
    (`left_on`: they left the party; `transferred_out_on`: they moved to another deployment) and
    what the officer declares (`declared_left_on`: a re-admission, None otherwise):
    - left the party here: only as a re-admission (READMIT);
    - transferred out: still a member, elsewhere (ALREADY_MEMBER); a re-admission must say they
      left the party after the transfer (READMIT otherwise).
    A person the registry never had is whatever the officer declares."""
    if left_on is not None and declared_left_on is None:
        return Violation.of(
            RuleCode.READMIT,
            f"Người này đã từng là đảng viên (ra khỏi Đảng ngày {vn_date(left_on)}): chỉ được kết nạp lại theo thủ tục kết nạp lại",
            reason="former_member", left_on=left_on,
        )
    if transferred_out_on is None:
        return None
    if declared_left_on is None:
        return Violation.of(
            RuleCode.ALREADY_MEMBER,
            f"Người này đã chuyển sinh hoạt đảng đi nơi khác ngày {vn_date(transferred_out_on)} và vẫn là đảng viên; "
            "chỉ xét kết nạp lại khi đã ra khỏi Đảng ở nơi chuyển đến",
            reason="transferred_out", transferred_out_on=transferred_out_on,
        )
    if declared_left_on < transferred_out_on:
        return Violation.of(
            RuleCode.READMIT,
            f"Ngày ra khỏi Đảng khai báo trước ngày chuyển sinh hoạt đảng đi nơi khác ({vn_date(transferred_out_on)})",
            reason="left_before_transfer", transferred_out_on=transferred_out_on,
        )
    return None


def check_readmission_allowed(left_for: LeftFor, *, readmitted_before: bool) -> Violation | None:
    """What no wait can change: the reason for leaving, and a re-admission already had."""
    if left_for in NEVER_READMITTED:
        return Violation.of(
            RuleCode.READMIT,
            "Không xem xét kết nạp lại người đã ra khỏi Đảng vì lý do này "
            "(bỏ sinh hoạt đảng, tự xin ra, gây mất đoàn kết nghiêm trọng, tham nhũng, phạm tội nghiêm trọng)",
            reason="never_for_this_reason", left_for=left_for.value,
        )
    if readmitted_before:
        return Violation.of(RuleCode.READMIT, "Người này đã được kết nạp lại một lần; chỉ được kết nạp lại một lần",
                            reason="readmitted_before")
    return None


def check_readmission_timing(
    left_on: date,
    left_for: LeftFor,
    cell_meeting_on: date,
    *,
    conviction_cleared_on: date | None,
    provincial_agreement_on: date | None,
    agreements_due_by: date,
) -> Violation | None:
    """On the cell meeting: 36 months out (60 after a minor conviction is cleared), and the
    provincial agreement dated no later than `agreements_due_by` (as for AGE_MAX)."""
    if cell_meeting_on < add_months(left_on, MONTHS_OUT):
        return Violation.of(RuleCode.READMIT, "Chưa đủ 36 tháng kể từ khi ra khỏi Đảng", reason="too_soon",
                            left_on=left_on, allowed_from=add_months(left_on, MONTHS_OUT))
    if left_for is LeftFor.MINOR_CONVICTION:
        if conviction_cleared_on is None:
            return Violation.of(RuleCode.READMIT, "Chưa được xóa án tích", reason="conviction_not_cleared")
        allowed_from = add_months(conviction_cleared_on, MONTHS_AFTER_CONVICTION_CLEARED)
        if cell_meeting_on < allowed_from:
            return Violation.of(RuleCode.READMIT, "Chưa đủ 60 tháng kể từ khi được xóa án tích", reason="too_soon_after_conviction",
                                conviction_cleared_on=conviction_cleared_on, allowed_from=allowed_from)
    if provincial_agreement_on is None or provincial_agreement_on > agreements_due_by:
        return Violation.of(RuleCode.READMIT, "Chưa có văn bản đồng ý của ban thường vụ tỉnh ủy, thành ủy về việc kết nạp lại",
                            reason="no_provincial_agreement")
    return None
