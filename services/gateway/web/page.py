"""What every page of the web application is built with: `pages()` (a router whose routes check
CSRF and turn refusals into Vietnamese pages), `signed_in` (who is asking), `Web` (asking the
services as that person, through the same path as the HTTP API) and `render` (the layout).

A page never talks to NATS or the log itself: it asks `Web.ask` / `Web.send`, which go through
`api.query_reply` / `api.command_reply` — the access table, the scope check, idempotency and the
record of personal reads — so a page can do nothing the API refuses for the same user.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment

from ketnap.platform.commands import DomainError, ErrorBody, NotFound
from ketnap.platform.logging import get_logger
from ketnap.services.gateway.access import ROLE_TITLES, Role
from ketnap.services.gateway.api import Gateway, command_reply, query_reply
from ketnap.services.gateway.authentication import Unauthenticated
from ketnap.services.gateway.catalogue import Endpoint
from ketnap.services.gateway.web.session import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    NotSignedIn,
    SignedIn,
    csrf_matches,
    csrf_of,
    signed_in_as,
)
from ketnap.services.gateway.web.vietnamese import VIETNAM

log = get_logger(__name__)

SIGN_IN_PATH = "/dang-nhap"
HOME_PATH = "/viec-can-lam"


@dataclass(frozen=True)
class MenuItem:
    """An entry of the navigation: a page module declares its own (`MENU = [...]`)."""

    title: str
    path: str
    roles: tuple[Role, ...] | None = None
    """Who sees it; None: everyone signed in. Use the access table's roles of what the page asks."""
    order: int = 100


