"""Turns: one transaction at a time for a named piece of work, across the processes of a deployment
(a PostgreSQL advisory lock held until the transaction ends).

A consumer takes its turn before applying events (bus.consumer.take_turn); a service may serialise
commands whose checks read what other commands change, so that a check and its append are never
interleaved with another's (the registry's tree: a unit dissolved while a member joins it).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import asyncpg

_LOCAL: dict[str, asyncio.Lock] = {}

TREE = "tree"
"""The organisation tree's turn, named after the registry that keeps the tree
(`service_turn(<registry>, TREE)`): every registry command and roster change, and every act of
another service that attaches a record to a unit (the dossiers service opening a dossier in a cell
or moving one into it). A unit is dissolved only after the acts attached to it before are seen,
and an act attaching to it afterwards sees the unit ended: one of two racing acts wins, never a
record left in a dissolved unit."""


def service_turn(service: str, name: str) -> str:
    """The turn `name` of one service (a command's `turn`, and whatever else of the service waits for it)."""
    return f"{service}:{name}"


async def wait_for_turn(conn: asyncpg.Connection, name: str) -> None:
    """Wait, inside a transaction, until no other transaction holds the turn `name`; it is held
    until this transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", name)


async def wait_for_turns(conn: asyncpg.Connection, names: Sequence[str]) -> None:
    """`wait_for_turn` for several turns in one round trip. They are taken in the order of their
    names (PostgreSQL evaluates a volatile function after the sort), so two takers of overlapping
    sets never wait for each other in a circle."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(n, 0)) FROM unnest($1::text[]) AS n ORDER BY n", sorted(names))


@asynccontextmanager
async def turn(pool: asyncpg.Pool, name: str) -> AsyncIterator[None]:
    """Hold the turn `name` for the block. Waiters of one process queue on a local lock first, so
    they do not each hold a pooled connection while the holder needs connections to work."""
    local = _LOCAL.setdefault(name, asyncio.Lock())
    async with local, pool.acquire() as conn, conn.transaction():
        await wait_for_turn(conn, name)
        yield
