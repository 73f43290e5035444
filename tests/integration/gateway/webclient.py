"""A person's browser as plain HTTP (cookies, forms, CSRF tokens), for the web application's tests
that need no JavaScript; the browser tests (tests/web/) drive the real Chromium."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

from tests.integration.gateway.world import World

PASSWORD = "mat-khau-thu-nghiem"


class WebClient:
    """One browser: its own cookie jar, signed in as one user (or not yet)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.http = httpx.AsyncClient(base_url=world.listener.url, timeout=60, follow_redirects=False)

    async def close(self) -> None:
        await self.http.aclose()

    async def get(self, path: str, **options: Any) -> httpx.Response:
        return await self.http.get(path, **options)

    async def post(self, path: str, data: dict[str, Any], **options: Any) -> httpx.Response:
        return await self.http.post(path, data=data, **options)

    async def sign_in(self, login: str, password: str = PASSWORD) -> httpx.Response:
        page = await self.get("/dang-nhap")
        return await self.post("/dang-nhap", {"csrf": csrf_of(page.text), "login": login, "password": password})

    async def form(self, path: str) -> dict[str, str]:
        """The hidden fields of the first form on a page with a form of its own (csrf, key, version)."""
        page = await self.get(path)
        assert page.status_code == 200, page.text
        return hidden_fields(page.text)


@asynccontextmanager
async def signed_in_as(world: World, login: str) -> AsyncIterator[WebClient]:
    """One browser signed in as `login` (its password set first), closed at the end."""
    await world.set_password(login, PASSWORD)
    client = WebClient(world)
    try:
        await client.sign_in(login)
        yield client
    finally:
        await client.close()


@asynccontextmanager
async def browsers(world: World) -> AsyncIterator[Callable[[str], Awaitable[WebClient]]]:
    """Several people at once, each in their own browser: `signed(login)` opens one signed in;
    all are closed at the end."""
    opened: list[WebClient] = []

    async def signed(login: str) -> WebClient:
        client = WebClient(world)
        opened.append(client)
        await client.sign_in(login)
        return client

    try:
        yield signed
    finally:
        for client in opened:
            await client.close()


def csrf_of(text: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', text)
    assert found, "no CSRF token on the page"
    return found.group(1)


def hidden_fields(text: str) -> dict[str, str]:
    form = text[text.index('class="act-form'):]
    return {name: html.unescape(value) for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)}


def visible_text(page: str) -> str:
    """The page's words as a person reads them (tags dropped, entities decoded, spaces collapsed)."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
