"""Reporting periods (kỳ báo cáo): a year, or a congress term (nhiệm kỳ) such as "2020-2025", as days.

A term's days are configurable [U]: congresses are held in different months, so a term "Y1-Y2"
runs from its start day in Y1 to the day before the same day in Y2. By default the start day is
1 January, so consecutive terms share no day (2020-2025 = 2020..2024, 2025-2030 from 2025).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

_TERM = re.compile(r"^(\d{4})\s*[-–]\s*(\d{4})$")

TERM_STARTS_ON = (1, 1)
"""(month, day) a congress term starts on, in its first year."""


class PeriodError(ValueError):
    """A period that is neither a year nor a term; the message is for the user, `field` the query
    field it is about (`year` or `term`, as the user gave them)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Period:
    label: str
    kind: str
    """`year` or `term`, as the registry's `QuotaAssigned.period_kind`."""
    start: date
    end: date
    """Inclusive."""

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def status_on(self, on: date) -> date:
        """The day a report over this period describes: its last day, or `on` if earlier."""
        return min(on, self.end)

    def as_dict(self) -> dict[str, str]:
        return {"period": self.label, "period_kind": self.kind, "from": self.start.isoformat(), "to": self.end.isoformat()}


def year(value: int) -> Period:
    return Period(str(value), "year", date(value, 1, 1), date(value, 12, 31))


def term(first: int, last: int, starts_on: tuple[int, int] = TERM_STARTS_ON) -> Period:
    if last <= first:
        raise PeriodError("Nhiệm kỳ phải có năm kết thúc sau năm bắt đầu, ví dụ 2020-2025", "term")
    month, day = starts_on
    return Period(f"{first}-{last}", "term", date(first, month, day), date(last, month, day) - timedelta(days=1))


def parse_period(year_value: int | None, term_value: str | None, starts_on: tuple[int, int] = TERM_STARTS_ON) -> Period:
    """The period of a query: exactly one of a year or a term."""
    if (year_value is None) == (term_value is None):
        # Both given: the term is named (the year is the simpler choice left); none: the year.
        both = term_value is not None
        raise PeriodError(
            "Chọn đúng một kỳ báo cáo: một năm (ví dụ 2025) hoặc một nhiệm kỳ (ví dụ 2020-2025)" + (", không chọn cả hai." if both else "."),
            "term" if both else "year",
        )
    if year_value is not None:
        if not 1900 < year_value < 2200:
            raise PeriodError("Năm báo cáo không hợp lệ", "year")
        return year(year_value)
    assert term_value is not None
    found = _TERM.match(term_value.strip())
    if not found:
        raise PeriodError("Nhiệm kỳ viết dạng 2020-2025", "term")
    return term(int(found.group(1)), int(found.group(2)), starts_on)


def percent(part: int, whole: int | None) -> float | None:
    """`part` as a percentage of `whole`, one decimal, halves rounded up (622 of 540: 115.2);
    None without a whole to compare with."""
    if not whole:
        return None
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return float(value)
