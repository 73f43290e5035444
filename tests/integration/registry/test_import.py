"""Bulk import of an existing organisation: a few hundred rows in one transaction, every bad row
reported with its line, field and reason, and nothing written when any row is bad."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import asyncpg
import pytest

from ketnap.operations.bootstrap import bootstrap_database, with_database
from ketnap.platform import projections
from ketnap.platform.eventstore import EventStore
from ketnap.services.registry.importer import Problem, import_file
from ketnap.services.registry.projections import RegistryModel
from ketnap.services.registry.service import build_service
from tests.conftest import unique
from tests.integration.harness import run_cli
from tests.integration.registry.conftest import Registry
from tests.integration.registry.files import citizen, district, write_csv, write_json
from tests.servers import Servers


async def test_a_district_of_a_few_hundred_rows_is_imported_in_one_go(province: Registry, pool: asyncpg.Pool, tmp_path: Path) -> None:
    r = province
    rows = district("T01", communes=4, cells=5, members=12)
    assert len(rows) > 300
    path = write_csv(tmp_path / "dong-anh.csv", rows)
    head = await r.head()

    def crash_at_the_last_stream(message: str) -> None:
        written = re.match(r"\s*(\d+)/(\d+) luồng", message)
        if written and written[1] == written[2]:
            raise RuntimeError("the machine died while writing")

    with pytest.raises(RuntimeError):
        await import_file(pool, path, schema=r.name, progress=crash_at_the_last_stream)
    assert await r.head() == head, "all or nothing: every stream written, then a crash, and none of them is kept"

    said: list[str] = []
    result = await import_file(pool, path, schema=r.name, actor="importer-1", progress=said.append)
    assert result.ok and result.written, result.problems
    assert result.counts == {"organisations": 25, "members": 240, "paper_admissions": 0, "committees": 20, "localities": 24}
    assert said[0] == f"Đã đọc {len(rows)} dòng dữ liệu." and said[-1] == "  289/289 luồng"
    log = [e async for batch in r.store.read_log(head) for e in batch]
    assert len(log) == result.events and {e.actor for e in log} == {"importer-1"}

    roster = await r.answer("roster", organisation="D1.G2.C3", on="2024-01-01", absent=["001200000085"])
    assert (roster["official_count"], roster["probationary_count"]) == (11, 1)
    assert (roster["official_count_for_vote"], roster["denominator"]) == (11, 10)  # the exempted one is absent
    assert (await r.answer("competent_authority", organisation="D1.G1.C1", on="2021-01-01"))["organisation"] == "D1.G1"
    assert (await r.answer("competent_authority", organisation="D1.G2.C1", on="2021-01-01"))["organisation"] == "D1"
    assert (await r.answer("committee", organisation="D1.G3", on="2021-01-01"))["count"] == 5
    assert (await r.answer("localities", organisation="D1", on="2021-01-01"))["white_zones"] == 4
    model = RegistryModel.of(r.name)
    await model.catch_up(pool)
    assert await projections.verify(pool, model) == []

    again = await import_file(pool, tmp_path / "dong-anh.csv", schema=r.name)
    assert not again.written and Problem(2, "code", "Mã tổ chức D1 đã có trong sổ đăng ký") in again.problems
    # ORG_CODE_UNIQUE: the same code in another case is the same unit.
    d1 = next(row for row in rows if row.get("record") == "organisation" and row.get("code") == "D1")
    lower = await import_file(
        pool, write_csv(tmp_path / "viet-thuong.csv", [{**d1, "code": "d1"}, {**d1, "code": "X9"}, {**d1, "code": "x9"}]), schema=r.name,
    )
    assert not lower.written
    assert Problem(2, "code", "Mã tổ chức d1 đã có trong sổ đăng ký [ORG_CODE_UNIQUE]: D1, mã tổ chức không phân biệt chữ hoa, chữ thường") in lower.problems
    assert Problem(4, "code", "Mã tổ chức x9 trùng với mã X9 ở dòng 3 [ORG_CODE_UNIQUE]: mã tổ chức không phân biệt chữ hoa, chữ thường") in lower.problems
    assert await r.head() == head + result.events


async def test_codes_typed_in_small_letters_name_the_stored_units_and_found_new_ones_in_capitals(
    province: Registry, pool: asyncpg.Pool, tmp_path: Path,
) -> None:
    """ORG_CODE_UNIQUE: a file names units as people type them; the import reads `t01` as the
    registry's T01 and founds `d7` as D7, as a command would, so the roster of `D7.C1` is found."""
    r = province
    rows = [
        {"record": "organisation", "code": "d7", "name": "Đảng bộ xã Bảy", "kind": "đảng bộ cơ sở", "parent": "t01",
         "effective_from": "01/01/2015"},
        {"record": "organisation", "code": "d7.c1", "name": "Chi bộ thôn 1", "kind": "cell", "parent": "D7",
         "effective_from": "01/01/2015"},
        {"record": "member", "citizen_id": citizen(901), "full_name": "Lê Văn Bảy", "organisation": "d7.C1",
         "kind": "chính thức", "status": "active", "effective_from": "01/03/2016", "admitted_on": "01/03/2010",
         "official_since": "01/03/2011"},
    ]
    result = await import_file(pool, write_csv(tmp_path / "viet-thuong.csv", rows), schema=r.name)
    assert result.ok and result.written, result.problems
    await RegistryModel.of(r.name).catch_up(pool)
    stored = {row["code"] for row in await pool.fetch(f"SELECT DISTINCT code FROM {r.name}.organisations WHERE lower(code) LIKE 'd7%'")}
    assert stored == {"D7", "D7.C1"}
    assert (await r.answer("roster", organisation="D7.C1", on="2024-01-01"))["official_count"] == 1

    # Every query finds the units typed in any case, and names them back as stored.
    on = {"on": "2024-01-01"}
    assert (await r.answer("roster", organisation="d7.c1", **on))["official_count"] == 1
    assert (await r.answer("tenure", citizen_id=citizen(901), organisation="d7.c1", **on))["since"] == "2016-03-01"
    assert (await r.answer("membership", citizen_id=citizen(901), organisation="d7", **on))["organisation"] == "D7"
    assert (await r.answer("organisation", code="d7.c1", **on))["ancestors"][0]["code"] == "D7"
    assert (await r.answer("unit_kind", code="d7.C1", **on)) == {"code": "D7.C1", "kind": "cell"}
    assert (await r.answer("authority", code="d7.c1", **on))["chain"][:2] == ["D7.C1", "D7"]
    assert [u["code"] for u in (await r.answer("subtree", code="d7", **on))["organisations"]] == ["D7", "D7.C1"]
    unknown = await r.query("roster", organisation="d8", **on)
    assert (unknown["ok"], unknown["error"]["code"]) == (False, "not_found") and "d8" in unknown["error"]["message"]


