"""Years and congress terms as days; percentages as organisations report them."""

from __future__ import annotations

from datetime import date

import pytest

from ketnap.services.reporting.periods import PeriodError, parse_period, percent, term, year


def test_a_year() -> None:
    period = parse_period(2021, None)
    assert (period.label, period.kind, period.start, period.end) == ("2021", "year", date(2021, 1, 1), date(2021, 12, 31))
    assert period.status_on(date(2025, 1, 1)) == date(2021, 12, 31)
    assert period.status_on(date(2021, 6, 1)) == date(2021, 6, 1)


def test_consecutive_terms_share_no_day() -> None:
    first, second = parse_period(None, "2015-2020"), parse_period(None, " 2020 – 2025 ")
    assert (first.start, first.end) == (date(2015, 1, 1), date(2019, 12, 31))
    assert (second.label, second.kind, second.start, second.end) == ("2020-2025", "term", date(2020, 1, 1), date(2024, 12, 31))


def test_a_term_may_start_with_its_congress() -> None:
    period = term(2020, 2025, starts_on=(7, 1))
    assert (period.start, period.end) == (date(2020, 7, 1), date(2025, 6, 30))
    assert period.contains(date(2025, 6, 30)) and not period.contains(date(2025, 7, 1))


@pytest.mark.parametrize(
    ("year_value", "term_value", "message", "field"),
    [
        (None, None, "Chọn đúng một kỳ báo cáo", "year"),
        (2021, "2020-2025", "Chọn đúng một kỳ báo cáo", "term"),
        (None, "2025", "Nhiệm kỳ viết dạng 2020-2025", "term"),
        (None, "2025-2020", "Nhiệm kỳ phải có năm kết thúc sau năm bắt đầu", "term"),
        (21, None, "Năm báo cáo không hợp lệ", "year"),
    ],
)
def test_a_period_that_is_not_one(year_value: int | None, term_value: str | None, message: str, field: str) -> None:
    with pytest.raises(PeriodError, match=message) as refused:
        parse_period(year_value, term_value)
    # The query field the user gave, which the API's answer names (a query has no `period` field).
    assert refused.value.field == field
    assert "--" not in str(refused.value)


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [(622, 540, 115.2), (222, 180, 123.3), (8, 10, 80.0), (359, 359, 100.0), (2, 3, 66.7), (1, 16, 6.3), (0, 5, 0.0),
     (3, 0, None), (3, None, None)],
)
def test_percentages_have_one_decimal_halves_rounded_up(part: int, whole: int | None, expected: float | None) -> None:
    assert percent(part, whole) == expected


def test_a_year_as_a_dict() -> None:
    assert year(2025).as_dict() == {"period": "2025", "period_kind": "year", "from": "2025-01-01", "to": "2025-12-31"}
