"""A personal-history correction after certification is verified again (issue 18): verification reads
`PersonalHistoryCorrected`, withdraws the certification, adds the relatives the correction brings,
and the grassroots committee certifies the corrected history once they are answered."""

from __future__ import annotations

from typing import Any

from ketnap.platform.envelope import EventMetadata, NewEvent
from tests.conftest import eventually
from tests.integration.verification.conftest import World
from tests.unit.verification.declared import declared, relative


async def _correct(world: World, dossier_id: str, version: int, *relatives: dict[str, Any]) -> None:
    data = declared(*relatives, dossier_id=dossier_id)
    data.pop("declared_on")
    corrected = {**data, "reason": "Bổ sung người thân", "corrected_on": "2025-10-15",
                 "qualifications": {"general_education": "upper_secondary", "professional_qualification": "university",
                                    "youth_union_member": True, "youth_union_exists": True, "area_exemption": None,
                                    "village_elder_or_head": False}}
    await world.source_store.append(
        f"dossier-{dossier_id}", version, [NewEvent(event_type="PersonalHistoryCorrected", data=corrected)],
        EventMetadata(actor="dossiers", organisation="CB-01"),
    )


async def test_a_history_corrected_after_certification_is_verified_and_certified_again(world: World) -> None:
    dossier_id, case = await world.opened(relative("f", "father"))
    for subject in case["missing"]:
        await world.send(dossier_id, subject)
        assert (await world.answer(dossier_id, subject))["ok"]
    first = await world.command("certify_history", dossier_id=dossier_id, certified_by="DU-01", certified_on="2025-10-01")
    assert first["ok"], first

    await _correct(world, dossier_id, 1, relative("f", "father"), relative("m", "mother"))

    async def reopened() -> dict[str, Any] | None:
        reply = (await world.query("case", dossier_id=dossier_id))["result"]
        return reply if reply["status"] != "certified" else None

    case = await eventually(reopened)
    assert case["missing"] == ["m"]  # the mother the correction added; the earlier replies stand
    early = await world.command("certify_history", dossier_id=dossier_id, certified_by="DU-01", certified_on="2025-10-20")
    assert early["error"]["code"] == "rule:VERIFY_COMPLETE", early
    await world.send(dossier_id, "m", sent_on="2025-10-16")
    assert (await world.answer(dossier_id, "m", replied_on="2025-10-18"))["ok"]
    again = await world.command("certify_history", dossier_id=dossier_id, certified_by="DU-01", certified_on="2025-10-20")
    assert again["ok"], again
    types = [e.event_type for e in await world.events(dossier_id)]
    assert types.count("HistoryCertified") == 2 and "HistoryCorrectionReceived" in types


async def test_a_correction_before_certification_that_adds_nobody_changes_nothing(world: World) -> None:
    dossier_id, _ = await world.opened(relative("f", "father"))
    before = len(await world.events(dossier_id))
    await _correct(world, dossier_id, 1, relative("f", "father"))
    marker, _ = await world.opened(relative("f", "father"))  # a later declaration: once its case is open, the correction was read
    assert marker and len(await world.events(dossier_id)) == before
