"""The process manager following a voting log kept from another deployment (issue #9): a decision
taken above moves the dossier here once; one about a dossier of another deployment is skipped; one
that arrives before the acts recorded here were applied waits for them instead of being
dead-lettered, and one that still does not fit afterwards is dead-lettered as usual."""

from __future__ import annotations

import json

import pytest

from ketnap.platform.bus.consumer import EventHandler, Unapplicable, WaitingForEarlierActs, read_checkpoint
from ketnap.platform.envelope import EventMetadata, NewEvent, RecordedEvent
from ketnap.platform.eventstore import EventStore
from ketnap.platform.eventstore.store import ANY_VERSION
from ketnap.platform.service import Service, ServiceContext
from ketnap.platform.settings import Settings
from ketnap.services.dossiers.process_manager import VOTING_REACTIONS, reactions_to
from tests.integration.dossiers.stack import APPLICANT, CELL, Stack, prepared_dossier
from tests.integration.harness import bootstrap_bus, new_schema, running

ABOVE = EventMetadata(actor="thuong-vu-huyen", organisation="HU-01")


async def _decided_above(kept: EventStore, dossier_id: str, number: str) -> RecordedEvent:
    data = {
        "dossier_id": dossier_id, "citizen_id": APPLICANT, "full_name": "Nguyễn Thị Hoa", "organisation": CELL,
        "decided_by": "HU-01", "decision_number": number, "decision_date": "2026-03-20", "rule_set": "2025-07",
    }
    result = await kept.append(f"voting-{dossier_id}", ANY_VERSION, [NewEvent(event_type="AdmissionDecided", data=data)], ABOVE)
    (event,) = await kept.read_stream(f"voting-{dossier_id}", after_version=result.stream_version - 1)
    return event


async def _ready_for_cell_vote(stack: Stack) -> str:
    """A dossier whose cell meets on 10/02/2026 (the dossiers service is running)."""
    dossier_id = await prepared_dossier(stack)
    at = await stack.verification_decides(
        "HistoryCertified", dossier_id=dossier_id, cell=CELL, certified_by="DU-HT", certified_on="2026-01-12"
    )
    await stack.wait_for_checkpoint(stack.verification_name, at)
    await stack.ok("mark_ready_for_cell_vote", dossier_id=dossier_id, ready_on="2026-02-02", cell_meeting_on="2026-02-10")
    return dossier_id


async def test_a_decision_kept_from_above_waits_for_the_acts_recorded_here_then_moves_the_dossier(stack: Stack) -> None:
    async with stack.dossiers_running():
        dossier_id = await _ready_for_cell_vote(stack)
    # The cell's resolution is in this deployment's voting log, not yet applied by the process manager.
    resolved_at = await stack.voting_decides(
        "CellResolutionAdopted", dossier_id=dossier_id, cell=CELL, citizen_id=APPLICANT, meeting_on="2026-02-10",
        agree=8, disagree=1, denominator=9, entitled=[], rule_set="2025-07",
    )
    kept = EventStore(stack.pool, await new_schema(stack.pool))
    decided = await _decided_above(kept, dossier_id, "45-QĐ/HU")
    elsewhere = await _decided_above(kept, "00000000-0000-0000-0000-000000000000", "46-QĐ/HU")
    ctx = ServiceContext(stack.name, Settings(), stack.pool, stack.store, stack.nc, stack.nc.jetstream())
    apply = reactions_to(
        kept.schema, VOTING_REACTIONS, consumer=f"{stack.name}.process_manager", unknown_dossiers_elsewhere=True,
        waits_for=(stack.voting_name,),
    )(ctx)

    async def applied(event: RecordedEvent) -> None:
        async with stack.pool.acquire() as conn, conn.transaction():
            await apply(conn, event)

    await applied(elsewhere)  # a dossier of another deployment: nothing to do here, no error
    with pytest.raises(WaitingForEarlierActs):
        await applied(decided)
    assert (await stack.events(dossier_id))[-1] == "ReadyForCellVote"

    async with stack.dossiers_running():
        await stack.wait_for_checkpoint(stack.voting_name, resolved_at)
    await applied(decided)
    assert (await stack.events(dossier_id))[-2:] == ["CellResolutionRecorded", "AdmissionDecisionRecorded"]

    # Every act recorded here is applied: a second decision that cannot fit is dead-lettered.
    with pytest.raises(Unapplicable) as refused:
        await applied(await _decided_above(kept, dossier_id, "47-QĐ/HU"))
    assert "does not fit" in str(refused.value) and APPLICANT not in str(refused.value)
    assert (await stack.events(dossier_id)).count("AdmissionDecisionRecorded") == 1
    async with stack.dossiers_running():
        body = (await stack.dossier(dossier_id))["result"]
    assert body["step"] == "awaiting_ceremony"
    assert body["admission"]["decision_number"] == "45-QĐ/HU", json.dumps(body["admission"])


async def test_a_cell_notified_here_waits_for_the_decision_kept_from_above_then_moves_the_dossier(stack: Stack) -> None:
    """The logs are followed by a runner each, in no fixed order: after a restart the cell's
    notice, recorded here after the decision above arrived, may come first. It waits for the
    decision instead of being dead-lettered."""
    async with stack.dossiers_running():
        dossier_id = await _ready_for_cell_vote(stack)
        resolved_at = await stack.voting_decides(
            "CellResolutionAdopted", dossier_id=dossier_id, cell=CELL, citizen_id=APPLICANT, meeting_on="2026-02-10",
            agree=8, disagree=1, denominator=9, entitled=[], rule_set="2025-07",
        )
        await stack.wait_for_checkpoint(stack.voting_name, resolved_at)
    kept_log = Service(await new_schema(stack.pool))
    await bootstrap_bus(stack.nc.jetstream(), stack.deployment, [kept_log])
    kept = EventStore(stack.pool, kept_log.name)
    decided = await _decided_above(kept, dossier_id, "45-QĐ/HU")
    notified_at = await stack.voting_decides("CellNotified", dossier_id=dossier_id, received_on="2026-03-25")
    (notified,) = [e async for batch in EventStore(stack.pool, stack.voting_name).read_log(notified_at - 1) for e in batch]
    ctx = ServiceContext(stack.name, Settings(), stack.pool, stack.store, stack.nc, stack.nc.jetstream())
    consumer = f"{stack.name}.process_manager"
    own = reactions_to(stack.voting_name, VOTING_REACTIONS, consumer=consumer, waits_for=(kept.schema,))(ctx)
    from_above = reactions_to(kept.schema, VOTING_REACTIONS, consumer=consumer, waits_for=(stack.voting_name,))(ctx)

    async def applied(apply: EventHandler, source: str, event: RecordedEvent) -> None:
        """As the runner does: the effect and the checkpoint of its log commit together."""
        async with stack.pool.acquire() as conn, conn.transaction():
            await read_checkpoint(conn, stack.name, consumer, source)
            await apply(conn, event)
            await conn.execute(
                f"UPDATE {stack.name}.consumer_checkpoints SET position = $3 WHERE consumer = $1 AND source = $2",
                consumer, source, event.position,
            )

    async with running(kept_log, stack.nats_url, stack.database_url, stack.deployment):
        with pytest.raises(WaitingForEarlierActs):
            await applied(own, stack.voting_name, notified)
        assert (await stack.events(dossier_id))[-1] == "CellResolutionRecorded"
        await applied(from_above, kept.schema, decided)
        await applied(own, stack.voting_name, notified)
    assert (await stack.events(dossier_id))[-2:] == ["AdmissionDecisionRecorded", "DecisionReceivedByCell"]
