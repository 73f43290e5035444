"""Scope on today's tree (docs/gateway.md, "Scope on today's tree"): a unit moved, merged or
dissolved is in the hands of whoever holds it (or what took its place) today, whatever day an act
or a read is about; a user whose own organisation has ended acts and reads no more.

Tree added here under the world's T01: communes XA-A and XA-B; cell CB-M moved from XA-A to XA-B
today; cell CB-N moving from XA-A to XA-B in 30 days; commune XA-C merged into XA-B today; and a
district HU-D whose cell CB-D1 moved to XA-B and which was dissolved on 01/07/2025 (the reform).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ketnap.domain.calendar import today_in_vietnam
from ketnap.operations.demo import organisation as demo
from ketnap.services.gateway.access import Role
from tests.integration.gateway.world import World

REFORM = "2025-07-01"
MEMBERS = {"CB-M": "001080000201", "CB-N": "001080000202", "CB-C1": "001080000203", "CB-D1": "001080000204"}
BOARDS = {"board.xa-a": "XA-A", "board.xa-b": "XA-B", "board.xa-c": "XA-C", "board.hu-d": "HU-D"}


def day(offset: int) -> str:
    return (today_in_vietnam() + timedelta(days=offset)).isoformat()


async def add_user(world: World, login: str, role: Role, organisation: str) -> None:
    await world.operator("create_user", login=login, display_name=f"Người dùng {login}", role=role.value, organisation=organisation)
    world.tokens[login] = (await world.operator("issue_token", login=login))["result"]["token"]


@pytest.fixture(scope="module")
async def changed(world: World) -> World:
    """The tree above, built and changed as the province's board does it (over NATS)."""
    committee = "grassroots_committee"
    for code, kind, parent in (("XA-A", committee, "T01"), ("XA-B", committee, "T01"), ("XA-C", committee, "T01"),
                               ("HU-D", committee, "T01"), ("CB-M", "cell", "XA-A"), ("CB-N", "cell", "XA-A"),
                               ("CB-C1", "cell", "XA-C"), ("CB-D1", "cell", "HU-D")):
        await world.registry("establish_organisation", code=code, name=f"Tổ chức {code}", kind=kind, parent=parent,
                             effective_from="2005-01-01")
    for cell, citizen_id in MEMBERS.items():
        await world.registry("register_member", citizen_id=citizen_id, full_name="Đảng viên Thử", organisation=cell, kind="official",
                             effective_from="2010-01-01")
    for login, organisation in BOARDS.items():
        await add_user(world, login, Role.ORGANISATION_BOARD, organisation)
    await add_user(world, "canbo.xa-a", Role.GRASSROOTS_STAFF, "XA-A")
    await world.registry("move_organisation", code="CB-M", parent="XA-B", effective_from=day(0))
    await world.registry("move_organisation", code="CB-N", parent="XA-B", effective_from=day(30))
    await world.registry("merge_organisation", code="XA-C", into="XA-B", effective_from=day(0))
    await world.registry("move_organisation", code="CB-D1", parent="XA-B", effective_from=REFORM)
    await world.registry("dissolve_organisation", code="HU-D", effective_from=REFORM, reason="Kết thúc hoạt động cấp huyện")
    return world


async def rename(world: World, login: str, code: str, effective_from: str, name: str):  # noqa: ANN201
    return await world.command(login, "registry", "rename_organisation", {"code": code, "name": name, "effective_from": effective_from})


def refused(response, message: str | None = None) -> None:  # noqa: ANN001
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "forbidden"
    if message:
        assert message in response.json()["error"]["message"], response.json()["error"]


async def test_a_moved_unit_is_the_new_parents_whatever_day_the_act_is_about(changed: World) -> None:
    world = changed
    before = await world.heads()
    for effective in (day(-1), "2020-01-01", day(0)):
        refused(await rename(world, "board.xa-a", "CB-M", effective, "Tên mới"))
    # A citizen-keyed act names no unit: the registry judges the member's cell on today's tree.
    refused(await world.command("canbo.xa-a", "registry", "change_member_status", {
        "citizen_id": MEMBERS["CB-M"], "status": "exempted", "effective_from": day(-1), "reason": "tuổi cao"}))
    refused(await world.query("board.xa-a", "registry", "roster", {"organisation": "CB-M", "on": day(-1)}))
    assert await world.heads() == before, "nothing written"
    renamed = await rename(world, "board.xa-b", "CB-M", day(0), "Chi bộ M")
    assert renamed.status_code == 200, renamed.text
    status = await world.command("board.xa-b", "registry", "change_member_status", {
        "citizen_id": MEMBERS["CB-M"], "status": "exempted", "effective_from": day(-1), "reason": "tuổi cao"})
    assert status.status_code == 200, status.text
    # Its past, personal data included, is read through today's authority.
    roster = await world.query("board.xa-b", "registry", "roster", {"organisation": "CB-M", "on": "2020-01-01"})
    assert roster.status_code == 200 and roster.json()["result"]["members"][0]["citizen_id"] == MEMBERS["CB-M"], roster.text


