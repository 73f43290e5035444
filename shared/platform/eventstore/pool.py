"""The one way a Ketnap process opens its PostgreSQL pool.

asyncpg's default pool runs `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`
on every release: one more round trip for every `pool.acquire()`, which doubles the cost of a
single-row read (profiled on the gateway's HTTP command path, issue 21). Ketnap keeps no session
state on a pooled connection: locks are transaction-level (`pg_advisory_xact_lock`), cursors
live inside transactions, a listener is removed before its connection goes back (relay.py), and
no code SETs a session variable on a pooled connection. asyncpg still rolls back a transaction
left open and drops the client-side listeners on release (`Connection._reset`), whatever `reset` is.
"""

from __future__ import annotations

import asyncpg


async def _keep_session(_conn: asyncpg.Connection) -> None:
    """Nothing to reset: see the module's docstring."""


async def create_pool(url: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    return await asyncpg.create_pool(url, min_size=min_size, max_size=max_size, reset=_keep_session)
