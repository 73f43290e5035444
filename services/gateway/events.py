"""The gateway's log: who may use the API and the web application (users, their tokens, passwords,
sessions and sign-in attempts), and who read which personal data. Stream ids: `user-<login>`,
`token-<token_id>`, `session-<session_id>`, `sign-ins-<login>-<YYYY-MM-DD>`,
`personal-reads-<dossier_id>`, `personal-searches-<login>`, `answer-<key>` (answers.py).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from pydantic import Field

from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.events import DomainEvent, Upcaster, upcast
from ketnap.services.gateway.access import Role


def user_stream(login: str) -> str:
    return f"user-{login}"


def token_stream(token_id: str) -> str:
    return f"token-{token_id}"


def session_stream(session_id: str) -> str:
    return f"session-{session_id}"


def sign_ins_stream(login: str, day: date) -> str:
    """A login's sign-in attempts of one (UTC) day: lock-out reads today's and yesterday's only."""
    return f"sign-ins-{login}-{day.isoformat()}"


def reads_stream(dossier_id: str) -> str:
    return f"personal-reads-{dossier_id}"


def searches_stream(login: str) -> str:
    return f"personal-searches-{login}"


def answer_stream(owned_key: str) -> str:
    """`owned_key` is the user's Idempotency-Key as the services see it (api.own_key: a hash of
    the login and the key), so the stream names neither."""
    return f"answer-{owned_key}"


class UserCreated(DomainEvent):
    login: str
    display_name: str
    role: Role
    organisation: str


class UserDisabled(DomainEvent):
    """Every token of the user stops working at once: authentication reads the user's stream."""

    login: str
    reason: str | None = None


class PasswordSet(DomainEvent):
    """The user's password for the web application, kept only as its argon2id hash (passwords.py).
    Sessions started under an earlier password end with it."""

    login: str
    password_hash: str = Field(repr=False)


class SessionStarted(DomainEvent):
    """A signed-in browser session: its secret is in the browser's cookie only; here its SHA-256."""

    session_id: str
    login: str
    secret_sha256: str = Field(repr=False)
    expires_at: datetime
    password_version: int
    """The user stream's version of the password it was started with: a new password ends it."""


class SessionEnded(DomainEvent):
    session_id: str
    login: str
    reason: str
    """`signed_out`."""


class SignInFailed(DomainEvent):
    """A wrong password for an existing user (nothing is recorded for a login that does not exist)."""

    login: str


class SignedIn(DomainEvent):
    """A sign-in that started a session: the failures before it no longer count towards a lock-out."""

    login: str
    session_id: str


class TokenIssued(DomainEvent):
    """Only the SHA-256 of the secret is kept: the secret itself was shown once, to whoever asked."""

    token_id: str
    login: str
    label: str | None = None
    secret_sha256: str
    expires_at: datetime | None = None


class TokenRevoked(DomainEvent):
    token_id: str
    login: str


class PersonalHistoryRead(DomainEvent):
    """Someone read a personal history (domain.md §6). Names the reader and what was read, never
    anything about the applicant beyond the dossier's id and cell."""

    dossier_id: str
    cell: str
    reader: str
    reader_organisation: str
    role: Role
    read: str
    """The query answered, `<service>.<query>` (e.g. `dossiers.dossier`)."""


class PersonalDataSearched(DomainEvent):
    """Someone searched dossiers and was shown applicants' names and citizen ids: one record per
    answer, naming the dossiers shown, never what was typed (it may be a name or a citizen id)."""

    reader: str
    reader_organisation: str
    role: Role
    read: str
    """The query answered, `<service>.<query>` (e.g. `dossiers.search`)."""
    organisation: str
    """The unit whose subtree was searched."""
    dossier_ids: list[str]
    by_name: bool
    by_citizen_id: bool


class AnswerKept(DomainEvent):
    """The answer a command got, kept with its Idempotency-Key so that a retry gets it unchanged,
    whatever happened since: written by earlier versions only; answers are now kept in the table
    `kept_answers` (answers.py), where the bootstrap copies the last 7 days' of these."""

    schema_version: ClassVar[int] = 2

    route: str
    """`<service>.<command>`."""
    status: int
    body: dict[str, Any]
    """The reply as the user got it, with the command's `result`."""
    request: str | None
    """The SHA-256 of the request as sent (route and body, answers.request_digest): a retry must
    send the same; None in answers kept before it was recorded (version 1)."""


EVENTS: dict[str, type[DomainEvent]] = {
    cls.event_type(): cls
    for cls in (
        UserCreated, UserDisabled, PasswordSet, TokenIssued, TokenRevoked, SessionStarted, SessionEnded, SignInFailed, SignedIn,
        PersonalHistoryRead, PersonalDataSearched, AnswerKept,
    )
}


UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("AnswerKept", 1): lambda data: {**data, "request": None},
}
"""(event type, old schema version) -> function returning the data in the next version."""


def parse(recorded: RecordedEvent) -> DomainEvent | None:
    """The event as its model, upcast to the current version; None for a type this version does not know."""
    cls = EVENTS.get(recorded.event_type)
    return upcast(recorded, cls, UPCASTERS) if cls else None
