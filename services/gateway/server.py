"""The HTTP server inside the gateway's service process: uvicorn on the service's event loop.

It runs as a background task of the service runtime (`Service.add_background`): it shares the
process's NATS connection and database pool, stops accepting requests when the service is told
to stop, answers the ones already open, and then the runtime closes the bus and the pool. Signals
stay with the runtime (`run_service`): uvicorn's own handlers are not installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field

import uvicorn
from fastapi import FastAPI

from ketnap.platform.logging import get_logger

log = get_logger(__name__)


@dataclass
class Listener:
    """Where to listen; port 0 picks a free one, and `port` then says which once `ready` is set."""

    host: str
    port: int
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the service runtime owns SIGTERM and SIGINT


def _bind(listener: Listener) -> socket.socket:
    # Bound here rather than by uvicorn, which exits the whole process when it cannot bind:
    # a clear error that stops the service is what its supervisor expects.
    family = socket.AF_INET6 if ":" in listener.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((listener.host, listener.port))
    except OSError as error:
        sock.close()
        raise RuntimeError(
            f"Không mở được cổng HTTP {listener.host}:{listener.port} ({error.strerror}); đặt KETNAP_GATEWAY_PORT sang cổng khác."
        ) from error
    sock.set_inheritable(True)
    listener.port = sock.getsockname()[1]
    return sock


async def serve_http(app: FastAPI, listener: Listener, closing: asyncio.Event) -> None:
    """Serve `app` until `closing` is set; ending any other way stops the service (see `_until_stopped`)."""
    sock = _bind(listener)
    config = uvicorn.Config(
        app, lifespan="off", log_config=None, access_log=False, server_header=False, timeout_graceful_shutdown=10,
        timeout_keep_alive=75,  # longer than a client keeps an idle connection, so a reused one is not closed under it
    )
    server = _EmbeddedServer(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]), name="gateway.http.uvicorn")
    try:
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        if server.started:
            listener.ready.set()
            log.info("HTTP API listening", url=listener.url)
        stopping = asyncio.ensure_future(closing.wait())
        await asyncio.wait([serving, stopping], return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
    finally:
        server.should_exit = True
        try:
            await serving
        finally:
            sock.close()
    if not closing.is_set():
        raise RuntimeError("the HTTP server stopped on its own")
