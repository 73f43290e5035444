"""Validation at the edge: citizen ids, names, dates, text sizes, and nothing sensitive in a repr."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from ketnap.services.dossiers import commands as cmd
from ketnap.services.dossiers import events as ev
from tests.unit.dossiers import builders as b

BASE = {"idempotency_key": "key-00000001", "actor": "officer-1", "scope": "CB-01"}


def open_command(**over: Any) -> cmd.OpenDossier:
    body = {**BASE, "cell": "CB-01", "citizen_id": b.APPLICANT, "full_name": "Nguyễn Thị Hoa", "opened_on": "2025-09-01",
            "helper_citizen_id": b.HELPER}
    body.update(over)
    return cmd.OpenDossier.model_validate(body)


def declaration(**over: Any) -> dict[str, Any]:
    body = {
        **BASE,
        "dossier_id": b.DOSSIER_ID,
        "declared_on": "2025-10-10",
        "applicant": {"birth_date": "1998-03-15", "gender": "female", "ethnicity": "Kinh", "religion": "Không", "occupation": "Giáo viên"},
        "relatives": [
            {"relation": "father", "full_name": "Nguyễn Văn Ba", "birth_year": 1968, "residence_or_work": "Hợp Thành"},
        ],
        "qualifications": {"general_education": "upper_secondary", "professional_qualification": "university", "youth_union_member": True},
    }
    body.update(over)
    return body


def problems(error: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {".".join(str(p) for p in e["loc"]) for e in error.value.errors()}


@pytest.mark.parametrize("citizen_id", ["00109801234", "0010980123456", "00109801234a", 1098012345, "", "001 098 012 345"])
def test_a_citizen_id_is_exactly_12_digits(citizen_id: Any) -> None:
    with pytest.raises(ValidationError) as error:
        open_command(citizen_id=citizen_id)
    assert problems(error) == {"citizen_id"}
    assert "12" in str(error.value)


def test_a_name_typed_in_nfd_with_stray_spaces_is_the_same_name() -> None:
    typed = "  " + unicodedata.normalize("NFD", "Nguyễn   Thị  Hoa") + " "
    assert open_command(full_name=typed).full_name == "Nguyễn Thị Hoa"
    assert unicodedata.is_normalized("NFC", open_command(full_name=typed).full_name)


@pytest.mark.parametrize("value", ["01/09/2025", "2025-13-01", "2025-02-30", "2025-9-1", 1756684800, "2025-09-01T00:00:00", None])
def test_dates_are_calendar_days_written_yyyy_mm_dd(value: Any) -> None:
    with pytest.raises(ValidationError) as error:
        open_command(opened_on=value)
    assert problems(error) == {"opened_on"}


def test_oversized_text_and_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError) as error:
        open_command(full_name="x" * 101)
    assert problems(error) == {"full_name"}
    with pytest.raises(ValidationError) as error:
        cmd.Reject.model_validate({**BASE, "dossier_id": b.DOSSIER_ID, "on": "2025-10-01", "reason": "y" * 2001})
    assert problems(error) == {"reason"}
    with pytest.raises(ValidationError) as error:
        open_command(colour="đỏ")
    assert problems(error) == {"colour"}


def test_a_chosen_dossier_id_must_be_a_uuid() -> None:
    assert open_command(dossier_id=b.DOSSIER_ID.upper()).dossier_id == b.DOSSIER_ID
    with pytest.raises(ValidationError, match="UUID"):
        open_command(dossier_id="hồ-sơ-1")


def test_the_relatives_are_declared_consistently() -> None:
    father = {"relation": "father", "full_name": "A", "birth_year": 1968, "residence_or_work": "X"}
    with pytest.raises(ValidationError, match="một người cho mỗi quan hệ") as error:
        cmd.DeclarePersonalHistory.model_validate(declaration(relatives=[father, father]))
    assert problems(error) == {"relatives"}
    with pytest.raises(ValidationError, match="cha, mẹ phải trước"):
        cmd.DeclarePersonalHistory.model_validate(declaration(relatives=[{**father, "birth_year": 2000}]))
    with pytest.raises(ValidationError, match="Với con"):
        cmd.DeclarePersonalHistory.model_validate(
            declaration(relatives=[{"relation": "child", "full_name": "B", "birth_year": 2020, "residence_or_work": "X"}])
        )
    with pytest.raises(ValidationError, match="relatives"):
        cmd.DeclarePersonalHistory.model_validate(declaration(relatives=[father] * 41))
    declared = cmd.DeclarePersonalHistory.model_validate(declaration())
    assert declared.qualifications.general_education == "upper_secondary"


def test_the_personal_history_never_shows_in_a_repr_or_a_log_line() -> None:
    declared = cmd.DeclarePersonalHistory.model_validate(declaration())
    event = ev.PersonalHistoryDeclared(
        dossier_id=b.DOSSIER_ID, cell="CB-01",
        applicant=ev.DeclaredApplicant(citizen_id=b.APPLICANT, full_name="Nguyễn Thị Hoa", **b.applicant_facts()),
        relatives=[], family_planning_case=False, declared_on=date(2025, 10, 10),
    )
    for text in (repr(declared), str(declared), repr(event)):
        for secret in ("1998", "Không", "Kinh", "Giáo viên", "Nguyễn Văn Ba"):
            assert secret not in text


def test_every_command_and_event_model_forbids_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        ev.DossierWithdrawn.model_validate({"dossier_id": "x", "cell": "c", "on": "2025-01-01", "reason": "r"})
