"""READMIT: what no wait changes (the reason for leaving, an earlier re-admission), then the months
out and the provincial agreement on the cell meeting."""

from __future__ import annotations

from datetime import date

import pytest

from ketnap.domain.rules import RuleCode
from ketnap.domain.rules.readmission import (
    NEVER_READMITTED,
    LeftFor,
    check_former_membership,
    check_readmission_allowed,
    check_readmission_timing,
)


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


class TestAMemberTransferredToAnotherDeployment:
    """A membership here that ended by a transfer out is not leaving the party: READMIT is not
    demanded from that day; the person is still a member (ALREADY_MEMBER), unless a re-admission
    says they left the party there after the transfer."""

    TRANSFERRED = date(2024, 3, 1)

    def test_READMIT_a_person_who_left_the_party_here_is_opened_only_as_a_readmission(self) -> None:
        violation = check_former_membership(left_on=date(2023, 6, 1), transferred_out_on=None, declared_left_on=None)
        assert violation is not None and violation.code is RuleCode.READMIT and violation.details["reason"] == "former_member"
        assert "01/06/2023" in violation.message
        assert check_former_membership(left_on=date(2023, 6, 1), transferred_out_on=None, declared_left_on=date(2023, 6, 1)) is None

    def test_ALREADY_MEMBER_a_member_transferred_out_is_still_a_member_not_a_former_one(self) -> None:
        violation = check_former_membership(left_on=None, transferred_out_on=self.TRANSFERRED, declared_left_on=None)
        assert violation is not None and violation.code is RuleCode.ALREADY_MEMBER
        assert violation.details["reason"] == "transferred_out" and "01/03/2024" in violation.message

    def test_READMIT_after_leaving_the_party_where_they_went_not_before_the_transfer(self) -> None:
        assert check_former_membership(left_on=None, transferred_out_on=self.TRANSFERRED, declared_left_on=date(2025, 1, 1)) is None
        violation = check_former_membership(left_on=None, transferred_out_on=self.TRANSFERRED, declared_left_on=date(2024, 2, 1))
        assert violation is not None and violation.code is RuleCode.READMIT and violation.details["reason"] == "left_before_transfer"

    def test_a_person_the_registry_never_had_is_what_the_officer_declares(self) -> None:
        assert check_former_membership(left_on=None, transferred_out_on=None, declared_left_on=None) is None
        assert check_former_membership(left_on=None, transferred_out_on=None, declared_left_on=date(2020, 1, 1)) is None
