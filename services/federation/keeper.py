"""The keeper of one linked log: takes what arrives through the sourced stream, checks that each
event is the next link of the origin's hash chain, and keeps it verbatim.

What it keeps, the rest of this deployment reads like a log of its own (relayed to JetStream as
`<service>_at_<origin>`, readable on `<service>_at_<origin>.query.log`). What it refuses raises
an integrity alarm of this service (`ketnap.platform.alarms`, listed by `ketnap alarms list` and
counted by `ketnap status` like any consumer's) and stays out: the kept log never holds an event
that does not chain on to the one before it, so the level above never counts what a lower level
rewrote.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import asyncpg
import nats.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from ketnap.platform import alarms
from ketnap.platform.bus import subjects
from ketnap.platform.bus.consumer import decode_messages
from ketnap.platform.bus.logread import RemoteLog
from ketnap.platform.bus.relay import Relay
from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.eventstore import ChainRefused, EventStore
from ketnap.platform.federation.links import KeptLog
from ketnap.platform.federation.streams import KEEPER, arriving_stream, keeper_durable
from ketnap.platform.logging import get_logger

log = get_logger(__name__)

FETCH = 1000
"""Messages asked for at once; with the next batch fetched while one is stored, two batches are in
flight, which the keeper's durable allows (`max_ack_pending` 2000, federation/streams.py)."""
REFUSED_RETRY_SECONDS = 30.0
"""A refused link is tried again this often: the origin may repair its log (an operator restores
it from a backup), and the kept log then continues; until then nothing after it is kept."""
GAP_RETRY_SECONDS = 5.0
"""A gap the origin could not fill yet (it did not answer) is asked again sooner: usually the
link is merely slow. It is a delay, not a refusal, so it raises no alarm (as a consumer's gap
raises none): its messages stay on the way, counted by the link's status until they are kept."""


@dataclass
class Keeper:
    kept: KeptLog
    pool: asyncpg.Pool
    schema: str
    nc: NatsClient
    js: JetStreamContext
    relay: Relay | None = None
    """The relay of the kept log in this process: handed what is kept, it publishes it without
    reading it back from the database."""
    store: EventStore = field(init=False)
    origin_log: RemoteLog = field(init=False)

    def __post_init__(self) -> None:
        self.store = EventStore(self.pool, self.kept.name)
        # A gap is filled from the database of the deployment it comes through (the origin's own
        # log, or the lower deployment's verified copy of it), through its federation service.
        self.origin_log = RemoteLog(
            self.nc, self.kept.name, subject=subjects.linked_log_subject(self.kept.through, self.kept.name_there)
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Keep until `stop`; the link or the bus being away is waited out, never an end."""
        backoff = 0.2
        while not stop.is_set():
            try:
                await self._follow(stop)
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - retried: see the docstring
                log.warning("keeper interrupted; resuming", kept_log=self.kept.name, error=type(error).__name__, retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _follow(self, stop: asyncio.Event) -> None:
        subscription = await self.js.pull_subscribe_bind(keeper_durable(self.kept), stream=arriving_stream(self.kept))
        # The next batch is asked for while the one before is checked and stored: catching up
        # after an outage, the fetch's round trip and the transaction's commit then overlap
        # (issue 21). Batches are still taken one after the other, in the order fetched.
        fetching = asyncio.ensure_future(_fetch(subscription))
        try:
            while not stop.is_set():
                messages = await fetching
                fetching = asyncio.ensure_future(_fetch(subscription))
                if not messages:
                    continue
                retry_in = await self.take(messages)
                if retry_in is not None:
                    # The log cannot go on for now: what was fetched behind the refused event
                    # waits as long as the rest of its batch, not checked against a gap.
                    for later in await fetching:
                        await later.nak(delay=retry_in)
                    fetching = asyncio.ensure_future(_fetch(subscription))
        finally:
            fetching.cancel()
            try:
                await subscription.unsubscribe()
            except Exception:  # noqa: BLE001 - the connection may be gone
                pass

    async def take(self, messages: list[Msg]) -> float | None:
        """Keep a fetched batch in one transaction when it chains on; otherwise one by one, so
        the refused event is the one named and everything before it is kept. None when the log
        goes on; otherwise the seconds after which the event it stopped at is tried again."""
        decoded, undecodable = decode_messages(messages)
        for message, position, reason in undecodable:
            await self._alarm(message.subject, position, "undecodable", reason, "")
            await message.term()
        try:
            await self.store.keep([e for _, e in decoded])
        except ChainRefused:
            for index, (message, event) in enumerate(decoded):
                retry_in = await self._take_one(message, event)
                if retry_in is not None:
                    for later, _ in decoded[index + 1:]:
                        await later.nak(delay=retry_in)
                    return retry_in
            return None
        if self.relay is not None:
            self.relay.offer([e for _, e in decoded])
        for message, _ in decoded:
            await message.ack()
        return None

    async def _take_one(self, message: Msg, event: RecordedEvent) -> float | None:
        """None when the event is kept (or was already); otherwise the log cannot go on past it
        for now, and the seconds after which it is tried again."""
        try:
            await self.store.keep([event])
        except ChainRefused as refused:
            if refused.kind == "gap" and await self._fill_gap(refused.position, event.position - 1):
                return await self._take_one(message, event)
            if refused.kind != "gap":
                await self._alarm(message.subject, refused.position, refused.kind, refused.detail, event.hash)
            if refused.kind == "rewritten":
                # The position is kept already, with the hash first received: the other version
                # is refused for good and the log goes on.
                await message.term()
                return None
            retry_in = GAP_RETRY_SECONDS if refused.kind == "gap" else REFUSED_RETRY_SECONDS
            await message.nak(delay=retry_in)
            return retry_in
        await message.ack()
        return None

    async def _fill_gap(self, first: int, last: int) -> bool:
        """Fetch the missing positions from the origin's database; a refused one stays refused."""
        try:
            missing = await self.origin_log.range(first, last)
        except (nats.errors.NoRespondersError, nats.errors.TimeoutError, LookupError) as error:
            log.warning("gap not filled yet", kept_log=self.kept.name, first=first, last=last, error=type(error).__name__)
            return False
        try:
            await self.store.keep(missing)
        except ChainRefused as refused:
            received = next((e.hash for e in missing if e.position == refused.position), "")
            await self._alarm(self.origin_log.subject, refused.position, refused.kind, refused.detail, received)
            return False
        log.info("gap filled from the origin", kept_log=self.kept.name, first=first, last=last)
        return True

    async def _alarm(self, subject: str, position: int, kind: str, detail: str, received_hash: str) -> None:
        refusal = alarms.Refusal(KEEPER, self.kept.name, subject, position, kind, detail, received_hash)
        async with self.pool.acquire() as conn:
            new = await alarms.record(conn, self.schema, refusal)
        if new:
            log.error(
                "linked log refused", kept_log=self.kept.name, origin=self.kept.origin, position=position, kind=kind,
            )


async def _fetch(subscription: JetStreamContext.PullSubscription) -> list[Msg]:
    """The next batch; empty when nothing came within a second."""
    try:
        return await subscription.fetch(FETCH, timeout=1.0)
    except (TimeoutError, nats.errors.TimeoutError):
        return []
