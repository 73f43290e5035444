"""A service answers its request subjects concurrently and, when told to stop, answers the requests
it has already taken before it closes the bus and the database (ketnap.platform.bus.requests.Answering)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import nats.errors
import pytest
from pydantic import BaseModel

from ketnap.platform.bus import subjects
from ketnap.platform.bus.requests import Answered, Answering
from ketnap.platform.service import Service, ServiceContext
from tests.conftest import unique
from tests.integration.harness import bootstrap_bus, new_schema, running
from tests.servers import Servers


class Wait(BaseModel):
    ticket: int


def waiting_service(name: str, arrived: list[int], release: asyncio.Event) -> Service:
    """A query that holds its answer until the test releases it."""
    service = Service(name)

    @service.query("wait", Wait)
    async def wait(ctx: ServiceContext, query: Wait) -> dict:
        arrived.append(query.ticket)
        await release.wait()
        async with ctx.pool.acquire() as conn:  # the database is still there for it
            return {"ticket": query.ticket, "one": await conn.fetchval("SELECT 1")}

    return service


async def until(condition, seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "not reached in time"
        await asyncio.sleep(0.02)


@dataclass
class Waiting:
    service: Service
    arrived: list[int]
    release: asyncio.Event

    @property
    def subject(self) -> str:
        return subjects.query_subject(self.service.name, "wait")


@pytest.fixture
async def waiting(pool, nc, deployment: str) -> Waiting:
    arrived: list[int] = []
    release = asyncio.Event()
    service = waiting_service(await new_schema(pool), arrived, release)
    await bootstrap_bus(nc.jetstream(), deployment, [service])
    return Waiting(service, arrived, release)


async def test_requests_on_one_subject_are_answered_together(waiting: Waiting, nc, servers: Servers, database_url: str, deployment: str) -> None:
    arrived, release, subject = waiting.arrived, waiting.release, waiting.subject
    async with running(waiting.service, servers.nats_url, database_url, deployment):
        asking = [asyncio.ensure_future(nc.request(subject, json.dumps({"ticket": i}).encode(), timeout=10)) for i in range(3)]
        # All three are being answered before any is done: a slow request holds up no other on its subject.
        await until(lambda: len(arrived) == 3)
        release.set()
        replies = [json.loads(r.data) for r in await asyncio.gather(*asking)]
    assert sorted(r["result"]["ticket"] for r in replies) == [0, 1, 2]
    assert all(r["ok"] and r["result"]["one"] == 1 for r in replies)


async def test_a_stopping_service_answers_the_requests_it_has_taken(
    waiting: Waiting, nc, servers: Servers, database_url: str, deployment: str
) -> None:
    arrived, release, subject = waiting.arrived, waiting.release, waiting.subject

    async def release_once_no_longer_taking() -> None:
        while True:
            try:
                await nc.request(subject, b'{"ticket": 0}', timeout=0.2)
            except nats.errors.NoRespondersError:
                release.set()
                return
            except nats.errors.TimeoutError:
                pass

    async with running(waiting.service, servers.nats_url, database_url, deployment) as task:
        asking = asyncio.ensure_future(nc.request(subject, b'{"ticket": 7}', timeout=15))
        await until(lambda: 7 in arrived)
        # The stop comes (the block's end) while the request is being answered; the answer is let
        # out only once the service takes no more requests, and must still reach the caller.
        releasing = asyncio.ensure_future(release_once_no_longer_taking())
    assert task.done() and task.exception() is None
    await releasing
    reply = json.loads((await asking).data)
    assert reply["ok"] is True and reply["result"] == {"ticket": 7, "one": 1}


async def test_a_request_that_asks_another_subject_of_its_process_is_not_held_up_by_the_bound(nc) -> None:
    """The bound on requests answered at once is per subject: requests filling one subject's
    places while they ask another subject of the same process still get their answer."""
    prefix = unique("answering_")
    inner, outer = f"{prefix}.inner", f"{prefix}.outer"

    async def answer_inner(body, headers) -> dict:
        return {"inner": body["n"]}

    async def answer_outer(body, headers) -> dict:
        reply = await nc.request(inner, json.dumps(body).encode(), timeout=5)
        return {"outer": json.loads(reply.data)["inner"]}

    answering = Answering(nc, in_flight=1)
    await answering.start([Answered(inner, inner, answer_inner), Answered(outer, outer, answer_outer)])
    try:
        replies = await asyncio.gather(*(nc.request(outer, json.dumps({"n": n}).encode(), timeout=8) for n in range(3)))
    finally:
        await answering.close(5)
    assert sorted(json.loads(r.data)["outer"] for r in replies) == [0, 1, 2]
