"""The dossier aggregate (hồ sơ kết nạp đảng viên): the state machine of one applicant's steps.

Each officer's command is a method that checks the step, the dates and the rules of that step and
returns the events to record, or raises a `DomainError` before anything is recorded. The facts
another service decided (verification, voting) arrive through the `on_*` methods called by the
process manager: they are recorded even while the dossier is paused, because they happened; an
impossible one raises `OutOfStep`. The aggregate never does I/O: what the registry says arrives as
plain values.

One class, `Dossier`, written in one module per stage of the road, so that each step's rules,
events and state changes read together:

- `state`: what a dossier holds, the replay of its stream, the guards every step passes first;
- `refusals`: the errors, the rule set a check runs under, the checks of dates;
- `preparation`: steps 1 to 7, from the source list to the opinions;
- `vote_and_decision`: steps 8 to 11, to the cell's vote and the admission decision;
- `probation`: steps 12 to 15, from the ceremony to the recognition as an official member;
- `endings`: withdrawal, rejection, suspension, transfer, and the name removal.

Each stage is a mixin over `DossierState`; `Dossier` combines them, and callers import everything
from here.
"""

from __future__ import annotations

from ketnap.services.dossiers.dossier.endings import Endings
from ketnap.services.dossiers.dossier.preparation import Preparation
from ketnap.services.dossiers.dossier.probation import Probation
from ketnap.services.dossiers.dossier.refusals import (
    DateOutOfOrder,
    DossierClosed,
    DossierOnHold,
    IncompleteDossier,
    OutOfStep,
    StaleVersion,
    StepTaken,
    WrongStep,
    raise_violation,
    rules_in_force,
)
from ketnap.services.dossiers.dossier.state import RegistryStanding, TimelineEntry
from ketnap.services.dossiers.dossier.vote_and_decision import VoteAndDecision


class Dossier(Preparation, VoteAndDecision, Probation, Endings):
    """One applicant's dossier, rebuilt from its stream."""


__all__ = [
    "DateOutOfOrder",
    "Dossier",
    "DossierClosed",
    "DossierOnHold",
    "IncompleteDossier",
    "OutOfStep",
    "RegistryStanding",
    "StaleVersion",
    "StepTaken",
    "TimelineEntry",
    "WrongStep",
    "raise_violation",
    "rules_in_force",
]
