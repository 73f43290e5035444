"""`ketnap status` in a linked deployment whose federation service answers but does not say how
its links are within 3 s (stuck on a slow database, say): the links are shown as unknown and the
deployment is unhealthy, instead of a status without a links section that exits 0."""

from __future__ import annotations

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from ketnap.operations.bootstrap import bootstrap_database
from ketnap.operations.status import collect_status, render_status
from ketnap.platform.bus import subjects
from ketnap.platform.federation.links import Links
from ketnap.services.federation.service import build_service
from tests.conftest import new_database
from tests.servers import Servers


async def test_links_not_told_in_time_are_shown_unknown_and_the_deployment_is_unhealthy(servers: Servers, nc: NatsClient) -> None:
    federation = build_service(Links("tinh-st", lowers=("xa-st",)))
    url = await new_database(servers.postgres_url)
    await bootstrap_database(url, [federation], create_roles=False)

    async def alive(message: Msg) -> None:
        await message.respond(b"{}")

    async def never_answers(message: Msg) -> None:
        """Takes the links query and keeps it, as a federation service stuck on its database would."""

    answering = await nc.subscribe(subjects.status_subject("federation"), cb=alive)
    stuck = await nc.subscribe(subjects.query_subject("federation", "links"), cb=never_answers)
    await nc.flush()
    try:
        report = await collect_status(servers.nats_url, url, services=[federation])
    finally:
        await answering.unsubscribe()
        await stuck.unsubscribe()
    assert report.services[0].answering and report.links == []
    assert not report.healthy
    assert "Liên kết với các đơn vị triển khai khác: KHÔNG BIẾT (dịch vụ federation không trả lời trong 3 giây)." in render_status(report)
