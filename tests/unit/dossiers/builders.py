"""Dossiers walked through their steps with plausible defaults; each test overrides only the fact it is about."""

from __future__ import annotations

from datetime import date
from typing import Any

from ketnap.services.dossiers import events as ev
from ketnap.services.dossiers.dossier import Dossier, RegistryStanding

TODAY = date(2027, 12, 31)
DOSSIER_ID = "0b6f3c2e-5d1a-4e8b-9c7f-1a2b3c4d5e6f"
CELL = "CB-01"
APPLICANT = "001098012345"
HELPER = "001080000001"
INTRODUCER_A = "001075000002"
INTRODUCER_B = "001077000003"
OFFICIAL = RegistryStanding(official=True)
NOT_OFFICIAL = RegistryStanding(official=False)

OPENED_ON = date(2025, 9, 1)
CLASS_ISSUED_ON = date(2025, 8, 1)
LETTER_ON = date(2025, 10, 1)
DECLARED_ON = date(2025, 10, 10)
INTRODUCED_ON = date(2025, 11, 3)
OPINIONS_ON = date(2025, 11, 5)
CERTIFIED_ON = date(2026, 1, 12)
READY_ON = date(2026, 2, 2)
MEETING_ON = date(2026, 2, 10)
DECISION_ON = date(2026, 3, 20)
RECEIVED_ON = date(2026, 3, 25)
CEREMONY_ON = date(2026, 4, 10)


def applicant_facts(birth_date: date = date(1998, 3, 15), **over: Any) -> dict[str, Any]:
    facts = {
        "birth_date": birth_date,
        "gender": "female",
        "ethnicity": "Kinh",
        "religion": "Không",
        "occupation": "Giáo viên",
        "police_officer": False,
        "private_business_owner": False,
    }
    facts.update(over)
    return facts


def qualifications(**over: Any) -> dict[str, Any]:
    facts = {
        "general_education": "upper_secondary",
        "professional_qualification": "university",
        "youth_union_member": True,
        "youth_union_exists": True,
        "area_exemption": None,
        "village_elder_or_head": False,
    }
    facts.update(over)
    return facts


def relatives() -> list[dict[str, Any]]:
    return [
        {
            "subject_id": None,
            "relation": "father",
            "full_name": "Nguyễn Văn Ba",
            "birth_year": 1968,
            "residence_or_work": "Thôn Đông, xã Hợp Thành",
            "responding_organisation": "DU-HT",
            "is_party_member": False,
            "member_citizen_id": None,
            "fully_declared": False,
            "foreign_national": False,
            "adult_with_full_capacity": None,
        },
        {
            "subject_id": None,
            "relation": "mother",
            "full_name": "Trần Thị Tư",
            "birth_year": 1970,
            "residence_or_work": "Thôn Đông, xã Hợp Thành",
            "responding_organisation": "DU-HT",
            "is_party_member": False,
            "member_citizen_id": None,
            "fully_declared": False,
            "foreign_national": False,
            "adult_with_full_capacity": None,
        },
    ]


def introducer(citizen_id: str = INTRODUCER_A, **over: Any) -> ev.Introducer:
    fields: dict[str, Any] = {
        "citizen_id": citizen_id,
        "full_name": "Lê Văn Năm",
        "organisation": CELL,
        "introduced_on": INTRODUCED_ON,
        "acquainted_since": date(2020, 1, 1),
        "replacement": False,
    }
    fields.update(over)
    return ev.Introducer(**fields)


def standing(official: bool = True, in_unit_since: date | None = date(2015, 1, 1)) -> RegistryStanding:
    return RegistryStanding(official=official, in_unit_since=in_unit_since)


def opened(opened_on: date = OPENED_ON) -> Dossier:
    dossier = Dossier(DOSSIER_ID)
    return dossier.then(
        Dossier.open(
            DOSSIER_ID,
            cell=CELL,
            citizen_id=APPLICANT,
            full_name="Nguyễn Thị Hoa",
            opened_on=opened_on,
            helper_citizen_id=HELPER,
            helper=OFFICIAL,
            today=TODAY,
        )
    )


def with_letter(opened_on: date = OPENED_ON, letter_on: date = LETTER_ON) -> Dossier:
    dossier = opened(opened_on)
    return dossier.then(dossier.submit_application_letter(submitted_on=letter_on, today=TODAY))


def declared(
    *,
    birth_date: date = date(1998, 3, 15),
    declared_on: date = DECLARED_ON,
    opened_on: date = OPENED_ON,
    letter_on: date = LETTER_ON,
    **quals: Any,
) -> Dossier:
    dossier = with_letter(opened_on, letter_on)
    return dossier.then(
        dossier.declare_personal_history(
            applicant=applicant_facts(birth_date),
            relatives=relatives(),
            family_planning_case=False,
            qualifications=qualifications(**quals),
            declared_on=declared_on,
            today=TODAY,
        )
    )


def prepared(
    *,
    birth_date: date = date(1998, 3, 15),
    opened_on: date = OPENED_ON,
    letter_on: date = LETTER_ON,
    declared_on: date = DECLARED_ON,
    class_issued_on: date = CLASS_ISSUED_ON,
    introduced_on: date = INTRODUCED_ON,
    certified_on: date | None = CERTIFIED_ON,
    **quals: Any,
) -> Dossier:
    """Every paper in, the history certified: ready to be marked for the cell vote."""
    dossier = declared(birth_date=birth_date, opened_on=opened_on, letter_on=letter_on, declared_on=declared_on, **quals)
    dossier.then(
        dossier.record_class_certificate(
            certificate_number="123/GCN", issued_on=class_issued_on, issued_by="Trung tâm chính trị", today=TODAY
        )
    )
    dossier.then(
        dossier.record_introductions(
            introducers=[introducer(INTRODUCER_A, introduced_on=introduced_on), introducer(INTRODUCER_B, introduced_on=introduced_on)],
            union_resolution=None,
            standings={INTRODUCER_A: standing(), INTRODUCER_B: standing()},
            recorded_on=introduced_on,
            today=TODAY,
        )
    )
    dossier.then(
        dossier.record_opinions(
            opinions=[ev.Opinion(source="residence_cell", given_on=introduced_on, summary="Gương mẫu")],
            today=TODAY,
        )
    )
    if certified_on is not None:
        dossier.then(dossier.on_history_certified(certified_by="DU-HT", certified_on=certified_on))
    return dossier


def ready(meeting_on: date = MEETING_ON, ready_on: date = READY_ON, **facts: Any) -> Dossier:
    dossier = prepared(**facts)
    return dossier.then(dossier.mark_ready_for_cell_vote(ready_on=ready_on, cell_meeting_on=meeting_on, today=TODAY))


def resolved(meeting_on: date = MEETING_ON, **facts: Any) -> Dossier:
    dossier = ready(**facts)
    return dossier.then(
        dossier.on_cell_resolution(adopted=True, meeting_on=meeting_on, agree=8, disagree=1, denominator=9, rule_set="2025-07")
    )


def decided(decision_on: date = DECISION_ON, **facts: Any) -> Dossier:
    dossier = resolved(**facts)
    return dossier.then(
        dossier.on_admission_decided(decided_by="DU-HT", decision_number="45-QĐ/ĐU", decision_date=decision_on, rule_set="2025-07")
    )


def received(received_on: date = RECEIVED_ON, **facts: Any) -> Dossier:
    dossier = decided(**facts)
    return dossier.then(dossier.on_cell_notified(received_on=received_on))


def in_probation(ceremony_on: date = CEREMONY_ON, **facts: Any) -> Dossier:
    dossier = received(**facts)
    return dossier.then(
        dossier.record_ceremony(
            held_on=ceremony_on,
            helper_citizen_id=HELPER,
            helper=OFFICIAL,
            received_decision_on=None,
            upper_committee_agreed_delay=False,
            today=TODAY,
        )
    )


def with_new_member_class(issued_on: date = date(2026, 8, 1), **facts: Any) -> Dossier:
    dossier = in_probation(**facts)
    return dossier.then(
        dossier.record_new_member_class(
            certificate_number="77/GCN", issued_on=issued_on, issued_by="Trung tâm chính trị", today=TODAY
        )
    )
