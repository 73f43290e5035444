"""Admission lifecycles through the HTTP API, beside raw NATS request/replies in the same run.

The whole system runs as `ketnap up` runs it (separate processes, embedded servers). The demo plan's
applicants are driven through the API by users with tokens; the figure is dossiers driven per
second (each the full set of commands its path needs, with the waits for the services' consumers)
and the p50/p99 latency of each command. The baseline is the same number of request/replies,
with the same concurrency, to a trivial responder on the same NATS server.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import nats

from ketnap.operations.demo.client import Client
from ketnap.operations.demo.dossier_run import DossierRun
from ketnap.operations.demo.driver import Driver
from ketnap.operations.demo.http_actors import HttpActors
from ketnap.operations.demo.plan import build_plan
from ketnap.operations.embedded import free_port
from tests.bench.cpu import per_command, reading
from tests.bench.reporting import Measured
from tests.e2e.up import Up

CONCURRENCY = 12
"""Twelve officers working at once (the load of the platform issue's measurement)."""


IDLE_SECONDS = 5
"""How long the idle stack is watched before the commands, for what it spends doing nothing."""


class Timed:
    """A client that records how long each command took, by command name."""

    def __init__(self, inner: Client, latencies: dict[str, list[float]]) -> None:
        self.inner, self.latencies = inner, latencies

    async def command(self, service: str, name: str, body: dict[str, Any], *, key: str) -> dict[str, Any]:
        start = time.perf_counter()
        try:
            return await self.inner.command(service, name, body, key=key)
        finally:
            self.latencies[f"{service}.{name}"].append(time.perf_counter() - start)

    async def query(self, service: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self.inner.query(service, name, body)


def percentile(values: list[float], p: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


async def raw_request_rate(nats_url: str, count: int) -> float:
    """`count` request/replies to an echo responder, `CONCURRENCY` at a time."""
    responder = await nats.connect(nats_url)
    client = await nats.connect(nats_url)
    try:
        async def echo(msg: Any) -> None:  # noqa: ANN401
            await msg.respond(msg.data)

        await responder.subscribe("bench.echo", queue="bench", cb=echo)
        await responder.flush()
        payload = b'{"dossier_id": "7fe1c0de-0000-4000-8000-000000000000", "on": "2026-11-20"}'
        left = iter(range(count))

        async def worker() -> None:
            for _ in left:
                await client.request("bench.echo", payload, timeout=10)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return count / (time.perf_counter() - start)
    finally:
        await client.close()
        await responder.close()


async def baseline_http_latencies(nats_url: str, database_url: str, count: int) -> tuple[float, list[float]]:
    """`count` POSTs to tests.bench.baseline_api (NATS request/reply + one-row commit), `CONCURRENCY` at a time."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "tests.bench.baseline_api", nats_url, database_url, str(port)])
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for _ in range(300):
                try:
                    await client.post("/command", json={})
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            payload = {"dossier_id": "7fe1c0de-0000-4000-8000-000000000000", "on": "2026-11-20", "note": "x" * 200}
            left = iter(range(count))
            latencies: list[float] = []

            async def worker() -> None:
                for _ in left:
                    start = time.perf_counter()
                    (await client.post("/command", json=payload)).raise_for_status()
                    latencies.append(time.perf_counter() - start)

            start = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
            return count / (time.perf_counter() - start), latencies
    finally:
        server.terminate()
        server.wait(30)


async def settled_reading(state: dict, idle_seconds: float = 0.05, most: float = 60) -> dict[str, float]:
    """The stack's CPU reading once the consumers have applied what the commands recorded: the
    first second in which all its processes together spent less than `idle_seconds`."""
    last = reading(state)
    deadline = time.monotonic() + most
    while time.monotonic() < deadline:
        await asyncio.sleep(1)
        now = reading(state)
        if sum(now.values()) - sum(last.values()) < idle_seconds:
            return now
        last = now
    return last


async def lifecycle_figures(applicants: int) -> list[Measured]:
    with tempfile.TemporaryDirectory(prefix="ketnap-bench-api-") as root:
        stack = Up(Path(root) / "data", free_port(), free_port())
        try:
            await asyncio.to_thread(stack.start, 240)
            return await _measure(stack, applicants)
        finally:
            await asyncio.to_thread(stack.kill_everything)


async def _measure(stack: Up, applicants: int) -> list[Measured]:
    state = stack.state()
    api = f"http://127.0.0.1:{stack.env['KETNAP_GATEWAY_PORT']}"
    plan = build_plan(applicants)
    nc = await nats.connect(state["nats_url"])
    http = HttpActors(api, nc)
    latencies: dict[str, list[float]] = defaultdict(list)
    timed: dict[Any, Timed] = {}

    def actors(role: Any, organisation: str) -> Client:  # noqa: ANN401
        if (role, organisation) not in timed:
            timed[(role, organisation)] = Timed(http(role, organisation), latencies)
        return timed[(role, organisation)]

    try:
        driver = Driver(plan, actors, concurrency=CONCURRENCY, wait_timeout=300, poll_seconds=0.2)
        await driver.load_organisation()
        # A real dossier step, back to back: each dossier opened and its class certificate
        # recorded, `CONCURRENCY` officers at once, with no wait for any consumer in between.
        latencies.clear()  # the figures are about dossiers; the organisation is set-up
        gate = asyncio.Semaphore(CONCURRENCY)

        async def open_one(run: DossierRun) -> None:
            async with gate:
                await run.open()

        # The consumers first finish applying the organisation, and what the idle stack spends
        # (heartbeats, anchors, fetches that time out) is taken off the figure.
        quiet = await settled_reading(state)
        await asyncio.sleep(IDLE_SECONDS)
        cpu_before, cpu_clock = reading(state), time.monotonic()
        idle = {name: (cpu_before[name] - quiet.get(name, cpu_before[name])) / IDLE_SECONDS for name in cpu_before}
        start = time.perf_counter()
        await asyncio.gather(*(open_one(DossierRun(driver, d)) for d in plan.dossiers))
        step_seconds = time.perf_counter() - start
        steps = [v for values in latencies.values() for v in values]
        cpu_after = await settled_reading(state)
        elapsed = time.monotonic() - cpu_clock
        cpu = per_command(cpu_before, {name: spent - idle.get(name, 0.0) * elapsed for name, spent in cpu_after.items()}, len(steps))
        latencies.clear()  # the lifecycles answer these two steps again from the kept answers
        lifecycle_clock = time.monotonic()
        start = time.perf_counter()
        await driver.drive_dossiers()
        seconds = time.perf_counter() - start
        lifecycle_after = await settled_reading(state)
        elapsed = time.monotonic() - lifecycle_clock
        lifecycle_cpu = per_command(
            cpu_after, {name: spent - idle.get(name, 0.0) * elapsed for name, spent in lifecycle_after.items()},
            sum(len(v) for v in latencies.values()),
        )
    finally:
        await http.aclose()
        await nc.close()
    commands = sum(len(v) for v in latencies.values())
    raw = await raw_request_rate(state["nats_url"], commands)
    baseline_rate, baseline = await baseline_http_latencies(state["nats_url"], state["database_url"], max(len(steps), 600))
    figures = [
        Measured(
            f"HTTP command, {CONCURRENCY} clients (open dossier + certificate)", len(steps) / step_seconds, "req/s", baseline_rate,
            f"≥ 0.5 of FastAPI + NATS req/reply + 1-row commit; p50 {percentile(steps, 50) * 1000:,.0f} ms "
            f"p99 {percentile(steps, 99) * 1000:,.0f} ms (aim ≤ 15/50; baseline p50 {percentile(baseline, 50) * 1000:,.1f} "
            f"p99 {percentile(baseline, 99) * 1000:,.1f} ms)",
        ),
        Measured(
            "  CPU per command, all processes", sum(cpu.values()), "ms",
            aim=", ".join(f"{name} {ms:.1f}" for name, ms in cpu.items()),
        ),
        Measured(f"admission lifecycles via HTTP ({applicants} dossiers)", applicants / seconds, "dossier/s"),
        Measured(f"their {commands:,} commands via HTTP", commands / seconds, "req/s", raw, "raw: NATS echo request/reply, same count"),
        Measured(
            "  CPU per command, all processes", sum(lifecycle_cpu.values()), "ms",
            aim=", ".join(f"{name} {ms:.1f}" for name, ms in lifecycle_cpu.items()),
        ),
    ]
    for name in sorted(latencies, key=lambda n: -len(latencies[n])):
        values = latencies[name]
        command = name.split(".", 1)[1]
        figures.append(Measured(
            f"  {command} ×{len(values)}", percentile(values, 50) * 1000, "ms p50",
            aim=f"p99 {percentile(values, 99) * 1000:,.0f} ms",
        ))
    return figures
