"""The stable codes of the admission rules (domain.md §4), their Vietnamese messages, and the
`Violation` value every rule returns instead of raising."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class RuleCode(StrEnum):
    """One admission rule. The value is the code recorded in events and reports; it never changes
    once published, even if the rule's wording does."""

    AGE_MIN = "AGE_MIN"
    AGE_MAX = "AGE_MAX"
    EDU_MIN = "EDU_MIN"
    EDU_AREA = "EDU_AREA"
    CLASS_VALID = "CLASS_VALID"
    INTRO_SET = "INTRO_SET"
    INTRO_OFFICIAL = "INTRO_OFFICIAL"
    INTRO_12M = "INTRO_12M"
    YOUTH_UNION = "YOUTH_UNION"
    DOC_12M = "DOC_12M"
    HISTORY_CERTIFIED = "HISTORY_CERTIFIED"
    VERIFY_COMPLETE = "VERIFY_COMPLETE"
    CELL_2_3 = "CELL_2_3"
    CELL_MIN3 = "CELL_MIN3"
    ONE_BY_ONE = "ONE_BY_ONE"
    COMMITTEE_2_3 = "COMMITTEE_2_3"
    AUTHORITY = "AUTHORITY"
    DECISION_60WD = "DECISION_60WD"
    CEREMONY_30WD = "CEREMONY_30WD"
    CEREMONY_HELPER = "CEREMONY_HELPER"
    RECOG_EARLY = "RECOG_EARLY"
    RECOG_DOCS = "RECOG_DOCS"
    RECOG_30WD = "RECOG_30WD"
    RECOG_3_FAILS = "RECOG_3_FAILS"
    PROBATIONARY_NO_VOTE = "PROBATIONARY_NO_VOTE"
    READMIT = "READMIT"
    SOURCE_HELPER = "SOURCE_HELPER"
    ONE_DOSSIER = "ONE_DOSSIER"
    ALREADY_MEMBER = "ALREADY_MEMBER"
    NO_RULE_SET = "NO_RULE_SET"
    DISSOLVE_EMPTY = "DISSOLVE_EMPTY"
    ORG_CODE_UNIQUE = "ORG_CODE_UNIQUE"

    @property
    def message(self) -> str:
        """The message a user sees, in Vietnamese (Unicode NFC)."""
        return MESSAGES[self]


