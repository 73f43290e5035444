"""The process manager survives redelivery, republishing and crashes: each decision of another
service moves a dossier once; an event that can never fit is dead-lettered and the stream goes on."""

from __future__ import annotations

import asyncio
import random

from ketnap.platform.bus import subjects
from ketnap.platform.envelope import to_wire
from ketnap.platform.eventstore import EventStore
from ketnap.platform.service import ServiceContext
from ketnap.platform.settings import Settings
from ketnap.services.dossiers.process_manager import VERIFICATION_REACTIONS, reactions_to
from tests.conftest import eventually
from tests.integration.dossiers.stack import APPLICANT, CELL, SECOND_APPLICANT, Stack, prepared_dossier


async def _certifications(stack: Stack, dossier_ids: list[str]) -> list[int]:
    return [(await stack.events(d)).count("PersonalHistoryCertified") for d in dossier_ids]


async def test_redelivered_republished_and_crash_restarted_events_move_each_dossier_once(stack: Stack) -> None:
    async with stack.dossiers_running():
        dossier_ids = [await prepared_dossier(stack, citizen_id=f"0010980124{n:02d}") for n in range(4)]
    rng = random.Random(7)
    last = 0
    for dossier_id in dossier_ids:
        last = await stack.verification_decides(
            "HistoryCertified", dossier_id=dossier_id, cell=CELL, certified_by="DU-HT", certified_on="2026-01-12"
        )
        await stack.verification_decides("VerificationBlocked", dossier_id=dossier_id, subject_id="father-1", note="x")
        last = await stack.verification_decides(
            "VerificationBlockLifted", dossier_id=dossier_id, decided_by="HU-01", decided_on="2026-01-20", outcome="continue"
        )
    for _ in range(3):  # crashes: cancelled mid-stream, messages in flight never acked
        async with stack.dossiers_running() as task:
            await asyncio.sleep(rng.random() / 3)
            task.cancel()
    async with stack.dossiers_running():
        # Past JetStream's duplicate window a relay could publish an event again under a new message id.
        source = EventStore(stack.pool, stack.verification_name)
        (first,) = [e async for batch in source.read_log(0, up_to_position=1) for e in batch]
        await stack.nc.jetstream().publish(
            subjects.event_subject(stack.deployment, stack.verification_name, first.event_type),
            to_wire(first, stack.verification_name, stack.deployment),
            headers={subjects.MSG_ID_HEADER: "another-id", subjects.POSITION_HEADER: "1"},
        )
        # Messages a crashed instance fetched come back only after the ack wait (30 s); a newer event
        # makes the runner fetch every position it has not applied from verification's log instead.
        nudge = await stack.verification_decides("SomethingElse", dossier_id=dossier_ids[0])
        assert nudge > last
        await stack.wait_for_checkpoint(stack.verification_name, nudge)
    assert await _certifications(stack, dossier_ids) == [1, 1, 1, 1]
    for dossier_id in dossier_ids:
        assert (await stack.events(dossier_id))[-3:] == ["PersonalHistoryCertified", "CellVoteBlocked", "CellVoteUnblocked"]


async def test_a_source_event_applied_again_after_a_checkpoint_reset_changes_nothing(stack: Stack) -> None:
    async with stack.dossiers_running():
        dossier_id = await prepared_dossier(stack)
    await stack.verification_decides("HistoryCertified", dossier_id=dossier_id, cell=CELL, certified_by="DU-HT", certified_on="2026-01-12")
    (certified,) = [e async for batch in EventStore(stack.pool, stack.verification_name).read_log(0) for e in batch]
    ctx = ServiceContext(stack.name, Settings(), stack.pool, stack.store, stack.nc, stack.nc.jetstream())
    apply = reactions_to(stack.verification_name, VERIFICATION_REACTIONS)(ctx)
    for _ in range(2):  # the runner's checkpoint would skip the second; the effect itself is idempotent too
        async with stack.pool.acquire() as conn, conn.transaction():
            await apply(conn, certified)
    events = await stack.store.read_stream(f"dossier-{dossier_id}")
    assert [e.event_type for e in events].count("PersonalHistoryCertified") == 1
    assert events[-1].causation_id == certified.event_id and events[-1].actor == "dossiers.process_manager"


