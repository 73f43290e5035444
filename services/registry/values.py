"""The registry's value types as its edge accepts them: citizen ids, names, organisation codes, the
closed vocabularies of the tree and of membership, and dates written the way users read them."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from ketnap.domain.organisation import KIND_LABELS, OrganisationKind  # noqa: F401  (re-exported: the registry speaks of kinds)
from ketnap.domain.values import CitizenId, IsoDate, PastIsoDate, iso_date, normalised_text

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_YEAR = re.compile(r"^(\d{4})$")
_TERM = re.compile(r"^(\d{4})-(\d{4})$")
_VN_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")

NAME_MAX = 200
TEXT_MAX = 2000


def _code(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        if not _CODE.match(value):
            raise ValueError("Mã tổ chức chỉ gồm chữ, số, dấu chấm, gạch ngang, gạch dưới (tối đa 64 ký tự)")
    return value


def parse_user_date(value: Any) -> Any:
    """A date from a file typed by people: ISO `2025-07-01` or Vietnamese `01/07/2025`."""
    if isinstance(value, str):
        text = value.strip()
        found = _VN_DATE.match(text)
        if found:
            day, month, year = (int(g) for g in found.groups())
            try:
                return date(year, month, day)
            except ValueError as error:
                raise ValueError("Ngày không tồn tại trong lịch") from error
    return iso_date(value)


def _period(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        value = value.strip().replace("–", "-")
        term = _TERM.match(value)
        if term and int(term.group(2)) <= int(term.group(1)):
            raise ValueError("Nhiệm kỳ phải có năm kết thúc sau năm bắt đầu, ví dụ 2020-2025")
        if not (_YEAR.match(value) or term):
            raise ValueError("Kỳ chỉ tiêu là một năm (2025) hoặc một nhiệm kỳ (2020-2025)")
    return value


PersonName = Annotated[str, BeforeValidator(normalised_text), Field(min_length=1, max_length=NAME_MAX)]
Text = Annotated[str, BeforeValidator(normalised_text), Field(min_length=1, max_length=TEXT_MAX)]
ShortText = Annotated[str, BeforeValidator(normalised_text), Field(min_length=1, max_length=NAME_MAX)]
DecisionNumber = Annotated[str, BeforeValidator(normalised_text), Field(min_length=1, max_length=64)]
class _UnitCode:
    """Marks a field naming a unit of the tree, which the registry reads as stored whatever its case
    (`spelling.as_stored`); a locality's or a class's code is not one."""


UNIT_CODE = _UnitCode()
OrganisationCode = Annotated[str, BeforeValidator(_code), UNIT_CODE, Field(description="mã tổ chức đảng")]
LocalityCode = Annotated[str, BeforeValidator(_code), Field(description="mã địa bàn (thôn, tổ dân phố)")]
ClassId = Annotated[str, BeforeValidator(_code), Field(description="mã lớp bồi dưỡng")]
Day = IsoDate
PastDay = PastIsoDate
"""The date of an act already done (a decision signed, an admission, a class held, a rating): not after today."""
Period = Annotated[str, BeforeValidator(_period), Field(description="2025 hoặc 2020-2025")]


class MemberKind(StrEnum):
    OFFICIAL = "official"
    """Đảng viên chính thức."""
    PROBATIONARY = "probationary"
    """Đảng viên dự bị."""


class MemberStatus(StrEnum):
    """The status that decides whether an official member counts in a cell's vote (CELL_2_3)."""

    ACTIVE = "active"
    """Đang sinh hoạt."""
    TRANSFERRED_OUT = "transferred_out"
    """Chuyển sinh hoạt tạm thời đi nơi khác."""
    EXEMPTED = "exempted"
    """Miễn sinh hoạt."""
    SUSPENDED = "suspended"
    """Đình chỉ sinh hoạt."""


STATUS_LABELS = {
    MemberStatus.ACTIVE: "đang sinh hoạt",
    MemberStatus.TRANSFERRED_OUT: "chuyển sinh hoạt tạm thời",
    MemberStatus.EXEMPTED: "miễn sinh hoạt",
    MemberStatus.SUSPENDED: "đình chỉ sinh hoạt",
}


class TransferKind(StrEnum):
    OFFICIAL = "official"
    """Chuyển sinh hoạt chính thức: the member leaves one cell's roster for another's."""
    TEMPORARY = "temporary"
    """Chuyển sinh hoạt tạm thời: the member stays on the home roster, as transferred out."""


class ClassKind(StrEnum):
    AWARENESS = "awareness"
    """Lớp bồi dưỡng nhận thức về Đảng."""
    NEW_MEMBER = "new_member"
    """Lớp bồi dưỡng đảng viên mới."""


class PeriodKind(StrEnum):
    YEAR = "year"
    TERM = "term"
    """Nhiệm kỳ đại hội, e.g. 2020-2025."""


class RatingSubject(StrEnum):
    """Who an annual quality rating is of."""

    MEMBER = "member"
    """Đảng viên: rated in the cell they belonged to that year."""
    ORGANISATION = "organisation"
    """Tổ chức đảng: a cell or a committee."""


def period_kind(period: str) -> PeriodKind:
    return PeriodKind.TERM if "-" in period else PeriodKind.YEAR


