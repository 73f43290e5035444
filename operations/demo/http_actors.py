"""The people of a plan as users of the HTTP API: each (role, organisation) gets its own login and
token, made on first use by the operator (as `ketnap users` does: the organisation may not exist
yet when its first officer is made), so every command the driver sends goes through
authentication, the role check and the scope check like a real user's.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import httpx
from nats.aio.client import Client as NatsConnection

from ketnap.operations.apiclient import ApiClient
from ketnap.operations.demo.client import Client
from ketnap.platform.bus import requests
from ketnap.services.gateway.access import ROLE_TITLES, Role
from ketnap.services.gateway.scope import OPERATOR, WHOLE_DEPLOYMENT


def login_of(role: Role, organisation: str) -> str:
    """A readable login, `demo.cell_secretary.cb-01`, that the audit trail shows as the actor
    (the gateway allows a-z, 0-9, '.', '_', '-')."""
    return re.sub(r"[^a-z0-9._-]", "-", f"demo.{role.value}.{organisation}".lower())[:64]


class _User:
    """A client whose user and token are made the first time it is used."""

    def __init__(self, actors: "HttpActors", role: Role, organisation: str) -> None:
        self.actors, self.role, self.organisation = actors, role, organisation
        self._client: ApiClient | None = None
        self._lock = asyncio.Lock()

    async def _session(self) -> ApiClient:
        async with self._lock:
            if self._client is None:
                self._client = await self.actors.sign_up(self.role, self.organisation)
            return self._client

    async def command(self, service: str, name: str, body: dict[str, Any], *, key: str) -> dict[str, Any]:
        return await (await self._session()).command(service, name, body, key=key)

    async def query(self, service: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        return await (await self._session()).query(service, name, body)


class HttpActors:
    """`Actors` over HTTP at `base_url`; users are made through the operator's NATS connection `nc`."""

    def __init__(self, base_url: str, nc: NatsConnection, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url
        self.nc = nc
        self.transport = transport
        self.users: dict[tuple[Role, str], _User] = {}
        self.tokens: dict[str, str] = {}

    def __call__(self, role: Role, organisation: str) -> Client:
        if (role, organisation) not in self.users:
            self.users[(role, organisation)] = _User(self, role, organisation)
        return self.users[(role, organisation)]

    async def sign_up(self, role: Role, organisation: str) -> ApiClient:
        login = login_of(role, organisation)
        user = {"login": login, "display_name": f"{ROLE_TITLES[role]} ({organisation})", "role": role.value, "organisation": organisation}
        created = await self._as_operator("create_user", user, key=f"user-{login}")
        if not created.get("ok") and (created.get("error") or {}).get("code") != "conflict":
            raise RuntimeError(f"user {login} not created: {created.get('error')}")
        # A fresh key each time: a token is shown only once, so a retried issue must make a new one.
        issued = await self._as_operator("issue_token", {"login": login, "label": "demo"}, key=f"token-{uuid.uuid4()}")
        token = (issued.get("result") or {}).get("token")
        if not token:
            raise RuntimeError(f"no token for {login}: {issued.get('error')}")
        self.tokens[login] = token
        return ApiClient(self.base_url, token, transport=self.transport)

    async def _as_operator(self, command: str, body: dict[str, Any], *, key: str) -> dict[str, Any]:
        signed = {**body, "idempotency_key": key, "actor": OPERATOR, "scope": WHOLE_DEPLOYMENT}
        return await requests.command(self.nc, "gateway", command, signed, timeout=15)

    async def aclose(self) -> None:
        for user in self.users.values():
            if user._client is not None:
                await user._client.aclose()
