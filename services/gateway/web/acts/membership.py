"""After the decision, the dossier's own papers (domain.md §2, steps 12–15): the ceremony with the
helper assigned, the new member's history, the new-member class, the recognition papers; and the
provincial standing committee's written agreement some applicants need before the decision."""

from __future__ import annotations

from ketnap.services.dossiers.values import AgreementPurpose, Step
from ketnap.services.gateway.web.acts.preparation import PREPARING
from ketnap.services.gateway.web.forms import Act, Field
from ketnap.services.gateway.web.vietnamese import CHOICES

ON_PROBATION = frozenset({Step.PROBATION})


def _probation(d, key: str) -> bool:
    return bool((d.get("probation") or {}).get(key))


ACTS = [
    Act(
        "dossiers", "record_provincial_agreement", "dong-y-cua-tinh-uy", "Ghi văn bản đồng ý của ban thường vụ tỉnh ủy",
        (
            Field("purpose", "Đồng ý về việc", kind="choice", choices=CHOICES[AgreementPurpose]),
            Field("document_number", "Số văn bản"),
            Field("agreed_on", "Ngày văn bản", kind="date"),
        ),
        lead="Kết nạp người trên 60 tuổi (AGE_MAX), hoặc già làng, trưởng bản chỉ biết đọc, biết viết (EDU_AREA).",
        steps=PREPARING | {Step.READY_FOR_CELL_VOTE, Step.AWAITING_DECISION}, road="history", order=68,
    ),
    Act(
        "dossiers", "record_ceremony", "le-ket-nap", "Ghi lễ kết nạp",
        (
            Field("held_on", "Ngày tổ chức lễ kết nạp", kind="date", today_by_default=True),
            Field("helper_citizen_id", "Số CCCD của đảng viên chính thức được phân công giúp đỡ", kind="citizen_id",
                  hint="Bắt buộc (CEREMONY_HELPER). 12 chữ số."),
            Field("received_decision_on", "Ngày chi bộ nhận quyết định", kind="date", required=False,
                  hint="Chỉ khi ngày này chưa được ghi."),
            Field("upper_committee_agreed_delay", "Cấp ủy cấp trên đã đồng ý tổ chức quá 30 ngày làm việc", kind="yes_no", required=False),
        ),
        lead="Lễ kết nạp từng người; thời kỳ dự bị 12 tháng bắt đầu từ ngày này.",
        steps=frozenset({Step.AWAITING_CEREMONY}), road="ceremony", order=140, rule_fields={"CEREMONY_HELPER": "helper_citizen_id"},
        done=lambda d: _probation(d, "starts_on"),
    ),
    Act(
        "dossiers", "file_member_history", "ly-lich-dang-vien", "Ghi ngày nộp lý lịch đảng viên",
        (Field("filed_on", "Ngày nộp lý lịch đảng viên", kind="date", today_by_default=True),),
        lead="Trong 30 ngày làm việc từ ngày lễ kết nạp.",
        steps=ON_PROBATION, road="probation", order=150,
        done=lambda d: _probation(d, "member_history_filed_on"),
    ),
    Act(
        "dossiers", "record_new_member_class", "lop-dang-vien-moi", "Ghi giấy chứng nhận lớp bồi dưỡng đảng viên mới",
        (
            Field("certificate_number", "Số giấy chứng nhận"),
            Field("issued_on", "Ngày cấp", kind="date"),
            Field("issued_by", "Nơi cấp"),
        ),
        steps=ON_PROBATION, road="probation", order=160,
        done=lambda d: _probation(d, "new_member_class_on"),
    ),
    Act(
        "dossiers", "record_recognition_papers", "ho-so-cong-nhan", "Ghi hồ sơ xét công nhận đảng viên chính thức",
        (
            Field("self_review_on", "Ngày bản tự kiểm điểm (10-KNĐ)", kind="date", required=False),
            Field("helper_review_on", "Ngày nhận xét của đảng viên giúp đỡ (11-KNĐ)", kind="date", required=False),
            Field("opinions_on", "Ngày ý kiến của đoàn thể, chi ủy nơi cư trú (12-KNĐ)", kind="date", required=False),
            Field("completed_on", "Ngày hồ sơ đủ", kind="date", today_by_default=True),
        ),
        lead="Đủ bản tự kiểm điểm, nhận xét, ý kiến và giấy chứng nhận lớp đảng viên mới (RECOG_DOCS), sau 12 tháng dự bị (RECOG_EARLY).",
        steps=ON_PROBATION, road="recognition", order=170,
        done=lambda d: _probation(d, "recognition_papers_completed_on"),
    ),
]
