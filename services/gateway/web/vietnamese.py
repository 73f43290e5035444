"""Everything the web application shows a person, in Vietnamese, in one place: dates typed and
shown as dd/mm/yyyy, numbers with Vietnamese separators, and the words for roles, steps, statuses,
rules, deadlines and events. No page writes an internal code (`official`, `cell_secretary`,
`awareness`) on screen: it passes it through one of these.

Templates use them as filters (`{{ d | ngay }}`, `{{ n | so }}`, `{{ role | vai_tro }}`, ...):
see `FILTERS`.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ketnap.domain.labels import EVENT_LABELS
from ketnap.domain.rules import RuleCode
from ketnap.domain.rules.readmission import LeftFor
from ketnap.domain.rules.rule_sets import RULE_SETS
from ketnap.platform.vietnamese import vn_date
from ketnap.services.dossiers.values import (
    AgreementPurpose,
    AreaExemption,
    Gender,
    GeneralEducation,
    OpinionSource,
    ProfessionalQualification,
    Relation,
    Step,
    UnionKind,
)
from ketnap.services.gateway.access import ROLE_TITLES, Role

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
DATE_FORMAT_HINT = "ngày/tháng/năm, ví dụ 05/09/2025"
_TYPED_DATE = re.compile(r"^\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})\s*$")


# --- dates and numbers -----------------------------------------------------------------------------


def as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(VIETNAM).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    text = str(value)
    try:
        return datetime.fromisoformat(text).astimezone(VIETNAM).date() if "T" in text else date.fromisoformat(text[:10])
    except ValueError:
        return None


def shown_date(value: Any) -> str:
    """dd/mm/yyyy; an empty string when there is no date."""
    day = as_date(value)
    return vn_date(day) if day else ""


def shown_moment(value: Any) -> str:
    """A moment as Vietnamese time: "14:05 ngày 05/09/2025"."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, datetime):
        return ""
    local = value.astimezone(VIETNAM) if value.tzinfo else value
    return f"{local:%H:%M} ngày {vn_date(local)}"


class NotADate(ValueError):
    """A typed date that is not one; the message says how to write it."""


