"""Voting commands over NATS: one effect per idempotency key, one winner among conflicting records of a
step, typed errors in Vietnamese, and nothing recorded when the registry does not answer."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta

from ketnap.platform.bus import subjects
from ketnap.platform.envelope import EventMetadata
from ketnap.platform.eventstore import EventStore
from ketnap.services.voting.events import CaseOpened
from ketnap.services.voting.service import build_service
from tests.conftest import unique
from tests.integration.harness import bootstrap_bus, new_schema, running
from tests.integration.voting.conftest import Stack, citizen_ids, votes
from tests.servers import Servers


async def test_recording_the_same_vote_twice_has_one_effect(stack: Stack) -> None:
    tree = await stack.tree()
    dossier_id = await stack.ready(tree)
    vote = dict(dossier_ids=[dossier_id], cell=tree.cell, meeting_on="2025-09-10", ballots=votes(agree=tree.officials[:7]))
    first = await stack.command("record_cell_resolution", key="phien-hop-10-09-2025", **vote)
    again = await stack.command("record_cell_resolution", key="phien-hop-10-09-2025", **vote)
    assert first["ok"] and again["ok"]
    assert (again["stream_id"], again["stream_version"], again["event_ids"]) == (first["stream_id"], first["stream_version"], first["event_ids"])
    assert await stack.events(dossier_id) == ["CaseOpened", "VoteHeld", "CellResolutionAdopted"]


async def test_conflicting_records_of_one_step_one_wins_the_others_get_a_conflict(stack: Stack) -> None:
    tree = await stack.tree()
    dossier_id = await stack.ready(tree)
    attempts = [
        stack.command(
            "record_cell_resolution", dossier_ids=[dossier_id], cell=tree.cell, meeting_on="2025-09-10",
            ballots=votes(agree=tree.officials[: 6 + i % 4]),
        )
        for i in range(16)
    ]
    replies = await asyncio.gather(*attempts)
    winners = [r for r in replies if r["ok"]]
    losers = [r for r in replies if not r["ok"]]
    assert len(winners) == 1 and len(losers) == 15
    assert {r["error"]["code"] for r in losers} == {"conflict"}
    assert await stack.events(dossier_id) == ["CaseOpened", "VoteHeld", "CellResolutionAdopted"]


async def test_concurrent_decisions_from_two_officers_one_wins(stack: Stack) -> None:
    tree = await stack.tree()
    dossier_id = await stack.ready(tree)
    await stack.ok("record_cell_resolution", dossier_ids=[dossier_id], cell=tree.cell, meeting_on="2025-09-10", ballots=votes(agree=tree.officials[:6]))
    await stack.ok(
        "record_grassroots_resolution", dossier_ids=[dossier_id], organisation=tree.grassroots, meeting_on="2025-09-20",
        ballots=votes(agree=tree.committee[:4]),
    )
    replies = await asyncio.gather(
        *(
            stack.command(
                "decide_admission", dossier_id=dossier_id, decided_by=tree.upper, decision_date="2025-10-01",
                admitted=i % 2 == 0, decision_number=f"{i}-QĐ", reason=None if i % 2 == 0 else "Chưa đủ tiêu chuẩn",
            )
            for i in range(10)
        )
    )
    assert sum(r["ok"] for r in replies) == 1
    assert {r["error"]["code"] for r in replies if not r["ok"]} == {"conflict"}
    decided = [e for e in await stack.events(dossier_id) if e in ("AdmissionDecided", "AdmissionRefused")]
    assert len(decided) == 1


async def test_ONE_BY_ONE_a_vote_covering_two_applicants_is_refused(stack: Stack) -> None:
    tree = await stack.tree()
    first, second = await stack.ready(tree), await stack.ready(tree)
    refused = await stack.command(
        "record_cell_resolution", dossier_ids=[first, second], cell=tree.cell, meeting_on="2025-09-10",
        ballots=votes(agree=tree.officials[:9]),
    )
    assert refused["ok"] is False and refused["error"]["code"] == "rule:ONE_BY_ONE"
    assert refused["error"]["message"] == "[ONE_BY_ONE] Phải xét và biểu quyết riêng từng người"
    assert await stack.events(first) == ["CaseOpened"] and await stack.events(second) == ["CaseOpened"]


async def test_malformed_or_out_of_order_commands_get_typed_errors_in_vietnamese(stack: Stack) -> None:
    tree = await stack.tree()
    dossier_id = await stack.ready(tree)
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    future = await stack.command("record_cell_resolution", dossier_ids=[dossier_id], cell=tree.cell, meeting_on=tomorrow, ballots=[])
    assert future["error"]["code"] == "validation" and "«ngày họp»" in future["error"]["message"]
    bad_id = await stack.command(
        "record_cell_resolution", dossier_ids=[dossier_id], cell=tree.cell, meeting_on="2025-09-10",
        ballots=[{"citizen_id": "12345", "choice": "agree"}],
    )
    assert bad_id["error"]["code"] == "validation"
    unknown = await stack.command("decide_admission", dossier_id=str(uuid.uuid4()), decided_by=tree.upper, decision_date="2025-10-01", admitted=True)
    assert unknown["error"]["code"] == "not_found"
    early = await stack.command("decide_admission", dossier_id=dossier_id, decided_by=tree.upper, decision_date="2025-10-01", admitted=True, decision_number="1")
    assert early["error"]["code"] == "validation" and "Chi bộ chưa có nghị quyết" in early["error"]["message"]
    stranger = await stack.command(
        "record_cell_resolution", dossier_ids=[dossier_id], cell=tree.cell, meeting_on="2025-09-10", ballots=votes(agree=["012345678901"]),
    )
    assert stranger["error"]["code"] == "validation" and "không có tên" in stranger["error"]["message"]
    assert await stack.events(dossier_id) == ["CaseOpened"]


async def test_nothing_is_recorded_when_the_registry_does_not_answer(stack: Stack, servers: Servers, database_url: str) -> None:
    # A voting service asking a registry that nobody runs, with one dossier ready in its log.
    lonely = build_service(await new_schema(stack.pool), dossiers_source=stack.dossiers.name, registry_service="noregistry")
    lonely.consumers.clear()
    deployment = unique("d")
    await bootstrap_bus(stack.nc.jetstream(), deployment, [lonely])
    store = EventStore(stack.pool, lonely.name)
    dossier_id = str(uuid.uuid4())
    opened = CaseOpened(
        dossier_id=dossier_id, cell="C1", citizen_id=citizen_ids(1)[0], full_name="Lê Văn Dũng", ready_on=date(2025, 9, 1),
        dossier_rule_set="2025-07",
    )
    await store.append(f"voting-{dossier_id}", 0, [opened.to_new_event()], EventMetadata(actor="test"))
    async with running(lonely, servers.nats_url, database_url, deployment):
        reply = await stack.request(
            subjects.command_subject(lonely.name, "record_cell_resolution"),
            {"idempotency_key": str(uuid.uuid4()), "actor": "a", "scope": "s", "dossier_ids": [dossier_id], "cell": "C1",
             "meeting_on": "2025-09-10", "ballots": []},
        )
    assert reply["ok"] is False and reply["error"]["code"] == "unavailable"
    assert "thử lại" in reply["error"]["message"]
    assert len(await store.read_stream(f"voting-{dossier_id}")) == 1


async def test_an_act_sent_with_the_case_version_seen_before_someone_else_acted_is_a_conflict(stack: Stack) -> None:
    """Two officers open the same case; the first records the cell's resolution; the second, who
    saw the case before it, is told of the conflict instead of recording a second resolution."""
    tree = await stack.tree()
    dossier_id = await stack.ready(tree)
    seen = (await stack.query("case", dossier_id=dossier_id))["result"]["version"]
    vote = dict(dossier_ids=[dossier_id], cell=tree.cell, meeting_on="2025-09-10", ballots=votes(agree=tree.officials[:7]))
    first = await stack.command("record_cell_resolution", expected_version=seen, **vote)
    assert first["ok"], first
    late = await stack.command("record_cell_resolution", expected_version=seen, **vote)
    assert late["ok"] is False and late["error"]["code"] == "conflict", late
    assert late["error"]["details"]["actual_version"] > seen
    assert await stack.events(dossier_id) == ["CaseOpened", "VoteHeld", "CellResolutionAdopted"]
