"""Dossiers begun on paper taken over from the web's import page stay within the person's scope
(plain HTTP, every real service): a board of one commune (DU-B) that uploads a dossier of another
commune's cell (CB-A1) gets that row refused under its column, with the access table's code, and
nothing is judged or written; a user of another login cannot read the job's page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from ketnap.domain.spreadsheet import records_of
from ketnap.services.gateway.paper_dossiers import check_rows, dossier_id_of
from tests.conftest import eventually
from tests.integration.gateway.webclient import PASSWORD, WebClient, csrf_of, visible_text
from tests.integration.gateway.world import HELPERS, World
from tests.web.people import today

pytestmark = pytest.mark.asyncio(loop_scope="session")

BOARD_B = "bantochuc.b"


@pytest.fixture(scope="module")
async def board_b(world: World) -> str:
    await world.operator("create_user", login=BOARD_B, display_name="Ban tổ chức B", role="organisation_board", organisation="DU-B")
    await world.set_password(BOARD_B, PASSWORD)
    await world.set_password("bantochuc", PASSWORD)
    return BOARD_B


@pytest.fixture
async def as_board_b(world: World, board_b: str) -> AsyncIterator[WebClient]:
    client = WebClient(world)
    await client.sign_in(board_b)
    yield client
    await client.close()


async def test_a_board_cannot_take_over_a_dossier_of_a_cell_outside_its_subtree(world: World, as_board_b: WebClient) -> None:
    opened = today() - timedelta(days=10)
    csv = (
        "Loại dòng,Số CCCD,Họ và tên,Chi bộ,Người giúp đỡ,Ngày vào danh sách cảm tình,Bước hiện tại\n"
        f"hồ sơ đang làm,001097000091,Đào Văn Ngoài,CB-A1,{HELPERS['CB-A1']},{opened:%d/%m/%Y},trong danh sách cảm tình Đảng\n"
    )
    page = await as_board_b.get("/to-chuc/DU-B/nhap")
    sent = await as_board_b.http.post(
        "/to-chuc/DU-B/nhap", data={"csrf": csrf_of(page.text), "buoc": "kiem-tra"},
        files={"tep": ("ho-so.csv", csv.encode(), "text/csv")},
    )
    assert sent.status_code == 303, visible_text(sent.text)
    job = sent.headers["location"]
    assert job.startswith("/to-chuc/DU-B/nhap/ho-so/")

    async def finished() -> str | None:
        answer = await as_board_b.get(job)
        text = visible_text(answer.text)
        return text if answer.status_code == 422 else None

    text = await eventually(finished, timeout=60, interval=0.5)
    assert "có 1 lỗi; chưa ghi gì" in text
    assert "3 Chi bộ" not in text and "2 Chi bộ" in text and "forbidden" in text, text  # line 2, the cell's column, the code
    other = WebClient(world)
    try:
        await other.sign_in("bantochuc")
        assert (await other.get(job)).status_code == 404  # a job is its login's own
    finally:
        await other.close()
    (_, row), = check_rows(records_of(csv.encode(), "ho-so.csv")[0])[0]
    asked = await world.query("bantochuc", "dossiers", "dossier", {"dossier_id": dossier_id_of(row)})
    assert asked.status_code == 404, asked.text  # nothing written
