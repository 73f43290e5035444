"""The dossier's value types as the edge accepts them: citizen ids, names, bounded text, ISO dates, and
the closed vocabularies of the personal history (lý lịch) and of the dossier's steps."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from ketnap.domain.values import CitizenId, IsoDate, normalised_text

NAME_MAX = 100
SHORT_TEXT_MAX = 200
TEXT_MAX = 2000


PersonName = Annotated[str, BeforeValidator(normalised_text), Field(min_length=1, max_length=NAME_MAX)]
ShortText = Annotated[str, BeforeValidator(normalised_text), Field(min_length=1, max_length=SHORT_TEXT_MAX)]
Text = Annotated[str, BeforeValidator(normalised_text), Field(min_length=1, max_length=TEXT_MAX)]
OrganisationCode = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", description="mã tổ chức đảng")
]
DossierId = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$", description="mã hồ sơ (UUID)")
]
SubjectId = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]


class Step(StrEnum):
    """Where a dossier stands (domain.md §2); the last five end it."""

    SOURCE_LIST = "source_list"
    """Danh sách cảm tình Đảng: opened with a helper, papers being gathered."""
    APPLICATION = "application"
    """Đã có đơn xin vào Đảng; lý lịch chưa khai."""
    VERIFICATION = "verification"
    """Lý lịch đã khai: thẩm tra đang chạy, giới thiệu và nhận xét được bổ sung."""
    READY_FOR_CELL_VOTE = "ready_for_cell_vote"
    AWAITING_DECISION = "awaiting_decision"
    """Chi bộ đã có nghị quyết đề nghị kết nạp; chờ quyết định của cấp có thẩm quyền."""
    AWAITING_CEREMONY = "awaiting_ceremony"
    PROBATION = "probation"
    """Đảng viên dự bị: 12 tháng từ ngày lễ kết nạp."""
    RECOGNITION = "recognition"
    """Hồ sơ xét công nhận đảng viên chính thức đã đủ; chờ biểu quyết và quyết định."""
    OFFICIAL = "official"
    NAME_REMOVED = "name_removed"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"
    REFUSED = "refused"
    """Cấp có thẩm quyền quyết định không kết nạp."""

    @property
    def closed(self) -> bool:
        return self in CLOSED_STEPS

    @property
    def label(self) -> str:
        return STEP_LABELS[self]


CLOSED_STEPS = frozenset({Step.OFFICIAL, Step.NAME_REMOVED, Step.WITHDRAWN, Step.REJECTED, Step.REFUSED})
PREPARATION_STEPS = (Step.SOURCE_LIST, Step.APPLICATION, Step.VERIFICATION)
"""Before the dossier goes to the cell vote: papers may still be added or replaced."""

STEP_LABELS = {
    Step.SOURCE_LIST: "trong danh sách cảm tình Đảng",
    Step.APPLICATION: "đã nộp đơn xin vào Đảng",
    Step.VERIFICATION: "đang thẩm tra lý lịch",
    Step.READY_FOR_CELL_VOTE: "chờ chi bộ xét",
    Step.AWAITING_DECISION: "chờ quyết định kết nạp",
    Step.AWAITING_CEREMONY: "chờ tổ chức lễ kết nạp",
    Step.PROBATION: "đảng viên dự bị",
    Step.RECOGNITION: "chờ xét công nhận đảng viên chính thức",
    Step.OFFICIAL: "đã là đảng viên chính thức",
    Step.NAME_REMOVED: "đã xóa tên khỏi danh sách đảng viên dự bị",
    Step.WITHDRAWN: "đã rút hồ sơ",
    Step.REJECTED: "đã bị bác",
    Step.REFUSED: "cấp có thẩm quyền không kết nạp",
}


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"


class Relation(StrEnum):
    """The relatives the personal history declares; verification decides which are subjects."""

    FATHER = "father"
    MOTHER = "mother"
    FATHER_IN_LAW = "father_in_law"
    MOTHER_IN_LAW = "mother_in_law"
    GUARDIAN = "guardian"
    SPOUSE = "spouse"
    CHILD = "child"


SINGLE_RELATIONS = frozenset(
    {Relation.FATHER, Relation.MOTHER, Relation.FATHER_IN_LAW, Relation.MOTHER_IN_LAW, Relation.SPOUSE}
)
"""A person has at most one of each of these (at a time)."""


class GeneralEducation(StrEnum):
    """Trình độ giáo dục phổ thông, lowest first."""

    NONE = "none"
    LITERATE = "literate"
    """Biết đọc, biết viết."""
    PRIMARY = "primary"
    """Tốt nghiệp tiểu học."""
    LOWER_SECONDARY_EQUIVALENT = "lower_secondary_equivalent"
    """Tương đương tốt nghiệp trung học cơ sở: enough for EDU_MIN from Quy định 29-QĐ/TW (2016) on."""
    LOWER_SECONDARY = "lower_secondary"
    """Tốt nghiệp trung học cơ sở: the general minimum (EDU_MIN)."""
    UPPER_SECONDARY = "upper_secondary"

    @property
    def rank(self) -> int:
        return list(GeneralEducation).index(self)


class ProfessionalQualification(StrEnum):
    """Trình độ chuyên môn, nghiệp vụ: a second axis, reported apart from general education."""

    NONE = "none"
    ELEMENTARY = "elementary"
    INTERMEDIATE = "intermediate"
    COLLEGE = "college"
    UNIVERSITY = "university"
    MASTER = "master"
    DOCTORATE = "doctorate"


class AreaExemption(StrEnum):
    """Vùng được áp dụng điều kiện học vấn riêng (EDU_AREA)."""

    MOUNTAIN = "mountain"
    BORDER = "border"
    ISLAND = "island"
    ETHNIC_MINORITY = "ethnic_minority"
    ESPECIALLY_DIFFICULT = "especially_difficult"
    OFFSHORE_FISHERMAN = "offshore_fisherman"


class UnionKind(StrEnum):
    YOUTH_UNION = "youth_union"
    """Đoàn Thanh niên Cộng sản Hồ Chí Minh (Mẫu 4-KNĐ)."""
    TRADE_UNION = "trade_union"
    """Công đoàn cơ sở."""


class AgreementPurpose(StrEnum):
    """What a written agreement of the provincial standing committee allows."""

    OVER_60 = "over_60"
    """Kết nạp người trên 60 tuổi (AGE_MAX)."""
    LITERACY_ONLY = "literacy_only"
    """Già làng, trưởng bản chỉ biết đọc, biết viết (EDU_AREA)."""
    READMISSION = "readmission"
    """Kết nạp lại người từng là đảng viên (READMIT)."""


class OpinionSource(StrEnum):
    """Who gives the opinion on the applicant (Mẫu 5-KNĐ)."""

    WORKPLACE_MASS_ORGANISATIONS = "workplace_mass_organisations"
    RESIDENCE_CELL = "residence_cell"


class VerificationOutcome(StrEnum):
    CONTINUE = "continue"
    REJECT = "reject"
