"""The gateway's own commands and query: users and tokens, decided on their streams.

Every command acts on a user in the sender's subtree: the registry is asked for the user's
organisation's authority today, and `scope.covers` decides, as it does for every other HTTP
request. The operator (`ketnap users ...`, scope `*`) covers the whole deployment, and may name an
organisation the registry does not know yet only on an empty deployment: that is how its first
administrator is made, before the tree exists. Elsewhere an unknown code is refused, naming the
codes that look alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from ketnap.platform.bus import requests
from ketnap.platform.commands import Conflict, Decision, Forbidden, NotFound
from ketnap.platform.service import Service, ServiceContext
from ketnap.services.gateway import commands as c
from ketnap.services.gateway import events as ev
from ketnap.services.gateway.accounts import AccountsCache, User, load_token, load_user
from ketnap.services.gateway.directory import BusDirectory, Refused
from ketnap.services.gateway.listing import Accounts
from ketnap.services.gateway.scope import WHOLE_DEPLOYMENT, covers
from ketnap.services.gateway.tokens import digest, new_token


@dataclass(frozen=True)
class Deps:
    registry: str
    dossiers: str
    today: Callable[[], date]
    now: Callable[[], datetime]

    def directory(self, ctx: ServiceContext) -> BusDirectory:
        return BusDirectory(ctx.nc, self.registry, self.dossiers, self.today)


async def _check_scope(ctx: ServiceContext, deps: Deps, scope: str, organisation: str, *, new_user: bool = False) -> str:
    """The user acted on must be in `scope`'s authority today. The operator may name a unit the
    registry does not hold only for an existing user, or for a new one on an empty deployment
    (its first administrator); otherwise an unknown organisation is refused with the codes that
    look alike (the registry's `details.close`). Returns the unit's code as the registry stores
    it, whatever case it was typed in."""
    try:
        standing = await deps.directory(ctx).authority(organisation)
    except NotFound as missing:
        if scope == WHOLE_DEPLOYMENT and not (new_user and missing.details.get("known")):
            return organisation
        raise
    if not covers(scope, standing.chain):
        raise Forbidden(f"Người dùng của {organisation} không thuộc phạm vi quản lý của {scope}.", organisation=organisation)
    return standing.code or organisation


async def _existing_user(ctx: ServiceContext, login: str) -> User:
    user = await load_user(ctx.store, login)
    if user is None:
        raise NotFound(f"Không có người dùng {login}.", login=login)
    return user


def register(service: Service, deps: Deps, accounts: Accounts, known: AccountsCache) -> None:
    """`known`: what authentication keeps in memory, forgotten once any of these commands is recorded."""

    @service.command("create_user", c.CreateUser, recorded=known.forget)
    async def create_user(ctx: ServiceContext, cmd: c.CreateUser) -> Decision:
        """Tạo người dùng với vai trò và tổ chức."""
        organisation = await _check_scope(ctx, deps, cmd.scope, cmd.organisation, new_user=True)
        if await load_user(ctx.store, cmd.login) is not None:
            raise Conflict(f"Tên đăng nhập {cmd.login} đã có người dùng.", login=cmd.login)
        event = ev.UserCreated(login=cmd.login, display_name=cmd.display_name, role=cmd.role, organisation=organisation)
        return Decision(ev.user_stream(cmd.login), 0, [event.to_new_event()], {"login": cmd.login})

    @service.command("disable_user", c.DisableUser, recorded=known.forget)
    async def disable_user(ctx: ServiceContext, cmd: c.DisableUser) -> Decision:
        """Khóa người dùng: mọi mã truy cập của họ thôi hiệu lực ngay."""
        user = await _existing_user(ctx, cmd.login)
        await _check_scope(ctx, deps, cmd.scope, user.organisation)
        events = [] if user.disabled else [ev.UserDisabled(login=user.login, reason=cmd.reason).to_new_event()]
        return Decision(ev.user_stream(user.login), user.version, events, {"login": user.login, "disabled": True})

    @service.command("set_password", c.SetPassword, recorded=known.forget)
    async def set_password(ctx: ServiceContext, cmd: c.SetPassword) -> Decision:
        """Đặt mật khẩu đăng nhập ứng dụng web; các phiên đăng nhập bằng mật khẩu cũ kết thúc."""
        user = await _existing_user(ctx, cmd.login)
        await _check_scope(ctx, deps, cmd.scope, user.organisation)
        event = ev.PasswordSet(login=user.login, password_hash=cmd.password_hash)
        return Decision(ev.user_stream(user.login), user.version, [event.to_new_event()], {"login": user.login, "password_set": True})

    @service.command("issue_token", c.IssueToken, recorded=known.forget)
    async def issue_token(ctx: ServiceContext, cmd: c.IssueToken) -> Decision:
        """Cấp mã truy cập; mã chỉ hiện một lần trong câu trả lời."""
        user = await _existing_user(ctx, cmd.login)
        await _check_scope(ctx, deps, cmd.scope, user.organisation)
        if user.disabled:
            raise Conflict(f"Người dùng {user.login} đã bị khóa; không cấp mã truy cập.", login=user.login)
        token_id, token = new_token()
        expires_at = deps.now() + timedelta(days=cmd.valid_days) if cmd.valid_days else None
        event = ev.TokenIssued(token_id=token_id, login=user.login, label=cmd.label, secret_sha256=digest(token), expires_at=expires_at)
        result = {"token_id": token_id, "token": token, "login": user.login, "expires_at": expires_at.isoformat() if expires_at else None}
        return Decision(ev.token_stream(token_id), 0, [event.to_new_event()], result, keep_result=False)  # the secret is shown once

    @service.command("revoke_token", c.RevokeToken, recorded=known.forget)
    async def revoke_token(ctx: ServiceContext, cmd: c.RevokeToken) -> Decision:
        """Thu hồi mã truy cập: nó thôi hiệu lực ngay."""
        token = await load_token(ctx.store, cmd.token_id)
        if token is None:
            raise NotFound(f"Không có mã truy cập {cmd.token_id}.", token_id=cmd.token_id)
        owner = await _existing_user(ctx, token.login)
        await _check_scope(ctx, deps, cmd.scope, owner.organisation)
        events = [] if token.revoked else [ev.TokenRevoked(token_id=token.token_id, login=token.login).to_new_event()]
        return Decision(ev.token_stream(token.token_id), token.version, events, {"token_id": token.token_id, "revoked": True})

    @service.query("users", c.UsersQuery)
    async def users(ctx: ServiceContext, query: c.UsersQuery) -> dict[str, Any]:
        """Người dùng của một tổ chức và cấp dưới (mọi người dùng khi không nêu tổ chức)."""
        organisations = None
        if query.organisation is not None:
            reply = await requests.query(ctx.nc, deps.registry, "subtree", {"code": query.organisation, "on": deps.today().isoformat()})
            if not reply.get("ok"):
                raise Refused(reply.get("error") or {})
            organisations = [o["code"] for o in reply["result"]["organisations"]]
        await accounts.catch_up(ctx.pool, ctx.store)
        return {"users": await accounts.users(ctx.pool, organisations, query.include_disabled, deps.now)}
