"""Where an act on a case is recorded when the tree spans several deployments (issue #9)."""

from __future__ import annotations

from ketnap.domain.rules import RuleCode
from ketnap.services.voting.roster import Chain, Organisation, OrganisationKind
from ketnap.services.voting.rules import check_recorded_here

# A province deployment established TU, the former district HU and the commune committee XA (the
# lower deployment's root); the commune's deployment established the cell below XA.
CHAIN = Chain(
    (
        Organisation("CB", OrganisationKind.CELL, "XA"),
        Organisation("XA", OrganisationKind.GRASSROOTS_COMMITTEE, "HU"),
        Organisation("HU", OrganisationKind.UPPER_COMMITTEE, "TU"),
        Organisation("TU", OrganisationKind.PROVINCE, None),
    )
)
BELOW = {"CB"}
ABOVE = {"XA", "HU", "TU"}


def test_a_body_works_where_the_unit_just_below_it_was_established() -> None:
    assert [CHAIN.venue_of(code) for code in ("CB", "XA", "HU", "TU")] == ["CB", "CB", "XA", "HU"]
    assert CHAIN.venue_of("ELSEWHERE") is None


def test_the_cell_and_the_lower_root_act_below_the_committees_above_them_act_above() -> None:
    for body in ("CB", "XA"):
        assert check_recorded_here(CHAIN, body, BELOW) is None
        assert check_recorded_here(CHAIN, body, ABOVE) is not None
    for body in ("HU", "TU"):
        assert check_recorded_here(CHAIN, body, ABOVE) is None
        assert check_recorded_here(CHAIN, body, BELOW) is not None


def test_an_act_refused_here_says_so_with_the_authority_rule() -> None:
    refused = check_recorded_here(CHAIN, "HU", BELOW)
    assert refused is not None and refused.code is RuleCode.AUTHORITY
    assert "HU" in refused.message and "cấp triển khai khác" in refused.message
    assert dict(refused.details) == {"organisation": "HU", "recorded_in": "another_deployment"}


def test_a_body_off_the_chain_is_left_to_the_authority_check_of_the_decision() -> None:
    assert check_recorded_here(CHAIN, "OTHER", set()) is None


def test_in_a_single_deployment_every_body_acts_here() -> None:
    everything = {"CB", "XA", "HU", "TU"}
    assert all(check_recorded_here(CHAIN, body, everything) is None for body in everything)
