"""The people and dossiers the browser tests work with, made through the HTTP API as the users who
would record each act (dates relative to today, so every rule of the cell meeting is judged on
recent papers)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.integration.gateway.world import HELPERS, World

INTRODUCERS = {"CB-A1": ("001080000031", "Trần Văn Giới")}
"""A second official member in CB-A1 (HELPERS has the first): two introducers."""


def today() -> date:
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


async def seed_people(world: World) -> None:
    for cell, (citizen_id, name) in INTRODUCERS.items():
        await world.registry("register_member", citizen_id=citizen_id, full_name=name, organisation=cell, kind="official",
                             effective_from="2010-01-01")


async def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()


async def prepare_certified(
    world: World, name: str, citizen_id: str, *, education: str = "upper_secondary", ready: bool = False, days_ago: int = 40,
    unanswered: str | None = None, cell: str = "CB-A1", preparer: str = "bithu.a1", introducers: tuple[str, str] | None = None,
) -> str:
    """A dossier of CB-A1 with every paper and its history certified (ready to go to the cell's
    vote); `ready` sends it there too, the meeting planned 12 days after the start. Dates start
    `days_ago` days ago. `unanswered`: that verification subject gets no reply, and the history
    is not certified. Another `cell` names its two official `introducers` (the first also helps),
    its papers recorded by `preparer`."""
    helper, second = introducers or (HELPERS["CB-A1"], INTRODUCERS["CB-A1"][0])
    second_name = INTRODUCERS["CB-A1"][1] if second == INTRODUCERS["CB-A1"][0] else "Đảng viên Giới Thiệu"
    start = today() - timedelta(days=days_ago)

    def on(days: int) -> str:
        return (start + timedelta(days=days)).isoformat()

    opened = await _ok(await world.command(preparer, "dossiers", "open_dossier", {
        "cell": cell, "citizen_id": citizen_id, "full_name": name, "opened_on": on(0), "helper_citizen_id": helper,
    }))
    dossier = opened["result"]["dossier_id"]

    async def act(login: str, service: str, command: str, **body: Any) -> None:
        await _ok(await world.command(login, service, command, {"dossier_id": dossier, **body}))

    await act(preparer, "dossiers", "record_class_certificate", certificate_number="15/GCN", issued_on=on(1), issued_by="Trung tâm chính trị")
    await act(preparer, "dossiers", "submit_application_letter", submitted_on=on(2))
    await act(preparer, "dossiers", "declare_personal_history", declared_on=on(3), applicant={
        "birth_date": "1990-05-01", "gender": "female", "ethnicity": "Kinh", "religion": "Không", "occupation": "Giáo viên",
    }, qualifications={
        "general_education": education, "professional_qualification": "university", "youth_union_member": False,
    })
    await act(preparer, "dossiers", "record_introductions", recorded_on=on(4), introducers=[
        {"citizen_id": helper, "full_name": "Đảng viên Giúp Đỡ", "introduced_on": on(4), "acquainted_since": "2015-01-01"},
        {"citizen_id": second, "full_name": second_name, "introduced_on": on(4), "acquainted_since": "2015-01-01"},
    ])
    await act(preparer, "dossiers", "record_opinions", opinions=[
        {"source": "residence_cell", "given_on": on(5), "summary": "Gương mẫu ở nơi cư trú."},
        {"source": "workplace_mass_organisations", "given_on": on(5), "summary": "Hoàn thành tốt nhiệm vụ."},
    ])
    case = await _eventually(world, "canbo.a", "verification", "case", dossier)
    for subject in case["subjects"]:
        await act("canbo.a", "verification", "send_request", subject_id=subject["subject_id"], sent_to="DU-A", sent_on=on(6), sent_by="DU-A")
        if subject["subject_id"] == unanswered:
            continue
        await act("canbo.a", "verification", "record_reply", subject_id=subject["subject_id"], replied_on=on(7), responding_organisation="DU-A",
                  finding="clear")
    if unanswered:
        return dossier
    await act("canbo.a", "verification", "certify_history", certified_by="DU-A", certified_on=on(8))
    await _eventually(world, "canbo.a", "dossiers", "dossier", dossier,
                      lambda d: (d["papers"]["personal_history"] or {}).get("certified_on") == on(8))
    if ready:
        await act(preparer, "dossiers", "mark_ready_for_cell_vote", ready_on=on(9), cell_meeting_on=on(12))
        # Voting opens its case when it reads the dossiers log: a vote entered before that is
        # answered "no dossier ready for the cell" (404), as a person would be told too.
        await _eventually(world, "canbo.a", "voting", "case", dossier)
    return dossier


async def _eventually(world: World, login: str, service: str, query: str, dossier: str, check: Any = bool) -> dict[str, Any]:
    for _ in range(400):
        response = await world.query(login, service, query, {"dossier_id": dossier})
        if response.status_code == 200 and check(response.json()["result"]):
            return response.json()["result"]
        await asyncio.sleep(0.05)
    raise AssertionError(f"{service}.{query} of {dossier} never came: {response.text}")


VOTERS = {"CB-A1": ("001080000032", "001080000033")}
"""Two more official members of CB-A1: with HELPERS and INTRODUCERS, four (CELL_MIN3 needs three)."""
COMMITTEE = {"DU-A": ("001080000001", "001080000031", "001080000032")}
"""The grassroots committee's members (cấp ủy viên), for its resolution (COMMITTEE_2_3)."""


