"""Deadline flags over NATS (for a dossier, and the open ones under an organisation), and the dossiers
facts the chain follows: a repeat changes nothing, a bad event is dead-lettered, a withdrawal stops it."""

from __future__ import annotations

import uuid

from ketnap.platform import projections
from tests.conftest import eventually
from tests.integration.voting.conftest import Stack, Tree, citizen_ids, votes


async def adopted(stack: Stack, tree: Tree) -> str:
    dossier_id = await stack.ready(tree)
    await stack.ok("record_cell_resolution", dossier_ids=[dossier_id], cell=tree.cell, meeting_on="2025-09-10", ballots=votes(agree=tree.officials[:6]))
    return dossier_id


async def test_open_deadlines_under_an_organisation_are_flagged_when_overdue(stack: Stack) -> None:
    tree, elsewhere = await stack.tree(), await stack.tree()
    waiting = await adopted(stack, tree)
    admitted = await adopted(stack, tree)
    await stack.ok(
        "record_grassroots_resolution", dossier_ids=[admitted], organisation=tree.grassroots, meeting_on="2025-09-20",
        ballots=votes(agree=tree.committee[:4]),
    )
    await stack.ok("decide_admission", dossier_id=admitted, decided_by=tree.upper, decision_date="2025-10-01", admitted=True, decision_number="3-QĐ")
    await stack.ok("record_cell_notified", dossier_id=admitted, received_on="2025-10-03")
    await adopted(stack, elsewhere)

    async def flagged(organisation: str, on: str) -> list[tuple[str, str, bool]] | None:
        reply = await stack.query("deadlines", organisation=organisation, on=on)
        assert reply["ok"], reply
        found = [(d["dossier_id"], d["code"], d["overdue"]) for d in reply["result"]["deadlines"]]
        return found if len(found) >= 2 else None

    assert await eventually(lambda: flagged(tree.upper, "2026-01-05")) == [
        (admitted, "CEREMONY_30WD", True),
        (waiting, "DECISION_60WD", True),
    ]
    in_time = await flagged(tree.cell, "2025-11-01")
    assert in_time == [(admitted, "CEREMONY_30WD", False), (waiting, "DECISION_60WD", False)]

    one = (await stack.query("deadlines", dossier_id=admitted, on="2026-01-05"))["result"]["deadlines"]
    assert [(d["code"], d["done_on"], d["overdue"]) for d in one] == [
        ("DECISION_60WD", "2025-10-01", False),
        ("CEREMONY_30WD", None, True),
    ]
    assert one[1]["message"] == "Quá 30 ngày làm việc kể từ ngày chi bộ nhận quyết định mà chưa tổ chức lễ kết nạp"
    neither = await stack.query("deadlines", on="2026-01-05")
    assert neither["error"]["code"] == "validation"


async def test_a_repeated_ready_event_opens_the_chain_once_and_a_bad_one_is_dead_lettered(stack: Stack) -> None:
    tree = await stack.tree()
    dossier_id = await stack.ready(tree)
    await stack.dossier_event(
        "ReadyForCellVote", dossier_id, cell=tree.cell, citizen_id=citizen_ids(1)[0], full_name="Nguyễn Thị Bình",
        birth_date="2000-05-01", ready_on="2025-09-02", rule_set="2025-07",
    )
    broken = str(uuid.uuid4())
    await stack.dossier_event("ReadyForCellVote", broken, cell=tree.cell, full_name="Thiếu số định danh", ready_on="2025-09-02")
    after = await stack.ready(tree)  # the stream goes on past the bad event
    assert await stack.case(after)
    assert await stack.events(dossier_id) == ["CaseOpened"]
    assert await stack.case(broken) is None
    async with stack.pool.acquire() as conn:
        reason = await conn.fetchval(
            f"SELECT reason FROM {stack.voting.name}.dead_letters WHERE consumer = $1 AND event_id IS NOT NULL ORDER BY position DESC LIMIT 1",
            f"{stack.voting.name}.dossier_facts",
        )
    assert reason is not None and "citizen_id" in reason


async def test_a_withdrawn_dossier_takes_no_vote_and_a_transferred_one_is_voted_by_its_new_cell(stack: Stack) -> None:
    tree = await stack.tree()
    withdrawn = await stack.ready(tree)
    await stack.dossier_event("DossierWithdrawn", withdrawn, cell=tree.cell, on="2025-09-05")
    await eventually(lambda: _closed(stack, withdrawn))
    refused = await stack.command(
        "record_cell_resolution", dossier_ids=[withdrawn], cell=tree.cell, meeting_on="2025-09-10", ballots=votes(agree=tree.officials[:6]),
    )
    assert refused["error"]["code"] == "conflict" and "đã rút" in refused["error"]["message"]

    other = await stack.tree()
    moved = await stack.ready(tree)
    await stack.dossier_event("DossierTransferred", moved, cell=tree.cell, from_cell=tree.cell, to_cell=other.cell, on="2025-09-05")

    async def in_new_cell() -> bool:
        return (await stack.case(moved) or {}).get("cell") == other.cell

    await eventually(in_new_cell)
    reply = await stack.ok(
        "record_cell_resolution", dossier_ids=[moved], cell=other.cell, meeting_on="2025-09-10", ballots=votes(agree=other.officials[:6]),
    )
    assert reply["result"]["outcome"] == "adopted"


async def _closed(stack: Stack, dossier_id: str) -> bool:
    return (await stack.case(dossier_id) or {}).get("closed") == "withdrawn"


async def test_the_case_index_rebuilt_from_the_log_equals_the_live_one(stack: Stack) -> None:
    tree = await stack.tree()
    dossier_id = await adopted(stack, tree)
    await stack.dossier_event("DossierWithdrawn", dossier_id, cell=tree.cell, on="2025-09-15")
    await eventually(lambda: _closed(stack, dossier_id))
    (index,) = stack.voting.projections

    async def indexed() -> bool:
        async with stack.pool.acquire() as conn:
            return await conn.fetchval(f"SELECT NOT open FROM {stack.voting.name}.case_cells WHERE dossier_id = $1", dossier_id)

    await eventually(indexed)
    assert await projections.verify(stack.pool, index) == []