async def test_a_unit_moving_later_is_still_the_old_parents_today(changed: World) -> None:
    world = changed
    for reader, status in (("board.xa-a", 200), ("board.xa-b", 403)):
        for on in (day(0), day(31)):  # even about a day after the move: authority is today's
            answer = await world.query(reader, "registry", "roster", {"organisation": "CB-N", "on": on})
            assert answer.status_code == status, (reader, on, answer.text)
    change = {"citizen_id": MEMBERS["CB-N"], "status": "exempted", "effective_from": day(0), "reason": "ốm dài ngày"}
    refused(await world.command("board.xa-b", "registry", "change_member_status", change))
    changed_status = await world.command("canbo.xa-a", "registry", "change_member_status", change)
    assert changed_status.status_code == 200, changed_status.text


async def test_a_merged_commune_is_in_the_hands_of_the_one_it_joined(changed: World) -> None:
    world = changed
    past = await world.query("board.xa-b", "registry", "roster", {"organisation": "XA-C", "on": "2020-01-01"})
    assert past.status_code == 200, past.text
    cell = await world.query("board.xa-b", "registry", "roster", {"organisation": "CB-C1", "on": "2020-01-01"})
    assert cell.status_code == 200, cell.text
    refused(await world.query("board.xa-a", "registry", "roster", {"organisation": "XA-C", "on": "2020-01-01"}))
    # The merged commune's own users: nothing, on any day.
    message = f"Tổ chức XA-C của người dùng đã kết thúc hoạt động từ ngày {date.fromisoformat(day(0)):%d/%m/%Y}"
    refused(await world.query("board.xa-c", "registry", "roster", {"organisation": "CB-C1", "on": "2020-01-01"}), message)
    refused(await world.query("board.xa-c", "reporting", "stats", {"organisation": "XA-C", "year": 2024}), message)


async def test_a_dissolved_districts_users_neither_write_nor_read(changed: World) -> None:
    world = changed
    before = await world.heads()
    message = "Tổ chức HU-D của người dùng đã kết thúc hoạt động từ ngày 01/07/2025"
    refused(await world.query("board.hu-d", "reporting", "stats", {"organisation": "HU-D", "year": 2024}), message)
    refused(await world.query("board.hu-d", "reporting", "pipeline", {"organisation": "CB-D1"}), message)
    refused(await world.query("board.hu-d", "registry", "roster", {"organisation": "CB-D1", "on": "2025-03-01"}), message)
    refused(await world.command("board.hu-d", "registry", "change_member_status", {
        "citizen_id": MEMBERS["CB-D1"], "status": "exempted", "effective_from": "2025-03-01"}))
    refused(await rename(world, "board.hu-d", "CB-D1", "2025-03-01", "Tên cũ"))
    assert await world.heads() == before
    # The province, above it then and now, reads its past; the commune that took its cell reads the cell's.
    district = await world.query("bantochuc", "registry", "roster", {"organisation": "HU-D", "on": "2025-03-01"})
    assert district.status_code == 200, district.text
    cell = await world.query("board.xa-b", "registry", "roster", {"organisation": "CB-D1", "on": "2025-03-01"})
    assert cell.status_code == 200, cell.text
    refused(await world.query("board.xa-a", "registry", "roster", {"organisation": "CB-D1", "on": "2025-03-01"}))


async def test_the_july_2025_reform_of_the_demo_tree(changed: World) -> None:
    """The demo's Lạng Sơn tree (operations/demo/organisation.py): the district HU-CL dissolved, its
    grassroots organisations moved under three communes on 01/07/2025."""
    world = changed
    for unit in demo.UNITS:
        await world.registry("establish_organisation", scope=demo.PROVINCE, code=unit.code, name=unit.name, kind=unit.kind,
                             parent=unit.parent, effective_from=unit.established_on.isoformat())
    for move in demo.MOVES:
        await world.registry("move_organisation", scope=demo.PROVINCE, code=move.code, parent=move.parent,
                             effective_from=move.on.isoformat())
    for ended in demo.DISSOLUTIONS:
        await world.registry("dissolve_organisation", scope=demo.PROVINCE, code=ended.code, effective_from=ended.on.isoformat())
    for login, organisation in (("bt.hu-cl", demo.DISTRICT), ("bt.xa-cl", "XA-CL"), ("bt.ph-dd", "PH-DD"), ("bt.tu-ls", demo.PROVINCE)):
        await add_user(world, login, Role.ORGANISATION_BOARD, organisation)
    before_reform = {"organisation": "DB-HT", "on": "2024-05-01"}
    refused(await world.query("bt.hu-cl", "registry", "roster", before_reform), "Tổ chức HU-CL của người dùng đã kết thúc")
    refused(await rename(world, "bt.hu-cl", "DB-HT", "2024-05-01", "x"))
    refused(await world.query("bt.ph-dd", "registry", "roster", before_reform))
    for reader in ("bt.xa-cl", "bt.tu-ls"):
        answer = await world.query(reader, "registry", "roster", before_reform)
        assert answer.status_code == 200, answer.text
    district = await world.query("bt.tu-ls", "registry", "organisation", {"code": demo.DISTRICT, "on": "2024-05-01"})
    assert district.status_code == 200 and district.json()["result"]["ended"]["how"], district.text
    # XA-CL's board acts on DB-HT; PH-DD's cannot.
    renamed = await rename(world, "bt.xa-cl", "DB-HT", day(0), "Đảng bộ xã Hợp Thành (mới)")
    assert renamed.status_code == 200, renamed.text
    refused(await rename(world, "bt.ph-dd", "DB-HT", day(0), "x"))