async def test_every_bad_row_is_reported_and_nothing_is_written(province: Registry, pool: asyncpg.Pool, tmp_path: Path) -> None:
    r = province
    rows = district("T01", communes=1, cells=2, members=3)
    name = rows[4]["full_name"]  # a member of the first cell (line 6 of the CSV)
    rows += [
        {"record": "organisation", "code": "X1", "name": "Chi bộ lạc", "kind": "cell", "parent": "G404",
         "effective_from": "2015-01-01"},
        {"record": "organisation", "code": "Y1", "name": "Vòng 1", "kind": "upper_committee", "parent": "Y2",
         "effective_from": "2015-01-01"},
        {"record": "organisation", "code": "Y2", "name": "Vòng 2", "kind": "upper_committee", "parent": "Y1",
         "effective_from": "2015-01-01"},
        {"record": "member", "citizen_id": "00120000001", "full_name": "Lý Văn Mười", "organisation": "D1.G1.C1",
         "kind": "official", "effective_from": "2016-01-01"},
        {"record": "member", "citizen_id": rows[4]["citizen_id"], "full_name": unicodedata.normalize("NFD", name),
         "organisation": "D1.G1.C2", "kind": "official", "effective_from": "2016-01-01"},
        {"record": "member", "citizen_id": "001200000777", "full_name": "Lý Văn Mười", "organisation": "D1.G1",
         "kind": "official", "effective_from": "31/02/2016"},
        {"record": "member", "citizen_id": "001200000778", "organisation": "D1.G1.C1", "kind": "chính thức",
         "effective_from": "01/03/2016"},
        {"record": "applicant", "code": "Z"},
    ]
    head = await r.head()
    result = await import_file(pool, write_csv(tmp_path / "bad.csv", rows), schema=r.name)
    assert not result.written and await r.head() == head
    first = len(rows) - 8 + 2  # the first added row's line: after the header and the generated rows
    assert result.problems == sorted([
        Problem(first, "parent", "Tổ chức cấp trên G404 không tồn tại vào ngày 01/01/2015."),
        Problem(first + 1, "parent", "Vòng lặp trong cây tổ chức: Y1 → Y2 → Y1"),
        Problem(first + 2, "parent", "Vòng lặp trong cây tổ chức: Y1 → Y2 → Y1"),
        Problem(first + 3, "citizen_id", "Số định danh cá nhân (CCCD) phải gồm đúng 12 chữ số"),
        Problem(first + 4, "citizen_id", "Số CCCD trùng với dòng 6 (cùng họ tên sau khi chuẩn hóa Unicode)"),
        Problem(first + 5, "effective_from", "Ngày không tồn tại trong lịch"),
        Problem(first + 6, "full_name", "bắt buộc, đang để trống"),
        Problem(first + 7, "record", "Loại dòng phải là tổ chức, đảng viên, kết nạp trên giấy, cấp ủy, địa bàn, hồ sơ đang làm hoặc người thân"),
    ])


