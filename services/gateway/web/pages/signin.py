"""Đăng nhập, đăng xuất: the sign-in page (user name and password), and signing out."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response

from ketnap.services.gateway.web.page import HOME_PATH, SIGN_IN_PATH, pages, redirect, render, signed_in, web_of
from ketnap.services.gateway.web.session import (
    ENDED,
    SESSION_COOKIE,
    SESSION_LIFETIME,
    SIGN_IN_COOKIE,
    SignedIn,
    SignInRefused,
    csrf_token,
    new_sign_in_secret,
    sign_in,
    sign_out,
)

router = pages()


def _back(value: str | None) -> str:
    """Where to go after signing in: a page of this application only (never another site)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return HOME_PATH


@router.get(SIGN_IN_PATH)
async def sign_in_page(request: Request) -> Response:
    try:
        await signed_in(request)
        return redirect(request, _back(request.query_params.get("tiep")))
    except Exception:  # not signed in: show the form
        pass
    secret = request.cookies.get(SESSION_COOKIE) or request.cookies.get(SIGN_IN_COOKIE)
    fresh = None if secret else new_sign_in_secret()
    notice = ENDED.get(request.query_params.get("ly-do", ""))
    response = await _page(request, csrf_token(secret or fresh or ""), notice=notice, back=request.query_params.get("tiep", ""))
    if fresh:
        _set_cookie(request, response, SIGN_IN_COOKIE, fresh, max_age=3600)
    return response


@router.post(SIGN_IN_PATH)
async def sign_in_sent(request: Request) -> Response:
    form = await request.form()
    login, password, back = (str(form.get(name) or "") for name in ("login", "password", "tiep"))
    try:
        cookie, _ = await sign_in(web_of(request).gateway, login, password)
    except SignInRefused as refusal:
        locked = "tạm khóa" in str(refusal)
        return await _page(request, None, error=str(refusal), login=login, back=back, status_code=429 if locked else 401)
    response = redirect(request, _back(back))
    _set_cookie(request, response, SESSION_COOKIE, cookie, max_age=int(SESSION_LIFETIME.total_seconds()))
    response.delete_cookie(SIGN_IN_COOKIE, path="/")
    return response


@router.post("/dang-xuat")
async def sign_out_sent(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    await sign_out(web_of(request).gateway, who)
    response = redirect(request, f"{SIGN_IN_PATH}?ly-do=da-dang-xuat")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def _page(
    request: Request, csrf: str | None, *, notice: str | None = None, error: str | None = None, login: str = "", back: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    return await render(
        request, None, "signin.html", status_code=status_code, csrf=csrf, notice=notice, error=error, login=login, back=back
    )


def _set_cookie(request: Request, response: Response, name: str, value: str, *, max_age: int) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https",
    )
