"""Events no member of a runner has anything to do with are passed by without a statement: how far
is kept in memory and written later (issue 21). A runner killed before it writes it starts again
from the checkpoint written before: nothing is applied twice, nothing is skipped, and a message
that is not the next link of that older checkpoint is still refused."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest
from nats.aio.client import Client as NatsClient

from ketnap.platform.bus import consumer, subjects
from ketnap.platform.bus.consumer import ConsumerRunner
from ketnap.platform.bus.logread import answer_log_request
from ketnap.platform.envelope import canonical_encoding, chain_hash
from ketnap.platform.eventstore import EventStore
from ketnap.platform.service import Service
from tests.integration import forgery
from tests.integration.harness import bootstrap_bus, new_schema
from tests.integration.test_projection_group import Seen, World


@asynccontextmanager
async def _counted_only(pool: asyncpg.Pool, nc: NatsClient, deployment: str) -> AsyncIterator[tuple[World, Seen]]:
    """A source log and a target with one projection of its `Counted` events, the durable made;
    the source answers log reads from its database and relays nothing: the test alone decides
    what arrives on the event subject."""
    source = Service(await new_schema(pool))
    target = Service(await new_schema(pool, owns_log=False), owns_log=False)
    w = World(pool, nc, deployment, source, target, EventStore(pool, source.name))
    counted = w.add(Seen(target.name, source.name, "counted", "Counted"))
    await w.create(counted)
    await bootstrap_bus(nc.jetstream(), deployment, [source, target])

    async def answer(message) -> None:
        await message.respond(json.dumps(await answer_log_request(w.store, json.loads(message.data))).encode())

    reads = await nc.subscribe(subjects.log_read_subject(source.name), cb=answer)
    try:
        yield w, counted
    finally:
        await reads.unsubscribe()


async def _runner(w: World, seen: Seen) -> ConsumerRunner:
    """A fresh runner of the target's projections of the source log, as a process starting."""
    (durable,) = w.target.durables
    return ConsumerRunner(
        pool=w.pool, schema=w.target.name, nc=w.nc, js=w.nc.jetstream(), spec=durable,
        members=[(spec, factory(None)) for spec, factory in w.target.consumers], deployment=w.deployment,
    )


async def _deliver(w: World, runner: ConsumerRunner, count: int) -> None:
    """What the durable holds for the runner, `count` messages, fetched and handled."""
    (durable,) = w.target.durables
    subscription = await w.nc.jetstream().pull_subscribe_bind(
        subjects.durable_name(durable.name, durable.source), stream=subjects.event_stream(w.deployment, w.source.name),
    )
    try:
        await runner.handle_batch(await subscription.fetch(count, timeout=5))
    finally:
        await subscription.unsubscribe()


