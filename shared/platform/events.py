"""The base of every service's domain events, and reading them back across schema versions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from ketnap.platform.envelope import NewEvent, RecordedEvent

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
"""The data of one schema version turned into the next version's shape."""

E = TypeVar("E", bound="DomainEvent")


class DomainEvent(BaseModel):
    """An immutable fact; its `event_type` is the class name, its shape versioned by `schema_version`.

    A new shape is a new `schema_version` with an upcaster for the old one, never an edit in place.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    schema_version: ClassVar[int] = 1

    @classmethod
    def event_type(cls) -> str:
        return cls.__name__

    def to_new_event(self, event_id: UUID | None = None) -> NewEvent:
        fields: dict[str, Any] = {
            "event_type": self.event_type(),
            "data": self.model_dump(mode="json"),
            "schema_version": self.schema_version,
        }
        if event_id is not None:
            fields["event_id"] = event_id
        return NewEvent(**fields)


def upcast(recorded: RecordedEvent, cls: type[E], upcasters: dict[tuple[str, int], Upcaster]) -> E:
    """A recorded event as its model, its data upcast from the version it was written in."""
    data, version = recorded.data, recorded.schema_version
    while version < cls.schema_version:
        data = upcasters[(recorded.event_type, version)](data)
        version += 1
    return cls.model_validate(data)
