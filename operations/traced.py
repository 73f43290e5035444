"""A `ketnap` command in one trace: when the OTEL_* variables turn tracing on
(ketnap.platform.tracing), the command runs inside a span of its own, and every NATS request (and
API call) it sends carries that span's context, so the services' spans of what the command asked
join the same trace. Off, nothing is done.

The span is named after the command's words only (`ketnap alarms acknowledge`), never its
arguments: they may be personal data (a login, a dossier id).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pydantic
from opentelemetry.trace import SpanKind, Status, StatusCode

from ketnap.platform import tracing
from ketnap.platform.logging import configure_logging
from ketnap.platform.settings import Settings

SERVICE = "cli"
UNTRACED = frozenset({"up"})
"""Commands not traced as one span: `up` runs the stack for as long as it runs, and its services
trace themselves."""


def command_words(group: Any, args: Sequence[str]) -> list[str]:
    """The words of `args` that name the command (a group's subcommands), before any argument.
    `group`: the command line's click-style group (typer's own click, so looked at by its
    `commands`, not by class)."""
    words: list[str] = []
    for word in args:
        commands = getattr(group, "commands", None)
        if not isinstance(commands, dict) or word not in commands:
            break
        words.append(word)
        group = commands[word]
    return words


@contextmanager
def traced(group: Callable[[], Any], args: Sequence[str]) -> Iterator[None]:
    """Run the block (the command, which ends with SystemExit) in a span of the command when
    tracing is on; its exit code is the span's outcome. The spans are exported before it returns.
    `group`: the command line's click group, built only when tracing is on."""
    exporters: tuple[str, ...] = ()
    own_provider = not tracing.active()
    if own_provider:
        try:
            settings = Settings.from_env()
        except pydantic.ValidationError:  # the command itself says what is wrong with the settings
            yield
            return
        exporters = settings.traces_exporters
    words = command_words(group(), args) if exporters or not own_provider else []
    if not words or words[0] in UNTRACED:
        yield
        return
    if own_provider:
        configure_logging(settings.log_format, "warning")  # as the commands do: no info lines among their output
        tracing.configure(exporters, SERVICE)
    if not tracing.active():  # only exporters it does not know
        yield
        return
    stopped: SystemExit | None = None
    try:
        with tracing.span(f"ketnap {' '.join(words)}", SERVICE, kind=SpanKind.CLIENT, **{"ketnap.command": " ".join(words)}) as current:
            try:
                yield
            except SystemExit as leaving:  # how every command ends; not an error unless its code says so
                stopped = leaving
                code = leaving.code if isinstance(leaving.code, int) else (0 if leaving.code is None else 1)
                current.set_attribute("process.exit.code", code)
                if code:
                    current.set_status(Status(StatusCode.ERROR, f"exit code {code}"))
    finally:
        if own_provider:
            tracing.shutdown()
    if stopped is not None:
        raise stopped
