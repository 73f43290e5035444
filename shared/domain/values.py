"""Value types every service accepts at its edge the same way: citizen ids, names, calendar dates."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from ketnap.domain.calendar import today_in_vietnam
from ketnap.platform.vietnamese import vn_date

_CITIZEN_ID = re.compile(r"^\d{12}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def normalised_text(value: Any) -> Any:
    """Unicode NFC with runs of whitespace collapsed: a name typed in NFD or with stray spaces is the
    same text (domain.md §6)."""
    if not isinstance(value, str):
        return value
    return " ".join(unicodedata.normalize("NFC", value).split())


def folded(value: str) -> str:
    """The accent- and case-insensitive form of Vietnamese text, for finding a name as people
    type it: "nguyen van an" finds "Nguyễn Văn An". Diacritics are dropped (NFD, combining marks
    removed), đ is d, case and runs of whitespace do not count."""
    decomposed = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def citizen_id(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError("Số định danh cá nhân (CCCD) phải là chuỗi 12 chữ số")
    if isinstance(value, str):
        value = value.strip()
        if not _CITIZEN_ID.match(value):
            raise ValueError("Số định danh cá nhân (CCCD) phải gồm đúng 12 chữ số")
    return value


def iso_date(value: Any) -> Any:
    # Pydantic would also take 1700000000 or "2025-01-01T10:00" as a date; we take only calendar
    # dates written as YYYY-MM-DD, so a typo cannot become a plausible date.
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value.strip()):
        raise ValueError("Ngày phải viết theo dạng YYYY-MM-DD")
    try:
        return date.fromisoformat(value.strip())
    except ValueError as error:
        raise ValueError("Ngày không tồn tại trong lịch") from error


def not_after_today(value: date) -> date:
    """A date of an act already done (a decision signed, a class held): never after today in Vietnam."""
    today = today_in_vietnam()
    if value > today:
        raise ValueError(f"Ngày {vn_date(value)} không được sau ngày hôm nay ({vn_date(today)})")
    return value


PARTY_FOUNDED = date(1930, 2, 3)
"""Ngày thành lập Đảng: no act of the procedure, and nothing a report could be about, comes before it."""


def not_before_the_party(value: date) -> date:
    """A day the party's records could be about (a report's day): 01/01/0001 is refused naming the
    field, rather than searched for and found empty (a unit "not found", or a year strftime misprints)."""
    if value < PARTY_FOUNDED:
        raise ValueError(f"Ngày {vn_date(value)} trước ngày thành lập Đảng ({vn_date(PARTY_FOUNDED)}): hãy chọn ngày từ đó trở đi")
    return value


CitizenId = Annotated[str, BeforeValidator(citizen_id), Field(description="Số CCCD: 12 chữ số")]
IsoDate = Annotated[date, BeforeValidator(iso_date)]
PastIsoDate = Annotated[date, BeforeValidator(iso_date), AfterValidator(not_after_today)]
"""The date of an act that cannot be in the future (YYYY-MM-DD, today or earlier)."""
PartyDay = Annotated[date, BeforeValidator(iso_date), AfterValidator(not_after_today), AfterValidator(not_before_the_party)]
"""A day the party's records are about, from its founding to today (a report's day)."""
