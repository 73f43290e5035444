"""One question shared by every caller that asks before it is sent: each caller still gets an
answer asked after it called, so what was committed before the call is in it, and callers that
come together (the questions a command sends at once, the checks of requests arriving together)
pay for one round trip instead of one each (issue 21)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class AskedAfter(Generic[T]):
    """`await asked()` runs `ask()` once for all the calls made before that run began; a call made
    after it began waits for the next run."""

    def __init__(self, ask: Callable[[], Awaitable[T]]) -> None:
        self.ask = ask
        self._unsent: asyncio.Future[T] | None = None
        self._asking: set[asyncio.Task[None]] = set()  # the loop keeps only weak references to tasks

    async def __call__(self) -> T:
        answer = self._unsent
        if answer is None:
            answer = self._unsent = asyncio.get_running_loop().create_future()
            asking = asyncio.ensure_future(self._run(answer))
            self._asking.add(asking)
            asking.add_done_callback(self._asking.discard)
        return await asyncio.shield(answer)

    async def _run(self, answer: asyncio.Future[T]) -> None:
        self._unsent = None  # from here on the question is on its way: a later call asks anew
        try:
            answer.set_result(await self.ask())
        except Exception as error:  # noqa: BLE001 - each caller waiting on it fails as its own question would
            answer.set_exception(error)
            answer.exception()  # retrieved here too: no warning when every waiter has gone
