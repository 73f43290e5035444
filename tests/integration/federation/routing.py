"""Driving one demo plan across several deployments: each act goes where it is recorded.

Units below a lower deployment's root are that deployment's, and so is the work of its officers
(a root's own board and committee included); the root itself was established by the level above,
so facts about the root's own record (its quota, its committee, its move) go there. Before a
deployment acts, what the others recorded is given time to arrive there (`settle(deployment)`):
each level acts on what it has received, as it would on paper.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from ketnap.operations.demo.client import Actors, Client
from ketnap.operations.demo.plan import Plan
from ketnap.services.gateway.access import Role

TARGET_FIELDS = ("code", "organisation", "organiser")
"""Which body field names the unit whose record a registry command changes."""


class Routing:
    def __init__(self, plan: Plan, upper: str, roots: Mapping[str, str]) -> None:
        self.upper = upper
        self.root_of = {root: deployment for deployment, root in roots.items()}
        self.parent = {u.code: u.parent for u in plan.units}

    def works_in(self, organisation: str) -> str:
        """Where the officers of `organisation` work: the lower deployment whose root is it or above it."""
        code: str | None = organisation
        while code is not None:
            if code in self.root_of:
                return self.root_of[code]
            code = self.parent.get(code)
        return self.upper

    def records(self, organisation: str) -> str:
        """Where `organisation`'s own record is kept: a root's by the deployment above it."""
        return self.upper if organisation in self.root_of else self.works_in(organisation)


class RoutedClient:
    def __init__(self, routing: Routing, clients: Mapping[str, Client], home: str, settle: Callable[[str], Awaitable[None]]) -> None:
        self.routing = routing
        self.clients = clients
        self.home = home
        self.settle = settle

    def _where(self, service: str, body: dict[str, Any]) -> str:
        if service == "registry":
            target = next((body[f] for f in TARGET_FIELDS if isinstance(body.get(f), str)), None)
            if target is not None and target in self.routing.parent:
                return self.routing.records(target)
        return self.home

    async def command(self, service: str, name: str, body: dict[str, Any], *, key: str) -> dict[str, Any]:
        where = self._where(service, body)
        await self.settle(where)
        return await self.clients[where].command(service, name, body, key=key)

    async def query(self, service: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self.clients[self.home].query(service, name, body)


def routed_actors(
    routing: Routing, actors: Mapping[str, Actors], settle: Callable[[str], Awaitable[None]]
) -> Callable[[Role, str], RoutedClient]:
    def actor(role: Role, organisation: str) -> RoutedClient:
        clients = {deployment: make(role, organisation) for deployment, make in actors.items()}
        return RoutedClient(routing, clients, routing.works_in(organisation), settle)

    return actor
