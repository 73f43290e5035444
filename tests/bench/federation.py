"""Many levels (issue #9), in one process: a province and one commune started by
`tests.integration.federation.linked.linked_deployments` (each its own nats-server with its
JetStream domain, its own database, every service running for real on this bench's event loop,
the commune joined as a leaf node through a `LinkProxy` the bench cuts and restores).

Two measurements, each beside a baseline from the same run:

1. Cross-level latency: a quota change committed in the commune (its registry command over NATS)
   until the province's reporting has applied it (its checkpoint for `registry_at_xa_a`), beside
   the same commit until the commune's own reporting has applied it (checkpoint for `registry`).
2. Catch-up after an outage of N events: the link cut, N events appended to the commune's log and
   published by its relay, the link restored; the time until the province keeps all of them, and
   until its reporting has applied them; beside raw JetStream sourcing of N messages of the same
   size across the same leaf link.

Nothing is asserted; the one check of the report itself is printed.
"""

from __future__ import annotations

import asyncio
import math
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import nats
from nats.js.api import ExternalStream, StreamConfig, StreamSource

from ketnap.platform.bus import subjects
from ketnap.platform.bus.relay import relay_state
from ketnap.platform.envelope import EventMetadata, NewEvent, to_wire
from ketnap.platform.eventstore import EventStore
from tests.bench.reporting import Measured
from tests.integration.federation.linked import Deployment, linked_deployments
from tests.servers import real_servers

PROVINCE, COMMUNE = "tinh", "xa-a"
UNIT, CELL = "XA-A", "DB-XA-A-1"
KEPT = "registry_at_xa_a"
QUOTAS = "reporting.quotas"
"""The reporting consumer whose checkpoint is watched for the latency: the one that applies quota facts."""
META = EventMetadata(actor="bench", organisation=UNIT)
NOTE = {"note": "x" * 200}
BATCH = 1000
POLL = 0.002
"""Seconds between two looks at a checkpoint while a latency sample is awaited."""


def progress(text: str) -> None:
    print(f"  ... {text}", file=sys.stderr, flush=True)


async def federation_figures(root: Path, events: int, samples: int = 200, warm_up: int = 5) -> list[Measured]:
    with real_servers(root / "servers") as servers:
        progress(f"starting a province ({PROVINCE}) and a commune ({COMMUNE}) in this process, every service of each")
        started = time.perf_counter()
        async with linked_deployments(root / "levels", servers.postgres_url, PROVINCE, [COMMUNE]) as (province, below):
            commune = below[0]
            progress(f"both deployments answering after {time.perf_counter() - started:.0f} s; establishing the tree")
            await _tree(province, commune)
            figures = await _latency(province, commune, samples, warm_up)
            if events:
                figures += await _catch_up(province, commune, events)
            return figures


# --- set-up -----------------------------------------------------------------------------------


def _officer(org: str) -> dict[str, str]:
    return {"actor": f"can-bo-{org.lower()}", "scope": org}


async def _ok(reply: dict) -> dict:
    if not reply.get("ok"):
        raise RuntimeError(f"command refused: {reply}")
    return reply


async def _establish(at: Deployment, code: str, kind: str, parent: str | None, by: str) -> None:
    await _ok(await at.send("registry", "establish_organisation", {
        **_officer(by), "code": code, "name": f"Tổ chức {code}", "kind": kind, "parent": parent, "effective_from": "2020-01-01",
    }))


async def _assign(at: Deployment, organisation: str, quantity: int, by: str) -> None:
    await _ok(await at.send("registry", "assign_quota", {
        **_officer(by), "organisation": organisation, "period": "2026", "quantity": quantity, "assigned_by": by,
        "decision_date": "2026-01-10",
    }))


