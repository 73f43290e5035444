"""Browser tests of the staff web application: the system's Chromium (Debian's `chromium` package,
/usr/bin/chromium) driven by Playwright, which downloads no browser; every real service and the
gateway's HTTP server started by the fixtures, as in the gateway's integration tests.

These tests never skip: without Chromium they fail and say how to install it (`.ci/run` does).
Screenshots of the main pages are written to `tests/web/screenshots/` (not committed).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from tests.integration.gateway.webclient import PASSWORD
from tests.integration.gateway.world import World, world_of
from tests.servers import Servers

CHROMIUM = os.environ.get("KETNAP_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
expect.set_options(timeout=15_000)
"""A check waits up to 15 s, as the browser's actions do (20 s): the machine running the tests is
shared, and a page waiting for every service under load is slow, not wrong."""
ARGS = [
    # Closed networks: no background traffic, no component updates (seen refused many at a time here).
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
]


@pytest.fixture(scope="module")
async def world(pool: asyncpg.Pool, servers: Servers, database_url: str) -> AsyncIterator[World]:
    async with world_of(pool, servers.nats_url, database_url) as started:
        yield started


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        pytest.fail(f"Chromium không có ở {CHROMIUM}: cài bằng `apt-get install chromium chromium-driver` (.ci/run làm việc này).")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    created = await browser.new_context(viewport=LAPTOP, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    created.set_default_timeout(20_000)
    try:
        yield created
    finally:
        await created.close()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


async def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=full_page)
    return path


async def sign_in(page: Page, world: World, login: str, password: str = PASSWORD) -> None:
    await page.goto(world.listener.url + "/")
    await page.get_by_label("Tên đăng nhập").fill(login)
    await page.get_by_label("Mật khẩu").fill(password)
    await page.get_by_role("button", name="Đăng nhập").click()


Opener = Callable[[str], Awaitable[Page]]


@pytest.fixture
async def signed_in_page(browser: Browser, world: World) -> AsyncIterator[Opener]:
    """Browsers of their own (cookies apart), each signed in as a login, on the home page."""
    contexts: list[BrowserContext] = []

    async def open_as(login: str) -> Page:
        created = await browser.new_context(viewport=LAPTOP, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
        created.set_default_timeout(20_000)
        contexts.append(created)
        page = await created.new_page()
        await sign_in(page, world, login)
        await page.wait_for_url("**/viec-can-lam")
        return page

    try:
        yield open_as
    finally:
        for created in contexts:
            await created.close()
