"""The events voting publishes are in its AsyncAPI document and in docs/contracts.md, and the
dossiers events it consumes read exactly the fields the dossiers service publishes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ketnap.services.voting.events import PUBLISHED_TYPES, CeremonyHeld, ReadyForCellVote, RecognitionPapersCompleted

DOCS = Path(__file__).resolve().parents[3] / "docs"


def _schema(service: str, event_type: str) -> set[str]:
    document = json.loads((DOCS / "asyncapi" / f"{service}.json").read_text(encoding="utf-8"))
    return set(document["components"]["schemas"][f"{service}.{event_type}"]["properties"])


def test_every_published_event_is_a_contract_with_its_fields_documented() -> None:
    section = (DOCS / "contracts.md").read_text(encoding="utf-8").split("## voting → ", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `(\w+)`", section, flags=re.MULTILINE))
    assert {cls.__name__ for cls in PUBLISHED_TYPES} <= listed
    for cls in PUBLISHED_TYPES:
        assert _schema("voting", cls.__name__) == set(cls.model_fields)


@pytest.mark.parametrize(
    ("model", "event_type"),
    [(ReadyForCellVote, "ReadyForCellVote"), (CeremonyHeld, "CeremonyHeld"), (RecognitionPapersCompleted, "RecognitionPapersCompleted")],
)
def test_the_consumed_dossier_events_read_the_contract_fields(model, event_type: str) -> None:  # noqa: ANN001
    assert set(model.model_fields) == _schema("dossiers", event_type)


def test_every_voting_event_another_service_reads_is_published_and_tagged_so() -> None:
    """Another service reads voting's published events only, never its own record (issue 18: reporting's
    ceremony deadline read `CeremonyDelayAgreed` while it was voting's own record)."""
    from ketnap.platform.asyncapi import OWN_RECORD_TAG, PUBLISHED_TAG
    from ketnap.services import all_services
    from ketnap.services.voting.events import EVENT_TYPES

    published = {cls.__name__ for cls in PUBLISHED_TYPES}
    read_elsewhere = {
        event_type
        for service in all_services() if service.name != "voting"
        for spec in service.consumer_specs if spec.source == "voting" and spec.events is not None
        for event_type in spec.events
    }
    assert "CeremonyDelayAgreed" in read_elsewhere
    assert read_elsewhere <= published, read_elsewhere - published
    messages = json.loads((DOCS / "asyncapi" / "voting.json").read_text(encoding="utf-8"))["components"]["messages"]
    for event_type in EVENT_TYPES:
        tag = PUBLISHED_TAG if event_type in published else OWN_RECORD_TAG
        assert messages[f"voting.{event_type}"]["tags"] == [{"name": tag}], event_type
