"""A `ketnap` command traced (ketnap.operations.traced): with tracing on, the command is one span,
and the NATS requests it sends carry it, so one trace spans the command line, the service it asked
and the service that one asked in turn (here: acknowledging an alarm of a service without a log,
recorded in another service's log, whose event then names the command's trace)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
import pytest
import typer
from nats.aio.client import Client as NatsClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from ketnap.operations.cli import app, main
from ketnap.operations.traced import command_words
from ketnap.platform import alarms, tracing
from ketnap.platform.eventstore import EventStore
from ketnap.platform.service import Service
from tests.integration.harness import bootstrap_bus, new_schema, running
from tests.integration.test_alarm_acknowledged import REFUSAL
from tests.servers import Servers
from tests.spans import spans_in_memory


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    with spans_in_memory() as spans:
        yield spans


def ketnap(*args: str) -> int:
    try:
        main(list(args))
    except SystemExit as stopped:
        return stopped.code if isinstance(stopped.code, int) else 0
    return 0


def ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[ReadableSpan]:
    found = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        found.append(span)
    return found


def test_a_span_is_named_by_the_command_s_words_never_its_arguments() -> None:
    group = typer.main.get_command(app)
    assert command_words(group, ["alarms", "acknowledge", "reporting", "5", "--ly-do", "x"]) == ["alarms", "acknowledge"]
    assert command_words(group, ["audit", "history", "0193a5b2-7c1d"]) == ["audit", "history"]
    assert command_words(group, ["--help"]) == []


async def test_one_trace_spans_the_command_and_the_services_it_reaches(
    exporter: InMemorySpanExporter, pool: asyncpg.Pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder = Service(await new_schema(pool))
    logless = Service(await new_schema(pool, owns_log=False), owns_log=False, acknowledgements_in=recorder.name)
    async with pool.acquire() as conn:
        await alarms.record(conn, logless.name, REFUSAL)
        (alarm,) = await alarms.listed(conn, logless.name)
    await bootstrap_bus(nc.jetstream(), deployment, [recorder, logless])
    monkeypatch.setenv("NATS_URL", servers.nats_url)
    monkeypatch.setenv("DATABASE_URL", database_url)
    async with running(recorder, servers.nats_url, database_url, deployment), running(logless, servers.nats_url, database_url, deployment):
        code = await asyncio.to_thread(ketnap, "alarms", "acknowledge", logless.name, str(alarm.id), "--ly-do", "Đã đối chiếu nhật ký")
    assert code == 0

    (command,) = [s for s in exporter.get_finished_spans() if s.name == "ketnap alarms acknowledge"]
    assert command.parent is None and command.attributes["process.exit.code"] == 0
    spans = [s for s in exporter.get_finished_spans() if s.context.trace_id == command.context.trace_id]
    by_id = {s.context.span_id: s for s in spans}
    names = {s.name for s in spans}
    assert {
        f"{logless.name}.cmd.acknowledge_alarm send", f"{logless.name}.cmd.acknowledge_alarm process",
        f"{recorder.name}.cmd.record_alarm_acknowledgement send", f"{recorder.name}.cmd.record_alarm_acknowledgement process",
    } <= names, names
    served = {s.attributes.get("ketnap.service") for s in spans if s.kind is SpanKind.SERVER}
    assert served == {logless.name, recorder.name}
    assert all(command in ancestors(s, by_id) for s in spans if s is not command)
    # The acknowledgement the command caused names the command's trace in the log.
    (event,) = [e async for batch in EventStore(pool, recorder.name).read_log(0) for e in batch]
    assert tracing.trace_id_of(event.traceparent) == format(command.context.trace_id, "032x")