async def test_a_runner_killed_before_it_writes_what_it_passed_by_starts_from_the_older_checkpoint_and_checks_every_link(
    pool: asyncpg.Pool, nc: NatsClient, deployment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consumer, "PASSED_WRITTEN_AFTER", 3600.0)  # written only as the test says
    async with _counted_only(pool, nc, deployment) as (w, counted):
        source, target = w.source, w.target
        log = await w.append(["Counted", "Noted", "Noted", "Noted", "Noted", "Noted"])
        runner = await _runner(w, counted)
        await forgery.publish(nc, deployment, source.name, log[0])
        await _deliver(w, runner, 1)
        assert await w.checkpoints() == {counted.name: (1, log[0].hash)}
        for event in log[1:]:
            await forgery.publish(nc, deployment, source.name, event)
        await _deliver(w, runner, 5)
        # Passed by and acknowledged, nothing written: the checkpoint row is where it was.
        assert await w.checkpoints() == {counted.name: (1, log[0].hash)}
        info = await nc.jetstream().consumer_info(subjects.event_stream(deployment, source.name), subjects.durable_name(
            target.durables[0].name, source.name))
        assert info.num_ack_pending == 0 and info.num_pending == 0

        # Killed: what it kept in memory is gone. A message at position 2 chained on to another
        # history arrives first; the new runner holds it against the hash stored at 1.
        runner = await _runner(w, counted)
        other = dataclasses.replace(log[1], previous_hash="1" * 64)
        forged = dataclasses.replace(other, hash=chain_hash(other.previous_hash, canonical_encoding(other)))
        subject = await forgery.publish(nc, deployment, source.name, forged)
        await _deliver(w, runner, 1)
        alarms = await pool.fetch(f"SELECT consumer, subject, position, kind, received_hash FROM {target.name}.integrity_alarms")
        assert [tuple(a) for a in alarms] == [(counted.name, subject, 2, "broken_link", forged.hash)]
        # The real event 2 was read from the source log in its place; it concerns no one, so it
        # moved the checkpoint in the transaction that checked it.
        assert await w.checkpoints() == {counted.name: (2, log[1].hash)}

        # The next event needs 3 to 6 first: read again from the source log, each checked link by
        # link, passed by, and written with the one that is applied.
        log = await w.append(["Counted"])
        await forgery.publish(nc, deployment, source.name, log[-1])
        await _deliver(w, runner, 1)
        assert await w.checkpoints() == {counted.name: (7, log[-1].hash)}
        assert [r["position"] for r in await w.rows(counted)] == [1, 7]

        # Passed by again, then written when the runner is told to (a fetch that finds nothing).
        log = await w.append(["Noted", "Noted"])
        for event in log[-2:]:
            await forgery.publish(nc, deployment, source.name, event)
        await _deliver(w, runner, 2)
        assert await w.checkpoints() == {counted.name: (7, log[-3].hash)}
        await runner._write_passed()
        assert await w.checkpoints() == {counted.name: (9, log[-1].hash)}
    assert [r["position"] for r in await w.rows(counted)] == [1, 7]
    assert await pool.fetchval(f"SELECT count(*) FROM {target.name}.dead_letters") == 0


async def test_a_runner_goes_by_the_rows_when_anyone_else_moved_the_checkpoint_meanwhile(
    pool: asyncpg.Pool, nc: NatsClient, deployment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild (or the registry's catch-up) moves the checkpoint while the runner keeps events it
    passed by in memory, or between two of its transactions: the runner neither writes over it nor
    trusts what it kept, and goes on from what the row says, applying nothing twice."""
    monkeypatch.setattr(consumer, "PASSED_WRITTEN_AFTER", 3600.0)  # written only as the test says
    async with _counted_only(pool, nc, deployment) as (w, counted):
        source, target = w.source, w.target
        log = await w.append(["Counted", "Noted", "Noted"])
        runner = await _runner(w, counted)
        for event in log:
            await forgery.publish(nc, deployment, source.name, event)
        await _deliver(w, runner, 1)
        await _deliver(w, runner, 2)
        # A rebuild moved it to 2 without the hash: the runner does not write 3 over it, but
        # catches up from the source log from 2, as it would at start.
        await pool.execute(f"UPDATE {target.name}.consumer_checkpoints SET position = 2, hash = NULL")
        await runner._write_passed()
        assert await w.checkpoints() == {counted.name: (3, log[2].hash)}
        log = await w.append(["Counted"])
        await forgery.publish(nc, deployment, source.name, log[-1])
        await _deliver(w, runner, 1)
        assert await w.checkpoints() == {counted.name: (4, log[-1].hash)}

        # Another applier (the registry's on-demand catch-up) applies 5 and moves the checkpoint
        # while the runner, which does not read the rows again, holds 5's message: its
        # transaction finds the checkpoint moved, is undone, and is taken again from the rows.
        log = await w.append(["Counted"])
        await pool.execute(f"INSERT INTO {target.name}.counted (position, xact) VALUES (5, txid_current())")
        await pool.execute(f"UPDATE {target.name}.consumer_checkpoints SET position = 5, hash = $1", log[-1].hash)
        await forgery.publish(nc, deployment, source.name, log[-1])
        await _deliver(w, runner, 1)
        assert await w.checkpoints() == {counted.name: (5, log[-1].hash)}
    assert [r["position"] for r in await w.rows(counted)] == [1, 4, 5]
    assert await pool.fetchval(f"SELECT count(*) FROM {target.name}.integrity_alarms") == 0
