"""What an operator watches: Prometheus metrics of a service process (docs/operations.md lists them).

Counts and latencies of commands and queries are observed as they are answered; the lags, dead
letters and integrity alarms are read from the database and JetStream every few seconds by
`watch`, so a scrape never waits on them. Every metric carries the service's name: several
services (and deployments) may run in one process (the tests), sharing prometheus-client's one
registry. Off unless the process is given a port (KETNAP_METRICS_PORT; `ketnap up` gives one to
each service).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import asyncpg
from nats.js import JetStreamContext
from prometheus_client import Gauge, Histogram, start_http_server

from ketnap.platform import alarms
from ketnap.platform.bus import subjects
from ketnap.platform.bus.bootstrap import ConsumerSpec
from ketnap.platform.bus.relay import relay_state
from ketnap.platform.logging import get_logger

log = get_logger(__name__)

REFRESH_SECONDS = 5.0

REQUESTS = Histogram(
    "ketnap_request_duration_seconds",
    "Commands and queries answered on the bus, by kind (command/query), name and outcome (ok or the error code); "
    "_count is how many.",
    ["service", "kind", "name", "outcome"],
)
HTTP_REQUESTS = Histogram(
    "ketnap_http_request_duration_seconds",
    "HTTP requests the gateway answered, by route template, method and status; _count is how many.",
    ["service", "route", "method", "status"],
)
CONSUMER_LAG = Gauge(
    "ketnap_consumer_lag_events", "Events of a source log not yet applied by a consumer (JetStream pending + unacknowledged).",
    ["service", "consumer", "source"],
)
RELAY_LAG = Gauge("ketnap_relay_lag_events", "Events of a log not yet published to JetStream.", ["service", "log"])
DEAD_LETTERS = Gauge("ketnap_dead_letters", "Events a consumer of the service could never apply (rows of dead_letters).", ["service"])
INTEGRITY_ALARMS = Gauge(
    "ketnap_integrity_alarms_unacknowledged", "Integrity alarms of the service's consumers no operator has acknowledged yet.", ["service"]
)


def outcome(reply: dict[str, Any]) -> str:
    """`ok`, or the error code of a refused or failed request (`conflict`, `rule:…`, `unavailable`)."""
    if reply.get("ok"):
        return "ok"
    return str((reply.get("error") or {}).get("code") or "error")


def observe_request(service: str, kind: str, name: str, reply: dict[str, Any], seconds: float) -> None:
    REQUESTS.labels(service, kind, name, outcome(reply)).observe(seconds)


def serve_metrics(port: int, host: str) -> Any | None:
    """Serve the registry on `host:port` in a thread; None (logged) when the port cannot be had:
    the service goes on without metrics rather than stop admissions over them."""
    try:
        server, _thread = start_http_server(port, addr=host)
    except OSError as error:
        log.error("metrics port not available", port=port, error=type(error).__name__)
        return None
    log.info("metrics served", port=port)
    return server


async def refresh(
    pool: asyncpg.Pool, js: JetStreamContext, service: str, deployment: str, logs: Sequence[str], consumers: Sequence[ConsumerSpec]
) -> None:
    """Read the lags, dead letters and alarms once."""
    async with pool.acquire() as conn:
        for name in logs:
            RELAY_LAG.labels(service, name).set((await relay_state(conn, name)).lag)
        DEAD_LETTERS.labels(service).set(await conn.fetchval(f"SELECT count(*) FROM {service}.dead_letters"))
        INTEGRITY_ALARMS.labels(service).set(await alarms.unacknowledged(conn, service))
    for spec in consumers:
        info = await js.consumer_info(subjects.event_stream(deployment, spec.source), subjects.durable_name(spec.name, spec.source))
        CONSUMER_LAG.labels(service, spec.name, spec.source).set(info.num_pending + info.num_ack_pending)


async def watch(
    pool: asyncpg.Pool, js: JetStreamContext, service: str, deployment: str, logs: Sequence[str], consumers: Sequence[ConsumerSpec],
    stop: asyncio.Event, interval: float = REFRESH_SECONDS,
) -> None:
    """Refresh the gauges every `interval` seconds until `stop`; a failed round leaves them as
    they were (a database or bus outage shows in the health check, not here)."""
    while not stop.is_set():
        try:
            await refresh(pool, js, service, deployment, logs, consumers)
        except Exception as error:  # noqa: BLE001 - metrics never stop the service
            log.warning("metrics not refreshed", error=type(error).__name__)
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass
