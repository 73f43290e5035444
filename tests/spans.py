"""Spans kept in memory, for the tests that follow one trace across services (issue 22)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ketnap.platform import tracing


@contextmanager
def spans_in_memory() -> Iterator[InMemorySpanExporter]:
    """Tracing on for every service of the test process, its spans kept; off again afterwards."""
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    tracing.install(provider)
    try:
        yield spans
    finally:
        tracing.install(None)
        provider.shutdown()
