"""A tree change racing a roster change of the same unit (issue 18): the registry decides and appends
its commands in one turn (reactions.TREE_TURN), so of a dissolution and a member joining or being
transferred into the unit, one succeeds and the other is refused naming why; never a member on the
roster of a dissolved unit."""

from __future__ import annotations

import asyncio

from tests.integration.registry.conftest import Registry
from tests.integration.registry.test_commands import small_tree

ROUNDS = 4


async def _member_of(r: Registry, citizen_id: str, on: str) -> str | None:
    reply = await r.query("member", citizen_id=citizen_id, on=on)
    return reply["result"]["organisation"] if reply["ok"] else None


async def _ended(r: Registry, code: str) -> bool:
    return any(e.event_type == "OrganisationDissolved" and e.data["code"] == code for e in await r.log())


async def test_a_dissolution_and_a_member_joining_the_unit_at_once_one_wins(province: Registry) -> None:
    r = province
    await small_tree(r)
    for n in range(ROUNDS):
        cell, citizen_id = f"CX{n}", f"00120300{n:04d}"
        await r.ok("establish_organisation", code=cell, name=f"Chi bộ {cell}", kind="cell", parent="G1", effective_from="2020-01-01")
        dissolved, joined = await asyncio.gather(
            r.command("dissolve_organisation", code=cell, effective_from="2024-03-01", reason="Sáp xếp lại"),
            r.command("register_member", citizen_id=citizen_id, full_name="Trần Văn Đua", organisation=cell, kind="official",
                      effective_from="2024-03-01"),
        )
        assert [dissolved["ok"], joined["ok"]].count(True) == 1, (dissolved, joined)
        loser = joined if dissolved["ok"] else dissolved
        assert loser["error"]["code"] in {"validation", "conflict", "rule:DISSOLVE_EMPTY"} and loser["error"]["message"], loser
        on_roster = await _member_of(r, citizen_id, "2024-03-02")
        assert (on_roster, await _ended(r, cell)) in {(cell, False), (None, True)}


async def test_a_dissolution_and_a_transfer_into_the_unit_at_once_one_wins(province: Registry) -> None:
    r = province
    await small_tree(r)
    for n in range(ROUNDS):
        cell, citizen_id = f"CY{n}", f"00120310{n:04d}"
        await r.ok("establish_organisation", code=cell, name=f"Chi bộ {cell}", kind="cell", parent="G1", effective_from="2020-01-01")
        await r.ok("register_member", citizen_id=citizen_id, full_name="Lê Thị Chuyển", organisation="C1", kind="official",
                   effective_from="2020-01-01")
        dissolved, moved = await asyncio.gather(
            r.command("dissolve_organisation", code=cell, effective_from="2024-03-01", reason="Sáp xếp lại"),
            r.command("transfer_member", citizen_id=citizen_id, transfer="official", to_organisation=cell, effective_from="2024-03-01"),
        )
        assert [dissolved["ok"], moved["ok"]].count(True) == 1, (dissolved, moved)
        on_roster = await _member_of(r, citizen_id, "2024-03-02")
        assert (on_roster, await _ended(r, cell)) in {(cell, False), ("C1", True)}
