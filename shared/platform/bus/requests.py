"""The one way anything asks a service over NATS request/reply (services, the CLI and the gateway),
and the one way a service answers (`Answering`).

A request that nobody answers, or answers too late, is `Unavailable`: nothing was decided, the
caller may try again. Every other answer is the service's typed reply (`ketnap.platform.commands.Reply`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import nats.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from opentelemetry.trace import SpanKind
from pydantic_core import to_json

from ketnap.platform import tracing
from ketnap.platform.bus import subjects
from ketnap.platform.commands import ErrorBody, Reply, Unavailable
from ketnap.platform.jsoncodec import MalformedJson, decode_bounded
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


MAX_IN_FLIGHT = 64
"""Requests of one subject a process answers at once; more wait in nats-py's queue of the
subscription. Per subject, so that a request answered by asking another subject of the same
process never waits for a place the requests waiting on it hold; above the database pool's size,
so that questions to other services (which hold no connection) do not wait behind those that do."""

Headers = Mapping[str, str] | None
Answer = Callable[[Any, Headers], Awaitable[Any]]
"""How a subject is answered: the decoded body (a `MalformedBody` when it is not JSON) and the
request's headers (the caller's trace) give the reply, any value pydantic can write as JSON."""


@dataclass(frozen=True)
class MalformedBody:
    """What a request subject receives in place of a body that is not JSON or nests too deep."""

    reason: str

    def reply(self) -> dict[str, Any]:
        message = f"Thân yêu cầu không hợp lệ: {self.reason}."
        return Reply(ok=False, error=ErrorBody(code="validation", message=message, details={"problem": "malformed_body"})).model_dump(mode="json")


def decoded(data: bytes) -> Any:
    """The body as JSON, or a `MalformedBody` the subject answers with a `validation` reply (never
    silence: the caller would wait for its time-out)."""
    try:
        return decode_bounded(data)
    except MalformedJson as error:
        return MalformedBody(str(error))


@dataclass(frozen=True)
class Answered:
    """A subject a service answers, in a queue group (None: every replica answers, as for status)."""

    subject: str
    queue: str | None
    answer: Answer


class Answering:
    """A process's request subjects served with nats-py: one subscription per subject, each request
    answered in a task of its own (a slow one holds up no other, on its subject or another), at
    most `MAX_IN_FLIGHT` of a subject at once; `close` lets the ones taken finish."""

    def __init__(self, nc: NatsClient, *, in_flight: int = MAX_IN_FLIGHT) -> None:
        self._nc = nc
        self._in_flight = in_flight
        self._subscriptions: list[Subscription] = []
        self._open: set[asyncio.Task[None]] = set()

    async def start(self, answered: Iterable[Answered]) -> None:
        """Subscribe every subject; once this returns the server knows them all (a status request
        that is answered means the commands are too)."""
        for each in answered:
            self._subscriptions.append(await self._nc.subscribe(each.subject, queue=each.queue or "", cb=self._taker(each)))
        await self._nc.flush()

    def _taker(self, answered: Answered) -> Callable[[Msg], Awaitable[None]]:
        room = asyncio.Semaphore(self._in_flight)

        def finished(task: asyncio.Task[None]) -> None:
            self._open.discard(task)
            room.release()

        async def take(msg: Msg) -> None:
            # Waiting here holds the subscription's queue: requests beyond the bound wait in it.
            await room.acquire()
            task = asyncio.create_task(self._answer(answered, msg), name=answered.subject)
            self._open.add(task)
            task.add_done_callback(finished)

        return take

    async def _answer(self, answered: Answered, msg: Msg) -> None:
        try:
            reply = await answered.answer(decoded(msg.data), msg.headers)
            if msg.reply:
                await self._nc.publish(msg.reply, to_json(reply))
        except Exception as error:  # noqa: BLE001 - the answers catch their own; this is the bus going away
            log.error("request not answered", subject=answered.subject, error=type(error).__name__)

    async def close(self, grace: float) -> None:
        """Take no more requests; answer those already taken (delivered to this process), for at
        most `grace` seconds, before the bus and the database close under them."""
        draining = asyncio.gather(*(s.drain() for s in self._subscriptions), return_exceptions=True)
        try:
            await asyncio.wait_for(draining, grace)
        except TimeoutError:  # the bus gone: stopping goes on, callers time out and retry
            log.warning("request subjects not drained", seconds=grace)
        if self._open and (late := (await asyncio.wait(set(self._open), timeout=grace))[1]):
            log.warning("requests cut short by the stop", count=len(late))
            for task in late:
                task.cancel()
