"""Dossiers follow the registry's tree: when a cell ends by a merge or a split, every dossier not
ended that it holds continues in the unit that took its place (issue 24, docs/dossiers.md).

A consumer of the registry's log. For `OrganisationMerged` the successor is `into`; for
`OrganisationSplit` it is the part that received the dossier's helper (the official member who
vouches for the applicant stays beside them), or the first part, which receives whatever the split
does not list. The move is an ordinary `DossierTransferred`, so voting's case, verification's
overview, reporting and the gateway's scope follow it as they follow an officer's transfer; its
actor is this consumer and its cause the registry's event (the audit timeline says why).

A dissolution needs no rule here: the registry refuses to dissolve a unit that still holds a dossier
(DISSOLVE_EMPTY). A dossier cannot be opened in or moved into a unit after its end (the tree's turn),
so the dossiers found here when the event is applied are all there will ever be.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

import asyncpg
import pydantic
from pydantic import BaseModel, ConfigDict

from ketnap.platform.bus.consumer import EventHandler, Unapplicable
from ketnap.platform.envelope import EventMetadata, RecordedEvent
from ketnap.platform.logging import get_logger
from ketnap.platform.service import ServiceContext
from ketnap.services.dossiers import events as ev
from ketnap.services.dossiers.dossier import Dossier
from ketnap.services.dossiers.index import DossierIndex, not_ended_in
from ketnap.services.dossiers.process_manager import load_in_transaction

log = get_logger(__name__)

ACTOR = "dossiers.tree_changes"
_EVENT_ID_NAMESPACE = uuid.UUID("4d1c2a7e-93b5-4f0e-8c61-5a2e7b9d0f13")


class _Inbound(BaseModel):
    """What this service reads of the registry's events (docs/contracts.md); other fields are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    code: str
    effective_from: date


class Merged(_Inbound):
    into: str


class Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    code: str
    members: list[str] = []


class Split(_Inbound):
    parts: list[Part]


TREE_CHANGES = ("OrganisationMerged", "OrganisationSplit")
"""The registry's events that end a unit while what it holds continues elsewhere."""


def successor_of(change: Merged | Split) -> Callable[[Dossier], str]:
    """Where a dossier of the ended unit continues."""
    if isinstance(change, Merged):
        return lambda _dossier: change.into
    first = change.parts[0].code
    return lambda dossier: next((p.code for p in change.parts if dossier.helper_citizen_id in p.members), first)


def follows_the_tree(index: DossierIndex) -> Callable[[ServiceContext], EventHandler]:
    """The consumer factory: `index` finds the dossiers a unit holds."""

    def tree_changes(ctx: ServiceContext) -> EventHandler:
        async def apply(conn: asyncpg.Connection, event: RecordedEvent) -> None:
            model = Merged if event.event_type == "OrganisationMerged" else Split if event.event_type == "OrganisationSplit" else None
            if model is None:
                return
            try:
                change = model.model_validate(event.data)
            except pydantic.ValidationError as error:
                raise Unapplicable(f"{event.event_type} does not follow the contract: {error.error_count()} problems") from None
            if isinstance(change, Split) and not change.parts:
                raise Unapplicable("OrganisationSplit names no part")
            # The index is read after catching up: every dossier attached to the unit before its end
            # was recorded before the registry's event (the tree's turn), so it is in the log now.
            await index.catch_up(ctx.pool, ctx.store)
            successor = successor_of(change)
            moved = 0
            for dossier_id in await not_ended_in(conn, ctx.name, change.code):
                loaded = await load_in_transaction(conn, ctx.store, dossier_id)
                if loaded is None:
                    continue
                dossier, known_ids = loaded
                event_id = uuid.uuid5(_EVENT_ID_NAMESPACE, f"{ctx.name}:{event.event_id}:{dossier_id}")
                if event_id in known_ids or dossier.cell != change.code or dossier.closed:
                    continue  # moved already (a redelivery, a reset checkpoint), or moved or ended since
                # Facts recorded in the cell after its end's date (a merge recorded late) stay before the move.
                on = max(change.effective_from, dossier.last_on or change.effective_from)
                to_cell = successor(dossier)
                transferred = ev.DossierTransferred(dossier_id=dossier_id, cell=dossier.cell, on=on, from_cell=dossier.cell, to_cell=to_cell)
                await ctx.store.append(
                    ev.stream_id(dossier_id),
                    dossier.version,
                    [transferred.to_new_event(event_id)],
                    EventMetadata(
                        actor=ACTOR, organisation=to_cell, correlation_id=event.correlation_id or event.event_id, causation_id=event.event_id
                    ),
                    connection=conn,
                )
                moved += 1
            if moved:
                log.info("dossiers followed a tree change", change=event.event_type, moved=moved, position=event.position)

        return apply

    return tree_changes
