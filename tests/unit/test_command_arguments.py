"""`arguments_of`: a command's own fields as the keyword arguments of the aggregate method that
decides it (the dossiers and voting handlers pass them on instead of naming each)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from ketnap.platform.commands import Command, arguments_of


class Ballot(BaseModel):
    citizen_id: str
    choice: str


class RecordVote(Command):
    dossier_id: str
    meeting_on: date
    ballots: list[Ballot]


def test_the_platform_fields_and_those_left_out_are_not_arguments_and_values_stay_as_they_are() -> None:
    ballots = [Ballot(citizen_id="001098055555", choice="agree")]
    command = RecordVote(idempotency_key="key-00001", actor="officer-1", scope="CB-01", dossier_id="d-1",
                         meeting_on=date(2025, 9, 10), ballots=ballots)

    assert arguments_of(command, "dossier_id") == {"meeting_on": date(2025, 9, 10), "ballots": ballots}
    assert list(arguments_of(command)) == ["dossier_id", "meeting_on", "ballots"]
