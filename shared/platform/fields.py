"""The API's fields as a person names them in Vietnamese, for the messages they read: a refusal says
«ngày hiệu lực», never `effective_from` (the field's own name stays in `details.problems[].field`,
for programs). A field not listed here is named as it was sent (an unknown field is the sender's own)."""

from __future__ import annotations

from collections.abc import Sequence

FIELD_LABELS: dict[str, str] = {
    "absent": "người vắng mặt", "acknowledged": "đã xác nhận", "acquainted_since": "ngày bắt đầu cùng công tác",
    "actor": "người thực hiện", "admitted": "đã kết nạp", "admitted_on": "ngày kết nạp", "adult_with_full_capacity": "đủ năng lực hành vi dân sự",
    "after": "vị trí bắt đầu", "agree": "số phiếu tán thành", "agreed_by": "cấp ủy đồng ý", "agreed_on": "ngày đồng ý",
    "alarm_id": "số cảnh báo", "applicant": "người vào Đảng", "appraised_on": "ngày thẩm định", "area_exemption": "miễn trừ theo địa bàn",
    "as_of": "ngày báo cáo", "as_recorded": "thời điểm ghi nhận", "assigned_by": "tổ chức giao chỉ tiêu", "attendees": "học viên",
    "ballots": "phiếu biểu quyết", "birth_date": "ngày sinh", "birth_year": "năm sinh", "body": "nội dung lệnh",
    "by_working_days": "tính theo ngày làm việc", "cell": "chi bộ", "cell_meeting_on": "ngày chi bộ họp xét",
    "ceremony_on": "ngày lễ kết nạp", "certificate_number": "số giấy chứng nhận", "certificates": "giấy chứng nhận",
    "certified_by": "cấp ủy chứng nhận lý lịch", "certified_on": "ngày chứng nhận lý lịch", "checked_on": "ngày kiểm tra",
    "children": "tổ chức trực thuộc", "choice": "lựa chọn", "citizen_id": "số CCCD", "class_id": "mã lớp", "code": "mã tổ chức",
    "codes": "các mã tổ chức", "command": "lệnh", "completed_on": "ngày hoàn thành", "consumer": "bộ xử lý", "content": "nội dung tệp",
    "conviction_cleared_on": "ngày được xóa án tích", "corrected_on": "ngày điều chỉnh", "correction_reason": "lý do điều chỉnh",
    "covered_by": "chi bộ phụ trách", "dated": "ngày văn bản", "decided_by": "cấp ủy quyết định", "decided_on": "ngày quyết định",
    "decision_date": "ngày quyết định", "decision_number": "số quyết định", "declared_on": "ngày khai lý lịch",
    "descending": "sắp xếp giảm dần", "disagree": "số phiếu không tán thành", "display_name": "tên hiển thị", "document_number": "số văn bản",
    "dossier_id": "hồ sơ", "dossier_ids": "các hồ sơ", "dossiers_taken_over": "hồ sơ tiếp nhận", "dry_run": "chỉ kiểm tra",
    "effective_from": "ngày hiệu lực", "encoding": "cách ghi nội dung", "end_date": "ngày kết thúc", "ethnicity": "dân tộc",
    "event": "sự kiện", "event_id": "mã sự kiện", "expected_version": "phiên bản đã xem", "facts": "dữ kiện", "family_planning_case": "vi phạm chính sách dân số",
    "file_name": "tên tệp", "filed_on": "ngày nộp", "finding": "kết luận", "first_admitted_on": "ngày vào Đảng lần đầu",
    "foreign_national": "người nước ngoài", "full_name": "họ và tên", "fully_declared": "đã khai đầy đủ", "gender": "giới tính",
    "general_education": "trình độ phổ thông", "given_on": "ngày cho ý kiến", "held_on": "ngày tổ chức", "helper_citizen_id": "số CCCD người giúp đỡ",
    "helper_review_on": "ngày người giúp đỡ nhận xét", "idempotency_key": "khóa lệnh", "include_acknowledged": "gồm cả cảnh báo đã xác nhận",
    "include_disabled": "gồm cả tài khoản đã khóa", "into": "tổ chức sáp nhập vào", "introduced_on": "ngày giới thiệu", "introducers": "người giới thiệu",
    "is_party_member": "là đảng viên", "issued_by": "nơi cấp", "issued_on": "ngày cấp", "kind": "loại", "label": "nhãn",
    "left_for": "nơi chuyển đến", "left_on": "ngày ra khỏi Đảng", "limit": "giới hạn", "localities": "địa bàn", "login": "tên đăng nhập",
    "meeting_on": "ngày họp", "member_citizen_id": "số CCCD đảng viên", "members": "đảng viên", "name": "tên", "names": "kèm họ tên",
    "note": "ghi chú", "number": "số", "occupation": "nghề nghiệp", "official_since": "ngày chính thức", "on": "ngày",
    "opened_on": "ngày vào danh sách cảm tình", "opinion": "ý kiến", "opinions": "ý kiến nhận xét", "opinions_on": "ngày nhận xét",
    "organisation": "tổ chức đảng", "organiser": "tổ chức mở lớp", "outcome": "kết quả", "overdue": "quá hạn", "overdue_only": "chỉ việc quá hạn",
    "page": "trang", "page_size": "số dòng một trang", "parent": "tổ chức cấp trên", "parts": "các phần chia tách",
    "party_card_number": "số thẻ đảng viên", "password_hash": "mật khẩu", "period": "kỳ chỉ tiêu", "points": "số điểm",
    "police_officer": "công an", "position": "vị trí", "previous_hash": "mã băm trước", "private_business_owner": "chủ doanh nghiệp tư nhân",
    "professional_qualification": "trình độ chuyên môn", "purpose": "mục đích", "qualifications": "trình độ", "quantity": "số lượng",
    "rated_on": "ngày xếp loại", "readmission": "kết nạp lại", "readmitted_before": "đã được kết nạp lại", "ready_on": "ngày sẵn sàng xét",
    "reason": "lý do", "received_decision_on": "ngày nhận quyết định", "received_hash": "mã băm nhận được", "received_on": "ngày nhận",
    "recorded_on": "ngày ghi", "relation": "quan hệ", "relatives": "người thân", "religion": "tôn giáo", "replacement": "người thay thế",
    "replay": "sự kiện đã xét", "replied_on": "ngày trả lời", "residence_or_work": "nơi ở, nơi làm việc", "responding_organisation": "tổ chức trả lời",
    "role": "vai trò", "rule": "mã quy định", "scope": "phạm vi", "self_review_on": "ngày tự kiểm điểm", "sent_by": "nơi gửi",
    "sent_on": "ngày gửi", "sent_to": "nơi nhận", "service": "dịch vụ", "sort": "sắp xếp", "source": "nguồn", "start_date": "ngày bắt đầu",
    "status": "tình trạng", "step": "bước", "steps": "các bước", "subject_id": "người được thẩm tra", "submitted_on": "ngày nộp",
    "summary": "tóm tắt", "term": "nhiệm kỳ", "title": "tên lớp", "to_cell": "chi bộ chuyển đến", "to_organisation": "tổ chức chuyển đến",
    "token_id": "mã truy cập", "transfer": "chuyển sinh hoạt", "union": "đoàn thể", "union_resolution": "nghị quyết giới thiệu của đoàn thể",
    "upper_committee_agreed_delay": "cấp ủy cấp trên đồng ý kéo dài", "valid_days": "số ngày hiệu lực", "village_elder_or_head": "già làng, trưởng thôn",
    "working_days": "số ngày làm việc", "year": "năm", "years": "số năm", "youth_union_exists": "có tổ chức đoàn",
    "youth_union_member": "đoàn viên",
}


def field_label(location: Sequence[str | int]) -> str:
    """The field at pydantic's `loc` as a person names it: «ngày hiệu lực»; a field inside a list
    says which of its items («mã tổ chức» ở mục 2 của «các phần chia tách»)."""
    names = [str(p) for p in location if isinstance(p, str)]
    if not names:
        return "thân lệnh"
    own = f"«{FIELD_LABELS.get(names[-1], names[-1])}»"
    items = [p for p in location if isinstance(p, int)]
    if items and len(names) > 1:
        return f"{own} ở mục {items[-1] + 1} của «{FIELD_LABELS.get(names[-2], names[-2])}»"
    if items:
        return f"{own} ở mục {items[-1] + 1}"
    return own


def labelled(names: Sequence[str]) -> str:
    """Top-level fields by their Vietnamese names: «người thực hiện», «phạm vi»."""
    return ", ".join(field_label([name]) for name in names)
