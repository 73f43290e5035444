"""Passwords of the web application: argon2id hashes (argon2-cffi), a length policy, and nothing else.

A password is hashed where it is typed (`ketnap users password` hashes before anything leaves the
operator's process), so the plain text never crosses NATS and never reaches a log; the gateway
keeps the hash as a `PasswordSet` event. Unlike API tokens (256 random bits, where SHA-256 is
enough), people choose passwords that can be guessed: the slow, salted, memory-hard argon2id is
what makes a stolen hash expensive to try.
"""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
MAX_LENGTH = 256
_HASH = re.compile(r"^\$argon2id\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$")

_hasher = PasswordHasher()  # the library's defaults follow RFC 9106's recommendation


def policy_problem(password: str, login: str) -> str | None:
    """Why this password may not be chosen, in Vietnamese; None when it may."""
    if len(password) < MIN_LENGTH:
        return f"Mật khẩu cần ít nhất {MIN_LENGTH} ký tự."
    if len(password) > MAX_LENGTH:
        return f"Mật khẩu dài tối đa {MAX_LENGTH} ký tự."
    if password.strip().casefold() == login.casefold():
        return "Mật khẩu không được trùng tên đăng nhập."
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def is_password_hash(value: str) -> bool:
    """An argon2id hash as `hash_password` writes it (a plain password is never accepted as one)."""
    return bool(_HASH.match(value))


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


DUMMY_HASH = hash_password("không có người dùng này")
"""Verified against when the login does not exist, so the answer takes as long as for a wrong
password and the time does not tell which logins exist."""
