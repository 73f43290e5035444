"""The member-record cross-check against the real registry service (services/registry), seeded
through its own NATS commands: the verification service asks `membership` over the bus."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import asyncpg
import pytest

from tests.integration.verification.conftest import RealRegistry, World, start_world
from tests.servers import Servers
from tests.unit.verification.declared import member

OFFICIAL = "001170000021"
PROBATIONARY = "001170000022"
UNREGISTERED = "001170000023"


@pytest.fixture(scope="module")
async def world(pool: asyncpg.Pool, servers: Servers, database_url: str) -> AsyncIterator[World]:
    async with AsyncExitStack() as stack:
        world = await start_world(stack, pool, servers, database_url, real_registry=True)
        registry = world.registry
        assert isinstance(registry, RealRegistry)
        for code, kind, parent in (
            ("T01", "province", None), ("DU-HT", "grassroots_committee", "T01"),
            ("CB-MEMBER", "cell", "DU-HT"), ("CB-OTHER", "cell", "DU-HT"),
        ):
            await registry.ok(
                "establish_organisation", code=code, name=f"Tổ chức {code}", kind=kind, parent=parent, effective_from="2005-01-01"
            )
        await registry.ok(
            "register_member", citizen_id=OFFICIAL, full_name="Trần Văn Mười", organisation="CB-MEMBER", kind="official",
            effective_from="2012-05-19",
        )
        await registry.ok(
            "register_member", citizen_id=PROBATIONARY, full_name="Lê Thị Hai", organisation="CB-MEMBER", kind="probationary",
            effective_from="2025-06-01", admitted_on="2025-06-01",
        )
        yield world


async def close(world: World, dossier_id: str, subject_id: str, checked_on: str = "2025-09-05", **fields: str) -> dict:
    return await world.command("close_by_member_record", dossier_id=dossier_id, subject_id=subject_id, checked_on=checked_on, **fields)


async def test_official_and_probationary_members_close_their_subjects_against_the_member_file(world: World) -> None:
    dossier_id, _ = await world.opened(member("f", "father", citizen_id=OFFICIAL), member("m", "mother", citizen_id=PROBATIONARY))
    assert (await close(world, dossier_id, "f"))["ok"]
    # A member of a cell is a member of every unit above it.
    assert (await close(world, dossier_id, "m", organisation="DU-HT"))["ok"]
    kinds = {e.data["subject_id"]: e.data["member_kind"] for e in await world.events(dossier_id) if e.event_type == "MemberRecordCrossChecked"}
    assert kinds == {"f": "official", "m": "probationary"}
    case = (await world.query("case", dossier_id=dossier_id))["result"]
    assert case["missing"] == ["applicant"]


async def test_the_registry_decides_who_is_not_a_member_there_on_that_day(world: World) -> None:
    dossier_id, _ = await world.opened(
        member("u", "father", citizen_id=UNREGISTERED), member("m", "mother", citizen_id=OFFICIAL),
    )
    unregistered = await close(world, dossier_id, "u")
    elsewhere = await close(world, dossier_id, "m", organisation="CB-OTHER")
    before_joining = await close(world, dossier_id, "m", checked_on="2012-01-02")
    unknown_unit = await close(world, dossier_id, "m", organisation="CB-KHONG-CO")
    for reply in (unregistered, elsewhere, before_joining):
        assert reply["error"]["code"] == "validation" and reply["error"]["details"]["reason"] == "not_a_member", reply
    assert unknown_unit["error"]["details"]["reason"] == "unknown_organisation", unknown_unit
    assert len(await world.events(dossier_id)) == 2


async def test_the_organisation_typed_in_lower_case_is_recorded_as_the_registry_stores_it(world: World) -> None:
    """Sent over NATS, where no gateway corrects it: the registry's `membership` answers the stored code."""
    dossier_id, _ = await world.opened(member("f", "father", citizen_id=OFFICIAL))
    assert (await close(world, dossier_id, "f", organisation="du-ht"))["ok"]
    (checked,) = [e for e in await world.events(dossier_id) if e.event_type == "MemberRecordCrossChecked"]
    assert checked.data["organisation"] == "DU-HT"
    (replied,) = [e for e in await world.events(dossier_id) if e.event_type == "VerificationReplyRecorded"]
    assert replied.data["responding_organisation"] == "DU-HT"
