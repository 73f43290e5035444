"""The staff web application in a real browser (Debian's Chromium, driven by Playwright), against
every real service: what a cell secretary, a commune's staff and an administrator see and do."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.integration.gateway.webclient import PASSWORD
from tests.integration.gateway.world import World
from tests.web.conftest import PHONE, screenshot, sign_in
from tests.web.people import prepare_certified, seed_people, today

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture(scope="module")
async def dossiers(world: World) -> dict[str, str]:
    for login in ("bithu.a1", "canbo.a", "bantochuc", "quantri"):
        await world.set_password(login, PASSWORD)
    await world.operator("create_user", login="thu.khoa", display_name="Người Thử Khóa", role="cell_secretary", organisation="CB-A2")
    await world.set_password("thu.khoa", PASSWORD)
    await seed_people(world)
    await world.registry("assign_quota", organisation="DU-A", period=str(today().year), quantity=12, assigned_by="T01",
                         decision_date=f"{today().year}-01-05")
    return {
        "ready": await prepare_certified(world, "Nguyễn Văn Ân", "001095000041", ready=True),
        "low_education": await prepare_certified(world, "Lò Thị Bích", "001095000042", education="primary"),
    }


async def test_signing_in_a_wrong_password_and_the_lock_out(page: Page, world: World, dossiers: dict[str, str]) -> None:
    await sign_in(page, world, "thu.khoa", "khong-phai-mat-khau")
    await expect(page.get_by_role("alert")).to_contain_text("Tên đăng nhập hoặc mật khẩu không đúng.")
    await expect(page.get_by_label("Tên đăng nhập")).to_have_value("thu.khoa")
    await expect(page.get_by_label("Mật khẩu")).to_have_value("")
    await screenshot(page, "dang-nhap-sai-mat-khau")
    for _ in range(4):
        await page.get_by_label("Mật khẩu").fill("khong-phai-mat-khau")
        await page.get_by_role("button", name="Đăng nhập").click()
    await expect(page.get_by_role("alert")).to_contain_text("tạm khóa 15 phút")
    await expect(page.get_by_role("alert")).to_contain_text(re.compile(r"Hãy thử lại sau \d\d:\d\d ngày \d\d/\d\d/\d{4}"))
    await page.get_by_label("Mật khẩu").fill(PASSWORD)
    await page.get_by_role("button", name="Đăng nhập").click()
    await expect(page.get_by_role("alert")).to_contain_text("tạm khóa")  # the right password waits too
    await sign_in(page, world, "bithu.a1")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Việc cần làm")
    await expect(page.locator(".who")).to_contain_text("Bí thư chi bộ")


async def test_the_home_page_lists_what_waits_and_opens_the_dossier(page: Page, world: World, dossiers: dict[str, str]) -> None:
    await sign_in(page, world, "canbo.a")
    waiting = page.locator("section.task-box", has=page.get_by_role("heading", name=re.compile("Hồ sơ chờ chi bộ xét")))
    await expect(waiting.get_by_role("link", name="Nguyễn Văn Ân")).to_be_visible()
    ceremonies = page.locator("section.task-box", has=page.get_by_role("heading", name=re.compile("Lễ kết nạp cần tổ chức")))
    await expect(ceremonies).to_contain_text("Không có.")
    await expect(page.locator(".quota").first).to_contain_text(f"Năm {today().year}")
    await expect(page.locator(".quota").first).to_contain_text("0 / 12 đảng viên (0,0 %)")
    await expect(page.get_by_role("table").first).to_contain_text("Chờ chi bộ xét")
    await screenshot(page, "viec-can-lam")
    await waiting.get_by_role("link", name="Nguyễn Văn Ân").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Nguyễn Văn Ân")
    await expect(page.locator(".summary-list")).to_contain_text("Chờ chi bộ xét")
    await expect(page.locator(".task-list")).to_contain_text("Thẩm tra, chứng nhận lý lịch")
    await screenshot(page, "ho-so")


async def test_a_search_finds_an_accented_name_typed_without_accents(page: Page, world: World, dossiers: dict[str, str]) -> None:
    await sign_in(page, world, "bantochuc")
    await page.get_by_role("link", name="Hồ sơ", exact=True).click()
    await page.get_by_label("Họ tên hoặc số CCCD").fill("nguyen van an")
    results = page.locator("#ket-qua")
    await expect(results.get_by_role("link", name="Nguyễn Văn Ân", exact=True)).to_be_visible()  # found while typing (htmx)
    await expect(results).not_to_contain_text("Lò Thị Bích")
    await expect(results).to_contain_text("Tìm thấy 1 hồ sơ")
    await screenshot(page, "danh-sach-ho-so")
    await results.get_by_role("link", name=re.compile("Mở hồ sơ")).first.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Nguyễn Văn Ân")


async def test_a_page_is_refused_to_a_role_the_api_refuses(page: Page, world: World, dossiers: dict[str, str]) -> None:
    await sign_in(page, world, "quantri")
    await expect(page.get_by_role("navigation", name="Chức năng")).not_to_contain_text("Hồ sơ")
    answer = await page.goto(world.listener.url + "/ho-so?q=nguyen")
    assert answer is not None and answer.status == 403
    await expect(page.get_by_role("heading", level=1)).to_have_text("Không được phép")
    api = await world.query("quantri", "dossiers", "search", {"name": "nguyen"})
    assert api.status_code == 403
    dossier = await page.goto(world.listener.url + f"/ho-so/{dossiers['ready']}/don-xin-vao-dang")
    api_letter = await world.command("quantri", "dossiers", "submit_application_letter", {"dossier_id": dossiers["ready"], "submitted_on": "2025-01-01"})
    assert dossier is not None and (dossier.status, api_letter.status_code) == (200, 403)
    await expect(page.get_by_role("alert")).to_contain_text("Việc này không làm được lúc này")  # the form says so before any try


async def test_opening_a_dossier_and_recording_a_preparation_act(page: Page, world: World, dossiers: dict[str, str]) -> None:
    await sign_in(page, world, "bithu.a1")
    await page.get_by_role("link", name="Hồ sơ", exact=True).click()
    await page.get_by_role("link", name="Đưa quần chúng vào danh sách cảm tình Đảng").click()
    await page.get_by_label("Chi bộ").select_option("CB-A1")
    await page.get_by_label("Họ và tên quần chúng").fill("Hà Thị Lan")
    await page.get_by_label("Số CCCD của quần chúng").fill("001095000043")
    await expect(page.get_by_label("Ngày đưa vào danh sách")).to_have_value(f"{today():%d/%m/%Y}")
    await page.get_by_label("Số CCCD của đảng viên giúp đỡ").fill("001080000001")
    await screenshot(page, "mo-ho-so")
    await page.get_by_role("button", name="Mở hồ sơ").click()
    await expect(page.get_by_role("status")).to_contain_text("Đã ghi: Đưa vào danh sách cảm tình Đảng")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Hà Thị Lan")
    side = page.locator(".column-side")
    await expect(side.get_by_role("heading", level=3).first).to_have_text("Ghi giấy chứng nhận lớp bồi dưỡng nhận thức về Đảng")
    await side.get_by_role("link", name="Nộp đơn xin vào Đảng").click()
    await expect(page.get_by_label("Ngày nộp đơn")).to_have_value(f"{today():%d/%m/%Y}")
    await page.get_by_role("button", name="Ghi vào hồ sơ").click()
    await expect(page.get_by_role("status")).to_contain_text("Đã ghi: Nộp đơn xin vào Đảng")
    await expect(page.locator(".summary-list")).to_contain_text("Đã nộp đơn xin vào Đảng")
    letter = page.locator(".task", has_text="Đơn xin vào Đảng")
    await expect(letter).to_contain_text(f"ngày {today():%d/%m/%Y}")
    await expect(letter).to_contain_text("Đã xong")
    await expect(page.get_by_role("table")).to_contain_text("Nộp đơn xin vào Đảng")


async def test_an_edu_min_refusal_is_shown_on_the_form_kept_as_typed(page: Page, world: World, dossiers: dict[str, str]) -> None:
    await sign_in(page, world, "bithu.a1")
    await page.goto(world.listener.url + f"/ho-so/{dossiers['low_education']}")
    side = page.locator(".column-side")  # the next act's form, on the dossier page itself
    await expect(side.get_by_role("heading", level=3).first).to_have_text("Chuyển hồ sơ để chi bộ xét")
    meeting = f"{today():%d/%m/%Y}"
    await side.get_by_label("Ngày chi bộ họp xét (dự kiến)").fill(meeting)
    await side.get_by_role("button", name="Chuyển hồ sơ").click()
    summary = side.locator(".error-summary")
    await expect(summary).to_contain_text("Không đủ trình độ học vấn")
    await expect(summary).to_contain_text("quy định EDU_MIN, bước «Lý lịch người xin vào Đảng»")
    await expect(summary).to_be_focused()
    await expect(side.get_by_label("Ngày chi bộ họp xét (dự kiến)")).to_have_value(meeting)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Lò Thị Bích")  # the answer replaced the form only
    await screenshot(page, "tu-choi-edu-min")
    progress = await world.query("bithu.a1", "dossiers", "progress", {"dossier_id": dossiers["low_education"]})
    assert progress.json()["result"]["step"] == "verification"  # nothing recorded


async def test_every_field_has_a_label_and_the_form_is_reachable_by_keyboard(page: Page, world: World, dossiers: dict[str, str]) -> None:
    await sign_in(page, world, "bithu.a1")
    await page.goto(world.listener.url + f"/ho-so/{dossiers['low_education']}/chuyen-chi-bo-xet")
    for path in ("/ho-so/mo-moi", f"/ho-so/{dossiers['low_education']}/chuyen-chi-bo-xet", "/ho-so", "/viec-can-lam"):
        await page.goto(world.listener.url + path)
        unlabelled = await page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                   .filter(e => e.labels === null || e.labels.length === 0).map(e => e.name || e.id)"""
        )
        assert unlabelled == [], (path, unlabelled)
    await page.goto(world.listener.url + f"/ho-so/{dossiers['low_education']}/chuyen-chi-bo-xet")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Bỏ qua, tới nội dung chính"
    reached = []
    for _ in range(30):
        await page.keyboard.press("Tab")
        reached.append(await page.evaluate("(document.activeElement.labels && document.activeElement.labels[0]?.textContent) || document.activeElement.textContent"))
        if reached[-1] == "Chuyển hồ sơ":
            break
    assert "Ngày chuyển hồ sơ" in reached and "Ngày chi bộ họp xét (dự kiến)" in reached and reached[-1] == "Chuyển hồ sơ", reached
    await page.get_by_label("Ngày chi bộ họp xét (dự kiến)").fill("31/02/2026")
    await page.keyboard.press("Enter")  # the keyboard sends the form
    await expect(page.locator(".error-summary")).to_be_focused()
    await expect(page.locator(".error-summary").get_by_role("link")).to_contain_text("Không có ngày 31/02/2026 trong lịch.")


async def test_a_phone_width_needs_no_sideways_scrolling(context: BrowserContext, world: World, dossiers: dict[str, str]) -> None:
    page = await context.new_page()
    await page.set_viewport_size(PHONE)
    await sign_in(page, world, "canbo.a")
    for path in ("/viec-can-lam", "/ho-so", f"/ho-so/{dossiers['ready']}"):
        await page.goto(world.listener.url + path)
        wider = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert wider <= 0, (path, wider)
    await screenshot(page, "ho-so-dien-thoai")
    # The list's column headers are hidden on a phone: each value says which column it is.
    await page.goto(world.listener.url + "/ho-so")
    said = await page.locator("td[data-label]").first.evaluate("td => getComputedStyle(td, '::before').content")
    assert said == '"Số CCCD: "', said


async def test_the_api_documentation_renders_without_internet(page: Page, world: World) -> None:
    await page.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: route.abort())  # nothing from outside
    await page.goto(world.listener.url + "/docs")
    await expect(page.locator(".swagger-ui .title").first).to_contain_text("Ketnap API")
