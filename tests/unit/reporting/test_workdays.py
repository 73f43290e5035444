"""Working days from running totals count exactly what ketnap.domain.calendar counts."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketnap.domain import calendar
from ketnap.services.reporting.workdays import working_days_between

days = st.dates(min_value=date(2019, 1, 1), max_value=date(2031, 12, 31))


@given(days, days)
def test_the_same_count_as_the_calendar(start: date, end: date) -> None:
    assert working_days_between(start, end) == calendar.working_days_between(start, end)


def test_known_spans() -> None:
    # Tết 2025 (25/01-02/02) and the 30/4-1/5 holidays fall in these spans.
    assert working_days_between(date(2025, 1, 10), date(2025, 3, 10)) == calendar.working_days_between(date(2025, 1, 10), date(2025, 3, 10))
    assert working_days_between(date(2025, 11, 14), date(2025, 11, 20)) == 4
    assert working_days_between(date(2025, 11, 20), date(2025, 11, 14)) == -4
    with pytest.raises(ValueError):
        working_days_between(date(1800, 1, 1), date(2025, 1, 1))
