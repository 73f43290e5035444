"""Every request subject of a service answers a malformed body with a `validation` reply: never
silence (the caller would wait for its time-out), never a read from the start of a log."""

from __future__ import annotations

import json

import pytest
from nats.aio.client import Client as NatsClient
from pydantic import BaseModel

from ketnap.platform.bus import subjects
from ketnap.platform.service import Service, ServiceContext
from tests.integration.harness import bootstrap_bus, new_schema, running
from tests.integration.test_commands import command, opinion_service
from tests.servers import Servers

DEEP = b"[" * 5000 + b"]" * 5000
DEEP_OBJECT = b'{"a":' * 5000 + b"1" + b"}" * 5000
MALFORMED = {
    "deeply nested list": DEEP,
    "deeply nested object": DEEP_OBJECT,
    "not JSON": b"{not json",
    "not UTF-8": b"\xff\xfe{}",
    "empty": b"",
}


class Count(BaseModel):
    cell: str


def service_with_a_query(name: str) -> Service:
    service = opinion_service(name)

    @service.query("count", Count)
    async def count(ctx: ServiceContext, query: Count) -> dict:
        return {"cell": query.cell, "count": 0}

    return service


async def ask(nc: NatsClient, subject: str, payload: bytes) -> dict:
    # Well under the callers' 5 s: an answer comes at once or not at all.
    reply = await nc.request(subject, payload, timeout=3)
    return json.loads(reply.data)


@pytest.fixture
async def started(pool, nc, servers: Servers, database_url: str, deployment: str):
    service = service_with_a_query(await new_schema(pool))
    await bootstrap_bus(nc.jetstream(), deployment, [service])
    async with running(service, servers.nats_url, database_url, deployment):
        # Something in the log, so a read "from the beginning" would show.
        assert (await ask(nc, subjects.command_subject(service.name, "record_opinion"), command()))["ok"] is True
        yield service


def refused(reply: dict) -> bool:
    return reply["ok"] is False and reply["error"]["code"] == "validation" and reply["error"]["message"].startswith(
        ("Thân yêu cầu không hợp lệ", "Dữ liệu không hợp lệ")
    )


@pytest.mark.parametrize("kind", ["command", "query", "log"])
async def test_every_request_subject_answers_a_malformed_body_with_validation(started: Service, nc, kind: str) -> None:
    subject = {
        "command": subjects.command_subject(started.name, "record_opinion"),
        "query": subjects.query_subject(started.name, "count"),
        "log": subjects.log_read_subject(started.name),
    }[kind]
    for name, payload in MALFORMED.items():
        reply = await ask(nc, subject, payload)
        assert refused(reply), (name, reply)
    assert "64 tầng" in (await ask(nc, subject, DEEP))["error"]["message"]
    # The service still answers well-formed requests afterwards.
    assert (await ask(nc, subjects.query_subject(started.name, "count"), b'{"cell": "CB-01"}'))["ok"] is True


async def test_a_log_read_refuses_bodies_that_are_not_a_request_instead_of_reading_from_the_start(started: Service, nc) -> None:
    subject = subjects.log_read_subject(started.name)
    for payload in (b"[]", b"7", b'"after"', b"null", b"{}", b'{"junk": 1}', b'{"after": "x"}', b'{"after": -1}',
                    b'{"after": true}', b'{"after": 0, "limit": 0}', b'{"after": 0, "up_to_time": "yesterday"}'):
        reply = await ask(nc, subject, payload)
        assert refused(reply) and "events" not in reply, (payload, reply)
    read = await ask(nc, subject, b'{"after": 0}')
    assert [e["position"] for e in read["events"]] == [1] and read["head"] == 1
