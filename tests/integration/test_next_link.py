"""A consumer applies a message only when it is the next link of its source's chain; anything
else is never applied: the event really at that position is read from the source log and applied,
and an integrity alarm names the subject, the position and what was wrong."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from nats.aio.client import Client as NatsClient

from ketnap.platform.bus import subjects
from ketnap.platform.bus.logread import answer_log_request
from ketnap.platform.envelope import GENESIS_HASH, RecordedEvent, canonical_encoding, chain_hash
from ketnap.platform.eventstore import EventStore
from ketnap.platform.service import Service
from tests.conftest import eventually
from tests.integration import forgery
from tests.integration.harness import running
from tests.integration.test_consumer import Scenario, scenario
from tests.servers import Servers


class Consumed(Protocol):
    """A source service's log read by a target service (`Scenario`, or the projection group tests' world)."""

    store: EventStore
    source: Service
    target: Service


@asynccontextmanager
async def consumer_alone(s: Consumed, nc: NatsClient, servers: Servers, database_url: str, deployment: str) -> AsyncIterator[None]:
    """The consumer running, and its source answering log reads from its database but relaying
    nothing: the test alone decides what arrives on the event subject. Yields once the consumer's
    catch-up at start has read the log (its first read), so that the events the test appends
    afterwards reach it only as the test sends them."""
    caught_up = asyncio.Event()

    async def answer(message) -> None:
        await message.respond(json.dumps(await answer_log_request(s.store, json.loads(message.data))).encode())
        caught_up.set()

    reads = await nc.subscribe(subjects.log_read_subject(s.source.name), cb=answer)
    try:
        async with running(s.target, servers.nats_url, database_url, deployment):
            await asyncio.wait_for(caught_up.wait(), timeout=30)
            yield
    finally:
        await reads.unsubscribe()


async def publish(nc: NatsClient, s: Scenario, event: RecordedEvent) -> None:
    await forgery.publish(nc, s.deployment, s.source.name, event)


async def source_events(s: Scenario) -> list[RecordedEvent]:
    return [e async for batch in s.store.read_log(0) for e in batch]


async def alarms(nc: NatsClient, s: Scenario) -> list[dict]:
    reply = await nc.request(subjects.query_subject(s.target.name, "integrity_alarms"), b"{}", timeout=5)
    body = json.loads(reply.data)
    assert body["ok"], body
    return body["result"]["items"]


async def assert_applied_exactly(s: Scenario, positions: range, real: RecordedEvent) -> None:
    """Each of `positions` applied once, the checkpoint at the real event's hash, nothing dead-lettered."""
    assert await s.applied() == {p: 1 for p in positions}
    async with s.pool.acquire() as conn:
        reached = await conn.fetchval(f"SELECT hash FROM {s.target.name}.consumer_checkpoints WHERE source = $1", s.source.name)
        assert await conn.fetchval(f"SELECT count(*) FROM {s.target.name}.dead_letters") == 0
    assert reached == real.hash


async def test_a_message_whose_hash_does_not_recompute_is_never_applied_and_the_real_event_is(
    pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str
) -> None:
    s = await scenario(pool, nc, deployment)
    async with consumer_alone(s, nc, servers, database_url, deployment):
        await s.append(3)
        real = await source_events(s)
        # Its type is one the consumer can never apply: applied, it would be a dead letter.
        await publish(nc, s, dataclasses.replace(real[0], event_type="Broken"))
        (alarm,) = await eventually(lambda: alarms(nc, s))
        await assert_applied_exactly(s, range(1, 2), real[0])
        subject = subjects.event_subject(deployment, s.source.name, "Broken")
        assert (alarm["subject"], alarm["position"], alarm["kind"]) == (subject, 1, "altered")
        assert alarm["consumer"] == f"{s.target.name}.counter" and alarm["acknowledged_at"] is None
        # The real events that follow chain on to the real event applied in its place.
        await publish(nc, s, real[1])
        await publish(nc, s, real[2])
        await eventually(lambda: _reached(s, 3))
    await assert_applied_exactly(s, range(1, 4), real[2])


