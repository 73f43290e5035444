"""API tokens: random secrets shown once, kept only as a hash.

A token reads `ketnap.<token_id>.<secret>`: the id names the token's stream (so authentication
reads one stream, not a table), the secret carries 256 random bits. Such a secret cannot be
guessed or brute-forced from its hash, so a plain SHA-256 is enough (a slow password hash buys
nothing for random secrets and would slow every request).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

PREFIX = "ketnap"
_TOKEN = re.compile(rf"^{PREFIX}\.([0-9a-f]{{16}})\.([A-Za-z0-9_-]{{43}})$")
TOKEN_ID = r"^[0-9a-f]{16}$"


def new_token() -> tuple[str, str]:
    """A fresh (token id, full token text)."""
    token_id = secrets.token_hex(8)
    return token_id, f"{PREFIX}.{token_id}.{secrets.token_urlsafe(32)}"


def token_id_of(presented: str) -> str | None:
    """The id a presented token claims, or None when it is not shaped like one of ours."""
    found = _TOKEN.match(presented)
    return found.group(1) if found else None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def matches(presented: str, stored_digest: str) -> bool:
    # Constant time: how far two digests agree must not show in the response time.
    return hmac.compare_digest(digest(presented), stored_digest)
