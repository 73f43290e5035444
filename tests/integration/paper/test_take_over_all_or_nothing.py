"""A file of dossiers begun on paper is taken over all or nothing (issue 18): every row is judged end
to end by the services that own its steps (`<service>.query.judge`) before anything is written, so a
row refused part-way (voting at COMMITTEE_2_3 after the dossiers service and verification accepted
its earlier steps) leaves nothing of the file written, and every problem of every row is listed with
its line, field and code. The same file corrected is written whole; a file whose writing stopped
half way (a crash) is continued by importing it again."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest

from ketnap.domain.calendar import today_in_vietnam
from ketnap.domain.spreadsheet import records_of
from ketnap.services.gateway.paper_dossiers import Act, TakeOver, Wait, check_rows, dossier_id_of, road
from tests.integration.demo.conftest import five_services
from tests.integration.paper.test_take_over import World
from tests.integration.paper.test_take_over_cases import (
    DECIDED_BY_THE_GRASSROOTS,
    SECOND_MEMBER,
    TO_THE_APPRAISAL,
    _heads,
    _prepare,
    paper,
    person,
)
from tests.servers import Servers

APPRAISED, SHORT, CERTIFIED_LATER, AT_LETTER = (f"0019970000{n:02d}" for n in range(1, 5))

_LATER = today_in_vietnam() + timedelta(days=3)
_VOTED_AT_THE_CELL = ("Số phiếu tán thành", "Đảng ủy bộ phận thẩm định", "Ngày thẩm định")
READY = {k: v for k, v in TO_THE_APPRAISAL.items() if k not in _VOTED_AT_THE_CELL}


def the_file(*, short_agree: str, certified_on: str, ready_on: str, meeting_on: str, letter_on: str = "20/01/2025") -> str:
    return paper(
        # line 2: at the partial committee's appraisal, nothing wrong
        {**person(APPRAISED, "Vương Thị Thẩm", "chờ quyết định kết nạp"), **TO_THE_APPRAISAL, **SECOND_MEMBER, "Giới tính": "nữ"},
        # line 3: admitted on paper by the authorised committee's vote
        {**person(SHORT, "Lý Văn Thiếu", "chờ tổ chức lễ kết nạp"), **TO_THE_APPRAISAL, **SECOND_MEMBER,
         **DECIDED_BY_THE_GRASSROOTS, "Số phiếu tán thành quyết định": short_agree},
        # line 4: the history certified on paper, ready for the cell's vote
        {**person(CERTIFIED_LATER, "Kiều Văn Chứng", "ready_for_cell_vote"), **READY, **SECOND_MEMBER,
         "Ngày chứng nhận lý lịch": certified_on, "Ngày sẵn sàng xét": ready_on, "Ngày chi bộ họp xét": meeting_on},
        # line 5: the letter only
        {**person(AT_LETTER, "Hà Thị Đơn", "application"), "Ngày làm đơn": letter_on},
    )


# Two rows refused by services, each after steps other services accepted: voting refuses the
# committee's decision (1 of 3 members agree: COMMITTEE_2_3) after dossiers, verification and the
# cell's resolution; verification refuses a certification dated after today. And a row without
# what its step needs, which no service is asked about: the other rows are judged all the same.
BAD = the_file(short_agree="1", certified_on=f"{_LATER:%d/%m/%Y}", ready_on=f"{_LATER:%d/%m/%Y}",
               meeting_on=f"{_LATER + timedelta(days=7):%d/%m/%Y}", letter_on="")
GOOD = the_file(short_agree="3", certified_on="01/04/2025", ready_on="10/04/2025", meeting_on="15/04/2025")


@pytest.fixture
async def world(pool: asyncpg.Pool, servers: Servers, database_url: str) -> AsyncIterator[World]:
    async with five_services(pool, servers, database_url, applicants=0) as scenario:
        w = World(pool, scenario.nc, scenario.services)
        await _prepare(w)
        yield w


def _listed(problems: list) -> list[tuple[int, str, str, str]]:
    return [(p.line, p.field, p.code, p.reason[:16]) for p in problems]


async def test_a_file_with_rows_refused_part_way_writes_nothing_and_lists_every_problem_then_corrected_writes_every_row(
    world: World,
) -> None:
    w = world
    heads = await _heads(w)
    expected = [
        (3, "decision_agree", "rule:COMMITTEE_2_3", "[COMMITTEE_2_3] "),
        (4, "certified_on", "validation", "Ngày chứng nhận "),
        (5, "", "", "Hồ sơ ở bước «đã"),
    ]
    # The dry run judges every step, the voting step's refusal included, and writes nothing.
    checked, rows = await w.take_over(BAD, dry_run=True)
    assert (_listed(checked.problems), rows) == (expected, 4)
    assert f"({_LATER:%d/%m/%Y}) không được sau ngày hôm nay" in checked.problems[1].reason

    taken, _ = await w.take_over(BAD)
    assert _listed(taken.problems) == expected
    assert taken.dossiers == {}
    assert await _heads(w) == heads  # not even the rows without a problem, nor the steps accepted before a refusal
    for _, row in check_rows(records_of(GOOD.encode(), "ho-so.csv")[0])[0]:
        assert (await w.ask("dossiers", "dossier", dossier_id=dossier_id_of(row)))["error"]["code"] == "not_found"

    done, _ = await w.take_over(GOOD)
    assert done.ok, done.problems
    assert sorted(done.dossiers) == [2, 3, 4, 5]
    await w.settle()
    steps = {line: (await w.query("dossiers", "dossier", dossier_id=d))["step"] for line, d in done.dossiers.items()}
    assert steps == {2: "awaiting_decision", 3: "awaiting_ceremony", 4: "ready_for_cell_vote", 5: "application"}
    chain = await w.query("voting", "case", dossier_id=done.dossiers[3])
    assert chain["taken_over_from_paper"] == ["cell_resolution", "admission_decision"]

    written = await _heads(w)
    again, _ = await w.take_over(GOOD)
    assert again.ok, again.problems
    await w.settle()
    assert await _heads(w) == written


async def test_a_file_whose_writing_stopped_half_way_is_continued_by_importing_it_again(world: World) -> None:
    w = world
    ((_, row),) = [r for r in check_rows(records_of(GOOD.encode(), "ho-so.csv")[0])[0] if r[1].citizen_id == SHORT]
    # The crash: the row's road written up to the cell's resolution, the decision never sent.
    driver = TakeOver(w.nc, actor="ban-to-chuc", scope="PT", services=w.names)
    plan = road(row)
    cut = next(i for i, s in enumerate(plan) if isinstance(s, Act) and s.name == "take_over_cell_resolution") + 1
    for step in plan[:cut]:
        if isinstance(step, Wait):
            await driver._wait(step, dossier_id_of(row))
        else:
            await driver._send(row, step)
    assert (await w.query("voting", "case", dossier_id=dossier_id_of(row)))["admission_decision"] is None

    judged: list[tuple[str, int, int]] = []
    resumed, _ = await w.take_over(GOOD, progress=lambda stage, done, total: judged.append((stage, done, total)))
    assert resumed.ok, resumed.problems
    assert judged == [("judged", n, 4) for n in range(1, 5)] + [("written", n, 4) for n in range(1, 5)]
    await w.settle()
    assert (await w.query("dossiers", "dossier", dossier_id=dossier_id_of(row)))["step"] == "awaiting_ceremony"
    timeline = await w.query("reporting", "audit_history", dossier_id=dossier_id_of(row))
    taken_over = Counter(e["event_type"] for e in timeline["events"] if "TakenOverFromPaper" in e["event_type"])
    # Each once: the steps written before the crash were judged, then sent again, as the retries they are.
    assert taken_over == {"DossierTakenOverFromPaper": 1, "HistoryTakenOverFromPaper": 1, "ResolutionTakenOverFromPaper": 2}, taken_over
    chain = await w.query("voting", "case", dossier_id=dossier_id_of(row))
    assert chain["taken_over_from_paper"] == ["cell_resolution", "admission_decision"]
