"""The admission chain over NATS against the real registry: rosters and committees as of the meeting
date, the rules at their edges, and the registry following the decision."""

from __future__ import annotations

from datetime import date

from tests.conftest import eventually
from tests.integration.voting.conftest import Stack, Tree, citizen_ids, votes


async def cell_resolution(stack: Stack, tree: Tree, dossier_id: str, agree: list[str], disagree: list[str] = (), **extra):  # noqa: ANN003, ANN201
    return await stack.command(
        "record_cell_resolution", dossier_ids=[dossier_id], cell=tree.cell, meeting_on="2025-09-10",
        ballots=votes(agree=agree, disagree=list(disagree)), **extra,
    )


async def test_an_admission_from_the_cell_to_the_decision_and_the_registry_adds_the_probationary_member(stack: Stack) -> None:
    tree = await stack.tree()
    applicant = citizen_ids(1)[0]
    dossier_id = await stack.ready(tree, citizen_id=applicant)
    cell = await cell_resolution(stack, tree, dossier_id, tree.officials[:6], tree.officials[6:8])
    assert cell["ok"] and cell["result"] == {"outcome": "adopted", "denominator": 9, "required": 6, "agree": 6, "disagree": 2, "abstain": 0}

    grassroots = await stack.ok(
        "record_grassroots_resolution", dossier_ids=[dossier_id], organisation=tree.grassroots, meeting_on="2025-09-20",
        ballots=votes(agree=tree.committee[:4]),
    )
    assert grassroots["result"]["outcome"] == "adopted" and grassroots["result"]["denominator"] == 5
    decided = await stack.ok(
        "decide_admission", dossier_id=dossier_id, decided_by=tree.upper, decision_date="2025-10-01", admitted=True,
        decision_number="105-QĐ/ĐU",
    )
    assert decided["stream_version"] == 7
    await stack.ok("record_cell_notified", dossier_id=dossier_id, received_on="2025-10-03")
    assert await stack.events(dossier_id) == [
        "CaseOpened", "VoteHeld", "CellResolutionAdopted", "VoteHeld", "GrassrootsResolutionAdopted",
        "AuthorityChecked", "AdmissionDecided", "CellNotified",
    ]
    (vote,) = [e for e in await stack.voting_store.read_stream(f"voting-{dossier_id}") if e.event_type == "VoteHeld"][:1]
    assert len(vote.data["roster"]) == 10  # nine official members and the probationary one, from the registry
    assert {line["citizen_id"] for line in vote.data["roster"] if line["counted"]} == set(tree.officials)

    async def joined() -> dict | None:
        member = await stack.registry_answer("membership", citizen_id=applicant, organisation=tree.cell, on="2025-10-02")
        return member if member["member"] else None

    member = await eventually(joined)
    assert (member["kind"], member["since"]) == ("probationary", "2025-10-01")


async def test_CELL_2_3_the_denominator_leaves_out_transferred_suspended_and_absent_exempted_members(stack: Stack) -> None:
    tree = await stack.tree()
    transferred, suspended, exempted = tree.officials[6:9]
    await stack.registry_ok("transfer_member", scope=tree.province, citizen_id=transferred, transfer="temporary", effective_from="2025-06-01")
    await stack.registry_ok("change_member_status", scope=tree.province, citizen_id=suspended, status="suspended", effective_from="2025-06-01")
    await stack.registry_ok("change_member_status", scope=tree.province, citizen_id=exempted, status="exempted", effective_from="2025-06-01")

    # Six counted: 4 of 6 is two thirds; 3 of 6 is not.
    short = await cell_resolution(stack, tree, await stack.ready(tree), tree.officials[:3], tree.officials[3:6])
    assert short["ok"] and short["result"]["outcome"] == "failed" and short["result"]["denominator"] == 6
    assert short["result"]["rule"] == "CELL_2_3" and short["result"]["message"].startswith("[CELL_2_3] Nghị quyết không được thông qua")
    enough = await cell_resolution(stack, tree, await stack.ready(tree), tree.officials[:4])
    assert enough["result"]["outcome"] == "adopted" and enough["result"]["denominator"] == 6

    # The exempted member attends: counted, seven in the denominator, 4 of 7 is not enough.
    present = await cell_resolution(stack, tree, await stack.ready(tree), tree.officials[:4], [exempted])
    assert present["result"]["denominator"] == 7 and present["result"]["outcome"] == "failed"

    # Before the changes took effect, all nine counted.
    before = await stack.command(
        "record_cell_resolution", dossier_ids=[await stack.ready(tree, ready_on=date(2025, 5, 1))],
        cell=tree.cell, meeting_on="2025-05-20", ballots=votes(agree=tree.officials[:6]),
    )
    assert before["result"]["denominator"] == 9 and before["result"]["outcome"] == "adopted"


async def test_PROBATIONARY_NO_VOTE_a_probationary_members_ballot_is_refused_and_nothing_is_written(stack: Stack) -> None:
    tree = await stack.tree()
    dossier_id = await stack.ready(tree)
    refused = await cell_resolution(stack, tree, dossier_id, tree.officials[:5] + tree.probationary)
    assert refused["ok"] is False and refused["error"]["code"] == "rule:PROBATIONARY_NO_VOTE"
    assert refused["error"]["message"] == "[PROBATIONARY_NO_VOTE] Đảng viên dự bị không có quyền biểu quyết"
    assert await stack.events(dossier_id) == ["CaseOpened"]


