"""Ketnap's services. `all_services()` is the one list the stack, bootstrap and CLI use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ketnap.platform.federation.links import Links
from ketnap.platform.settings import Settings

if TYPE_CHECKING:  # the runtime (FastStream, FastAPI) is heavy: a CLI command that reads the database needs none of it
    from ketnap.platform.service import Service


def all_services(settings: Settings | None = None) -> list[Service]:
    """The services of one deployment, wired to the logs it keeps from the deployments linked to
    it (`ketnap.platform.federation.links`); without links, exactly the services' default modules."""
    links = Links.of(settings or Settings.from_env())
    if not links.kept:
        from ketnap.services.dossiers.service import service as dossiers
        from ketnap.services.gateway.service import service as gateway
        from ketnap.services.registry.service import service as registry
        from ketnap.services.reporting.service import service as reporting
        from ketnap.services.verification.service import service as verification
        from ketnap.services.voting.service import service as voting

        return [registry, dossiers, verification, voting, reporting, gateway]
    return _federated(links)


def _federated(links: Links) -> list[Service]:
    from ketnap.services.dossiers.service import build_service as dossiers
    from ketnap.services.federation.service import build_service as federation
    from ketnap.services.gateway.service import build_service as gateway
    from ketnap.services.registry.service import build_service as registry
    from ketnap.services.reporting.base import ROLES
    from ketnap.services.reporting.service import build_service as reporting
    from ketnap.services.verification.service import build_service as verification
    from ketnap.services.voting.service import build_service as voting

    return [
        # Only the deployment above decides about this one's cells: the voting logs kept from
        # below hold decisions the lower registries record themselves.
        registry(
            kept_registries=links.logs_of("registry")[1:],
            kept_votings=[k.name for k in links.kept if k.service == "voting" and k.direction == "down"],
        ),
        dossiers(kept_votings=links.logs_of("voting")[1:], dossiers_live_below=bool(links.lowers)),
        verification(),
        voting(kept_votings=links.logs_of("voting")[1:]),
        reporting(sources={role: links.logs_of(role) for role in ROLES}, below=links.below),
        gateway(),
        federation(links),
    ]


def service_named(name: str, settings: Settings | None = None) -> Service:
    for service in all_services(settings):
        if service.name == name:
            return service
    raise KeyError(name)
