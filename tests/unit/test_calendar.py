"""Working days in Vietnam and month arithmetic (ketnap.domain.calendar)."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketnap.domain.calendar import (
    FIRST_SUPPORTED_YEAR,
    LAST_SUPPORTED_YEAR,
    add_months,
    add_working_days,
    age_in_months,
    full_years,
    holiday_name,
    is_working_day,
    public_holidays,
    working_days_between,
)

# Years near today, where deadlines are computed; each year's holidays are built once.
dates = st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31))
any_dates = st.dates(min_value=date(1950, 1, 1), max_value=date(2090, 12, 31))
ONE_DAY = timedelta(days=1)


class TestKnownHolidays:
    def test_national_day_2_september_2025_and_its_extra_day_are_not_working_days(self) -> None:
        assert not is_working_day(date(2025, 9, 2))
        assert not is_working_day(date(2025, 9, 1))
        assert holiday_name(date(2025, 9, 2)) == "Quốc khánh"

    def test_reunification_and_labour_day_2025_are_not_working_days(self) -> None:
        assert not is_working_day(date(2025, 4, 30))
        assert not is_working_day(date(2025, 5, 1))

    def test_tet_2026_days_are_the_library_s_tet_days_and_none_is_a_working_day(self) -> None:
        tet = {day for day, name in public_holidays(2026).items() if "Tết Nguyên Đán" in name}
        assert tet == {date(2026, 2, 16) + timedelta(days=i) for i in range(5)}
        assert holiday_name(date(2026, 2, 17)) == "Tết Nguyên Đán"
        assert not any(is_working_day(day) for day in tet)
        assert is_working_day(date(2026, 2, 23))

    def test_tet_days_falling_on_a_weekend_are_replaced_by_weekdays(self) -> None:
        # Lunar new year 2027 is on Saturday 06/02: the library adds "Mùng năm" on Wednesday.
        assert "Tết" in (holiday_name(date(2027, 2, 10)) or "")
        assert not is_working_day(date(2027, 2, 10))
        assert is_working_day(date(2027, 2, 11))

    def test_tet_duong_lich_and_hung_kings_day_are_not_working_days(self) -> None:
        assert not is_working_day(date(2026, 1, 1))
        assert holiday_name(date(2025, 4, 7)) == "Ngày Giỗ Tổ Hùng Vương"
        assert not is_working_day(date(2025, 4, 7))

    def test_observed_day_for_a_holiday_on_sunday_is_not_a_working_day(self) -> None:
        # Giỗ Tổ Hùng Vương 2026 is on Sunday 26/04; the day off moves to Monday 27/04.
        assert "nghỉ bù" in (holiday_name(date(2026, 4, 27)) or "")
        assert not is_working_day(date(2026, 4, 27))

    def test_a_saturday_declared_a_make_up_working_day_is_a_working_day(self) -> None:
        # 2025: Friday 02/05 off, made up on Saturday 26/04.
        assert not is_working_day(date(2025, 5, 2))
        assert is_working_day(date(2025, 4, 26))

    def test_weekends_are_not_working_days(self) -> None:
        assert not is_working_day(date(2025, 9, 6))
        assert not is_working_day(date(2025, 9, 7))
        assert is_working_day(date(2025, 9, 8))

    def test_a_year_the_library_does_not_know_is_refused(self) -> None:
        with pytest.raises(ValueError):
            is_working_day(date(LAST_SUPPORTED_YEAR + 1, 1, 5))
        with pytest.raises(ValueError):
            is_working_day(date(FIRST_SUPPORTED_YEAR - 1, 1, 5))

    @given(dates)
    def test_is_working_day_agrees_with_the_library(self, d: date) -> None:
        library = holidays.country_holidays("VN", years=d.year)
        assert is_working_day(d) == library.is_working_day(d)


class TestAddWorkingDays:
    def test_the_start_day_does_not_count(self) -> None:
        assert add_working_days(date(2025, 9, 8), 1) == date(2025, 9, 9)

    def test_starting_on_a_weekend_the_first_working_day_is_monday(self) -> None:
        assert add_working_days(date(2025, 9, 6), 1) == date(2025, 9, 8)

    def test_holidays_are_skipped(self) -> None:
        # Friday 29/08/2025; Monday 01/09 and Tuesday 02/09 are Quốc khánh.
        assert add_working_days(date(2025, 8, 29), 1) == date(2025, 9, 3)
        # Friday 13/02/2026; the whole next week is Tết.
        assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)

    def test_zero_returns_the_start_even_on_a_holiday(self) -> None:
        assert add_working_days(date(2025, 9, 2), 0) == date(2025, 9, 2)

    def test_a_negative_count_is_refused(self) -> None:
        with pytest.raises(ValueError):
            add_working_days(date(2025, 9, 3), -1)

    def test_sixty_working_days_across_national_day(self) -> None:
        # Counted by hand: without the two days of Quốc khánh it would be 23/09.
        assert add_working_days(date(2025, 7, 1), 60) == date(2025, 9, 25)

    @given(dates, st.integers(min_value=1, max_value=400))
    def test_the_result_is_a_working_day(self, start: date, n: int) -> None:
        assert is_working_day(add_working_days(start, n))

    @given(dates, st.integers(min_value=0, max_value=400))
    def test_counting_the_working_days_back_gives_n(self, start: date, n: int) -> None:
        assert working_days_between(start, add_working_days(start, n)) == n

    @given(dates, st.integers(min_value=0, max_value=300), st.integers(min_value=1, max_value=100))
    def test_more_working_days_end_strictly_later(self, start: date, n: int, more: int) -> None:
        assert add_working_days(start, n) < add_working_days(start, n + more)

    @given(dates, st.integers(min_value=1, max_value=300))
    def test_no_working_day_is_skipped(self, start: date, n: int) -> None:
        before = add_working_days(start, n - 1)
        after = add_working_days(start, n)
        between = [before + ONE_DAY * i for i in range(1, (after - before).days)]
        assert not any(is_working_day(day) for day in between)

    @given(dates, st.integers(min_value=0, max_value=700))
    def test_the_same_day_as_walking_day_by_day(self, start: date, n: int) -> None:
        # The look-up in each year's working days (issue 21) against the definition, across year ends.
        day, left = start, n
        while left:
            day += ONE_DAY
            left -= is_working_day(day)
        assert add_working_days(start, n) == day

    def test_counting_past_the_last_known_year_is_refused(self) -> None:
        with pytest.raises(ValueError):
            add_working_days(date(LAST_SUPPORTED_YEAR, 12, 20), 30)


class TestWorkingDaysBetween:
    def test_counts_after_start_up_to_and_including_end(self) -> None:
        # Mon 08/09/2025 to Fri 12/09/2025: Tue, Wed, Thu, Fri.
        assert working_days_between(date(2025, 9, 8), date(2025, 9, 12)) == 4
        assert working_days_between(date(2025, 9, 8), date(2025, 9, 8)) == 0

    def test_holidays_and_weekends_are_not_counted(self) -> None:
        assert working_days_between(date(2025, 8, 29), date(2025, 9, 3)) == 1

    def test_end_before_start_is_negative(self) -> None:
        assert working_days_between(date(2025, 9, 12), date(2025, 9, 8)) == -4

    @given(dates, dates)
    def test_matches_a_day_by_day_count(self, start: date, end: date) -> None:
        low, high = sorted((start, end))
        count = sum(is_working_day(low + ONE_DAY * i) for i in range(1, (high - low).days + 1))
        assert working_days_between(start, end) == (count if start <= end else -count)

    @given(dates, dates, dates)
    def test_is_additive(self, a: date, b: date, c: date) -> None:
        assert working_days_between(a, b) + working_days_between(b, c) == working_days_between(a, c)


class TestAddMonths:
    def test_end_of_january_plus_one_month_is_end_of_february(self) -> None:
        assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
        assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)

    def test_29_february_plus_a_year_is_28_february(self) -> None:
        assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
        assert add_months(date(2024, 2, 29), 48) == date(2028, 2, 29)

    def test_across_year_ends_and_backwards(self) -> None:
        assert add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)
        assert add_months(date(2025, 3, 31), -1) == date(2025, 2, 28)
        assert add_months(date(2025, 1, 15), -1) == date(2024, 12, 15)

    @given(any_dates, st.integers(min_value=-600, max_value=600))
    def test_moves_by_n_months_keeping_or_clamping_the_day(self, d: date, n: int) -> None:
        moved = add_months(d, n)
        assert (moved.year * 12 + moved.month) - (d.year * 12 + d.month) == n
        next_month = add_months(moved.replace(day=1), 1)
        last_day = (next_month - ONE_DAY).day
        assert moved.day == min(d.day, last_day)


class TestAges:
    def test_the_18th_birthday_counts_as_18(self) -> None:
        assert full_years(date(2008, 3, 15), date(2026, 3, 15)) == 18
        assert age_in_months(date(2008, 3, 15), date(2026, 3, 15)) == 216

    def test_the_day_before_the_18th_birthday_is_17(self) -> None:
        assert full_years(date(2008, 3, 15), date(2026, 3, 14)) == 17
        assert age_in_months(date(2008, 3, 15), date(2026, 3, 14)) == 215

    def test_born_29_february_is_18_on_28_february_of_a_common_year(self) -> None:
        assert full_years(date(2008, 2, 29), date(2026, 2, 28)) == 18
        assert full_years(date(2008, 2, 29), date(2026, 2, 27)) == 17

    def test_born_29_february_has_the_birthday_on_29_february_in_a_leap_year(self) -> None:
        assert full_years(date(2008, 2, 29), date(2024, 2, 28)) == 15
        assert full_years(date(2008, 2, 29), date(2024, 2, 29)) == 16
        assert age_in_months(date(2008, 2, 29), date(2024, 2, 29)) == 192

    def test_born_on_the_31st_completes_a_month_on_the_last_day_of_a_short_month(self) -> None:
        assert age_in_months(date(2025, 1, 31), date(2025, 2, 27)) == 0
        assert age_in_months(date(2025, 1, 31), date(2025, 2, 28)) == 1
        assert age_in_months(date(2025, 1, 31), date(2025, 3, 30)) == 1
        assert age_in_months(date(2025, 1, 31), date(2025, 3, 31)) == 2

    def test_a_date_before_birth_gives_a_negative_age(self) -> None:
        assert age_in_months(date(2008, 3, 15), date(2008, 3, 14)) == -1

    @given(any_dates, st.integers(min_value=0, max_value=1200))
    def test_the_monthly_anniversary_completes_the_month(self, birth: date, months: int) -> None:
        anniversary = add_months(birth, months)
        assert age_in_months(birth, anniversary) == months
        assert age_in_months(birth, anniversary - ONE_DAY) == months - 1

    @given(any_dates, any_dates, st.integers(min_value=1, max_value=400))
    def test_age_never_decreases_with_time(self, birth: date, on: date, later: int) -> None:
        assert age_in_months(birth, on) <= age_in_months(birth, on + timedelta(days=later))

    @given(any_dates.filter(lambda d: (d.month, d.day) != (2, 29)), any_dates)
    def test_full_years_is_the_usual_age_when_not_born_on_29_february(
        self, birth: date, on: date
    ) -> None:
        usual = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
        assert full_years(birth, on) == usual
