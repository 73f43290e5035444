"""Reading the registry's replies (docs/registry.md) into the values the voting rules use."""

from __future__ import annotations

from ketnap.services.voting.registry_client import _read_chain, _read_competence, _read_member
from ketnap.services.voting.roster import Membership, MemberStatus, OrganisationKind


def test_a_temporary_transfer_reads_as_temporarily_transferred_out() -> None:
    member = _read_member({"citizen_id": "001234567890", "kind": "official", "status": "transferred_out"})
    assert (member.membership, member.status) == (Membership.OFFICIAL, MemberStatus.TEMPORARILY_TRANSFERRED_OUT)
    assert _read_member({"citizen_id": "001234567891", "kind": "probationary", "status": "active"}).membership is Membership.PROBATIONARY


def test_the_organisation_reply_gives_the_whole_chain_nearest_first() -> None:
    chain = _read_chain(
        {
            "code": "C1", "kind": "cell", "parent": "P1",
            "ancestors": [
                {"code": "P1", "name": "x", "kind": "partial_committee"},
                {"code": "G1", "name": "x", "kind": "grassroots_committee"},
                {"code": "H1", "name": "x", "kind": "upper_committee"},
            ],
        }
    )
    assert [(u.code, u.parent) for u in chain.units] == [("C1", "P1"), ("P1", "G1"), ("G1", "H1"), ("H1", None)]
    assert (chain.partial_committee, chain.grassroots_committee) == ("P1", "G1")
    assert chain.committee_above("C1") == "G1" and chain.committee_above("G1") == "H1"
    assert chain.is_committee_above_cell("H1") and not chain.is_committee_above_cell("P1")


def test_the_competent_authority_and_whether_it_is_an_authorised_grassroots_committee() -> None:
    competent = _read_competence({"organisation": "G1", "name": "x", "kind": "grassroots_committee", "authorised_by": None})
    assert competent.organisation == "G1" and competent.kind is OrganisationKind.GRASSROOTS_COMMITTEE and competent.is_grassroots
    assert not _read_competence({"organisation": "H1", "kind": "upper_committee"}).is_grassroots
