"""Kiểm tra in a real browser (Debian's Chromium, driven by Playwright), against every real service:
a forged event published on the dossiers log raises integrity alarms; an inspector sees them and a
dossier's whole timeline (log, position, hash) but cannot acknowledge; an administrator acknowledges
one with a reason, and the page shows who did and why."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from ketnap.platform.bus import subjects
from ketnap.services.gateway.access import Role
from tests.conftest import eventually
from tests.integration.forgery import forged_withdrawal, publish
from tests.integration.gateway.webclient import PASSWORD, WebClient, browsers, csrf_of, visible_text
from tests.integration.gateway.world import World
from tests.web.conftest import screenshot, sign_in

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def alarms_of(world: World, service: str) -> list[dict]:
    reply = await world.request(subjects.query_subject(world.name(service), "integrity_alarms"), {"include_acknowledged": True})
    assert reply["ok"], reply
    return reply["result"]["items"]


async def alarms_raised(world: World) -> int:
    """The alarms of every consumer of the dossiers log (they are kept by the consuming services)."""
    return sum([len(await alarms_of(world, service)) for service in ("verification", "voting", "reporting")])


@pytest.fixture(scope="module")
async def forged(world: World) -> str:
    """A dossier opened for real, then its withdrawal forged at the dossiers log's head + 1."""
    for login in ("kiemtra", "quantri", "quantri.b", "bithu.a1"):
        await world.set_password(login, PASSWORD)
    dossier_id = await world.open_dossier("bithu.a1", "CB-A1")
    events = [e async for batch in world.store("dossiers").read_log(0) for e in batch]
    opened = next(e for e in events if e.event_type == "DossierOpened" and e.data["dossier_id"] == dossier_id)
    version = max(e.stream_version for e in events if e.stream_id == opened.stream_id)
    await publish(world.nc, world.deployment, world.name("dossiers"), forged_withdrawal(opened, version, events[-1].position + 1))
    await eventually(lambda: alarms_raised(world), timeout=30)
    return dossier_id


async def test_an_inspector_sees_the_alarm_and_an_administrator_acknowledges_it(page: Page, world: World, forged: str) -> None:
    await sign_in(page, world, "kiemtra")
    await page.get_by_role("navigation", name="Chức năng").get_by_role("link", name="Kiểm tra").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Kiểm tra")
    alarm = page.locator("section.alarm").filter(has_text="chưa xác nhận").first
    await expect(alarm).to_contain_text("đứt mắt xích (băm trước không khớp)")
    await expect(alarm.get_by_role("button", name="Xác nhận đã xem xét")).to_have_count(0)  # an inspector writes nothing
    # in words: the event, the log and the part that refused it; no schema, subject or class name
    await expect(alarm).to_contain_text("Tin «Rút hồ sơ» ở vị trí")
    await expect(alarm).to_contain_text("của sổ Hồ sơ")
    for internal in (world.name("dossiers"), ".evt.", "DossierWithdrawn", "ketnap."):
        await expect(page.locator("main")).not_to_contain_text(internal)
    await screenshot(page, "kiem-tra-canh-bao")

    # the dossier's whole timeline: each event's log, position and hash
    await page.get_by_label("Mã hồ sơ").fill(forged)
    await page.get_by_role("button", name="Xem diễn biến").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Diễn biến của hồ sơ {forged}")
    opened = page.locator("#dien-bien tbody tr").filter(has_text="Đưa vào danh sách cảm tình Đảng").first
    await expect(opened).to_contain_text("sổ Hồ sơ")
    await expect(opened).to_contain_text("Tổ chức CB-A1 (CB-A1)")
    # who recorded it: name, role and unit in words, never a role's or unit's code alone
    await expect(opened).to_contain_text("Người dùng bithu.a1 (Bí thư chi bộ, Tổ chức CB-A1 (CB-A1))")
    for role in Role:
        await expect(page.locator("#dien-bien")).not_to_contain_text(role.value)
    await expect(page.locator("#dien-bien")).not_to_contain_text(world.name("dossiers"))
    await expect(opened.locator("code")).to_have_attribute("title", re.compile(r"^[0-9a-f]{64}$"))
    await screenshot(page, "kiem-tra-dien-bien")
    # and back: the dossier's page links to it for those who may read it
    await page.get_by_role("link", name="Mở hồ sơ").click()
    await page.get_by_role("link", name="Diễn biến để kiểm tra").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Diễn biến của hồ sơ {forged}")


