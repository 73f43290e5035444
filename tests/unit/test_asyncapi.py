"""`make docs`: every command's subject and payload schema come from the code."""

from __future__ import annotations

import json

from ketnap.platform.asyncapi import service_document
from tests.integration.test_commands import opinion_service


def test_each_command_is_documented_with_its_payload_schema() -> None:
    document = json.loads(service_document(opinion_service("demo")))
    assert "demo.cmd.record_opinion" in document["channels"]
    schema = document["components"]["schemas"]["RecordOpinion"]
    assert {"idempotency_key", "actor", "scope", "dossier_id", "seen_version", "summary"} <= set(schema["properties"])
    assert "demo.query.log" in {c["address"] for c in document["channels"].values()}
