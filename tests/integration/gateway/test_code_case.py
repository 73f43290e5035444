"""Organisation codes are one unit whatever their case (issue 23, ORG_CODE_UNIQUE): a unit `cb-a1`
beside `CB-A1` is refused, and every lookup by code (the operator's `ketnap users add --org`, the
API, the web) finds the unit typed in any case and answers with the code as stored."""

from __future__ import annotations

import uuid

import pytest

from ketnap.platform.bus import subjects
from tests.integration.gateway.webclient import PASSWORD, WebClient, signed_in_as, visible_text
from tests.integration.gateway.world import HELPERS, World, new_citizen_id

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_code_that_differs_only_in_case_is_refused_with_its_rule(world: World) -> None:
    before = await world.heads()
    response = await world.command("bantochuc", "registry", "establish_organisation", {
        "code": "cb-a1", "name": "Chi bộ trùng mã", "kind": "cell", "parent": "DU-A", "effective_from": "2020-01-01",
    })
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "conflict" and error["details"]["rule"] == "ORG_CODE_UNIQUE"
    assert error["message"] == (
        "[ORG_CODE_UNIQUE] Mã tổ chức cb-a1 trùng với mã CB-A1 đã có (mã tổ chức không phân biệt chữ hoa, chữ thường); "
        "hãy chọn mã khác."
    )
    after = await world.heads()
    assert after["registry"] == before["registry"], "nothing recorded"


async def test_a_code_taken_in_the_same_case_is_refused_by_the_same_rule(world: World) -> None:
    response = await world.command("bantochuc", "registry", "establish_organisation", {
        "code": "CB-A1", "name": "Chi bộ trùng mã", "kind": "cell", "parent": "DU-A", "effective_from": "2020-01-01",
    })
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert (error["code"], error["details"]["rule"]) == ("conflict", "ORG_CODE_UNIQUE")
    assert error["message"] == "[ORG_CODE_UNIQUE] Mã tổ chức CB-A1 đã được dùng cho một tổ chức khác; hãy chọn mã khác."


async def test_the_units_a_merge_or_a_split_names_are_found_in_any_case_and_recorded_as_stored(world: World) -> None:
    """Not only the fields the scope check reads: a split's parts (and their child units), and a
    merge's target sent over NATS, where no gateway corrected it (`registry/spelling.py`)."""
    for code in ("CB-S0", "CB-S1", "CB-S2", "CB-M0"):
        await world.registry("establish_organisation", code=code, name=f"Chi bộ {code}", kind="cell", parent="DU-A",
                             effective_from="2020-01-01")
    split = await world.command("bantochuc", "registry", "split_organisation", {
        "code": "cb-s0", "parts": [{"code": "cb-s1"}, {"code": "Cb-S2"}], "effective_from": "2024-02-01",
    })
    assert split.status_code == 200, split.text
    (*_, ended) = await world.store("registry").read_stream("organisation-CB-S0")
    assert [part["code"] for part in ended.data["parts"]] == ["CB-S1", "CB-S2"]
    merged = await world.registry("merge_organisation", code="cb-m0", into="cb-s1", effective_from="2024-03-01")
    assert merged["result"]["into"] == "CB-S1"
    unknown = await world.command("bantochuc", "registry", "split_organisation", {
        "code": "cb-s1", "parts": [{"code": "cb-s2"}, {"code": "cb-khong-co"}], "effective_from": "2024-04-01",
    })
    assert unknown.status_code == 422, unknown.text
    assert "cb-khong-co không tồn tại" in unknown.json()["error"]["message"]


async def test_the_api_finds_a_unit_typed_in_any_case_and_answers_the_stored_code(world: World) -> None:
    unit = await world.query("canbo.a", "registry", "organisation", {"code": "cb-a1", "on": "2025-10-01"})
    assert unit.status_code == 200, unit.text
    assert unit.json()["result"]["code"] == "CB-A1"
    # A command naming the cell in lower case is in scope, and is recorded with the stored code.
    opened = await world.command("canbo.a", "dossiers", "open_dossier", {
        "cell": "cb-a1", "citizen_id": new_citizen_id(), "full_name": "Đinh Văn Bình", "opened_on": "2025-09-01",
        "helper_citizen_id": HELPERS["CB-A1"],
    })
    assert opened.status_code == 200, opened.text
    dossier_id = opened.json()["result"]["dossier_id"]
    (first, *_) = await world.store("dossiers").read_stream(f"dossier-{dossier_id}")
    assert first.data["cell"] == "CB-A1"
    # Out of scope stays out of scope in any case.
    elsewhere = await world.query("canbo.a", "reporting", "pipeline", {"organisation": "cb-b1"})
    assert elsewhere.status_code == 403, elsewhere.text
    report = await world.query("canbo.a", "reporting", "pipeline", {"organisation": "du-a"})
    assert report.status_code == 200 and report.json()["result"]["code"] == "DU-A", report.text


