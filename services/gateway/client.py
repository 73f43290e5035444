"""`ketnap users ...`: the operator's commands to the running gateway, over NATS.

The operator acts as actor `operator` with scope `*` (the whole deployment): NATS's accounts,
not a token, decide who may send these (deploy/nats/nats.conf gives it to the admin user only).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import nats

from ketnap.platform.bus import requests, subjects
from ketnap.platform.commands import Unavailable
from ketnap.services.gateway.access import ROLE_TITLES, Role
from ketnap.services.gateway.scope import OPERATOR, WHOLE_DEPLOYMENT

UNAVAILABLE = "Cổng API (dịch vụ gateway) không chạy hoặc không trả lời; chạy `ketnap up` trước."


@dataclass(frozen=True)
class Answer:
    ok: bool
    text: str
    users: list[dict[str, Any]] = field(default_factory=list)
    """`list_users`: the users, for the CLI to show as a table (ketnap.operations.users)."""


async def _ask(nats_url: str, kind: str, name: str, body: dict[str, Any], service: str) -> dict[str, Any]:
    nc = await nats.connect(nats_url, name="ketnap-cli", inbox_prefix=subjects.inbox_prefix(nats_url))
    try:
        if kind == "command":
            body = {"idempotency_key": str(uuid.uuid4()), "actor": OPERATOR, "scope": WHOLE_DEPLOYMENT, **body}
            return await requests.command(nc, service, name, body, timeout=15)
        return await requests.query(nc, service, name, body, timeout=15, unavailable_message=UNAVAILABLE)
    except Unavailable as error:
        return {"ok": False, "error": {"code": error.code, "message": UNAVAILABLE}}
    finally:
        await nc.close()


def _refused(reply: dict[str, Any]) -> Answer:
    error = reply.get("error") or {}
    return Answer(False, f"Lỗi ({error.get('code', '?')}): {error.get('message', 'không rõ')}")


async def add_user(
    nats_url: str, login: str, role: Role, organisation: str, display_name: str | None, *, password_hash: str | None = None,
    service: str = "gateway",
) -> Answer:
    reply = await _ask(nats_url, "command", "create_user", {
        "login": login, "role": role.value, "organisation": organisation, "display_name": display_name or login,
    }, service)
    if not reply.get("ok"):
        return _refused(reply)
    created = reply["result"]["login"]
    if password_hash is not None:
        answer = await set_password(nats_url, created, password_hash, service=service)
        if not answer.ok:
            return Answer(False, f"Đã tạo người dùng {created} nhưng chưa đặt được mật khẩu. {answer.text}")
        return Answer(True, f"Đã tạo người dùng {created} ({ROLE_TITLES[role]}, {organisation}) với mật khẩu đăng nhập ứng dụng web.")
    return Answer(True, f"Đã tạo người dùng {created} ({ROLE_TITLES[role]}, {organisation}). "
                        f"Đặt mật khẩu: ketnap users password {created} · Cấp mã truy cập API: ketnap users token {created}")


async def set_password(nats_url: str, login: str, password_hash: str, *, service: str = "gateway") -> Answer:
    reply = await _ask(nats_url, "command", "set_password", {"login": login, "password_hash": password_hash}, service)
    if not reply.get("ok"):
        return _refused(reply)
    return Answer(True, f"Đã đặt mật khẩu cho {login}; các phiên đăng nhập bằng mật khẩu cũ đã kết thúc.")


async def issue_token(nats_url: str, login: str, label: str | None, valid_days: int | None, *, service: str = "gateway") -> Answer:
    body: dict[str, Any] = {"login": login, "label": label, "valid_days": valid_days}
    reply = await _ask(nats_url, "command", "issue_token", {k: v for k, v in body.items() if v is not None}, service)
    if not reply.get("ok"):
        return _refused(reply)
    result = reply.get("result") or {}
    if "token" not in result:
        return Answer(False, "Mã truy cập đã được cấp cho yêu cầu này trước đó và chỉ hiện một lần; hãy cấp mã mới.")
    expiry = f", hết hạn {result['expires_at']}" if result.get("expires_at") else ""
    return Answer(True, (
        f"Mã truy cập của {result['login']} (mã số {result['token_id']}{expiry}). Chỉ hiện MỘT lần, hãy lưu lại ngay:\n\n"
        f"    {result['token']}\n\n"
        f"Dùng: Authorization: Bearer <mã>. Thu hồi: ketnap users revoke {result['token_id']}"
    ))


async def revoke_token(nats_url: str, token_id: str, *, service: str = "gateway") -> Answer:
    reply = await _ask(nats_url, "command", "revoke_token", {"token_id": token_id}, service)
    return Answer(True, f"Đã thu hồi mã truy cập {token_id}.") if reply.get("ok") else _refused(reply)


async def disable_user(nats_url: str, login: str, reason: str | None, *, service: str = "gateway") -> Answer:
    body = {"login": login, **({"reason": reason} if reason else {})}
    reply = await _ask(nats_url, "command", "disable_user", body, service)
    return Answer(True, f"Đã khóa người dùng {login}; mọi mã truy cập của họ thôi hiệu lực.") if reply.get("ok") else _refused(reply)


async def list_users(nats_url: str, organisation: str | None, include_disabled: bool, *, service: str = "gateway") -> Answer:
    body: dict[str, Any] = {"include_disabled": include_disabled, **({"organisation": organisation} if organisation else {})}
    reply = await _ask(nats_url, "query", "users", body, service)
    if not reply.get("ok"):
        return _refused(reply)
    users = reply["result"]["users"]
    return Answer(True, f"{len(users)} người dùng." if users else "Chưa có người dùng nào.", users)
