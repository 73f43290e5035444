"""`AskedAfter`: callers that ask before the question leaves share it; each gets an answer asked
after it called (the gateway's positions, the registry's catch-up)."""

from __future__ import annotations

import asyncio

import pytest

from ketnap.platform.asking import AskedAfter


class Counter:
    def __init__(self) -> None:
        self.runs = 0
        self.release = asyncio.Event()

    async def ask(self) -> int:
        self.runs += 1
        run = self.runs
        await self.release.wait()
        return run


async def test_calls_made_together_share_one_question() -> None:
    counter = Counter()
    asked = AskedAfter(counter.ask)
    calls = [asyncio.ensure_future(asked()) for _ in range(5)]
    await asyncio.sleep(0)
    counter.release.set()
    assert await asyncio.gather(*calls) == [1] * 5 and counter.runs == 1


async def test_a_call_made_once_the_question_has_left_asks_again() -> None:
    counter = Counter()
    asked = AskedAfter(counter.ask)
    first = asyncio.ensure_future(asked())
    await asyncio.sleep(0.01)  # the first question is on its way: what was committed since is not in it
    later = asyncio.ensure_future(asked())
    counter.release.set()
    assert (await first, await later) == (1, 2)


async def test_a_failed_question_fails_every_caller_and_the_next_call_asks_again() -> None:
    failures = iter([RuntimeError("down")])

    async def ask() -> str:
        if (failure := next(failures, None)) is not None:
            raise failure
        return "up"

    asked = AskedAfter(ask)
    results = await asyncio.gather(asked(), asked(), return_exceptions=True)
    assert [type(r) for r in results] == [RuntimeError, RuntimeError]
    assert await asked() == "up"


async def test_a_caller_that_gives_up_does_not_cancel_the_others() -> None:
    counter = Counter()
    asked = AskedAfter(counter.ask)
    leaving, staying = asyncio.ensure_future(asked()), asyncio.ensure_future(asked())
    await asyncio.sleep(0)
    leaving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leaving
    counter.release.set()
    assert await staying == 1
