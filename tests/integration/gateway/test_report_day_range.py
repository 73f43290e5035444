"""A report asked about a day out of range (01/01/0001, before the party was founded, before anything
was recorded of the unit) is refused naming the day's field in Vietnamese, in the API and on the
page: never a 404 "no such unit" (the unit exists today) nor a 500."""

from __future__ import annotations

import pytest

from tests.integration.gateway.webclient import signed_in_as, visible_text
from tests.integration.gateway.world import World

pytestmark = pytest.mark.asyncio(loop_scope="session")

@pytest.mark.parametrize("field", ["on", "as_of", "as_recorded"])
@pytest.mark.parametrize("report", ["quota", "pipeline"])
async def test_a_day_before_the_party_was_founded_is_refused_naming_the_field(world: World, report: str, field: str) -> None:
    response = await world.query("bantochuc", "reporting", report, {"organisation": "DU-A", "year": 2024, field: "0001-01-01"})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    (problem,) = error["details"]["problems"]
    assert problem["field"] == field
    assert problem["detail"] == "Ngày 01/01/0001 trước ngày thành lập Đảng (03/02/1930): hãy chọn ngày từ đó trở đi"


@pytest.mark.parametrize(("field", "day", "shown"), [("as_of", "1990-01-01", "01/01/1990"), ("as_recorded", "1930-02-03", "03/02/1930")])
async def test_a_moment_before_anything_was_recorded_of_the_unit_names_the_moment(world: World, field: str, day: str, shown: str) -> None:
    response = await world.query("bantochuc", "reporting", "white_zones", {"organisation": "DU-A", field: day})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["code"], error["details"]["field"]) == ("validation", field)
    assert error["message"] == f"Đến ngày {shown} hệ thống chưa ghi nhận gì về tổ chức đảng DU-A: hãy chọn ngày ghi nhận muộn hơn."


@pytest.mark.parametrize(("typed", "said"), [
    ("01/01/0001", "Ngày báo cáo phải từ ngày thành lập Đảng (03/02/1930) trở đi."),
    ("01/01/1990", "Ngày 01/01/1990 đơn vị của bạn chưa được thành lập; hãy chọn ngày muộn hơn."),
])
async def test_the_report_page_shows_an_out_of_range_day_on_its_field(world: World, typed: str, said: str) -> None:
    async with signed_in_as(world, "bantochuc") as client:
        page = await client.get(f"/bao-cao/chi-tieu?don-vi=T01&ky=nam&nam=2024&ngay={typed}")
    assert page.status_code == 422, page.text[:500]
    assert said in visible_text(page.text)
    assert 'id="ngay-loi"' in page.text


@pytest.mark.parametrize("page", ["/to-chuc/DU-A", "/to-chuc/DU-A/dang-vien"])
async def test_the_organisation_pages_say_a_day_before_the_party_was_founded_and_show_today(world: World, page: str) -> None:
    async with signed_in_as(world, "bantochuc") as client:
        shown = await client.get(f"{page}?ngay=01/01/0001")
    assert shown.status_code == 200, shown.text[:500]  # as for a typed day that is not one: said, and today shown
    assert "Ngày xem phải từ ngày thành lập Đảng (03/02/1930) trở đi." in visible_text(shown.text)