async def test_CELL_MIN3_a_cell_with_two_official_members_cannot_vote(stack: Stack) -> None:
    tree = await stack.tree(officials=2, probationary=2, committee=2)
    dossier_id = await stack.ready(tree)
    refused = await cell_resolution(stack, tree, dossier_id, tree.officials)
    assert refused["error"]["code"] == "rule:CELL_MIN3"
    assert refused["error"]["details"] == {"rule": "CELL_MIN3", "official_members": 2, "minimum": 3}
    assert await stack.events(dossier_id) == ["CaseOpened"]


async def test_COMMITTEE_2_3_three_of_five_committee_members_do_not_adopt(stack: Stack) -> None:
    tree = await stack.tree()
    dossier_id = await stack.ready(tree)
    await cell_resolution(stack, tree, dossier_id, tree.officials[:6])
    reply = await stack.ok(
        "record_grassroots_resolution", dossier_ids=[dossier_id], organisation=tree.grassroots, meeting_on="2025-09-20",
        ballots=votes(agree=tree.committee[:3], disagree=tree.committee[3:4]),
    )
    assert reply["result"]["rule"] == "COMMITTEE_2_3" and reply["result"]["required"] == 4
    assert (await stack.events(dossier_id))[-1] == "GrassrootsResolutionNotAdopted"
    someone_else = await stack.command(
        "record_grassroots_resolution", dossier_ids=[dossier_id], organisation=tree.grassroots, meeting_on="2025-09-20",
        ballots=votes(agree=[tree.officials[8]]),
    )
    assert someone_else["error"]["code"] == "conflict"


async def test_AUTHORITY_a_decision_from_the_wrong_organisation_is_refused(stack: Stack) -> None:
    tree = await stack.tree()
    dossier_id = await stack.ready(tree)
    await cell_resolution(stack, tree, dossier_id, tree.officials[:6])
    await stack.ok(
        "record_grassroots_resolution", dossier_ids=[dossier_id], organisation=tree.grassroots, meeting_on="2025-09-20",
        ballots=votes(agree=tree.committee[:4]),
    )
    for wrong in (tree.province, tree.grassroots, tree.cell):
        refused = await stack.command(
            "decide_admission", dossier_id=dossier_id, decided_by=wrong, decision_date="2025-10-01", admitted=True,
            decision_number="1-QĐ",
        )
        assert refused["error"]["code"] == "rule:AUTHORITY", refused
        assert refused["error"]["details"]["competent_authority"] == tree.upper
    assert (await stack.events(dossier_id))[-1] == "GrassrootsResolutionAdopted"


async def test_a_partial_committee_appraises_before_the_grassroots_vote_and_the_committee_above_agrees_a_late_ceremony(
    stack: Stack,
) -> None:
    tree = await stack.tree()
    partial = f"B{tree.cell[1:]}"
    await stack.establish(partial, "partial_committee", tree.grassroots, scope=tree.province)
    await stack.registry_ok("move_organisation", scope=tree.province, code=tree.cell, parent=partial, effective_from="2025-01-01")
    dossier_id = await stack.ready(tree)
    await cell_resolution(stack, tree, dossier_id, tree.officials[:6])
    grassroots_vote = {"dossier_ids": [dossier_id], "organisation": tree.grassroots, "meeting_on": "2025-09-20",
                       "ballots": votes(agree=tree.committee[:4])}

    too_early = await stack.command("record_grassroots_resolution", **grassroots_vote)
    wrong_body = await stack.command("record_appraisal", dossier_id=dossier_id, organisation=tree.grassroots,
                                     appraised_on="2025-09-15", opinion="Đủ điều kiện")
    await stack.ok("record_appraisal", dossier_id=dossier_id, organisation=partial, appraised_on="2025-09-15", opinion="Đủ điều kiện")
    await stack.ok("record_grassroots_resolution", **grassroots_vote)
    await stack.ok("decide_admission", dossier_id=dossier_id, decided_by=tree.upper, decision_date="2025-10-01", admitted=True,
                   decision_number="106-QĐ/ĐU")
    by_the_cell = await stack.command("agree_ceremony_delay", dossier_id=dossier_id, agreed_by=tree.cell, agreed_on="2025-10-05")
    await stack.ok("agree_ceremony_delay", dossier_id=dossier_id, agreed_by=tree.upper, agreed_on="2025-10-05")
    again = await stack.command("agree_ceremony_delay", dossier_id=dossier_id, agreed_by=tree.grassroots, agreed_on="2025-10-06")

    assert too_early["error"]["code"] == "validation" and "thẩm định" in too_early["error"]["message"]
    assert wrong_body["error"]["code"] == "validation" and partial in wrong_body["error"]["message"]
    assert by_the_cell["error"]["code"] == "rule:AUTHORITY"
    assert again["error"]["code"] == "conflict"
    case = await stack.case(dossier_id)
    assert case is not None
    assert case["appraisal"] == {"organisation": partial, "appraised_on": "2025-09-15"}
    assert case["ceremony_delay_agreed_by"] == tree.upper
    assert (await stack.events(dossier_id)).count("PartialCommitteeAppraised") == 1
