"""`make docs`: every command's subject and payload schema, and every event a service publishes or
consumes with its payload schema, come from the code; the committed documents are what it generates."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from ketnap.platform.asyncapi import EventMessage, service_document
from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.service import Service
from ketnap.services import all_services
from tests.integration.test_commands import opinion_service

FOLDER = Path(__file__).resolve().parents[2] / "docs" / "asyncapi"
SERVICES = all_services()
BY_NAME = {s.name: s for s in SERVICES}


def document_of(name: str) -> dict:
    return json.loads(service_document(BY_NAME[name], SERVICES))


def events(document: dict, action: str) -> set[str]:
    """The event channels (`ketnap.<deployment>.evt.…`) the document's operations `action` (commands
    and queries are received too)."""
    channels = {o["channel"]["$ref"].removeprefix("#/channels/") for o in document["operations"].values() if o["action"] == action}
    return {c for c in channels if document["channels"].get(c, {}).get("address", "").startswith("ketnap.{deployment}.evt.")}


def receives(document: dict) -> set[str]:
    return events(document, "receive")


def test_each_command_is_documented_with_its_payload_schema() -> None:
    document = json.loads(service_document(opinion_service("demo")))
    assert "demo.cmd.record_opinion" in document["channels"]
    schema = document["components"]["schemas"]["RecordOpinion"]
    assert {"idempotency_key", "actor", "scope", "dossier_id", "seen_version", "summary"} <= set(schema["properties"])
    assert "demo.query.log" in {c["address"] for c in document["channels"].values()}


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_the_committed_document_is_what_the_code_generates(service: Service) -> None:
    committed = FOLDER / f"{service.name}.json"
    assert committed.exists(), f"run `make docs` and commit {committed.name}"
    assert committed.read_text(encoding="utf-8") == service_document(service, SERVICES), f"run `make docs`: {committed.name} is stale"


@pytest.mark.parametrize("service", [s for s in SERVICES if s.events], ids=lambda s: s.name)
def test_every_event_of_a_log_is_published_with_its_schema(service: Service) -> None:
    document = document_of(service.name)
    sent = events(document, "send")
    assert sent == {f"{service.name}.{t}" for t in service.events} and "IntegrityAlarmAcknowledged" in service.events
    for event_type, model in service.events.items():
        channel = document["channels"][f"{service.name}.{event_type}"]
        assert channel["address"] == f"ketnap.{{deployment}}.evt.{service.name}.{event_type}"
        schema = document["components"]["schemas"][f"{service.name}.{event_type}"]
        assert list(schema["properties"]) == list(model.model_json_schema()["properties"])


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_each_event_a_consumer_applies_from_another_log_is_received(service: Service) -> None:
    expected = {
        f"{spec.source}.{t}"
        for spec in service.consumer_specs if spec.source != service.name
        for t in (spec.events if spec.events is not None else BY_NAME[spec.source].events)
    }
    assert receives(document_of(service.name)) == expected


def test_the_services_receive_what_the_contracts_say() -> None:
    assert {"dossiers.ReadyForCellVote", "dossiers.CeremonyHeld", "dossiers.DossierTransferred"} <= receives(document_of("voting"))
    assert {"verification.HistoryCertified", "voting.AdmissionDecided", "voting.RecognitionDecided"} <= receives(document_of("dossiers"))
    assert receives(document_of("registry")) == {"voting.AdmissionDecided", "voting.RecognitionDecided", "voting.NameRemovalDecided"}
    assert {"dossiers.PersonalHistoryDeclared", "dossiers.PersonalHistoryCorrected"} <= receives(document_of("verification"))
    # Reporting's audit timeline has a row for every event of every log it reads.
    every = {f"{s}.{t}" for s in ("registry", "dossiers", "verification", "voting") for t in BY_NAME[s].events}
    assert receives(document_of("reporting")) == every


def test_a_consumed_event_carries_the_publishers_schema_inside_the_recorded_event() -> None:
    document = document_of("voting")
    message = document["components"]["messages"]["dossiers.ReadyForCellVote"]
    envelope, shape = message["payload"]["allOf"]
    assert envelope == {"$ref": "#/components/schemas/EventMessage"}
    assert shape["properties"]["data"] == {"$ref": "#/components/schemas/dossiers.ReadyForCellVote"}
    assert {"dossier_id", "cell", "citizen_id", "ready_on", "rule_set"} <= set(document["components"]["schemas"]["dossiers.ReadyForCellVote"]["properties"])


def test_the_documented_message_is_the_body_the_relay_publishes() -> None:
    assert set(EventMessage.model_fields) == {f.name for f in dataclasses.fields(RecordedEvent)} | {"origin"}


def test_the_contracts_page_names_every_event_that_crosses_and_who_reads_it() -> None:
    """docs/contracts.md keeps no fields (the documents do), only who acts on what: the same as the code says."""
    written: dict[tuple[str, str], set[str]] = {}
    source = ""
    for line in (FOLDER.parent / "contracts.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            source = line.removeprefix("## ").split(" → ")[0]
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            written[(source, cells[0].strip("`"))] = {r.strip() for r in cells[1].split(",") if r.strip()}
    read: dict[tuple[str, str], set[str]] = {}
    for service in SERVICES:
        for spec in service.consumer_specs:
            if spec.source != service.name and spec.events is not None:
                for event_type in spec.events:
                    read.setdefault((spec.source, event_type), set()).add(service.name)
    unread = {key for key, readers in written.items() if not readers}
    assert {key: readers for key, readers in written.items() if readers} == read
    assert all(event_type in BY_NAME[source].events for source, event_type in written)
    assert unread == {(source, t) for source, t in unread if source == "voting"}, "only voting publishes for the audit alone"
