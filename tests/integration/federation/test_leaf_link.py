"""The leaf-node link between two deployments' NATS servers, as `ketnap up --topology` configures
them (operations/embedded.py): a province above, a commune joined to it as a leaf node.

- The province's stream *sources* the commune's across the link, headers intact.
- Service requests stay in their deployment both ways; `ketnap.fed.>` and JetStream's domain
  API cross.
- While the link is down nothing is lost, and when it returns nothing arrives twice.

Always two embedded servers of our own (whatever `servers` the other tests use): the link is
between two of them and one is stopped and started mid-test.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import nats
import nats.errors
import pytest
from nats.aio.client import Client as NatsClient
from nats.js.api import ExternalStream, StreamConfig, StreamSource

from ketnap.operations.embedded import EmbeddedNats, free_port
from ketnap.platform.bus import subjects
from ketnap.platform.federation.links import Links
from ketnap.platform.federation.streams import keep_sourcing
from tests.conftest import eventually

UPPER, LOWER = "tinh-ls", "xa-a"  # hyphens: deployment ids are JetStream domains as they are


@dataclass
class Link:
    upper: EmbeddedNats
    lower: EmbeddedNats


@pytest.fixture
def link(tmp_path: Path) -> Iterator[Link]:
    leaf_port = free_port()
    upper = EmbeddedNats(tmp_path / UPPER, free_port(), server_name=f"ketnap-{UPPER}", domain=UPPER, leaf_port=leaf_port)
    lower = EmbeddedNats(
        tmp_path / LOWER, free_port(), server_name=f"ketnap-{LOWER}", domain=LOWER,
        upper_leaf_url=f"nats-leaf://127.0.0.1:{leaf_port}",
    )
    upper.start()
    try:
        lower.start()
        try:
            yield Link(upper, lower)
        finally:
            lower.stop()
    finally:
        upper.stop()


async def connect(server: EmbeddedNats) -> NatsClient:
    return await nats.connect(server.url, name="leaf-link-test")


@pytest.fixture
async def clients(link: Link) -> AsyncIterator[tuple[NatsClient, NatsClient]]:
    upper, lower = await connect(link.upper), await connect(link.lower)
    yield upper, lower
    for client in (upper, lower):
        await client.close()


async def settle(client: NatsClient) -> None:
    # Two flushes: nats-py's first PING can overtake SUBs still queued (see tests/deploy).
    await client.flush()
    await client.flush()


async def answered(client: NatsClient, subject: str) -> bytes | None:
    try:
        return (await client.request(subject, b"{}", timeout=0.5)).data
    except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
        return None


LOWER_STREAM = subjects.event_stream(LOWER, "registry")


async def lower_log(js, count: int, start: int = 1) -> None:  # noqa: ANN001
    """What the commune's registry relay does: its log, one message per event, in order."""
    for position in range(start, start + count):
        await js.publish(
            subjects.event_subject(LOWER, "registry", "MemberNoted"), f'{{"p": {position}}}'.encode(),
            headers={subjects.MSG_ID_HEADER: f"event-{position}", subjects.POSITION_HEADER: str(position),
                     subjects.ORIGIN_HEADER: LOWER},
        )


async def make_streams(upper: NatsClient, lower: NatsClient) -> None:
    await lower.jetstream().add_stream(StreamConfig(name=LOWER_STREAM, subjects=[subjects.event_subjects(LOWER, "registry")]))
    # The upper stream has no subjects of its own: it only sources, through the lower's domain API.
    await upper.jetstream().add_stream(StreamConfig(
        name=LOWER_STREAM, sources=[StreamSource(name=LOWER_STREAM, external=ExternalStream(api=f"$JS.{LOWER}.API"))],
    ))


async def positions(client: NatsClient) -> list[int]:
    js = client.jetstream()
    state = (await js.stream_info(LOWER_STREAM)).state
    if not state.messages:
        return []
    return [int((await js.get_msg(LOWER_STREAM, seq)).headers[subjects.POSITION_HEADER])
            for seq in range(state.first_seq, state.last_seq + 1)]


async def test_the_upper_stream_sources_the_lower_one_across_the_link_headers_intact(clients) -> None:  # noqa: ANN001
    upper, lower = clients
    await make_streams(upper, lower)
    await lower_log(lower.jetstream(), 20)

    assert await eventually(lambda: _is(positions(upper), list(range(1, 21))))
    message = await upper.jetstream().get_msg(LOWER_STREAM, 7)
    assert message.subject == subjects.event_subject(LOWER, "registry", "MemberNoted")
    assert message.data == b'{"p": 7}'
    assert message.headers[subjects.MSG_ID_HEADER] == "event-7"
    assert message.headers[subjects.ORIGIN_HEADER] == LOWER


