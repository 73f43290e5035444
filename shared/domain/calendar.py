"""Vietnam's working days (ngày làm việc) and month arithmetic, for every deadline and age rule.

Working days
    Monday to Friday, minus the Vietnamese public holidays of the maintained `holidays` package
    (country "VN"): Tết Dương lịch (1/1); Tết Nguyên Đán (Giao thừa and the first days of the lunar
    year, plus the days the government adds when some of them fall on a weekend, e.g. "29 Tết",
    "Mùng năm Tết Nguyên Đán"); Giỗ Tổ Hùng Vương (10/3 lunar); 30/4; 1/5; Quốc khánh 2/9 and its
    extra day; from 2026 Ngày Văn hóa Việt Nam (24/11); the "nghỉ bù" day when a holiday falls on a
    weekend; and the days off the government moves by decree ("Ngày nghỉ (thay cho ngày ...)").
    When such a move makes a Saturday a working day (ngày làm bù, e.g. Saturday 26/04/2025 for
    Friday 02/05/2025), that Saturday *is* a working day here, as it is for the public-sector staff
    who run party work. Nothing is hand-written: a decree the library learns about arrives with
    an upgrade of the package.

Counting convention (the one used by every deadline)
    The start day never counts (as in Bộ luật Dân sự 2015, art. 147). "Within N working days of
    the cell resolution" means the due date is ``add_working_days(resolution_date, N)``: the
    N-th working day strictly after the resolution date, whether or not the resolution date
    itself is a working day. ``working_days_between(start, end)`` counts the working days after
    ``start`` up to and including ``end``, so
    ``working_days_between(d, add_working_days(d, n)) == n`` for every n >= 0.

Months
    ``add_months`` keeps the day of the month and clamps it to the month's last day when that
    month is shorter (31/01 + 1 month = 28/02 or 29/02). This is the rule of the Civil Code
    (Bộ luật Dân sự 2015, art. 148(3)): a term counted in months that ends in a month without the
    corresponding day ends on that month's last day. Ages and the other "counted in months" rules
    follow from it: a person has completed m months on the day ``add_months(birth, m)``, and the
    birthday itself counts (born 15/03/2008: 18 years old on 15/03/2026, still 17 on 14/03/2026).
    Someone born on 29/02 therefore completes a year on 28/02 of a common year, not on 01/03: that
    is the last day of the corresponding month, the same answer ``add_months`` gives for 31/01 +
    1 month, and it never makes a person wait longer than in a leap year.
"""

from __future__ import annotations

import calendar as _gregorian  # the standard library module, not this one
from bisect import bisect_right
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

COUNTRY = "VN"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def today_in_vietnam() -> date:
    """The calendar day in Vietnam: dates of the procedure are Vietnamese days, whatever the
    server's time zone."""
    return datetime.now(VIETNAM).date()
HOLIDAY_LANGUAGE = "vi"

FIRST_SUPPORTED_YEAR: int = holidays.Vietnam.start_year
"""The first year the holiday library knows for Vietnam; earlier dates raise ValueError."""
LAST_SUPPORTED_YEAR: int = holidays.Vietnam.end_year
"""The last year the holiday library knows for Vietnam; later dates raise ValueError rather than
silently counting every weekday of an unknown year as a working day."""

_SATURDAY = 5
_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=None)
def _year(year: int) -> tuple[Mapping[date, str], frozenset[date]]:
    """The public holidays of one year (Vietnamese names) and its weekend days declared working."""
    if not FIRST_SUPPORTED_YEAR <= year <= LAST_SUPPORTED_YEAR:
        raise ValueError(
            f"no Vietnamese holiday calendar for {year} "
            f"(supported: {FIRST_SUPPORTED_YEAR}-{LAST_SUPPORTED_YEAR})"
        )
    found = holidays.country_holidays(COUNTRY, years=year, language=HOLIDAY_LANGUAGE)
    names = MappingProxyType({day: name for day, name in found.items() if day.year == year})
    # The library keeps every make-up Saturday it knows in one set, whatever year was asked for.
    weekend_workdays = frozenset(
        day for day in getattr(found, "weekend_workdays", ()) if day.year == year
    )
    return names, weekend_workdays


