"""Requests, replies, the member-record cross-check, certification (VERIFY_COMPLETE), the block after a
disqualifying finding and the overdue list, all driven through the NATS subjects of the service."""

from __future__ import annotations

import asyncio
import json
from datetime import date

import nats.js.errors

from ketnap.domain.rules import RuleCode
from ketnap.platform import projections
from ketnap.platform.bus import subjects
from ketnap.platform.envelope import NewEvent
from ketnap.platform.eventstore import EventStore
from ketnap.platform.service import ServiceContext, execute_command
from ketnap.platform.settings import Settings
from ketnap.services.verification.commands import RecordReply
from tests.conftest import eventually
from tests.integration.verification.conftest import DECLARED_BY, World
from tests.unit.verification.declared import member, relative

CONTRACT = {
    "VerificationRequestSent": {"dossier_id", "subject_id", "sent_to", "sent_on", "sent_by"},
    "VerificationReplyRecorded": {"dossier_id", "subject_id", "replied_on", "responding_organisation", "finding", "note"},
    "HistoryCertified": {"dossier_id", "cell", "certified_by", "certified_on"},
    "VerificationBlocked": {"dossier_id", "subject_id", "note"},
    "VerificationBlockLifted": {"dossier_id", "decided_by", "decided_on", "outcome"},
}


async def contract_kept(world: World, dossier_id: str) -> list[str]:
    types = []
    for event in await world.events(dossier_id):
        if event.event_type in CONTRACT:
            assert set(event.data) == CONTRACT[event.event_type], event.event_type
        types.append(event.event_type)
    return types


class TestCertificationVERIFY_COMPLETE:
    async def test_certifying_before_every_reply_is_refused_with_VERIFY_COMPLETE_then_allowed(self, world: World) -> None:
        dossier_id, _ = await world.opened(relative("f", "father"), relative("m", "mother"))
        for subject_id in ("applicant", "f", "m"):
            await world.send(dossier_id, subject_id)
        await world.answer(dossier_id, "applicant")
        await world.answer(dossier_id, "f")

        early = await world.command("certify_history", dossier_id=dossier_id, certified_by="DU-01", certified_on="2025-09-25")
        assert early["ok"] is False and early["error"]["code"] == "rule:VERIFY_COMPLETE"
        assert early["error"]["message"] == f"[VERIFY_COMPLETE] {RuleCode.VERIFY_COMPLETE.message}"
        assert early["error"]["details"]["missing"] == ["m"]

        assert (await world.answer(dossier_id, "m"))["result"] == {"status": "open", "missing": 0}
        certified = await world.command("certify_history", dossier_id=dossier_id, certified_by="DU-01", certified_on="2025-09-25")
        assert certified["ok"] and certified["result"]["status"] == "certified"
        types = await contract_kept(world, dossier_id)
        assert types[-1] == "HistoryCertified" and types.count("VerificationReplyRecorded") == 3

        # The conclusion the dossiers service waits for is on JetStream, with the contract's fields.
        async def published() -> dict | None:
            stream = subjects.event_stream(world.deployment, world.service.name)
            try:
                message = await world.nc.jetstream().get_last_msg(
                    stream, subjects.event_subject(world.deployment, world.service.name, "HistoryCertified")
                )
            except nats.js.errors.NotFoundError:
                return None  # the relay has not published it yet
            body = json.loads(message.data)
            return body if body["data"]["dossier_id"] == dossier_id else None

        body = await eventually(published)
        assert body["data"] == {"dossier_id": dossier_id, "cell": "CB-01", "certified_by": "DU-01", "certified_on": "2025-09-25"}

        late = await world.answer(dossier_id, "f", "concern", "Muộn", correction_reason="Phát hiện sau")
        assert late["error"]["code"] == "conflict" and late["error"]["details"]["reason"] == "certified"


