"""Users and tokens as their streams say they are now: what authentication and the gateway's
commands decide on. Loaded from the gateway's own EventStore on every use, so a token works
the moment it is issued and stops the moment it (or its user) is revoked or disabled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
