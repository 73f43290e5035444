"""What can go wrong when appending to a log."""

from __future__ import annotations

from ketnap.platform.chain import ChainRefused

__all__ = ["ChainRefused", "ConcurrencyConflict", "DuplicateEventMismatch"]


class ConcurrencyConflict(Exception):
    """Someone else appended to the stream since the caller read it."""

    def __init__(self, stream_id: str, expected_version: int, actual_version: int) -> None:
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.actual_version = actual_version
        super().__init__(
            f"stream {stream_id!r} is at version {actual_version}, expected {expected_version}"
        )


class DuplicateEventMismatch(Exception):
    """Some, not all, of the event ids of an append are already stored: not a plain retry."""

    def __init__(self, stream_id: str, known: list[str]) -> None:
        self.stream_id = stream_id
        self.known = known
        super().__init__(f"stream {stream_id!r}: events {known} are already stored, others are not")
