"""What the gateway is asked over NATS (`gateway.cmd.<name>`, `gateway.query.users`), by the
operator's CLI and, for administrators, through its own HTTP API."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ketnap.domain.values import normalised_text
from ketnap.platform.commands import Command
from ketnap.services.gateway.access import Role
from ketnap.services.gateway.passwords import is_password_hash
from ketnap.services.gateway.tokens import TOKEN_ID
from ketnap.services.registry.values import OrganisationCode

_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


def _login(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip().lower()
        if not _LOGIN.match(value):
            raise ValueError("Tên đăng nhập gồm 3–64 ký tự: chữ thường không dấu, số, dấu chấm, gạch ngang, gạch dưới")
    return value


Login = Annotated[str, BeforeValidator(_login), Field(description="tên đăng nhập (chữ thường không dấu, số, . _ -)")]
DisplayName = Annotated[str, BeforeValidator(normalised_text), Field(min_length=1, max_length=200)]
TokenId = Annotated[str, Field(pattern=TOKEN_ID, description="mã số của mã truy cập (16 ký tự hex)")]


class CreateUser(Command):
    """Tạo người dùng: a login with a role in an organisation (the creator's own or one below it)."""

    login: Login
    display_name: DisplayName
    role: Role
    organisation: OrganisationCode


class DisableUser(Command):
    """Khóa người dùng: every token of the user stops working at once."""

    login: Login
    reason: Annotated[str, BeforeValidator(normalised_text), Field(min_length=1, max_length=500)] | None = None


def _password_hash(value: Any) -> Any:
    if isinstance(value, str) and not is_password_hash(value):
        raise ValueError("Phải là mã băm argon2id của mật khẩu (ketnap users password băm trước khi gửi), không phải mật khẩu")
    return value


class SetPassword(Command):
    """Đặt mật khẩu đăng nhập ứng dụng web: the argon2id hash only (the operator's CLI hashes the
    password it prompts for); the user's sessions started under the old password end."""

    login: Login
    password_hash: Annotated[str, BeforeValidator(_password_hash), Field(max_length=512, repr=False)]


class IssueToken(Command):
    """Cấp mã truy cập: a new secret for the user, shown once in the reply (`result.token`), kept only as a hash."""

    login: Login
    label: Annotated[str, BeforeValidator(normalised_text), Field(min_length=1, max_length=100)] | None = None
    valid_days: int | None = Field(default=None, ge=1, le=3650, description="hết hạn sau số ngày này; bỏ trống: không hết hạn")


class RevokeToken(Command):
    """Thu hồi mã truy cập: it stops working at once."""

    token_id: TokenId


class UsersQuery(BaseModel):
    """Người dùng của một tổ chức và các tổ chức cấp dưới, với các mã truy cập còn hiệu lực."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    organisation: OrganisationCode | None = None
    include_disabled: bool = False
