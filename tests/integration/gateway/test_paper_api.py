"""Dossiers begun on paper taken over through the HTTP API (issue 18): the same job as the web's
import page, started by a system with its token. A file with one refused row writes nothing and the
job lists that row's problem under the file's own column header with its rule code; the corrected
file puts the dossiers at their steps; a board's row of a cell outside its subtree is refused for
that row; a retry with the same Idempotency-Key answers the same job; another login reads 404."""

from __future__ import annotations

import asyncio
import base64
import uuid
from datetime import timedelta
from typing import Any

import openpyxl
import pytest

from ketnap.domain.spreadsheet import records_of
from ketnap.services.gateway.paper_dossiers import check_rows, dossier_id_of
from tests.conftest import eventually
from tests.integration.gateway.world import HELPERS, World, new_citizen_id
from tests.web.people import today

pytestmark = pytest.mark.asyncio(loop_scope="session")

HEADERS = ["Số CCCD", "Họ và tên", "Chi bộ", "Người giúp đỡ", "Ngày vào danh sách cảm tình", "Bước hiện tại", "Ngày làm đơn"]
BOARD_B = "bantochuc.api.b"


def workbook(tmp_path: Any, rows: list[list[Any]]) -> str:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Hồ sơ đang làm"
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    path = tmp_path / f"{uuid.uuid4()}.xlsx"
    book.save(path)
    return base64.b64encode(path.read_bytes()).decode("ascii")


async def finished(world: World, login: str, job_id: str) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        answer = await world.query(login, "gateway", "paper_take_over", {"job_id": job_id})
        assert answer.status_code == 200, answer.text
        state = answer.json()["result"]
        return state if state["finished"] else None

    return await eventually(done, timeout=120, interval=0.5)


async def test_a_file_is_taken_over_all_or_nothing_through_the_api(world: World, tmp_path: Any) -> None:
    opened = today() - timedelta(days=20)
    listed, applied = new_citizen_id(), new_citizen_id()
    good = [listed, "Lý Văn Giấy", "CB-A1", HELPERS["CB-A1"], opened, "trong danh sách cảm tình Đảng", None]
    refused = [applied, "Mai Thị Đơn", "CB-A1", HELPERS["CB-A1"], "01/06/2010", "Đã nộp đơn xin vào Đảng", "20/06/2010"]
    body = {"organisation": "T01", "file_name": "ho-so.xlsx", "content": workbook(tmp_path, [good, refused]), "dry_run": False}

    key = str(uuid.uuid4())
    started = await world.command("bantochuc", "gateway", "take_over_paper_dossiers", body, key=key)
    assert started.status_code == 202, started.text
    job_id = started.json()["result"]["job_id"]
    again = await world.command("bantochuc", "gateway", "take_over_paper_dossiers", body, key=key)
    assert (again.status_code, again.json()) == (202, started.json())  # a retry: the same job, not a second one

    state = await finished(world, "bantochuc", job_id)
    assert state["written"] == 0 and state["dossiers"] == [], state
    # line 3's two dates before every rule set, each under its column as the file heads it
    assert {(p["line"], p["column"], p["code"]) for p in state["problems"]} == {
        (3, "Ngày vào danh sách cảm tình", "NO_RULE_SET"), (3, "Ngày làm đơn", "NO_RULE_SET"),
    }, state
    assert all("NO_RULE_SET" in p["reason"] for p in state["problems"]), state
    for citizen_id in (listed, applied):  # nothing written, not even the good row
        rows, _ = check_rows(records_of(_csv(citizen_id, opened), "x.csv")[0])
        asked = await world.query("bantochuc", "dossiers", "dossier", {"dossier_id": dossier_id_of(rows[0][1])})
        assert asked.status_code == 404, asked.text
    assert (await world.query("canbo.a", "gateway", "paper_take_over", {"job_id": job_id})).status_code == 403  # not a role that imports
    unreadable = await world.command("bantochuc", "gateway", "take_over_paper_dossiers", {
        **body, "file_name": "ho-so.csv", "encoding": "base64", "content": base64.b64encode(b"\xff\xfe\x00bad").decode(),
    })
    assert unreadable.status_code == 422 and unreadable.json()["error"]["code"] == "validation", unreadable.text

    corrected = [applied, "Mai Thị Đơn", "CB-A1", HELPERS["CB-A1"], opened, "Đã nộp đơn xin vào Đảng", opened + timedelta(days=5)]
    body = {**body, "content": workbook(tmp_path, [good, corrected])}
    started = await world.command("bantochuc", "gateway", "take_over_paper_dossiers", body)
    assert started.status_code == 202, started.text
    state = await finished(world, "bantochuc", started.json()["result"]["job_id"])
    assert state["problems"] == [] and len(state["dossiers"]) == 2 and state["written"] == state["total"] == 2, state
    steps = set()
    for dossier_id in state["dossiers"]:
        asked = await world.query("bantochuc", "dossiers", "dossier", {"dossier_id": dossier_id})
        assert asked.status_code == 200, asked.text
        steps.add(asked.json()["result"]["step"])
    assert steps == {"source_list", "application"}, steps


