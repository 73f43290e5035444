"""Ketnap's services. `all_services()` is the one list the stack, bootstrap and CLI use."""

from __future__ import annotations

from shared.service import Service


def all_services() -> list[Service]:
    from services.dossiers.service import service as dossiers
    from services.gateway.service import service as gateway
    from services.registry.service import service as registry
    from services.reporting.service import service as reporting
    from services.verification.service import service as verification
    from services.voting.service import service as voting

    return [registry, dossiers, verification, voting, reporting, gateway]


def service_named(name: str) -> Service:
    for service in all_services():
        if service.name == name:
            return service
    raise KeyError(name)
