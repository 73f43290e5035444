"""Commands through the API: one effect per Idempotency-Key, one winner per version, and a clear
503 when a service the check needs is down."""

from __future__ import annotations

import asyncio
from datetime import date

from ketnap.platform.envelope import EventMetadata
from ketnap.services.dossiers import events as dossier_events
from tests.conftest import eventually
from tests.integration.gateway.world import HELPERS, World


async def test_the_same_idempotency_key_twice_has_one_effect(world: World) -> None:
    body = {"cell": "CB-A1", "citizen_id": "001098012346", "full_name": "Lê Thị Mai", "opened_on": "2025-09-01",
            "helper_citizen_id": HELPERS["CB-A1"]}
    first = await world.command("bithu.a1", "dossiers", "open_dossier", body, key="mo-ho-so-0001")
    head = await world.store("dossiers").head_position()
    again = await world.command("bithu.a1", "dossiers", "open_dossier", body, key="mo-ho-so-0001")
    assert first.status_code == again.status_code == 200, (first.text, again.text)
    assert again.json()["event_ids"] == first.json()["event_ids"] and again.json()["stream_id"] == first.json()["stream_id"]
    assert await world.store("dossiers").head_position() == head
    # Keys belong to their user: another user's same key is another command.
    other = await world.command("canbo.a", "dossiers", "open_dossier", {**body, "citizen_id": "001098012347"}, key="mo-ho-so-0001")
    assert other.status_code == 200 and other.json()["stream_id"] != first.json()["stream_id"]


async def test_two_officers_on_one_dossier_at_the_same_version_one_wins_one_gets_409(world: World) -> None:
    dossier_id = await world.open_dossier("bithu.a1", "CB-A1", citizen_id="001098012348")
    stream = dossier_events.stream_id(dossier_id)
    version = len(await world.store("dossiers").read_stream(stream))
    letter = {"dossier_id": dossier_id, "expected_version": version, "submitted_on": "2025-10-01"}
    certificate = {"dossier_id": dossier_id, "expected_version": version, "certificate_number": "12/GCN",
                   "issued_on": "2025-08-01", "issued_by": "Trung tâm chính trị"}
    replies = await asyncio.gather(
        world.command("bithu.a1", "dossiers", "submit_application_letter", letter),
        world.command("canbo.a", "dossiers", "record_class_certificate", certificate),
    )
    assert sorted(r.status_code for r in replies) == [200, 409], [r.text for r in replies]
    loser = next(r for r in replies if r.status_code == 409).json()["error"]
    assert loser["code"] == "conflict" and "người khác cập nhật" in loser["message"]
    assert len(await world.store("dossiers").read_stream(stream)) == version + 1


async def test_a_rule_refusal_is_422_with_the_rule_code(world: World) -> None:
    before = await world.heads()
    response = await world.command("bithu.a1", "dossiers", "open_dossier", {
        "cell": "CB-A1", "citizen_id": "001098012349", "full_name": "Đỗ Văn Bình", "opened_on": "2025-09-01",
        "helper_citizen_id": HELPERS["CB-A2"],  # a member of another cell cannot help here
    })
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"].startswith("rule:") and error["message"].startswith(f"[{error['code'][5:]}] ")
    assert error["details"]["rule"] == error["code"][5:]
    assert await world.heads() == before


async def test_a_registry_that_is_down_is_503_and_nothing_is_written(world: World) -> None:
    body = {"cell": "CB-A1", "citizen_id": "001098012350", "full_name": "Phạm Văn Hùng", "opened_on": "2025-09-01",
            "helper_citizen_id": HELPERS["CB-A1"]}
    async with world.down("registry"):
        before = await world.heads()
        response = await world.command("bithu.a1", "dossiers", "open_dossier", body)
        assert response.status_code == 503, response.text
        error = response.json()["error"]
        assert error["code"] == "unavailable" and error["message"].startswith("Không liên lạc được với sổ đăng ký")
        assert await world.heads() == before
    assert (await world.command("bithu.a1", "dossiers", "open_dossier", body)).status_code == 200


async def test_two_officers_submitting_the_same_letter_at_once_one_wins_the_other_gets_409(world: World) -> None:
    # No version sent: the loser is stopped either by the store's version check or by the dossier
    # already having the letter; both are the same 409, over several races so both orders occur.
    for n in range(6):
        dossier_id = await world.open_dossier("bithu.a1", "CB-A1", citizen_id=f"00109801240{n}")
        letter = {"dossier_id": dossier_id, "submitted_on": "2025-10-01"}
        replies = await asyncio.gather(
            world.command("bithu.a1", "dossiers", "submit_application_letter", letter),
            world.command("canbo.a", "dossiers", "submit_application_letter", letter),
        )
        assert sorted(r.status_code for r in replies) == [200, 409], [r.text for r in replies]
        loser = next(r for r in replies if r.status_code == 409).json()["error"]
        assert loser["code"] == "conflict", loser
        events = [e.event_type for e in await world.store("dossiers").read_stream(dossier_events.stream_id(dossier_id))]
        assert events.count("ApplicationLetterSubmitted") == 1


async def test_two_officers_recording_the_same_cell_vote_at_once_one_wins_the_other_gets_409(world: World) -> None:
    citizen_id = "001098012420"
    dossier_id = await world.open_dossier("bithu.a1", "CB-A1", citizen_id=citizen_id)
    stream = dossier_events.stream_id(dossier_id)
    dossiers = world.store("dossiers")
    # The dossiers service's record that the dossier is ready for the cell's vote (the steps before
    # are other tests'); voting opens the case from it.
    ready = dossier_events.ReadyForCellVote(dossier_id=dossier_id, cell="CB-A1", citizen_id=citizen_id, full_name="Nguyễn Văn An",
                                            birth_date=date(2000, 5, 1), ready_on=date(2025, 9, 1), rule_set="2025-07")
    await dossiers.append(stream, len(await dossiers.read_stream(stream)), [ready.to_new_event()], EventMetadata(actor="bithu.a1"))

    async def case_opened() -> bool:
        return (await world.query("bithu.a1", "voting", "case", {"dossier_id": dossier_id})).status_code == 200

    await eventually(case_opened, timeout=30)
    members = [HELPERS["CB-A1"], "001080000011", "001080000012"]  # a cell votes with three official members or more
    for member in members[1:]:
        await world.registry("register_member", citizen_id=member, full_name="Đảng viên Chi bộ", organisation="CB-A1",
                             kind="official", effective_from="2010-01-01")
    vote = {"dossier_ids": [dossier_id], "cell": "CB-A1", "meeting_on": "2025-09-10",
            "ballots": [{"citizen_id": m, "choice": "agree"} for m in members]}
    replies = await asyncio.gather(
        world.command("bithu.a1", "voting", "record_cell_resolution", vote),
        world.command("canbo.a", "voting", "record_cell_resolution", vote),
    )
    assert sorted(r.status_code for r in replies) == [200, 409], [r.text for r in replies]
    loser = next(r for r in replies if r.status_code == 409).json()["error"]
    assert loser["code"] == "conflict", loser
    recorded = [e.event_type for e in await world.store("voting").read_stream(f"voting-{dossier_id}")]
    assert recorded.count("CellResolutionAdopted") + recorded.count("CellResolutionRejected") == 1, recorded
