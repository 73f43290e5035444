"""Decisions taken above reach the deployment below, and the acts recorded below reach the cases
decided above (issue #9).

Two deployments share this test's database and NATS server, each with its own deployment id and
fresh schemas: a province level ("upper": the province TU, the former district committee HU and
the commune's grassroots committee DU-XA, the lower level's root) and a commune level ("lower":
its cell CB-01 and its members). Each keeps the other's logs the way `ketnap.platform.federation.links`
says (below: the upper registry and voting; above: the lower registry and voting), copied here by
a small task through `EventStore.keep`, which checks the hash chain, and relayed by a service
with `kept_logs`, as the federation service does; the leaf-node transport is not the subject.
The lower level's verification log is written directly, as the dossiers tests do.

The dossier lives below; HU, the competent committee, works above: its decisions are recorded in
the upper voting log and the cell's acts in the lower one.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import asyncpg
import nats
import pytest
from nats.aio.client import Client as NatsClient

from ketnap.platform import projections
from ketnap.platform.bus import subjects
from ketnap.platform.bus.bootstrap import ensure_event_stream
from ketnap.platform.envelope import EventMetadata, NewEvent
from ketnap.platform.eventstore import EventStore
from ketnap.platform.eventstore.store import ANY_VERSION
from ketnap.platform.service import Service
from ketnap.services.dossiers.service import build_service as build_dossiers
from ketnap.services.registry.service import build_service as build_registry
from ketnap.services.voting.service import build_service as build_voting
from tests.conftest import eventually, unique
from tests.integration.dossiers.stack import APPLICANT, HELPER, INTRODUCER_A, INTRODUCER_B, history, introductions
from tests.integration.harness import bootstrap_bus, consumers_caught_up, new_schema, running
from tests.servers import Servers

PROVINCE, DISTRICT, ROOT, CELL = "TU", "HU", "DU-XA", "CB-01"
MORE_OFFICIALS = ("001070000004", "001071000005")
OFFICIALS = (HELPER, INTRODUCER_A, INTRODUCER_B, *MORE_OFFICIALS)
COMMITTEE = (HELPER, INTRODUCER_A, INTRODUCER_B)
TODAY = date(2026, 11, 20)
ROLES = ("registry", "dossiers", "verification", "voting")


@dataclass
class Level:
    """One deployment's services, on fresh schemas, and what it keeps of the other one."""

    id: str
    nc: NatsClient
    names: dict[str, str]
    kept: dict[str, str] = field(default_factory=dict)
    """Role ("registry", "voting") -> the name of the other level's log kept here."""
    services: list[Service] = field(default_factory=list)

    def store(self, pool: asyncpg.Pool, role: str) -> EventStore:
        return EventStore(pool, self.names[role])

    async def send(self, role: str, command: str, *, key: str | None = None, **fields: Any) -> dict[str, Any]:
        body = {"idempotency_key": key or str(uuid.uuid4()), "actor": "can-bo-1", "scope": PROVINCE, **fields}
        reply = await self.nc.request(
            subjects.command_subject(self.names[role], command), json.dumps(body, default=str).encode(), timeout=20
        )
        return json.loads(reply.data)

    async def ok(self, role: str, command: str, **fields: Any) -> dict[str, Any]:
        reply = await self.send(role, command, **fields)
        assert reply["ok"], (self.id, command, reply)
        return reply

    async def ask(self, role: str, query: str, **fields: Any) -> dict[str, Any]:
        reply = await self.nc.request(subjects.query_subject(self.names[role], query), json.dumps(fields, default=str).encode(), timeout=20)
        return json.loads(reply.data)


async def copy_log(pool: asyncpg.Pool, origin: str, kept: str, stop: asyncio.Event) -> None:
    """What the federation keeper does with what arrives from the other level: keep it verbatim,
    each event checked against the chain kept so far."""
    source, target = EventStore(pool, origin), EventStore(pool, kept)
    while not stop.is_set():
        async for batch in source.read_log(await target.head_position()):
            await target.keep(batch)
        await asyncio.sleep(0.05)


