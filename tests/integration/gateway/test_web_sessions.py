"""Signing in and out of the web application, against the real gateway and its log: argon2
passwords, sessions that end at once (sign-out, a disabled user, a new password), CSRF on every
form, lock-out with a Vietnamese message that says when to try again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from ketnap.services.gateway import events as ev
from tests.integration.gateway.webclient import PASSWORD, WebClient, csrf_of, visible_text
from tests.integration.gateway.world import World

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture(scope="module", autouse=True)
async def passwords(world: World) -> None:
    for login in ("bithu.a1", "canbo.a", "bantochuc", "quantri", "kiemtra"):
        await world.set_password(login, PASSWORD)


@pytest.fixture
async def browser(world: World) -> AsyncIterator[WebClient]:
    client = WebClient(world)
    try:
        yield client
    finally:
        await client.close()


async def events_of(world: World, stream: str) -> list[str]:
    return [e.event_type for e in await world.store("gateway").read_stream(stream)]


async def test_signing_in_opens_the_home_page_with_the_name_role_and_organisation(browser: WebClient) -> None:
    assert (await browser.get("/")).headers["location"] == "/dang-nhap"
    answer = await browser.sign_in("canbo.a")
    assert answer.status_code == 303 and answer.headers["location"] == "/viec-can-lam"
    cookie = answer.headers["set-cookie"]
    assert "ketnap_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    home = await browser.get("/viec-can-lam")
    assert home.status_code == 200, visible_text(home.text)
    text = visible_text(home.text)
    assert "Người dùng canbo.a" in text and "Cán bộ đảng ủy cơ sở" in text and "Tổ chức DU-A" in text
    assert "grassroots_staff" not in home.text
    assert (await browser.get("/")).headers["location"] == "/viec-can-lam"


async def test_a_wrong_password_is_refused_in_vietnamese_and_records_the_attempt(world: World, browser: WebClient) -> None:
    answer = await browser.sign_in("kiemtra", "sai-mat-khau-roi")
    assert answer.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in visible_text(answer.text)
    assert 'value="kiemtra"' in answer.text and "sai-mat-khau-roi" not in answer.text  # the login kept, the password never
    day = world.clock.now().date()
    assert "SignInFailed" in await events_of(world, ev.sign_ins_stream("kiemtra", day))
    unknown = await browser.sign_in("khong.co.ai", "sai-mat-khau-roi")
    assert unknown.status_code == 401 and "Tên đăng nhập hoặc mật khẩu không đúng." in visible_text(unknown.text)
    assert await events_of(world, ev.sign_ins_stream("khong.co.ai", day)) == []


async def test_five_wrong_passwords_lock_the_login_and_say_until_when(world: World, browser: WebClient) -> None:
    for _ in range(4):
        assert (await browser.sign_in("bantochuc", "doan-sai-mat-khau")).status_code == 401
    fifth = await browser.sign_in("bantochuc", "doan-sai-mat-khau")
    assert fifth.status_code == 429
    text = visible_text(fifth.text)
    assert "tạm khóa 15 phút" in text and "Hãy thử lại sau" in text
    right_but_locked = await browser.sign_in("bantochuc", PASSWORD)
    assert right_but_locked.status_code == 429
    world.clock.shift = timedelta(minutes=16)
    try:
        assert (await browser.sign_in("bantochuc", PASSWORD)).status_code == 303
    finally:
        world.clock.shift = timedelta(0)


async def test_a_form_without_this_browsers_token_is_refused_and_does_nothing(world: World, browser: WebClient) -> None:
    before = await world.heads()
    page = await browser.get("/dang-nhap")
    forged = await browser.post("/dang-nhap", {"csrf": "0" * 64, "login": "canbo.a", "password": PASSWORD})
    assert forged.status_code == 403 and "mã chống giả mạo" in visible_text(forged.text)
    assert "ketnap_session" not in forged.headers.get("set-cookie", "")
    assert await world.heads() == before
    signed = await browser.post("/dang-nhap", {"csrf": csrf_of(page.text), "login": "canbo.a", "password": PASSWORD})
    assert signed.status_code == 303
    no_token = await browser.post("/dang-xuat", {})
    assert no_token.status_code == 403
    assert (await browser.get("/viec-can-lam")).status_code == 200  # still signed in


async def test_signing_out_ends_the_session_at_once(world: World, browser: WebClient) -> None:
    await browser.sign_in("bithu.a1")
    session = browser.http.cookies.get("ketnap_session")
    home = await browser.get("/viec-can-lam")
    out = await browser.post("/dang-xuat", {"csrf": csrf_of(home.text)})
    assert out.status_code == 303 and out.headers["location"] == "/dang-nhap?ly-do=da-dang-xuat"
    assert "Bạn đã đăng xuất." in visible_text((await browser.get(out.headers["location"])).text)
    browser.http.cookies.set("ketnap_session", session)  # the old cookie, kept by someone
    again = await browser.get("/viec-can-lam")
    assert again.status_code == 303 and again.headers["location"].startswith("/dang-nhap")


async def test_disabling_the_user_or_a_new_password_ends_their_sessions(world: World) -> None:
    await world.operator("create_user", login="tamthoi", display_name="Người Tạm Thời", role="organisation_board", organisation="DU-B")
    await world.set_password("tamthoi", PASSWORD)
    first, second = WebClient(world), WebClient(world)
    try:
        await first.sign_in("tamthoi")
        await second.sign_in("tamthoi")
        assert (await first.get("/viec-can-lam")).status_code == 200
        await world.set_password("tamthoi", "mat-khau-moi-hoan-toan")
        ended = await first.get("/viec-can-lam")
        assert ended.headers["location"] == "/dang-nhap?tiep=/viec-can-lam&ly-do=doi-mat-khau"
        assert (await second.sign_in("tamthoi", "mat-khau-moi-hoan-toan")).status_code == 303
        await world.operator("disable_user", login="tamthoi")
        assert (await second.get("/viec-can-lam")).headers["location"].endswith("ly-do=bi-khoa")
        refused = await second.sign_in("tamthoi", "mat-khau-moi-hoan-toan")
        assert refused.status_code == 401 and "Tài khoản đã bị khóa" in visible_text(refused.text)
    finally:
        await first.close()
        await second.close()


async def test_a_password_is_kept_only_as_an_argon2id_hash(world: World) -> None:
    stored = [e for e in await world.store("gateway").read_stream(ev.user_stream("canbo.a")) if e.event_type == "PasswordSet"]
    assert stored and stored[-1].data["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in str(stored[-1].data)
    plain = await world.operator_reply("set_password", login="canbo.a", password_hash="mat-khau-tran")
    assert plain["ok"] is False and plain["error"]["code"] == "validation"


async def test_pages_answer_in_vietnamese_and_the_api_keeps_its_json(browser: WebClient, world: World) -> None:
    missing = await browser.get("/khong-co-trang-nay")
    assert missing.status_code == 404 and "Không tìm thấy trang" in visible_text(missing.text)
    assert missing.headers["content-type"].startswith("text/html")
    api = await world.http.get("/api/v1/khong-co")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    protected = await browser.get("/ho-so")
    assert protected.status_code == 303 and protected.headers["location"] == "/dang-nhap?tiep=/ho-so"
    assert "default-src 'self'" in missing.headers["content-security-policy"]


async def test_the_api_documentation_needs_no_internet(browser: WebClient) -> None:
    docs = await browser.get("/docs")
    assert docs.status_code == 200
    sources = [s for s in __import__("re").findall(r'(?:src|href)="([^"]+)"', docs.text)]
    assert sources and all(s.startswith("/tai-nguyen/") for s in sources), sources
    for source in sources:
        asset = await browser.get(source)
        assert asset.status_code == 200 and len(asset.content) > 200, source