async def _settled(*deployments: Deployment, timeout: float = 600) -> None:
    """Every kept log holds its origin's log, and every consumer everywhere has applied it."""

    async def check() -> bool:
        for d in deployments:
            for kept in [k for s in d.services for k in s.kept_logs]:
                origin = next((x for x in deployments if kept.endswith("_at_" + x.id.replace("-", "_"))), None)
                if origin is not None and await d.head(kept) < await origin.head(kept.split("_at_")[0]):
                    return False
            if not await d.caught_up():
                return False
        return True

    await _until(check, every=0.2, timeout=timeout)


async def _tree(province: Deployment, commune: Deployment) -> None:
    """As in the integration test: the province records TU and the commune unit and gives it a
    quota; once the commune knows the units above it, it records a grassroots committee and its quota."""
    await _establish(province, "TU", "province", None, "TU")
    await _establish(province, UNIT, "upper_committee", "TU", "TU")
    await _assign(province, UNIT, 10, "TU")
    await _settled(province, commune)
    await _establish(commune, CELL, "grassroots_committee", UNIT, UNIT)
    await _assign(commune, CELL, 5, UNIT)
    await _settled(province, commune)


# --- polling ----------------------------------------------------------------------------------


async def _until(check: Callable[[], Awaitable[bool]], every: float = 0.002, timeout: float = 3600) -> float:
    """Seconds until `check` holds, polling every `every` seconds."""
    start = time.perf_counter()
    while not await check():
        if time.perf_counter() - start > timeout:
            raise TimeoutError(f"not reached within {timeout} s")
        await asyncio.sleep(every)
    return time.perf_counter() - start


async def _checkpoint(deployment: Deployment, source: str, consumer: str | None = None) -> int:
    """A reporting consumer's checkpoint for `source`; without `consumer`, the least of them all."""
    async with deployment.pool.acquire() as conn:  # type: ignore[union-attr]
        if consumer is None:
            return await conn.fetchval(
                "SELECT coalesce(min(position), 0) FROM reporting.consumer_checkpoints WHERE source = $1", source
            )
        return await conn.fetchval(
            "SELECT coalesce(max(position), 0) FROM reporting.consumer_checkpoints WHERE consumer = $1 AND source = $2",
            consumer, source,
        )


async def _reach(deployment: Deployment, source: str, position: int, timeout: float = 120) -> float:
    """The moment (perf_counter) the quotas consumer of `deployment` has applied `position`."""
    start = time.perf_counter()
    while await _checkpoint(deployment, source, QUOTAS) < position:
        if time.perf_counter() - start > timeout:
            raise TimeoutError(f"{deployment.id}: {source} not applied up to {position}")
        await asyncio.sleep(POLL)
    return time.perf_counter()


def _percentile(seconds: list[float], percent: float) -> float:
    """Nearest rank, in ms."""
    ordered = sorted(seconds)
    return 1000 * ordered[max(0, math.ceil(len(ordered) * percent / 100) - 1)]


# --- 1. latency -------------------------------------------------------------------------------


async def _cell_quota(at: Deployment) -> int | None:
    report = await at.ask("reporting", "quota", {"organisation": UNIT, "year": 2026})
    return next((child.get("quota") for child in report.get("children", []) if child.get("code") == CELL), None)