@dataclass
class Levels:
    pool: asyncpg.Pool
    upper: Level
    lower: Level
    dossier_id: str = ""
    replies: dict[str, Any] = field(default_factory=dict)
    """The answers the scenario got, by step, for the tests to judge."""

    async def settled(self) -> None:
        """Every kept log holds its origin's whole log, and every consumer on both levels applied
        what it follows; twice in a row, as an effect on one level is followed on the other."""

        async def check() -> bool:
            async with self.pool.acquire() as conn:
                for here, there in ((self.upper, self.lower), (self.lower, self.upper)):
                    for role, kept in here.kept.items():
                        origin = there.names[role]
                        if await _head(conn, kept) < await _head(conn, origin):
                            return False
                    if not await consumers_caught_up(conn, here.services):
                        return False
            return True

        for _ in range(2):
            await eventually(check, timeout=60, interval=0.1)

    async def events(self, log: str, stream_id: str) -> list[str]:
        return [e.event_type for e in await EventStore(self.pool, log).read_stream(stream_id)]


async def _head(conn: asyncpg.Connection, log: str) -> int:
    return await conn.fetchval(f"SELECT coalesce(max(position), 0) FROM {log}.events")


async def _level(pool: asyncpg.Pool, nc: NatsClient, prefix: str) -> Level:
    return Level(unique(prefix), nc, {role: await new_schema(pool) for role in ROLES})


def _build(level: Level, *, dossiers_live_below: bool, registry_kept_votings: Sequence[str]) -> None:
    """The level's services as `ketnap.services._federated` wires them (only what this flow needs)."""
    n, kept = level.names, level.kept
    level.services = [
        build_registry(
            n["registry"], voting_source=n["voting"], kept_registries=[kept["registry"]], kept_votings=registry_kept_votings,
            dossiers_service=n["dossiers"],
        ),
        build_dossiers(
            n["dossiers"], n["registry"], n["verification"], n["voting"], today=lambda: TODAY,
            kept_votings=[kept["voting"]], dossiers_live_below=dossiers_live_below,
        ),
        build_voting(n["voting"], dossiers_source=n["dossiers"], registry_service=n["registry"], kept_votings=[kept["voting"]]),
        Service(n["verification"]),  # written directly: verification is not part of this flow
        Service(unique("keeper_"), owns_log=False, kept_logs=list(kept.values())),
    ]


async def _start(level: Level, pool: asyncpg.Pool, servers: Servers, database_url: str, stack: AsyncExitStack) -> None:
    async with pool.acquire() as conn:
        for service in level.services:
            for projection in service.projections:
                await projections.create_tables(conn, projection, projection.schema)
    js = level.nc.jetstream()
    for kept in level.kept.values():
        await ensure_event_stream(js, level.id, kept, duplicate_window_seconds=120)
    await bootstrap_bus(js, level.id, level.services)
    for service in level.services:
        await stack.enter_async_context(running(service, servers.nats_url, database_url, level.id))


