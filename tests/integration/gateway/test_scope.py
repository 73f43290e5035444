"""A user acts only within their organisation's subtree: the organisations a request names and the
dossiers it touches (through each dossier's current cell). Out of scope: 403, nothing written."""

from __future__ import annotations

from tests.integration.gateway.world import HELPERS, World


async def test_a_cell_secretary_opens_dossiers_in_their_own_cell_only(world: World) -> None:
    await world.open_dossier("bithu.a1", "CB-A1")
    before = await world.heads()
    response = await world.command("bithu.a1", "dossiers", "open_dossier", {
        "cell": "CB-A2", "citizen_id": "001098012399", "full_name": "Trần Văn Nam", "opened_on": "2025-09-01",
        "helper_citizen_id": HELPERS["CB-A2"],
    })
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["code"] == "forbidden" and error["message"] == "Tổ chức CB-A2 không thuộc phạm vi quản lý của CB-A1; chưa có gì được ghi."
    assert await world.heads() == before


async def test_a_cell_secretary_cannot_act_on_another_cells_dossier(world: World) -> None:
    other = await world.open_dossier("bithu.a2", "CB-A2")
    dossiers = world.store("dossiers")
    before, stream = await world.heads(), await dossiers.read_stream(f"dossier-{other}")
    response = await world.command("bithu.a1", "dossiers", "submit_application_letter", {"dossier_id": other, "submitted_on": "2025-10-01"})
    assert response.status_code == 403, response.text
    assert response.json()["error"]["message"] == f"Hồ sơ {other} không thuộc phạm vi quản lý của CB-A1; chưa có gì được ghi."
    assert await world.heads() == before
    assert await dossiers.read_stream(f"dossier-{other}") == stream
    # Reading it is refused too, and no read is recorded.
    read = await world.query("bithu.a1", "dossiers", "dossier", {"dossier_id": other})
    assert read.status_code == 403 and read.json()["result"] is None
    assert await world.heads() == before


async def test_the_committee_above_acts_on_every_cell_below_it_and_no_further(world: World) -> None:
    mine = await world.open_dossier("bithu.a1", "CB-A1")
    letter = await world.command("canbo.a", "dossiers", "submit_application_letter", {"dossier_id": mine, "submitted_on": "2025-10-01"})
    assert letter.status_code == 200, letter.text
    assert letter.json()["ok"] is True and letter.json()["stream_version"] == 2
    before = await world.heads()
    elsewhere = await world.command("canbo.b", "dossiers", "withdraw", {"dossier_id": mine, "on": "2025-10-02"})
    assert elsewhere.status_code == 403
    assert await world.heads() == before
    # Several dossiers in one request: every one must be in scope.
    theirs = await world.open_dossier("canbo.b", "CB-B1")
    both = await world.command("canbo.a", "voting", "record_cell_resolution", {
        "dossier_ids": [mine, theirs], "cell": "CB-A1", "meeting_on": "2025-11-10", "ballots": [],
    })
    assert both.status_code == 403, both.text
    assert both.json()["error"]["message"] == f"Hồ sơ {theirs} không thuộc phạm vi quản lý của DU-A; chưa có gì được ghi."
    # One command done: its dossier and its person's reservation; its answer is kept for retries in
    # the gateway's table of answers, not in its log (docs/gateway.md).
    assert await world.heads() == {**before, "dossiers": before["dossiers"] + 2}


async def test_a_read_naming_no_organisation_is_about_the_readers_own(world: World) -> None:
    own = await world.query("bithu.a1", "voting", "deadlines", {})
    assert own.status_code == 200, own.text
    wider = await world.query("bithu.a1", "voting", "deadlines", {"organisation": "DU-A"})
    assert wider.status_code == 403
    report = await world.query("canbo.a", "reporting", "pipeline", {"organisation": "DU-A"})
    assert report.status_code == 200, report.text
    assert (await world.query("canbo.a", "reporting", "pipeline", {"organisation": "T01"})).status_code == 403


async def test_an_unknown_dossier_or_organisation_is_not_found(world: World) -> None:
    response = await world.command("canbo.a", "dossiers", "withdraw", {"dossier_id": "khong-co", "on": "2025-10-02"})
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    unknown = await world.query("canbo.a", "registry", "roster", {"organisation": "CB-ZZ", "on": "2025-10-02"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
