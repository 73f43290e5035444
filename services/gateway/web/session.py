"""Signing in and out of the web application: passwords, lock-out, sessions and CSRF tokens.

A session is a stream of the gateway's log (`session-<id>`: `SessionStarted`, `SessionEnded`);
the browser holds `<id>.<secret>` in an HttpOnly, SameSite=Lax cookie and the log only the
secret's SHA-256 (as for API tokens). Every request reads the session's and the user's streams,
so signing out, disabling the user or setting a new password ends the session at once.

Lock-out: after `MAX_FAILURES` wrong passwords within `LOCK_WINDOW` (since the last sign-in), the
login is refused until `LOCK_WINDOW` after the last of them, with a message that says when. The
attempts are events of the log too (`sign-ins-<login>-<day>`), so the lock holds across restarts
and gateway processes. Attempts on a login that does not exist are not recorded (anyone could fill
the log with them); the answer and its timing are the same as for a wrong password.

CSRF: every form carries a token derived from the browser's own secret cookie (the session's, or
before signing in a random `ketnap_signin` cookie) with HMAC; a page from another site can neither
read the cookie nor compute the token. `WebRoute` checks it on every POST.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from fastapi import Request

from ketnap.platform.envelope import EventMetadata
from ketnap.platform.eventstore.store import ANY_VERSION
from ketnap.services.gateway import events as ev
from ketnap.services.gateway.accounts import load_session, load_user
from ketnap.services.gateway.api import Gateway
from ketnap.services.gateway.passwords import DUMMY_HASH, verify_password
from ketnap.services.gateway.scope import Principal
from ketnap.services.gateway.tokens import digest

SESSION_COOKIE = "ketnap_session"
SIGN_IN_COOKIE = "ketnap_signin"
SESSION_LIFETIME = timedelta(hours=12)
"""A working day: after it the person signs in again."""
MAX_FAILURES = 5
LOCK_WINDOW = timedelta(minutes=15)
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class SignedIn:
    """The person a page is for."""

    principal: Principal
    display_name: str
    session_id: str
    csrf: str

    @property
    def login(self) -> str:
        return self.principal.login


class NotSignedIn(Exception):
    """No session, or one that has ended: the browser is sent to the sign-in page, which says why
    (`ENDED[reason]`)."""

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason or "")
        self.reason = reason


ENDED = {
    "het-phien": "Phiên làm việc đã kết thúc; hãy đăng nhập lại.",
    "bi-khoa": "Tài khoản đã bị khóa; hãy liên hệ quản trị hệ thống.",
    "doi-mat-khau": "Mật khẩu đã được đổi; hãy đăng nhập bằng mật khẩu mới.",
    "da-dang-xuat": "Bạn đã đăng xuất.",
}
"""Why the sign-in page is shown again, by the reason in its address (`?ly-do=`)."""


class SignInRefused(Exception):
    """Wrong login or password, a locked or disabled account: the message says which, in Vietnamese,
    without telling a stranger which logins exist."""


# --- CSRF -------------------------------------------------------------------------------------------


def csrf_token(cookie_secret: str) -> str:
    return hmac.new(cookie_secret.encode(), b"ketnap-csrf", hashlib.sha256).hexdigest()


def csrf_of(request: Request) -> str | None:
    """The token the forms of this browser carry: from its session cookie, else its sign-in cookie."""
    secret = request.cookies.get(SESSION_COOKIE) or request.cookies.get(SIGN_IN_COOKIE)
    return csrf_token(secret) if secret else None


def csrf_matches(request: Request, presented: str | None) -> bool:
    expected = csrf_of(request)
    return bool(expected and presented and hmac.compare_digest(expected, presented))


def new_sign_in_secret() -> str:
    return secrets.token_urlsafe(32)


# --- lock-out ---------------------------------------------------------------------------------------


def locked_until(attempts: Sequence[tuple[bool, datetime]], now: datetime) -> datetime | None:
    """When a login may be tried again, or None if it may now. `attempts`: (succeeded, when), in order."""
    since_success = []
    for succeeded, when in attempts:
        since_success = [] if succeeded else [*since_success, when]
    recent = [when for when in since_success if when > now - LOCK_WINDOW]
    if len(recent) < MAX_FAILURES:
        return None
    until = recent[-1] + LOCK_WINDOW
    return until if until > now else None


async def _attempts(gateway: Gateway, login: str, now: datetime) -> list[tuple[bool, datetime]]:
    found: list[tuple[bool, datetime]] = []
    for day in _days_of_window(now):
        for recorded in await gateway.store.read_stream(ev.sign_ins_stream(login, day)):
            event = ev.parse(recorded)
            if isinstance(event, (ev.SignInFailed, ev.SignedIn)):
                found.append((isinstance(event, ev.SignedIn), recorded.recorded_at))
    return sorted(found, key=lambda attempt: attempt[1])


def _days_of_window(now: datetime) -> list[date]:
    first = (now - LOCK_WINDOW).date()
    return [first] if first == now.date() else [first, now.date()]


# --- signing in and out -----------------------------------------------------------------------------


WRONG = "Tên đăng nhập hoặc mật khẩu không đúng."


async def sign_in(gateway: Gateway, login: str, password: str) -> tuple[str, datetime]:
    """Check the password and start a session: returns the cookie value and when it expires."""
    login = login.strip().lower()
    now = gateway.now()
    user = await load_user(gateway.store, login) if login else None
    if user is None or user.password_hash is None:
        verify_password(DUMMY_HASH, password)  # the same time as a wrong password
        raise SignInRefused(WRONG)
    if until := locked_until(await _attempts(gateway, login, now), now):
        raise SignInRefused(locked_message(until))
    metadata = EventMetadata(actor=login, organisation=user.organisation)
    if not verify_password(user.password_hash, password):
        failed = ev.SignInFailed(login=login).to_new_event()
        await gateway.store.append(ev.sign_ins_stream(login, now.date()), ANY_VERSION, [failed], metadata)
        if until := locked_until(await _attempts(gateway, login, gateway.now()), gateway.now()):
            raise SignInRefused(locked_message(until))
        raise SignInRefused(WRONG)
    if user.disabled:
        raise SignInRefused("Tài khoản đã bị khóa; hãy liên hệ quản trị hệ thống.")
    session_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    expires_at = now + SESSION_LIFETIME
    started = ev.SessionStarted(
        session_id=session_id, login=login, secret_sha256=digest(secret), expires_at=expires_at, password_version=user.password_version
    )
    await gateway.store.append(ev.session_stream(session_id), 0, [started.to_new_event()], metadata)
    signed = ev.SignedIn(login=login, session_id=session_id).to_new_event()
    await gateway.store.append(ev.sign_ins_stream(login, now.date()), ANY_VERSION, [signed], metadata)
    return f"{session_id}.{secret}", expires_at


def locked_message(until: datetime) -> str:
    from ketnap.services.gateway.web.vietnamese import shown_moment

    minutes = int(LOCK_WINDOW.total_seconds() // 60)
    return (
        f"Đăng nhập sai {MAX_FAILURES} lần liên tiếp nên tài khoản tạm khóa {minutes} phút. "
        f"Hãy thử lại sau {shown_moment(until)}."
    )


async def signed_in_as(gateway: Gateway, cookie: str | None) -> SignedIn:
    """The person whose session cookie this is; NotSignedIn when there is none that is still valid."""
    if not cookie or "." not in cookie:
        raise NotSignedIn()
    session_id, _, secret = cookie.partition(".")
    if not session_id.isalnum() or len(session_id) > 32:
        raise NotSignedIn()
    session = await load_session(gateway.store, session_id)
    if session is None or not hmac.compare_digest(digest(secret), session.secret_sha256):
        raise NotSignedIn()
    if not session.valid_at(gateway.now()):
        raise NotSignedIn("het-phien")
    user = await load_user(gateway.store, session.login)
    if user is None or user.disabled:
        raise NotSignedIn("bi-khoa")
    if user.password_version != session.password_version:
        raise NotSignedIn("doi-mat-khau")
    return SignedIn(Principal(user.login, user.role, user.organisation), user.display_name, session.session_id, csrf_token(cookie))


async def sign_out(gateway: Gateway, who: SignedIn) -> None:
    ended = ev.SessionEnded(session_id=who.session_id, login=who.login, reason="signed_out")
    metadata = EventMetadata(actor=who.login, organisation=who.principal.organisation)
    await gateway.store.append(ev.session_stream(who.session_id), ANY_VERSION, [ended.to_new_event()], metadata)
