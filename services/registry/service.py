"""Registry (sổ đăng ký): the organisation tree, members, committees, localities, quotas and classes.

Wiring only: the commands of `handlers.COMMANDS`, the queries of `queries.QUERIES` (their
contract is in `queries` and docs/registry.md), the read model `projections.RegistryModel` over
the registry's own log, and the consumer of the voting service's decisions (`reactions`).
"""

from __future__ import annotations

from services.registry import handlers, queries, reactions
from services.registry.projections import RegistryModel
from shared.service import Service


def build_service(name: str = "registry", voting_source: str = "voting") -> Service:
    """The registry on schema `name`, following the log of `voting_source` (tests point both at fresh schemas)."""
    service = Service(name)
    service.add_projection(RegistryModel.of(name))
    for command_name, model, handler in handlers.COMMANDS:
        service.command(command_name, model)(handler)
    for query_name, model, handler in queries.QUERIES:
        service.query(query_name, model)(handler)
    service.consumer(voting_source, name=f"{name}.voting_decisions")(reactions.voting_decisions)
    return service


service = build_service()
