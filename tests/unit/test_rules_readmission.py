"""READMIT: what no wait changes (the reason for leaving, an earlier re-admission), then the months
out and the provincial agreement on the cell meeting."""

from __future__ import annotations

from datetime import date

import pytest

from ketnap.domain.rules import RuleCode
from ketnap.domain.rules.readmission import NEVER_READMITTED, LeftFor, check_readmission_allowed, check_readmission_timing


@pytest.mark.parametrize("left_for", sorted(NEVER_READMITTED))
def test_READMIT_never_after_leaving_for_an_excluded_reason(left_for: LeftFor) -> None:
    violation = check_readmission_allowed(left_for, readmitted_before=False)
    assert violation is not None and violation.code is RuleCode.READMIT and violation.details["reason"] == "never_for_this_reason"


def test_READMIT_only_once() -> None:
    assert check_readmission_allowed(LeftFor.NAME_REMOVED, readmitted_before=False) is None
    violation = check_readmission_allowed(LeftFor.EXPELLED, readmitted_before=True)
    assert violation is not None and violation.details["reason"] == "readmitted_before"


def timing(meeting: date, left_for: LeftFor = LeftFor.NAME_REMOVED, cleared: date | None = None, agreed: date | None = date(2026, 5, 1)):
    return check_readmission_timing(date(2023, 6, 1), left_for, meeting, conviction_cleared_on=cleared, provincial_agreement_on=agreed,
                                    agreements_due_by=date(2026, 6, 2))


def test_READMIT_36_months_out_counted_to_the_day() -> None:
    assert timing(date(2026, 5, 31)).details["reason"] == "too_soon"
    assert timing(date(2026, 6, 1)) is None


def test_READMIT_60_months_after_a_minor_conviction_is_cleared() -> None:
    assert timing(date(2026, 6, 10), LeftFor.MINOR_CONVICTION).details["reason"] == "conviction_not_cleared"
    assert timing(date(2026, 6, 10), LeftFor.MINOR_CONVICTION, cleared=date(2021, 6, 11)).details["reason"] == "too_soon_after_conviction"
    assert timing(date(2026, 6, 10), LeftFor.MINOR_CONVICTION, cleared=date(2021, 6, 10)) is None


def test_READMIT_needs_the_provincial_agreement_by_the_day_the_dossier_goes_to_the_vote() -> None:
    assert timing(date(2026, 6, 10), agreed=None).details["reason"] == "no_provincial_agreement"
    assert timing(date(2026, 6, 10), agreed=date(2026, 6, 3)).details["reason"] == "no_provincial_agreement"
    assert timing(date(2026, 6, 10), agreed=date(2026, 6, 2)) is None