async def test_a_user_added_for_a_code_in_another_case_belongs_to_the_stored_unit(world: World) -> None:
    """`ketnap users add ... --org` sends the operator's create_user; the user is of the unit as stored."""
    await world.operator("create_user", login="bithu.a2.thuong", display_name="Bí thư viết thường", role="cell_secretary", organisation="cb-a2")
    reply = await world.request(subjects.query_subject(world.name("gateway"), "users"), {"organisation": "CB-A2"})
    assert reply["ok"], reply
    assert [u["organisation"] for u in reply["result"]["users"] if u["login"] == "bithu.a2.thuong"] == ["CB-A2"]
    unknown = await world.operator_reply("create_user", login="bithu.khong", display_name="Không có", role="cell_secretary", organisation="cb-nope")
    assert unknown["error"]["code"] == "not_found", unknown


async def test_the_web_page_of_a_unit_typed_in_lower_case(world: World) -> None:
    await world.set_password("bantochuc", PASSWORD)
    client = WebClient(world)
    try:
        await client.sign_in("bantochuc")
        page = await client.get("/to-chuc/du-a")
        assert page.status_code == 200, page.text[:500]
        assert "Tổ chức DU-A" in page.text
    finally:
        await client.close()


async def test_a_dossier_transferred_to_a_cell_typed_in_lower_case_records_the_stored_code(world: World) -> None:
    """`to_cell` is not checked for scope (the receiving cell may be anyone's): the dossiers service
    records it as the registry stores it, or the reports would count the dossier under no unit."""
    dossier_id = await world.open_dossier("canbo.a", "CB-A1")
    moved = await world.command("canbo.a", "dossiers", "transfer", {"dossier_id": dossier_id, "on": "2025-09-10", "to_cell": "cb-a2"})
    assert moved.status_code == 200, moved.text
    (*_, transferred) = await world.store("dossiers").read_stream(f"dossier-{dossier_id}")
    assert (transferred.event_type, transferred.data["to_cell"]) == ("DossierTransferred", "CB-A2")


async def test_the_establish_form_shows_a_code_taken_beside_the_code_with_its_rule(world: World) -> None:
    async with signed_in_as(world, "bantochuc") as client:
        path = "/to-chuc/DU-A/viec/thanh-lap-to-chuc"
        fields = await client.form(path)
        typed = {"code": "cb-a2", "name": "Chi bộ trùng mã", "kind": "cell", "effective_from": "01/01/2020"}
        answer = await client.post(path, {**fields, **typed})
    assert answer.status_code == 409, answer.text[:500]
    said = ("Mã tổ chức cb-a2 trùng với mã CB-A2 đã có (mã tổ chức không phân biệt chữ hoa, chữ thường); hãy chọn mã khác. "
            "(quy định ORG_CODE_UNIQUE).")
    assert said in visible_text(answer.text)
    assert 'id="f-code-loi"' in answer.text, "beside the code's field"


async def test_a_new_units_code_typed_in_lower_case_is_stored_in_capitals(world: World) -> None:
    """Codes are written in capitals (README): a unit founded as `cb-moi` is the unit `CB-MOI`, and
    found in any case afterwards."""
    response = await world.command("bantochuc", "registry", "establish_organisation", {
        "code": "cb-moi", "name": "Chi bộ mới", "kind": "cell", "parent": "du-a", "effective_from": "2020-01-01",
    })
    assert response.status_code == 200, response.text
    (established, *_) = await world.store("registry").read_stream("organisation-CB-MOI")
    assert (established.data["code"], established.data["parent"]) == ("CB-MOI", "DU-A")
    assert await world.store("registry").read_stream("organisation-cb-moi") == []
    unit = await world.query("bantochuc", "registry", "organisation", {"code": "Cb-Moi", "on": "2025-10-01"})
    assert unit.status_code == 200 and unit.json()["result"]["code"] == "CB-MOI", unit.text


async def test_a_dossier_opened_over_nats_for_a_cell_in_lower_case_records_the_stored_cell(world: World) -> None:
    """No gateway corrects a command sent straight to the dossiers service: the service records the
    cell as the registry answers it (`unit_kind`)."""
    reply = await world.request(subjects.command_subject(world.name("dossiers"), "open_dossier"), {
        "idempotency_key": str(uuid.uuid4()), "actor": "seed", "scope": "T01",
        "cell": "cb-a1", "citizen_id": new_citizen_id(), "full_name": "Đinh Thị Lan", "opened_on": "2025-09-01",
        "helper_citizen_id": HELPERS["CB-A1"],
    })
    assert reply["ok"], reply
    (first, *_) = await world.store("dossiers").read_stream(f"dossier-{reply['result']['dossier_id']}")
    assert first.data["cell"] == "CB-A1"
