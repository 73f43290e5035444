"""Voting (biểu quyết): the acts of cells and committees on each applicant, from the cell's resolution to
the admission, recognition or name-removal decision, with the roster and ballots behind every vote.

`build_service` wires it; tests build one on fresh schemas, production runs `service`. In a federated
deployment it also reads the voting logs kept from the linked deployments (`case_log`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from ketnap.platform.commands import Command, Decision
from ketnap.platform.service import Service, ServiceContext
from ketnap.services.voting import commands as c
from ketnap.services.voting import handlers, queries
from ketnap.services.voting.case_index import CaseIndex
from ketnap.services.voting.case_log import CaseLog
from ketnap.services.voting.consumers import RELEVANT, dossier_facts
from ketnap.services.voting.events import EVENT_TYPES
from ketnap.services.voting.registry_client import RegistryClient

COMMANDS: dict[str, tuple[type[Command], Callable[[CaseLog, RegistryClient, Any], Awaitable[Decision]]]] = {
    "record_cell_resolution": (c.RecordCellResolution, handlers.record_cell_resolution),
    "take_over_cell_resolution": (c.TakeOverCellResolution, handlers.take_over_cell_resolution),
    "take_over_grassroots_resolution": (c.TakeOverGrassrootsResolution, handlers.take_over_grassroots_resolution),
    "record_appraisal": (c.RecordAppraisal, handlers.record_appraisal),
    "record_grassroots_resolution": (c.RecordGrassrootsResolution, handlers.record_grassroots_resolution),
    "decide_admission": (c.DecideAdmission, handlers.decide_admission),
    "take_over_admission_decision": (c.TakeOverAdmissionDecision, handlers.take_over_admission_decision),
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


def build_service(
    name: str = "voting",
    dossiers_source: str = "dossiers",
    registry_service: str = "registry",
    kept_votings: Sequence[str] = (),
) -> Service:
    """The voting service on schema `name`, reading the dossiers log `dossiers_source`, asking the
    registry service `registry_service`, and reading each case also from the voting logs
    `kept_votings` kept from the linked deployments."""
    service = Service(name, events=EVENT_TYPES)
    service.answer_judgements()  # a dossier taken over from paper is judged end to end before it is written
    index = CaseIndex(name, kept_votings)
    service.add_projection(index)

    def registry(ctx: ServiceContext) -> RegistryClient:
        return RegistryClient(ctx.nc, registry_service)

    def cases(ctx: ServiceContext) -> CaseLog:
        return CaseLog(ctx.store, kept_votings)

    for command_name, (model, handler) in COMMANDS.items():

        async def run(ctx: ServiceContext, command: Any, handler=handler) -> Decision:  # noqa: ANN001
            return await handler(cases(ctx), registry(ctx), command)

        run.__doc__ = model.__doc__
        service.command(command_name, model)(run)

    @service.query("case", c.CaseQuery)
    async def case(ctx: ServiceContext, query: c.CaseQuery) -> dict[str, Any]:
        """The voting chain of one dossier: every step recorded so far."""
        return await queries.case(cases(ctx), query)

    @service.query("deadlines", c.DeadlinesQuery)
    async def deadlines(ctx: ServiceContext, query: c.DeadlinesQuery) -> dict[str, Any]:
        """DECISION_60WD, CEREMONY_30WD, RECOG_30WD for a dossier, or the open ones under an organisation."""
        return await queries.deadlines(cases(ctx), ctx.pool, registry(ctx), query)

    # Only this deployment's dossiers: a dossier kept from below has its facts recorded below.
    @service.consumer(dossiers_source, name=f"{name}.dossier_facts", events=RELEVANT)
    def facts(ctx: ServiceContext):  # noqa: ANN202
        return dossier_facts(cases(ctx), dossiers_source)

    return service


service = build_service()
