"""Finding a dossier through the gateway: `dossiers.search` scoped like every read, only for roles
that may read personal data, recorded as one personal read; `dossiers.progress` for screens that poll,
not recorded."""

from __future__ import annotations

import pytest

from ketnap.services.gateway import events as ev
from tests.integration.gateway.world import HELPERS, World

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _open(world: World, login: str, cell: str, name: str, citizen_id: str) -> str:
    response = await world.command(login, "dossiers", "open_dossier", {
        "cell": cell, "citizen_id": citizen_id, "full_name": name, "opened_on": "2025-09-01", "helper_citizen_id": HELPERS[cell],
    })
    assert response.status_code == 200, response.text
    return response.json()["result"]["dossier_id"]


@pytest.fixture(scope="module")
async def dossiers(world: World) -> dict[str, str]:
    return {
        "an": await _open(world, "canbo.a", "CB-A1", "Nguyễn Văn Ân", "001097000011"),
        "binh": await _open(world, "canbo.a", "CB-A2", "Lê Thị Bình", "001097000012"),
        "other": await _open(world, "canbo.b", "CB-B1", "Nguyễn Văn Ân", "001097000013"),
    }


async def _searches(world: World, login: str) -> list[dict]:
    return [e.data for e in await world.store("gateway").read_stream(ev.searches_stream(login))]


async def test_a_search_finds_an_accented_name_typed_without_accents_in_the_users_subtree_only(world: World, dossiers: dict[str, str]) -> None:
    answer = await world.query("canbo.a", "dossiers", "search", {"name": "nguyen van an"})
    assert answer.status_code == 200, answer.text
    found = answer.json()["result"]["dossiers"]
    assert [d["dossier_id"] for d in found] == [dossiers["an"]]  # DU-B's namesake is out of reach
    assert found[0]["full_name"] == "Nguyễn Văn Ân" and found[0]["citizen_id"] == "001097000011"
    by_id = await world.query("bantochuc", "dossiers", "search", {"citizen_id": "001097000013"})
    assert [d["dossier_id"] for d in by_id.json()["result"]["dossiers"]] == [dossiers["other"]]  # the province sees both communes


async def test_a_search_is_one_personal_read_naming_the_dossiers_shown_and_never_what_was_typed(world: World, dossiers: dict[str, str]) -> None:
    before = len(await _searches(world, "bantochuc"))
    answer = await world.query("bantochuc", "dossiers", "search", {"name": "nguyen van an"})
    assert answer.status_code == 200
    recorded = await _searches(world, "bantochuc")
    assert len(recorded) == before + 1
    last = recorded[-1]
    assert sorted(last["dossier_ids"]) == sorted([dossiers["an"], dossiers["other"]])
    assert (last["organisation"], last["by_name"], last["by_citizen_id"], last["read"]) == ("T01", True, False, "dossiers.search")
    assert "nguyen" not in str(last).lower() and "Ân" not in str(last)


async def test_a_search_is_refused_outside_the_subtree_and_to_roles_that_may_not_read_personal_data(world: World, dossiers: dict[str, str]) -> None:
    heads = await world.heads()
    outside = await world.query("bithu.a1", "dossiers", "search", {"organisation": "DU-A"})
    assert outside.status_code == 403
    admin = await world.query("quantri", "dossiers", "search", {"name": "nguyen"})
    assert admin.status_code == 403 and "Quản trị hệ thống" in admin.json()["error"]["message"]
    assert await world.heads() == heads  # nothing recorded for a refused read


async def test_the_progress_of_a_dossier_is_not_a_personal_read(world: World, dossiers: dict[str, str]) -> None:
    reads = ev.reads_stream(dossiers["an"])
    before = len(await world.store("gateway").read_stream(reads))
    status = await world.query("bithu.a1", "dossiers", "progress", {"dossier_id": dossiers["an"]})
    assert status.status_code == 200, status.text
    result = status.json()["result"]
    assert (result["step"], result["stream_version"]) == ("source_list", 1)
    assert "full_name" not in result and "citizen_id" not in result
    assert len(await world.store("gateway").read_stream(reads)) == before
    full = await world.query("bithu.a1", "dossiers", "dossier", {"dossier_id": dossiers["an"]})
    assert full.status_code == 200
    assert len(await world.store("gateway").read_stream(reads)) == before + 1
    assert (await world.query("bithu.a2", "dossiers", "progress", {"dossier_id": dossiers["an"]})).status_code == 403
