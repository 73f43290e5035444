"""Liên kết in a real browser: a province and a commune as two deployments joined by a NATS leaf
link (tests/integration/federation/linked.py), every service running for real. An inspector of the
province reads each log kept from the commune (how far, on the way, last contact); the link cut, the
page says so and what is known to be missing; a role the access table does not name is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, expect

from ketnap.services.gateway.passwords import hash_password
from ketnap.services.gateway.scope import OPERATOR, WHOLE_DEPLOYMENT
from tests.conftest import eventually
from tests.integration.federation.linked import Deployment, linked_deployments
from tests.integration.gateway.webclient import PASSWORD
from tests.servers import Servers
from tests.web.conftest import LAPTOP, screenshot

pytestmark = pytest.mark.asyncio(loop_scope="session")

PROVINCE, COMMUNE = "tinh-lk", "xa-lk"
USERS = {"kiemtra": "inspector", "bantochuc": "organisation_board"}


async def _user_made(top: Deployment, login: str, role: str) -> bool:
    """The gateway checks the user's unit with the registry, which learns of it from its own log."""
    body = {"actor": OPERATOR, "scope": WHOLE_DEPLOYMENT, "login": login, "display_name": f"Người dùng {login}", "role": role, "organisation": "TU"}
    reply = await top.send("gateway", "create_user", body)
    return reply["ok"] or (reply.get("error") or {}).get("code") == "conflict"


@pytest.fixture(scope="module")
async def levels(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Deployment, Deployment]]:
    async with linked_deployments(tmp_path_factory.mktemp("lien-ket"), servers.postgres_url, PROVINCE, [COMMUNE]) as (top, below):
        reply = await top.send("registry", "establish_organisation", {
            "actor": "seed", "scope": "TU", "code": "TU", "name": "Tỉnh ủy", "kind": "province", "parent": None, "effective_from": "2020-01-01",
        })
        assert reply["ok"], reply
        for login, role in USERS.items():
            await eventually(lambda login=login, role=role: _user_made(top, login, role), timeout=30, interval=0.5)
            reply = await top.send("gateway", "set_password", {
                "actor": OPERATOR, "scope": WHOLE_DEPLOYMENT, "login": login, "password_hash": hash_password(PASSWORD),
            })
            assert reply["ok"], reply
        yield top, below[0]


async def signed_in(browser: Browser, top: Deployment, login: str) -> Page:
    assert top.settings is not None
    context = await browser.new_context(viewport=LAPTOP, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(20_000)
    page = await context.new_page()
    await page.goto(f"http://127.0.0.1:{top.settings.gateway_port}/")
    await page.get_by_label("Tên đăng nhập").fill(login)
    await page.get_by_label("Mật khẩu").fill(PASSWORD)
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.wait_for_url("**/viec-can-lam")
    return page


async def test_an_inspector_reads_each_kept_log_and_sees_the_link_cut(browser: Browser, levels: tuple[Deployment, Deployment]) -> None:
    top, commune = levels
    page = await signed_in(browser, top, "kiemtra")
    try:
        await page.get_by_role("navigation", name="Chức năng").get_by_role("link", name="Kiểm tra").click()
        await page.get_by_role("link", name="Liên kết với các đơn vị triển khai khác").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Liên kết với các đơn vị triển khai khác")
        registry = page.locator("#lien-ket tbody tr").filter(has_text="sổ Tổ chức và đảng viên của đơn vị triển khai xa-lk")
        await expect(registry).to_contain_text("xa-lk (đơn vị cấp dưới)")
        await expect(page.locator("#lien-ket tbody tr")).to_have_count(4)  # registry, dossiers, verification, voting
        for internal in ("registry_at_xa_lk", "_at_"):
            await expect(page.locator("main")).not_to_contain_text(internal)

        async def heard() -> bool:
            await page.reload()
            return "Đang liên lạc" in (await registry.inner_text())

        await eventually(heard, timeout=60, interval=1)
        await screenshot(page, "kiem-tra-lien-ket")

        assert commune.proxy is not None
        await commune.proxy.cut()
        try:
            async def shown_cut() -> bool:
                await page.reload()
                return "Bị đứt" in await registry.inner_text()  # each log's source notices on its own

            await eventually(shown_cut, timeout=60, interval=1)
            cut = page.get_by_role("alert").filter(has_text="Liên kết với xa-lk bị đứt").first
            await expect(page.get_by_role("alert").filter(has_text="Liên kết với xa-lk bị đứt")).to_have_count(1)  # one line, one warning
            await expect(cut).to_contain_text("sổ Tổ chức và đảng viên của đơn vị triển khai xa-lk: mới giữ đến vị trí")
            await expect(cut).to_contain_text("cùng mọi sự kiện xa-lk ghi sau lần liên lạc cuối")
            await expect(registry).to_contain_text("Bị đứt")
            await screenshot(page, "kiem-tra-lien-ket-dut")
        finally:
            await commune.proxy.restore()
    finally:
        await page.context.close()


async def test_a_role_the_access_table_does_not_name_is_refused(browser: Browser, levels: tuple[Deployment, Deployment]) -> None:
    top, _ = levels
    page = await signed_in(browser, top, "bantochuc")
    try:
        response = await page.goto(f"http://127.0.0.1:{top.settings.gateway_port}/kiem-tra/lien-ket")  # type: ignore[union-attr]
        assert response is not None and response.status == 403
        await expect(page.get_by_role("heading", level=1)).to_have_text("Không được phép")
    finally:
        await page.context.close()


async def test_a_report_over_a_cut_link_says_it_may_be_incomplete(browser: Browser, levels: tuple[Deployment, Deployment]) -> None:
    """The board's quota report above a cut link warns that what the commune recorded since may be
    missing, instead of passing the figures kept so far for whole ones; the link back, it does not."""
    top, commune = levels
    page = await signed_in(browser, top, "bantochuc")
    report = f"http://127.0.0.1:{top.settings.gateway_port}/bao-cao/chi-tieu?don-vi=TU&ky=nam&nam=2026"  # type: ignore[union-attr]
    warning = page.get_by_role("alert").filter(has_text="Báo cáo chưa đầy đủ")
    try:
        await page.goto(report)
        await expect(page.get_by_role("heading", level=2).first).to_be_visible()
        assert commune.proxy is not None
        await commune.proxy.cut()
        try:
            async def warned() -> bool:
                await page.goto(report)
                return await warning.count() == 1

            await eventually(warned, timeout=60, interval=1)
            await expect(warning).to_contain_text("đường nối tới xa-lk đang bị đứt")
            await expect(page.locator("main")).not_to_contain_text("_at_")
            await screenshot(page, "bao-cao-chua-day-du")
        finally:
            await commune.proxy.restore()

        async def whole_again() -> bool:
            await page.goto(report)
            return await warning.count() == 0

        await eventually(whole_again, timeout=60, interval=1)
    finally:
        await page.context.close()
