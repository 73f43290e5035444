"""The one event-store API of every service: append with optimistic concurrency, read streams and the log."""

from shared.eventstore.errors import ChainRefused, ConcurrencyConflict, DuplicateEventMismatch
from shared.eventstore.store import AppendResult, EventStore

__all__ = ["AppendResult", "ChainRefused", "ConcurrencyConflict", "DuplicateEventMismatch", "EventStore"]
