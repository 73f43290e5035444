"""The process manager: what verification and voting decide moves each dossier on.

One consumer per source log (the platform's runner: each source event once in effect, in order,
checkpoint in the same transaction). For each event it cares about it loads the dossier on the
consumer's own connection, lets the aggregate turn the fact into dossier events, and appends them
with `connection=conn` at the version it read, so the effect and the checkpoint commit together.
Event ids derive from the source event's id.
A source event already applied (its first derived id is in the stream) is skipped, so a reset
checkpoint never doubles an effect. A dossier edited by an officer in between is a version
conflict: the transaction rolls back and the message is redelivered. An event that can never fit (unknown dossier, impossible step) is
dead-lettered with its reason, which names no person.

Many levels (docs/dossiers.md): the same voting reactions follow the voting logs kept from the
linked deployments, where decisions taken above about this deployment's dossiers are recorded.
A voting log may also hold decisions about dossiers that live in another deployment: a kept log
always may, and this deployment's own log may when dossiers live below (the committees here
decide for the deployments below). Such a decision, about a dossier unknown here, is skipped
quietly; only a single deployment's own voting log still dead-letters an unknown dossier. A
decision from a kept log that does not fit the dossier's step is retried, not dead-lettered,
while this deployment's own voting log has acts the process manager has not applied yet: the
decision above was taken on those acts, which may simply not have been applied here yet.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
import pydantic
from pydantic import BaseModel, ConfigDict

from ketnap.domain.calendar import VIETNAM
from ketnap.platform.bus.consumer import EventHandler, Unapplicable, WaitingForEarlierActs, earlier_act_pending
from ketnap.platform.envelope import EventMetadata, RecordedEvent
from ketnap.platform.eventstore import EventStore
from ketnap.platform.logging import get_logger
from ketnap.platform.service import ServiceContext
from ketnap.services.dossiers import events as ev
from ketnap.services.dossiers.dossier import Dossier, OutOfStep

log = get_logger(__name__)

ACTOR = "dossiers.process_manager"
MAX_EVENTS = 16
"""More than any reaction records; the first id alone tells whether a source event was applied."""
_EVENT_ID_NAMESPACE = uuid.UUID("b7a4f3d0-1c2e-4e5f-8a9b-0c1d2e3f4a5b")


class Inbound(BaseModel):
    """What this service reads of another service's event (docs/contracts.md); other fields are
    ignored so the owner may add some without breaking us."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    dossier_id: str


# --- verification -------------------------------------------------------------------------------------


class HistoryCertified(Inbound):
    certified_by: str
    certified_on: date


class VerificationBlocked(Inbound):
    subject_id: str


class VerificationBlockLifted(Inbound):
    decided_by: str
    decided_on: date
    outcome: str


# --- voting -------------------------------------------------------------------------------------------


class CellResolution(Inbound):
    citizen_id: str
    meeting_on: date
    agree: int
    disagree: int
    denominator: int
    rule_set: str


class AdmissionDecided(Inbound):
    citizen_id: str
    decided_by: str
    decision_number: str
    decision_date: date
    rule_set: str


class AdmissionRefused(Inbound):
    citizen_id: str
    decided_by: str
    decision_date: date
    reason: str


class DecisionDeadlineExtended(Inbound):
    by_working_days: int
    decided_by: str
    on: date
    decision: str | None = None


class CellNotified(Inbound):
    received_on: date


class RecognitionDecided(Inbound):
    citizen_id: str
    decided_by: str
    decision_number: str
    decision_date: date


class RecognitionEscalated(Inbound):
    citizen_id: str
    to_organisation: str


class NameRemovalDecided(Inbound):
    citizen_id: str
    decided_by: str
    decision_date: date
    reason: str


def _recorded_day(event: RecordedEvent) -> date:
    return event.recorded_at.astimezone(VIETNAM).date()


@dataclass(frozen=True)
class Reaction:
    model: type[Inbound]
    react: Callable[[Dossier, Any, RecordedEvent], list[ev.Event]]


VERIFICATION_REACTIONS: dict[str, Reaction] = {
    "HistoryCertified": Reaction(
        HistoryCertified, lambda d, f, _: d.on_history_certified(certified_by=f.certified_by, certified_on=f.certified_on)
    ),
    # The contract gives no date for a block: the day verification recorded it.
    "VerificationBlocked": Reaction(
        VerificationBlocked, lambda d, f, e: d.on_verification_blocked(subject_id=f.subject_id, on=_recorded_day(e))
    ),
    "VerificationBlockLifted": Reaction(
        VerificationBlockLifted,
        lambda d, f, _: d.on_verification_block_lifted(decided_by=f.decided_by, decided_on=f.decided_on, outcome=f.outcome),
    ),
}

