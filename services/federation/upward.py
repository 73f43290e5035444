"""Alarms travel up: each deployment tells the level above its integrity alarms, and the level
above records them beside its own, so an event edited in place in a commune's database shows
in the province's `ketnap status` and `ketnap alarms list`, not only in the commune's.

A lower deployment answers `ketnap.fed.<deployment>.alarms` with the unacknowledged alarms of the
services whose logs go up, and of its federation service (those include what it took from its
own lowers: with three levels, the top hears of the bottom). The level above asks every few
seconds and records each alarm it has not recorded yet as one of its federation service's,
named after the log as it is kept there (`registry_at_xa_b`) and the deployment it came from.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg
from nats.aio.client import Client as NatsClient

from ketnap.platform import alarms
from ketnap.platform.bus import subjects
from ketnap.platform.federation.links import UPWARD, kept_log_name
from ketnap.platform.logging import get_logger

log = get_logger(__name__)

ASK_EVERY_SECONDS = 5.0
ASK_TIMEOUT_SECONDS = 3.0


def told_services(federation: str) -> tuple[str, ...]:
    """Whose alarms go up: the services whose logs the level above keeps, and the federation's own."""
    return (*UPWARD, federation)


async def own_alarms(pool: asyncpg.Pool, federation: str) -> dict[str, Any]:
    """The answer to the level above: each unacknowledged alarm, with the service that raised it."""
    items: list[dict[str, Any]] = []
    async with pool.acquire() as conn:
        for service in told_services(federation):
            items += [{**a.to_json(), "service": service} for a in await alarms.listed(conn, service)]
    return {"items": items}


def as_kept_here(alarm: dict[str, Any], lower: str) -> alarms.Refusal:
    """A lower deployment's alarm, as recorded above: its log named as kept here (a log it kept
    itself from elsewhere keeps its name), its raiser named with the deployment."""
    source = alarm["source"] if "_at_" in alarm["source"] else kept_log_name(alarm["source"], lower)
    return alarms.Refusal(
        f"{alarm['consumer']}@{lower}", source, alarm["subject"], alarm["position"], alarm["kind"], alarm["detail"],
        alarm["received_hash"],
    )


async def record_from_below(pool: asyncpg.Pool, schema: str, lower: str, items: list[dict[str, Any]]) -> int:
    """Record the alarms not recorded here yet (asked again every few seconds, one alarm must
    not count up); how many were new."""
    new = 0
    async with pool.acquire() as conn:
        known = {(a.consumer, a.source, a.position, a.kind, a.received_hash) for a in await alarms.listed(conn, schema, include_acknowledged=True)}
        for item in items:
            refusal = as_kept_here(item, lower)
            if (refusal.consumer, refusal.source, refusal.position, refusal.kind, refusal.received_hash) in known:
                continue
            await alarms.record(conn, schema, refusal)
            new += 1
            log.error("integrity alarm from below", deployment=lower, source=refusal.source, position=refusal.position, kind=refusal.kind)
    return new


async def ask_below(nc: NatsClient, pool: asyncpg.Pool, schema: str, lowers: tuple[str, ...], closing: asyncio.Event) -> None:
    """Until `closing`: ask each lower deployment for its alarms; one that does not answer (a cut
    link, shown as such by the links' status) is asked again at the next turn."""
    while not closing.is_set():
        for lower in lowers:
            try:
                reply = await nc.request(subjects.linked_alarms_subject(lower), b"{}", timeout=ASK_TIMEOUT_SECONDS)
                await record_from_below(pool, schema, lower, json.loads(reply.data)["items"])
            except Exception as error:  # noqa: BLE001 - asked again at the next turn
                log.info("alarms of a lower deployment not read this turn", deployment=lower, error=type(error).__name__)
        try:
            await asyncio.wait_for(closing.wait(), timeout=ASK_EVERY_SECONDS)
        except TimeoutError:
            pass
