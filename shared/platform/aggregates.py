"""Aggregates kept between commands: the one way a service loads an aggregate from its log.

A command used to read its aggregate's whole stream, decode every event and fold them, for every
command and query (issue 21: a tenth of a command's CPU in the dossiers service). `KeptAggregates`
keeps the state each stream was folded to, the most recently used first, and on the next load reads
only from the version it kept (one read by stream and version, on the stream's unique index),
folding just what came since: another process or replica of the service may have appended.

Nothing kept is trusted blindly:
- the read starts at the kept version itself, whose event must still be there with the hash kept
  (the chain's hash of that position): anything else (an append rolled back after it was read
  in its own transaction, a log restored) drops what was kept and the stream is replayed whole;
- the versions read must follow on one by one, as in a full replay;
- a command's append still names the version it decided on, so a concurrent write is a conflict
  for the store as before; after a conflict the runtime drops what was kept of that stream
  (`forget`), and the next load replays it.

Every load hands out a copy the caller owns (`detached`): a handler may change it while deciding
(verification's and voting's aggregates record what they decide in themselves), and two commands
of one stream at once never see each other's half-made decisions. What is kept is kept per
`EventStore` object, so a judgement's scratch copy of the log (`judging.ScratchStore`) never
shares states with the live log.
"""

from __future__ import annotations

import copy
import dataclasses
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any, Generic, TypeVar
from uuid import UUID
from weakref import WeakKeyDictionary, WeakSet

from pydantic import BaseModel

from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.eventstore import EventStore

A = TypeVar("A")

KEPT = 2_000
"""Streams kept per log, the least recently loaded dropped first (a dossier's state is a few kB)."""

_SHARED = (str, int, float, bool, bytes, date, datetime, Enum, UUID, type(None))


@dataclasses.dataclass
class _Kept(Generic[A]):
    version: int
    hash: str
    state: A


class KeptAggregates(Generic[A]):
    """One kind of aggregate, kept per log by stream id.

    `replay(stream_id, events)`: the state folded from a stream's events, from its first;
    `advance(state, events)`: the same state moved on by the events that follow, in place."""

    def __init__(
        self, replay: Callable[[str, Sequence[RecordedEvent]], A], advance: Callable[[A, Sequence[RecordedEvent]], None], *, most: int = KEPT
    ) -> None:
        self._replay = replay
        self._advance = advance
        self._most = most
        self._logs: WeakKeyDictionary[EventStore, OrderedDict[str, _Kept[A]]] = WeakKeyDictionary()
        _EVERY.add(self)

    async def load(self, store: EventStore, stream_id: str) -> A | None:
        """The stream's aggregate as the log holds it now, a copy the caller owns; None when the
        stream has no events."""
        kept = self._logs.setdefault(store, OrderedDict())
        before = kept.get(stream_id)
        if before is not None:
            version = before.version
            recorded = await store.read_stream(stream_id, version - 1)
            if kept.get(stream_id) is before and before.version == version and _follows_on(recorded, version, before.hash):
                try:
                    if len(recorded) > 1:
                        self._advance(before.state, recorded[1:])
                        before.version, before.hash = recorded[-1].stream_version, recorded[-1].hash
                except BaseException:
                    kept.pop(stream_id, None)  # half moved on: never kept
                    raise
                kept.move_to_end(stream_id)
                return detached(before.state)
            if kept.get(stream_id) is before:
                del kept[stream_id]  # not what was kept (or moved meanwhile): replayed whole below
        recorded = await store.read_stream(stream_id)
        if not recorded:
            return None
        if not _follows_on(recorded, 0, None):
            raise ValueError(f"stream {stream_id!r} does not hold its versions one after another")
        state = self._replay(stream_id, recorded)
        kept[stream_id] = _Kept(recorded[-1].stream_version, recorded[-1].hash, detached(state))
        kept.move_to_end(stream_id)
        while len(kept) > self._most:
            kept.popitem(last=False)
        return state

    def forget(self, store: EventStore, stream_id: str) -> None:
        """Drop what is kept of one stream (its append met a conflict): the next load replays it."""
        kept = self._logs.get(store)
        if kept is not None:
            kept.pop(stream_id, None)


_EVERY: WeakSet[KeptAggregates[Any]] = WeakSet()


def forget(store: EventStore, stream_id: str) -> None:
    """Drop what any kind of aggregate keeps of one stream of `store`'s log: the runtime calls it
    when a command's append met a conflict on that stream."""
    for kind in _EVERY:
        kind.forget(store, stream_id)


def _follows_on(recorded: Sequence[RecordedEvent], version: int, head: str | None) -> bool:
    """The events read from `version` (the kept one, whose hash was `head`; 0: the stream's start)
    are that event, unchanged, and the versions after it one by one."""
    if version > 0 and (not recorded or recorded[0].stream_version != version or recorded[0].hash != head):
        return False
    return all(event.stream_version == version + offset for offset, event in enumerate(recorded, start=0 if version > 0 else 1))


def detached(value: Any) -> Any:
    """A copy of an aggregate's state sharing only what cannot change: frozen pydantic models (the
    events and their parts) and frozen dataclasses are shared, every container and every other
    dataclass is copied, anything else is deep-copied. How each type is copied is worked out once
    (a dossier's state is some eighty values: the copy must cost less than the replay it saves)."""
    kind = type(value)
    copier = _COPIERS.get(kind)
    if copier is None:
        copier = _COPIERS[kind] = _copier_of(kind)
    return copier(value)


def _same(value: Any) -> Any:
    return value


def _copier_of(kind: type) -> Callable[[Any], Any]:
    if issubclass(kind, _SHARED):
        return _same
    if kind is list:
        return lambda value: [detached(v) for v in value]
    if kind is dict:
        return lambda value: {k: detached(v) for k, v in value.items()}
    if kind in (set, frozenset, tuple):
        return lambda value: kind(detached(v) for v in value)
    if issubclass(kind, BaseModel):
        return _same if kind.model_config.get("frozen") else (lambda value: value.model_copy(deep=True))
    if dataclasses.is_dataclass(kind):
        if kind.__dataclass_params__.frozen:  # type: ignore[attr-defined]
            return _same
        names = [f.name for f in dataclasses.fields(kind)]

        def copied(value: Any) -> Any:
            twin = copy.copy(value)
            for name in names:
                object.__setattr__(twin, name, detached(getattr(value, name)))
            return twin

        return copied
    return copy.deepcopy


_COPIERS: dict[type, Callable[[Any], Any]] = {}
