"""Commands and their typed replies: what a service is asked to do and what it answers.

Every command carries an idempotency key, the actor and the actor's organisation scope. A reply
is ok (new stream version and event ids) or an error with a code (`validation`, `rule:<CODE>`,
`conflict`, `forbidden`, `not_found`, `unavailable`) and a message in Vietnamese for the user.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from ketnap.platform.envelope import EventMetadata, NewEvent

_IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1c7b1e-2d0a-4c55-9a3e-6b7f1f0d2c11")


class Command(BaseModel):
    """Fields every command has; each command adds its own and forbids unknown ones."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    idempotency_key: str = Field(min_length=8, max_length=128)
    actor: str = Field(min_length=1, max_length=128)
    scope: str = Field(min_length=1, max_length=64, description="the actor's organisation code")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul_character(cls, value: Any) -> Any:
        """PostgreSQL cannot store U+0000 in text or jsonb: refused here, with the field named,
        rather than failing the append of every command committed with it."""
        if _holds_nul(value):
            raise PydanticCustomError("nul_character", NUL_PROBLEM)
        return value


NUL_PROBLEM = "Dữ liệu chứa ký tự rỗng (U+0000), không thể lưu."


def nul_errors(body: Any, at: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Each place of a request's body holding U+0000, as pydantic's errors (`loc`, `type`, `msg`):
    a query's text reaches PostgreSQL too (a search by name), which refuses it with an error of
    its own, not the field's."""
    if isinstance(body, str):
        return [{"loc": at, "type": "nul_character", "msg": NUL_PROBLEM}] if "\x00" in body else []
    if isinstance(body, dict):
        return [e for k, v in body.items() for e in nul_errors(v, (*at, k))] + (
            [{"loc": at, "type": "nul_character", "msg": NUL_PROBLEM}] if any(_holds_nul(k) for k in body) else [])
    if isinstance(body, (list, tuple)):
        return [e for i, v in enumerate(body) for e in nul_errors(v, (*at, i))]
    return []


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_holds_nul(v) for v in value)
    return False


def arguments_of(command: Command, *leaving_out: str) -> dict[str, Any]:
    """The fields a command adds to every command's (idempotency key, actor, scope), by name and as
    they are, less `leaving_out` (those its handler uses itself, such as the id of the stream to
    load): the keyword arguments of the aggregate method that decides it."""
    besides = {*Command.model_fields, *leaving_out}
    return {name: getattr(command, name) for name in type(command).model_fields if name not in besides}


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class Reply(BaseModel):
    ok: bool
    stream_id: str | None = None
    stream_version: int | None = None
    event_ids: list[str] = Field(default_factory=list)
    result: dict[str, Any] | None = None
    error: ErrorBody | None = None


class DomainError(Exception):
    """A refusal the user must read: a code and a Vietnamese message."""

    code: str = "validation"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def body(self) -> ErrorBody:
        return ErrorBody(code=self.code, message=self.message, details=self.details)


class InvalidInput(DomainError):
    code = "validation"


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    code = "forbidden"


class Conflict(DomainError):
    code = "conflict"


class Unavailable(DomainError):
    """Another service did not answer in time: nothing was decided or written, the user may retry."""

    code = "unavailable"


class RuleViolation(DomainError):
    """A rule of domain.md refused the command; the message carries the rule code, as users expect."""

    def __init__(self, rule: str, message: str, **details: Any) -> None:
        super().__init__(f"[{rule}] {message}", rule=rule, **details)
        self.rule = rule
        self.code = f"rule:{rule}"


class RuleConflict(RuleViolation):
    """A rule that refuses an act because of what another act recorded (one open dossier a person):
    the message and `details.rule` carry the rule code like any rule's, and the reply is a
    `conflict` (HTTP 409), the answer the loser of two such acts at once gets whichever check stops
    it (the store's version check, or the rule reading the winner's record)."""

    def __init__(self, rule: str, message: str, **details: Any) -> None:
        super().__init__(rule, message, **details)
        self.code = Conflict.code


@dataclass(frozen=True)
class Decision:
    """What a command handler decided: events to append to one stream at an expected version."""

    stream_id: str
    expected_version: int
    events: list[NewEvent]
    result: dict[str, Any] = field(default_factory=dict)
    keep_result: bool = True
    """False when the result holds a secret shown once (a token): a retry then answers without it."""
    in_turn: Callable[[], Awaitable[Sequence[Alongside] | None]] | None = None
    """What must still hold, or be reserved, when the events are appended: run just before the
    append, inside the command's turn when it has one (raising refuses, nothing appended). A
    command declared `decides_ahead` is decided before its turn is taken (its questions to other
    services then hold no one up); this re-asks, in the turn, only what the turn protects. What it
    returns is appended with the decision's events, in one transaction (a reservation)."""


@dataclass(frozen=True)
class Alongside:
    """Events of another stream recorded in the same transaction as a decision's, all or none (a
    person's reservation beside the dossier opened for them: one commit, not two). Appended at
    their own expected version, with their own ids and metadata: a stale version is a conflict of
    the whole command, as the decision's own would be."""

    stream_id: str
    expected_version: int
    events: list[NewEvent]
    metadata: EventMetadata


def idempotent_event_ids(service: str, command: str, key: str, count: int) -> list[uuid.UUID]:
    """The same command with the same key always records the same event ids: a retry is a no-op."""
    return [uuid.uuid5(_IDEMPOTENCY_NAMESPACE, f"{service}:{command}:{key}:{i}") for i in range(count)]


ErrorCode = Literal["validation", "conflict", "forbidden", "not_found", "unavailable"]