@pytest.fixture(scope="module")
async def levels(servers: Servers, pool: asyncpg.Pool, database_url: str) -> AsyncIterator[Levels]:
    nc = await nats.connect(servers.nats_url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    upper, lower = await _level(pool, nc, "up"), await _level(pool, nc, "lo")
    for here, there in ((upper, lower), (lower, upper)):
        for role in ("registry", "voting"):
            here.kept[role] = await new_schema(pool)
    # As `ketnap.services._federated` wires them: the upper's dossiers may be decided on here, the lower
    # registry follows the decisions taken above.
    _build(upper, dossiers_live_below=True, registry_kept_votings=())
    _build(lower, dossiers_live_below=False, registry_kept_votings=[lower.kept["voting"]])
    stop = asyncio.Event()
    copiers = [
        asyncio.create_task(copy_log(pool, there.names[role], kept, stop))
        for here, there in ((upper, lower), (lower, upper))
        for role, kept in here.kept.items()
    ]
    try:
        async with AsyncExitStack() as stack:
            for level in (upper, lower):
                await _start(level, pool, servers, database_url, stack)
            found = Levels(pool, upper, lower)
            await _scenario(found)
            yield found
    finally:
        stop.set()
        await asyncio.gather(*copiers, return_exceptions=True)
        await nc.drain()


# --- the scenario -----------------------------------------------------------------------------------


async def _tree(levels: Levels) -> None:
    up, low = levels.upper, levels.lower
    for code, kind, parent in ((PROVINCE, "province", None), (DISTRICT, "upper_committee", PROVINCE), (ROOT, "grassroots_committee", DISTRICT)):
        await up.ok("registry", "establish_organisation", code=code, name=f"Tổ chức {code}", kind=kind, parent=parent, effective_from="2005-01-01")
    await levels.settled()  # the commune level builds under the root the province recorded
    await low.ok("registry", "establish_organisation", code=CELL, name="Chi bộ thôn Đông", kind="cell", parent=ROOT, effective_from="2005-01-01")
    for citizen_id, since in zip(OFFICIALS, ("2010-05-19", "2015-03-02", "2016-09-02", "2012-01-01", "2013-01-01"), strict=True):
        await low.ok("registry", "register_member", citizen_id=citizen_id, full_name="Đảng viên chi bộ", organisation=CELL,
                     kind="official", effective_from=since)
    await levels.settled()
    # The root's own record (its committee) is the province's, as the root was established there.
    for citizen_id in COMMITTEE:
        await up.ok("registry", "appoint_committee_member", organisation=ROOT, citizen_id=citizen_id, effective_from="2020-01-01")
    await levels.settled()


async def _dossier_below(levels: Levels) -> str:
    """The commune records the dossier up to the grassroots committee's resolution."""
    low = levels.lower
    opened = await low.ok("dossiers", "open_dossier", cell=CELL, citizen_id=APPLICANT, full_name="Nguyễn Thị Hoa",
                          opened_on="2024-09-01", helper_citizen_id=HELPER)
    dossier_id = opened["result"]["dossier_id"]
    await low.ok("dossiers", "record_class_certificate", dossier_id=dossier_id, certificate_number="123/GCN", issued_on="2024-08-01",
                 issued_by="Trung tâm chính trị")
    await low.ok("dossiers", "submit_application_letter", dossier_id=dossier_id, submitted_on="2024-10-01")
    await low.ok("dossiers", "declare_personal_history", dossier_id=dossier_id, **history(declared_on="2024-10-10"))
    await low.ok("dossiers", "record_introductions", dossier_id=dossier_id, **introductions(on="2024-11-03"))
    await low.ok("dossiers", "record_opinions", dossier_id=dossier_id,
                 opinions=[{"source": "residence_cell", "given_on": "2024-11-05", "summary": "Gương mẫu, nhiệt tình"}])
    await low.store(levels.pool, "verification").append(
        f"case-{dossier_id}", ANY_VERSION,
        [NewEvent(event_type="HistoryCertified", data={"dossier_id": dossier_id, "cell": CELL, "certified_by": ROOT,
                                                        "certified_on": "2025-01-13"})],
        EventMetadata(actor="ban-to-chuc", organisation=ROOT),
    )
    await levels.settled()
    await low.ok("dossiers", "mark_ready_for_cell_vote", dossier_id=dossier_id, ready_on="2025-02-03", cell_meeting_on="2025-02-10")
    await levels.settled()
    await low.ok("voting", "record_cell_resolution", dossier_ids=[dossier_id], cell=CELL, meeting_on="2025-02-10",
                 ballots=_agree(OFFICIALS))
    await low.ok("voting", "record_grassroots_resolution", dossier_ids=[dossier_id], organisation=ROOT, meeting_on="2025-02-20",
                 ballots=_agree(COMMITTEE))
    await levels.settled()
    return dossier_id


def _agree(voters: Sequence[str]) -> list[dict[str, str]]:
    return [{"citizen_id": c, "choice": "agree"} for c in voters]


async def _at_once(level: Level, role: str, command: str, first: dict[str, Any], second: dict[str, Any]) -> list[dict[str, Any]]:
    return list(await asyncio.gather(level.send(role, command, **first), level.send(role, command, **second)))


async def _scenario(levels: Levels) -> None:
    up, low, r = levels.upper, levels.lower, levels.replies
    await _tree(levels)
    dossier_id = levels.dossier_id = await _dossier_below(levels)
    decision = {"dossier_id": dossier_id, "decided_by": DISTRICT, "decision_date": "2025-03-20", "admitted": True}

    r["open_above_before"] = await up.ask("voting", "deadlines", organisation=DISTRICT, on="2025-03-10")
    r["decided_below"] = await low.send("voting", "decide_admission", decision_number="45-QĐ/HU", **decision)
    r["decided_above"] = await _at_once(
        up, "voting", "decide_admission", {**decision, "decision_number": "45-QĐ/HU"}, {**decision, "decision_number": "46-QĐ/HU"}
    )
    await levels.settled()
    r["step_after_decision"] = (await low.ask("dossiers", "dossier", dossier_id=dossier_id))["result"]["step"]
    r["open_below_after"] = await low.ask("voting", "deadlines", organisation=ROOT, on="2025-03-21")

    r["notified"] = await _at_once(
        low, "voting", "record_cell_notified", {"dossier_id": dossier_id, "received_on": "2025-03-25"},
        {"dossier_id": dossier_id, "received_on": "2025-03-26"},
    )
    await levels.settled()
    await low.ok("dossiers", "record_ceremony", dossier_id=dossier_id, held_on="2025-04-10", helper_citizen_id=HELPER)
    await levels.settled()
    r["deadlines_below"] = await low.ask("voting", "deadlines", dossier_id=dossier_id, on="2025-04-30")

    await low.ok("dossiers", "file_member_history", dossier_id=dossier_id, filed_on="2025-05-05")
    await low.ok("dossiers", "record_new_member_class", dossier_id=dossier_id, certificate_number="77/GCN", issued_on="2025-08-01",
                 issued_by="Trung tâm chính trị")
    await low.ok("dossiers", "record_recognition_papers", dossier_id=dossier_id, self_review_on="2026-04-01",
                 helper_review_on="2026-04-01", opinions_on="2026-04-01", completed_on="2026-04-13")
    await levels.settled()
    await low.ok("voting", "record_recognition_cell_resolution", dossier_ids=[dossier_id], cell=CELL, meeting_on="2026-04-20",
                 ballots=_agree(OFFICIALS))
    await low.ok("voting", "record_recognition_grassroots_resolution", dossier_ids=[dossier_id], organisation=ROOT,
                 meeting_on="2026-05-04", ballots=_agree(COMMITTEE))
    await levels.settled()
    r["recognised"] = await up.send("voting", "decide_recognition", dossier_id=dossier_id, decided_by=DISTRICT,
                                    decision_number="9-QĐ/HU", decision_date="2026-06-01")
    await levels.settled()


# --- the tests ----------------------------------------------------------------------------------------


async def test_a_decision_of_the_committee_above_sent_below_is_refused_with_the_authority_rule(levels: Levels) -> None:
    refused = levels.replies["decided_below"]
    assert not refused["ok"] and refused["error"]["code"] == "rule:AUTHORITY", refused
    assert refused["error"]["message"].startswith("[AUTHORITY] HU làm việc ở cấp triển khai khác")
    assert "AdmissionDecided" not in await levels.events(levels.lower.names["voting"], f"voting-{levels.dossier_id}")


async def test_the_committee_above_decides_on_the_acts_recorded_below(levels: Levels) -> None:
    up, low = levels.upper, levels.lower
    stream = f"voting-{levels.dossier_id}"
    # The upper voting log holds only the decisions; the votes before them are the commune's.
    assert (await levels.events(up.names["voting"], stream))[:3] == ["AuthorityChecked", "AdmissionDecided", "AuthorityChecked"]
    assert "CellResolutionAdopted" in await levels.events(low.names["voting"], stream)
    above = (await up.ask("voting", "case", dossier_id=levels.dossier_id))["result"]
    below = (await low.ask("voting", "case", dossier_id=levels.dossier_id))["result"]
    assert above["grassroots_resolution"]["organisation"] == ROOT and above["admission_decision"]["decided_by"] == DISTRICT
    mine = ("version", "history")  # versions are each deployment's own stream's
    assert {k: v for k, v in above.items() if k not in mine} == {k: v for k, v in below.items() if k not in mine}
    # Both tell the same history; each numbers only the acts of its own log (what a conflict is judged by).
    assert [(e["event_type"], e["actor"]) for e in above["history"]] == [(e["event_type"], e["actor"]) for e in below["history"]]
    decided_above = [e["version"] is not None for e in above["history"] if e["event_type"] == "AdmissionDecided"]
    decided_below = [e["version"] is not None for e in below["history"] if e["event_type"] == "AdmissionDecided"]
    assert decided_above == [True] and decided_below == [False]


async def test_two_officers_acting_at_once_in_one_deployment_get_one_success_and_one_conflict(levels: Levels) -> None:
    for step in ("decided_above", "notified"):
        replies = levels.replies[step]
        assert sorted(reply["ok"] for reply in replies) == [False, True], replies
        (refused,) = [reply for reply in replies if not reply["ok"]]
        assert refused["error"]["code"] == "conflict", refused
    stream = f"voting-{levels.dossier_id}"
    assert (await levels.events(levels.upper.names["voting"], stream)).count("AdmissionDecided") == 1
    assert (await levels.events(levels.lower.names["voting"], stream)).count("CellNotified") == 1


async def test_the_decision_taken_above_moves_the_dossier_below(levels: Levels) -> None:
    assert levels.replies["step_after_decision"] == "awaiting_ceremony"
    body = (await levels.lower.ask("dossiers", "dossier", dossier_id=levels.dossier_id))["result"]
    assert body["step"] == "official"  # the recognition, decided above too
    assert body["official"]["official_date"] == "2026-04-10"
    recorded = [h["event_type"] for h in body["history"] if h["actor"] == "dossiers.process_manager"]
    assert recorded.count("AdmissionDecisionRecorded") == 1 and recorded.count("BecameOfficialMember") == 1


async def test_the_cell_below_records_its_acts_after_the_decision_above(levels: Levels) -> None:
    case = (await levels.lower.ask("voting", "case", dossier_id=levels.dossier_id))["result"]
    assert case["cell_notified_on"] in ("2025-03-25", "2025-03-26") and case["ceremony_on"] == "2025-04-10"
    assert case["recognition_decision"] == {"decided_by": DISTRICT, "decision_date": "2026-06-01", "positive": True}
    assert levels.replies["recognised"]["ok"], levels.replies["recognised"]
    deadlines = {d["code"]: d for d in levels.replies["deadlines_below"]["result"]["deadlines"]}
    assert deadlines["DECISION_60WD"]["done_on"] == "2025-03-20"  # the decision taken above, seen below
    assert deadlines["CEREMONY_30WD"]["done_on"] == "2025-04-10"


async def test_open_deadlines_follow_the_case_across_both_levels(levels: Levels) -> None:
    # Above, the committee sees what waits for its decision on a dossier recorded below ...
    waiting = levels.replies["open_above_before"]["result"]["deadlines"]
    assert [(d["dossier_id"], d["code"]) for d in waiting] == [(levels.dossier_id, "DECISION_60WD")]
    # ... and below, the decision taken above closes it.
    after = levels.replies["open_below_after"]["result"]["deadlines"]
    assert [d for d in after if d["code"] == "DECISION_60WD"] == []


async def test_the_member_is_recorded_once_by_the_registry_of_the_cell(levels: Levels) -> None:
    up, low = levels.upper, levels.lower
    person = f"person-{APPLICANT}"
    assert await levels.events(low.names["registry"], person) == ["MemberJoined", "MemberBecameOfficial"]
    assert await levels.events(up.names["registry"], person) == []  # the upper sees it in the kept log
    for level in (up, low):
        member = (await level.ask("registry", "membership", citizen_id=APPLICANT, organisation=CELL, on="2026-06-02"))["result"]
        assert (member["member"], member["kind"]) == (True, "official"), (level.id, member)
        probationary = (await level.ask("registry", "membership", citizen_id=APPLICANT, organisation=CELL, on="2025-03-21"))["result"]
        assert probationary["kind"] == "probationary", (level.id, probationary)


async def test_decisions_about_dossiers_of_the_other_level_are_skipped_not_dead_lettered(levels: Levels) -> None:
    async with levels.pool.acquire() as conn:
        for level in (levels.upper, levels.lower):
            for service in level.services:
                if service.owns_log:
                    letters = await conn.fetch(f"SELECT consumer, source, reason FROM {service.name}.dead_letters")
                    assert [dict(r) for r in letters] == [], (level.id, service.name)
        # The upper dossiers service followed the decisions it recorded (about a dossier below) and
        # wrote nothing for them.
        assert await _head(conn, levels.upper.names["dossiers"]) == 0


async def test_every_projection_on_both_levels_equals_its_rebuild(levels: Levels) -> None:
    for level in (levels.upper, levels.lower):
        for service in level.services:
            for projection in service.projections:
                assert await projections.verify(levels.pool, projection) == [], (level.id, projection.name)