async def _latency(province: Deployment, commune: Deployment, samples: int, warm_up: int) -> list[Measured]:
    """One quota change at a time in the commune; from its reply until the commune's own reporting
    (baseline) and the province's reporting have applied it, polled every 2 ms."""
    progress(f"{samples} quota changes in the commune (after {warm_up} not counted), each awaited in both reports")
    here: list[float] = []
    above: list[float] = []
    shown: list[str] = []
    for i in range(-warm_up, samples):
        quantity = 100 + warm_up + i
        reply = await _ok(await commune.send("registry", "change_quota", {
            **_officer(UNIT), "organisation": CELL, "period": "2026", "quantity": quantity,
            "reason": f"bench {i}", "decision_date": "2026-02-01",
        }))
        committed = time.perf_counter()
        async with commune.pool.acquire() as conn:  # type: ignore[union-attr]
            position = await conn.fetchval("SELECT position FROM registry.events WHERE event_id = $1", uuid.UUID(reply["event_ids"][-1]))
        local = asyncio.create_task(_reach(commune, "registry", position))
        upper = asyncio.create_task(_reach(province, KEPT, position))
        local_at, upper_at = await local, await upper
        if i >= 0:
            here.append(local_at - committed)
            above.append(upper_at - committed)
        if i in (0, samples - 1):
            # Once the checkpoint is there, the report itself shows the change, above as below.
            seen_above, seen_here = await _cell_quota(province), await _cell_quota(commune)
            shown.append(f"sample {i}: quota {quantity} → province report {seen_above}, commune report {seen_here}")
            progress(shown[-1])
        if i > 0 and (i + 1) % 50 == 0:
            progress(f"{i + 1} / {samples}: province p50 {_percentile(above, 50):.1f} ms, commune p50 {_percentile(here, 50):.1f} ms")
    p50, p99 = _percentile(above, 50), _percentile(above, 99)
    b50, b99 = _percentile(here, 50), _percentile(here, 99)
    progress(f"latency over {samples}: province p50 {p50:.1f} p99 {p99:.1f} ms; commune p50 {b50:.1f} p99 {b99:.1f} ms; "
             f"max {1000 * max(above):.1f} / {1000 * max(here):.1f} ms")
    return [
        Measured("commune commit → province report, p50", p50, "ms", b50,
                 f"baseline: → the commune's own report; {p50:.1f} vs {b50:.1f} ms, {samples} samples"),
        Measured("commune commit → province report, p99", p99, "ms", b99,
                 f"baseline: → the commune's own report; {p99:.1f} vs {b99:.1f} ms"),
    ]


# --- 2. catch-up ------------------------------------------------------------------------------


class Stages:
    """Where the events are on their way up, sampled every 50 ms from the restore: sourced into
    the province's stream (its sequence is the commune's position), kept (chain checked) in
    `registry_at_xa_a`, relayed from the kept log to the province's JetStream, applied by every
    reporting consumer of it; the moment each reached the commune's `head`."""

    def __init__(self, province: Deployment, head: int, before: int) -> None:
        self.province, self.head, self.before = province, head, before
        self.reached: dict[str, float] = {}
        self.first: dict[str, float] = {}

    async def sample(self) -> dict[str, int]:
        js = self.province.nc.jetstream()  # type: ignore[union-attr]
        info = await js.stream_info(subjects.event_stream(COMMUNE, "registry"))
        async with self.province.pool.acquire() as conn:  # type: ignore[union-attr]
            kept = await relay_state(conn, KEPT)
        return {
            "sourced": info.state.last_seq or 0,
            "kept": kept.head,
            "relayed": kept.published,
            "reported": await _checkpoint(self.province, KEPT),
        }

    async def watch(self, restored: float) -> None:
        last_print = restored
        while True:
            state = await self.sample()
            now = time.perf_counter()
            for stage, value in state.items():
                if stage not in self.first and value > self.before:
                    self.first[stage] = now
            for stage, value in state.items():
                if stage not in self.reached and value >= self.head:
                    self.reached[stage] = now
            if len(self.reached) == len(state):
                return
            if now - last_print >= 5:
                last_print = now
                progress(f"{now - restored:5.0f} s after restore: " + ", ".join(
                    f"{stage} {max(0, value - self.before):,}" for stage, value in state.items()
                ) + f" / {self.head - self.before:,}")
            await asyncio.sleep(0.05)


