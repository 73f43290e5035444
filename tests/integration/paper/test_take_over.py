"""Taking over dossiers begun on paper (issue 18): an import file's dossiers in progress, each at its
step with the dates of the steps done on paper, are brought in through the commands of the services
that own each step (dossiers, verification, voting), marked as taken over, counted in the pipeline and
quota reports like dossiers run here, and then continue live; a row dated before every rule set is
refused with NO_RULE_SET, by the file check and by the service alike."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from nats.aio.client import Client as NatsClient

from ketnap.platform.bus import requests
from ketnap.platform.eventstore import EventStore
from ketnap.platform.service import Service
from ketnap.services.dossiers import events as dossier_events
from ketnap.services.gateway.paper_dossiers import Progress, TakeOverResult, take_over_file
from ketnap.services.registry.importer import import_bytes
from tests.conftest import eventually
from tests.integration.demo.conftest import five_services
from tests.integration.harness import consumers_caught_up
from tests.servers import Servers

SOURCES = ("registry", "dossiers", "verification", "voting")
HELPER, INTRODUCER_1, INTRODUCER_2, MEMBER_4, MEMBER_5 = (f"0012000000{n:02d}" for n in range(1, 6))
AT_RESOLUTION, AT_LETTER, AT_VERIFICATION, TOO_OLD, ON_PROBATION = (f"0019950000{n:02d}" for n in range(1, 6))

REGISTRY_ROWS = f"""Loại dòng,Mã,Tên,Loại,Cấp trên,Từ ngày,Số CCCD,Họ và tên,Chi bộ
tổ chức,PT,Tỉnh ủy Phú Thọ,province,,01/01/2010,,,
tổ chức,PT.H1,Huyện ủy Tam Nông,upper_committee,PT,01/01/2010,,,
tổ chức,PT.H1.X1,Đảng bộ xã Tiên Dương,đảng bộ cơ sở,PT.H1,01/01/2015,,,
tổ chức,PT.H1.X1.C1,Chi bộ thôn Đông,chi bộ,PT.H1.X1,01/01/2015,,,
đảng viên,,,chính thức,,01/03/2016,{HELPER},Nguyễn Văn Giúp,PT.H1.X1.C1
đảng viên,,,chính thức,,01/03/2016,{INTRODUCER_1},Trần Văn Giới,PT.H1.X1.C1
đảng viên,,,chính thức,,01/03/2016,{INTRODUCER_2},Lê Thị Thiệu,PT.H1.X1.C1
đảng viên,,,chính thức,,01/03/2016,{MEMBER_4},Phạm Văn Bốn,PT.H1.X1.C1
đảng viên,,,chính thức,,01/03/2016,{MEMBER_5},Vũ Thị Năm,PT.H1.X1.C1
"""

COLUMNS = (
    "Loại dòng", "Số CCCD", "Họ và tên", "Chi bộ", "Người giúp đỡ", "Ngày vào danh sách cảm tình", "Bước hiện tại",
    "Số giấy chứng nhận", "Ngày cấp giấy chứng nhận", "Nơi cấp giấy chứng nhận", "Ngày làm đơn", "Ngày khai lý lịch", "Ngày sinh",
    "Giới tính", "Dân tộc", "Tôn giáo", "Nghề nghiệp", "Trình độ phổ thông", "Trình độ chuyên môn", "Đoàn viên",
    "CCCD người giới thiệu 1", "Người giới thiệu 1", "CCCD người giới thiệu 2", "Người giới thiệu 2", "Ngày giới thiệu",
    "Cùng công tác từ", "Ngày nhận xét", "Cấp ủy chứng nhận lý lịch", "Ngày chứng nhận lý lịch", "Ngày sẵn sàng xét",
    "Ngày chi bộ họp xét", "Số phiếu tán thành", "Đảng ủy cơ sở", "Ngày đảng ủy họp xét", "Số phiếu tán thành của đảng ủy",
    "Cấp ủy quyết định", "Số quyết định", "Ngày quyết định", "Ngày chi bộ nhận quyết định", "Ngày lễ kết nạp",
)
CELL = "PT.H1.X1.C1"


def paper(*rows: dict[str, str]) -> str:
    """A CSV file as a board types it: Vietnamese headers, dd/mm/yyyy dates, blank cells."""
    lines = [",".join(COLUMNS)]
    for row in rows:
        unknown = set(row) - set(COLUMNS)
        assert not unknown, unknown
        lines.append(",".join(row.get(column, "") for column in COLUMNS))
    return "\n".join(lines) + "\n"


def person(citizen_id: str, name: str, step: str) -> dict[str, str]:
    return {"Loại dòng": "hồ sơ đang làm", "Số CCCD": citizen_id, "Họ và tên": name, "Chi bộ": CELL, "Người giúp đỡ": HELPER,
            "Ngày vào danh sách cảm tình": "05/01/2026", "Bước hiện tại": step}


HISTORY = {"Ngày làm đơn": "12/01/2026", "Ngày khai lý lịch": "02/02/2026", "Ngày sinh": "10/05/1995", "Giới tính": "Nam",
           "Dân tộc": "Kinh", "Tôn giáo": "Không", "Nghề nghiệp": "Giáo viên", "Trình độ phổ thông": "upper_secondary",
           "Trình độ chuyên môn": "university", "Đoàn viên": "có"}
TO_THE_CELL = {
    **HISTORY, "Số giấy chứng nhận": "12/TTCT", "Ngày cấp giấy chứng nhận": "01/11/2025",
    "Nơi cấp giấy chứng nhận": "Trung tâm chính trị huyện Tam Nông",
    "CCCD người giới thiệu 1": INTRODUCER_1, "Người giới thiệu 1": "Trần Văn Giới", "CCCD người giới thiệu 2": INTRODUCER_2,
    "Người giới thiệu 2": "Lê Thị Thiệu", "Ngày giới thiệu": "02/03/2026", "Cùng công tác từ": "01/01/2024",
    "Ngày nhận xét": "04/03/2026", "Cấp ủy chứng nhận lý lịch": "PT.H1.X1", "Ngày chứng nhận lý lịch": "01/04/2026",
    "Ngày sẵn sàng xét": "10/04/2026", "Ngày chi bộ họp xét": "15/04/2026", "Số phiếu tán thành": "4",
}
PAPER = paper(
    # at the cell's resolution: every step up to it done on paper
    {**person(AT_RESOLUTION, "Đỗ Văn Một", "chờ quyết định kết nạp"), **TO_THE_CELL},
    # with the letter only
    {**person(AT_LETTER, "Hà Thị Hai", "application"), "Ngày làm đơn": "20/01/2026"},
    # the history declared, verification going on
    {**person(AT_VERIFICATION, "Bùi Văn Ba", "đang thẩm tra lý lịch"), **HISTORY, "Ngày sinh": "20/08/1998", "Giới tính": "nam",
     "Đoàn viên": "không"},
    # during probation: admitted on paper, the ceremony held
    {**person(ON_PROBATION, "Mai Thị Bốn", "đảng viên dự bị"), **TO_THE_CELL, "Giới tính": "nữ", "Đảng ủy cơ sở": "PT.H1.X1",
     "Ngày đảng ủy họp xét": "05/05/2026", "Số phiếu tán thành của đảng ủy": "3", "Cấp ủy quyết định": "PT.H1",
     "Số quyết định": "90-QĐ/HU", "Ngày quyết định": "01/06/2026", "Ngày chi bộ nhận quyết định": "05/06/2026",
     "Ngày lễ kết nạp": "20/06/2026"},
)


class World:
    def __init__(self, pool: asyncpg.Pool, nc: NatsClient, services: dict[str, Service]) -> None:
        self.pool, self.nc, self.services = pool, nc, services
        self.names = {role: service.name for role, service in services.items()}

    async def command(self, service: str, name: str, **body: Any) -> dict[str, Any]:
        signed = {**body, "idempotency_key": str(uuid.uuid4()), "actor": "ban-to-chuc", "scope": "PT"}
        return await requests.command(self.nc, self.names[service], name, json.loads(json.dumps(signed, default=str)))

    async def ask(self, service: str, name: str, **body: Any) -> dict[str, Any]:
        """A query's whole reply, a refusal included."""
        return await requests.query(self.nc, self.names[service], name, body, timeout=60)

    async def query(self, service: str, name: str, **body: Any) -> dict[str, Any]:
        reply = await self.ask(service, name, **body)
        assert reply["ok"], reply
        return reply["result"]

    async def settle(self) -> None:
        async def settled() -> bool:
            async with self.pool.acquire() as conn:
                return await consumers_caught_up(conn, list(self.services.values()))

        for _ in range(2):
            await eventually(settled, timeout=120, interval=0.2)

    async def take_over(self, text: str, *, dry_run: bool = False, progress: Progress | None = None) -> tuple[TakeOverResult, int]:
        return await take_over_file(
            self.nc, text.encode(), "ho-so.csv", actor="ban-to-chuc", scope="PT", dry_run=dry_run,
            services=self.names, wait_seconds=60, progress=progress,
        )


