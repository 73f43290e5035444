"""Where the web application joins the gateway's FastAPI app: its pages (every module of
`web/pages/`), its static files, `/docs` from vendored Swagger UI, `/` and the Vietnamese error
pages for addresses that are not the API's.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ketnap.services.gateway.api import Gateway
from ketnap.services.gateway.catalogue import Endpoint
from ketnap.services.gateway.web import pages as pages_package
from ketnap.services.gateway.web.page import HOME_PATH, SIGN_IN_PATH, Web, error_page, signed_in
from ketnap.services.gateway.web.session import SESSION_COOKIE
from ketnap.services.gateway.web.vietnamese import FILTERS

HERE = Path(__file__).parent
STATIC_PATH = "/tai-nguyen"
API_PATHS = ("/api/", "/openapi.json", "/healthz")

CONTENT_SECURITY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_CONTENT_SECURITY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
"""Swagger UI sets inline styles; its scripts still come only from here."""


def templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    env.globals["static"] = STATIC_PATH
    return env


def page_modules() -> list[object]:
    """Every module of `web/pages/`: each has a `router` and may have a `MENU`. A new page is a new
    module there; nothing else changes."""
    return [importlib.import_module(f"{pages_package.__name__}.{m.name}") for m in pkgutil.iter_modules(pages_package.__path__)]


class SecurityHeaders:
    """The browser's protections on every page (not the API's answers), as a plain ASGI middleware:
    Starlette's `@app.middleware("http")` would pass every request, the API's too, through an extra
    task and memory stream, a seventh of the gateway's time under twelve clients (issue 21)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(API_PATHS) or scope["path"] == "/docs":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CONTENT_SECURITY)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, with_headers)


def mount_web(app: FastAPI, gateway: Gateway, endpoints: list[Endpoint]) -> Web:
    web = Web(gateway, {(e.kind, e.service, e.name): e for e in endpoints}, templates())
    app.state.web = web
    for module in page_modules():
        app.include_router(module.router)  # type: ignore[attr-defined]
        web.menu.extend(getattr(module, "MENU", []))
    app.mount(STATIC_PATH, StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/", include_in_schema=False)
    async def root(request: Request) -> Response:
        """The home page for someone signed in, else the sign-in page."""
        try:
            await signed_in(request)
        except Exception:  # no or an ended session: sign in first
            return RedirectResponse(SIGN_IN_PATH, status_code=303)
        return RedirectResponse(HOME_PATH, status_code=303)

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        """The API's documentation from the Swagger UI files shipped here: it works with no internet."""
        html = web.templates.get_template("docs.html").render(static=STATIC_PATH, openapi_url=app.openapi_url)
        return HTMLResponse(html, headers={"Content-Security-Policy": DOCS_CONTENT_SECURITY})

    api_not_found = app.exception_handlers[StarletteHTTPException]

    async def not_found(request: Request, error: Exception) -> Response:
        """The API answers JSON as before; a person's browser gets a Vietnamese page."""
        if request.url.path.startswith(API_PATHS) or not isinstance(error, StarletteHTTPException):
            return await api_not_found(request, error)  # type: ignore[misc]
        who = None
        if request.cookies.get(SESSION_COOKIE):
            try:
                who = await signed_in(request)
            except Exception:  # an unknown address is answered whoever asks
                who = None
        status = error.status_code if error.status_code in (404, 405) else 500
        return await error_page(request, 404 if status == 405 else status, None, who)

    app.add_exception_handler(StarletteHTTPException, not_found)

    app.add_middleware(SecurityHeaders)

    return web

