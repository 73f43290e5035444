"""Loading an aggregate from its stream: the one way handlers, the voting consumer and the importer do it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from ketnap.platform.eventstore import EventStore
from ketnap.services.registry.classes import TrainingClass
from ketnap.services.registry.events import (
    Event,
    class_stream,
    locality_stream,
    organisation_stream,
    parse,
    person_stream,
    rating_stream,
)
from ketnap.services.registry.locality import Locality
from ketnap.services.registry.member import Person
from ketnap.services.registry.organisation import Organisation
from ketnap.services.registry.ratings import QualityRating
from ketnap.services.registry.values import RatingSubject

A = TypeVar("A", Organisation, Person, Locality, TrainingClass, QualityRating)


async def load(store: EventStore, stream_id: str, build: Callable[[list[Event]], A]) -> A:
    records = await store.read_stream(stream_id)
    aggregate = build([e for e in (parse(r) for r in records) if e is not None])
    # The version is the stream's, whatever this code knows of each event: it is what appends check.
    aggregate.version = len(records)
    return aggregate


async def load_organisation(store: EventStore, code: str) -> Organisation:
    return await load(store, organisation_stream(code), lambda events: Organisation.from_history(code, events))


async def load_person(store: EventStore, citizen_id: str) -> Person:
    return await load(store, person_stream(citizen_id), lambda events: Person.from_history(citizen_id, events))


async def load_locality(store: EventStore, code: str) -> Locality:
    return await load(store, locality_stream(code), lambda events: Locality.from_history(code, events))


async def load_class(store: EventStore, class_id: str) -> TrainingClass:
    return await load(store, class_stream(class_id), lambda events: TrainingClass.from_history(class_id, events))


async def load_rating(store: EventStore, year: int, subject: RatingSubject, key: str) -> QualityRating:
    return await load(
        store, rating_stream(year, subject, key), lambda events: QualityRating.from_history(year, subject, key, events)
    )


async def established_here(store: EventStore, codes: Iterable[str]) -> set[str]:
    """The units among `codes` established in this registry's own log.

    Each unit is established in exactly one deployment's log; the others reached the read model
    through a registry log kept from a linked deployment, and have no stream in this one."""
    found = set()
    for code in dict.fromkeys(codes):
        records = await store.read_stream(organisation_stream(code))
        if records and records[0].event_type == "OrganisationEstablished":
            found.add(code)
    return found
