"""Tracing is off unless the standard OTEL_* variables ask for it (ketnap.platform.tracing)."""

from __future__ import annotations

import pytest

from ketnap.platform import tracing
from ketnap.platform.settings import Settings


def test_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("OTEL_TRACES_EXPORTER", "OTEL_SDK_DISABLED"):
        monkeypatch.delenv(variable, raising=False)
    assert Settings.from_env().traces_exporters == ()


def test_on_with_the_standard_exporter_variable_and_off_again_with_the_sdk_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp, console")
    assert Settings.from_env().traces_exporters == ("otlp", "console")
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    assert Settings.from_env().traces_exporters == ()
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert Settings.from_env().traces_exporters == ()


def test_untraced_process_adds_no_context_anywhere() -> None:
    assert not tracing.active()
    assert tracing.inject({}) == {}
    assert tracing.current_traceparent() is None
    with tracing.span("nothing", "registry") as span:
        assert span is None


def test_a_timeline_row_names_the_trace_of_a_w3c_traceparent() -> None:
    assert tracing.trace_id_of("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01") == "0af7651916cd43dd8448eb211c80319c"
    assert tracing.trace_id_of("00-00000000000000000000000000000000-b7ad6b7169203331-01") is None
    assert tracing.trace_id_of("rác") is None
    assert tracing.trace_id_of(None) is None