async def test_an_administrator_acknowledges_an_alarm_with_a_reason(page: Page, world: World, forged: str) -> None:
    await sign_in(page, world, "quantri")
    await page.get_by_role("navigation", name="Chức năng").get_by_role("link", name="Kiểm tra").click()
    # one of verification's: a service that keeps a log, where the acknowledgement is recorded
    alarm = page.locator("section.alarm[id^='canh-bao-verification-']").filter(has_text="chưa xác nhận").first
    service, number = (await alarm.get_attribute("id") or "").removeprefix("canh-bao-").rsplit("-", 1)
    reason = alarm.get_by_role("textbox", name="Lý do xác nhận")

    await reason.fill("ok")  # too short to say what was looked at: refused, kept as typed
    await alarm.get_by_role("button", name="Xác nhận đã xem xét").click()
    await expect(page.locator(".error-summary")).to_contain_text("Lý do xác nhận")
    alarm = page.locator(f"#canh-bao-{service}-{number}")
    await expect(alarm.get_by_role("textbox", name="Lý do xác nhận")).to_have_value("ok")

    await alarm.get_by_role("textbox", name="Lý do xác nhận").fill("Tin giả mạo, đã đối chiếu sổ hồ sơ: không áp dụng")
    await alarm.get_by_role("button", name="Xác nhận đã xem xét").click()
    await expect(alarm).to_contain_text("đã xác nhận")
    # who acknowledged it: name, role and unit in words (the login's role code never shows)
    await expect(alarm).to_contain_text("Người dùng quantri (Quản trị hệ thống, ")
    await expect(alarm).to_contain_text("T01)")
    for role in Role:
        await expect(page.locator("main")).not_to_contain_text(role.value)
    await expect(alarm).to_contain_text("Tin giả mạo, đã đối chiếu sổ hồ sơ: không áp dụng")
    await screenshot(page, "kiem-tra-da-xac-nhan")

    # the service itself keeps who acknowledged it and why
    kept = next(a for a in await alarms_of(world, service) if str(a["id"]) == number)
    assert (kept["acknowledged_by"], kept["acknowledged_reason"]) == ("quantri", "Tin giả mạo, đã đối chiếu sổ hồ sơ: không áp dụng")
    # and its log holds the acknowledgement as an event: the audit trail says who, what and why
    logged = [e async for batch in world.store(service).read_log(0) for e in batch if e.event_type == "IntegrityAlarmAcknowledged"]
    (acknowledged,) = [e for e in logged if e.data["alarm_id"] == int(number)]
    assert (acknowledged.actor, acknowledged.data["reason"]) == ("quantri", "Tin giả mạo, đã đối chiếu sổ hồ sơ: không áp dụng")
    assert (acknowledged.data["source"], acknowledged.data["kind"]) == (kept["source"], kept["kind"])


async def test_what_the_access_table_and_the_scope_refuse_the_page_refuses(world: World, forged: str) -> None:
    """The page protects nothing by itself: the API's access table and scope check refuse for it."""
    still_open = [(service, a) for service in ("voting", "reporting") for a in await alarms_of(world, service) if a["acknowledged_at"] is None]
    service, open_alarm = still_open[0]
    async with browsers(world) as signed:
        inspector = await signed("kiemtra")
        csrf = csrf_of((await inspector.get("/kiem-tra")).text)
        refused = await inspector.post(f"/kiem-tra/canh-bao/{service}/{open_alarm['id']}",
                                       {"csrf": csrf, "idempotency_key": "a-key-of-the-inspector", "ly_do": "Tôi đã xem xét kỹ"})
        assert refused.status_code == 403, refused.text
        assert next(a for a in await alarms_of(world, service) if a["id"] == open_alarm["id"])["acknowledged_at"] is None

        cell_secretary = await signed("bithu.a1")  # may not read integrity alarms, nor a dossier's audit timeline
        assert (await cell_secretary.get("/kiem-tra")).status_code == 403
        assert (await cell_secretary.get(f"/kiem-tra/ho-so/{forged}")).status_code == 403

        other_subtree = await signed("quantri.b")  # an administrator of DU-B: the dossier lies in CB-A1
        assert (await other_subtree.get(f"/kiem-tra/ho-so/{forged}")).status_code == 403


async def test_a_service_that_does_not_answer_is_named_and_the_others_still_show(world: World, forged: str) -> None:
    client = WebClient(world)
    try:
        await client.sign_in("kiemtra")
        async with world.down("voting"):
            page = await client.get("/kiem-tra")
        text = visible_text(page.text)
        assert page.status_code == 200, text
        assert "Dịch vụ «Biểu quyết và quyết định» chưa trả lời" in text, text
        assert "Thẩm tra lý lịch · " in text, text  # verification's alarm still shows
    finally:
        await client.close()


async def test_a_deployment_linked_to_none_says_so_on_the_links_page(world: World, forged: str) -> None:
    client = WebClient(world)
    try:
        await client.sign_in("kiemtra")
        inspection = visible_text((await client.get("/kiem-tra")).text)
        assert "Liên kết với các đơn vị triển khai khác" not in inspection, inspection  # nothing to follow
        page = await client.get("/kiem-tra/lien-ket")
        text = visible_text(page.text)
        assert page.status_code == 200, text
        assert "Đơn vị triển khai này không liên kết với đơn vị triển khai nào" in text, text
    finally:
        await client.close()
