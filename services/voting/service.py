"""Voting (biểu quyết): the acts of cells and committees on each applicant, from the cell's resolution to
the admission, recognition or name-removal decision, with the roster and ballots behind every vote.

`build_service` wires it; tests build one on fresh schemas, production runs `service`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from services.voting import commands as c
from services.voting import handlers, queries
from services.voting.case_index import CaseIndex
from services.voting.consumers import dossier_facts
from services.voting.registry_client import RegistryClient
from shared.commands import Command, Decision
from shared.eventstore import EventStore
from shared.service import Service, ServiceContext


COMMANDS: dict[str, tuple[type[Command], Callable[[EventStore, RegistryClient, Any], Awaitable[Decision]]]] = {
    "record_cell_resolution": (c.RecordCellResolution, handlers.record_cell_resolution),
    "record_appraisal": (c.RecordAppraisal, handlers.record_appraisal),
    "record_grassroots_resolution": (c.RecordGrassrootsResolution, handlers.record_grassroots_resolution),
    "decide_admission": (c.DecideAdmission, handlers.decide_admission),
    "extend_decision_deadline": (c.ExtendDecisionDeadline, handlers.extend_decision_deadline),
    "record_cell_notified": (c.RecordCellNotified, handlers.record_cell_notified),
    "agree_ceremony_delay": (c.AgreeCeremonyDelay, handlers.agree_ceremony_delay),
    "record_recognition_cell_resolution": (c.RecordRecognitionCellResolution, handlers.record_recognition_cell_resolution),
    "record_recognition_grassroots_resolution": (
        c.RecordRecognitionGrassrootsResolution,
        handlers.record_recognition_grassroots_resolution,
    ),
    "decide_recognition": (c.DecideRecognition, handlers.decide_recognition),
    "decide_name_removal": (c.DecideNameRemoval, handlers.decide_name_removal),
}


def build_service(name: str = "voting", dossiers_source: str = "dossiers", registry_service: str = "registry") -> Service:
    """The voting service on schema `name`, reading the dossiers log `dossiers_source` and asking the
    registry service `registry_service`."""
    service = Service(name)
    index = CaseIndex(name)
    service.add_projection(index)

    def registry(ctx: ServiceContext) -> RegistryClient:
        return RegistryClient(ctx.nc, registry_service)

    for command_name, (model, handler) in COMMANDS.items():

        async def run(ctx: ServiceContext, command: Any, handler=handler) -> Decision:  # noqa: ANN001
            return await handler(ctx.store, registry(ctx), command)

        run.__doc__ = model.__doc__
        service.command(command_name, model)(run)

    @service.query("case", c.CaseQuery)
    async def case(ctx: ServiceContext, query: c.CaseQuery) -> dict[str, Any]:
        """The voting chain of one dossier: every step recorded so far."""
        return await queries.case(ctx.store, query)

    @service.query("deadlines", c.DeadlinesQuery)
    async def deadlines(ctx: ServiceContext, query: c.DeadlinesQuery) -> dict[str, Any]:
        """DECISION_60WD, CEREMONY_30WD, RECOG_30WD for a dossier, or the open ones under an organisation."""
        return await queries.deadlines(ctx.store, ctx.pool, registry(ctx), query)

    @service.consumer(dossiers_source, name=f"{name}.dossier_facts")
    def facts(ctx: ServiceContext):  # noqa: ANN202
        return dossier_facts(ctx.store, dossiers_source)

    return service


service = build_service()