MESSAGES: Mapping[RuleCode, str] = MappingProxyType(
    {
        RuleCode.AGE_MIN: "Chưa đủ 18 tuổi tại thời điểm chi bộ xét",
        RuleCode.AGE_MAX: (
            "Trên 60 tuổi nhưng chưa có văn bản đồng ý của ban thường vụ tỉnh ủy, thành ủy "
            "trước khi ra quyết định kết nạp"
        ),
        RuleCode.EDU_MIN: "Không đủ trình độ học vấn",
        RuleCode.EDU_AREA: (
            "Không đủ điều kiện học vấn áp dụng cho vùng được miễn trừ: phải tốt nghiệp tiểu học; "
            "chỉ biết đọc, biết viết thì phải là già làng, trưởng bản và có văn bản đồng ý "
            "của ban thường vụ tỉnh ủy, thành ủy"
        ),
        RuleCode.CLASS_VALID: "Giấy chứng nhận hết hạn, phải học lại",
        RuleCode.INTRO_SET: (
            "Người giới thiệu không đúng quy định: cần hai đảng viên chính thức, hoặc một đảng "
            "viên chính thức và nghị quyết giới thiệu của Đoàn Thanh niên hoặc Công đoàn"
        ),
        RuleCode.INTRO_OFFICIAL: (
            "Người giới thiệu chưa là đảng viên chính thức tại thời điểm giới thiệu "
            "(đảng viên dự bị không được giới thiệu người vào Đảng)"
        ),
        RuleCode.INTRO_12M: (
            "Người giới thiệu chưa cùng công tác, học tập hoặc sinh sống với người vào Đảng "
            "trong một đơn vị đủ 12 tháng"
        ),
        RuleCode.YOUTH_UNION: (
            "Trong độ tuổi đoàn viên nhưng chưa là đoàn viên Đoàn Thanh niên Cộng sản Hồ Chí Minh"
        ),
        RuleCode.DOC_12M: (
            "Hồ sơ đã quá 12 tháng, phải làm lại giấy giới thiệu và nghị quyết giới thiệu"
        ),
        RuleCode.HISTORY_CERTIFIED: (
            "Lý lịch chưa được cấp ủy cơ sở chứng nhận, chi bộ chưa được xét"
        ),
        RuleCode.VERIFY_COMPLETE: "Chưa có đủ kết quả thẩm tra, xác minh lý lịch",
        RuleCode.CELL_2_3: (
            "Nghị quyết không được thông qua: chưa đủ hai phần ba số đảng viên chính thức "
            "của chi bộ tán thành"
        ),
        RuleCode.CELL_MIN3: "Chi bộ chưa đủ 3 đảng viên chính thức",
        RuleCode.ONE_BY_ONE: "Phải xét và biểu quyết riêng từng người",
        RuleCode.COMMITTEE_2_3: (
            "Nghị quyết không được thông qua: chưa đủ hai phần ba tổng số cấp ủy viên tán thành"
        ),
        RuleCode.AUTHORITY: (
            "Tổ chức đảng không có thẩm quyền quyết định kết nạp đối với chi bộ này"
        ),
        RuleCode.DECISION_60WD: (
            "Quá 60 ngày làm việc kể từ ngày chi bộ có nghị quyết mà chưa có quyết định kết nạp"
        ),
        RuleCode.CEREMONY_30WD: (
            "Quá 30 ngày làm việc kể từ ngày chi bộ nhận quyết định mà chưa tổ chức lễ kết nạp"
        ),
        RuleCode.CEREMONY_HELPER: "Chưa phân công đảng viên chính thức giúp đỡ đảng viên dự bị",
        RuleCode.RECOG_EARLY: (
            "Chưa hết 12 tháng dự bị, chưa được xét công nhận đảng viên chính thức"
        ),
        RuleCode.RECOG_DOCS: (
            "Thiếu hồ sơ xét công nhận đảng viên chính thức: bản tự kiểm điểm, bản nhận xét của "
            "đảng viên giúp đỡ, ý kiến nhận xét của đoàn thể và chi ủy nơi cư trú, giấy chứng "
            "nhận học lớp bồi dưỡng đảng viên mới"
        ),
        RuleCode.RECOG_30WD: (
            "Quá 30 ngày làm việc sau khi hết 12 tháng dự bị mà chi bộ chưa xét công nhận "
            "đảng viên chính thức"
        ),
        RuleCode.RECOG_3_FAILS: (
            "Đã ba lần biểu quyết không đủ hai phần ba tán thành hoặc không tán thành, "
            "phải báo cáo cấp ủy cấp trên xem xét, quyết định"
        ),
        RuleCode.PROBATIONARY_NO_VOTE: "Đảng viên dự bị không có quyền biểu quyết",
        RuleCode.READMIT: "Không đủ điều kiện kết nạp lại vào Đảng",
        RuleCode.SOURCE_HELPER: "Người giúp đỡ quần chúng ưu tú phải là đảng viên chính thức của chi bộ",
        RuleCode.ONE_DOSSIER: "Người này đã có một hồ sơ kết nạp đang mở; mỗi người chỉ có một hồ sơ",
        RuleCode.ALREADY_MEMBER: (
            "Người này đang là đảng viên; đảng viên đã ra khỏi Đảng chỉ được xét theo thủ tục kết nạp lại"
        ),
        RuleCode.NO_RULE_SET: (
            "Ngày này trước mọi bộ quy định mà hệ thống biết (sớm nhất: Quy định 45-QĐ/TW, "
            "áp dụng từ 01/11/2011); không xét được theo quy định nào"
        ),
        RuleCode.DISSOLVE_EMPTY: (
            "Chỉ giải thể tổ chức đảng khi không còn đảng viên, tổ chức trực thuộc, địa bàn "
            "hay hồ sơ kết nạp đang mở"
        ),
        RuleCode.ORG_CODE_UNIQUE: (
            "Mỗi mã tổ chức đảng chỉ dùng cho một tổ chức, không phân biệt chữ hoa, chữ thường"
        ),
    }
)


@dataclass(frozen=True, slots=True)
class Violation:
    """A rule that is not satisfied: its code, the message for the user, and the facts behind it.

    Rules return this (or None when satisfied) and never raise for a rule outcome: the aggregate
    decides whether it rejects a command, flags a dossier or escalates. ``details`` holds only
    counts, dates of the procedure and short English reason keys, never personal data such as a
    birth date, so a violation may be logged.
    """

    code: RuleCode
    message: str
    details: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def of(cls, code: RuleCode, message: str | None = None, **details: Any) -> Violation:
        """A violation of ``code`` with its standard message unless a more precise one is given."""
        return cls(code, message or code.message, MappingProxyType(dict(details)))
