"""The registry follows the voting service's decisions (docs/registry.md): admission, recognition,
name removal; each applied once however often it is delivered; the impossible ones dead-lettered."""

from __future__ import annotations

import unicodedata

import asyncpg
import pytest
from nats.aio.client import Client as NatsClient

from ketnap.platform.bus.consumer import WaitingForEarlierActs, read_checkpoint
from ketnap.platform.envelope import EventMetadata, NewEvent, RecordedEvent
from ketnap.platform.service import Service, ServiceContext
from ketnap.platform.settings import Settings
from ketnap.services.registry import commands as c
from ketnap.services.registry import reactions
from ketnap.services.registry.events import person_stream
from ketnap.services.registry.handlers import establish_organisation
from tests.conftest import eventually
from tests.integration.harness import bootstrap_bus, new_schema, running
from tests.integration.registry.conftest import Registry, answering, start_registry
from tests.servers import Servers

NEW, REMOVED, ALREADY = "001205000001", "001205000002", "001205000003"
VOTING = EventMetadata(actor="ban-to-chuc-H1", organisation="H1")


async def decide(r: Registry, event_type: str, **data: object) -> RecordedEvent:
    result = await r.voting_store.append(
        f"dossier-{data['citizen_id']}", -1, [NewEvent(event_type=event_type, data={"dossier_id": "d-1", **data})], VOTING
    )
    (event,) = [e async for batch in r.voting_store.read_log(result.positions[0] - 1, up_to_position=result.positions[0]) for e in batch]
    return event


async def prepared(r: Registry) -> None:
    await r.tree(T01="province:-:2015-01-01", H1="upper_committee:T01:2015-01-01", G1="grassroots_committee:H1:2015-01-01",
                 C1="cell:G1:2015-01-01")
    await r.ok("register_member", citizen_id=ALREADY, full_name="Đỗ Văn Sơn", organisation="C1", kind="official",
               effective_from="2016-01-01")


async def test_decisions_of_the_voting_log_change_the_rosters_once_each(
    pool: asyncpg.Pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str
) -> None:
    r = await start_registry(pool, nc, deployment)
    async with running(r.voting, servers.nats_url, database_url, deployment), \
            running(r.service, servers.nats_url, database_url, deployment):
        await answering(nc, r.service)
        await prepared(r)
        typed_in_nfd = unicodedata.normalize("NFD", "Vũ  Thị Lan ")
        admitted = await decide(r, "AdmissionDecided", citizen_id=NEW, full_name=typed_in_nfd, organisation="C1",
                                decided_by="H1", decision_number="101-QĐ/HU", decision_date="2024-05-06", rule_set="2021")
        await decide(r, "AdmissionDecided", citizen_id=REMOVED, full_name="Ngô Văn Bảy", organisation="C1",
                     decided_by="H1", decision_number="102-QĐ/HU", decision_date="2024-05-06", rule_set="2021")
        await decide(r, "CellResolutionAdopted", citizen_id=NEW, cell="C1")  # not the registry's business
        await decide(r, "AdmissionDecided", citizen_id=ALREADY, full_name="Đỗ Văn Sơn", organisation="C1",
                     decided_by="H1", decision_number="103-QĐ/HU", decision_date="2024-05-06", rule_set="2021")
        await decide(r, "RecognitionDecided", citizen_id=NEW, organisation="C1", decided_by="H1",
                     decision_number="140-QĐ/HU", decision_date="2025-07-20", official_date="2025-06-01")
        await decide(r, "NameRemovalDecided", citizen_id=REMOVED, organisation="C1", decided_by="H1",
                     decision_date="2025-07-20", reason="Không đủ tư cách đảng viên")
        head = await r.voting_store.head_position()
        await eventually(lambda: _applied(pool, r, head))

        probation = await r.answer("roster", organisation="C1", on="2024-05-06")
        assert {m["citizen_id"]: m["kind"] for m in probation["members"]} == {
            ALREADY: "official", NEW: "probationary", REMOVED: "probationary",
        }
        official = await r.answer("membership", citizen_id=NEW, organisation="C1", on="2025-06-01")
        assert (official["kind"], official["since"]) == ("official", "2024-05-06")
        assert (await r.answer("membership", citizen_id=NEW, organisation="C1", on="2025-05-31"))["kind"] == "probationary"
        assert (await r.answer("membership", citizen_id=REMOVED, organisation="C1", on="2025-07-20"))["member"] is False
        person = await r.answer("member", citizen_id=NEW, on="2025-07-20")
        assert (person["full_name"], person["admitted_on"], person["official_since"]) == ("Vũ Thị Lan", "2024-05-06", "2025-06-01")

    joined, recognised = await r.store.read_stream(person_stream(NEW))
    assert (joined.event_type, recognised.event_type) == ("MemberJoined", "MemberBecameOfficial")
    assert joined.causation_id == admitted.event_id and joined.actor == "ban-to-chuc-H1"
    assert joined.data["how"] == "admission" and joined.data["decision_number"] == "101-QĐ/HU"
    async with pool.acquire() as conn:
        dead = await conn.fetch(f"SELECT position, reason FROM {r.name}.dead_letters")
    assert len(dead) == 1 and "conflict" in dead[0]["reason"] and ALREADY not in dead[0]["reason"]
    assert len(await r.store.read_stream(person_stream(ALREADY))) == 1


