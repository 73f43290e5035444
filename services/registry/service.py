"""Registry (sổ đăng ký): the organisation tree, members, committees, localities, quotas and classes.

Wiring only: the commands of `handlers.COMMANDS`, the queries of `queries.QUERIES` (their
contract is in `queries` and docs/registry.md), the read model `projections.RegistryModel` over
the registry's own log (and the registry logs kept from linked deployments), and the consumer of
the voting decisions (`reactions`) in this deployment's voting log and in the ones it keeps.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from ketnap.platform.service import Service
from ketnap.platform.turns import service_turn
from ketnap.services.registry import handlers, queries, reactions
from ketnap.services.registry.events import EVENT_TYPES
from ketnap.services.registry.projections import RegistryModel
from ketnap.services.registry.reactions import TREE_TURN
from ketnap.services.registry.spelling import answering_any_case, reading_stored_codes


def build_service(
    name: str = "registry",
    voting_source: str = "voting",
    kept_registries: Sequence[str] = (),
    kept_votings: Sequence[str] = (),
    dossiers_service: str | None = "dossiers",
) -> Service:
    """The registry on schema `name`, following the log of `voting_source` (tests point both at fresh
    schemas). A federated registry also folds the registry logs `kept_registries` into its read
    model and follows the decisions in the voting logs `kept_votings` about its own cells.
    `dossiers_service`: the service asked whether a unit to dissolve still holds open dossiers
    (None only for a registry tested alone)."""
    service = Service(name, events=EVENT_TYPES)
    service.add_projection(RegistryModel.of(name, kept_registries))
    for command_name, model, handler in handlers.COMMANDS:
        if handler is handlers.dissolve_organisation:
            handler = functools.update_wrapper(functools.partial(handler, dossiers=dossiers_service), handler)
        # A unit being founded is not yet stored: its code is written in capitals (`spelling.as_stored`).
        handler = reading_stored_codes(handler, new=("code",) if handler is handlers.establish_organisation else ())
        service.command(command_name, model, turn=service_turn(name, TREE_TURN))(handler)
    for query_name, model, handler in queries.QUERIES:
        service.query(query_name, model)(answering_any_case(handler))
    consumer = f"{name}.voting_decisions"
    voting_logs = (voting_source, *kept_votings)
    for source in voting_logs:
        if kept_registries or kept_votings:
            others = tuple(log for log in voting_logs if log != source)
            service.consumer(source, name=consumer, events=reactions.DECISION_TYPES)(reactions.federated_voting_decisions(consumer, others))
        else:
            service.consumer(source, name=consumer, events=reactions.DECISION_TYPES)(reactions.voting_decisions)
    return service


service = build_service()