class TestReplies:
    async def test_a_reply_for_an_unknown_dossier_subject_or_request_is_not_found(self, world: World) -> None:
        dossier_id, _ = await world.opened(relative("f", "father"))
        unknown_dossier = await world.answer("khong-co-ho-so", "f")
        unknown_subject = await world.answer(dossier_id, "ong-noi")
        no_request = await world.answer(dossier_id, "f")
        for reply in (unknown_dossier, unknown_subject, no_request):
            assert reply["ok"] is False and reply["error"]["code"] == "not_found", reply
        assert "ong-noi" in unknown_subject["error"]["message"]
        assert no_request["error"]["message"].startswith("Chưa có yêu cầu thẩm tra")
        assert len(await world.events(dossier_id)) == 2

    async def test_malformed_replies_get_a_validation_error_in_vietnamese(self, world: World) -> None:
        dossier_id, _ = await world.opened(relative("f", "father"))
        await world.send(dossier_id, "f")
        no_text = await world.answer(dossier_id, "f", "concern", None)
        bad_finding = await world.answer(dossier_id, "f", "tốt")
        before_request = await world.answer(dossier_id, "f", replied_on="2025-08-01")
        for reply in (no_text, bad_finding, before_request):
            assert reply["ok"] is False and reply["error"]["code"] == "validation", reply
        assert no_text["error"]["details"]["field"] == "note"
        assert "«kết luận»" in bad_finding["error"]["message"]

    async def test_a_duplicate_reply_has_one_effect_and_a_different_one_needs_a_correction(self, world: World) -> None:
        dossier_id, _ = await world.opened(relative("f", "father"))
        await world.send(dossier_id, "f")
        body = {"idempotency_key": "reply-f-0001", "note": None}
        first = await world.answer(dossier_id, "f", **body)
        again = await world.answer(dossier_id, "f", **body)
        assert first["ok"] and again["ok"] and len(first["event_ids"]) == 1
        assert (again["event_ids"], again["stream_version"]) == (first["event_ids"], first["stream_version"])
        same_content = await world.answer(dossier_id, "f")  # another officer types the same reply
        assert same_content["ok"] and same_content["event_ids"] == []

        different = await world.answer(dossier_id, "f", "concern", "Có tiền án")
        assert different["error"]["code"] == "conflict" and different["error"]["details"]["reason"] == "already_replied"
        corrected = await world.answer(dossier_id, "f", "concern", "Có tiền án", correction_reason="Công an xã trả lời bổ sung")
        assert corrected["ok"]
        types = await contract_kept(world, dossier_id)
        assert types.count("VerificationReplyRecorded") == 1 and types[-1] == "VerificationReplyCorrected"
        (subject,) = [s for s in (await world.query("case", dossier_id=dossier_id))["result"]["subjects"] if s["subject_id"] == "f"]
        assert subject["reply"]["finding"] == "concern" and subject["reply"]["corrections"] == 1


class TestConcurrentReplies:
    async def test_officers_replying_at_the_version_they_saw_get_one_success_and_conflicts(self, world: World) -> None:
        children = [relative(f"c{i}", "child", adult_with_full_capacity=True) for i in range(16)]
        dossier_id, _ = await world.opened(*children)
        for i in range(16):
            await world.send(dossier_id, f"c{i}")
        seen = len(await world.events(dossier_id))
        replies = await asyncio.gather(*(world.answer(dossier_id, f"c{i}", expected_version=seen) for i in range(16)))
        winners = [r for r in replies if r["ok"]]
        assert len(winners) == 1 and winners[0]["stream_version"] == seen + 1
        assert {r["error"]["code"] for r in replies if not r["ok"]} == {"conflict"}
        assert all("người khác cập nhật" in r["error"]["message"] for r in replies if not r["ok"])
        assert len(await world.events(dossier_id)) == seen + 1

    async def test_different_replies_for_one_subject_at_once_record_one(self, world: World) -> None:
        dossier_id, _ = await world.opened(relative("f", "father"))
        await world.send(dossier_id, "f")
        replies = await asyncio.gather(
            *(world.answer(dossier_id, "f", "concern", f"Ý kiến {i}") for i in range(20))
        )
        assert sum(r["ok"] for r in replies) == 1
        assert {r["error"]["code"] for r in replies if not r["ok"]} == {"conflict"}
        assert (await contract_kept(world, dossier_id)).count("VerificationReplyRecorded") == 1

    async def test_handlers_racing_on_one_case_stream_let_exactly_one_append(self, world: World) -> None:
        """No queueing in front of the case: every handler loads the same version before any of
        them appends, and PostgreSQL's optimistic check lets exactly one through."""
        children = [relative(f"c{i}", "child", adult_with_full_capacity=True) for i in range(12)]
        dossier_id, _ = await world.opened(*children)
        for i in range(12):
            await world.send(dossier_id, f"c{i}")
        endpoint = next(e for e in world.service.commands if e.subject.endswith(".record_reply"))
        ctx = ServiceContext(
            world.service.name, Settings(), world.pool, LoadsTogether(world.pool, world.service.name, 12),
            world.nc, world.nc.jetstream(),
        )
        bodies = [
            RecordReply(
                idempotency_key=f"race-{dossier_id}-{i}", actor="officer-7", scope="DU-01", dossier_id=dossier_id,
                subject_id=f"c{i}", replied_on=date(2025, 9, 20), responding_organisation="UB", finding="clear",
            ).model_dump(mode="json")
            for i in range(12)
        ]
        replies = await asyncio.gather(*(execute_command(ctx, endpoint, body) for body in bodies))
        assert sum(r.ok for r in replies) == 1
        assert {r.error.code for r in replies if not r.ok} == {"conflict"}
        replied = [s for s in (await world.query("case", dossier_id=dossier_id))["result"]["subjects"] if s["state"] == "replied"]
        assert len(replied) == 1


