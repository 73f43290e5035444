"""AUTHORITY through a tree that changes: the competent committee is the registry's answer as of the
decision date, so a grant of authority or a move of the tree takes effect on its day."""

from __future__ import annotations

from tests.integration.voting.conftest import Stack, Tree, votes


async def proposed(stack: Stack, tree: Tree, *, grassroots: bool = True) -> str:
    dossier_id = await stack.ready(tree)
    await stack.ok(
        "record_cell_resolution", dossier_ids=[dossier_id], cell=tree.cell, meeting_on="2025-09-10",
        ballots=votes(agree=tree.officials[:6]),
    )
    if grassroots:
        await stack.ok(
            "record_grassroots_resolution", dossier_ids=[dossier_id], organisation=tree.grassroots, meeting_on="2025-09-20",
            ballots=votes(agree=tree.committee[:4]),
        )
    return dossier_id


async def decide(stack: Stack, dossier_id: str, decided_by: str, on: str, **extra):  # noqa: ANN003, ANN201
    return await stack.command(
        "decide_admission", dossier_id=dossier_id, decided_by=decided_by, decision_date=on, admitted=True,
        decision_number="7-QĐ/ĐU", **extra,
    )


async def test_AUTHORITY_authority_granted_to_the_grassroots_committee_from_its_effective_date(stack: Stack) -> None:
    tree = await stack.tree()
    await stack.registry_ok(
        "grant_admission_authority", scope=tree.upper, code=tree.grassroots, decision_number="12-QĐ/ĐU",
        decision_date="2025-09-25", effective_from="2025-10-01",
    )
    dossier_id = await proposed(stack, tree, grassroots=False)
    before = await decide(stack, dossier_id, tree.grassroots, "2025-09-30", ballots=votes(agree=tree.committee[:4]))
    assert before["error"]["code"] == "rule:AUTHORITY" and before["error"]["details"]["competent_authority"] == tree.upper
    upper_after = await decide(stack, dossier_id, tree.upper, "2025-10-01")
    assert upper_after["error"]["code"] == "rule:AUTHORITY" and upper_after["error"]["details"]["competent_authority"] == tree.grassroots

    # The authorised committee decides by ≥ 2/3 of ALL its members: 3 of 5 is not enough, 4 is.
    short = await decide(stack, dossier_id, tree.grassroots, "2025-10-01", ballots=votes(agree=tree.committee[:3]))
    assert short["error"]["code"] == "rule:COMMITTEE_2_3"
    unvoted = await decide(stack, dossier_id, tree.grassroots, "2025-10-01")
    assert unvoted["error"]["code"] == "validation"
    accepted = await decide(stack, dossier_id, tree.grassroots, "2025-10-01", ballots=votes(agree=tree.committee[:4], disagree=tree.committee[4:]))
    assert accepted["ok"] and accepted["result"]["denominator"] == 5
    assert (await stack.events(dossier_id))[-3:] == ["VoteHeld", "AuthorityChecked", "AdmissionDecided"]


async def test_AUTHORITY_the_grassroots_committee_moved_under_another_upper_committee(stack: Stack) -> None:
    tree = await stack.tree()
    other = f"{tree.upper}B"
    await stack.establish(other, "upper_committee", tree.province, scope=tree.province)
    await stack.registry_ok("move_organisation", scope=tree.province, code=tree.grassroots, parent=other, effective_from="2025-10-01")

    decided_before = await proposed(stack, tree)
    assert (await decide(stack, decided_before, tree.upper, "2025-09-30"))["ok"]
    assert (await decide(stack, await proposed(stack, tree), other, "2025-09-30"))["error"]["code"] == "rule:AUTHORITY"

    decided_after = await proposed(stack, tree)
    old = await decide(stack, decided_after, tree.upper, "2025-10-02")
    assert old["error"]["code"] == "rule:AUTHORITY" and old["error"]["details"]["competent_authority"] == other
    assert (await decide(stack, decided_after, other, "2025-10-02"))["ok"]


async def test_DECISION_60WD_extension_thirty_working_days_accepted_thirty_one_refused_a_second_refused(stack: Stack) -> None:
    tree = await stack.tree()
    dossier_id = await proposed(stack, tree)
    too_long = await stack.command("extend_decision_deadline", dossier_id=dossier_id, decided_by=tree.upper, on="2025-11-20", by_working_days=31)
    assert too_long["error"]["code"] == "rule:DECISION_60WD"
    assert "không được quá 30 ngày làm việc" in too_long["error"]["message"]
    wrong = await stack.command("extend_decision_deadline", dossier_id=dossier_id, decided_by=tree.province, on="2025-11-20", by_working_days=30)
    assert wrong["error"]["code"] == "rule:AUTHORITY"
    await stack.ok("extend_decision_deadline", dossier_id=dossier_id, decided_by=tree.upper, on="2025-11-20", by_working_days=30)
    second = await stack.command("extend_decision_deadline", dossier_id=dossier_id, decided_by=tree.upper, on="2025-11-21", by_working_days=1)
    assert second["error"]["code"] == "rule:DECISION_60WD" and "một lần" in second["error"]["message"]

    flags = (await stack.query("deadlines", dossier_id=dossier_id, on="2026-01-16"))["result"]["deadlines"]
    assert [(f["code"], f["due_on"], f["overdue"], f["extension_working_days"]) for f in flags] == [
        ("DECISION_60WD", "2026-01-15", True, 30)
    ]