async def seed_voters(world: World) -> None:
    """Members enough for a cell's vote and a grassroots committee for its resolution."""
    for cell, citizen_ids in VOTERS.items():
        for citizen_id in citizen_ids:
            await world.registry("register_member", citizen_id=citizen_id, full_name="Đảng viên Biểu Quyết", organisation=cell,
                                 kind="official", effective_from="2010-01-01")
    for organisation, citizen_ids in COMMITTEE.items():
        for citizen_id in citizen_ids:
            await world.registry("appoint_committee_member", organisation=organisation, citizen_id=citizen_id, effective_from="2015-01-01")


def cell_a1_members() -> list[str]:
    return [HELPERS["CB-A1"], INTRODUCERS["CB-A1"][0], *VOTERS["CB-A1"]]


async def to_decision(world: World, dossier: str, day: date | None = None) -> None:
    """The cell's resolution and the grassroots committee's, both adopted on `day` (today), through the API."""
    on = (day or today()).isoformat()
    await _ok(await world.command("bithu.a1", "voting", "record_cell_resolution", {
        "dossier_ids": [dossier], "cell": "CB-A1", "meeting_on": on,
        "ballots": [{"citizen_id": c, "choice": "agree"} for c in cell_a1_members()],
    }))
    await _ok(await world.command("canbo.a", "voting", "record_grassroots_resolution", {
        "dossier_ids": [dossier], "organisation": "DU-A", "meeting_on": on,
        "ballots": [{"citizen_id": c, "choice": "agree"} for c in COMMITTEE["DU-A"]],
    }))
    await _eventually(world, "canbo.a", "dossiers", "dossier", dossier, lambda d: d["step"] == "awaiting_decision")


async def decided_long_ago(world: World, name: str, citizen_id: str, days_ago: int) -> str:
    """A dossier of CB-A1 prepared from `days_ago` days ago, admitted by the province 16 days after
    and its decision received by the cell the day after: the ceremony is next."""
    start = today() - timedelta(days=days_ago)
    dossier = await prepare_certified(world, name, citizen_id, ready=True, days_ago=days_ago)

    def on(days: int) -> str:
        return (start + timedelta(days=days)).isoformat()

    await to_decision(world, dossier, start + timedelta(days=12))
    await _ok(await world.command("thuongvu", "voting", "decide_admission", {
        "dossier_id": dossier, "decided_by": "T01", "decision_date": on(16), "admitted": True, "decision_number": "88-QĐ/TU",
    }))
    await _eventually(world, "canbo.a", "dossiers", "dossier", dossier, lambda d: d["step"] == "awaiting_ceremony")
    await _ok(await world.command("bithu.a1", "voting", "record_cell_notified", {"dossier_id": dossier, "received_on": on(17)}))
    await _eventually(world, "canbo.a", "dossiers", "dossier", dossier,
                      lambda d: (d.get("admission") or {}).get("received_by_cell_on") == on(17))
    return dossier


async def on_probation_long_ago(world: World, name: str, citizen_id: str) -> str:
    """A dossier of CB-A1 admitted and sworn in more than 12 months ago (the ceremony 460 days
    ago), its member history filed and its new-member class done: the recognition papers are due."""
    start = today() - timedelta(days=480)
    dossier = await decided_long_ago(world, name, citizen_id, 480)

    def on(days: int) -> str:
        return (start + timedelta(days=days)).isoformat()

    for command, body in (
        ("record_ceremony", {"held_on": on(20), "helper_citizen_id": HELPERS["CB-A1"]}),
        ("file_member_history", {"filed_on": on(25)}),
        ("record_new_member_class", {"certificate_number": "5/GCN-ĐVM", "issued_on": on(60), "issued_by": "Trung tâm chính trị"}),
    ):
        await _ok(await world.command("bithu.a1", "dossiers", command, {"dossier_id": dossier, **body}))
    return dossier
