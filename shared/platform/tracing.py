"""Traces (OpenTelemetry) along the whole path of an act: the HTTP request at the gateway, the NATS
command it sends, the events the command appends and each consumer that applies them.

W3C trace context crosses every hop: the `traceparent` header of HTTP and of NATS requests, and the
`traceparent` kept with each event in its log (`RecordedEvent.traceparent`, outside the hash: it
says where an act was observed, not what it was). A consumer applies an event inside a span whose
parent is the event's own context, whether the event came by JetStream or was read from its source
log, so a follow-up a process manager appends stays in the same trace, and the audit timeline names
each event's trace.

Off by default: a process traces only when `OTEL_TRACES_EXPORTER` names an exporter (`otlp`,
`console`; several with commas) and `OTEL_SDK_DISABLED` is not `true`. Everything else is the SDK's
own standard variables (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER, ...).
Off, nothing is recorded and no header is added. The HTTP side is FastAPI's own telemetry
(`fastapi_telemetry`), given this provider.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, MutableMapping
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from ketnap.platform.logging import get_logger

log = get_logger(__name__)

TRACEPARENT = "traceparent"
"""The W3C header (and the log's column) that carries a span's context."""

SCOPE = "ketnap"
"""The instrumentation scope of every span the platform makes; each names its service in `ketnap.service`."""

_W3C = TraceContextTextMapPropagator()
_provider: TracerProvider | None = None


def active() -> bool:
    """Whether this process traces (a provider was installed by `configure` or `install`)."""
    return _provider is not None


def provider() -> TracerProvider | None:
    return _provider


def install(tracer_provider: TracerProvider | None) -> None:
    """Trace with `tracer_provider` from now on, in this whole process (several services may run
    in one process: the tests); None: stop tracing. Every span of the platform is made with this
    provider; the first one also becomes OpenTelemetry's global one (set once per process), for
    any other library's instrumentation."""
    global _provider
    if tracer_provider is not None and _provider is None and not _global_set:
        _set_global(tracer_provider)
    _provider = tracer_provider


_global_set = False


def _set_global(tracer_provider: TracerProvider) -> None:
    global _global_set
    _global_set = True
    trace.set_tracer_provider(tracer_provider)


def configure(exporters: tuple[str, ...], service: str) -> None:
    """Install a provider exporting to `exporters` (from OTEL_TRACES_EXPORTER); none: tracing stays off."""
    if not exporters or active():
        return
    made: list[SpanExporter] = []
    for name in exporters:
        if name == "console":
            made.append(ConsoleSpanExporter())
        elif name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            made.append(OTLPSpanExporter())
        elif name != "none":
            log.error("unknown trace exporter; traces not exported there", exporter=name)
    if not made:
        return
    # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, when set, are merged over this name by the SDK.
    tracer_provider = TracerProvider(resource=Resource.create({SERVICE_NAME: f"ketnap-{service}"}))
    for exporter in made:
        tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
    install(tracer_provider)
    log.info("traces exported", exporters=",".join(exporters))


def shutdown() -> None:
    """Export what is still buffered (a stopping process)."""
    if _provider is not None:
        _provider.shutdown()


def _tracer() -> trace.Tracer:
    return trace.get_tracer(SCOPE, tracer_provider=_provider)


@contextlib.contextmanager
def span(
    name: str, service: str | None, *, kind: SpanKind = SpanKind.INTERNAL, parent: Context | None = None, carrier: Any = None, **attributes: Any
) -> Iterator[Span | None]:
    """A span of `service` (None: a caller that is not one) around the block, child of `parent`, of the context in the headers
    `carrier` came with, or of the current span; nothing when off. Attributes name things
    (subjects, event types, positions), never personal data."""
    if not active():
        yield None
        return
    if carrier is not None:
        parent = extract(carrier)
    values = {k: v for k, v in {"ketnap.service": service, **attributes}.items() if v is not None}
    with _tracer().start_as_current_span(name, context=parent, kind=kind, attributes=values) as current:
        yield current


def inject(headers: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """The current context added to `headers` (HTTP or NATS); unchanged when there is none."""
    if active():
        propagate.inject(headers)
    return headers


def extract(headers: Any) -> Context:
    return propagate.extract(headers or {})


def current_traceparent() -> str | None:
    """The current span's context as a `traceparent` value, kept with the events appended in it."""
    if not active():
        return None
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    return carrier.get(TRACEPARENT)


def context_of(traceparent: str | None) -> Context | None:
    """The context an event was appended in, as the parent of what is done with it."""
    return _W3C.extract({TRACEPARENT: traceparent}) if traceparent else None


def trace_id_of(traceparent: str | None) -> str | None:
    """The trace an event belongs to (32 hex digits), as a timeline row names it."""
    if not traceparent:
        return None
    parts = traceparent.split("-")
    if len(parts) < 4 or len(parts[1]) != 32 or parts[1] == "0" * 32:
        return None
    return parts[1]



def fastapi_telemetry() -> dict[str, Any]:
    """FastAPI's own telemetry settings (`FastAPI(telemetry=...)`): its server span for each HTTP
    request (named by route template, child of the caller's `traceparent`) and its spans of
    dependencies and endpoints, with this process's provider; nothing when off. Its metrics stay
    off (ketnap.platform.metrics has the HTTP requests) and so do its logs, which would record
    validation failures with the values given (personal data)."""
    return {"tracing": active(), "tracer_provider": _provider, "metrics": False, "logs": False, "auto_configure": False}
