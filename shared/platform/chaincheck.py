"""A service re-checks the chains of the logs in its database while it runs: incrementally, each
new event as it is recorded, and the whole log on a schedule.

The relay, the consumers and the keepers above check what travels; nothing checked what stays.
An event edited in place in the database (its hash left alone) was caught only by an operator
running `ketnap audit verify`. Here the link that no longer holds raises an integrity alarm of
the service (`ketnap.platform.alarms`), so `ketnap status` turns unhealthy, and the federation
service sends it to the level above (docs/federation.md).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import asyncpg

from ketnap.platform import alarms
from ketnap.platform.bus import subjects
from ketnap.platform.chain import Link
from ketnap.platform.chainwalk import Break
from ketnap.platform.logcheck import walk_part
from ketnap.platform.logging import get_logger

log = get_logger(__name__)

FOLLOW_SECONDS = 5.0
"""How often the events recorded since the last look are checked (a read of the new rows only)."""

CONSUMER = "chain_check"
"""How the check names itself in its alarms (`<service>.chain_check`), beside the consumers'."""


@dataclass
class ChainWatch:
    """The check of one log of the service's database (its own, or one it keeps from a linked
    deployment), with the walk `ketnap audit verify` makes (`ketnap.platform.logcheck`)."""

    pool: asyncpg.Pool
    schema: str
    """The service whose alarms record what is found."""
    log_name: str
    full_every: float
    last: Link = field(default_factory=Link.start)
    broken: bool = False
    """A break is recorded once per full check, not every few seconds."""

    async def check(self, *, whole: bool) -> Break | None:
        """Check the log from the last link checked (from its start when `whole`); the first link
        that does not hold, recorded as an alarm."""
        if whole:
            self.last, self.broken = Link.start(), False
        if self.broken:
            return None
        try:
            async with self.pool.acquire() as conn:
                walk = await walk_part(conn, self.log_name, self.last.position, self.last.hash, limit=2**62)
        except asyncpg.UndefinedTableError:
            return None  # not bootstrapped yet
        self.last = Link(walk.intact_to, walk.hash)
        if walk.broken is not None:
            self.broken = True
            await self._alarm(walk.broken)
        return walk.broken

    async def _alarm(self, broken: Break) -> None:
        refusal = alarms.Refusal(
            f"{self.schema}.{CONSUMER}", self.log_name, subjects.log_read_subject(self.log_name), broken.position, broken.kind,
            broken.problem, broken.stored_hash,
        )
        async with self.pool.acquire() as conn:
            new = await alarms.record(conn, self.schema, refusal)
        if new:
            log.error("log chain broken in the database", log=self.log_name, position=broken.position, kind=broken.kind)

    async def run(self, stop: asyncio.Event) -> None:
        last_whole = float("-inf")
        while not stop.is_set():
            whole = time.monotonic() - last_whole >= self.full_every
            try:
                await self.check(whole=whole)
                if whole:
                    last_whole = time.monotonic()
            except Exception as error:  # noqa: BLE001 - PostgreSQL away: the next turn checks again
                log.warning("log chain not checked; retrying", log=self.log_name, error=type(error).__name__)
            try:
                await asyncio.wait_for(stop.wait(), timeout=min(FOLLOW_SECONDS, self.full_every))
            except TimeoutError:
                pass
