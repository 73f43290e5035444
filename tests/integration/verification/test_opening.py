"""A declared history in the dossiers log opens one verification case, through the real bus, once.

Each subject rule and each special template is checked end to end: the source log, its relay,
JetStream, the consumer runner, the case stream, and `verification.query.case` over NATS.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from datetime import date

import asyncpg
import nats

from ketnap.platform.bus import subjects
from ketnap.platform.envelope import NewEvent, to_wire
from tests.conftest import eventually
from tests.integration.harness import running
from tests.integration.verification.conftest import DECLARED_BY, World, start_world
from tests.servers import Servers
from tests.unit.verification.declared import FAMILY, member, relative

CONTRACT_OPENED = {"dossier_id", "cell", "subjects"}
CONTRACT_SUBJECT = {"subject_id", "relation", "method", "template"}


def described(case: dict) -> list[tuple[str, str, str, str]]:
    return [(s["subject_id"], s["relation"], s["method"], s["template"]) for s in case["subjects"]]


class TestSubjectRules:
    async def test_each_required_relation_is_a_subject_and_grandparents_siblings_and_minors_are_not(self, world: World) -> None:
        dossier_id, case = await world.opened(*FAMILY)
        assert described(case) == [
            ("applicant", "applicant", "field", "standard"),
            ("r-father", "father", "field", "standard"),
            ("r-mother", "mother", "field", "standard"),
            ("r-fil", "father_in_law", "field", "standard"),
            ("r-mil", "mother_in_law", "field", "standard"),
            ("r-spouse", "spouse", "field", "standard"),
            ("r-child-adult", "child", "field", "standard"),
        ]
        assert (case["status"], case["complete"], case["cell"], case["version"]) == ("open", False, "CB-01", 2)
        assert all(s["state"] == "not_requested" for s in case["subjects"])
        # Its history, numbered by the case stream's versions (a page names who acted first from it).
        assert [(e["version"], e["event_type"]) for e in case["history"]] == [(1, "VerificationOpened"), (2, "SubjectDetailsNoted")]

    async def test_the_person_who_raised_the_applicant_is_a_subject(self, world: World) -> None:
        _, case = await world.opened(relative("raiser", "guardian"))
        assert ("raiser", "guardian", "field", "standard") in described(case)

    async def test_a_fully_declared_party_member_is_opened_for_the_member_record_cross_check(self, world: World) -> None:
        _, case = await world.opened(member("m", "mother"), relative("f", "father", is_party_member=True))
        methods = {s["subject_id"]: (s["method"], s["may_use_member_record"]) for s in case["subjects"]}
        assert methods == {"applicant": ("field", False), "m": ("member_record", True), "f": ("field", False)}

    async def test_the_opening_event_has_exactly_the_contract_fields(self, world: World) -> None:
        dossier_id, _ = await world.opened(member("m", "mother"), relative("s", "spouse", foreign_national=True))
        opened, details = await world.events(dossier_id)
        assert (opened.event_type, details.event_type) == ("VerificationOpened", "SubjectDetailsNoted")
        assert set(opened.data) == CONTRACT_OPENED and all(set(s) == CONTRACT_SUBJECT for s in opened.data["subjects"])
        assert opened.organisation == "CB-01" and opened.causation_id is not None
        assert details.data["rule_set"] == "2025-07"
        assert details.data["subjects"] == [
            {"subject_id": "m", "responding_organisation": "CB-MEMBER", "member_citizen_id": "001170000001"},
            {"subject_id": "s", "responding_organisation": "ORG-s", "member_citizen_id": None},
        ]


class TestSpecialTemplates:
    async def test_police_religious_and_private_business_owner_applicants(self, world: World) -> None:
        _, case = await world.opened(police_officer=True, religion="Phật giáo", private_business_owner=True)
        assert described(case)[1:] == [
            ("applicant:police", "applicant", "field", "police"),
            ("applicant:religious", "applicant", "field", "religious"),
            ("applicant:private_business_owner", "applicant", "field", "private_business_owner"),
        ]

    async def test_married_to_a_foreigner_with_the_higher_level_opinion(self, world: World) -> None:
        _, case = await world.opened(relative("s", "spouse", foreign_national=True))
        assert described(case)[1:] == [
            ("s", "spouse", "field", "standard"),
            ("s:married_to_foreigner", "spouse", "field", "married_to_foreigner"),
            ("s:married_to_foreigner:opinion", "spouse", "field", "married_to_foreigner"),
        ]

    async def test_family_planning_only_under_the_rule_sets_that_check_it(self, world: World) -> None:
        _, before = await world.opened(family_planning_case=True, declared_on=date(2025, 3, 20))
        _, after = await world.opened(family_planning_case=True, declared_on=date(2025, 3, 21))
        assert ("applicant:family_planning", "applicant", "field", "family_planning") in described(before)
        assert [s["subject_id"] for s in after["subjects"]] == ["applicant"]


async def test_an_unknown_dossier_has_no_case(world: World) -> None:
    reply = await world.query("case", dossier_id="khong-co")
    assert reply["ok"] is False and reply["error"]["code"] == "not_found"
    assert "Chưa có hồ sơ thẩm tra" in reply["error"]["message"]


async def test_a_declaration_off_the_contract_is_dead_lettered_without_personal_data_and_the_log_goes_on(world: World) -> None:
    bad = await world.declare(relative("x", "father"), relative("x", "mother"), full_name="Trần Thị Bí Mật", birth_date="không rõ")
    good, _ = await world.opened()
    async with world.pool.acquire() as conn:
        rows = await conn.fetch(f"SELECT reason FROM {world.service.name}.dead_letters")
    (reason,) = [r["reason"] for r in rows]
    assert "applicant.birth_date" in reason
    assert "Bí Mật" not in reason and "không rõ" not in reason and "001203004567" not in reason
    assert await world.events(bad) == [] and len(await world.events(good)) == 2


async def test_redelivery_a_second_declaration_and_crashes_open_each_case_once(
    pool: asyncpg.Pool, servers: Servers, database_url: str
) -> None:
    async with AsyncExitStack() as stack:
        world = await start_world(stack, pool, servers, database_url)
        first = await world.declare(relative("f", "father"))
        await world.case_when_open(first)
        # Past JetStream's duplicate window a relay could publish the declaration again: new message id.
        (declaration,) = [e async for batch in world.source_store.read_log(0, up_to_position=1) for e in batch]
        js = world.nc.jetstream()
        for copy in range(3):
            await js.publish(
                subjects.event_subject(world.deployment, world.source.name, declaration.event_type),
                to_wire(declaration, world.source.name, world.deployment),
                headers={subjects.MSG_ID_HEADER: f"again-{copy}", subjects.POSITION_HEADER: str(declaration.position)},
            )
        # The dossier declares again (a correction the dossiers service sends as a new event): one case still.
        again = NewEvent(event_type="PersonalHistoryDeclared", data={**declaration.data, "relatives": []})
        await world.source_store.append(f"dossier-{first}", 1, [again], DECLARED_BY)
        others = [await world.declare(relative("m", "mother")) for _ in range(12)]
        head = await world.source_store.head_position()
        await eventually(lambda: checkpoint(world, head))

    # Its checkpoint is lost (a restored backup), it crashes (no clean stop) while more declarations
    # arrive, then comes back: it re-reads the whole source log and still opens each case once.
    async with pool.acquire() as conn:
        await conn.execute(f"UPDATE {world.service.name}.consumer_checkpoints SET position = 0 WHERE source = $1", world.source.name)
    async with AsyncExitStack() as stack:
        world2 = await restart(stack, world, pool, servers, database_url)
        more = [await world2.declare(relative("m", "mother")) for _ in range(15)]
        async with running(world2.service, servers.nats_url, database_url, world2.deployment) as crashing:
            await asyncio.sleep(0.2)
            crashing.cancel()
        await stack.enter_async_context(running(world2.service, servers.nats_url, database_url, world2.deployment))
        # What the crashed instance fetched but never acked comes back only after JetStream's ack
        # wait (30 s); the next declaration shows the gap at once and the runner fills it from the source.
        more.append(await world2.declare(relative("m", "mother")))
        head = await world2.source_store.head_position()
        await eventually(lambda: checkpoint(world2, head))
        for dossier_id in [first, *others, *more]:
            events = await world2.events(dossier_id)
            assert [e.event_type for e in events] == ["VerificationOpened", "SubjectDetailsNoted"], dossier_id
        assert [s["subject_id"] for s in (await world2.query("case", dossier_id=first))["result"]["subjects"]] == ["applicant", "f"]
        async with pool.acquire() as conn:
            assert await conn.fetchval(f"SELECT count(*) FROM {world2.service.name}.dead_letters") == 0


async def checkpoint(world: World, position: int) -> bool:
    """Whether every consumer of the dossiers' log (the cases opened, the overview) has reached `position`."""
    async with world.pool.acquire() as conn:
        reached = await conn.fetchval(
            f"SELECT min(position) FROM {world.service.name}.consumer_checkpoints WHERE source = $1", world.source.name
        )
    return (reached or 0) >= position


async def restart(stack: AsyncExitStack, world: World, pool: asyncpg.Pool, servers: Servers, database_url: str) -> World:
    """The same schemas and streams, the source running again; the verification service not yet."""
    nc = await nats.connect(servers.nats_url)
    stack.push_async_callback(nc.drain)
    await stack.enter_async_context(running(world.source, servers.nats_url, database_url, world.deployment))
    return World(pool, nc, world.deployment, world.source, world.service, world.registry)

