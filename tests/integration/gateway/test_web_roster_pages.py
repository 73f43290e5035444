"""A unit's roster pages like the dossier list (issue 20): a cell of thousands is shown a page at a
time, with the counts of the whole roster, where the page is, and links to the others; the API's
`registry.members` pages the same way when asked (`page`, `page_size`), and answers the whole
roster when not (the forms' pickers)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from tests.integration.gateway.webclient import WebClient, signed_in_as, visible_text
from tests.integration.gateway.world import World, new_citizen_id

pytestmark = pytest.mark.asyncio(loop_scope="session")

MEMBERS = 57  # more than a page of the roster (50): two pages
ROW = re.compile(r"<tr><td>Đảng viên Trang (\d+)</td>")


@pytest.fixture(scope="module")
async def big_cell(world: World) -> str:
    await world.registry("establish_organisation", code="CB-P1", name="Chi bộ đông", kind="cell", parent="DU-A", effective_from="2005-01-01")
    for n in range(MEMBERS):
        await world.registry("register_member", citizen_id=new_citizen_id(), full_name=f"Đảng viên Trang {n:02d}", organisation="CB-P1",
                             kind="official" if n % 3 else "probationary", effective_from="2015-01-01")
    return "CB-P1"


@pytest.fixture
async def as_board(world: World) -> AsyncIterator[WebClient]:
    async with signed_in_as(world, "bantochuc") as client:
        yield client


async def test_the_api_answers_a_page_of_the_roster_with_where_it_is(world: World, big_cell: str) -> None:
    first = (await world.query("bantochuc", "registry", "members", {"organisation": big_cell, "on": "2025-01-01", "page": 2, "page_size": 50})).json()
    assert first["ok"], first
    result = first["result"]
    assert (result["total"], result["page"], result["pages"], len(result["members"])) == (MEMBERS, 2, 2, MEMBERS - 50)
    assert result["counts"] == {"official": 38, "probationary": 19, "hosted": 0}
    whole = (await world.query("bantochuc", "registry", "members", {"organisation": big_cell, "on": "2025-01-01"})).json()["result"]
    assert len(whole["members"]) == MEMBERS and "pages" not in whole


async def test_the_members_page_shows_a_page_at_a_time_and_leads_to_the_next(big_cell: str, as_board: WebClient) -> None:
    page = await as_board.get(f"/to-chuc/{big_cell}/dang-vien")
    assert page.status_code == 200, page.text[:500]
    first = ROW.findall(page.text)
    text = visible_text(page.text)
    assert len(first) == 50
    assert "38 đảng viên chính thức, 19 đảng viên dự bị; trang 1/2, người 1–50." in text
    assert "Trang 1 trên 2" in text and 'href="/to-chuc/CB-P1/dang-vien?trang=2"' in page.text
    second = await as_board.get(f"/to-chuc/{big_cell}/dang-vien?trang=2")
    rest = ROW.findall(second.text)
    assert len(rest) == MEMBERS - 50 and not set(first) & set(rest)
    assert 'rel="prev" href="/to-chuc/CB-P1/dang-vien?trang=1"' in second.text


async def test_a_page_past_the_end_says_so_and_leads_to_the_last(big_cell: str, as_board: WebClient) -> None:
    page = await as_board.get(f"/to-chuc/{big_cell}/dang-vien?trang=9&ngay=01/06/2025")
    assert page.status_code == 200
    assert "Trang 9 không có đảng viên nào: kết quả chỉ có 2 trang." in visible_text(page.text)
    assert "ngay=01%2F06%2F2025&amp;trang=2" in page.text  # the day chosen is kept