def public_holidays(year: int) -> Mapping[date, str]:
    """The days off of ``year`` with their Vietnamese names, as the holiday library gives them."""
    return _year(year)[0]


def holiday_name(d: date) -> str | None:
    """The Vietnamese name of the public holiday on ``d``, or None when ``d`` is not one."""
    return _year(d.year)[0].get(d)


def is_working_day(d: date) -> bool:
    """Whether ``d`` is a working day in Vietnam: a weekday that is not a public holiday, or a
    weekend day the government declared a working day (ngày làm bù)."""
    names, weekend_workdays = _year(d.year)
    if d.weekday() >= _SATURDAY:
        return d in weekend_workdays
    return d not in names


@lru_cache(maxsize=None)
def _working_days(year: int) -> tuple[date, ...]:
    """Every working day of ``year``, in order: counting n of them from a day is then one look-up,
    not a walk over the days in between (a rebuild of the deadlines asks for thousands of
    different start days and counts, and walked up to 90 days for each; issue 21)."""
    first = date(year, 1, 1)
    every = (first + timedelta(days=offset) for offset in range(366))
    return tuple(day for day in every if day.year == year and is_working_day(day))


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after ``start`` (``start`` itself never counts); n >= 0.

    ``add_working_days(resolution_date, 60)`` is the last day that is still "within 60 working
    days of the resolution". n = 0 returns ``start`` unchanged, even when it is not a working day.
    """
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    if n == 0:
        return start
    year = start.year
    days = _working_days(year)
    following = bisect_right(days, start)  # the first working day of the year after ``start``
    while n > len(days) - following:
        n -= len(days) - following
        year += 1
        days, following = _working_days(year), 0
    return days[following + n - 1]


def working_days_between(start: date, end: date) -> int:
    """The working days after ``start`` up to and including ``end``; when ``end`` comes first,
    minus the working days after ``end`` up to and including ``start``.

    So ``working_days_between(d, add_working_days(d, n)) == n``, and counts add up:
    ``between(a, b) + between(b, c) == between(a, c)`` (time spent per step sums to the total).
    """
    if end < start:
        return -working_days_between(end, start)
    count = 0
    day = start + _ONE_DAY
    while day <= end:
        if is_working_day(day):
            count += 1
        day += _ONE_DAY
    return count


def add_months(d: date, n: int) -> date:
    """``d`` moved by n calendar months (n may be negative), the day clamped to the last day of a
    shorter month: 31/01 + 1 month = 28/02 (29/02 in a leap year); 29/02 + 12 months = 28/02."""
    months = d.year * 12 + (d.month - 1) + n
    year, month0 = divmod(months, 12)
    month = month0 + 1
    last_day = _gregorian.monthrange(year, month)[1]
    return date(year, month, min(d.day, last_day))


def age_in_months(birth: date, on: date) -> int:
    """Full calendar months from ``birth`` to ``on``: the largest m with
    ``add_months(birth, m) <= on``. The monthly anniversary itself counts as completed (born
    15/03/2008: 216 months on 15/03/2026, 215 on 14/03/2026); for a day missing from a month the
    last day of that month is the anniversary (born 29/02/2008: 216 months on 28/02/2026).

    Works for any two dates (also the age of a membership, of a certificate); negative when
    ``on`` comes before ``birth``.
    """
    months = (on.year - birth.year) * 12 + (on.month - birth.month)
    # add_months(birth, months) falls in on's month; one month less if its day is still ahead.
    if add_months(birth, months) > on:
        months -= 1
    return months


def full_years(birth: date, on: date) -> int:
    """Completed years on ``on`` (tuổi tròn), counted in months: ``age_in_months // 12``."""
    return age_in_months(birth, on) // 12
