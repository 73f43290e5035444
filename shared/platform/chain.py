"""The one check that an event is the next link of its source's hash chain.

NATS is transport: anyone who can publish on an event subject can hand a consumer a well-formed
event. What no one can forge without the source's database is the chain: an event is the next
link only when it sits at the next position, names as its previous hash the hash of the last
event taken from that source, and its own hash recomputes from its contents. Every consumer
runner and every keeper of a linked log asks this one function before taking an event.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketnap.platform.envelope import GENESIS_HASH, RecordedEvent


class ChainRefused(Exception):
    """An event that is not the next link of the chain taken so far.

    `kind`: "gap" (a position is missing before it), "broken_link" (its previous_hash is not the
    hash taken at the position before), "altered" (its hash does not match its contents),
    "rewritten" (a position already taken arrives again with another hash).
    """

    def __init__(self, kind: str, position: int, detail: str) -> None:
        self.kind = kind
        self.position = position
        self.detail = detail
        super().__init__(f"{kind} at position {position}: {detail}")


@dataclass(frozen=True, slots=True)
class Link:
    """The last event taken from a source: its position and its hash (the genesis hash at 0)."""

    position: int
    hash: str

    @classmethod
    def start(cls) -> Link:
        return cls(0, GENESIS_HASH)


def next_link(last: Link, event: RecordedEvent, *, contents_checked: bool = False) -> Link:
    """The link `event` makes after `last`, or `ChainRefused` naming the first thing wrong.

    `contents_checked`: this very object's hash was recomputed from its contents in this process
    already (`ketnap.platform.bus.consumer.DecodedOnce`); its place in the chain is still checked."""
    if event.position == last.position and event.hash != last.hash:
        raise ChainRefused("rewritten", event.position, "this position was taken before with another hash")
    if event.position != last.position + 1:
        raise ChainRefused("gap", last.position + 1, f"position {last.position + 1} is missing (the next to arrive is {event.position})")
    if event.previous_hash != last.hash:
        raise ChainRefused("broken_link", event.position, "previous_hash is not the hash taken at the position before")
    if not contents_checked and event.expected_hash() != event.hash:
        raise ChainRefused("altered", event.position, "the hash does not match the event's contents")
    return Link(event.position, event.hash)
