"""Lock-out after repeated wrong passwords: when a login may be tried again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ketnap.services.gateway.web.session import LOCK_WINDOW, MAX_FAILURES, csrf_token, locked_until

NOW = datetime(2025, 9, 5, 10, 0, tzinfo=UTC)


def failures(count: int, last: datetime = NOW, step: timedelta = timedelta(minutes=1)) -> list[tuple[bool, datetime]]:
    return [(False, last - step * (count - 1 - i)) for i in range(count)]


def test_five_failures_lock_the_login_for_fifteen_minutes_after_the_last() -> None:
    assert locked_until(failures(MAX_FAILURES - 1), NOW) is None
    assert locked_until(failures(MAX_FAILURES), NOW) == NOW + LOCK_WINDOW
    assert locked_until(failures(MAX_FAILURES), NOW + LOCK_WINDOW) is None


def test_a_sign_in_clears_the_failures_before_it_and_old_failures_do_not_count() -> None:
    signed = [*failures(4, NOW - timedelta(minutes=2)), (True, NOW - timedelta(minutes=1)), (False, NOW)]
    assert locked_until(signed, NOW) is None
    spread = failures(MAX_FAILURES, NOW, step=timedelta(minutes=5))  # the first is 20 minutes old
    assert locked_until(spread, NOW) is None


def test_a_csrf_token_belongs_to_its_browsers_secret() -> None:
    assert csrf_token("a") == csrf_token("a") != csrf_token("b")
    assert len(csrf_token("a")) == 64
