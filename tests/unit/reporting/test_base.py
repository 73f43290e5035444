"""Reading other services' events: tolerant of extra fields, silent on unknown types, and never
putting personal data in a dead letter's reason."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from ketnap.platform.bus.consumer import Unapplicable
from ketnap.platform.envelope import RecordedEvent
from ketnap.services.reporting.admissions import AdmissionDecided, Admissions
from ketnap.services.reporting.base import business_date, parse, person_key, text
from ketnap.services.reporting.service import build_service


def recorded(event_type: str, data: dict[str, Any], position: int = 7) -> RecordedEvent:
    return RecordedEvent(position, "voting-x", 1, uuid.uuid4(), event_type, 1, data, "thu-ky", "CB-01", None, None,
                         datetime.now(UTC), "0" * 64, "1" * 64)


DECIDED = {
    "dossier_id": "x", "citizen_id": "001203004567", "full_name": "Nguyễn Văn An", "organisation": "CB-01", "decided_by": "HU-01",
    "decision_number": "12-QĐ/HU", "decision_date": "2025-03-10", "rule_set": "2025-01",
}


def test_extra_fields_are_ignored() -> None:
    parsed = parse(AdmissionDecided, recorded("AdmissionDecided", {**DECIDED, "added_later": {"anything": 1}}))
    assert (parsed.organisation, parsed.decision_date) == ("CB-01", date(2025, 3, 10))


def test_an_event_that_does_not_fit_names_fields_not_values() -> None:
    data = {**DECIDED, "decision_date": "10/03/2025"}
    del data["organisation"]
    with pytest.raises(Unapplicable) as raised:
        parse(AdmissionDecided, recorded("AdmissionDecided", data))
    reason = str(raised.value)
    assert "organisation: missing" in reason and "decision_date: date_from_datetime_parsing" in reason
    assert "10/03/2025" not in reason and "001203004567" not in reason and "Nguyễn" not in reason


ADMISSION_COLUMNS = [("dossier_id", "text"), ("cell", "text"), ("decided_by", "text"), ("decision_number", "text"),
                     ("decision_date", "date"), ("rule_set", "text"), ("position", "bigint")]


class FakeConnection:
    """The admissions table, empty: its columns when asked, no rows."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, tuple]] = []

    async def execute(self, statement: str, *args: Any) -> None:
        self.statements.append((statement, args))

    async def fetch(self, query: str, *args: Any) -> list[dict[str, str]]:
        return [{"attname": name, "type": type_} for name, type_ in ADMISSION_COLUMNS] if "pg_attribute" in query else []


async def test_unknown_event_types_and_other_logs_are_ignored() -> None:
    projection = Admissions("reporting", {"voting": "t_votes"})
    conn = FakeConnection()
    await projection.apply(conn, "reporting", recorded("AdmissionDecidedV9", DECIDED), "t_votes")  # type: ignore[arg-type]
    await projection.apply(conn, "reporting", recorded("AdmissionDecided", DECIDED), "t_other")  # type: ignore[arg-type]
    assert conn.statements == []
    await projection.apply(conn, "reporting", recorded("AdmissionDecided", DECIDED), "t_votes")  # type: ignore[arg-type]
    assert len(conn.statements) == 1 and conn.statements[0][1][:2] == (["x"], ["CB-01"])


def test_the_service_names_its_projections_and_sources() -> None:
    service = build_service("t_rep", {"registry": "t_reg", "voting": "t_vot"})
    assert {p.name: p.sources for p in service.projections}["t_rep.deadlines"] == ("dossiers", "t_vot")
    assert {spec.source for spec in service.consumer_specs} == {"t_reg", "dossiers", "verification", "t_vot"}
    assert [q.subject for q in service.queries] == [
        "t_rep.query.integrity_alarms",  # every service's, from the runtime
        "t_rep.query.quota", "t_rep.query.stats", "t_rep.query.stats_by_unit", "t_rep.query.pipeline", "t_rep.query.classes",
        "t_rep.query.several_dossiers", "t_rep.query.white_zones",
        "t_rep.query.deadlines", "t_rep.query.ratings", "t_rep.query.audit_history",
    ]
    with pytest.raises(ValueError, match="unknown source roles"):
        build_service("t_rep", {"gateway": "x"})


def test_values() -> None:
    assert text("  nông   dân ") == "nông dân"
    assert text("Nguye\u0302\u0303n") == "Nguyễn" and text("   ") is None and text(None) is None
    assert person_key("001203004567") == person_key(" 001203004567 ") != person_key("001203004568")
    assert "001203004567" not in person_key("001203004567")
    assert business_date({"decision_date": "2025-03-10", "dossier_id": "x"}) == date(2025, 3, 10)
    assert business_date({"on": "not a date", "held_on": "2025-04-15"}) == date(2025, 4, 15)
    assert business_date({"subjects": []}) is None
