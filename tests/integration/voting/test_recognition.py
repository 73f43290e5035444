"""Recognition and name removal over NATS: the probationary member the registry added from the admission
decision is on the cell's roster and cannot vote; three failed votes escalate; the registry follows
the recognition and the removal."""

from __future__ import annotations

from tests.conftest import eventually
from tests.integration.voting.conftest import Stack, Tree, citizen_ids, votes


async def on_probation(stack: Stack, tree: Tree) -> tuple[str, str]:
    applicant = citizen_ids(1)[0]
    dossier_id = await stack.ready(tree, citizen_id=applicant)
    await stack.ok("record_cell_resolution", dossier_ids=[dossier_id], cell=tree.cell, meeting_on="2025-09-10", ballots=votes(agree=tree.officials[:6]))
    await stack.ok(
        "record_grassroots_resolution", dossier_ids=[dossier_id], organisation=tree.grassroots, meeting_on="2025-09-20",
        ballots=votes(agree=tree.committee[:4]),
    )
    await stack.ok("decide_admission", dossier_id=dossier_id, decided_by=tree.upper, decision_date="2025-10-01", admitted=True, decision_number="9-QĐ")
    await stack.ok("record_cell_notified", dossier_id=dossier_id, received_on="2025-10-03")
    await stack.dossier_event(
        "CeremonyHeld", dossier_id, cell=tree.cell, citizen_id=applicant, held_on="2025-10-15", received_decision_on="2025-10-03",
        helper_citizen_id=tree.officials[0],
    )
    await stack.dossier_event("RecognitionPapersCompleted", dossier_id, cell=tree.cell, citizen_id=applicant, completed_on="2026-10-10")

    async def papers_seen() -> bool:
        case = await stack.case(dossier_id)
        return bool(case and case["recognition_papers_completed_on"])

    await eventually(papers_seen)
    return dossier_id, applicant


async def membership(stack: Stack, tree: Tree, citizen_id: str, on: str) -> dict:
    return await stack.registry_answer("membership", citizen_id=citizen_id, organisation=tree.cell, on=on)


async def test_RECOG_3_FAILS_three_failed_votes_escalate_then_the_committee_above_proposes_and_the_registry_recognises(stack: Stack) -> None:
    tree = await stack.tree()
    dossier_id, applicant = await on_probation(stack, tree)
    await eventually(lambda: _kind(stack, tree, applicant, "2026-10-16", "probationary"))

    own = await stack.command(
        "record_recognition_cell_resolution", dossier_ids=[dossier_id], cell=tree.cell, meeting_on="2026-10-16",
        ballots=votes(agree=tree.officials[:5] + [applicant]),
    )
    assert own["error"]["code"] == "rule:PROBATIONARY_NO_VOTE"

    for attempt, day in enumerate(("2026-10-16", "2026-10-19", "2026-10-20"), start=1):
        failed = await stack.ok(
            "record_recognition_cell_resolution", dossier_ids=[dossier_id], cell=tree.cell, meeting_on=day,
            ballots=votes(agree=tree.officials[:5], disagree=tree.officials[5:9]),
        )
        assert failed["result"]["outcome"] == "failed" and failed["result"]["denominator"] == 9
    events = await stack.voting_store.read_stream(f"voting-{dossier_id}")
    assert [e.data["attempt"] for e in events if e.event_type == "RecognitionVoteFailed"] == [1, 2, 3]
    (escalated,) = [e.data for e in events if e.event_type == "RecognitionEscalated"]
    assert escalated == {"dossier_id": dossier_id, "citizen_id": applicant, "organisation": tree.cell, "to_organisation": tree.grassroots}

    fourth = await stack.command(
        "record_recognition_cell_resolution", dossier_ids=[dossier_id], cell=tree.cell, meeting_on="2026-10-21",
        ballots=votes(agree=tree.officials[:9]),
    )
    assert fourth["error"]["code"] == "rule:RECOG_3_FAILS"

    await stack.ok(
        "record_recognition_grassroots_resolution", dossier_ids=[dossier_id], organisation=tree.grassroots, meeting_on="2026-10-27",
        ballots=votes(agree=tree.committee[:4]),
    )
    await stack.ok("decide_recognition", dossier_id=dossier_id, decided_by=tree.upper, decision_number="31-QĐ", decision_date="2026-11-03")
    recognised = [e.data for e in await stack.voting_store.read_stream(f"voting-{dossier_id}") if e.event_type == "RecognitionDecided"]
    assert recognised[0]["official_date"] == "2026-10-15"
    await eventually(lambda: _kind(stack, tree, applicant, "2026-10-16", "official"))


async def test_a_cell_rejection_and_the_name_removal_take_the_name_off_the_roster(stack: Stack) -> None:
    tree = await stack.tree()
    dossier_id, applicant = await on_probation(stack, tree)
    await eventually(lambda: _kind(stack, tree, applicant, "2026-10-16", "probationary"))
    rejected = await stack.ok(
        "record_recognition_cell_resolution", dossier_ids=[dossier_id], cell=tree.cell, meeting_on="2026-10-20",
        ballots=votes(agree=tree.officials[:1], disagree=tree.officials[1:8]),
    )
    assert rejected["result"]["outcome"] == "rejected"
    wrong = await stack.command("decide_name_removal", dossier_id=dossier_id, decided_by=tree.grassroots, decision_date="2026-11-02", reason="Vi phạm tư cách")
    assert wrong["error"]["code"] == "rule:AUTHORITY"
    await stack.ok("decide_name_removal", dossier_id=dossier_id, decided_by=tree.upper, decision_date="2026-11-02", reason="Vi phạm tư cách")

    async def removed() -> bool:
        return not (await membership(stack, tree, applicant, "2026-11-03"))["member"]

    await eventually(removed)


async def _kind(stack: Stack, tree: Tree, citizen_id: str, on: str, kind: str) -> bool:
    found = await membership(stack, tree, citizen_id, on)
    return found["member"] and found["kind"] == kind
