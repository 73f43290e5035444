"""Traces across the whole path of an act (ketnap.platform.tracing), against the real services:
the HTTP request at the gateway, the NATS command it sends, the events the command appends in the
dossiers service and the reporting consumers that apply them are one trace, and the dossier's
audit timeline names it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from tests.conftest import eventually
from tests.integration.gateway.world import World, world_of
from tests.servers import Servers
from tests.spans import spans_in_memory


@pytest.fixture(scope="module")
def exporter() -> Iterator[InMemorySpanExporter]:
    """Spans of every service of the test process, kept in memory; tracing off again after the module."""
    with spans_in_memory() as spans:
        yield spans


@pytest.fixture(scope="module")
async def world(exporter: InMemorySpanExporter, pool: asyncpg.Pool, servers: Servers, database_url: str) -> AsyncIterator[World]:
    async with world_of(pool, servers.nats_url, database_url) as started:
        yield started


def in_trace(exporter: InMemorySpanExporter, trace_id: int) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.context.trace_id == trace_id]


def ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[ReadableSpan]:
    found = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        found.append(span)
    return found


async def test_one_trace_spans_the_gateway_the_command_and_the_consumers_that_apply_its_events(
    world: World, exporter: InMemorySpanExporter
) -> None:
    dossier_id = await world.open_dossier("bithu.a1", "CB-A1")
    (request,) = [
        s for s in exporter.get_finished_spans()
        if s.kind is SpanKind.SERVER and s.attributes.get("http.route") == "/api/v1/dossiers/commands/open_dossier"
    ]
    assert request.attributes["http.response.status_code"] == 200
    trace_id = request.context.trace_id

    async def history() -> list[dict]:
        response = await world.query("kiemtra", "reporting", "audit_history", {"dossier_id": dossier_id})
        return response.json()["result"]["events"] if response.status_code == 200 else []

    # The dossier's audit timeline names the trace of the request that opened it.
    rows = await eventually(history, timeout=30)
    assert {row["trace_id"] for row in rows} == {format(trace_id, "032x")}

    spans = in_trace(exporter, trace_id)
    by_id = {s.context.span_id: s for s in spans}
    applied = [s for s in spans if s.kind is SpanKind.CONSUMER and s.attributes["ketnap.service"] == world.name("reporting")]
    # The command crossed NATS into the dossiers service, which appended the events in the trace ...
    (command,) = [s for s in spans if s.name == f"{world.name('dossiers')}.cmd.open_dossier process"]
    assert command.attributes["ketnap.service"] == world.name("dossiers")
    assert command.attributes["ketnap.outcome"] == "ok"
    (append,) = [s for s in spans if s.name == f"{world.name('dossiers')} append"]
    assert by_id[append.parent.span_id] is command
    # ... and the reporting consumers applied them in spans that descend from the command (the
    # applicant's record the handler appended on its way) and from its append.
    assert {s.attributes["ketnap.source"] for s in applied} == {world.name("dossiers")}
    assert all(command in ancestors(s, by_id) for s in applied)
    assert any(append in ancestors(s, by_id) for s in applied)
    assert f"{world.name('reporting')}.audit_timeline" in {s.attributes["ketnap.consumer"] for s in applied}
    # Every span but the request's descends from it: one tree from the HTTP request down.
    assert request.parent is None
    assert all(request in ancestors(s, by_id) for s in spans if s is not request)


async def test_a_caller_s_own_trace_is_continued_from_its_traceparent_header(world: World, exporter: InMemorySpanExporter) -> None:
    caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    response = await world.http.post(
        "/api/v1/reporting/queries/audit_history", json={"dossier_id": "khong-co"},
        headers={**world.headers("kiemtra"), "traceparent": caller},
    )
    assert response.status_code == 404, response.text
    spans = in_trace(exporter, 0x0AF7651916CD43DD8448EB211C80319C)
    (request,) = [s for s in spans if s.kind is SpanKind.SERVER and s.attributes.get("http.route") == "/api/v1/reporting/queries/audit_history"]
    assert request.parent.span_id == 0xB7AD6B7169203331
    # The gateway asked the dossiers service whether the dossier is in the inspector's scope: in the caller's trace too.
    assert any(s.name.startswith(f"{world.name('dossiers')}.query.") and s.name.endswith(" process") for s in spans)
