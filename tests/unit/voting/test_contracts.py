"""The events voting publishes have exactly the fields of docs/contracts.md, and the ones it consumes parse."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ketnap.services.voting.events import PUBLISHED_TYPES, CeremonyHeld, ReadyForCellVote, RecognitionPapersCompleted

CONTRACTS = Path(__file__).resolve().parents[3] / "docs" / "contracts.md"


def _section(title: str) -> dict[str, set[str]]:
    text = CONTRACTS.read_text(encoding="utf-8")
    body = text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]
    table: dict[str, set[str]] = {}
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or not cells[0].startswith("`"):
            continue
        names = re.findall(r"`(\w+)`", cells[0])
        # "entitled: [citizen_id]", "organisation (the cell)": the field is the first word.
        fields = {re.match(r"\w+", part.strip()).group(0) for part in re.split(r",(?![^\[{(]*[\]})])", cells[1])}
        for name in names:
            table[name] = fields
    return table


def test_every_published_event_has_exactly_the_contract_fields() -> None:
    contract = _section("voting → dossiers, registry, reporting")
    ours = {cls.__name__: set(cls.model_fields) for cls in PUBLISHED_TYPES}
    assert ours == contract


@pytest.mark.parametrize(
    ("model", "event_type"),
    [(ReadyForCellVote, "ReadyForCellVote"), (CeremonyHeld, "CeremonyHeld"), (RecognitionPapersCompleted, "RecognitionPapersCompleted")],
)
def test_the_consumed_dossier_events_read_the_contract_fields(model, event_type: str) -> None:  # noqa: ANN001
    contract = _section("dossiers → verification, voting, reporting")
    assert set(model.model_fields) == contract[event_type]
