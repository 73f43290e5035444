"""Users and tokens as their streams say they are now: what authentication and the gateway's
commands decide on. The commands load them from the gateway's own EventStore on every use;
authentication keeps what it read in `AccountsCache`, which the commands that change a user or
a token empty once their events are committed and before they answer, so a token works the
moment it is issued and stops the moment it (or its user) is revoked or disabled.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ketnap.platform.eventstore import EventStore
from ketnap.services.gateway import events as ev
from ketnap.services.gateway.access import Role


@dataclass
class User:
    login: str
    display_name: str
    role: Role
    organisation: str
    disabled: bool = False
    version: int = 0
    password_hash: str | None = None
    password_version: int = 0
    """The stream version of the latest `PasswordSet`: sessions started under another end."""


@dataclass
class Token:
    token_id: str
    login: str
    secret_sha256: str
    expires_at: datetime | None
    revoked: bool = False
    version: int = 0

    def valid_at(self, moment: datetime) -> bool:
        return not self.revoked and (self.expires_at is None or moment < self.expires_at)


async def load_user(store: EventStore, login: str) -> User | None:
    user: User | None = None
    for recorded in await store.read_stream(ev.user_stream(login)):
        event = ev.parse(recorded)
        if isinstance(event, ev.UserCreated):
            user = User(event.login, event.display_name, event.role, event.organisation)
        elif isinstance(event, ev.UserDisabled) and user is not None:
            user.disabled = True
        elif isinstance(event, ev.PasswordSet) and user is not None:
            user.password_hash, user.password_version = event.password_hash, recorded.stream_version
        if user is not None:
            user.version = recorded.stream_version
    return user


@dataclass
class Session:
    session_id: str
    login: str
    secret_sha256: str
    expires_at: datetime
    password_version: int
    ended: bool = False

    def valid_at(self, moment: datetime) -> bool:
        return not self.ended and moment < self.expires_at


async def load_session(store: EventStore, session_id: str) -> Session | None:
    session: Session | None = None
    for recorded in await store.read_stream(ev.session_stream(session_id)):
        event = ev.parse(recorded)
        if isinstance(event, ev.SessionStarted):
            session = Session(event.session_id, event.login, event.secret_sha256, event.expires_at, event.password_version)
        elif isinstance(event, ev.SessionEnded) and session is not None:
            session.ended = True
    return session


async def load_token(store: EventStore, token_id: str) -> Token | None:
    token: Token | None = None
    for recorded in await store.read_stream(ev.token_stream(token_id)):
        event = ev.parse(recorded)
        if isinstance(event, ev.TokenIssued):
            token = Token(event.token_id, event.login, event.secret_sha256, event.expires_at)
        elif isinstance(event, ev.TokenRevoked) and token is not None:
            token.revoked = True
        if token is not None:
            token.version = recorded.stream_version
    return token


TOKEN_STREAM, USER_STREAM = ev.token_stream(""), ev.user_stream("")


class AccountsCache:
    """Each token authentication has found, with its user, as their streams said when read: two
    reads of the log spared on every request (issue 21). Only tokens that exist are kept, so
    a token issued a moment ago is read from its stream on first use.

    `forget` (a `Service.command` `recorded` hook of every command that changes a user or a
    token) drops what the change touches (the token, or every token of the user) after the change
    is committed and before the command answers; the others stay, so a user or a token added
    while officers work does not send every request back to the log (issue 21). A read that
    began before a change and ends after `forget` is not kept (the generation moved on), so no
    entry outlives a change that anyone has been told of. This holds because those commands run
    in the gateway's own process, as the only writer of `user-*` and `token-*` streams; `MAX_AGE_SECONDS`
    bounds what a second writer (none today) could leave behind.
    """

    MAX_ENTRIES = 10_000
    MAX_AGE_SECONDS = 30.0

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Token, User]] = {}
        self._generation = 0

    def forget(self, decision: Any = None) -> None:
        """Drop what the decision's stream (`token-…`, `user-…`) touches; everything for any other (or none)."""
        self._generation += 1
        stream = str(getattr(decision, "stream_id", ""))
        if stream.startswith(TOKEN_STREAM):
            self._entries.pop(stream.removeprefix(TOKEN_STREAM), None)
        elif stream.startswith(USER_STREAM):
            login = stream.removeprefix(USER_STREAM)
            for token_id in [t for t, (_, token, user) in self._entries.items() if login in (token.login, user.login)]:
                del self._entries[token_id]
        else:
            self._entries.clear()

    async def token_and_user(self, store: EventStore, token_id: str) -> tuple[Token | None, User | None]:
        """The token and its user (each None when there is none)."""
        now = time.monotonic()
        kept = self._entries.get(token_id)
        if kept is not None and now - kept[0] < self.MAX_AGE_SECONDS:
            return kept[1], kept[2]
        generation = self._generation
        token = await load_token(store, token_id)
        user = await load_user(store, token.login) if token is not None else None
        if token is not None and user is not None and generation == self._generation:
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()
            self._entries[token_id] = (now, token, user)
        return token, user