async def _catch_up(province: Deployment, commune: Deployment, events: int) -> list[Measured]:
    assert commune.proxy is not None
    await commune.proxy.cut()
    progress(f"link cut; the commune appends {events:,} events ({BATCH:,} per append, each batch a fresh stream)")
    store = EventStore(commune.pool, "registry")  # type: ignore[arg-type]
    appending = time.perf_counter()
    stream = ""
    for first in range(0, events, BATCH):
        size = min(BATCH, events - first)
        stream = f"bench-outage-{uuid.uuid4().hex[:8]}"
        await store.append(stream, 0, [NewEvent(event_type="BenchNoted", data=NOTE) for _ in range(size)], META)
        if (first + size) % 10_000 == 0 or first + size == events:
            progress(f"{first + size:,} / {events:,} appended")
    appended = time.perf_counter()
    head = await store.head_position()

    async def published() -> bool:
        async with commune.pool.acquire() as conn:  # type: ignore[union-attr]
            return (await relay_state(conn, "registry")).lag == 0

    await _until(published, every=0.1)
    relay_done = time.perf_counter()
    progress(f"appended in {appended - appending:.1f} s; the commune's relay published the last of them "
             f"{relay_done - appended:.1f} s after the appends ended")

    async def commune_reported() -> bool:
        return await _checkpoint(commune, "registry") >= head

    await _until(commune_reported, every=0.1)
    local_reported = time.perf_counter()
    progress(f"the commune's own reporting applied them {local_reported - appended:.1f} s after the appends ended; "
             "waiting for the rest of its consumers")
    await _settled(commune, timeout=3600)

    kept_before = await province.head(KEPT)
    moved = head - kept_before
    stages = Stages(province, head, kept_before)
    progress(f"link restored; the province has {kept_before:,} of the commune's {head:,} positions")
    await commune.proxy.restore()
    restored = time.perf_counter()
    await asyncio.wait_for(stages.watch(restored), timeout=3600)
    after = {stage: moment - restored for stage, moment in stages.reached.items()}
    first = {stage: moment - restored for stage, moment in stages.first.items()}
    progress("seconds after restore, first event / all of them: " + ", ".join(
        f"{stage} {first[stage]:.1f} / {after[stage]:.1f}" for stage in after
    ))

    sample = (await store.read_stream(stream))[0]
    raw, raw_first = await _raw_sourcing(province, commune, moved, to_wire(sample, "registry", COMMUNE))
    raw_after_first = moved / (moved / raw - raw_first)
    local_rate = moved / (local_reported - appended)
    arrival = first["sourced"]
    waits = f"first arrival {arrival:.1f} s after restore, raw {raw_first:.1f} s (JetStream's source retry backoff)"
    return [
        Measured(f"catch-up: {moved:,} events kept above", moved / after["kept"], "ev/s", raw,
                 f"baseline: raw JetStream sourcing of {moved:,} msgs, same size, same leaf link; both from restore; {waits}"),
        Measured("  ... and applied by the province's reporting", moved / after["reported"], "ev/s", raw,
                 f"baseline: raw sourcing, from restore; the commune's own reporting applied them at {local_rate:,.0f} ev/s"),
        Measured("  ... kept above, from the first arrival", moved / (after["kept"] - arrival), "ev/s", raw_after_first,
                 "baseline: raw sourcing, from its first arrival"),
        Measured("  ... applied by reporting, from the first arrival", moved / (after["reported"] - arrival), "ev/s", raw_after_first,
                 "baseline: raw sourcing, from its first arrival"),
    ]


