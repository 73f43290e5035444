"""The registry's commands as forms on a unit's page (/to-chuc/<code>/<slug>): the same `Act` and
`Field` declarations as a dossier's acts (web/forms.py), with the unit the page is about sent in
`unit_field` (its code as the command's `code`, `parent`, `organisation` or `organiser`).

Who sees a form is the access table's answer for its command; the scope (the unit lies in the
person's subtree) is checked when it is sent, as for the HTTP API.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketnap.services.gateway.web.forms import Act, Field, Group
from ketnap.services.gateway.web.vietnamese import ORGANISATION_KINDS


@dataclass(frozen=True)
class UnitAct:
    act: Act
    unit_field: str
    """The command's field that names the unit the page is about."""
    versioned: bool = False
    """Sends the unit's version as `expected_version`: someone's change in between is a conflict."""


def _act(
    command: str, slug: str, title: str, parts: tuple[Field | Group, ...], lead: str = "", order: int = 100,
    rule_fields: dict[str, str] | None = None,
) -> Act:
    return Act("registry", command, slug, title, parts, lead=lead, about_dossier=False, submit="Ghi vào sổ tổ chức", order=order,
               rule_fields=rule_fields or {})


def _from(label: str = "Ngày có hiệu lực") -> Field:
    return Field("effective_from", label, kind="date", today_by_default=True)


def _decision(required: bool = False) -> Field:
    return Field("decision_number", "Số quyết định", hint="Ví dụ 25-QĐ/HU.", required=required)


KINDS = {kind: words for kind, words in ORGANISATION_KINDS.items() if kind != "central"}
MEMBER_KINDS = {"official": "Đảng viên chính thức", "probationary": "Đảng viên dự bị"}
CLASS_KINDS = {"awareness": "Lớp bồi dưỡng nhận thức về Đảng", "new_member": "Lớp bồi dưỡng đảng viên mới"}


def _attendee(n: int, optional: bool) -> Group:
    return Group(f"Học viên {n + 1}", (
        Field(f"attendees.{n}.full_name", "Họ và tên"), Field(f"attendees.{n}.citizen_id", "Số CCCD", kind="citizen_id"),
    ), optional=optional)


