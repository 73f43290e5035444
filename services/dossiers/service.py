"""Dossiers (hồ sơ): each applicant's dossier from the source list to official membership.

The one place the service is wired: its commands (`<name>.cmd.*`), its query
(`<name>.query.dossier`), its process manager consuming the verification and voting logs (and
the voting logs kept from linked deployments), and the registry's tree changes its dossiers follow.
`build_service` takes the names of the schemas and logs so tests run it on fresh ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from ketnap.domain.calendar import today_in_vietnam
from ketnap.platform.commands import Command, Decision, InvalidInput
from ketnap.platform.service import Service, ServiceContext
from ketnap.platform.turns import TREE, service_turn
from ketnap.services.dossiers import handlers, queries
from ketnap.services.dossiers.events import EVENT_TYPES
from ketnap.services.dossiers.index import DossierIndex, OpenDossiersQuery, SearchQuery, open_in
from ketnap.services.dossiers.index import search as search_index
from ketnap.services.dossiers.process_manager import VERIFICATION_REACTIONS, VOTING_REACTIONS, reactions_to
from ketnap.services.dossiers.registry_client import RegistryClient
from ketnap.services.dossiers.tree_changes import TREE_CHANGES, follows_the_tree


def build_service(
    name: str = "dossiers",
    registry_service: str = "registry",
    verification_source: str = "verification",
    voting_source: str = "voting",
    *,
    today: Callable[[], date] = today_in_vietnam,
    kept_votings: Sequence[str] = (),
    dossiers_live_below: bool = False,
) -> Service:
    """`kept_votings`: the voting logs kept from the linked deployments, followed like the own one
    (a decision taken above moves a dossier here). `dossiers_live_below`: this deployment keeps
    lower deployments' logs, so its own voting log also decides about dossiers that live below
    and are unknown here (`process_manager`)."""
    service = Service(name, events=EVENT_TYPES)
    service.answer_judgements()  # a dossier taken over from paper is judged end to end before it is written

    def deps(ctx: ServiceContext) -> handlers.Deps:
        return handlers.Deps(ctx.store, RegistryClient(ctx.nc, registry_service), today)

    tree = service_turn(registry_service, TREE)
    for command_name, model, handler in handlers.COMMANDS:
        _register_command(service, command_name, model, handler, deps, tree if command_name in handlers.ATTACHING else None)

    index = DossierIndex(name)
    service.add_projection(index)

    @service.query("search", SearchQuery)
    async def search(ctx: ServiceContext, query: SearchQuery) -> dict[str, Any]:
        """Dossiers of a unit and every unit below it, found by name, CCCD, step, year opened, overdue; a page at a time."""
        if query.organisation is None:
            raise InvalidInput("Cần mã tổ chức: tìm trong tổ chức nào và các tổ chức cấp dưới.", field="organisation")
        on = query.on or today()
        cells = await RegistryClient(ctx.nc, registry_service).subtree(query.organisation, today())
        await index.catch_up(ctx.pool, ctx.store)  # what was just recorded is found at once
        return await search_index(ctx.pool, name, cells, query, on)

    @service.query("open_dossiers", OpenDossiersQuery)
    async def open_dossiers(ctx: ServiceContext, query: OpenDossiersQuery) -> dict[str, Any]:
        """How many dossiers not ended a unit holds now: the registry asks before dissolving it, in the tree's turn."""
        await index.catch_up(ctx.pool, ctx.store)  # every dossier attached before the turn was taken is counted
        return {"organisation": query.organisation, "open": await open_in(ctx.pool, name, query.organisation)}

    @service.query("progress", queries.ProgressQuery)
    async def progress(ctx: ServiceContext, query: queries.ProgressQuery) -> dict[str, Any]:
        """Where a dossier stands (step, version, open deadlines), with nothing personal: for screens that poll."""
        return await queries.progress(deps(ctx), query)

    @service.query("personal_history", queries.PersonalHistoryQuery)
    async def personal_history(ctx: ServiceContext, query: queries.PersonalHistoryQuery) -> dict[str, Any]:
        """The declared personal history as it stands (declared or last corrected): for a correction to start from."""
        return await queries.personal_history(deps(ctx), query)

    @service.query("cell_position", queries.NoFields)
    async def cell_position(ctx: ServiceContext, _: queries.NoFields) -> dict[str, Any]:
        """Where a dossier last changed cell (the position of the latest transfer in the log): while
        it has not moved, every dossier's cell is what it was (the gateway keeps them)."""
        return {"positions": {ctx.store.schema: await queries.CELL_POSITIONS.position(ctx.store)}}

    @service.query("dossier", queries.DossierQuery)
    async def dossier(ctx: ServiceContext, query: queries.DossierQuery) -> dict[str, Any]:
        """One dossier: its step, papers, history of events and open deadlines with due dates."""
        return await queries.dossier(deps(ctx), query)

    process_manager = f"{name}.process_manager"
    service.consumer(verification_source, name=process_manager, events=VERIFICATION_REACTIONS)(reactions_to(verification_source, VERIFICATION_REACTIONS))
    service.consumer(voting_source, name=process_manager, events=VOTING_REACTIONS)(
        reactions_to(
            voting_source, VOTING_REACTIONS, consumer=process_manager, unknown_dossiers_elsewhere=dossiers_live_below,
            waits_for=tuple(kept_votings),
        )
    )
    for kept in kept_votings:
        service.consumer(kept, name=process_manager, events=VOTING_REACTIONS)(
            reactions_to(kept, VOTING_REACTIONS, consumer=process_manager, unknown_dossiers_elsewhere=True, waits_for=(voting_source,))
        )
    # A cell merged or split: its open dossiers continue in its successor (tree_changes.py).
    service.consumer(registry_service, name=f"{name}.tree_changes", events=TREE_CHANGES)(follows_the_tree(index))
    return service


def _register_command(
    service: Service,
    name: str,
    model: type[Command],
    handler: handlers.Handler,
    deps: Callable[[ServiceContext], handlers.Deps],
    turn: str | None,
) -> None:
    async def handle(ctx: ServiceContext, command: Any) -> Decision:
        return await handler(deps(ctx), command)

    handle.__doc__ = model.__doc__
    service.command(name, model, turn=turn, decides_ahead=turn is not None)(handle)


service = build_service()