async def test_an_event_for_an_unknown_dossier_or_person_is_dead_lettered_and_the_stream_goes_on(stack: Stack) -> None:
    async with stack.dossiers_running():
        dossier_id = await prepared_dossier(stack)
        await stack.voting_decides(
            "AdmissionDecided", dossier_id="00000000-0000-0000-0000-000000000000", citizen_id=APPLICANT,
            full_name="X", organisation=CELL, decided_by="DU-HT", decision_number="1", decision_date="2026-03-20",
            rule_set="2025-07",
        )
        await stack.voting_decides(  # out of step: the dossier was never voted on
            "AdmissionDecided", dossier_id=dossier_id, citizen_id=APPLICANT, full_name="X", organisation=CELL,
            decided_by="DU-HT", decision_number="1", decision_date="2026-03-20", rule_set="2025-07",
        )
        await stack.voting_decides(  # malformed: no decision number
            "RecognitionDecided", dossier_id=dossier_id, citizen_id=APPLICANT, organisation=CELL, decided_by="DU-HT",
            decision_date="2027-06-30", official_date="2027-04-10",
        )
        at = await stack.verification_decides(
            "HistoryCertified", dossier_id=dossier_id, cell=CELL, certified_by="DU-HT", certified_on="2026-01-12"
        )
        await stack.wait_for_checkpoint(stack.verification_name, at)
        await stack.wait_for_checkpoint(stack.voting_name, 3)

        async def dead() -> list:
            async with stack.pool.acquire() as conn:
                return await conn.fetch(f"SELECT position, reason FROM {stack.name}.dead_letters ORDER BY position")

        rows = await eventually(dead)
    assert [r["position"] for r in rows] == [1, 2, 3]
    assert "does not have" in rows[0]["reason"] and "does not fit" in rows[1]["reason"]
    assert "RecognitionDecided does not follow the contract: decision_number: missing" in rows[2]["reason"]
    assert APPLICANT not in " ".join(r["reason"] for r in rows)
    assert (await stack.events(dossier_id))[-1] == "PersonalHistoryCertified"


async def test_a_resolution_not_adopted_rejects_the_dossier_and_a_refusal_ends_it(stack: Stack) -> None:
    async with stack.dossiers_running():
        first, second = await prepared_dossier(stack), await prepared_dossier(stack, citizen_id=SECOND_APPLICANT)
        for dossier_id in (first, second):
            await stack.verification_decides(
                "HistoryCertified", dossier_id=dossier_id, cell=CELL, certified_by="DU-HT", certified_on="2026-01-12"
            )
        await stack.wait_for_checkpoint(stack.verification_name, 2)
        for dossier_id in (first, second):
            await stack.ok("mark_ready_for_cell_vote", dossier_id=dossier_id, ready_on="2026-02-02", cell_meeting_on="2026-02-10")
        resolution = {"cell": CELL, "citizen_id": APPLICANT, "meeting_on": "2026-02-10", "disagree": 4, "denominator": 9,
                      "entitled": [], "rule_set": "2025-07"}
        await stack.voting_decides("CellResolutionNotAdopted", dossier_id=first, agree=5, **resolution)
        await stack.voting_decides(
            "CellResolutionAdopted", dossier_id=second, agree=7, **{**resolution, "disagree": 2, "citizen_id": SECOND_APPLICANT}
        )
        await stack.voting_decides(
            "AdmissionRefused", dossier_id=second, citizen_id=SECOND_APPLICANT, organisation=CELL, decided_by="DU-HT",
            decision_date="2026-03-02", reason="Chưa đủ tiêu chuẩn",
        )
        await stack.wait_for_step(first, "rejected")
        await stack.wait_for_step(second, "refused")
        rejected = (await stack.dossier(first))["result"]["ended"]
    assert (rejected["rule"], rejected["on"]) == ("CELL_2_3", "2026-02-10")
