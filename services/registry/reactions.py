"""How the registry follows the voting service's decisions (docs/contracts.md, voting → registry):

- `AdmissionDecided` {citizen_id, full_name, organisation (the cell), decided_by, decision_number,
  decision_date}: the person joins the cell as a probationary member from the decision date
  (party age counts from it).
- `RecognitionDecided` {citizen_id, organisation, decision_number, decision_date, official_date}:
  the member is official from `official_date` (ceremony + 12 months, whatever the decision date).
- `NameRemovalDecided` {citizen_id, organisation, decided_by, decision_date, reason}: the name
  leaves the roster on the decision date.

Other fields (dossier_id, rule_set) are ignored, as are other event types. The registry's events
are appended in the consumer's own transaction, with ids derived from the voting event's id, so
a redelivered decision has one effect. A decision the registry can never apply (the person is
already a member, the cell does not exist) is dead-lettered with the reason, for an operator.

Many levels: a decision may be recorded in this deployment's voting log or in one kept from a
linked deployment (the committee that decided works above). A federated registry records the
roster change only when the decision's cell was established in its own log: the registry of the
cell's deployment does it, and every other one sees the member through the registry log it
keeps, so a member is never recorded twice. Decisions about other deployments' cells are
skipped quietly; a registry of a single deployment keeps dead-lettering unknown cells. Each
voting log has its own runner, in no fixed order: a decision that does not fit waits while
another voting log holds a decision recorded before it that is not applied yet (a recognition
decided here on an admission decided above), and is dead-lettered only then.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pydantic
from pydantic import BaseModel, ConfigDict

from ketnap.platform.bus.consumer import Unapplicable, WaitingForEarlierActs, earlier_act_pending
from ketnap.platform.commands import DomainError, idempotent_event_ids
from ketnap.platform.envelope import EventMetadata, RecordedEvent
from ketnap.platform.logging import get_logger
from ketnap.platform.service import ServiceContext
from ketnap.platform.turns import TREE, service_turn, wait_for_turn
from ketnap.services.registry.events import Event
from ketnap.services.registry.readmodel import current_view
from ketnap.services.registry.repository import established_here, load_person
from ketnap.services.registry.values import CitizenId, Day, MemberKind, OrganisationCode, PersonName

log = get_logger(__name__)


class _Decision(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    citizen_id: CitizenId
    organisation: OrganisationCode
    decided_by: str | None = None
    decision_number: str | None = None


class AdmissionDecided(_Decision):
    full_name: PersonName
    decision_date: Day


class RecognitionDecided(_Decision):
    decision_date: Day | None = None
    official_date: Day


class NameRemovalDecided(_Decision):
    decision_date: Day
    reason: str | None = None


async def _admitted(ctx: ServiceContext, d: AdmissionDecided) -> tuple[str, int, list[Event]]:
    person = await load_person(ctx.store, d.citizen_id)
    async with current_view(ctx) as view:
        # A cell merged or split after the vote: the new member joins where its members went.
        cell = await view.resolve(d.organisation, d.decision_date, d.citizen_id)
        events = person.join(
            full_name=d.full_name, organisation=cell, unit=await view.unit_view(cell, d.decision_date),
            kind=MemberKind.PROBATIONARY, effective_from=d.decision_date, admitted_on=d.decision_date,
            decision_number=d.decision_number, how="admission",
        )
    return person.stream_id, person.version, events


async def _recognised(ctx: ServiceContext, d: RecognitionDecided) -> tuple[str, int, list[Event]]:
    person = await load_person(ctx.store, d.citizen_id)
    async with current_view(ctx) as view:
        row = await view.membership(d.citizen_id, d.official_date)
    events = person.become_official(
        organisation=row["organisation"] if row else d.organisation, official_date=d.official_date,
        decision_number=d.decision_number, decision_date=d.decision_date,
    )
    return person.stream_id, person.version, events


async def _removed(ctx: ServiceContext, d: NameRemovalDecided) -> tuple[str, int, list[Event]]:
    person = await load_person(ctx.store, d.citizen_id)
    async with current_view(ctx) as view:
        row = await view.membership(d.citizen_id, d.decision_date)
    events = person.remove_name(
        organisation=row["organisation"] if row else d.organisation, effective_from=d.decision_date,
        decided_by=d.decided_by, decision_number=d.decision_number, reason=d.reason,
    )
    return person.stream_id, person.version, events


_MAX_EVENTS = 4
"""No reaction records more events than this; a retry looks these ids up."""

Reaction = Callable[[ServiceContext, Any], Awaitable[tuple[str, int, list[Event]]]]

_REACTIONS: dict[str, tuple[type[_Decision], Reaction]] = {
    "AdmissionDecided": (AdmissionDecided, _admitted),
    "RecognitionDecided": (RecognitionDecided, _recognised),
    "NameRemovalDecided": (NameRemovalDecided, _removed),
}
DECISION_TYPES = tuple(_REACTIONS)
"""The voting events that change a roster: what the registry consumes of a voting log."""


def voting_decisions(ctx: ServiceContext) -> Callable[[asyncpg.Connection, RecordedEvent], Awaitable[None]]:
    """The consumer of the voting log of a single deployment: admission, recognition and name
    removal change the rosters."""
    return _voting_decisions(ctx, federated=False)


def federated_voting_decisions(
    consumer: str, waits_for: tuple[str, ...]
) -> Callable[[ServiceContext], Callable[[asyncpg.Connection, RecordedEvent], Awaitable[None]]]:
    """The same, in a deployment that keeps other deployments' registries: only for its own cells.
    A decision that does not fit waits while another voting log followed by `consumer` holds an
    act recorded before it (a recognition decided here on an admission decided above)."""

    def factory(ctx: ServiceContext) -> Callable[[asyncpg.Connection, RecordedEvent], Awaitable[None]]:
        return _voting_decisions(ctx, federated=True, consumer=consumer, waits_for=waits_for)

    return factory


TREE_TURN = TREE
"""Every registry command, and every roster change a voting decision brings, is checked against the
read model and appended in this one turn (platform turns.py, `TREE`): a unit dissolved, merged or
moved while a member joins it or is transferred into it (or a dossier is opened in it, by the
dossiers service in the same turn) is either seen by the other, or the other waits; never a member
or a dossier in a dissolved unit."""


def _voting_decisions(
    ctx: ServiceContext, *, federated: bool, consumer: str = "", waits_for: tuple[str, ...] = ()
) -> Callable[[asyncpg.Connection, RecordedEvent], Awaitable[None]]:
    async def apply(conn: asyncpg.Connection, event: RecordedEvent) -> None:
        reaction = _REACTIONS.get(event.event_type)
        if reaction is None:
            return
        model, react = reaction
        key = (ctx.name, f"voting:{event.event_type}", str(event.event_id))
        if await ctx.store.find_append(idempotent_event_ids(*key, _MAX_EVENTS)) is not None:
            return  # already recorded: applying a decision again is a no-op, like a retried command
        try:
            decision = model.model_validate(event.data)
        except pydantic.ValidationError as error:
            # Field names only: the values are personal data and the reason is published.
            fields = sorted({".".join(str(p) for p in e["loc"]) for e in error.errors(include_input=False)})
            raise Unapplicable(f"{event.event_type}: invalid fields {', '.join(fields)}") from None
        if federated and not await established_here(ctx.store, [decision.organisation]):
            log.debug("decision about a cell of another deployment skipped", event_type=event.event_type, position=event.position)
            return
        await wait_for_turn(conn, service_turn(ctx.name, TREE_TURN))  # held until this consumer's transaction ends
        try:
            stream_id, version, events = await react(ctx, decision)
        except DomainError as error:
            if await earlier_act_pending(conn, ctx.nc, ctx.name, consumer, waits_for, event):
                raise WaitingForEarlierActs(f"{event.event_type}: {error.code}; waiting for the acts recorded before it") from None
            raise Unapplicable(f"{event.event_type}: {error.code}: {error.message}") from None
        ids = idempotent_event_ids(*key, len(events))
        metadata = EventMetadata(
            actor=event.actor,
            organisation=event.organisation,
            correlation_id=event.correlation_id or event.event_id,
            causation_id=event.event_id,
        )
        await ctx.store.append(
            stream_id, version, [e.to_new_event(i) for e, i in zip(events, ids, strict=True)], metadata, connection=conn
        )
        log.info("roster changed by a voting decision", event_type=event.event_type, position=event.position)

    return apply
