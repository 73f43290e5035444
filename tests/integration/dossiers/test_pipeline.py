"""A dossier driven over NATS from the source list to official membership, the process manager
moving it on as verification and voting record their decisions in their own logs."""

from __future__ import annotations

import json

from nats.js.api import ConsumerConfig, DeliverPolicy

from ketnap.platform.bus import subjects
from tests.integration.dossiers.stack import APPLICANT, CELL, HELPER, TODAY, Stack, prepared_dossier


async def test_a_dossier_goes_from_the_source_list_to_official_membership(stack: Stack) -> None:
    async with stack.dossiers_running():
        dossier_id = await prepared_dossier(stack)
        assert await stack.step(dossier_id) == "verification"

        too_early = await stack.ask("mark_ready_for_cell_vote", dossier_id=dossier_id, ready_on="2026-02-02", cell_meeting_on="2026-02-10")
        assert too_early["error"]["code"] == "rule:HISTORY_CERTIFIED"

        at = await stack.verification_decides(
            "HistoryCertified", dossier_id=dossier_id, cell=CELL, certified_by="DU-HT", certified_on="2026-01-12"
        )
        await stack.wait_for_checkpoint(stack.verification_name, at)
        ready = await stack.ok("mark_ready_for_cell_vote", dossier_id=dossier_id, ready_on="2026-02-02", cell_meeting_on="2026-02-10")
        assert ready["stream_version"] == 11

        await stack.voting_decides(
            "CellResolutionAdopted", dossier_id=dossier_id, cell=CELL, citizen_id=APPLICANT, meeting_on="2026-02-10",
            agree=8, disagree=1, denominator=9, entitled=[HELPER], rule_set="2025-07",
        )
        await stack.wait_for_step(dossier_id, "awaiting_decision")
        waiting = (await stack.dossier(dossier_id, on=TODAY))["result"]
        assert [(d["name"], d["due_on"]) for d in waiting["open_deadlines"]] == [("admission_decision", "2026-05-15")]

        await stack.voting_decides(
            "AdmissionDecided", dossier_id=dossier_id, citizen_id=APPLICANT, full_name="Nguyễn Thị Hoa", organisation=CELL,
            decided_by="DU-HT", decision_number="45-QĐ/ĐU", decision_date="2026-03-20", rule_set="2025-07",
        )
        at = await stack.voting_decides("CellNotified", dossier_id=dossier_id, organisation=CELL, received_on="2026-03-25")
        await stack.wait_for_checkpoint(stack.voting_name, at)
        body = (await stack.dossier(dossier_id))["result"]
        assert body["step"] == "awaiting_ceremony"
        assert [d["name"] for d in body["open_deadlines"]] == ["ceremony"]

        await stack.ok("record_ceremony", dossier_id=dossier_id, held_on="2026-04-10", helper_citizen_id=HELPER)
        await stack.ok("file_member_history", dossier_id=dossier_id, filed_on="2026-05-04")
        await stack.ok("record_new_member_class", dossier_id=dossier_id, certificate_number="77/GCN", issued_on="2026-08-01",
                       issued_by="Trung tâm chính trị")
        early = await stack.ask("record_recognition_papers", dossier_id=dossier_id, self_review_on="2027-04-01",
                                helper_review_on="2027-04-01", opinions_on="2027-04-01", completed_on="2027-04-09")
        assert early["error"]["code"] == "rule:RECOG_EARLY"
        await stack.ok("record_recognition_papers", dossier_id=dossier_id, self_review_on="2027-04-01",
                       helper_review_on="2027-04-01", opinions_on="2027-04-01", completed_on="2027-04-12")

        await stack.voting_decides(
            "RecognitionDecided", dossier_id=dossier_id, citizen_id=APPLICANT, organisation=CELL, decided_by="DU-HT",
            decision_number="9-QĐ/ĐU", decision_date="2027-06-30", official_date="2027-04-10",
        )
        await stack.wait_for_step(dossier_id, "official")
        body = (await stack.dossier(dossier_id))["result"]

    assert body["official"]["official_date"] == "2027-04-10"  # ceremony + 12 months, not the decision date
    assert body["probation"]["starts_on"] == "2026-04-10"
    assert body["party_age_months"] == 21  # from the admission decision, 20/03/2026, to 31/12/2027
    assert body["open_deadlines"] == [] and body["closed"] is True
    assert body["rule_sets"] == {
        "introductions": "2025-07", "cell_vote": "2025-07", "cell_resolution": "2025-07",
        "admission_decision": "2025-07", "ceremony": "2025-07", "recognition_papers": "2025-07",
    }
    assert [h["actor"] for h in body["history"] if h["event_type"] == "AdmissionDecisionRecorded"] == ["dossiers.process_manager"]
    assert "religion" not in json.dumps(body) and "1998-03-15" not in json.dumps(body)


async def test_the_contract_events_are_published_with_exactly_their_fields(stack: Stack) -> None:
    async with stack.dossiers_running():
        dossier_id = await prepared_dossier(stack)
        head = await stack.store.head_position()
        js = stack.nc.jetstream()
        stream = subjects.event_stream(stack.deployment, stack.name)

        async def published() -> bool:
            return (await js.stream_info(stream)).state.messages >= head

        from tests.conftest import eventually

        await eventually(published)
        subscription = await js.pull_subscribe(
            subjects.event_subjects(stack.deployment, stack.name), durable=None, stream=stream,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),
        )
        messages = await subscription.fetch(head, timeout=5)
    bodies = {json.loads(m.data)["event_type"]: json.loads(m.data)["data"] for m in messages}
    assert set(bodies["DossierOpened"]) == {"dossier_id", "cell", "citizen_id", "full_name", "opened_on", "helper_citizen_id"}
    declared = bodies["PersonalHistoryDeclared"]
    assert set(declared) == {"dossier_id", "cell", "applicant", "relatives", "family_planning_case", "declared_on"}
    assert set(declared["applicant"]) == {
        "citizen_id", "full_name", "birth_date", "gender", "ethnicity", "religion", "occupation", "police_officer",
        "private_business_owner",
    }
    assert set(declared["relatives"][0]) == {
        "subject_id", "relation", "full_name", "birth_year", "residence_or_work", "responding_organisation",
        "is_party_member", "member_citizen_id", "fully_declared", "foreign_national", "adult_with_full_capacity",
    }
    assert [r["subject_id"] for r in declared["relatives"]] == ["father-1", "mother-1"]
    assert bodies["DossierOpened"]["dossier_id"] == dossier_id
