"""Which failures are outages: a server (PostgreSQL, NATS) down or restarting, not a bug.

A request that meets one is answered `unavailable` (HTTP 503, "try again"), never `internal`
(500): nothing was decided, and the same request with the same key will do once the server is
back. Everything else unexpected stays `internal`.
"""

from __future__ import annotations

import asyncio

import asyncpg
import nats.errors

OUTAGES: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08: the connection failed or was lost
    asyncpg.exceptions.OperatorInterventionError,  # class 57: shutting down, starting up, crashed
    asyncpg.InterfaceError,  # the client's side of a lost connection (closed, pool closing)
    asyncpg.InternalClientError,  # what asyncpg raises when the server goes away in the middle of a protocol step
    ConnectionError,  # refused, reset, broken pipe
    TimeoutError,  # no answer in time (asyncio's and the socket's)
    asyncio.TimeoutError,
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.ConnectionDrainingError,
    nats.errors.NoServersError,
    nats.errors.NoRespondersError,
    nats.errors.TimeoutError,
    nats.errors.StaleConnectionError,
    nats.errors.OutboundBufferLimitError,
)

UNAVAILABLE = "Máy chủ dữ liệu tạm thời không trả lời; chưa có gì được ghi, hãy thử lại sau."


def is_outage(error: BaseException) -> bool:
    """Is `error` (or what caused it) a server being unreachable rather than a bug?"""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, OUTAGES):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