@pytest.fixture
async def world(pool: asyncpg.Pool, servers: Servers, database_url: str) -> AsyncIterator[World]:
    """The five services on fresh schemas, as the demo's scenarios run them (no plan driven)."""
    async with five_services(pool, servers, database_url, applicants=0) as scenario:
        yield World(pool, scenario.nc, scenario.services)


async def test_dossiers_in_progress_are_taken_over_at_their_steps_counted_and_continue_live(world: World) -> None:
    w = world
    registry = await import_bytes(w.pool, REGISTRY_ROWS.encode(), "to-chuc.csv", schema=w.names["registry"])
    assert registry.ok and registry.written, registry.problems
    assert (await w.command("registry", "assign_quota", organisation="PT.H1.X1", period="2026", quantity=4, assigned_by="PT.H1",
                            decision_date="2026-01-02"))["ok"]
    committee = (HELPER, INTRODUCER_1, INTRODUCER_2)
    for citizen_id in committee:
        seat = await w.command("registry", "appoint_committee_member", organisation="PT.H1.X1", citizen_id=citizen_id,
                               effective_from="2025-01-01")
        assert seat["ok"], seat

    checked, rows = await w.take_over(PAPER, dry_run=True)
    assert (checked.problems, rows) == ([], 4)
    taken, _ = await w.take_over(PAPER)
    assert taken.ok, taken.problems
    at_resolution, at_letter, at_verification, on_probation = (taken.dossiers[line] for line in (2, 3, 4, 5))
    await w.settle()  # the verification case of the history declared is opened by a consumer

    steps = {d: (await w.query("dossiers", "dossier", dossier_id=d))["step"] for d in taken.dossiers.values()}
    assert steps == {at_resolution: "awaiting_decision", at_letter: "application", at_verification: "verification",
                     on_probation: "probation"}
    probation = await w.query("dossiers", "dossier", dossier_id=on_probation)
    assert (probation["admission"]["decision_date"], probation["probation"]["starts_on"]) == ("2026-06-01", "2026-06-20")
    member = await w.query("registry", "member", citizen_id=ON_PROBATION, on="2026-06-30")
    assert (member["kind"], member["admitted_on"]) == ("probationary", "2026-06-01")
    dossier = await w.query("dossiers", "dossier", dossier_id=at_resolution)
    assert dossier["taken_over_from_paper"]["step"] == "awaiting_decision"
    assert dossier["cell_vote"]["resolution"]["meeting_on"] == "2026-04-15"
    assert (await w.query("verification", "case", dossier_id=at_resolution))["taken_over_from_paper"]["certified_on"] == "2026-04-01"
    voting_case = await w.query("voting", "case", dossier_id=at_resolution)
    assert voting_case["taken_over_from_paper"] == ["cell_resolution"] and voting_case["cell_resolution"]["agree"] == 4
    assert (await w.query("verification", "case", dossier_id=at_verification))["status"] == "open"

    # Importing the same file again records nothing more: every command's key derives from the row.
    heads = await _heads(w)
    again, _ = await w.take_over(PAPER)
    assert again.ok, again.problems
    await w.settle()
    assert await _heads(w) == heads

    timeline = await w.query("reporting", "audit_history", dossier_id=at_resolution)
    taken_over = [e["label"] for e in timeline["events"] if "TakenOverFromPaper" in e["event_type"]]
    assert taken_over == [
        "Tiếp nhận từ hồ sơ giấy",
        "Tiếp nhận từ hồ sơ giấy: lý lịch đã thẩm tra, chứng nhận trên giấy",
        "Tiếp nhận từ hồ sơ giấy: nghị quyết đã có trên giấy",
    ]
    pipeline = await w.query("reporting", "pipeline", organisation="PT.H1.X1", on="2026-05-01")
    assert {s: n for s, n in pipeline["by_step"].items() if n} == {"application": 1, "verification": 1, "awaiting_decision": 2}
    pipeline = await w.query("reporting", "pipeline", organisation="PT.H1.X1", on="2026-07-01")
    assert {s: n for s, n in pipeline["by_step"].items() if n} == {
        "application": 1, "verification": 1, "awaiting_decision": 1, "probation": 1,
    }
    quota = await w.query("reporting", "quota", organisation="PT.H1.X1", year=2026, on="2026-05-01")
    assert (quota["quota"], quota["achieved"], quota["in_progress"]["total"]) == (4, 0, 4)
    quota = await w.query("reporting", "quota", organisation="PT.H1.X1", year=2026, on="2026-07-01")
    assert (quota["achieved"], quota["in_progress"]["total"]) == (1, 3)
    stats = await w.query("reporting", "stats", organisation="PT.H1.X1", year=2026, on="2026-07-01")
    genders = next(a["values"] for a in stats["axes"] if a["axis"] == "gender")
    assert (stats["admitted"], stats["unknown"]) == (1, {}), stats
    assert [(v["value"], v["count"]) for v in genders if v["count"]] == [("female", 1)], genders

    # The dossier taken over at the cell's resolution continues live: the grassroots committee's
    # resolution, then the decision of the committee above.
    resolution = await w.command("voting", "record_grassroots_resolution", dossier_ids=[at_resolution], organisation="PT.H1.X1",
                                 meeting_on="2026-05-05", ballots=[{"citizen_id": c, "choice": "agree"} for c in committee])
    assert resolution["ok"], json.dumps(resolution["error"], ensure_ascii=False)
    decided = await w.command("voting", "decide_admission", dossier_id=at_resolution, decided_by="PT.H1",
                              decision_date="2026-06-01", admitted=True, decision_number="101-QĐ/HU")
    assert decided["ok"], json.dumps(decided["error"], ensure_ascii=False)

    async def admitted() -> bool:
        return (await w.query("dossiers", "dossier", dossier_id=at_resolution))["step"] == "awaiting_ceremony"

    await eventually(admitted, timeout=30)
    await w.settle()
    quota = await w.query("reporting", "quota", organisation="PT.H1.X1", year=2026, on="2026-07-01")
    assert (quota["achieved"], quota["in_progress"]["total"]) == (2, 2)
    member = await w.query("registry", "member", citizen_id=AT_RESOLUTION, on="2026-06-30")
    assert (member["kind"], member["admitted_on"]) == ("probationary", "2026-06-01")
    dead = 0
    async with w.pool.acquire() as conn:
        for service in w.services.values():
            dead += await conn.fetchval(f"SELECT count(*) FROM {service.name}.dead_letters")
    assert dead == 0


