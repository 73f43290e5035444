"""Prometheus metrics served by the real services on their own ports: a command counted by name
and outcome where it is decided, the HTTP request counted by route and status at the gateway, and
the lags, dead letters and alarms of each service read from its database and JetStream."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import eventually, unique
from tests.integration.gateway.world import World, world_of
from tests.servers import Servers


@pytest.fixture(scope="module")
async def world(pool: asyncpg.Pool, servers: Servers, database_url: str) -> AsyncIterator[World]:
    async with world_of(pool, servers.nats_url, database_url, metrics=True) as started:
        yield started


async def scraped(world: World, role: str, sample: str, **labels: str) -> float | None:
    """The value of `sample` with `labels` (and the role's service) served on the role's metrics port."""
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"http://127.0.0.1:{world.metrics_ports[role]}/metrics")).text
    wanted = {"service": world.name(role), **labels}
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == sample and all(found.labels.get(k) == v for k, v in wanted.items()):
                return found.value
    return None


async def test_a_command_is_counted_by_name_and_outcome_where_it_is_decided(world: World) -> None:
    command = {"kind": "command", "name": "open_dossier"}
    before_ok = await scraped(world, "dossiers", "ketnap_request_duration_seconds_count", **command, outcome="ok") or 0
    await world.open_dossier("bithu.a1", "CB-A1", citizen_id="001098022301")
    assert await scraped(world, "dossiers", "ketnap_request_duration_seconds_count", **command, outcome="ok") == before_ok + 1
    # The same person twice (ONE_DOSSIER) is refused where it is decided: counted under its code.
    twice = await world.command("bithu.a1", "dossiers", "open_dossier", {
        "cell": "CB-A1", "citizen_id": "001098022301", "full_name": "Nguyễn Thị Hoa", "opened_on": "2025-09-01",
        "helper_citizen_id": "001080000001"})
    assert twice.status_code in (409, 422), twice.text
    code = twice.json()["error"]["code"]
    assert await scraped(world, "dossiers", "ketnap_request_duration_seconds_count", **command, outcome=code) == 1
    assert await scraped(world, "dossiers", "ketnap_request_duration_seconds_count", **command, outcome="ok") == before_ok + 1


async def test_the_gateway_counts_http_requests_by_route_and_status(world: World) -> None:
    route = {"route": "/api/v1/dossiers/commands/open_dossier", "method": "POST"}
    before = await scraped(world, "gateway", "ketnap_http_request_duration_seconds_count", **route, status="401") or 0
    refused = await world.command(None, "dossiers", "open_dossier", {})
    assert refused.status_code == 401, refused.text
    assert await scraped(world, "gateway", "ketnap_http_request_duration_seconds_count", **route, status="401") == before + 1
    # A path no route matches is counted under `none`: random paths cannot grow the metrics.
    await world.http.get("/khong-co-trang-nay-" + unique("x"))
    assert await scraped(world, "gateway", "ketnap_http_request_duration_seconds_count", route="none", status="404")


async def test_lags_dead_letters_and_alarms_are_read_from_each_service(world: World) -> None:
    await world.open_dossier("bithu.a1", "CB-A1", citizen_id="001098022302")

    async def settled() -> bool:
        relay = await scraped(world, "dossiers", "ketnap_relay_lag_events", log=world.name("dossiers"))
        consumer = await scraped(world, "reporting", "ketnap_consumer_lag_events", source=world.name("dossiers"))
        return relay == 0 and consumer == 0

    assert await eventually(settled, timeout=30, interval=0.5)
    for role in ("dossiers", "reporting", "gateway"):
        assert await scraped(world, role, "ketnap_dead_letters") == 0
        assert await scraped(world, role, "ketnap_integrity_alarms_unacknowledged") == 0
