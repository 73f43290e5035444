"""Declared personal histories shaped like the dossiers contract (`PersonalHistoryDeclared` data)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from ketnap.services.verification.events import PersonalHistoryDeclared


def relative(subject_id: str, relation: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subject_id": subject_id,
        "relation": relation,
        "full_name": f"Người thân {subject_id}",
        "birth_year": 1970,
        "residence_or_work": "Thôn Đông, xã Hợp Thành",
        "responding_organisation": f"ORG-{subject_id}",
        "is_party_member": False,
        "member_citizen_id": None,
        "fully_declared": False,
        "foreign_national": False,
        "adult_with_full_capacity": None,
    }
    body.update(fields)
    return body


def member(subject_id: str, relation: str, citizen_id: str = "001170000001", **fields: Any) -> dict[str, Any]:
    """A relative who is a party member and declared fully: may be cross-checked."""
    values = {"is_party_member": True, "fully_declared": True, "member_citizen_id": citizen_id,
              "responding_organisation": "CB-MEMBER"}
    values.update(fields)
    return relative(subject_id, relation, **values)


def declared(
    *relatives: dict[str, Any],
    dossier_id: str | None = None,
    cell: str = "CB-01",
    declared_on: date = date(2025, 9, 1),
    family_planning_case: bool = False,
    **applicant: Any,
) -> dict[str, Any]:
    person: dict[str, Any] = {
        "citizen_id": "001203004567",
        "full_name": "Nguyễn Văn An",
        "birth_date": "2000-05-01",
        "gender": "nam",
        "ethnicity": "Kinh",
        "religion": "Không",
        "occupation": "giáo viên",
        "police_officer": False,
        "private_business_owner": False,
    }
    person.update(applicant)
    return {
        "dossier_id": dossier_id or str(uuid.uuid4()),
        "cell": cell,
        "applicant": person,
        "relatives": list(relatives),
        "family_planning_case": family_planning_case,
        "declared_on": declared_on.isoformat(),
    }


def history(*relatives: dict[str, Any], **fields: Any) -> PersonalHistoryDeclared:
    return PersonalHistoryDeclared.model_validate(declared(*relatives, **fields))


FAMILY = (
    relative("r-father", "father"),
    relative("r-mother", "mother"),
    relative("r-fil", "father_in_law"),
    relative("r-mil", "mother_in_law"),
    relative("r-spouse", "spouse"),
    relative("r-child-adult", "child", adult_with_full_capacity=True),
    relative("r-child-minor", "child", adult_with_full_capacity=False),
    relative("r-grandfather", "grandfather"),
    relative("r-sister", "sibling"),
)
"""A whole family: seven required relations declared, a minor child, a grandparent and a sibling."""
