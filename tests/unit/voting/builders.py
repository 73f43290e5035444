"""Rosters, committees, trees and chains for the voting unit tests: plain values, no I/O."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from ketnap.services.voting.admission_case import AdmissionCase
from ketnap.services.voting.events import Ballot
from ketnap.services.voting.roster import Chain, Competence, Membership, MemberStatus, Organisation, OrganisationKind, RosterMember

CELL = "CB-THON-1"
PARTIAL = "DBBP-XA-1"
GRASSROOTS = "DU-XA-1"
UPPER = "DU-PHUONG-1"
PROVINCE = "TU-TINH-1"

READY_ON = date(2025, 9, 1)
MEETING_ON = date(2025, 9, 10)


def citizen(n: int) -> str:
    return f"0019{n:08d}"


def official(n: int, status: MemberStatus = MemberStatus.ACTIVE) -> RosterMember:
    return RosterMember(citizen(n), Membership.OFFICIAL, status)


def probationary(n: int) -> RosterMember:
    return RosterMember(citizen(n), Membership.PROBATIONARY, MemberStatus.ACTIVE)


def roster(officials: int, *extra: RosterMember) -> list[RosterMember]:
    """`officials` active official members numbered 1.., then `extra`."""
    return [official(n) for n in range(1, officials + 1)] + list(extra)


def ballots(agree: Iterable[int] = (), disagree: Iterable[int] = (), abstain: Iterable[int] = ()) -> list[Ballot]:
    return (
        [Ballot(citizen_id=citizen(n), choice="agree") for n in agree]
        + [Ballot(citizen_id=citizen(n), choice="disagree") for n in disagree]
        + [Ballot(citizen_id=citizen(n), choice="abstain") for n in abstain]
    )


def committee(size: int, first: int = 100) -> list[str]:
    return [citizen(n) for n in range(first, first + size)]


def committee_ballots(agree: int, disagree: int = 0, first: int = 100) -> list[Ballot]:
    return ballots(agree=range(first, first + agree), disagree=range(first + agree, first + agree + disagree))


def chain(*, partial: bool = False, grassroots_cell: bool = False) -> Chain:
    """cell → [partial committee →] grassroots committee → upper committee → province."""
    if grassroots_cell:
        return Chain(
            (
                Organisation(CELL, OrganisationKind.GRASSROOTS_CELL, UPPER),
                Organisation(UPPER, OrganisationKind.UPPER_COMMITTEE, PROVINCE),
                Organisation(PROVINCE, OrganisationKind.PROVINCE, None),
            )
        )
    units = [Organisation(CELL, OrganisationKind.CELL, PARTIAL if partial else GRASSROOTS)]
    if partial:
        units.append(Organisation(PARTIAL, OrganisationKind.PARTIAL_COMMITTEE, GRASSROOTS))
    units += [
        Organisation(GRASSROOTS, OrganisationKind.GRASSROOTS_COMMITTEE, UPPER),
        Organisation(UPPER, OrganisationKind.UPPER_COMMITTEE, PROVINCE),
        Organisation(PROVINCE, OrganisationKind.PROVINCE, None),
    ]
    return Chain(tuple(units))


UPPER_DECIDES = Competence(UPPER, OrganisationKind.UPPER_COMMITTEE)
GRASSROOTS_DECIDES = Competence(GRASSROOTS, OrganisationKind.GRASSROOTS_COMMITTEE)


def opened(dossier_id: str | None = None) -> AdmissionCase:
    case = AdmissionCase(dossier_id or uuid.uuid4().hex)
    case.open(cell=CELL, citizen_id=citizen(999), full_name="Nguyễn Văn An", ready_on=READY_ON, dossier_rule_set="2025-07")
    return case


def adopted_by_cell(meeting_on: date = MEETING_ON) -> AdmissionCase:
    case = opened()
    case.record_cell_resolution(cell=CELL, meeting_on=meeting_on, ballots=ballots(agree=range(1, 7)), roster=roster(9))
    return case


def proposed_by_grassroots(meeting_on: date = date(2025, 9, 20)) -> AdmissionCase:
    case = adopted_by_cell()
    case.record_grassroots_resolution(
        organisation=GRASSROOTS, meeting_on=meeting_on, ballots=committee_ballots(7), chain=chain(), committee=committee(9)
    )
    return case


def admitted(decision_date: date = date(2025, 10, 1)) -> AdmissionCase:
    case = proposed_by_grassroots()
    case.decide_admission(
        decided_by=UPPER,
        decision_date=decision_date,
        admitted=True,
        decision_number="123-QĐ/ĐU",
        reason=None,
        competent=UPPER_DECIDES,
        chain=chain(),
    )
    return case


CEREMONY_ON = date(2025, 10, 15)
PROBATION_ENDS_ON = date(2026, 10, 15)


def on_probation(papers: bool = True) -> AdmissionCase:
    case = admitted()
    case.record_cell_notified(received_on=date(2025, 10, 3))
    case.record_ceremony(cell=CELL, held_on=CEREMONY_ON, received_decision_on=date(2025, 10, 3))
    if papers:
        case.record_papers(completed_on=date(2026, 10, 1))
    return case


def event_types(case: AdmissionCase) -> list[str]:
    return [e.event_type for e in case.pending]


def last(case: AdmissionCase, event_type: str) -> dict:
    return [e.data for e in case.pending if e.event_type == event_type][-1]