async def _raw_sourcing(
    province: Deployment, commune: Deployment, count: int, payload: bytes, *, domain: str = COMMUNE, name: str = "RAW_FED_BENCH",
) -> tuple[float, float]:
    """`count` messages of `payload`'s size, published in the commune's server while the link is
    cut, moved by JetStream sourcing alone into a stream of the province's server once it is
    restored: events/s from the restore until all are there, and the wait for the first."""
    assert commune.proxy is not None and commune.settings and province.settings
    below = await nats.connect(commune.settings.nats_url)
    above = await nats.connect(province.settings.nats_url)
    subject = f"{name.lower()}.x"
    try:
        await commune.proxy.cut()
        js = below.jetstream()
        await js.add_stream(StreamConfig(name=name, subjects=[subject], duplicate_window=600.0))
        progress(f"raw baseline: link cut; publishing {count:,} messages of {len(payload):,} B in the commune's server")
        for first in range(0, count, BATCH):
            futures = [
                await js.publish_async(subject, payload, headers={"Nats-Msg-Id": str(uuid.uuid4())})
                for _ in range(min(BATCH, count - first))
            ]
            await asyncio.gather(*futures)
        await above.jetstream().add_stream(
            StreamConfig(name=name, sources=[StreamSource(name=name, external=ExternalStream(api=f"$JS.{domain}.API"))])
        )
        progress("raw baseline: link restored")
        await commune.proxy.restore()
        restored = time.perf_counter()
        first_seen: list[float] = []

        async def arrived() -> bool:
            messages = (await above.jetstream().stream_info(name)).state.messages
            if messages and not first_seen:
                first_seen.append(time.perf_counter())
            return messages >= count

        await _until(arrived, every=0.01)
        elapsed = time.perf_counter() - restored
        progress(f"raw baseline: {count:,} sourced in {elapsed:.1f} s")
        return count / elapsed, (first_seen[0] if first_seen else restored) - restored
    finally:
        for nc in (below, above):
            try:
                await nc.jetstream().delete_stream(name)
            except Exception:  # noqa: BLE001 - the servers go away with the run
                pass
            await nc.close()


__all__ = ["federation_figures"]


async def sourcing_resume_figures(root: Path) -> list[Measured]:
    """After the upper deployment's nats-server restarts (a lower one wrote meanwhile): the time
    from its start to the first event it keeps from the lower stream, with the federation
    service's `keep_sourcing`, beside nats-server alone (its retry backoff) in the same run."""
    from ketnap.operations.embedded import EmbeddedNats, free_port
    from ketnap.platform.federation.links import Links
    from ketnap.platform.federation.streams import keep_sourcing
    from tests.integration.federation.test_leaf_link import LOWER, UPPER, lower_log, make_streams, positions

    async def first_kept_after_restart(folder: Path, nudged: bool) -> float:
        leaf_port = free_port()
        upper = EmbeddedNats(folder / UPPER, free_port(), server_name=f"ketnap-{UPPER}", domain=UPPER, leaf_port=leaf_port)
        lower = EmbeddedNats(folder / LOWER, free_port(), server_name=f"ketnap-{LOWER}", domain=LOWER,
                             upper_leaf_url=f"nats-leaf://127.0.0.1:{leaf_port}")
        upper.start()
        try:
            lower.start()
            try:
                above, below = await nats.connect(upper.url), await nats.connect(lower.url)
                await make_streams(above, below)
                await lower_log(below.jetstream(), 10)
                while len(await positions(above)) < 10:
                    await asyncio.sleep(POLL)
                await above.close()
                upper.stop()
                await lower_log(below.jetstream(), 10, start=11)
                upper.start()
                started = time.perf_counter()
                above = await nats.connect(upper.url)
                closing = asyncio.Event()
                sourcing = asyncio.create_task(keep_sourcing(above, Links(UPPER, lowers=(LOWER,)), closing)) if nudged else None
                while len(await positions(above)) <= 10:
                    await asyncio.sleep(0.01)
                elapsed = time.perf_counter() - started
                closing.set()
                if sourcing:
                    await sourcing
                await above.close()
                await below.close()
                return elapsed
            finally:
                lower.stop()
        finally:
            upper.stop()

    progress("restarting an upper nats-server with keep_sourcing, then without it (nats-server's backoff, about 40 s)")
    resumed = await first_kept_after_restart(root / "resumed", nudged=True)
    alone = await first_kept_after_restart(root / "alone", nudged=False)
    return [
        Measured("upper restart → first kept event", resumed * 1000, "ms", alone * 1000,
                 "baseline: nats-server alone, its sourcing retry backoff; both from the upper server's start"),
    ]