async def test_a_json_file_reports_the_lines_its_items_start_on(province: Registry, pool: asyncpg.Pool, tmp_path: Path) -> None:
    r = province
    rows = district("T01", communes=1, cells=1, members=2)
    rows[2] = {**rows[2], "kind": "province"}  # a province under a grassroots committee
    rows.append({"record": "member", "citizen_id": "001200000009", "full_name": "Lò Văn Páo", "organisation": "D1.G1",
                 "kind": "official", "effective_from": "2016-01-01"})
    path = write_json(tmp_path / "d.json", rows)
    result = await import_file(pool, path, schema=r.name)
    lines = path.read_text().splitlines()
    by_field = {p.field: p for p in result.problems}
    assert '"code": "D1.G1.C1"' in lines[by_field["parent"].line]  # the line after the item's "{"
    assert by_field["parent"].reason == "Tỉnh ủy, thành ủy không thể trực thuộc đảng bộ cơ sở."
    assert '"citizen_id": "001200000009"' in lines[by_field["organisation"].line]
    assert by_field["organisation"].reason == "Đảng viên sinh hoạt ở chi bộ; D1.G1 là đảng bộ cơ sở."
    assert not result.written and await r.head() == 1

    good = write_json(tmp_path / "good.json", district("T01", communes=1, cells=1, members=2))
    assert (await import_file(pool, good, schema=r.name)).written


async def test_the_ketnap_command_imports_a_file_into_the_registry(servers: Servers, tmp_path: Path) -> None:
    database = unique("ketnap_import_")
    conn = await asyncpg.connect(servers.postgres_url)
    try:
        await conn.execute(f"CREATE DATABASE {database} TEMPLATE template0 ENCODING 'UTF8'")
    finally:
        await conn.close()
    url = with_database(servers.postgres_url, database)
    await bootstrap_database(url, [build_service()], create_roles=False)
    rows = [{"record": "organisation", "code": "T01", "name": "Tỉnh ủy", "kind": "tỉnh ủy, thành ủy", "effective_from": "2015-01-01"},
            *district("T01", communes=1, cells=2, members=3)]
    env = {**os.environ, "NATS_URL": servers.nats_url, "DATABASE_URL": url}

    async def ketnap(*args: str) -> tuple[int, str, str]:
        return await run_cli(env, "registry", "import", *args)

    code, out, err = await ketnap(str(write_csv(tmp_path / "ok.csv", rows, delimiter=";")), "--actor", "importer-2")
    assert code == 0, out + err
    assert out.strip() == "Đã nhập: 5 tổ chức, 6 đảng viên, 0 đảng viên kết nạp trên giấy, 2 cấp ủy viên, 3 địa bàn (17 sự kiện)."
    assert "Đã đọc 16 dòng dữ liệu." in err
    code, out, _ = await ketnap(str(write_csv(tmp_path / "again.csv", rows[:2])))
    assert code == 1
    assert out.splitlines() == [
        "Dòng 2, cột «Mã»: Mã tổ chức T01 đã có trong sổ đăng ký",
        "Dòng 3, cột «Mã»: Mã tổ chức D1 đã có trong sổ đăng ký",
        "Có 2 lỗi; không nhập gì.",
    ]
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    try:
        assert await EventStore(pool, "registry").head_position() == 17
    finally:
        await pool.close()
