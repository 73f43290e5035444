"""Federation: keeps the logs of the deployments linked to this one, verified link by link.

Runs only in a deployment that has a link (`Settings.federated`). For each kept log
(`ketnap.platform.federation.links`) a keeper takes what arrives through the sourced stream and checks
the chain; the framework relays the kept log to JetStream and answers reads of it, so the other
services consume it like any log of their own. It also answers the linked deployments' reads of
this deployment's own logs (`ketnap.fed.<deployment>.log.<service>`) and of the logs it keeps from
below (`ketnap.fed.<deployment>.log.<service>_at_<origin>`: it passes them up) when they find a gap.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import nats.errors
import nats.js.errors
from pydantic import BaseModel, ConfigDict

from ketnap.platform import alarms
from ketnap.platform.bus import subjects
from ketnap.platform.bus.logread import answer_log_request
from ketnap.platform.eventstore import EventStore
from ketnap.platform.federation.links import DOWNWARD, UPWARD, KeptLog, Links, on_the_way
from ketnap.platform.federation.streams import KEEPER, arriving_stream, keep_sourcing, keeper_durable
from ketnap.platform.service import Service, ServiceContext
from ketnap.services.federation import upward
from ketnap.services.federation.keeper import Keeper


class LinksQuery(BaseModel):
    """Each kept log: how far it is kept, what is still on its way, and its alarms."""

    model_config = ConfigDict(extra="forbid")
    origin: str | None = None


def retire_own_alarms(schema: str) -> str:
    """The keepers' refusals were once kept in a table of their own (`<schema>.alarms`); they are
    integrity alarms like any consumer's now. A deployment bootstrapped before moves what it had
    there (a gap was a delay, not a refusal: it goes) and drops the table; nothing to do after."""
    return f"""
DO $$ BEGIN
  IF to_regclass('{schema}.alarms') IS NOT NULL THEN
    INSERT INTO {schema}.integrity_alarms (consumer, source, subject, position, kind, detail, received_hash, first_seen, last_seen, times)
      SELECT '{KEEPER}', kept_log, 'ketnap.' || origin || '.evt.' || split_part(kept_log, '_at_', 1) || '.>', position, kind,
             detail, '', first_seen, last_seen, times
      FROM {schema}.alarms WHERE kind <> 'gap'
      ON CONFLICT DO NOTHING;
    DROP TABLE {schema}.alarms;
  END IF;
