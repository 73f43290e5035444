"""Every read of a personal history (the dossier, the verification case) is on the gateway's log
before the answer leaves, and that record says who read what, never anything about the applicant."""

from __future__ import annotations

import json

from ketnap.services.gateway import events as gateway_events
from tests.conftest import eventually
from tests.integration.gateway.world import World, new_citizen_id

APPLICANT = {"citizen_id": "001098077777", "full_name": "Hoàng Thị Lan"}
HISTORY = {
    "declared_on": "2025-10-10",
    "applicant": {"birth_date": "1998-03-15", "gender": "female", "ethnicity": "Tày", "religion": "Phật giáo", "occupation": "Giáo viên"},
    "relatives": [
        {"relation": "father", "full_name": "Hoàng Văn Ba", "birth_year": 1968, "residence_or_work": "Thôn Đông"},
        {"relation": "mother", "full_name": "Lý Thị Tư", "birth_year": 1970, "residence_or_work": "Thôn Đông"},
    ],
    "qualifications": {"general_education": "upper_secondary", "professional_qualification": "university", "youth_union_member": True},
}
PERSONAL = ["001098077777", "Hoàng Thị Lan", "Hoàng Văn Ba", "Lý Thị Tư", "Tày", "Phật giáo", "1998-03-15"]
"""What must never leave in a log or a refusal; each dossier's own CCCD is added as it is opened."""


async def declared_dossier(world: World) -> str:
    citizen_id = new_citizen_id()  # one open dossier a person (ONE_DOSSIER): a new person each time
    PERSONAL.append(citizen_id)
    response = await world.command("bithu.a1", "dossiers", "open_dossier", {
        **APPLICANT, "citizen_id": citizen_id, "cell": "CB-A1", "opened_on": "2025-09-01", "helper_citizen_id": "001080000001",
    })
    dossier_id = response.json()["result"]["dossier_id"]
    for name, body in (
        ("record_class_certificate", {"certificate_number": "7/GCN", "issued_on": "2025-08-01", "issued_by": "Trung tâm chính trị"}),
        ("submit_application_letter", {"submitted_on": "2025-10-01"}),
        ("declare_personal_history", HISTORY),
    ):
        reply = await world.command("bithu.a1", "dossiers", name, {"dossier_id": dossier_id, **body})
        assert reply.status_code == 200, reply.text
    return dossier_id


async def reads(world: World, dossier_id: str) -> list:
    return await world.store("gateway").read_stream(gateway_events.reads_stream(dossier_id))


async def test_reading_a_dossier_records_who_read_it_and_nothing_about_the_applicant(world: World) -> None:
    dossier_id = await declared_dossier(world)
    response = await world.query("canbo.a", "dossiers", "dossier", {"dossier_id": dossier_id})
    assert response.status_code == 200, response.text
    assert response.json()["result"]["full_name"] == "Hoàng Thị Lan"
    (read,) = await reads(world, dossier_id)
    assert read.event_type == "PersonalHistoryRead"
    assert read.data == {"dossier_id": dossier_id, "cell": "CB-A1", "reader": "canbo.a", "reader_organisation": "DU-A",
                         "role": "grassroots_staff", "read": "dossiers.dossier"}
    assert (read.actor, read.organisation) == ("canbo.a", "DU-A")
    recorded = json.dumps(read.to_json_dict(), ensure_ascii=False)
    assert not [p for p in PERSONAL if p in recorded]


async def test_reading_the_verification_case_is_recorded_too(world: World) -> None:
    dossier_id = await declared_dossier(world)

    async def case_opened() -> bool:
        return (await world.query("bithu.a1", "verification", "case", {"dossier_id": dossier_id})).status_code == 200

    await eventually(case_opened, timeout=30)
    inspected = await world.query("kiemtra", "verification", "case", {"dossier_id": dossier_id})
    assert inspected.status_code == 200, inspected.text
    found = [(r.data["reader"], r.data["read"]) for r in await reads(world, dossier_id)]
    assert ("kiemtra", "verification.case") in found and ("bithu.a1", "verification.case") in found


async def test_an_out_of_scope_or_failed_read_records_nothing(world: World) -> None:
    dossier_id = await declared_dossier(world)
    refused = await world.query("canbo.b", "dossiers", "dossier", {"dossier_id": dossier_id})
    assert refused.status_code == 403
    missing = await world.query("canbo.a", "dossiers", "dossier", {"dossier_id": "khong-co-ho-so"})
    assert missing.status_code == 404
    assert await reads(world, dossier_id) == []


async def test_when_the_read_cannot_be_recorded_the_data_does_not_leave(world: World) -> None:
    dossier_id = await declared_dossier(world)
    table = f"{world.name('gateway')}.events"
    async with world.pool.acquire() as conn:
        # A real refusal by the database of exactly this append.
        await conn.execute(f"ALTER TABLE {table} ADD CONSTRAINT no_reads CHECK (event_type <> 'PersonalHistoryRead') NOT VALID")
    try:
        response = await world.query("canbo.a", "dossiers", "dossier", {"dossier_id": dossier_id})
    finally:
        async with world.pool.acquire() as conn:
            await conn.execute(f"ALTER TABLE {table} DROP CONSTRAINT no_reads")
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["result"] is None and body["error"]["code"] == "unavailable"
    assert not [p for p in PERSONAL if p in response.text]
    assert await reads(world, dossier_id) == []
