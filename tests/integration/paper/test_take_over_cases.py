"""The paper past a take-over could not express at first (issue 18, docs/registry.md): the admission
decided on paper by an authorised grassroots committee (its vote's counts, COMMITTEE_2_3 as live),
introductions by a union resolution in place of a second member, the relatives of the personal
history, the partial committee's appraisal, and the member history, new-member class and recognition
papers of a dossier in probation. Each goes through the live command of the service that owns it,
judged on the paper's dates, and the dossier continues live."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import asyncpg
import pytest

from ketnap.services.gateway.paper_dossiers import check_rows, dossier_id_of
from ketnap.services.registry.importer import import_bytes, records_of
from tests.conftest import eventually
from tests.integration.demo.conftest import five_services
from tests.integration.paper.test_take_over import World
from tests.servers import Servers

HELPER, INTRODUCER, MEMBER_3, MEMBER_4 = (f"0012000000{n:02d}" for n in range(11, 15))
IN_PROBATION, APPRAISED, SHORT_OF_TWO_THIRDS = (f"0019960000{n:02d}" for n in range(1, 4))
GRASSROOTS, PARTIAL, CELL = "PT.H2.X2", "PT.H2.X2.B1", "PT.H2.X2.B1.C1"

# A grassroots committee authorised to admit since 2024, a partial committee, one cell under it.
REGISTRY_ROWS = f"""Loại dòng,Mã,Tên,Loại,Cấp trên,Từ ngày,Số CCCD,Họ và tên,Chi bộ,authority_decision_number,authority_decision_date
tổ chức,PT,Tỉnh ủy Phú Thọ,province,,01/01/2010,,,,,
tổ chức,PT.H2,Huyện ủy Thanh Ba,upper_committee,PT,01/01/2010,,,,,
tổ chức,{GRASSROOTS},Đảng bộ xã Đồng Xuân,đảng bộ cơ sở,PT.H2,01/01/2015,,,,12-QĐ/HU,02/01/2024
tổ chức,{PARTIAL},Đảng bộ bộ phận khu Tây,partial_committee,{GRASSROOTS},01/01/2015,,,,,
tổ chức,{CELL},Chi bộ khu 3,chi bộ,{PARTIAL},01/01/2015,,,,,
đảng viên,,,chính thức,,01/03/2016,{HELPER},Nguyễn Văn Giúp,{CELL},,
đảng viên,,,chính thức,,01/03/2016,{INTRODUCER},Trần Văn Giới,{CELL},,
đảng viên,,,chính thức,,01/03/2016,{MEMBER_3},Lê Thị Ba,{CELL},,
đảng viên,,,chính thức,,01/03/2016,{MEMBER_4},Phạm Văn Bốn,{CELL},,
"""

COLUMNS = (
    "Loại dòng", "Số CCCD", "Họ và tên", "Chi bộ", "Người giúp đỡ", "Ngày vào danh sách cảm tình", "Bước hiện tại",
    "Số giấy chứng nhận", "Ngày cấp giấy chứng nhận", "Nơi cấp giấy chứng nhận", "Ngày làm đơn", "Ngày khai lý lịch", "Ngày sinh",
    "Giới tính", "Dân tộc", "Tôn giáo", "Nghề nghiệp", "Trình độ phổ thông", "Trình độ chuyên môn", "Đoàn viên",
    "CCCD người giới thiệu 1", "Người giới thiệu 1", "CCCD người giới thiệu 2", "Người giới thiệu 2", "Ngày giới thiệu",
    "Cùng công tác từ", "Đoàn thể giới thiệu", "Số nghị quyết giới thiệu", "Ngày nghị quyết giới thiệu", "Ngày nhận xét",
    "Cấp ủy chứng nhận lý lịch", "Ngày chứng nhận lý lịch", "Ngày sẵn sàng xét", "Ngày chi bộ họp xét", "Số phiếu tán thành",
    "Đảng ủy bộ phận thẩm định", "Ngày thẩm định", "Cấp ủy quyết định", "Số quyết định", "Ngày quyết định",
    "Số phiếu tán thành quyết định", "Ngày chi bộ nhận quyết định", "Ngày lễ kết nạp", "Ngày nộp lý lịch đảng viên",
    "Số giấy chứng nhận lớp đảng viên mới", "Ngày cấp giấy chứng nhận lớp đảng viên mới", "Nơi cấp giấy chứng nhận lớp đảng viên mới",
    "Ngày tự kiểm điểm", "Ngày người giúp đỡ nhận xét", "Ngày đoàn thể nhận xét", "Ngày hoàn thành hồ sơ công nhận",
    "CCCD người vào Đảng", "Quan hệ", "Năm sinh", "Nơi ở hoặc nơi làm việc",
)


def paper(*rows: dict[str, str]) -> str:
    lines = [",".join(COLUMNS)]
    for row in rows:
        unknown = set(row) - set(COLUMNS)
        assert not unknown, unknown
        lines.append(",".join(row.get(column, "") for column in COLUMNS))
    return "\n".join(lines) + "\n"


def person(citizen_id: str, name: str, step: str) -> dict[str, str]:
    return {"Loại dòng": "hồ sơ đang làm", "Số CCCD": citizen_id, "Họ và tên": name, "Chi bộ": CELL, "Người giúp đỡ": HELPER,
            "Ngày vào danh sách cảm tình": "05/01/2025", "Bước hiện tại": step}


def relative(applicant: str, relation: str, name: str, born: str) -> dict[str, str]:
    return {"Loại dòng": "người thân", "CCCD người vào Đảng": applicant, "Quan hệ": relation, "Họ và tên": name, "Năm sinh": born,
            "Nơi ở hoặc nơi làm việc": "Xã Đồng Xuân tỉnh Phú Thọ"}


TO_THE_APPRAISAL = {
    "Ngày làm đơn": "12/01/2025", "Ngày khai lý lịch": "02/02/2025", "Ngày sinh": "10/05/1995", "Giới tính": "Nam",
    "Dân tộc": "Kinh", "Tôn giáo": "Không", "Nghề nghiệp": "Kỹ sư", "Trình độ phổ thông": "upper_secondary",
    "Trình độ chuyên môn": "university", "Đoàn viên": "có", "Số giấy chứng nhận": "7/TTCT", "Ngày cấp giấy chứng nhận": "01/11/2024",
    "Nơi cấp giấy chứng nhận": "Trung tâm chính trị huyện Thanh Ba", "CCCD người giới thiệu 1": INTRODUCER,
    "Người giới thiệu 1": "Trần Văn Giới", "Ngày giới thiệu": "02/03/2025", "Cùng công tác từ": "01/01/2023",
    "Ngày nhận xét": "04/03/2025", "Cấp ủy chứng nhận lý lịch": GRASSROOTS, "Ngày chứng nhận lý lịch": "01/04/2025",
    "Ngày sẵn sàng xét": "10/04/2025", "Ngày chi bộ họp xét": "15/04/2025", "Số phiếu tán thành": "4",
    "Đảng ủy bộ phận thẩm định": PARTIAL, "Ngày thẩm định": "25/04/2025",
}
SECOND_MEMBER = {"CCCD người giới thiệu 2": MEMBER_3, "Người giới thiệu 2": "Lê Thị Ba"}
DECIDED_BY_THE_GRASSROOTS = {"Cấp ủy quyết định": GRASSROOTS, "Số quyết định": "21-QĐ/ĐU", "Ngày quyết định": "05/05/2025",
                             "Số phiếu tán thành quyết định": "3"}


@pytest.fixture
async def world(pool: asyncpg.Pool, servers: Servers, database_url: str) -> AsyncIterator[World]:
    """The five services on fresh schemas, as in test_take_over."""
    async with five_services(pool, servers, database_url, applicants=0) as scenario:
        yield World(pool, scenario.nc, scenario.services)


async def _prepare(w: World) -> None:
    registry = await import_bytes(w.pool, REGISTRY_ROWS.encode(), "to-chuc.csv", schema=w.names["registry"])
    assert registry.ok and registry.written, registry.problems
    for citizen_id in (HELPER, INTRODUCER, MEMBER_3):
        seat = await w.command("registry", "appoint_committee_member", organisation=GRASSROOTS, citizen_id=citizen_id,
                               effective_from="2024-01-01")
        assert seat["ok"], seat


async def test_the_paper_past_of_an_authorised_committee_a_union_a_partial_committee_relatives_and_probation(world: World) -> None:
    w = world
    await _prepare(w)
    text = paper(
        # Introduced by one member and the youth union; appraised, then admitted by the authorised
        # grassroots committee's vote on paper; in probation with its papers, recognition's complete.
        {**person(IN_PROBATION, "Đinh Văn Dự", "đảng viên dự bị"), **TO_THE_APPRAISAL, "Đoàn thể giới thiệu": "Đoàn TNCS Hồ Chí Minh",
         "Số nghị quyết giới thiệu": "05-NQ/ĐTN", "Ngày nghị quyết giới thiệu": "25/02/2025", **DECIDED_BY_THE_GRASSROOTS,
         "Ngày chi bộ nhận quyết định": "08/05/2025", "Ngày lễ kết nạp": "20/05/2025", "Ngày nộp lý lịch đảng viên": "10/06/2025",
         "Số giấy chứng nhận lớp đảng viên mới": "31/TTCT", "Ngày cấp giấy chứng nhận lớp đảng viên mới": "15/09/2025",
         "Nơi cấp giấy chứng nhận lớp đảng viên mới": "Trung tâm chính trị huyện Thanh Ba", "Ngày tự kiểm điểm": "25/05/2026",
         "Ngày người giúp đỡ nhận xét": "26/05/2026", "Ngày đoàn thể nhận xét": "27/05/2026",
         "Ngày hoàn thành hồ sơ công nhận": "28/05/2026"},
        relative(IN_PROBATION, "Cha", "Đinh Văn Cha", "1965"),
        relative(IN_PROBATION, "mẹ", "Hoàng Thị Mẹ", "1968"),
        # Appraised by the partial committee on paper; the decision is still to come.
        {**person(APPRAISED, "Vương Thị Thẩm", "chờ quyết định kết nạp"), **TO_THE_APPRAISAL, **SECOND_MEMBER, "Giới tính": "nữ"},
    )
    checked, rows = await w.take_over(text, dry_run=True)
    assert (checked.problems, rows) == ([], 2)
    taken, _ = await w.take_over(text)
    assert taken.ok, taken.problems
    in_probation, appraised = taken.dossiers[2], taken.dossiers[5]
    await w.settle()

    dossier = await w.query("dossiers", "dossier", dossier_id=in_probation)
    assert dossier["step"] == "recognition", dossier["step"]
    introductions = dossier["papers"]["introductions"]
    assert [i["citizen_id"] for i in introductions["introducers"]] == [INTRODUCER]
    assert (introductions["union_resolution"]["union"], introductions["union_resolution"]["number"]) == ("youth_union", "05-NQ/ĐTN")
    history = await w.query("dossiers", "personal_history", dossier_id=in_probation)
    assert sorted((r["relation"], r["birth_year"]) for r in history["relatives"]) == [("father", 1965), ("mother", 1968)]
    probation = dossier["probation"]
    assert (probation["starts_on"], probation["member_history_filed_on"], probation["new_member_class_on"],
            probation["recognition_papers_completed_on"]) == ("2025-05-20", "2025-06-10", "2025-09-15", "2026-05-28")
    verification = await w.query("verification", "case", dossier_id=in_probation)
    replied = [s for s in verification["subjects"] if s.get("reply")]
    assert len(replied) == len(verification["subjects"]) == 3, verification["subjects"]  # the applicant, the father, the mother
    chain = await w.query("voting", "case", dossier_id=in_probation)
    assert chain["taken_over_from_paper"] == ["cell_resolution", "admission_decision"]
    assert (chain["appraisal"]["organisation"], chain["admission_decision"]["decided_by"]) == (PARTIAL, GRASSROOTS)
    assert chain["recognition_papers_completed_on"] == "2026-05-28"
    member = await w.query("registry", "member", citizen_id=IN_PROBATION, on="2025-06-30")
    assert (member["kind"], member["admitted_on"]) == ("probationary", "2025-05-05")

    chain = await w.query("voting", "case", dossier_id=appraised)
    assert (chain["appraisal"]["appraised_on"], chain["admission_decision"]) == ("2025-04-25", None)
    assert (await w.query("dossiers", "dossier", dossier_id=appraised))["step"] == "awaiting_decision"

    # Importing the same file again records nothing more.
    heads = await _heads(w)
    again, _ = await w.take_over(text)
    assert again.ok, again.problems
    await w.settle()
    assert await _heads(w) == heads

    # The appraised dossier continues live: the authorised committee decides by its own vote.
    decided = await w.command("voting", "decide_admission", dossier_id=appraised, decided_by=GRASSROOTS, decision_date="2025-05-06",
                              admitted=True, decision_number="22-QĐ/ĐU",
                              ballots=[{"citizen_id": c, "choice": "agree"} for c in (HELPER, INTRODUCER, MEMBER_3)])
    assert decided["ok"], json.dumps(decided["error"], ensure_ascii=False)

    async def admitted() -> bool:
        return (await w.query("dossiers", "dossier", dossier_id=appraised))["step"] == "awaiting_ceremony"

    await eventually(admitted, timeout=30)
    await w.settle()
    assert await _dead_letters(w) == 0


async def test_COMMITTEE_2_3_a_paper_decision_of_an_authorised_committee_short_of_two_thirds_is_refused(world: World) -> None:
    w = world
    await _prepare(w)
    short = {**person(SHORT_OF_TWO_THIRDS, "Lý Văn Thiếu", "chờ tổ chức lễ kết nạp"), **TO_THE_APPRAISAL, **SECOND_MEMBER,
             **DECIDED_BY_THE_GRASSROOTS, "Số phiếu tán thành quyết định": "1"}
    text = paper(short)
    ((_, row),), _ = check_rows(records_of(text.encode(), "ho-so.csv")[0])
    heads = await _heads(w)
    taken, _ = await w.take_over(text)
    (problem,) = taken.problems
    assert (problem.line, problem.field) == (2, "decision_agree")
    assert problem.reason.startswith("[COMMITTEE_2_3]"), problem.reason
    # Judged end to end before anything is written: the steps before the decision, which each
    # service accepted, are not written either (all or nothing).
    assert taken.dossiers == {}
    assert await _heads(w) == heads
    missing = await w.ask("dossiers", "dossier", dossier_id=dossier_id_of(row))
    assert missing["error"]["code"] == "not_found", missing


async def _heads(w: World) -> dict[str, int]:
    async with w.pool.acquire() as conn:
        return {role: await conn.fetchval(f"SELECT coalesce(max(position), 0) FROM {w.names[role]}.events")
                for role in ("registry", "dossiers", "verification", "voting")}


async def _dead_letters(w: World) -> int:
    dead = 0
    async with w.pool.acquire() as conn:
        for service in w.services.values():
            dead += await conn.fetchval(f"SELECT count(*) FROM {service.name}.dead_letters")
    return dead
