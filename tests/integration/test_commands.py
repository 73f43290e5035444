"""Commands over NATS request/reply: typed replies, idempotency keys, one winner under concurrency."""

from __future__ import annotations

import asyncio
import json
import uuid

import asyncpg
from nats.aio.client import Client as NatsClient
from pydantic import Field

from ketnap.platform.bus import subjects
from ketnap.platform.commands import Command, Decision, RuleViolation
from ketnap.platform.envelope import EventMetadata, NewEvent
from ketnap.platform.eventstore import EventStore
from ketnap.platform.service import Service, ServiceContext
from ketnap.platform.turns import wait_for_turn
from tests.integration.harness import bootstrap_bus, new_schema, running
from tests.servers import Servers


class RecordOpinion(Command):
    """Ghi nhận xét: an opinion on a dossier, at the version the officer last saw."""

    dossier_id: str = Field(min_length=1, max_length=64)
    seen_version: int = Field(ge=0)
    summary: str = Field(min_length=1, max_length=2000)


def opinion_service(name: str) -> Service:
    service = Service(name)

    @service.command("record_opinion", RecordOpinion)
    async def record_opinion(ctx: ServiceContext, command: RecordOpinion) -> Decision:
        if "cấm" in command.summary:
            raise RuleViolation("TEST_RULE", "Nhận xét có nội dung bị cấm")
        event = NewEvent(event_type="OpinionRecorded", data={"summary": command.summary})
        return Decision(f"dossier-{command.dossier_id}", command.seen_version, [event])

    return service


def command(**fields: object) -> bytes:
    body = {"idempotency_key": str(uuid.uuid4()), "actor": "officer-1", "scope": "CB-01", "dossier_id": "7", "seen_version": 0,
            "summary": "Tốt"}
    body.update(fields)
    return json.dumps(body).encode()


async def ask(nc: NatsClient, service: Service, payload: bytes) -> dict:
    reply = await nc.request(subjects.command_subject(service.name, "record_opinion"), payload, timeout=10)
    return json.loads(reply.data)


async def started(pool: asyncpg.Pool, nc: NatsClient, deployment: str) -> Service:
    service = opinion_service(await new_schema(pool))
    await bootstrap_bus(nc.jetstream(), deployment, [service])
    return service


async def test_an_accepted_command_replies_with_the_new_version_and_event_ids(pool, nc, servers: Servers, database_url: str, deployment: str) -> None:
    service = await started(pool, nc, deployment)
    async with running(service, servers.nats_url, database_url, deployment):
        reply = await ask(nc, service, command())
    assert reply["ok"] is True and reply["stream_id"] == "dossier-7" and reply["stream_version"] == 1
    (event,) = await EventStore(pool, service.name).read_stream("dossier-7")
    assert reply["event_ids"] == [str(event.event_id)]
    assert (event.actor, event.organisation) == ("officer-1", "CB-01")


async def test_the_same_idempotency_key_twice_gives_the_same_answer_and_one_effect(pool, nc, servers: Servers, database_url: str, deployment: str) -> None:
    service = await started(pool, nc, deployment)
    payload = command(idempotency_key="key-0000001")
    async with running(service, servers.nats_url, database_url, deployment):
        first = await ask(nc, service, payload)
        await ask(nc, service, command(seen_version=1))  # someone else moved the dossier on
        again = await ask(nc, service, payload)
    assert again == first
    assert len(await EventStore(pool, service.name).read_stream("dossier-7")) == 2


async def test_malformed_commands_get_a_validation_error_in_vietnamese_and_write_nothing(pool, nc, servers: Servers, database_url: str, deployment: str) -> None:
    service = await started(pool, nc, deployment)
    async with running(service, servers.nats_url, database_url, deployment):
        missing = await ask(nc, service, json.dumps({"actor": "a", "scope": "CB-01"}).encode())
        unknown = await ask(nc, service, command(colour="đỏ"))
        wrong_type = await ask(nc, service, command(seen_version="mới"))
        oversized = await ask(nc, service, command(summary="x" * 5000))
    for reply in (missing, unknown, wrong_type, oversized):
        assert reply["ok"] is False and reply["error"]["code"] == "validation"
        assert reply["error"]["message"].startswith("Dữ liệu không hợp lệ")
    assert "«colour»" in unknown["error"]["message"] and "«tóm tắt»" in oversized["error"]["message"]  # named as a person names it
    assert [p["field"] for p in oversized["error"]["details"]["problems"]] == ["summary"]  # and by its name, for programs
    assert await EventStore(pool, service.name).head_position() == 0


async def test_a_nul_character_is_refused_in_its_field_and_fails_no_other_officers_command(
    pool, nc, servers: Servers, database_url: str, deployment: str
) -> None:
    service = await started(pool, nc, deployment)
    async with running(service, servers.nats_url, database_url, deployment):
        replies = await asyncio.gather(*(
            ask(nc, service, command(dossier_id=str(i), summary="Tốt\u0000" if i % 2 else "Tốt")) for i in range(20)
        ))
    for i, reply in enumerate(replies):
        if i % 2:
            assert reply["error"]["code"] == "validation" and "«tóm tắt»" in reply["error"]["message"], reply
        else:
            assert reply["ok"] is True, reply
    assert await EventStore(pool, service.name).head_position() == 10


