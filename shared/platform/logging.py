"""The one structlog setup: JSON in deployment, readable in a terminal, never personal data."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

# Keys whose values are personal data (domain.md §6). They are dropped wherever they appear,
# so a careless `log.info(..., name=applicant.name)` cannot leak.
PERSONAL_KEYS = frozenset(
    {
        "name", "full_name", "birth_date", "citizen_id", "cccd", "religion", "ethnicity",
        "relatives", "address", "phone", "email", "finding", "data", "payload", "gender",
        "history", "password", "token",
    }
)


def _redacted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "[redacted]" if k in PERSONAL_KEYS else _redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(v) for v in value]
    return value


def _drop_personal_data(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    # Nested too: `detail={"full_name": ...}` is as much a leak as `full_name=...`.
    return _redacted(event_dict)


def configure_logging(log_format: str = "console", level: str = "info", service: str | None = None) -> None:
    renderer: Any
    if log_format == "json":
        renderer = structlog.processors.JSONRenderer(ensure_ascii=False)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _drop_personal_data,
        structlog.processors.format_exc_info,
        renderer,
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    if service:
        structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name) if name else structlog.get_logger()
