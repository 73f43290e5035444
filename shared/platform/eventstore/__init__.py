"""The one event-store API of every service: append with optimistic concurrency, read streams and the log."""

from ketnap.platform.eventstore.errors import ChainRefused, ConcurrencyConflict, DuplicateEventMismatch
from ketnap.platform.eventstore.store import AppendResult, EventStore

__all__ = ["AppendResult", "ChainRefused", "ConcurrencyConflict", "DuplicateEventMismatch", "EventStore"]