class LoadsTogether(EventStore):
    """An event store whose stream reads wait for each other, so racing handlers all decide on one version."""

    def __init__(self, pool, schema: str, parties: int) -> None:  # noqa: ANN001
        super().__init__(pool, schema)
        self.barrier = asyncio.Barrier(parties)

    async def read_stream(self, stream_id: str, after_version: int = 0):  # noqa: ANN201
        events = await super().read_stream(stream_id, after_version)
        await asyncio.wait_for(self.barrier.wait(), 10)
        return events


class TestMemberRecordCrossCheck:
    async def test_a_party_member_relative_is_closed_against_the_member_file(self, world: World) -> None:
        world.registry.add_member("001170000009", "CB-MEMBER", kind="probationary")
        dossier_id, _ = await world.opened(member("m", "mother", citizen_id="001170000009"))
        reply = await world.command("close_by_member_record", dossier_id=dossier_id, subject_id="m", checked_on="2025-09-05")
        assert reply["ok"], reply
        assert world.registry.questions[-1] == {"citizen_id": "001170000009", "organisation": "CB-MEMBER", "on": "2025-09-05"}
        types = await contract_kept(world, dossier_id)
        assert types[2:] == ["MemberRecordCrossChecked", "VerificationReplyRecorded"]
        (subject,) = [s for s in (await world.query("case", dossier_id=dossier_id))["result"]["subjects"] if s["subject_id"] == "m"]
        assert subject["state"] == "replied" and subject["reply"]["by_member_record"] is True
        assert subject["reply"]["responding_organisation"] == "CB-MEMBER" and subject["request"] is None

    async def test_the_cross_check_is_refused_when_the_registry_or_the_history_does_not_allow_it(self, world: World) -> None:
        dossier_id, _ = await world.opened(member("m", "mother", citizen_id="001170000010"), relative("f", "father"))
        unknown_member = await world.command("close_by_member_record", dossier_id=dossier_id, subject_id="m", checked_on="2025-09-05")
        not_declared = await world.command("close_by_member_record", dossier_id=dossier_id, subject_id="f", checked_on="2025-09-05")
        applicant = await world.command("close_by_member_record", dossier_id=dossier_id, subject_id="applicant", checked_on="2025-09-05")
        assert unknown_member["error"]["code"] == "validation" and unknown_member["error"]["details"]["reason"] == "not_a_member"
        assert "CB-MEMBER" in unknown_member["error"]["message"] and "05/09/2025" in unknown_member["error"]["message"]
        for reply in (not_declared, applicant):
            assert reply["error"]["code"] == "validation"
            assert reply["error"]["details"]["reason"] == "not_eligible_for_member_record"
        await world.registry.stop()
        try:
            silent = await world.command("close_by_member_record", dossier_id=dossier_id, subject_id="m", checked_on="2025-09-05")
        finally:
            await world.registry.start()
        assert silent["error"]["code"] == "unavailable" and "thử lại" in silent["error"]["message"]
        assert len(await world.events(dossier_id)) == 2


class TestBlock:
    async def test_a_disqualifying_finding_blocks_until_the_competent_committee_lets_it_continue(self, world: World) -> None:
        dossier_id, _ = await world.opened(relative("f", "father"))
        for subject_id in ("applicant", "f"):
            await world.send(dossier_id, subject_id)
            await world.answer(dossier_id, subject_id, *(("disqualifying", "Vi phạm nghiêm trọng") if subject_id == "f" else ()))
        case = (await world.query("case", dossier_id=dossier_id))["result"]
        assert (case["status"], case["blocked_by"], case["complete"]) == ("blocked", ["f"], True)
        blocked = await world.command("certify_history", dossier_id=dossier_id, certified_by="DU-01", certified_on="2025-09-25")
        assert blocked["error"]["code"] == "conflict" and blocked["error"]["details"]["reason"] == "blocked"
        lifted = await world.command("lift_block", dossier_id=dossier_id, decided_by="HU-01", decided_on="2025-09-30", outcome="continue")
        assert lifted["ok"] and lifted["result"]["status"] == "open"
        certified = await world.command("certify_history", dossier_id=dossier_id, certified_by="DU-01", certified_on="2025-10-01")
        assert certified["ok"]
        assert (await contract_kept(world, dossier_id))[-4:] == [
            "VerificationReplyRecorded", "VerificationBlocked", "VerificationBlockLifted", "HistoryCertified",
        ]

    async def test_a_decision_to_reject_closes_the_case(self, world: World) -> None:
        dossier_id, _ = await world.opened(relative("f", "father"))
        await world.send(dossier_id, "f")
        await world.answer(dossier_id, "f", "disqualifying", "Vi phạm nghiêm trọng")
        rejected = await world.command("lift_block", dossier_id=dossier_id, decided_by="HU-01", decided_on="2025-09-30", outcome="reject")
        assert rejected["ok"] and rejected["result"]["status"] == "rejected"
        after = await world.command("send_request", dossier_id=dossier_id, subject_id="applicant", sent_to="UB", sent_on="2025-10-01",
                                    sent_by="DU-01")
        assert after["error"]["code"] == "conflict" and after["error"]["details"]["reason"] == "rejected"


