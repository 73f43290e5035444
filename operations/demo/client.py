"""How the scenario driver talks to the system: as one person at a time, through a `Client`.

A `Client` sends a service's command or query and returns the service's reply as a dict:
`{"ok": true, "stream_id", "stream_version", "event_ids", "result"}` or `{"ok": false, "error":
{"code", "message", "details"}}`. `Actors` makes the client of a person with a role in an
organisation: the driver acts as whoever normally sends each command (`ketnap.services.gateway.access`).

`bus_actors` talks NATS request/reply straight to the services; an HTTP implementation through the
gateway (with a user's token) fits the same two methods.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from nats.aio.client import Client as NatsConnection

from ketnap.platform.bus import requests
from ketnap.services.gateway.access import Role

COMMAND_TIMEOUT_SECONDS = 15.0
"""A loaded machine may take a while to answer; a retry with the same key is always safe."""


class Client(Protocol):
    async def command(self, service: str, name: str, body: dict[str, Any], *, key: str) -> dict[str, Any]:
        """`<service>.cmd.<name>` with `body`, under idempotency key `key`: the service's reply."""
        ...

    async def query(self, service: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """`<service>.query.<name>` with `body`: the service's reply."""
        ...


Actors = Callable[[Role, str], Client]
"""(role, organisation code) -> the client of a person with that role in that organisation."""


class BusClient:
    """One person on the bus: every command carries their actor name and organisation scope."""

    def __init__(
        self, nc: NatsConnection, role: Role, organisation: str, *, services: Mapping[str, str] | None = None,
        timeout: float = COMMAND_TIMEOUT_SECONDS,
    ) -> None:
        self.nc = nc
        self.role = role
        self.organisation = organisation
        self.services = dict(services or {})
        self.timeout = timeout

    def _subject_service(self, service: str) -> str:
        """The name a service answers under (tests run services on fresh schema names)."""
        return self.services.get(service, service)

    async def command(self, service: str, name: str, body: dict[str, Any], *, key: str) -> dict[str, Any]:
        signed = {**body, "idempotency_key": key, "actor": f"demo.{self.role.value}", "scope": self.organisation}
        return await requests.command(self.nc, self._subject_service(service), name, signed, timeout=self.timeout)

    async def query(self, service: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        return await requests.query(self.nc, self._subject_service(service), name, body, timeout=self.timeout)


def bus_actors(nc: NatsConnection, *, services: Mapping[str, str] | None = None, timeout: float = COMMAND_TIMEOUT_SECONDS) -> Actors:
    """Actors talking NATS to the services; `services` maps a service to the name it runs under."""
    made: dict[tuple[Role, str], BusClient] = {}

    def actor(role: Role, organisation: str) -> Client:
        if (role, organisation) not in made:
            made[(role, organisation)] = BusClient(nc, role, organisation, services=services, timeout=timeout)
        return made[(role, organisation)]

    return actor
