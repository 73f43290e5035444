"""A report asked for a wrong period names the field the user gave (`year` or `term`) and says what
to give in Vietnamese, with no CLI flag in the API's words."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.gateway.world import World

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.parametrize(("period", "field", "said"), [
    ({}, "year", "Chọn đúng một kỳ báo cáo: một năm (ví dụ 2025) hoặc một nhiệm kỳ (ví dụ 2020-2025)."),
    ({"year": 2025, "term": "2020-2025"}, "term",
     "Chọn đúng một kỳ báo cáo: một năm (ví dụ 2025) hoặc một nhiệm kỳ (ví dụ 2020-2025), không chọn cả hai."),
    ({"term": "2025"}, "term", "Nhiệm kỳ viết dạng 2020-2025"),
    ({"term": "2025-2020"}, "term", "Nhiệm kỳ phải có năm kết thúc sau năm bắt đầu, ví dụ 2020-2025"),
])
async def test_a_wrong_period_names_the_field_given(world: World, period: dict[str, Any], field: str, said: str) -> None:
    response = await world.query("bantochuc", "reporting", "quota", {"organisation": "DU-A", **period})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["code"], error["details"]["field"]) == ("validation", field), error
    assert error["message"] == said
    assert "--" not in error["message"]