async def test_a_board_cannot_take_over_a_row_of_a_cell_outside_its_subtree(world: World, tmp_path: Any) -> None:
    await world.operator("create_user", login=BOARD_B, display_name="Ban tổ chức B (API)", role="organisation_board",
                         organisation="DU-B")
    world.tokens[BOARD_B] = (await world.operator("issue_token", login=BOARD_B))["result"]["token"]
    opened = today() - timedelta(days=10)
    row = [new_citizen_id(), "Đào Văn Ngoài", "CB-A1", HELPERS["CB-A1"], opened, "trong danh sách cảm tình Đảng", None]
    body = {"organisation": "DU-B", "file_name": "ho-so.xlsx", "content": workbook(tmp_path, [row]), "dry_run": False}
    started = await world.command(BOARD_B, "gateway", "take_over_paper_dossiers", body)
    assert started.status_code == 202, started.text
    state = await finished(world, BOARD_B, started.json()["result"]["job_id"])
    assert [(p["line"], p["column"], p["code"]) for p in state["problems"]] == [(2, "Chi bộ", "forbidden")], state
    assert state["dossiers"] == []
    other = await world.query("bantochuc", "gateway", "paper_take_over", {"job_id": state["job_id"]})
    assert other.status_code == 404, other.text  # a job is its login's own, even to a board above


async def test_two_starts_sent_at_once_with_one_key_start_one_job(world: World, tmp_path: Any) -> None:
    """A double click or a client's early retry: both requests get the same job, never two."""
    row = [new_citizen_id(), "Hà Văn Kép", "CB-A1", HELPERS["CB-A1"], today() - timedelta(days=5), "trong danh sách cảm tình Đảng", None]
    body = {"organisation": "T01", "file_name": "ho-so.xlsx", "content": workbook(tmp_path, [row]), "dry_run": True}
    key = str(uuid.uuid4())
    answers = await asyncio.gather(*(world.command("bantochuc", "gateway", "take_over_paper_dossiers", body, key=key) for _ in range(3)))
    assert [a.status_code for a in answers] == [202] * 3, [a.text for a in answers]
    assert len({a.json()["result"]["job_id"] for a in answers}) == 1, [a.json() for a in answers]


def _csv(citizen_id: str, opened: Any) -> bytes:
    return ("Loại dòng,Số CCCD,Họ và tên,Chi bộ,Người giúp đỡ,Ngày vào danh sách cảm tình,Bước hiện tại\n"
            f"hồ sơ đang làm,{citizen_id},X,CB-A1,{HELPERS['CB-A1']},{opened:%d/%m/%Y},trong danh sách cảm tình Đảng\n").encode()