def typed_date(text: str) -> date:
    """A date as people type it: dd/mm/yyyy (also with . or - between, and one-digit day or month)."""
    found = _TYPED_DATE.match(text or "")
    if not found:
        raise NotADate(f"Ngày phải viết dạng {DATE_FORMAT_HINT}.")
    day, month, year = (int(g) for g in found.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise NotADate(f"Không có ngày {day:02d}/{month:02d}/{year:04d} trong lịch.") from None


def number(value: Any) -> str:
    """1.234.567: Vietnamese groups thousands with a dot."""
    if value is None or value == "":
        return ""
    return f"{int(value):,}".replace(",", ".")


def percent(value: Any, decimals: int = 1) -> str:
    """12,5 %: Vietnamese writes the decimal mark as a comma."""
    if value is None or value == "":
        return ""
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    whole, _, fraction = f"{rounded:f}".partition(".")
    return f"{number(whole)}{',' + fraction if fraction else ''} %"


def working_days(value: Any) -> str:
    count = int(value)
    return f"{number(count)} ngày làm việc"


# --- words for codes -------------------------------------------------------------------------------

STEP_TITLES: dict[str, str] = {
    Step.SOURCE_LIST: "Trong danh sách cảm tình Đảng",
    Step.APPLICATION: "Đã nộp đơn xin vào Đảng",
    Step.VERIFICATION: "Đang thẩm tra lý lịch",
    Step.READY_FOR_CELL_VOTE: "Chờ chi bộ xét",
    Step.AWAITING_DECISION: "Chờ quyết định kết nạp",
    Step.AWAITING_CEREMONY: "Chờ lễ kết nạp",
    Step.PROBATION: "Đảng viên dự bị",
    Step.RECOGNITION: "Chờ công nhận chính thức",
    Step.OFFICIAL: "Đảng viên chính thức",
    Step.NAME_REMOVED: "Đã xóa tên",
    Step.WITHDRAWN: "Đã rút hồ sơ",
    Step.REJECTED: "Đã bị bác",
    Step.REFUSED: "Không được kết nạp",
}
"""Short names of the steps for lists and filters (the dossiers service's `Step.label` is the sentence form)."""

ORGANISATION_KINDS = {
    "cell": "Chi bộ",
    "grassroots_cell": "Chi bộ cơ sở",
    "partial_committee": "Đảng bộ bộ phận",
    "grassroots_committee": "Đảng bộ cơ sở",
    "upper_committee": "Đảng bộ cấp trên cơ sở",
    "province": "Đảng bộ tỉnh",
    "central": "Trung ương",
}

CHOICES: dict[type, dict[str, str]] = {
    Gender: {Gender.MALE: "Nam", Gender.FEMALE: "Nữ"},
    GeneralEducation: {
        GeneralEducation.NONE: "Chưa biết chữ",
        GeneralEducation.LITERATE: "Biết đọc, biết viết",
        GeneralEducation.PRIMARY: "Tốt nghiệp tiểu học",
        GeneralEducation.LOWER_SECONDARY_EQUIVALENT: "Tương đương tốt nghiệp trung học cơ sở",
        GeneralEducation.LOWER_SECONDARY: "Tốt nghiệp trung học cơ sở",
        GeneralEducation.UPPER_SECONDARY: "Tốt nghiệp trung học phổ thông",
    },
    ProfessionalQualification: {
        ProfessionalQualification.NONE: "Chưa qua đào tạo",
        ProfessionalQualification.ELEMENTARY: "Sơ cấp",
        ProfessionalQualification.INTERMEDIATE: "Trung cấp",
        ProfessionalQualification.COLLEGE: "Cao đẳng",
        ProfessionalQualification.UNIVERSITY: "Đại học",
        ProfessionalQualification.MASTER: "Thạc sĩ",
        ProfessionalQualification.DOCTORATE: "Tiến sĩ",
    },
    AreaExemption: {
        AreaExemption.MOUNTAIN: "Miền núi, vùng cao",
        AreaExemption.BORDER: "Biên giới",
        AreaExemption.ISLAND: "Hải đảo",
        AreaExemption.ETHNIC_MINORITY: "Vùng đồng bào dân tộc thiểu số",
        AreaExemption.ESPECIALLY_DIFFICULT: "Vùng đặc biệt khó khăn",
        AreaExemption.OFFSHORE_FISHERMAN: "Ngư dân thường xuyên làm việc trên biển",
    },
    Relation: {
        Relation.FATHER: "Cha đẻ",
        Relation.MOTHER: "Mẹ đẻ",
        Relation.FATHER_IN_LAW: "Cha vợ (chồng)",
        Relation.MOTHER_IN_LAW: "Mẹ vợ (chồng)",
        Relation.GUARDIAN: "Người nuôi dưỡng",
        Relation.SPOUSE: "Vợ (chồng)",
        Relation.CHILD: "Con",
    },
    UnionKind: {UnionKind.YOUTH_UNION: "Đoàn Thanh niên Cộng sản Hồ Chí Minh", UnionKind.TRADE_UNION: "Công đoàn cơ sở"},
    AgreementPurpose: {
        AgreementPurpose.OVER_60: "Kết nạp người trên 60 tuổi",
        AgreementPurpose.LITERACY_ONLY: "Già làng, trưởng bản chỉ biết đọc, biết viết",
        AgreementPurpose.READMISSION: "Kết nạp lại người từng là đảng viên",
    },
    OpinionSource: {
        OpinionSource.WORKPLACE_MASS_ORGANISATIONS: "Đoàn thể nơi làm việc",
        OpinionSource.RESIDENCE_CELL: "Chi ủy (chi bộ) nơi cư trú",
    },
    LeftFor: {
        LeftFor.NAME_REMOVED: "Bị xóa tên",
        LeftFor.EXPELLED: "Bị khai trừ",
        LeftFor.MINOR_CONVICTION: "Bị kết án về tội ít nghiêm trọng",
        LeftFor.QUIT_ACTIVITY: "Bỏ sinh hoạt đảng",
        LeftFor.ASKED_TO_LEAVE: "Tự xin ra khỏi Đảng",
        LeftFor.DISUNITY: "Gây mất đoàn kết nội bộ nghiêm trọng",
        LeftFor.CORRUPTION: "Tham nhũng",
        LeftFor.SERIOUS_CRIME: "Bị truy cứu trách nhiệm hình sự về tội nghiêm trọng trở lên",
    },
}
"""The Vietnamese words for the values of each closed vocabulary a form offers."""


DECISION_TITLES = {
    "introductions": "Giới thiệu người vào Đảng",
    "cell_vote": "Chuyển hồ sơ để chi bộ xét",
    "cell_resolution": "Nghị quyết chi bộ",
    "admission_decision": "Quyết định kết nạp",
    "ceremony": "Lễ kết nạp",
    "recognition_papers": "Hồ sơ xét công nhận chính thức",
    "recognition_decision": "Quyết định công nhận chính thức",
}
"""The acts a dossier records the rule set of (`rule_sets` of `dossiers.dossier`)."""


def rule_set_title(rule_set_id: Any) -> str:
    """The documents a rule set follows, e.g. "Quy định 24-QĐ/TW ngày 30/7/2021; ..."."""
    found = next((r for r in RULE_SETS if r.id == str(rule_set_id)), None)
    return found.basis if found else "Bộ quy định chưa rõ"


def decision_title(decision: Any) -> str:
    return DECISION_TITLES.get(str(decision), "Bước của hồ sơ")


def role_title(role: Any) -> str:
    try:
        return ROLE_TITLES[Role(role)]
    except ValueError:
        return "Vai trò chưa rõ"


def step_title(step: Any) -> str:
    try:
        return STEP_TITLES[Step(step)]
    except ValueError:
        return "Bước chưa rõ"


def kind_title(kind: Any) -> str:
    return ORGANISATION_KINDS.get(str(kind), "Tổ chức đảng")


def rule_message(code: Any) -> str:
    """A rule's Vietnamese statement, e.g. for EDU_MIN "Không đủ trình độ học vấn"."""
    try:
        return RuleCode(str(code)).message
    except ValueError:
        return "Quy định của Điều lệ Đảng"


def event_title(event_type: Any) -> str:
    return EVENT_LABELS.get(str(event_type), "Cập nhật hồ sơ")


RELATIONS = {
    "applicant": "Người xin vào Đảng", "father": "Cha đẻ", "mother": "Mẹ đẻ", "father_in_law": "Cha vợ (chồng)",
    "mother_in_law": "Mẹ vợ (chồng)", "guardian": "Người nuôi dưỡng", "spouse": "Vợ (chồng)", "child": "Con",
}
TEMPLATES = {
    "standard": "", "police": "mẫu thẩm tra riêng: cán bộ, chiến sĩ công an", "religious": "mẫu thẩm tra riêng: người theo tôn giáo",
    "married_to_foreigner": "mẫu thẩm tra riêng: kết hôn với người nước ngoài",
    "private_business_owner": "mẫu thẩm tra riêng: chủ doanh nghiệp tư nhân",
    "family_planning": "mẫu thẩm tra riêng: vi phạm chính sách dân số",
}
SUBJECT_STATES = {
    "not_requested": "chưa gửi yêu cầu", "requested": "đã gửi yêu cầu, chờ trả lời", "replied": "đã có kết quả",
}
FINDINGS = {"clear": "Không có vấn đề", "concern": "Có vấn đề cần lưu ý", "disqualifying": "Không đủ điều kiện"}
OUTCOMES = {"continue": "Tiếp tục xét kết nạp", "reject": "Không tiếp tục (bác hồ sơ)"}
VOTE_OUTCOMES = {"adopted": "được thông qua", "not_adopted": "không được thông qua", "rejected": "bị bác (đủ 2/3 không tán thành)"}


def subject_title(subject: Any) -> str:
    """A verification subject as a person reads it: "Cha đẻ (mẫu thẩm tra riêng: ...): chưa gửi yêu cầu"."""
    relation = RELATIONS.get(str(subject.get("relation")), "Người thân")
    template = TEMPLATES.get(str(subject.get("template")), "mẫu thẩm tra riêng")
    opinion = " — ý kiến cấp trên" if str(subject.get("subject_id", "")).endswith(":opinion") else ""
    state = SUBJECT_STATES.get(str(subject.get("state")), "")
    return f"{relation}{f' ({template})' if template else ''}{opinion}{f': {state}' if state else ''}"


def choice_title(vocabulary: type, value: Any) -> str:
    return CHOICES.get(vocabulary, {}).get(value, str(value))


FILTERS = {
    "ngay": shown_date,
    "thoi_diem": shown_moment,
    "so": number,
    "phan_tram": percent,
    "ngay_lam_viec": working_days,
    "vai_tro": role_title,
    "buoc": step_title,
    "loai_to_chuc": kind_title,
    "quy_dinh": rule_message,
    "su_kien": event_title,
    "bo_quy_dinh": rule_set_title,
    "quyet_dinh": decision_title,
    "ket_qua_bieu_quyet": lambda outcome: VOTE_OUTCOMES.get(str(outcome), "đã ghi"),
    "ket_qua_tham_tra": lambda finding: FINDINGS.get(str(finding), "Đã có kết quả"),
    "nguoi_tham_tra": lambda subject: subject_title({**subject, "state": None}),
}
"""Jinja filters, named in Vietnamese as the templates read."""