async def test_no_rule_set_a_paper_dossier_dated_before_every_rule_set_is_refused_with_its_code(world: World) -> None:
    w = world
    registry = await import_bytes(w.pool, REGISTRY_ROWS.encode(), "to-chuc.csv", schema=w.names["registry"])
    assert registry.ok, registry.problems
    old = paper({**person(TOO_OLD, "Ngô Văn Cũ", "source_list"), "Ngày vào danh sách cảm tình": "01/05/2011"})
    checked, _ = await w.take_over(old, dry_run=True)
    assert [(p.line, p.field, p.reason) for p in checked.problems] == [
        (2, "opened_on", "[NO_RULE_SET] Ngày 01/05/2011: " + _no_rule_set_message()),
    ]
    # The service refuses it the same way (the file check is no second rule): nothing is written.
    refused = await w.command("dossiers", "take_over_dossier", cell=CELL, citizen_id=TOO_OLD, full_name="Ngô Văn Cũ",
                              opened_on="2011-05-01", helper_citizen_id=HELPER, step="source_list")
    assert refused["error"]["code"] == "rule:NO_RULE_SET", refused
    assert refused["error"]["message"] == checked.problems[0].reason
    assert await EventStore(w.pool, w.names["dossiers"]).read_stream(dossier_events.applicant_stream_id(TOO_OLD)) == []


def _no_rule_set_message() -> str:
    from ketnap.domain.rules import RuleCode

    return RuleCode.NO_RULE_SET.message


async def _heads(w: World) -> dict[str, int]:
    async with w.pool.acquire() as conn:
        return {role: await conn.fetchval(f"SELECT coalesce(max(position), 0) FROM {w.names[role]}.events") for role in SOURCES}
