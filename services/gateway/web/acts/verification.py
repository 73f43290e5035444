"""Background verification (thẩm tra lý lịch, domain.md §3): a request per subject (the applicant,
parents, in-laws, spouse, children, and the special templates the history calls for), the
replies, a relative's member file instead of a field check, the grassroots committee's
certification, and the competent committee's decision after a disqualifying finding.

The subjects come from the verification case (`options="subjects"`); the sending and certifying
committee is first shown as the grassroots committee above the dossier's cell."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ketnap.services.dossiers.values import Step
from ketnap.services.gateway.web.forms import Act, Field
from ketnap.services.gateway.web.vietnamese import FINDINGS, OUTCOMES

VERIFYING = frozenset({Step.VERIFICATION})
ORGANISATION_HINT = "Mã tổ chức đảng, ví dụ DU-A."


def _subjects(d: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list((d.get("verification_case") or {}).get("subjects") or [])


def _every(d: Mapping[str, Any], done: Any) -> bool:
    """Every subject is past this act (or the history is already certified)."""
    certified = bool(((d.get("papers") or {}).get("personal_history") or {}).get("certified_on"))
    subjects = _subjects(d)
    return certified or (bool(subjects) and all(done(s) for s in subjects))


def _subject(label: str = "Người được thẩm tra") -> Field:
    return Field("subject_id", label, kind="choice", options="subjects")


ACTS = [
    Act(
        "verification", "send_request", "gui-yeu-cau-tham-tra", "Gửi yêu cầu thẩm tra lý lịch",
        (
            _subject(),
            Field("sent_to", "Gửi tới tổ chức đảng nơi người đó cư trú hoặc làm việc", options="grassroots", hint=ORGANISATION_HINT),
            Field("sent_on", "Ngày gửi", kind="date", today_by_default=True),
            Field("sent_by", "Tổ chức gửi yêu cầu", options="grassroots", hint="Chi bộ hoặc đảng ủy cơ sở. " + ORGANISATION_HINT),
        ),
        lead="Mỗi người được thẩm tra một yêu cầu; người có mẫu thẩm tra riêng (công an, tôn giáo, kết hôn với người nước ngoài, "
             "chủ doanh nghiệp tư nhân) được liệt kê riêng.",
        steps=VERIFYING, road="verification", order=61,
        done=lambda d: _every(d, lambda s: s.get("request") or s.get("reply")),
    ),
    Act(
        "verification", "record_reply", "ket-qua-tham-tra", "Ghi kết quả thẩm tra",
        (
            _subject(),
            Field("replied_on", "Ngày trả lời", kind="date", today_by_default=True),
            Field("responding_organisation", "Tổ chức trả lời", options="grassroots", hint=ORGANISATION_HINT),
            Field("finding", "Kết quả", kind="choice", choices=FINDINGS),
            Field("note", "Nội dung", kind="long_text", required=False, hint="Bắt buộc khi có vấn đề hoặc không đủ điều kiện."),
            Field("correction_reason", "Lý do đính chính", required=False, hint="Chỉ khi sửa một kết quả đã ghi."),
        ),
        lead="Kết quả «không đủ điều kiện» chặn việc chi bộ xét cho đến khi cấp ủy có thẩm quyền quyết định.",
        steps=VERIFYING, road="verification", order=62,
        done=lambda d: _every(d, lambda s: s.get("reply")),
    ),
    Act(
        "verification", "close_by_member_record", "doi-chieu-ho-so-dang-vien", "Đối chiếu hồ sơ đảng viên của người thân",
        (
            _subject("Người thân là đảng viên"),
            Field("checked_on", "Ngày đối chiếu", kind="date", today_by_default=True),
        ),
        lead="Người thân là đảng viên đã khai đầy đủ thì đối chiếu với hồ sơ đảng viên thay cho thẩm tra tại nơi ở.",
        steps=VERIFYING, road="verification", order=63,
        done=lambda d: _every(d, lambda s: s.get("reply") or not s.get("may_use_member_record")),
    ),
    Act(
        "verification", "certify_history", "chung-nhan-ly-lich", "Chứng nhận lý lịch người xin vào Đảng",
        (
            Field("certified_by", "Đảng ủy cơ sở chứng nhận", options="grassroots", hint=ORGANISATION_HINT),
            Field("certified_on", "Ngày chứng nhận", kind="date", today_by_default=True),
        ),
        lead="Chỉ chứng nhận khi mọi người được thẩm tra đều đã có kết quả (VERIFY_COMPLETE).",
        steps=VERIFYING, road="verification", order=64, follows=True,
        done=lambda d: bool(((d.get("papers") or {}).get("personal_history") or {}).get("certified_on")),
    ),
    Act(
        "verification", "lift_block", "quyet-dinh-sau-tham-tra", "Quyết định sau kết quả thẩm tra không đủ điều kiện",
        (
            Field("decided_by", "Cấp ủy quyết định", kind="choice", options="committees"),
            Field("decided_on", "Ngày quyết định", kind="date", today_by_default=True),
            Field("outcome", "Quyết định", kind="choice", choices=OUTCOMES),
        ),
        lead="Khi có kết quả thẩm tra «không đủ điều kiện», chi bộ chưa được xét cho đến khi cấp ủy có thẩm quyền quyết định.",
        steps=VERIFYING, road="verification", order=65, follows=True, confirm=True, submit="Xem lại trước khi ghi",
        done=lambda d: not ((d.get("papers") or {}).get("personal_history") or {}).get("cell_vote_blocked"),
    ),
]
