"""Many levels (issue #9): how long a commune's commit takes to show in the province's report, and
how fast the province catches up after an outage, each beside a baseline from the same run.

A province and one commune run as `ketnap up --topology` runs them: two deployments, each with
its own nats-server and PostgreSQL and every service as its own process, the commune joined as a
leaf node through a relay this bench can cut (tests/e2e/levels.py).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import nats
from nats.js.api import ExternalStream, StreamConfig, StreamSource

from ketnap.operations.embedded import free_port
from ketnap.platform.bus.relay import relay_state
from ketnap.platform.envelope import EventMetadata, NewEvent, to_wire
from ketnap.platform.eventstore import EventStore
from tests.bench.reporting import Measured
from tests.e2e.levels import ProxyThread, attached, write_topology
from tests.e2e.up import Up
from tests.integration.federation.linked import Deployment

PROVINCE, COMMUNE = "tinh", "xa-a"
KEPT = "registry_at_xa_a"
META = EventMetadata(actor="bench", organisation="XA-A")
NOTE = {"note": "x" * 200}


def progress(text: str) -> None:
    print(f"  ... {text}", file=sys.stderr, flush=True)


def level_figures(root: Path, events: int, samples: int = 200) -> list[Measured]:
    path, proxy = write_topology(root, (PROVINCE, "TU"), {COMMUNE: "XA-A"}, COMMUNE)
    up = Up(root / "unused", free_port(), free_port())
    try:
        progress("starting a province and a commune (ketnap up --topology)")
        up.start(timeout=300, args=("--topology", str(path)))
        return asyncio.run(_measure(path, proxy, events, samples))
    finally:
        up.kill_everything()
        proxy.close()


async def _measure(path: Path, proxy: ProxyThread, events: int, samples: int) -> list[Measured]:
    async with attached(path, proxy, COMMUNE) as deployments:
        province, commune = deployments[PROVINCE], deployments[COMMUNE]
        await _tree(province, commune)
        figures = await _latency(province, commune, samples)
        figures += await _catch_up(province, commune, events)
    return figures


async def _tree(province: Deployment, commune: Deployment) -> None:
    for code, kind, parent in (("TU", "province", None), ("XA-A", "upper_committee", "TU")):
        reply = await province.send("registry", "establish_organisation", {
            "actor": "bench", "scope": "TU", "code": code, "name": code, "kind": kind, "parent": parent, "effective_from": "2020-01-01",
        })
        assert reply["ok"], reply
    await _until(lambda: _at_least(commune, "registry_at_tinh", province, "registry"))


async def _at_least(here: Deployment, log: str, there: Deployment, origin: str) -> bool:
    return await here.head(log) >= await there.head(origin)


async def _until(check: Callable[[], Awaitable[bool]], every: float = 0.002, timeout: float = 600) -> float:
    """Seconds until `check` holds, polling every `every` seconds."""
    start = time.perf_counter()
    while not await check():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("not reached")
        await asyncio.sleep(every)
    return time.perf_counter() - start


async def _checkpoint(deployment: Deployment, consumer: str, source: str) -> int:
    async with deployment.pool.acquire() as conn:  # type: ignore[union-attr]
        return await conn.fetchval(
            "SELECT coalesce(max(position), 0) FROM reporting.consumer_checkpoints WHERE consumer = $1 AND source = $2",
            consumer, source,
        )


async def _latency(province: Deployment, commune: Deployment, samples: int) -> list[Measured]:
    """One unit at a time established in the commune; the time from its reply to the report's tree
    holding it, in the commune's own reporting (baseline) and in the province's."""
    progress(f"{samples} commits in the commune, each awaited in both reports")
    here: list[float] = []
    above: list[float] = []
    for i in range(samples):
        reply = await commune.send("registry", "establish_organisation", {
            "actor": "bench", "scope": "XA-A", "code": f"DB-{i}", "name": f"Đảng bộ {i}", "kind": "grassroots_committee",
            "parent": "XA-A", "effective_from": "2020-01-01",
        })
        committed = time.perf_counter()
        assert reply["ok"], reply
        position = await commune.head("registry")
        local, upper = asyncio.create_task(_reach(commune, "registry", position)), asyncio.create_task(_reach(province, KEPT, position))
        here.append(await local - committed)
        above.append(await upper - committed)
    report = await province.ask("reporting", "quota", {"organisation": "XA-A", "year": 2026})
    assert f"DB-{samples - 1}" in {child["code"] for child in report["children"]}, "the province's report shows the last unit"
    return [
        Measured("commune commit → its own report, p50", _ms(here, 50), "ms"),
        Measured("commune commit → province report, p50", _ms(above, 50), "ms", _ms(here, 50), "baseline: the commune's own report"),
        Measured("commune commit → province report, p99", _ms(above, 99), "ms", _ms(here, 99), "baseline: the commune's own report"),
    ]


async def _reach(deployment: Deployment, source: str, position: int) -> float:
    while await _checkpoint(deployment, "reporting.organisation_tree", source) < position:
        await asyncio.sleep(0.002)
    return time.perf_counter()


def _ms(seconds: list[float], percent: int) -> float:
    ordered = sorted(seconds)
    return 1000 * (statistics.median(ordered) if percent == 50 else ordered[min(len(ordered) - 1, int(len(ordered) * percent / 100))])


async def _catch_up(province: Deployment, commune: Deployment, events: int) -> list[Measured]:
    assert commune.proxy is not None
    await commune.proxy.cut()
    progress(f"link cut; the commune appends {events:,} events")
    store = EventStore(commune.pool, "registry")  # type: ignore[arg-type]
    for first in range(0, events, 1000):
        batch = [NewEvent(event_type="BenchNoted", data=NOTE) for _ in range(min(1000, events - first))]
        await store.append(f"bench-{first}", 0, batch, META)
        if (first + 1000) % 20_000 == 0:
            progress(f"{first + 1000:,} appended")
    head = await store.head_position()
    async with commune.pool.acquire() as conn:  # type: ignore[union-attr]
        while (await relay_state(conn, "registry")).lag:
            await asyncio.sleep(0.2)
    kept_before = await province.head(KEPT)
    progress("published in the commune; link restored")
    await commune.proxy.restore()
    restored = time.perf_counter()
    await _until(lambda: _grew(province, KEPT, kept_before), every=0.01)
    first_seen = time.perf_counter()
    await _until(lambda: _reached(province, KEPT, head), every=0.05)
    kept = time.perf_counter()
    progress(f"kept above in {kept - restored:.0f} s; waiting for the province's reporting")
    await _until(lambda: _reporting_reached(province, head), every=0.2, timeout=3600)
    reported = time.perf_counter()
    raw, raw_wait = await _raw_sourcing(province, commune, events, to_wire(
        (await store.read_stream("bench-0"))[0], "registry", COMMUNE))
    moved = head - kept_before
    return [
        Measured(f"catch-up after an outage: {moved:,} events kept above", moved / (kept - first_seen), "ev/s", raw,
                 f"baseline: raw JetStream sourcing across the same link; first event {first_seen - restored:.1f} s "
                 f"after restore (raw {raw_wait:.1f} s)"),
        Measured(f"  ... and applied by the province's reporting (10 projections)", moved / (reported - first_seen), "ev/s", raw,
                 "baseline: raw JetStream sourcing"),
    ]


async def _grew(deployment: Deployment, log: str, before: int) -> bool:
    return await deployment.head(log) > before


async def _reached(deployment: Deployment, log: str, head: int) -> bool:
    return await deployment.head(log) >= head


async def _reporting_reached(province: Deployment, head: int) -> bool:
    async with province.pool.acquire() as conn:  # type: ignore[union-attr]
        return await conn.fetchval(
            "SELECT coalesce(min(position), 0) FROM reporting.consumer_checkpoints WHERE source = $1", KEPT
        ) >= head


async def _raw_sourcing(province: Deployment, commune: Deployment, count: int, payload: bytes) -> tuple[float, float]:
    """The same number of messages of the same size, moved by JetStream sourcing alone across the
    same leaf link after the same kind of outage: events/s from the first arrival, and the wait
    for it after the link returns."""
    assert commune.proxy is not None and commune.settings and province.settings
    below = await nats.connect(commune.settings.nats_url)
    above = await nats.connect(province.settings.nats_url)
    try:
        await commune.proxy.cut()
        await below.jetstream().add_stream(StreamConfig(name="RAW_BENCH", subjects=["rawbench.>"]))
        js = below.jetstream()
        for first in range(0, count, 1000):
            futures = [await js.publish_async("rawbench.x", payload) for _ in range(min(1000, count - first))]
            await asyncio.gather(*futures)
        await above.jetstream().add_stream(
            StreamConfig(name="RAW_BENCH", sources=[StreamSource(name="RAW_BENCH", external=ExternalStream(api=f"$JS.{COMMUNE}.API"))])
        )
        progress(f"raw baseline: {count:,} messages published below; link restored")
        await commune.proxy.restore()
        restored = time.perf_counter()

        async def arrived(minimum: int) -> bool:
            return (await above.jetstream().stream_info("RAW_BENCH")).state.messages >= minimum

        await _until(lambda: arrived(1), every=0.01)
        first_seen = time.perf_counter()
        await _until(lambda: arrived(count), every=0.05)
        return count / (time.perf_counter() - first_seen), first_seen - restored
    finally:
        await below.close()
        await above.close()


__all__ = ["level_figures"]
