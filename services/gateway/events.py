"""The gateway's log: who may use the API (users and their tokens), and who read which personal
history. Stream ids: `user-<login>`, `token-<token_id>`, `personal-reads-<dossier_id>`.
"""

from __future__ import annotations

from datetime import datetime

from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.events import DomainEvent
from ketnap.services.gateway.access import Role


def user_stream(login: str) -> str:
    return f"user-{login}"


def token_stream(token_id: str) -> str:
    return f"token-{token_id}"


def reads_stream(dossier_id: str) -> str:
    return f"personal-reads-{dossier_id}"


class UserCreated(DomainEvent):
    login: str
    display_name: str
    role: Role
    organisation: str


class UserDisabled(DomainEvent):
    """Every token of the user stops working at once: authentication reads the user's stream."""

    login: str
    reason: str | None = None


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


EVENTS: dict[str, type[DomainEvent]] = {
    cls.event_type(): cls for cls in (UserCreated, UserDisabled, TokenIssued, TokenRevoked, PersonalHistoryRead)
}


def parse(recorded: RecordedEvent) -> DomainEvent | None:
    """The event as its model; None for a type this version does not know."""
    cls = EVENTS.get(recorded.event_type)
    return cls.model_validate(recorded.data) if cls else None
