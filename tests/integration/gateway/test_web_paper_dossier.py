"""A dossier taken over from paper (issue 18) through the HTTP API, as the organisation board sends it:
the dossier page and its timeline say it was taken over (tiếp nhận từ hồ sơ giấy); a cell secretary
may not take one over, and a date before every rule set is refused with NO_RULE_SET."""

from __future__ import annotations

import pytest

from tests.integration.gateway.webclient import PASSWORD, WebClient, visible_text
from tests.integration.gateway.world import HELPERS, World, new_citizen_id

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _paper(citizen_id: str, opened_on: str = "2025-03-01") -> dict[str, str]:
    return {"cell": "CB-A1", "citizen_id": citizen_id, "full_name": "Đinh Văn Giấy", "opened_on": opened_on,
            "helper_citizen_id": HELPERS["CB-A1"], "step": "source_list"}


async def test_a_dossier_taken_over_from_paper_says_so_on_its_page(world: World) -> None:
    answer = await world.command("bantochuc", "dossiers", "take_over_dossier", _paper(new_citizen_id()))
    assert answer.status_code == 200, answer.text
    dossier_id = answer.json()["result"]["dossier_id"]
    await world.set_password("bantochuc", PASSWORD)
    browser = WebClient(world)
    try:
        await browser.sign_in("bantochuc")
        page = await browser.get(f"/ho-so/{dossier_id}")
        assert page.status_code == 200
        text = visible_text(page.text)
        assert "Nguồn hồ sơ Tiếp nhận từ hồ sơ giấy" in text and "bước «Trong danh sách cảm tình Đảng»" in text, text
    finally:
        await browser.close()


async def test_no_rule_set_and_the_role_a_take_over_needs(world: World) -> None:
    refused = await world.command("bantochuc", "dossiers", "take_over_dossier", _paper(new_citizen_id(), "2011-10-31"))
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "rule:NO_RULE_SET", refused.text
    assert refused.json()["error"]["message"].startswith("[NO_RULE_SET] Ngày 31/10/2011:")
    cell = await world.command("bithu.a1", "dossiers", "take_over_dossier", _paper(new_citizen_id()))
    assert cell.status_code == 403, cell.text