@dataclass
class Web:
    """The web application's view of the gateway: its endpoints by (service, name), templates, menu."""

    gateway: Gateway
    endpoints: Mapping[tuple[str, str, str], Endpoint]
    """(kind, service, name) -> the endpoint of the access table."""
    templates: Environment
    menu: list[MenuItem] = field(default_factory=list)

    def today(self) -> date:
        return self.gateway.now().astimezone(VIETNAM).date()

    def endpoint(self, kind: str, service: str, name: str) -> Endpoint:
        found = self.endpoints.get((kind, service, name))
        if found is None:
            raise LookupError(f"the access table has no {kind} {service}.{name}")
        return found

    def may(self, who: SignedIn, kind: str, service: str, name: str) -> bool:
        """Does the access table let this person's role send it? (Scope is checked when sent.)"""
        return who.principal.role in self.endpoint(kind, service, name).access.roles

    async def ask(self, who: SignedIn, service: str, query: str, **body: Any) -> dict[str, Any]:
        """A query's result as `who` asks it; a refusal raises its DomainError (the page shows it)."""
        reply = await query_reply(self.gateway, self.endpoint("query", service, query), who.principal, body)
        if not reply.get("ok"):
            raise Refusal(ErrorBody.model_validate(reply.get("error") or {}))
        return reply.get("result") or {}

    async def ask_or_none(self, who: SignedIn, service: str, query: str, **body: Any) -> dict[str, Any] | None:
        """The result, or None when the service has nothing of that name (voting before the cell's vote)."""
        try:
            return await self.ask(who, service, query, **body)
        except Refusal as refusal:
            if refusal.code == NotFound.code:
                return None
            raise

    async def send(self, who: SignedIn, service: str, command: str, key: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """A command as `who` sends it with the form's key: the reply as it came (ok or a refusal).
        A refusal before the request is returned as a reply too, so a form shows every answer alike."""
        try:
            return await command_reply(self.gateway, self.endpoint("command", service, command), who.principal, key, body)
        except DomainError as refusal:
            return {"ok": False, "error": refusal.body().model_dump(mode="json")}


class Refusal(DomainError):
    """A service's refusal of a read, passed on as it came."""

    def __init__(self, error: ErrorBody) -> None:
        super().__init__(error.message, **(error.details or {}))
        self.code = error.code


def web_of(request: Request) -> Web:
    return request.app.state.web


async def signed_in(request: Request) -> SignedIn:
    """The dependency of every page but the sign-in page: who is asking (NotSignedIn sends them to sign in)."""
    return await signed_in_as(web_of(request).gateway, request.cookies.get(SESSION_COOKIE))


# --- rendering ------------------------------------------------------------------------------------------


async def render(
    request: Request, who: SignedIn | None, template: str, status_code: int = 200, csrf: str | None = None, **context: Any
) -> HTMLResponse:
    """A page in the layout: the person's name, role and organisation, the menu for their role.
    `csrf`: the token of a cookie set with this very response (the sign-in page's first visit)."""
    web = web_of(request)
    organisation = None
    if who is not None:
        try:
            organisation = await web.ask(who, "registry", "organisation", code=who.principal.organisation, on=web.today().isoformat())
        except DomainError:
            organisation = None  # the header then shows the code; the page itself still answers
    menu = [m for m in sorted(web.menu, key=lambda m: m.order) if who is not None and (m.roles is None or who.principal.role in m.roles)]
    html = web.templates.get_template(template).render(
        request=request, who=who, organisation=organisation, menu=menu, csrf=csrf or csrf_of(request), today=web.today(),
        path=request.url.path, fragment=_is_htmx(request), **context,
    )
    return HTMLResponse(html, status_code=status_code)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def redirect(request: Request, to: str) -> Response:
    """See other: a plain 303, or for htmx a full navigation (HX-Redirect)."""
    if _is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": to})
    return RedirectResponse(to, status_code=303)


ERRORS: dict[int, tuple[str, str]] = {
    403: ("Không được phép", "Vai trò hoặc phạm vi quản lý của bạn không cho phép xem hoặc làm việc này."),
    404: ("Không tìm thấy trang", "Địa chỉ này không có trong hệ thống, hoặc hồ sơ, tổ chức không tồn tại."),
    409: ("Hồ sơ vừa được cập nhật", "Người khác vừa cập nhật; hãy tải lại trang."),
    422: ("Yêu cầu chưa hợp lệ", "Dữ liệu gửi lên chưa hợp lệ."),
    500: ("Lỗi hệ thống", "Đã có lỗi ngoài ý muốn; yêu cầu chưa được thực hiện. Hãy thử lại sau."),
    503: ("Hệ thống tạm thời chưa trả lời", "Một dịch vụ chưa trả lời; chưa có gì được ghi. Hãy thử lại sau ít phút."),
}


async def error_page(request: Request, status: int, message: str | None = None, who: SignedIn | None = None) -> HTMLResponse:
    title, default = ERRORS.get(status, ERRORS[500])
    try:
        return await render(request, who, "error.html", status_code=status, title=title, message=message or default, status=status)
    except Exception as error:  # the layout itself failed (a broken template): still answer in Vietnamese
        log.error("error page failed", error=type(error).__name__)
        return HTMLResponse(f"<!doctype html><html lang=vi><meta charset=utf-8><title>{title}</title><h1>{title}</h1>", status_code=status)


_STATUS_OF = {"forbidden": 403, "not_found": 404, "unavailable": 503, "conflict": 409, "validation": 422}


class WebRoute(APIRoute):
    """A route of the web application: every POST must carry this browser's CSRF token; a person
    not signed in is sent to the sign-in page; a refusal or a failure becomes a Vietnamese page
    (never JSON, never a stack trace)."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handle = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                if request.method not in ("GET", "HEAD") and not await _csrf_ok(request):
                    return await error_page(
                        request, 403, "Biểu mẫu đã hết hạn hoặc không phải từ trang này (mã chống giả mạo không khớp). "
                        "Hãy tải lại trang rồi gửi lại.",
                    )
                return await handle(request)
            except NotSignedIn as gone:
                return redirect(request, sign_in_address(request, gone.reason))
            except Unauthenticated:
                return redirect(request, sign_in_address(request, None))
            except DomainError as refusal:
                log.info("page refused", path=request.url.path, code=refusal.code)
                return await error_page(request, _STATUS_OF.get(refusal.code, 500), shown_refusal(refusal), await _maybe_signed_in(request))
            except asyncio.CancelledError:
                raise
            except Exception as error:  # values may be personal: the log gets the type only
                log.error("page failed", path=request.url.path, error=type(error).__name__)
                return await error_page(request, 500, None, await _maybe_signed_in(request))

        return guarded


def shown_refusal(refusal: DomainError) -> str:
    """A refusal as a page says it. The role check's message names the API's `service.query`
    (`registry.integrity_alarms`), which means nothing to a person at a page: the page names the
    roles that may instead."""
    role, allowed = refusal.details.get("role"), refusal.details.get("allowed")
    if refusal.code == "forbidden" and role in ROLE_TITLES and allowed:
        titles = ", ".join(ROLE_TITLES[Role(r)] for r in allowed if r in ROLE_TITLES)
        return f"Vai trò {ROLE_TITLES[Role(role)]} không xem hay làm được việc này; chỉ: {titles}."
    return refusal.message


async def _maybe_signed_in(request: Request) -> SignedIn | None:
    try:
        return await signed_in(request)
    except Exception:  # an error page is shown whoever asks
        return None


async def _csrf_ok(request: Request) -> bool:
    presented = request.headers.get(CSRF_HEADER)
    if presented is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        presented = value if isinstance(value, str) else None
    return csrf_matches(request, presented)


def sign_in_address(request: Request, reason: str | None) -> str:
    """The sign-in page, with where to come back to (a GET's own page) and why the session ended."""
    back = request.url.path if request.method == "GET" else ""
    parts = [f"tiep={quote(back)}"] if back.startswith("/") and back not in ("/", SIGN_IN_PATH) else []
    if reason:
        parts.append(f"ly-do={reason}")
    return SIGN_IN_PATH + ("?" + "&".join(parts) if parts else "")


def pages() -> APIRouter:
    """The router a page module declares its routes on (`router = pages()`)."""
    return APIRouter(route_class=WebRoute, include_in_schema=False, default_response_class=HTMLResponse)

