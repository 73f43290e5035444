"""A request is overdue after more than N working days without a reply; the reminder names no one."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ketnap.domain.calendar import add_working_days, is_working_day
from ketnap.services.verification.queries import DEFAULT_OVERDUE_WORKING_DAYS, is_overdue, reminder, reply_due_on

SENT = date(2025, 9, 3)


def test_the_default_is_30_working_days() -> None:
    assert DEFAULT_OVERDUE_WORKING_DAYS == 30


def test_a_reply_is_due_on_the_30th_working_day_after_the_request_skipping_national_day() -> None:
    # 02/09 (Quốc khánh) and 01/09 (its extra day) are behind; 30 working days from 03/09/2025.
    due = reply_due_on(SENT, 30)
    assert due == add_working_days(SENT, 30) == date(2025, 10, 15)
    assert not is_overdue(SENT, due, 30)
    assert is_overdue(SENT, due + timedelta(days=1), 30)


def test_over_tet_the_holidays_do_not_count() -> None:
    sent = date(2026, 2, 10)  # Tết Bính Ngọ falls in the following days
    due = reply_due_on(sent, 5)
    assert (due - sent).days > 7
    assert not is_overdue(sent, due, 5)


@given(st.dates(min_value=date(2022, 1, 1), max_value=date(2030, 12, 31)), st.integers(min_value=1, max_value=60))
def test_overdue_exactly_from_the_first_working_day_after_the_due_date(sent: date, n: int) -> None:
    due = reply_due_on(sent, n)
    assert not is_overdue(sent, due, n)
    following = due + timedelta(days=1)
    while not is_working_day(following):
        assert not is_overdue(sent, following, n)
        following += timedelta(days=1)
    assert is_overdue(sent, following, n)


def test_the_reminder_names_organisations_and_dates_only() -> None:
    text = reminder(relation="father", sent_to="UBND-XA-HT", sent_on=SENT, sent_by="DU-01", waiting=31, due_on=date(2025, 10, 15))
    assert text == (
        "Yêu cầu thẩm tra lý lịch (cha đẻ) gửi UBND-XA-HT ngày 03/09/2025 đã 31 ngày làm việc chưa có trả lời "
        "(hạn trả lời 15/10/2025). Đề nghị DU-01 đôn đốc UBND-XA-HT trả lời."
    )
