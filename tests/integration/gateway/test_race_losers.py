"""Two people doing one thing at once, through the HTTP API (issue 18): one succeeds, the other gets
409 `conflict` with a Vietnamese message, whichever check stops it (the store's version check, or
the record already showing the winner's act); never 422 or 404 for losing a race. Each race runs
a few rounds, so both orders of arrival occur."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import httpx

from tests.integration.gateway.world import HELPERS, World, new_citizen_id

ROUNDS = 3


async def one_wins(*acts: Awaitable[httpx.Response]) -> dict:
    replies = await asyncio.gather(*acts)
    assert sorted(r.status_code for r in replies) == [200] + [409] * (len(replies) - 1), [r.text for r in replies]
    loser = next(r for r in replies if r.status_code == 409).json()["error"]
    assert loser["code"] == "conflict" and loser["message"], loser
    return loser


async def _member(world: World, cell: str = "CB-A1") -> str:
    citizen_id = new_citizen_id()
    await world.registry("register_member", citizen_id=citizen_id, full_name="Đảng viên Đua", organisation=cell, kind="official",
                         effective_from="2012-01-01")
    return citizen_id


async def test_ONE_DOSSIER_two_officers_opening_a_dossier_for_one_person_at_once(world: World) -> None:
    for _ in range(ROUNDS):
        body = {"cell": "CB-A1", "citizen_id": new_citizen_id(), "full_name": "Bùi Thị Đua", "opened_on": "2025-09-01",
                "helper_citizen_id": HELPERS["CB-A1"]}
        loser = await one_wins(
            world.command("bithu.a1", "dossiers", "open_dossier", body), world.command("canbo.a", "dossiers", "open_dossier", body),
        )
        assert loser["message"].startswith("[ONE_DOSSIER] ") and loser["details"]["rule"] == "ONE_DOSSIER", loser


async def test_two_officers_moving_one_dossier_to_the_same_cell_at_once(world: World) -> None:
    for _ in range(ROUNDS):
        dossier_id = await world.open_dossier("bithu.a1", "CB-A1")
        move = {"dossier_id": dossier_id, "on": "2025-11-01", "to_cell": "CB-A2"}
        await one_wins(world.command("bithu.a1", "dossiers", "transfer", move), world.command("canbo.a", "dossiers", "transfer", move))


async def test_an_act_racing_the_suspension_of_its_dossier_is_a_conflict_when_it_loses(world: World) -> None:
    for _ in range(ROUNDS):
        dossier_id = await world.open_dossier("bithu.a1", "CB-A1")
        replies = await asyncio.gather(
            world.command("canbo.a", "dossiers", "suspend", {"dossier_id": dossier_id, "on": "2025-10-01"}),
            world.command("bithu.a1", "dossiers", "submit_application_letter", {"dossier_id": dossier_id, "submitted_on": "2025-10-01"}),
        )
        # Whichever is appended first stands; the other, decided on the version before it, is a 409
        # (or succeeds too, when the letter came first and the suspension was decided after it).
        statuses = sorted(r.status_code for r in replies)
        assert statuses in ([200, 200], [200, 409]), [r.text for r in replies]


async def test_two_officers_transferring_one_member_temporarily_at_once(world: World) -> None:
    for _ in range(ROUNDS):
        citizen_id = await _member(world)
        move = {"citizen_id": citizen_id, "transfer": "temporary", "to_organisation": "CB-A2", "effective_from": "2024-05-01"}
        await one_wins(world.command("canbo.a", "registry", "transfer_member", move), world.command("bantochuc", "registry", "transfer_member", move))


async def test_two_officers_recording_one_member_s_return_at_once(world: World) -> None:
    for _ in range(ROUNDS):
        citizen_id = await _member(world)
        await world.registry("transfer_member", citizen_id=citizen_id, transfer="temporary", to_organisation="CB-A2", effective_from="2024-05-01")
        back = {"citizen_id": citizen_id, "effective_from": "2024-11-01"}
        await one_wins(world.command("canbo.a", "registry", "return_member", back), world.command("bantochuc", "registry", "return_member", back))


async def test_one_name_removed_twice_at_once(world: World) -> None:
    for _ in range(ROUNDS):
        citizen_id = await _member(world)
        removal = {"citizen_id": citizen_id, "effective_from": "2024-06-01", "decided_by": "DU-A", "decision_number": "7-QĐ/ĐU",
                   "reason": "Vi phạm tư cách đảng viên"}
        await one_wins(
            world.command("thuongvu", "registry", "remove_member_name", removal), world.command("thuongvu", "registry", "remove_member_name", removal),
        )


async def test_one_authorisation_revoked_twice_at_once(world: World) -> None:
    for n in range(ROUNDS):
        code = f"DU-R{n}"
        await world.registry("establish_organisation", code=code, name=f"Đảng ủy {code}", kind="grassroots_committee", parent="T01",
                             effective_from="2005-01-01")
        await world.registry("grant_admission_authority", code=code, decision_number=f"{n}-QĐ/TU", decision_date="2020-01-01",
                             effective_from="2020-01-01")
        revoke = {"code": code, "effective_from": "2024-01-01"}
        await one_wins(
            world.command("thuongvu", "registry", "revoke_admission_authority", revoke),
            world.command("thuongvu", "registry", "revoke_admission_authority", revoke),
        )


async def test_two_officers_issuing_one_class_s_certificates_at_once(world: World) -> None:
    for n in range(ROUNDS):
        class_id, attendee = f"LOP-DUA-{n}", new_citizen_id()
        await world.registry("record_class", class_id=class_id, kind="awareness", organiser="DU-A", title="Lớp nhận thức về Đảng",
                             start_date="2025-03-03", end_date="2025-03-07", attendees=[{"citizen_id": attendee, "full_name": "Hà Thị Học"}])
        issue = {"class_id": class_id, "certificates": [{"citizen_id": attendee, "number": f"{n}/GCN-DUA", "issued_on": "2025-03-10"}]}
        loser = await one_wins(
            world.command("canbo.a", "registry", "issue_certificates", issue), world.command("bantochuc", "registry", "issue_certificates", issue),
        )
        assert "đã được cấp giấy chứng nhận" in loser["message"], loser