VOTING_REACTIONS: dict[str, Reaction] = {
    "CellResolutionAdopted": Reaction(
        CellResolution,
        lambda d, f, _: d.on_cell_resolution(
            adopted=True, meeting_on=f.meeting_on, agree=f.agree, disagree=f.disagree, denominator=f.denominator,
            rule_set=f.rule_set,
        ),
    ),
    "CellResolutionNotAdopted": Reaction(
        CellResolution,
        lambda d, f, _: d.on_cell_resolution(
            adopted=False, meeting_on=f.meeting_on, agree=f.agree, disagree=f.disagree, denominator=f.denominator,
            rule_set=f.rule_set,
        ),
    ),
    "DecisionDeadlineExtended": Reaction(
        DecisionDeadlineExtended,
        lambda d, f, _: d.on_decision_deadline_extended(
            by_working_days=f.by_working_days, decided_by=f.decided_by, on=f.on, decision=f.decision
        ),
    ),
    "AdmissionDecided": Reaction(
        AdmissionDecided,
        lambda d, f, _: d.on_admission_decided(
            decided_by=f.decided_by, decision_number=f.decision_number, decision_date=f.decision_date, rule_set=f.rule_set
        ),
    ),
    "AdmissionRefused": Reaction(
        AdmissionRefused,
        lambda d, f, _: d.on_admission_refused(decided_by=f.decided_by, decision_date=f.decision_date, reason=f.reason),
    ),
    "CellNotified": Reaction(CellNotified, lambda d, f, _: d.on_cell_notified(received_on=f.received_on)),
    "RecognitionDecided": Reaction(
        RecognitionDecided,
        lambda d, f, _: d.on_recognition_decided(
            decided_by=f.decided_by, decision_number=f.decision_number, decision_date=f.decision_date
        ),
    ),
    "RecognitionEscalated": Reaction(
        RecognitionEscalated, lambda d, f, _: d.on_recognition_escalated(to_organisation=f.to_organisation)
    ),
    "NameRemovalDecided": Reaction(
        NameRemovalDecided,
        lambda d, f, _: d.on_name_removal_decided(decided_by=f.decided_by, decision_date=f.decision_date, reason=f.reason),
    ),
}


async def load_in_transaction(conn: asyncpg.Connection, store: EventStore, dossier_id: str) -> tuple[Dossier, set[uuid.UUID]] | None:
    """The dossier as this transaction sees it, with the ids of its events: a gap being filled may
    already have appended to it in this same, uncommitted transaction, which a read on another
    connection would miss."""
    recorded = await store.read_stream(ev.stream_id(dossier_id), connection=conn)
    if not recorded:
        return None
    return Dossier.replay(dossier_id, recorded), {e.event_id for e in recorded}


@dataclass(frozen=True)
class SourceLog:
    """What an event of a source log that does not fit here means."""

    name: str
    consumer: str
    """The process manager's consumer name (its checkpoints are per consumer and source)."""
    unknown_dossiers_elsewhere: bool = False
    """The log may name dossiers of another deployment: an unknown dossier is skipped, not dead-lettered."""
    waits_for: tuple[str, ...] = ()
    """The other voting logs whose acts an event of this log may build on: the kept ones for this
    deployment's own log (a cell is notified of a decision taken above), the own one for a kept
    log (a decision above builds on the cell's resolution recorded here)."""


def reactions_to(
    source: str,
    reactions: dict[str, Reaction],
    *,
    consumer: str = "",
    unknown_dossiers_elsewhere: bool = False,
    waits_for: tuple[str, ...] = (),
) -> Callable[[ServiceContext], EventHandler]:
    """The consumer factory for one source log (`SourceLog` says what the options mean)."""
    log_of = SourceLog(source, consumer, unknown_dossiers_elsewhere, waits_for)

    def process_manager(ctx: ServiceContext) -> EventHandler:
        async def apply(conn: asyncpg.Connection, event: RecordedEvent) -> None:
            reaction = reactions.get(event.event_type)
            if reaction is None:
                return
            try:
                fact = reaction.model.model_validate(event.data)
            except pydantic.ValidationError as error:
                # pydantic's own text quotes the input, which may hold a name or a citizen id.
                problems = ", ".join(
                    f"{'.'.join(str(p) for p in e['loc']) or '(event)'}: {e['type']}"
                    for e in error.errors(include_url=False, include_input=False)
                )
                raise Unapplicable(f"{event.event_type} does not follow the contract: {problems}") from None
            loaded = await load_in_transaction(conn, ctx.store, fact.dossier_id)
            if loaded is None:
                if log_of.unknown_dossiers_elsewhere:
                    log.debug("decision about a dossier of another deployment skipped", source=source, position=event.position)
                    return
                raise Unapplicable(f"{event.event_type} names a dossier this service does not have")
            dossier, known_ids = loaded
            ids = [uuid.uuid5(_EVENT_ID_NAMESPACE, f"{ctx.name}:{source}:{event.event_id}:{i}") for i in range(MAX_EVENTS)]
            if ids[0] in known_ids:
                return  # already applied (a checkpoint reset, a rebuilt consumer): the dossier has it
            if getattr(fact, "citizen_id", dossier.citizen_id) != dossier.citizen_id:
                raise Unapplicable(f"{event.event_type} names another person than the dossier's applicant")
            try:
                decided = reaction.react(dossier, fact, event)
            except OutOfStep as error:
                if await earlier_act_pending(conn, ctx.nc, ctx.name, log_of.consumer, log_of.waits_for, event):
                    raise WaitingForEarlierActs(f"{error}; waiting for the acts recorded before it") from error
                raise Unapplicable(str(error)) from error
            if not decided:
                return
            assert len(decided) <= MAX_EVENTS, "a reaction records more events than it has ids for"
            await ctx.store.append(
                ev.stream_id(dossier.dossier_id),
                dossier.version,
                [e.to_new_event(i) for e, i in zip(decided, ids, strict=False)],
                EventMetadata(
                    actor=ACTOR,
                    organisation=event.organisation,
                    correlation_id=event.correlation_id or event.event_id,
                    causation_id=event.event_id,
                ),
                connection=conn,
            )

        return apply

    process_manager.__name__ = f"process_manager_{source}"
    return process_manager
