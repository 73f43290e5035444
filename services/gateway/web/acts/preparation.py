"""The preparation of a dossier (chuẩn bị hồ sơ), steps 1–7 of domain.md §2: opening it with a
helper, the class certificate, the application letter, the personal history, the introductions,
the opinions, and sending it to the cell's vote."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ketnap.domain.rules.readmission import LeftFor
from ketnap.services.dossiers.values import (
    AreaExemption,
    Gender,
    GeneralEducation,
    OpinionSource,
    ProfessionalQualification,
    Relation,
    Step,
    UnionKind,
)
from ketnap.services.gateway.web.forms import Act, Field, Group, Part
from ketnap.services.gateway.web.vietnamese import CHOICES, shown_date

PREPARING = frozenset({Step.SOURCE_LIST, Step.APPLICATION, Step.VERIFICATION})


CHILDREN = 12
"""Children the form can declare, one row each, shown as the person adds them ("Thêm con");
the history itself may hold more relatives (MAX_RELATIVES)."""
KEEP_HINT = "Chọn người đã khai trước đây để giữ kết quả thẩm tra của người đó; để trống nếu là người mới khai."


def _relative(index: int, relation: Relation, legend: str, *, corrected: bool, nth: int = 0) -> Group:
    """One relative's group. A child declares whether they are an adult with full legal capacity
    (the service requires it of a child only); a correction keeps the relative declared before
    (`subject_id`, chosen among those verification knows: `nth` of that relation)."""
    at = f"relatives.{index}"
    kept = (Field(f"{at}.subject_id", "Người thân đã khai", kind="choice", options=f"declared:{relation.value}:{nth}", required=False,
                  hint=KEEP_HINT),) if corrected else ()
    capacity = (Field(f"{at}.adult_with_full_capacity", "Đã thành niên và có đủ năng lực hành vi dân sự", kind="yes_no",
                      required=False),) if relation == Relation.CHILD else ()
    child = relation == Relation.CHILD
    return Group(
        legend,
        (
            Field(f"{at}.relation", "Quan hệ", kind="fixed", fixed=relation.value),
            *kept,
            Field(f"{at}.responding_organisation", "Tổ chức trả lời thẩm tra", kind="kept", required=False),
            Field(f"{at}.full_name", "Họ và tên"),
            Field(f"{at}.birth_year", "Năm sinh", kind="number", hint="Ví dụ: 1968."),
            Field(f"{at}.residence_or_work", "Nơi ở hoặc nơi làm việc hiện nay"),
            Field(f"{at}.foreign_national", "Có quốc tịch nước ngoài", kind="yes_no", required=False,
                  hint="Người vào Đảng có vợ (chồng) là người nước ngoài được thẩm tra theo mẫu riêng."
                  if relation == Relation.SPOUSE else ""),
            Field(f"{at}.is_party_member", "Là đảng viên", kind="yes_no", required=False),
            Field(f"{at}.member_citizen_id", "Số CCCD của người thân là đảng viên", kind="citizen_id", required=False,
                  hint="Chỉ ghi khi người thân là đảng viên: để đối chiếu với hồ sơ đảng viên. 12 chữ số."),
            Field(f"{at}.fully_declared", "Đã khai đầy đủ trong lý lịch đảng viên của mình", kind="yes_no", required=False,
                  hint="Người thân là đảng viên đã khai đầy đủ: có thể thẩm tra bằng đối chiếu hồ sơ đảng viên thay cho đi xác minh."),
            *capacity,
        ),
        optional=True,
        hint="Để trống cả nhóm nếu không có" + (" (cả ô «Người thân đã khai» nếu bỏ người này khỏi lý lịch)." if corrected else "."),
        rows="con" if child else "", add="Thêm con" if child and nth == 0 else "",
    )


RELATIVES = (
    (Relation.FATHER, "Cha đẻ"), (Relation.MOTHER, "Mẹ đẻ"), (Relation.GUARDIAN, "Người nuôi dưỡng"),
    (Relation.GUARDIAN, "Người nuôi dưỡng thứ hai"),
    (Relation.SPOUSE, "Vợ (chồng)"), (Relation.FATHER_IN_LAW, "Cha vợ (chồng)"), (Relation.MOTHER_IN_LAW, "Mẹ vợ (chồng)"),
)
"""The relatives of the form's own groups, in its order: one of each (SINGLE_RELATIONS), and up to
two guardians (a person may have been raised by two, as the API accepts), so a correction made here
keeps every relative the history holds."""


def _history(*, corrected: bool) -> tuple[Part, ...]:
    """The personal history as Mẫu 2-KNĐ asks it: the applicant, the qualifications, the family.
    A correction (đính chính) sends the whole history again as corrected."""
    singles = [_relative(i, relation, legend, corrected=corrected) for i, (relation, legend) in enumerate(RELATIVES)]
    children = [
        _relative(len(RELATIVES) + n, Relation.CHILD, f"Con thứ {n + 1}", corrected=corrected, nth=n) for n in range(CHILDREN)
    ]
    return (
        Group("Người xin vào Đảng", (
            Field("applicant.birth_date", "Ngày sinh", kind="date"),
            Field("applicant.gender", "Giới tính", kind="choice", choices=CHOICES[Gender]),
            Field("applicant.ethnicity", "Dân tộc"),
            Field("applicant.religion", "Tôn giáo", hint="Ghi «Không» nếu không theo tôn giáo nào."),
            Field("applicant.occupation", "Nghề nghiệp"),
            Field("applicant.police_officer", "Là cán bộ, chiến sĩ công an", kind="yes_no", required=False),
            Field("applicant.private_business_owner", "Là chủ doanh nghiệp tư nhân", kind="yes_no", required=False),
            Field("family_planning_case", "Có vi phạm chính sách dân số, kế hoạch hóa gia đình", kind="yes_no", required=False,
                  hint="Được thẩm tra theo mẫu riêng khi quy định áp dụng (trước ngày 20/03/2025)."),
        )),
        Group("Trình độ và đoàn thể", (
            Field("qualifications.general_education", "Trình độ giáo dục phổ thông", kind="choice", choices=CHOICES[GeneralEducation]),
            Field("qualifications.professional_qualification", "Trình độ chuyên môn", kind="choice",
                  choices=CHOICES[ProfessionalQualification]),
            Field("qualifications.area_exemption", "Vùng được áp dụng điều kiện học vấn riêng", kind="choice",
                  choices=CHOICES[AreaExemption], required=False, hint="Để trống nếu không thuộc vùng nào."),
            Field("qualifications.village_elder_or_head", "Là già làng, trưởng bản", kind="yes_no", required=False),
            Field("qualifications.youth_union_member", "Là đoàn viên Đoàn Thanh niên", kind="yes_no", required=False),
            Field("qualifications.youth_union_exists", "Nơi làm việc, cư trú có tổ chức Đoàn", kind="yes_no", required=False),
        )),
        *singles,
        *children,
    )


def history_values(history: Mapping[str, Any]) -> dict[str, str]:
    """The history form's fields as the history stands (`dossiers.personal_history`): a correction
    starts from it, so a staffer changes one field rather than retyping all. Each relative goes to
    the group of their relation (children in order), with the `subject_id` that keeps their
    verification."""
    values: dict[str, str] = {}

    def put(prefix: str, facts: Mapping[str, Any]) -> None:
        for name, value in facts.items():
            if isinstance(value, bool):
                values[f"{prefix}{name}"] = "yes" if value else ""
            elif value is not None:
                values[f"{prefix}{name}"] = shown_date(value) if name == "birth_date" else str(value)

    put("applicant.", history.get("applicant") or {})
    put("qualifications.", history.get("qualifications") or {})
    values["family_planning_case"] = "yes" if history.get("family_planning_case") else ""
    groups: dict[str, list[int]] = {}
    for index, (relation, _) in enumerate(RELATIVES):
        groups.setdefault(relation.value, []).append(index)
    groups[Relation.CHILD.value] = list(range(len(RELATIVES), len(RELATIVES) + CHILDREN))
    for relative in history.get("relatives") or []:
        free = groups.get(str(relative.get("relation"))) or []
        index = free.pop(0) if free else None
        if index is not None:
            put(f"relatives.{index}.", {k: v for k, v in relative.items() if k != "relation"})
    return values


def _introducer(index: int, legend: str, optional: bool) -> Group:
    at = f"introducers.{index}"
    return Group(
        legend,
        (
            Field(f"{at}.full_name", "Họ và tên người giới thiệu"),
            Field(f"{at}.citizen_id", "Số CCCD của người giới thiệu", kind="citizen_id"),
            Field(f"{at}.introduced_on", "Ngày giới thiệu", kind="date"),
            Field(f"{at}.acquainted_since", "Cùng công tác, học tập, sinh sống với người vào Đảng từ ngày", kind="date",
                  hint="Phải đủ 12 tháng tính đến ngày giới thiệu."),
        ),
        optional=optional,
        hint="Để trống nếu giới thiệu bằng nghị quyết của Đoàn Thanh niên hoặc Công đoàn." if optional else "",
    )


ACTS = [
    Act(
        "dossiers", "open_dossier", "mo-ho-so", "Đưa vào danh sách cảm tình Đảng",
        (
            Field("cell", "Chi bộ", kind="choice", options="cells"),
            Field("full_name", "Họ và tên quần chúng"),
            Field("citizen_id", "Số CCCD của quần chúng", kind="citizen_id"),
            Field("opened_on", "Ngày đưa vào danh sách", kind="date", today_by_default=True),
            Field("helper_citizen_id", "Số CCCD của đảng viên giúp đỡ", kind="citizen_id",
                  hint="Đảng viên chính thức của chi bộ được phân công giúp đỡ. 12 chữ số."),
            Group("Đã từng là đảng viên (kết nạp lại)", (
                Field("readmission.first_admitted_on", "Ngày vào Đảng lần đầu", kind="date", required=False),
                Field("readmission.party_card_number", "Số thẻ đảng viên đã được cấp", required=False,
                      hint="Như trên thẻ đảng viên cũ, nếu còn."),
                Field("readmission.left_on", "Ngày ra khỏi Đảng", kind="date"),
                Field("readmission.left_for", "Lý do ra khỏi Đảng", kind="choice", choices=CHOICES[LeftFor]),
                Field("readmission.conviction_cleared_on", "Ngày được xóa án tích", kind="date", required=False,
                      hint="Chỉ khi bị kết án về tội ít nghiêm trọng."),
                Field("readmission.readmitted_before", "Đã được kết nạp lại một lần", kind="yes_no", required=False),
            ), optional=True, hint="Chỉ điền nếu người này đã từng là đảng viên (quy định READMIT); để trống nếu chưa từng."),
        ),
        lead="Mở hồ sơ của một quần chúng ưu tú và phân công đảng viên chính thức giúp đỡ.",
        submit="Mở hồ sơ", about_dossier=False, road="source_list", order=10,
    ),
    Act(
        "dossiers", "record_class_certificate", "giay-chung-nhan", "Ghi giấy chứng nhận lớp bồi dưỡng nhận thức về Đảng",
        (
            Field("certificate_number", "Số giấy chứng nhận"),
            Field("issued_on", "Ngày cấp", kind="date"),
            Field("issued_by", "Nơi cấp", hint="Ví dụ: Trung tâm chính trị huyện."),
        ),
        lead="Giấy chứng nhận có giá trị 60 tháng tính đến ngày chi bộ xét (quy định CLASS_VALID).",
        steps=PREPARING, road="class", order=20,
        done=lambda d: bool((d.get("papers") or {}).get("class_certificate")),
    ),
    Act(
        "dossiers", "submit_application_letter", "don-xin-vao-dang", "Nộp đơn xin vào Đảng",
        (Field("submitted_on", "Ngày nộp đơn", kind="date", today_by_default=True),),
        lead="Đơn xin vào Đảng (Mẫu 1-KNĐ); có đơn thì mới khai lý lịch.",
        steps=frozenset({Step.SOURCE_LIST}), road="letter", order=30,
        done=lambda d: bool((d.get("papers") or {}).get("application_letter_on")),
    ),
    Act(
        "dossiers", "declare_personal_history", "ly-lich", "Khai lý lịch người xin vào Đảng",
        (
            *_history(corrected=False),
            Field("declared_on", "Ngày khai lý lịch", kind="date", today_by_default=True),
        ),
        lead="Lý lịch (Mẫu 2-KNĐ) khai một lần; thay đổi sau đó là đính chính có lý do. Các người thân khai ở đây được thẩm tra.",
        steps=frozenset({Step.APPLICATION}), road="history", order=40,
        defaults={"qualifications.youth_union_exists": "yes"},
        done=lambda d: bool((d.get("papers") or {}).get("personal_history")),
    ),
    Act(
        "dossiers", "correct_personal_history", "dinh-chinh-ly-lich", "Đính chính lý lịch người xin vào Đảng",
        (
            *_history(corrected=True),
            Field("corrected_on", "Ngày đính chính", kind="date", today_by_default=True),
            Field("reason", "Lý do đính chính", kind="long_text"),
        ),
        lead="Ghi lại toàn bộ lý lịch như sau khi đính chính, kèm lý do. Người thân đã khai được chọn lại để giữ kết quả thẩm tra "
             "của họ; người mới khai được thẩm tra như mọi người thân khác.",
        steps=frozenset({Step.VERIFICATION}), road="history", order=45, prefill="personal_history",
    ),
    Act(
        "dossiers", "record_introductions", "gioi-thieu", "Ghi người giới thiệu",
        (
            _introducer(0, "Người giới thiệu thứ nhất", optional=False),
            _introducer(1, "Người giới thiệu thứ hai", optional=True),
            Group("Nghị quyết giới thiệu của đoàn thể (Mẫu 4-KNĐ)", (
                Field("union_resolution.union", "Đoàn thể", kind="choice", choices=CHOICES[UnionKind]),
                Field("union_resolution.number", "Số nghị quyết"),
                Field("union_resolution.dated", "Ngày nghị quyết", kind="date"),
            ), optional=True, hint="Thay cho người giới thiệu thứ hai; để trống nếu không có."),
            Field("recorded_on", "Ngày ghi nhận", kind="date", today_by_default=True),
        ),
        lead="Hai đảng viên chính thức, hoặc một đảng viên chính thức và nghị quyết của Đoàn Thanh niên hoặc Công đoàn (INTRO_SET).",
        steps=frozenset({Step.APPLICATION, Step.VERIFICATION}), road="introductions", order=50,
        done=lambda d: bool((d.get("papers") or {}).get("introductions")),
    ),
    Act(
        "dossiers", "record_opinions", "nhan-xet", "Ghi nhận xét của đoàn thể và chi ủy nơi cư trú",
        (
            Group(CHOICES[OpinionSource][OpinionSource.WORKPLACE_MASS_ORGANISATIONS], (
                Field("opinions.0.source", "Nơi nhận xét", kind="fixed", fixed=OpinionSource.WORKPLACE_MASS_ORGANISATIONS.value),
                Field("opinions.0.given_on", "Ngày nhận xét", kind="date"),
                Field("opinions.0.summary", "Tóm tắt nhận xét", kind="long_text"),
            ), optional=True),
            Group(CHOICES[OpinionSource][OpinionSource.RESIDENCE_CELL], (
                Field("opinions.1.source", "Nơi nhận xét", kind="fixed", fixed=OpinionSource.RESIDENCE_CELL.value),
                Field("opinions.1.given_on", "Ngày nhận xét", kind="date"),
                Field("opinions.1.summary", "Tóm tắt nhận xét", kind="long_text"),
            ), optional=True),
        ),
        lead="Nhận xét (Mẫu 5-KNĐ) của đoàn thể nơi làm việc và của chi ủy nơi cư trú.",
        steps=frozenset({Step.APPLICATION, Step.VERIFICATION}), road="opinions", order=60,
        done=lambda d: bool((d.get("papers") or {}).get("opinions")),
    ),
    Act(
        "dossiers", "mark_ready_for_cell_vote", "chuyen-chi-bo-xet", "Chuyển hồ sơ để chi bộ xét",
        (
            Field("ready_on", "Ngày chuyển hồ sơ", kind="date", today_by_default=True),
            Field("cell_meeting_on", "Ngày chi bộ họp xét (dự kiến)", kind="date",
                  hint="Các điều kiện (tuổi, học vấn, giấy chứng nhận, giới thiệu) được xét tại ngày này."),
        ),
        lead="Kiểm tra mọi điều kiện kết nạp tại ngày chi bộ họp; hồ sơ phải đủ và lý lịch đã được chứng nhận.",
        steps=frozenset({Step.VERIFICATION}), road="cell_resolution", order=70, submit="Chuyển hồ sơ",
        done=lambda d: bool((d.get("cell_vote") or {}).get("ready_on")),
    ),
]
