"""What the web application shows a person: dates typed and shown as dd/mm/yyyy, Vietnamese number
separators, and words for every code (no `official`, `cell_secretary`, `awareness` on screen)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketnap.domain.labels import EVENT_LABELS
from ketnap.domain.rules import RuleCode
from ketnap.platform.vietnamese import vn_date
from ketnap.services.dossiers.values import Step
from ketnap.services.gateway.access import Role
from ketnap.services.gateway.web.vietnamese import (
    CHOICES,
    NotADate,
    decision_title,
    number,
    percent,
    role_title,
    rule_message,
    rule_set_title,
    shown_date,
    shown_moment,
    step_title,
    typed_date,
)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_a_shown_date_typed_back_is_the_same_day(day: date) -> None:
    assert typed_date(shown_date(day)) == day


@pytest.mark.parametrize("typed", ["5/9/2025", "05/09/2025", " 05-09-2025 ", "05.09.2025"])
def test_dates_are_typed_day_first(typed: str) -> None:
    assert typed_date(typed) == date(2025, 9, 5)


@pytest.mark.parametrize(("typed", "says"), [
    ("2025-09-05", "ngày/tháng/năm"), ("31/02/2025", "Không có ngày 31/02/2025 trong lịch."), ("", "ngày/tháng/năm"), ("05/09/25", "ngày/tháng/năm"),
    ("29/02/0001", "Không có ngày 29/02/0001 trong lịch."),
])
def test_a_date_that_is_not_one_says_how_to_write_it(typed: str, says: str) -> None:
    with pytest.raises(NotADate, match=says):
        typed_date(typed)


def test_numbers_and_percentages_use_vietnamese_separators() -> None:
    assert (number(1234567), number(0), number(None)) == ("1.234.567", "0", "")
    assert (percent(115.0), percent(12.25), percent("2.05")) == ("115,0 %", "12,3 %", "2,1 %")  # halves up


def test_moments_are_shown_in_vietnamese_time() -> None:
    assert shown_moment(datetime(2025, 9, 5, 1, 30, tzinfo=UTC)) == "08:30 ngày 05/09/2025"
    assert shown_date("2025-09-05T20:00:00+00:00") == "06/09/2025"  # already the next day in Vietnam


def test_every_code_a_page_shows_has_vietnamese_words() -> None:
    for role in Role:
        assert role_title(role) and role.value not in role_title(role)
    for step in Step:
        assert step_title(step) and "_" not in step_title(step)
    for code in RuleCode:
        assert rule_message(code) == code.message
    for vocabulary, words in CHOICES.items():
        assert set(words) == {v.value for v in vocabulary}, vocabulary
    assert decision_title("cell_vote") == "Chuyển hồ sơ để chi bộ xét"
    assert "24-QĐ/TW" in rule_set_title("2021")
    assert EVENT_LABELS["DossierOpened"] == "Đưa vào danh sách cảm tình Đảng"
    assert role_title("no_such_role") == "Vai trò chưa rõ" and step_title("no_such_step") == "Bước chưa rõ"


@pytest.mark.parametrize("day", [date(1, 1, 1), date(999, 12, 31), date(2025, 7, 1)])
def test_a_date_is_always_dd_mm_yyyy_with_four_digits_of_year(day: date) -> None:
    """strftime's %Y writes the year 1 as "1": a date typed as 01/01/0001 came back "01/01/1"."""
    expected = f"{day.day:02d}/{day.month:02d}/{day.year:04d}"
    assert shown_date(day) == expected and vn_date(day) == expected
    assert shown_moment(datetime(day.year, day.month, day.day, 10, 5)).endswith(f"ngày {expected}")


def test_every_date_a_person_reads_is_written_by_the_one_function() -> None:
    """One way to write dd/mm/yyyy (`ketnap.domain.calendar.vn_date`): a format string of its own
    somewhere in the code would print short years again (and differ the day someone changes one)."""
    root = Path(__file__).resolve().parents[3]
    own = [
        f"{path.relative_to(root)}:{number}"
        for folder in ("services", "shared")
        for path in sorted((root / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "%d/%m/%Y" in line or "strftime(" in line
    ]
    assert own == []
