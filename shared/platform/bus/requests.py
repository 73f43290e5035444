"""The one way anything asks a service over NATS request/reply: services, the CLI and the gateway.

A request that nobody answers, or answers too late, is `Unavailable`: nothing was decided, the
caller may try again. Every other answer is the service's typed reply (`ketnap.platform.commands.Reply`).
"""

from __future__ import annotations

import json
from typing import Any

import nats.errors
from nats.aio.client import Client as NatsClient
from opentelemetry.trace import SpanKind

from ketnap.platform import tracing
from ketnap.platform.bus import subjects
from ketnap.platform.commands import Unavailable
from ketnap.platform.logging import get_logger

log = get_logger(__name__)

DEFAULT_TIMEOUT_SECONDS = 5.0


async def request(
    nc: NatsClient,
    subject: str,
    body: dict[str, Any],
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    unavailable_message: str = "Dịch vụ không trả lời; chưa có gì được ghi, hãy thử lại sau.",
) -> dict[str, Any]:
    """Send `body` as JSON to `subject` and return the decoded reply; the caller's trace goes with
    it in the `traceparent` header (ketnap.platform.tracing)."""
    try:
        with tracing.span(f"{subject} send", None, kind=SpanKind.CLIENT, **{"messaging.destination.name": subject}):
            headers = tracing.inject({}) or None
            reply = await nc.request(subject, json.dumps(body, ensure_ascii=False).encode(), timeout=timeout, headers=headers)
    except (nats.errors.NoRespondersError, nats.errors.TimeoutError) as error:
        log.warning("service did not answer", subject=subject, error=type(error).__name__)
        raise Unavailable(unavailable_message, subject=subject) from error
    return json.loads(reply.data)


async def query(
    nc: NatsClient, service: str, name: str, body: dict[str, Any], *, timeout: float = DEFAULT_TIMEOUT_SECONDS, unavailable_message: str | None = None
) -> dict[str, Any]:
    """The reply of `<service>.query.<name>`."""
    message = unavailable_message or f"Dịch vụ {service} không trả lời; chưa có gì được ghi, hãy thử lại sau."
    return await request(nc, subjects.query_subject(service, name), body, timeout=timeout, unavailable_message=message)


async def command(
    nc: NatsClient, service: str, name: str, body: dict[str, Any], *, timeout: float = DEFAULT_TIMEOUT_SECONDS
) -> dict[str, Any]:
    """The reply of `<service>.cmd.<name>`."""
    message = f"Dịch vụ {service} không trả lời; lệnh có thể chưa được ghi, hãy gửi lại với cùng khóa idempotency."
    return await request(nc, subjects.command_subject(service, name), body, timeout=timeout, unavailable_message=message)