async def test_a_message_that_does_not_link_to_the_last_applied_event_is_never_applied(
    pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str
) -> None:
    s = await scenario(pool, nc, deployment)
    async with consumer_alone(s, nc, servers, database_url, deployment):
        await s.append(3)
        real = await source_events(s)
        await publish(nc, s, real[0])
        await eventually(lambda: _reached(s, 1))
        # Hashed correctly over its own contents, but chained on to another history.
        other = dataclasses.replace(real[1], event_type="Broken", previous_hash="1" * 64)
        forged = dataclasses.replace(other, hash=chain_hash(other.previous_hash, canonical_encoding(other)))
        assert forged.expected_hash() == forged.hash
        await publish(nc, s, forged)
        (alarm,) = await eventually(lambda: alarms(nc, s))
        assert (alarm["position"], alarm["kind"], alarm["received_hash"]) == (2, "broken_link", forged.hash)
        await assert_applied_exactly(s, range(1, 3), real[1])
        # The position just applied, claimed again by another event: not a redelivery.
        await publish(nc, s, forged)
        await eventually(lambda: _kinds(nc, s, {"broken_link", "rewritten"}))
        await publish(nc, s, real[1])  # the real one again is a plain redelivery
        await publish(nc, s, real[2])
        await eventually(lambda: _reached(s, 3))
        assert {(a["position"], a["kind"]) for a in await alarms(nc, s)} == {(2, "broken_link"), (2, "rewritten")}
        await assert_applied_exactly(s, range(1, 4), real[2])


async def test_a_forged_event_beyond_the_head_changes_nothing_and_the_real_event_is_applied_when_it_comes(
    pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str
) -> None:
    s = await scenario(pool, nc, deployment)
    async with consumer_alone(s, nc, servers, database_url, deployment):
        await s.append(3)
        real = await source_events(s)
        for event in real:
            await publish(nc, s, event)
        await eventually(lambda: _reached(s, 3))
        # The experiment: a well-formed event at head + 1 with all-zero hashes.
        forged = dataclasses.replace(
            real[2], position=4, stream_version=4, event_id=uuid.uuid4(), event_type="Broken", previous_hash=GENESIS_HASH,
            hash=GENESIS_HASH,
        )
        await publish(nc, s, forged)
        (alarm,) = await eventually(lambda: alarms(nc, s))
        assert (alarm["position"], alarm["kind"]) == (4, "broken_link")
        assert "vị trí 4" in alarm["message"]
        await assert_applied_exactly(s, range(1, 4), real[2])
        # The real event that takes position 4 is applied, not skipped as "already seen".
        await s.append(1)
        (fourth,) = [e for e in await source_events(s) if e.position == 4]
        await publish(nc, s, fourth)
        await eventually(lambda: _reached(s, 4))
        await assert_applied_exactly(s, range(1, 5), fourth)

        # Acknowledged by an operator: listed no more unless asked for, with who and when.
        command = {"idempotency_key": "ack-" + uuid.uuid4().hex, "actor": "admin-1", "scope": "*", "alarm_id": alarm["id"]}
        reply = json.loads((await nc.request(subjects.command_subject(s.target.name, "acknowledge_alarm"), json.dumps(command).encode(), timeout=5)).data)
        assert reply["ok"] and reply["result"]["acknowledged_by"] == "admin-1", reply
        assert await alarms(nc, s) == []
        every = json.loads(
            (await nc.request(subjects.query_subject(s.target.name, "integrity_alarms"), b'{"include_acknowledged": true}', timeout=5)).data
        )
        assert [a["id"] for a in every["result"]["items"]] == [alarm["id"]]
        unknown = {**command, "alarm_id": alarm["id"] + 1000}
        refused = json.loads((await nc.request(subjects.command_subject(s.target.name, "acknowledge_alarm"), json.dumps(unknown).encode(), timeout=5)).data)
        assert refused["error"]["code"] == "not_found", refused


async def _kinds(nc: NatsClient, s: Scenario, kinds: set[str]) -> bool:
    return {a["kind"] for a in await alarms(nc, s)} == kinds


async def _reached(s: Scenario, position: int) -> bool:
    return await s.checkpoint() >= position
