"""Working days between two dates for many pairs at once: the count of `ketnap.domain.calendar`, from a
running total per year instead of a walk day by day (a report sums the time of thousands of steps)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from ketnap.domain.calendar import is_working_day


@lru_cache(maxsize=None)
def _running_total(year: int) -> tuple[int, ...]:
    """Working days of `year` up to and including each of its days (index: day of the year - 1)."""
    totals, count, day = [], 0, date(year, 1, 1)
    while day.year == year:
        count += is_working_day(day)
        totals.append(count)
        day += timedelta(days=1)
    return tuple(totals)


@lru_cache(maxsize=None)
def _before_year(year: int, origin: int) -> int:
    return sum(_running_total(y)[-1] for y in range(origin, year))


def _up_to(day: date, origin: int) -> int:
    return _before_year(day.year, origin) + _running_total(day.year)[day.timetuple().tm_yday - 1]


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (negative when `end` comes first):
    `ketnap.domain.calendar.working_days_between`. ValueError for a year the holiday calendar does not know."""
    origin = min(start.year, end.year)
    return _up_to(end, origin) - _up_to(start, origin)
