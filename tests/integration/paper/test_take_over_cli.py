"""`ketnap registry import` takes over dossiers begun on paper from an Excel workbook with Vietnamese
headers (issue 18): `--dry-run` judges every step through the services (a cell's resolution short of
2/3 is refused by voting, CELL_2_3) and writes nothing; the import itself writes nothing while a row
is refused, and the whole file once corrected, saying how many rows it judged and wrote.

The CLI speaks to the services by their production names, so they run here under those names, on a
database of their own."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import date
from pathlib import Path

import asyncpg
import nats
import openpyxl
import pytest

from ketnap.operations.bootstrap import bootstrap_database
from ketnap.services.dossiers.service import build_service as build_dossiers
from ketnap.services.registry.service import build_service as build_registry
from ketnap.services.verification.service import build_service as build_verification
from ketnap.services.voting.service import build_service as build_voting
from tests.conftest import new_database, unique
from tests.integration.harness import bootstrap_bus, run_cli, running
from tests.integration.paper.test_take_over import CELL, HELPER, INTRODUCER_1, INTRODUCER_2, REGISTRY_ROWS
from tests.servers import Servers

AT_LETTER, AT_RESOLUTION = "001998000001", "001998000002"
HEADERS = [
    "Số CCCD", "Họ và tên", "Chi bộ", "Người giúp đỡ", "Ngày vào danh sách cảm tình", "Bước hiện tại", "Số giấy chứng nhận",
    "Ngày cấp giấy chứng nhận", "Nơi cấp giấy chứng nhận", "Ngày làm đơn", "Ngày khai lý lịch", "Ngày sinh", "Giới tính",
    "Dân tộc", "Tôn giáo", "Nghề nghiệp", "Trình độ phổ thông", "Trình độ chuyên môn", "Đoàn viên", "CCCD người giới thiệu 1",
    "Người giới thiệu 1", "CCCD người giới thiệu 2", "Người giới thiệu 2", "Ngày giới thiệu", "Cùng công tác từ", "Ngày nhận xét",
    "Cấp ủy chứng nhận lý lịch", "Ngày chứng nhận lý lịch", "Ngày sẵn sàng xét", "Ngày chi bộ họp xét", "Số phiếu tán thành",
]


def workbook(path: Path, *, cell_agree: int) -> Path:
    """One sheet named by its kind of row (no «Loại dòng» column), dates as Excel dates or typed text."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Hồ sơ đang làm"
    sheet.append(HEADERS)
    sheet.append([AT_LETTER, "Hà Thị Hai", CELL, HELPER, date(2026, 1, 5), "Đã nộp đơn xin vào Đảng", *[None] * 3, "20/01/2026",
                  *[None] * (len(HEADERS) - 10)])
    sheet.append([
        AT_RESOLUTION, "Đỗ Văn Một", CELL, HELPER, date(2026, 1, 5), "chờ quyết định kết nạp", "12/TTCT", date(2025, 11, 1),
        "Trung tâm chính trị huyện Tam Nông", date(2026, 1, 12), date(2026, 2, 2), date(1995, 5, 10), "Nam", "Kinh", "Không",
        "Giáo viên", "upper_secondary", "university", "có", INTRODUCER_1, "Trần Văn Giới", INTRODUCER_2, "Lê Thị Thiệu",
        "02/03/2026", "01/01/2024", "04/03/2026", "PT.H1.X1", "01/04/2026", "10/04/2026", date(2026, 4, 15), cell_agree,
    ])
    assert sheet.max_column == len(HEADERS)
    book.save(path)
    return path


@pytest.fixture
async def database_url(servers: Servers) -> AsyncIterator[str]:
    """A database where the services run under their production names, as the CLI finds them."""
    url = await new_database(servers.postgres_url, "ketnap_paper_")
    services = [build_registry(), build_dossiers(), build_verification(), build_voting()]
    await bootstrap_database(url, services, create_roles=False)
    deployment = unique("d")
    async with AsyncExitStack() as stack:
        nc = await nats.connect(servers.nats_url)
        stack.push_async_callback(nc.drain)
        await bootstrap_bus(nc.jetstream(), deployment, services)
        for service in services:
            await stack.enter_async_context(running(service, servers.nats_url, url, deployment))
        yield url


async def _head(url: str, log: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(f"SELECT coalesce(max(position), 0) FROM {log}.events")
    finally:
        await conn.close()


async def test_the_cli_judges_an_excel_file_of_paper_dossiers_whole_and_writes_it_all_or_nothing(
    database_url: str, servers: Servers, tmp_path: Path
) -> None:
    env = {**os.environ, "NATS_URL": servers.nats_url, "DATABASE_URL": database_url}

    async def ketnap(*args: str) -> tuple[int, str, str]:
        return await run_cli(env, "registry", "import", *args, timeout=300)

    (tmp_path / "to-chuc.csv").write_text(REGISTRY_ROWS, encoding="utf-8")
    code, out, err = await ketnap(str(tmp_path / "to-chuc.csv"))
    assert code == 0, out + err

    short = workbook(tmp_path / "ho-so.xlsx", cell_agree=2)  # 2 of the cell's 5 members
    for dry_run in (["--dry-run"], []):
        code, out, err = await ketnap(str(short), *dry_run)
        assert code == 1, out + err
        refused = [line for line in out.splitlines() if line.startswith("Dòng")]
        assert len(refused) == 1 and refused[0].startswith("Dòng 3, cột «Số phiếu tán thành»: [CELL_2_3] "), out
        assert "2/2 hồ sơ đã xét" in err
        assert "hồ sơ đã ghi" not in err
        assert await _head(database_url, "dossiers") == 0  # not even the row at the letter, nor line 3's earlier steps
    assert out.splitlines()[-1] == "Hồ sơ đang làm: 2 dòng, 1 lỗi; không tiếp nhận hồ sơ nào."

    code, out, err = await ketnap(str(workbook(tmp_path / "ho-so-da-sua.xlsx", cell_agree=4)))
    assert code == 0, out + err
    assert out.splitlines()[-1] == "Đã tiếp nhận 2/2 hồ sơ đang làm từ hồ sơ giấy."
    assert "2/2 hồ sơ đã xét" in err and "2/2 hồ sơ đã ghi" in err
    assert await _head(database_url, "voting") > 0
