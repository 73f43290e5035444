"""What every reporting projection shares: its sources by role, a handler per event type, and the
tolerant reading of other services' events.

Reporting imports no other service's code. It reads the `data` of each `RecordedEvent` with its own
small pydantic models that ignore unknown fields, so a service may add fields without breaking it;
an event type no projection handles is skipped.

A projection with several sources is fed by one live consumer per source, in no fixed order
between them, while a rebuild interleaves the logs by time. Every handler therefore writes only
columns that its own source owns (or merges commutatively, e.g. `least`), so that live tables and
their rebuild are equal whatever the interleaving.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date
from typing import Any, ClassVar, TypeVar

import asyncpg
import pydantic
from pydantic import BaseModel, ConfigDict

from ketnap.platform.bus.consumer import Unapplicable
from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.projections import Projection
from ketnap.platform.rows import Rows, Table

ROLES = ("registry", "dossiers", "verification", "voting")
"""The logs reporting reads, by the role their owner plays; `build_service(sources=...)` maps a
role to the schema (and service name) of the log, so tests point reporting at fresh ones."""

M = TypeVar("M", bound=BaseModel)
Handler = Callable[[Any, asyncpg.Connection, str, RecordedEvent], Awaitable[None]]


class Inbound(BaseModel):
    """An event of another service as reporting reads it: only the fields it needs."""

    model_config = ConfigDict(frozen=True, extra="ignore")


def parse(model: type[M], event: RecordedEvent) -> M:
    """The event's data as `model`; an event that does not fit is dead-lettered with a reason that
    names fields and problems, never the values (they may be personal data)."""
    try:
        return model.__pydantic_validator__.validate_python(event.data)  # model_validate without its wrapper: a rebuild parses every event
    except pydantic.ValidationError as error:
        problems = ", ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(data)'}: {e['type']}" for e in error.errors(include_url=False)
        )
        raise Unapplicable(f"{event.event_type} at position {event.position} does not fit reporting: {problems}") from None


def on(role: str, *event_types: str) -> Callable[[Handler], Handler]:
    """Mark a method of a `ReportingProjection` as the handler of these event types of `role`'s log;
    a handler of several logs is marked once per log."""

    def mark(handler: Handler) -> Handler:
        handles = getattr(handler, "__reporting_handles__", [])
        handler.__reporting_handles__ = [*handles, *((role, t) for t in event_types)]  # type: ignore[attr-defined]
        return handler

    return mark


class ReportingProjection(Projection):
    """A projection of the reporting service: named `<schema>.<concern>`, reading the logs of `roles`."""

    concern: ClassVar[str]
    roles: ClassVar[tuple[str, ...]]
    _handlers: ClassVar[dict[tuple[str, str], Handler]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._handlers = {}
        for klass in reversed(cls.__mro__):
            for attribute in vars(klass).values():
                for key in getattr(attribute, "__reporting_handles__", ()):
                    cls._handlers[key] = attribute

    def __init__(self, schema: str = "reporting", sources: Mapping[str, str | Sequence[str]] | None = None) -> None:
        chosen = {role: (logs,) if isinstance(logs, str) else tuple(logs) for role, logs in (sources or {}).items()}
        self.schema = schema
        self.name = f"{schema}.{self.concern}"
        # A role may be played by several logs: this deployment's own and those kept from the
        # deployments below it, which hold other units' events (each unit lives in one log).
        self._role_of = {log: role for role in self.roles for log in chosen.get(role, (role,))}
        self.sources = tuple(self._role_of)

    def consumed(self, source: str) -> tuple[str, ...] | None:
        role = self._role_of.get(source, source)
        return tuple(sorted(t for r, t in self._handlers if r == role))

    async def apply(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent, source: str) -> None:
        handler = self._handlers.get((self._role_of.get(source, source), event.event_type))
        if handler is not None:
            await handler(self, conn, schema, event)


class KeyedProjection(ReportingProjection):
    """A reporting projection whose every row belongs to one dossier (its tables' keys begin with
    `dossier_id`): a batch of events is applied to the touched dossiers' rows in memory and written
    back at once (ketnap.platform.rows), a few round trips a batch instead of one or more an event.
    Its handlers are plain functions of the rows and the event; `apply` is a batch of one, so live
    and rebuilt tables come from the same code."""

    def __init__(self, schema: str = "reporting", sources: Mapping[str, str | Sequence[str]] | None = None) -> None:
        super().__init__(schema, sources)
        self._tables = {name: Table(name, columns) for name, columns in self.tables.items()}

    def key_of(self, event: RecordedEvent) -> str | None:
        """The dossier whose rows the event may touch (None: none); a handler that keys rows
        otherwise overrides this."""
        key = event.data.get("dossier_id")
        return key if isinstance(key, str) else None

    async def apply(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent, source: str) -> None:
        await self.apply_batch(conn, schema, [(source, event)])

    async def apply_batch(self, conn: asyncpg.Connection, schema: str, events: Sequence[tuple[str, RecordedEvent]]) -> None:
        handled = [
            (handler, event) for source, event in events
            if (handler := self._handlers.get((self._role_of.get(source, source), event.event_type))) is not None
        ]
        if not handled:
            return
        keys = {key for _, event in handled if (key := self.key_of(event)) is not None}
        memo: dict[Any, Any] | None = getattr(conn, "memo", None)
        if memo is not None and getattr(conn, "fresh", False):
            # A build into empty tables (its `WriteBehind`): a dossier it has not met yet has no
            # rows to read, and most of a batch's dossiers are new to it.
            met: set[str] = memo.setdefault(("rows", self.name), set())
            known = keys & met
            met |= keys
            keys = known
        rows = Rows(self._tables)
        await rows.load(conn, schema, keys)
        for handler, event in handled:
            handler(self, rows, event)
        await rows.write(conn, schema)


# --- values ----------------------------------------------------------------------------------------


def text(value: str | None) -> str | None:
    """Unicode NFC, whitespace runs collapsed: the same word typed in NFD or with stray spaces
    counts once (domain.md §6). Empty text is no text."""
    if value is None:
        return None
    cleaned = " ".join(unicodedata.normalize("NFC", value).split())
    return cleaned or None


def person_key(citizen_id: str) -> str:
    """A stable key for a person's membership rows, so reporting tables hold no citizen ids.

    Pseudonymous, not anonymous: a 12-digit id can be found again by trying them all. It keeps
    ids out of reporting's tables and exports, which is what reports need.
    """
    return hashlib.sha256(f"ketnap.reporting.person:{citizen_id.strip()}".encode()).hexdigest()[:32]


DATE_FIELDS = (
    "on", "opened_on", "submitted_on", "issued_on", "declared_on", "corrected_on", "recorded_on", "ready_on",
    "certified_on", "blocked_on", "sent_on", "replied_on", "checked_on", "decided_on", "meeting_on", "appraised_on",
    "decision_date", "received_on", "agreed_on", "held_on", "filed_on", "completed_on", "judged_on",
    "effective_from", "end_date", "start_date",
)


_DATE_ORDER = {name: index for index, name in enumerate(DATE_FIELDS)}
_DATE_FIELDS_OF: dict[tuple[str, ...], tuple[str, ...]] = {}
"""An event's keys (in the order it has them) -> those of them that may state its day, in the
order above: the events of one type have the same few keys, so this is computed a handful of
times per log, not once per event (every event of every log passes here in a rebuild)."""


def business_date(data: Mapping[str, Any]) -> date | None:
    """The day the fact happened, as the event states it (not the day it was recorded)."""
    keys = tuple(data)
    if (fields := _DATE_FIELDS_OF.get(keys)) is None:
        if len(_DATE_FIELDS_OF) > 4_096:  # event data with ever-new keys: stay bounded
            _DATE_FIELDS_OF.clear()
        fields = _DATE_FIELDS_OF[keys] = tuple(sorted(_DATE_ORDER.keys() & set(keys), key=_DATE_ORDER.__getitem__))
    for name in fields:
        value = data[name]
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                continue
    return None