END $$;
"""


LINKS_BELOW_TIMEOUT_SECONDS = 1.0
"""How long the level above waits for a lower deployment to tell how its own links below stand."""


def build_service(links: Links, name: str = "federation", *, acknowledgements_in: str = "gateway") -> Service:
    """`acknowledgements_in`: the service whose log records the acknowledgements of the keepers'
    integrity alarms (the logs this service keeps are copies of others', never written to)."""
    service = Service(
        name, owns_log=False, kept_logs=[k.name for k in links.kept], kept_origins={k.name: (k.service, k.origin) for k in links.kept},
        upgrades=[retire_own_alarms(name)], acknowledgements_in=acknowledgements_in,
    )

    async def keep_all(ctx: ServiceContext, closing: asyncio.Event) -> None:
        keepers = [Keeper(k, ctx.pool, ctx.name, ctx.nc, ctx.js, ctx.kept_relays.get(k.name)) for k in links.kept]
        await asyncio.gather(*(k.run(closing) for k in keepers))

    service.add_background("keepers", keep_all)

    async def watch_sourcing(ctx: ServiceContext, closing: asyncio.Event) -> None:
        await keep_sourcing(ctx.nc, links, closing)

    service.add_background("sourcing", watch_sourcing)

    for own in sorted(set(UPWARD) | set(DOWNWARD)):

        @service.listen(subjects.linked_log_subject(links.deployment, own))
        async def read_own_log(ctx: ServiceContext, request: dict[str, Any], own: str = own) -> dict[str, Any]:
            """A linked deployment re-reads this deployment's log to fill a gap."""
            return await answer_log_request(EventStore(ctx.pool, own), request)

    for from_below in (k for k in links.kept if k.direction == "up"):

        @service.listen(subjects.linked_log_subject(links.deployment, from_below.name))
        async def read_kept_log(ctx: ServiceContext, request: dict[str, Any], kept: str = from_below.name) -> dict[str, Any]:
            """The level above re-reads a log kept here from below (it is passed up) to fill a gap."""
            return await answer_log_request(EventStore(ctx.pool, kept), request)

    @service.listen(subjects.linked_alarms_subject(links.deployment))
    async def tell_alarms(ctx: ServiceContext, request: dict[str, Any]) -> dict[str, Any]:
        """The level above asks for this deployment's integrity alarms (`upward`)."""
        return await upward.own_alarms(ctx.pool, ctx.name)

    if links.lowers:

        async def alarms_from_below(ctx: ServiceContext, closing: asyncio.Event) -> None:
            await upward.ask_below(ctx.nc, ctx.pool, ctx.name, links.lowers, closing)

        service.add_background("alarms_from_below", alarms_from_below)

    @service.listen(subjects.linked_links_subject(links.deployment))
    async def tell_links(ctx: ServiceContext, request: dict[str, Any]) -> dict[str, Any]:
        """The level above asks how this deployment's links below stand: it passes their logs up,
        so a cut further down is a cut for the level above too."""
        within = float(request.get("within", LINKS_BELOW_TIMEOUT_SECONDS)) if isinstance(request, dict) else LINKS_BELOW_TIMEOUT_SECONDS
        return {"links": await link_states_of(ctx, [k for k in links.kept if k.direction == "up"], within / 2)}

    @service.query("links", LinksQuery)
    async def link_states(ctx: ServiceContext, query: LinksQuery) -> dict[str, Any]:
        """Mỗi nhật ký nhận từ đơn vị triển khai khác: đã giữ đến đâu, còn bao nhiêu trên đường, cảnh báo."""
        chosen = [k for k in links.kept if query.origin in (None, k.origin)]
        return {"deployment": links.deployment, "links": await link_states_of(ctx, chosen)}

    return service


async def link_states_of(ctx: ServiceContext, chosen: list[KeptLog], within: float = LINKS_BELOW_TIMEOUT_SECONDS) -> list[dict[str, Any]]:
    """The state of each of `chosen`; one passed up by a lower deployment joined with that one's
    own link to the origin (asked of every such deployment at once, so a cut one costs one wait of
    `within` seconds; each asks further down within half of what it was given)."""
    vias = sorted({k.via for k in chosen if k.via})
    # Side by side: a report above waits for this answer (ketnap.services.reporting.completeness).
    states, told = await asyncio.gather(
        asyncio.gather(*(link_state(ctx, k) for k in chosen)), asyncio.gather(*(links_below(ctx, via, within) for via in vias)),
    )
    below = dict(zip(vias, told, strict=True))
    for kept, state in zip(chosen, states, strict=True):
        if kept.via:
            join_road(state, kept, below[kept.via])
    return list(states)


async def links_below(ctx: ServiceContext, lower: str, within: float) -> dict[str, dict[str, Any]] | None:
    """The lower deployment's own links below it, by kept log; None when it does not answer within
    `within` seconds (its link here is then cut, or it is down: shown by this side's own state)."""
    try:
        body = json.dumps({"within": within}).encode()
        reply = await ctx.nc.request(subjects.linked_links_subject(lower), body, timeout=within)
        return {state["kept_log"]: state for state in json.loads(reply.data)["links"]}
    except (nats.errors.Error, TimeoutError, ValueError, KeyError):
        return None


def join_road(state: dict[str, Any], kept: KeptLog, below: dict[str, dict[str, Any]] | None) -> None:
    """A log passed up by `kept.via`: its link here and the via's own link to the origin are one
    road. Cut if either is; what is on the way on both counts; the longer silence shows."""
    there = (below or {}).get(kept.name)
    if there is None:
        return
    if there["cut"] and not state["cut"]:
        state["cut"] = True
        state["cut_between"] = [kept.via, kept.origin]
    if there["last_contact_seconds"] is None and not there["kept_head"]:
        state["last_contact_seconds"] = None  # never heard from further down: nothing known of the origin
    elif there["last_contact_seconds"] is not None and state["last_contact_seconds"] is not None:
        state["last_contact_seconds"] = max(state["last_contact_seconds"], there["last_contact_seconds"])
    further = on_the_way(there)
    if further is not None:
        state["source_lag"] = (state["source_lag"] or 0) + further


async def link_state(ctx: ServiceContext, kept: KeptLog) -> dict[str, Any]:
    async with ctx.pool.acquire() as conn:
        head = await conn.fetchval(f"SELECT coalesce(max(position), 0) FROM {kept.name}.events")
        # The keepers' refusals not acknowledged yet, those of this kept log.
        refused = sum(1 for a in await alarms.listed(conn, ctx.name) if a.source == kept.name)
    state: dict[str, Any] = {
        "kept_log": kept.name, "origin": kept.origin, "service": kept.service, "direction": kept.direction,
        "kept_head": head, "alarms": refused, "source_lag": None, "waiting": None, "last_contact_seconds": None,
        "source_error": None, "cut": False,
    }
    try:
        info = await ctx.js.stream_info(arriving_stream(kept))
        consumer = await ctx.js.consumer_info(arriving_stream(kept), keeper_durable(kept))
    except (nats.js.errors.NotFoundError, nats.errors.TimeoutError):
        return state
    source = (info.sources or [None])[0]
    if source is not None:
        state["source_lag"] = source.lag
        state["last_contact_seconds"] = round(source.active / 1e9, 1) if source.active is not None and source.active >= 0 else None
        state["source_error"] = (source.error or {}).get("description")
        state["cut"] = is_cut(state["last_contact_seconds"], ctx.settings.link_cut_after_seconds)
    state["waiting"] = (consumer.num_pending or 0) + (consumer.num_ack_pending or 0)
    return state


def is_cut(last_contact_seconds: float | None, cut_after_seconds: float) -> bool:
    """Cut once the origin has not been heard from for longer than the threshold; a live link is
    heard from every second or so even when nothing is on the way (the source's heartbeat)."""
    return last_contact_seconds is not None and last_contact_seconds > cut_after_seconds
