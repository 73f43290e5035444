"""The list of users and their tokens (`gateway.query.users`): a projection of the gateway's own log.

Only listing reads it; authentication never does (it reads the streams, see accounts.py). Each
answer first applies whatever the live consumer has not applied yet, so a user just added is
listed at once. No secret or hash is copied here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

import asyncpg

from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.eventstore import EventStore
from ketnap.platform.projections import Projection, catch_up_own_log
from ketnap.services.gateway import events as ev
from ketnap.services.gateway.access import ROLE_TITLES, Role

TABLES = {
    "users": (
        "login text PRIMARY KEY, display_name text NOT NULL, role text NOT NULL, organisation text NOT NULL, "
        "disabled boolean NOT NULL, created_at timestamptz NOT NULL"
    ),
    "tokens": (
        "token_id text PRIMARY KEY, login text NOT NULL, label text, issued_at timestamptz NOT NULL, "
        "expires_at timestamptz, revoked boolean NOT NULL"
    ),
}


LISTED = frozenset({ev.UserCreated.__name__, ev.UserDisabled.__name__, ev.TokenIssued.__name__, ev.TokenRevoked.__name__})
"""The events `Accounts.apply` writes from."""


class Accounts(Projection):
    def __init__(self, schema: str) -> None:
        self.schema = schema
        self.name = f"{schema}.accounts"
        self.sources = (schema,)
        self.tables = TABLES
        self._catching_up = asyncio.Lock()

    def consumed(self, source: str) -> tuple[str, ...] | None:
        # Most of the gateway's log is kept answers and personal reads, none of them listed here.
        return tuple(sorted(LISTED))

    async def apply(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent, source: str) -> None:
        parsed = ev.parse(event)
        if isinstance(parsed, ev.UserCreated):
            await conn.execute(
                f"INSERT INTO {schema}.users VALUES ($1, $2, $3, $4, false, $5) ON CONFLICT (login) DO NOTHING",
                parsed.login, parsed.display_name, parsed.role.value, parsed.organisation, event.recorded_at,
            )
        elif isinstance(parsed, ev.UserDisabled):
            await conn.execute(f"UPDATE {schema}.users SET disabled = true WHERE login = $1", parsed.login)
        elif isinstance(parsed, ev.TokenIssued):
            await conn.execute(
                f"INSERT INTO {schema}.tokens VALUES ($1, $2, $3, $4, $5, false) ON CONFLICT (token_id) DO NOTHING",
                parsed.token_id, parsed.login, parsed.label, event.recorded_at, parsed.expires_at,
            )
        elif isinstance(parsed, ev.TokenRevoked):
            await conn.execute(f"UPDATE {schema}.tokens SET revoked = true WHERE token_id = $1", parsed.token_id)

    async def catch_up(self, pool: asyncpg.Pool, store: EventStore) -> None:
        """Apply, under the live consumer's checkpoint, every event it has not applied yet."""
        await catch_up_own_log(self, pool, store, self._catching_up)

    async def users(
        self, pool: asyncpg.Pool, organisations: Collection[str] | None, include_disabled: bool, now: Callable[[], datetime]
    ) -> list[dict[str, Any]]:
        """Users of `organisations` (every user when None), each with their tokens still valid."""
        async with pool.acquire() as conn:
            users = await conn.fetch(
                f"SELECT * FROM {self.schema}.users WHERE ($1::text[] IS NULL OR organisation = ANY($1)) "
                "AND ($2 OR NOT disabled) ORDER BY organisation, login",
                None if organisations is None else list(organisations), include_disabled,
            )
            tokens = await conn.fetch(
                f"SELECT * FROM {self.schema}.tokens WHERE login = ANY($1) AND NOT revoked "
                "AND (expires_at IS NULL OR expires_at > $2) ORDER BY issued_at",
                [u["login"] for u in users], now(),
            )
        by_login: dict[str, list[dict[str, Any]]] = {}
        for t in tokens:
            by_login.setdefault(t["login"], []).append(
                {"token_id": t["token_id"], "label": t["label"], "issued_at": t["issued_at"].isoformat(),
                 "expires_at": t["expires_at"].isoformat() if t["expires_at"] else None}
            )
        return [
            {
                "login": u["login"], "display_name": u["display_name"], "role": u["role"],
                "role_title": ROLE_TITLES[Role(u["role"])], "organisation": u["organisation"], "disabled": u["disabled"],
                "tokens": by_login.get(u["login"], []),
            }
            for u in users
        ]