async def test_a_rule_violation_carries_its_rule_code(pool, nc, servers: Servers, database_url: str, deployment: str) -> None:
    service = await started(pool, nc, deployment)
    async with running(service, servers.nats_url, database_url, deployment):
        reply = await ask(nc, service, command(summary="nội dung cấm"))
    assert reply["error"]["code"] == "rule:TEST_RULE"
    assert reply["error"]["message"] == "[TEST_RULE] Nhận xét có nội dung bị cấm"
    assert await EventStore(pool, service.name).head_position() == 0


async def test_officers_acting_on_one_dossier_at_once_get_one_success_and_clear_conflicts(pool, nc, servers: Servers, database_url: str, deployment: str) -> None:
    service = await started(pool, nc, deployment)
    async with running(service, servers.nats_url, database_url, deployment):
        replies = await asyncio.gather(*(ask(nc, service, command(summary=f"ý kiến {i}")) for i in range(25)))
    winners = [r for r in replies if r["ok"]]
    losers = [r for r in replies if not r["ok"]]
    assert len(winners) == 1 and len(losers) == 24
    assert {r["error"]["code"] for r in losers} == {"conflict"}
    assert all("người khác cập nhật" in r["error"]["message"] for r in losers)
    assert [e.stream_version for e in await EventStore(pool, service.name).read_stream("dossier-7")] == [1]


def racing_service(name: str, cause: uuid.UUID | None) -> Service:
    """Its handler reads the stream, then (the first time only) an event lands in between, as a
    consumer's follow-up (`cause` set) or another officer's act (`cause` None) would."""
    service = Service(name)
    raced: list[bool] = []

    @service.command("record_opinion", RecordOpinion)
    async def record_opinion(ctx: ServiceContext, command: RecordOpinion) -> Decision:
        version = len(await ctx.store.read_stream(f"dossier-{command.dossier_id}"))
        if not raced:
            raced.append(True)
            meanwhile = NewEvent(event_type="NoticeRecorded", data={})
            await ctx.store.append(f"dossier-{command.dossier_id}", version, [meanwhile], EventMetadata(actor="someone", causation_id=cause))
        return Decision(f"dossier-{command.dossier_id}", version, [NewEvent(event_type="OpinionRecorded", data={})])

    return service


async def test_a_services_own_record_in_between_is_no_conflict_for_the_officer(pool, nc, servers: Servers, database_url: str, deployment: str) -> None:
    service = racing_service(await new_schema(pool), cause=uuid.uuid4())
    await bootstrap_bus(nc.jetstream(), deployment, [service])
    async with running(service, servers.nats_url, database_url, deployment):
        reply = await ask(nc, service, command())
    assert reply["ok"] is True and reply["stream_version"] == 2, reply
    assert [e.event_type for e in await EventStore(pool, service.name).read_stream("dossier-7")] == ["NoticeRecorded", "OpinionRecorded"]


async def test_another_persons_act_in_between_is_a_conflict(pool, nc, servers: Servers, database_url: str, deployment: str) -> None:
    service = racing_service(await new_schema(pool), cause=None)
    await bootstrap_bus(nc.jetstream(), deployment, [service])
    async with running(service, servers.nats_url, database_url, deployment):
        reply = await ask(nc, service, command())
    assert reply["error"]["code"] == "conflict", reply
    assert [e.event_type for e in await EventStore(pool, service.name).read_stream("dossier-7")] == ["NoticeRecorded"]


def deciding_ahead_service(name: str, decided: asyncio.Event, checks: list[str]) -> Service:
    """A command of a turn that decides before taking it: only its `in_turn` and append wait."""
    service = Service(name)

    @service.command("record_opinion", RecordOpinion, turn=f"{name}:tree", decides_ahead=True)
    async def record_opinion(ctx: ServiceContext, command: RecordOpinion) -> Decision:
        decided.set()

        async def in_turn() -> None:
            checks.append(command.summary)
            if "cấm" in command.summary:
                raise RuleViolation("TEST_RULE", "Nhận xét có nội dung bị cấm")

        return Decision(f"dossier-{command.dossier_id}", command.seen_version, [NewEvent(event_type="OpinionRecorded", data={})],
                        in_turn=in_turn)

    return service


async def test_a_command_deciding_ahead_is_decided_while_another_holds_the_turn_and_appended_in_it(
    pool, nc, servers: Servers, database_url: str, deployment: str,
) -> None:
    decided, checks = asyncio.Event(), []
    service = deciding_ahead_service(await new_schema(pool), decided, checks)
    await bootstrap_bus(nc.jetstream(), deployment, [service])
    async with running(service, servers.nats_url, database_url, deployment):
        async with pool.acquire() as holder:
            transaction = holder.transaction()
            await transaction.start()
            await wait_for_turn(holder, f"{service.name}:tree")
            asking = asyncio.ensure_future(ask(nc, service, command()))
            await asyncio.wait_for(decided.wait(), 10)  # decided although the turn is held
            await asyncio.sleep(0.3)
            assert checks == [] and not asking.done()  # what the turn protects waits for it
            assert await EventStore(pool, service.name).read_stream("dossier-7") == []
            await transaction.rollback()
        reply = await asking
        refused = await ask(nc, service, command(seen_version=1, summary="cấm"))
    assert reply["ok"] is True and checks == ["Tốt", "cấm"], reply
    assert refused["error"]["code"] == "rule:TEST_RULE", refused  # refused in the turn: nothing appended
    assert [e.event_type for e in await EventStore(pool, service.name).read_stream("dossier-7")] == ["OpinionRecorded"]