UNIT_ACTS: list[UnitAct] = [
    UnitAct(_act("establish_organisation", "thanh-lap-to-chuc", "Thành lập tổ chức đảng trực thuộc", (
        Field("code", "Mã tổ chức", hint="Mã dùng trong hệ thống, ví dụ CB-05."), Field("name", "Tên tổ chức"),
        Field("kind", "Loại tổ chức", kind="choice", choices=KINDS), _from(), _decision(),
    ), order=10, rule_fields={"ORG_CODE_UNIQUE": "code"}), "parent"),
    UnitAct(_act("rename_organisation", "doi-ten", "Đổi tên tổ chức", (Field("name", "Tên mới"), _from(), _decision()), order=20),
            "code", versioned=True),
    UnitAct(_act("reclassify_organisation", "doi-loai", "Đổi loại tổ chức", (
        Field("kind", "Loại tổ chức mới", kind="choice", choices=KINDS), _from(), _decision(),
    ), order=25), "code", versioned=True),
    UnitAct(_act("move_organisation", "chuyen-truc-thuoc", "Chuyển tổ chức sang trực thuộc tổ chức khác", (
        Field("parent", "Mã tổ chức cấp trên mới"), _from(), _decision(),
    ), order=30), "code", versioned=True),
    UnitAct(_act("merge_organisation", "sap-nhap", "Sáp nhập vào tổ chức khác", (
        Field("into", "Mã tổ chức nhận sáp nhập"), _from(), _decision(),
    ), lead="Đảng viên, tổ chức trực thuộc và địa bàn chuyển sang tổ chức nhận sáp nhập từ ngày có hiệu lực.", order=40),
        "code", versioned=True),
    UnitAct(_act("dissolve_organisation", "giai-the", "Giải thể tổ chức", (
        _from(), _decision(), Field("reason", "Lý do", kind="long_text", required=False),
    ), lead="Chỉ giải thể được tổ chức không còn đảng viên và tổ chức trực thuộc.", order=50), "code", versioned=True),
    UnitAct(_act("grant_admission_authority", "giao-tham-quyen-ket-nap", "Ủy quyền quyết định kết nạp đảng viên", (
        _decision(required=True), Field("decision_date", "Ngày quyết định", kind="date", today_by_default=True), _from(),
    ), order=60), "code", versioned=True),
    UnitAct(_act("revoke_admission_authority", "thu-hoi-tham-quyen-ket-nap", "Thu hồi ủy quyền quyết định kết nạp", (
        _from(), _decision(),
    ), order=70), "code", versioned=True),
    UnitAct(_act("appoint_committee_member", "bo-nhiem-cap-uy-vien", "Ghi cấp ủy viên", (
        Field("citizen_id", "Số CCCD của đảng viên", kind="citizen_id"),
        Field("role", "Chức vụ trong cấp ủy", hint="Ví dụ bí thư, phó bí thư, ủy viên.", required=False), _from(), _decision(),
    ), order=80), "organisation"),
    UnitAct(_act("end_committee_membership", "thoi-cap-uy-vien", "Thôi cấp ủy viên", (
        Field("citizen_id", "Số CCCD của cấp ủy viên", kind="citizen_id"), _from("Ngày thôi"),
        Field("reason", "Lý do", kind="long_text", required=False),
    ), order=85), "organisation"),
    UnitAct(_act("register_member", "dang-ky-dang-vien", "Đăng ký đảng viên vào danh sách", (
        Field("full_name", "Họ và tên"), Field("citizen_id", "Số CCCD", kind="citizen_id"),
        Field("kind", "Loại đảng viên", kind="choice", choices=MEMBER_KINDS), _from("Ngày bắt đầu sinh hoạt"),
        Field("admitted_on", "Ngày vào Đảng", kind="date", required=False),
        Field("official_since", "Ngày chính thức", kind="date", required=False),
    ), lead="Đảng viên chuyển đến hoặc bổ sung sổ; người mới kết nạp được ghi từ quyết định kết nạp.", order=90), "organisation"),
    UnitAct(_act("register_locality", "dang-ky-dia-ban", "Ghi địa bàn dân cư", (
        Field("code", "Mã địa bàn"), Field("name", "Tên địa bàn"), Field("kind", "Loại địa bàn", hint="Thôn, tổ dân phố, ấp, bản..."),
        Field("covered_by", "Mã chi bộ phụ trách", hint="Để trống nếu chưa có chi bộ.", required=False), _from(),
    ), order=100), "organisation"),
    UnitAct(_act("assign_quota", "giao-chi-tieu", "Giao chỉ tiêu kết nạp đảng viên", (
        Field("period", "Năm hoặc nhiệm kỳ", hint="Ví dụ 2025 hoặc 2020-2025."), Field("quantity", "Số đảng viên", kind="number"),
        Field("assigned_by", "Mã tổ chức giao chỉ tiêu"), Field("decision_date", "Ngày quyết định", kind="date", today_by_default=True),
        _decision(),
    ), order=110), "organisation"),
    UnitAct(_act("change_locality_coverage", "phu-trach-dia-ban", "Chi bộ nhận phụ trách một địa bàn", (
        Field("code", "Mã địa bàn"), _from(),
    ), lead="Địa bàn chuyển sang chi bộ này phụ trách từ ngày có hiệu lực.", order=105), "covered_by"),
    UnitAct(_act("change_quota", "dieu-chinh-chi-tieu", "Điều chỉnh chỉ tiêu kết nạp", (
        Field("period", "Năm hoặc nhiệm kỳ", hint="Ví dụ 2025 hoặc 2020-2025."), Field("quantity", "Số đảng viên mới", kind="number"),
        Field("reason", "Lý do điều chỉnh", kind="long_text"),
        Field("decision_date", "Ngày quyết định", kind="date", today_by_default=True), _decision(),
    ), order=115), "organisation"),
    UnitAct(_act("record_class", "ghi-lop-boi-duong", "Ghi lớp bồi dưỡng", (
        Field("class_id", "Mã lớp", hint="Ví dụ NT-2025-03."), Field("kind", "Loại lớp", kind="choice", choices=CLASS_KINDS),
        Field("title", "Tên lớp", required=False),
        Field("start_date", "Ngày khai giảng", kind="date"), Field("end_date", "Ngày bế giảng", kind="date"),
        _attendee(0, False), _attendee(1, True), _attendee(2, True),
    ), lead="Ba học viên mỗi lần ghi trên trang này; danh sách dài hơn nhập từ bảng tính.", order=120), "organiser"),
]

BY_SLUG = {u.act.slug: u for u in UNIT_ACTS}