async def _applied(pool: asyncpg.Pool, r: Registry, position: int) -> bool:
    async with pool.acquire() as conn:
        checkpoint = await conn.fetchval(
            f"SELECT position FROM {r.name}.consumer_checkpoints WHERE consumer = $1 AND source = $2",
            f"{r.name}.voting_decisions",
            r.voting.name,
        )
    return (checkpoint or 0) >= position


async def test_a_decision_applied_twice_records_one_membership(pool: asyncpg.Pool, nc: NatsClient, deployment: str) -> None:
    r = await start_registry(pool, nc, deployment)
    ctx = ServiceContext(r.name, Settings(), pool, r.store, nc, nc.jetstream())
    apply = reactions.voting_decisions(ctx)
    await _established(r, ctx)
    admitted = await decide(r, "AdmissionDecided", citizen_id=NEW, full_name="Vũ Thị Lan", organisation="C1",
                            decided_by="G1", decision_number="7-QĐ/ĐU", decision_date="2024-05-06", rule_set="2021")
    for _ in range(2):
        async with pool.acquire() as conn, conn.transaction():
            await apply(conn, admitted)
    (joined,) = await r.store.read_stream(person_stream(NEW))
    assert joined.data["organisation"] == "C1" and joined.data["kind"] == "probationary"


async def test_a_recognition_decided_here_waits_for_the_admission_kept_from_above(
    pool: asyncpg.Pool, nc: NatsClient, servers: Servers, database_url: str, deployment: str
) -> None:
    """The committee above admitted; after the reform the grassroots committee here recognises.
    The two voting logs' runners run in no fixed order: the recognition waits for the admission."""
    r = await start_registry(pool, nc, deployment)
    above = Service(await new_schema(pool))
    await bootstrap_bus(nc.jetstream(), deployment, [above])
    ctx = ServiceContext(r.name, Settings(), pool, r.store, nc, nc.jetstream())
    await _established(r, ctx)
    admitted = await decide(Registry(pool, nc, r.service, above), "AdmissionDecided", citizen_id=NEW, full_name="Vũ Thị Lan",
                            organisation="C1", decided_by="H1", decision_number="7-QĐ/HU", decision_date="2024-05-06", rule_set="2021")
    recognised = await decide(r, "RecognitionDecided", citizen_id=NEW, organisation="C1", decided_by="G1",
                              decision_number="9-QĐ/ĐU", decision_date="2025-07-20", official_date="2025-06-01")
    consumer = f"{r.name}.voting_decisions"
    here = reactions.federated_voting_decisions(consumer, (above.name,))(ctx)
    from_above = reactions.federated_voting_decisions(consumer, (r.voting.name,))(ctx)

    async def applied(apply, source: str, event: RecordedEvent) -> None:  # noqa: ANN001
        """As the runner does: the effect and the checkpoint of its log commit together."""
        async with pool.acquire() as conn, conn.transaction():
            await read_checkpoint(conn, r.name, consumer, source)
            await apply(conn, event)
            await conn.execute(
                f"UPDATE {r.name}.consumer_checkpoints SET position = $3 WHERE consumer = $1 AND source = $2",
                consumer, source, event.position,
            )

    async with running(above, servers.nats_url, database_url, deployment), \
            running(r.voting, servers.nats_url, database_url, deployment):
        with pytest.raises(WaitingForEarlierActs):
            await applied(here, r.voting.name, recognised)
        await applied(from_above, above.name, admitted)
        await applied(here, r.voting.name, recognised)
    joined, official = await r.store.read_stream(person_stream(NEW))
    assert (joined.event_type, official.event_type) == ("MemberJoined", "MemberBecameOfficial")
    assert official.data["official_date"] == "2025-06-01"


async def _established(r: Registry, ctx: ServiceContext) -> None:
    """The province T01, the grassroots committee G1 and its cell C1, recorded in this registry's log."""
    for code, kind, parent in (("T01", "province", None), ("G1", "grassroots_committee", "T01"), ("C1", "cell", "G1")):
        decision = await establish_organisation(ctx, c.EstablishOrganisation(
            idempotency_key=f"establish-{code}", actor="a", scope=parent or code, code=code, name=code, kind=kind,
            parent=parent, effective_from="2015-01-01",
        ))
        await r.store.append(decision.stream_id, decision.expected_version, decision.events, VOTING)
