"""What the voting chain learns from the dossiers service's log: a dossier is ready for the cell's vote,
the ceremony was held, the recognition papers are complete, the dossier moved, paused or ended.

Each fact is recorded in the chain's own stream inside the consumer's transaction, so the record
and the consumer's checkpoint commit together; its event id is derived from the source event's,
so even a replay past the checkpoint records it once. The chain is read from every voting log this
deployment holds (`case_log`): a dossier made ready again after a refusal decided above must see
that refusal to start the chain anew.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import asyncpg

from ketnap.platform.envelope import EventMetadata, RecordedEvent
from ketnap.platform.eventstore.store import ANY_VERSION
from ketnap.platform.logging import get_logger
from ketnap.services.voting.admission_case import AdmissionCase
from ketnap.services.voting.case_log import CaseLog
from ketnap.services.voting.events import (
    CeremonyHeld,
    DossierStateChanged,
    DossierTransferred,
    ReadyForCellVote,
    RecognitionPapersCompleted,
)

log = get_logger(__name__)

_FROM_DOSSIERS = uuid.UUID("0b8f7a52-6c1e-4d8e-9a57-2f0e6f3c9d41")


def _apply(case: AdmissionCase, event: RecordedEvent) -> bool:
    """Record the fact on the case; False when it changes nothing (a repeat, an unrelated event)."""
    match event.event_type:
        case "ReadyForCellVote":
            ready = ReadyForCellVote.model_validate(event.data)
            return case.open(
                cell=ready.cell,
                citizen_id=ready.citizen_id,
                full_name=ready.full_name,
                ready_on=ready.ready_on,
                dossier_rule_set=ready.rule_set,
            )
        case "CeremonyHeld":
            held = CeremonyHeld.model_validate(event.data)
            return case.record_ceremony(cell=held.cell, held_on=held.held_on, received_decision_on=held.received_decision_on)
        case "RecognitionPapersCompleted":
            papers = RecognitionPapersCompleted.model_validate(event.data)
            return case.record_papers(completed_on=papers.completed_on)
        case "DossierTransferred":
            moved = DossierTransferred.model_validate(event.data)
            return case.transfer(from_cell=moved.from_cell, to_cell=moved.to_cell, on=moved.on)
        case "DossierSuspended":
            return case.suspend(on=DossierStateChanged.model_validate(event.data).on)
        case "DossierResumed":
            return case.resume(on=DossierStateChanged.model_validate(event.data).on)
        case "DossierWithdrawn":
            return case.close(on=DossierStateChanged.model_validate(event.data).on, why="withdrawn")
        case "DossierRejected":
            return case.close(on=DossierStateChanged.model_validate(event.data).on, why="rejected")
    return False


RELEVANT = frozenset(
    {
        "ReadyForCellVote",
        "CeremonyHeld",
        "RecognitionPapersCompleted",
        "DossierTransferred",
        "DossierSuspended",
        "DossierResumed",
        "DossierWithdrawn",
        "DossierRejected",
    }
)


def dossier_facts(cases: CaseLog, source: str) -> Callable[[asyncpg.Connection, RecordedEvent], Awaitable[None]]:
    async def apply(conn: asyncpg.Connection, event: RecordedEvent) -> None:
        if event.event_type not in RELEVANT:
            return
        dossier_id = event.data.get("dossier_id")
        if not isinstance(dossier_id, str):
            # The runner dead-letters a validation error with its reason.
            ReadyForCellVote.model_validate(event.data)
            return
        case = await cases.load(dossier_id, connection=conn)
        if not _apply(case, event):
            return
        (fact,) = case.pending
        fact = fact.model_copy(update={"event_id": uuid.uuid5(_FROM_DOSSIERS, f"{source}:{event.event_id}")})
        # A command may append to the same chain meanwhile: this fact happened regardless, so it
        # goes at whatever version the chain has reached; the command then retries on a conflict.
        await cases.store.append(
            case.stream_id,
            ANY_VERSION,
            [fact],
            EventMetadata(
                actor=f"{source}-service",
                organisation=event.organisation,
                correlation_id=event.correlation_id or event.event_id,
                causation_id=event.event_id,
            ),
            connection=conn,
        )
        log.info("dossier fact recorded", source_position=event.position, fact=fact.event_type)

    return apply