class TestOverdue:
    async def test_requests_without_a_reply_for_more_than_n_working_days_are_listed_with_a_reminder(self, world: World) -> None:
        dossier_id, _ = await world.opened(relative("f", "father"), relative("m", "mother"), cell="CB-OVERDUE")
        await world.send(dossier_id, "applicant", sent_on="2025-06-02")
        await world.send(dossier_id, "f", sent_on="2025-08-25")
        await world.send(dossier_id, "m", sent_on="2025-09-25")

        async def listed(**fields) -> list[str] | None:  # noqa: ANN003
            reply = await world.query("overdue", **{"cell": "CB-OVERDUE", "on": "2025-10-10", **fields})
            assert reply["ok"], reply
            return [i["subject_id"] for i in reply["result"]["items"]] or None

        async def all_sent_projected() -> bool:
            return await listed(on="2026-12-31") == ["applicant", "f", "m"]

        await eventually(all_sent_projected)
        assert await listed() == ["applicant", "f"]  # 2025-08-25 + 30 working days = 2025-10-08
        assert await listed(working_days=60) == ["applicant"]
        reply = await world.query("overdue", cell="CB-OVERDUE", on="2025-10-10")
        first = reply["result"]["items"][0]
        assert reply["result"]["working_days"] == 30
        assert (first["sent_on"], first["sent_to"], first["reply_due_on"]) == ("2025-06-02", "UB-applicant", "2025-07-14")
        assert first["reminder"].startswith("Yêu cầu thẩm tra lý lịch (người vào Đảng) gửi UB-applicant ngày 02/06/2025")

        await world.answer(dossier_id, "applicant")

        async def gone() -> bool:
            return await listed() == ["f"]

        await eventually(gone)


    async def test_a_withdrawn_dossier_is_no_longer_chased_and_a_transferred_one_follows_its_cell(self, world: World) -> None:
        """Nobody is reminded to answer for a dossier that ended; a dossier that moved is the new cell's."""
        ended, _ = await world.opened(relative("f", "father"), cell="CB-ENDED")
        moved, _ = await world.opened(relative("f", "father"), cell="CB-FROM")
        for dossier_id in (ended, moved):
            await world.send(dossier_id, "applicant", sent_on="2025-06-02")

        async def listed(cell: str) -> list[str]:
            reply = await world.query("overdue", cell=cell, on="2025-10-10")
            assert reply["ok"], reply
            return [i["dossier_id"] for i in reply["result"]["items"]]

        async def shows(cell: str, expected: list[str]) -> bool:
            return await listed(cell) == expected

        await eventually(lambda: shows("CB-ENDED", [ended]))
        await eventually(lambda: shows("CB-FROM", [moved]))
        await world.source_store.append(f"dossier-{ended}", 1, [NewEvent(event_type="DossierWithdrawn", data={
            "dossier_id": ended, "cell": "CB-ENDED", "on": "2025-10-01"})], DECLARED_BY)
        await world.source_store.append(f"dossier-{moved}", 1, [NewEvent(event_type="DossierTransferred", data={
            "dossier_id": moved, "cell": "CB-FROM", "on": "2025-10-01", "from_cell": "CB-FROM", "to_cell": "CB-TO"})], DECLARED_BY)
        await eventually(lambda: shows("CB-ENDED", []))
        await eventually(lambda: shows("CB-TO", [moved]))
        assert await listed("CB-FROM") == []
        (projection,) = world.service.projections
        assert await projections.verify(world.pool, projection) == []


async def test_the_overview_projection_equals_its_rebuild(world: World) -> None:
    dossier_id, _ = await world.opened(relative("f", "father"))
    await world.send(dossier_id, "f")
    await world.answer(dossier_id, "f", "disqualifying", "Vi phạm")
    (projection,) = world.service.projections
    assert await projections.verify(world.pool, projection) == []