async def test_service_requests_stay_in_their_deployment_and_federation_reads_cross(clients) -> None:  # noqa: ANN001
    upper, lower = clients

    def responder(who: str):  # noqa: ANN202
        async def respond(msg) -> None:  # noqa: ANN001
            await msg.respond(who.encode())
        return respond

    # The province's reporting answers its queries; the commune's answers its own, and one query
    # only the province has. Subscribed before the federation subject, on the same connection, so
    # once the federation subject is known across the link these would be too, had they crossed.
    await upper.subscribe("reporting.query.x", cb=responder(UPPER))
    await upper.subscribe("reporting.query.only_above", cb=responder(UPPER))
    await upper.subscribe("federation.query.status", cb=responder(UPPER))
    await upper.subscribe("ketnap.fed.test", cb=responder(UPPER))
    await lower.subscribe("reporting.query.x", cb=responder(LOWER))
    await lower.subscribe("gateway.query.only_below", cb=responder(LOWER))
    await lower.subscribe(subjects.linked_log_subject(LOWER, "registry"), cb=responder(LOWER))
    await settle(upper)
    await settle(lower)

    # Cross-level log reads go both ways (this also waits for the link and its interest).
    assert await eventually(lambda: answered(lower, "ketnap.fed.test")) == UPPER.encode()
    assert await eventually(lambda: answered(upper, subjects.linked_log_subject(LOWER, "registry"))) == LOWER.encode()

    for _ in range(20):  # never the other deployment's service, not even now and then
        assert await answered(lower, "reporting.query.x") == LOWER.encode()
        assert await answered(upper, "reporting.query.x") == UPPER.encode()
    with pytest.raises(nats.errors.NoRespondersError):
        await lower.request("reporting.query.only_above", b"{}", timeout=1)
    with pytest.raises(nats.errors.NoRespondersError):
        await lower.request("federation.query.status", b"{}", timeout=1)
    with pytest.raises(nats.errors.NoRespondersError):
        await upper.request("gateway.query.only_below", b"{}", timeout=1)

    # Each JetStream answers under its own domain, from either side of the link.
    for client in (upper, lower):
        for domain in (UPPER, LOWER):
            info = await client.jetstream(domain=domain).account_info()
            assert info.domain == domain


async def test_while_the_link_is_down_nothing_is_lost_and_nothing_arrives_twice(link: Link, clients) -> None:  # noqa: ANN001
    upper, lower = clients
    await make_streams(upper, lower)
    lower_js = lower.jetstream()
    await lower_log(lower_js, 10)
    assert await eventually(lambda: _is(positions(upper), list(range(1, 11))))

    await upper.close()
    link.upper.stop()
    # The commune goes on working on its own: its own JetStream still takes its log.
    await lower_log(lower_js, 25, start=11)
    assert (await lower_js.stream_info(LOWER_STREAM)).state.messages == 35

    link.upper.start()  # same data folder: the sourcing stream and its place in the source survive
    upper = await connect(link.upper)
    try:
        await lower_log(lower_js, 5, start=36)
        # Not at once: the restarted server tries to resume sourcing before the leaf node is back,
        # fails, and retries with nats-server's backoff (10 s, 20 s, ...): about 40 s here.
        assert await eventually(lambda: _is(positions(upper), list(range(1, 41))), timeout=150)
        await asyncio.sleep(2)  # a late redelivery would show up as a 41st message
        assert await positions(upper) == list(range(1, 41))
    finally:
        await upper.close()


async def test_after_the_upper_deployment_restarts_sourcing_resumes_without_waiting_out_the_backoff(link: Link, clients) -> None:  # noqa: ANN001
    """What the upper deployment's federation service does (`keep_sourcing`): the first event kept
    after the restart arrives within a deadline well under nats-server's 40 s backoff (the test
    above, without it, waits that long)."""
    upper, lower = clients
    await make_streams(upper, lower)
    lower_js = lower.jetstream()
    await lower_log(lower_js, 10)
    assert await eventually(lambda: _is(positions(upper), list(range(1, 11))))

    await upper.close()
    link.upper.stop()
    await lower_log(lower_js, 25, start=11)

    link.upper.start()
    restarted = asyncio.get_running_loop().time()
    upper = await connect(link.upper)
    closing = asyncio.Event()
    sourcing = asyncio.create_task(keep_sourcing(upper, Links(UPPER, lowers=(LOWER,)), closing))
    try:
        await eventually(lambda: _more_than(positions(upper), 10), timeout=20, interval=0.02)
        first = asyncio.get_running_loop().time() - restarted
        await lower_log(lower_js, 5, start=36)
        assert await eventually(lambda: _is(positions(upper), list(range(1, 41))), timeout=20)
        everything = asyncio.get_running_loop().time() - restarted
        print(f"\nsourcing after the upper restart: first kept event {first:.1f} s, all 40 {everything:.1f} s "
              "(nats-server alone: its backoff, about 40 s)")
        await asyncio.sleep(2)  # a late redelivery would show up as a 41st message
        assert await positions(upper) == list(range(1, 41))
    finally:
        closing.set()
        await sourcing
        await upper.close()


async def _more_than(value, count: int) -> bool:  # noqa: ANN001
    return len(await value) > count


async def _is(value, expected):  # noqa: ANN001, ANN202
    return (await value) == expected
