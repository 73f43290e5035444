"""Who is asking: the bearer token, checked against the gateway's own streams on every request.

The token's and the user's streams (not a table updated later), as `AccountsCache` last read
them: a token works the moment it is issued and stops the moment it, or its user, is revoked
or disabled (accounts.py says how the cache keeps to that).
"""

from __future__ import annotations

from datetime import datetime

from ketnap.platform.commands import DomainError
from ketnap.platform.eventstore import EventStore
from ketnap.services.gateway.accounts import AccountsCache
from ketnap.services.gateway.scope import Principal
from ketnap.services.gateway.tokens import matches, token_id_of


class Unauthenticated(DomainError):
    code = "unauthenticated"


MISSING = "Chưa đăng nhập: gửi mã truy cập trong tiêu đề `Authorization: Bearer <mã>` (cấp bằng `ketnap users token`)."
WRONG = "Mã truy cập không đúng."


async def authenticate(store: EventStore, accounts: AccountsCache, presented: str | None, now: datetime) -> Principal:
    if not presented:
        raise Unauthenticated(MISSING)
    token_id = token_id_of(presented)
    token, user = await accounts.token_and_user(store, token_id) if token_id else (None, None)
    if token is None or not matches(presented, token.secret_sha256):
        raise Unauthenticated(WRONG)
    # Only someone holding the secret learns why it no longer works.
    if token.revoked:
        raise Unauthenticated("Mã truy cập đã bị thu hồi.")
    if not token.valid_at(now):
        raise Unauthenticated("Mã truy cập đã hết hạn; xin cấp mã mới.")
    if user is None or user.disabled:
        raise Unauthenticated("Tài khoản đã bị khóa.")
    return Principal(user.login, user.role, user.organisation)
