"""Kiểm tra · toàn vẹn nhật ký in a real browser, against every real service: an inspector runs
the check of every log from the page, sees it progress and each log's answer in Vietnamese; a log
rewritten in PostgreSQL (as a superuser with the guard off) is named with its first wrong position."""

from __future__ import annotations

import re

import asyncpg
import pytest
from playwright.async_api import Page, expect

from tests.integration.gateway.webclient import PASSWORD, browsers, csrf_of
from tests.integration.gateway.world import World
from tests.web.conftest import screenshot, sign_in

pytestmark = pytest.mark.asyncio(loop_scope="session")

CHECKED = 30_000
"""A check walks every log: long enough for the slowest of them on a shared machine."""


@pytest.fixture(scope="module")
async def opened(world: World) -> str:
    for login in ("kiemtra", "bithu.a1"):
        await world.set_password(login, PASSWORD)
    return await world.open_dossier("bithu.a1", "CB-A1")


async def run_the_check(page: Page, login: str, world: World) -> None:
    await sign_in(page, world, login)
    await page.get_by_role("navigation", name="Chức năng").get_by_role("link", name="Kiểm tra").click()
    await page.get_by_role("button", name="Kiểm tra toàn vẹn nhật ký").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Kiểm tra toàn vẹn nhật ký")


async def test_an_inspector_checks_every_log_from_the_page(page: Page, world: World, opened: str) -> None:
    await run_the_check(page, "kiemtra", world)
    await expect(page.get_by_text("Mọi nhật ký đều nguyên vẹn")).to_be_visible(timeout=CHECKED)
    rows = page.locator("#nhat-ky tbody tr")
    await expect(rows).to_have_count(5)
    dossiers = page.locator("#nhat-ky-dossiers")
    await expect(dossiers.get_by_role("rowheader")).to_have_text("Hồ sơ")
    await expect(dossiers).to_contain_text(re.compile(r"Nguyên vẹn: đã kiểm [\d.]+ sự kiện \(vị trí 1–[\d.]+\); [\d.]+ vị trí khớp luồng JetStream"))
    await expect(dossiers.get_by_role("progressbar")).to_have_attribute("value", "100")
    for row in await rows.all():
        await expect(row).to_have_attribute("data-state", "intact")
    # finished: the block no longer asks for itself
    await expect(page.locator("#ket-qua-kiem-tra[hx-trigger]")).to_have_count(0)
    await screenshot(page, "kiem-tra-nhat-ky")


async def test_a_rewritten_log_is_named_with_its_first_wrong_position(
    page: Page, world: World, opened: str, pool: asyncpg.Pool,
) -> None:
    schema = world.store("registry").schema
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")  # a superuser with the guard off
        await conn.execute(f"UPDATE {schema}.events SET actor = 'ke-gia-mao' WHERE position = 2")
    await run_the_check(page, "kiemtra", world)
    await expect(page.get_by_text("Có nhật ký không còn nguyên vẹn")).to_be_visible(timeout=CHECKED)
    registry = page.locator("#nhat-ky-registry")
    await expect(registry).to_have_attribute("data-state", "broken")
    await expect(registry).to_contain_text("Hỏng tại vị trí 2: nội dung sự kiện không khớp mã băm đã lưu (đã bị sửa). Trước đó 1 sự kiện nguyên vẹn.")
    await expect(page.locator("#nhat-ky-dossiers")).to_have_attribute("data-state", "intact")  # the other logs still checked
    await screenshot(page, "kiem-tra-nhat-ky-hong")


async def test_only_whom_the_access_table_lets_and_only_the_one_who_started_it(world: World, opened: str) -> None:
    async with browsers(world) as signed:
        cell_secretary = await signed("bithu.a1")
        csrf = csrf_of((await cell_secretary.get("/ho-so")).text)
        assert (await cell_secretary.post("/kiem-tra/nhat-ky", {"csrf": csrf})).status_code == 403

        inspector = await signed("kiemtra")
        csrf = csrf_of((await inspector.get("/kiem-tra")).text)
        started = await inspector.post("/kiem-tra/nhat-ky", {"csrf": csrf})
        assert started.status_code == 303, started.text
        address = started.headers["location"]
        assert (await inspector.get(address)).status_code == 200
        assert (await cell_secretary.get(address)).status_code == 404  # someone else's check is not shown
