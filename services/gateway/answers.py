"""Kept answers: a command retried with the same Idempotency-Key gets its first answer again.

The services already make a retry harmless (event ids derive from the key), but they judge it
against the state of now: dissolve a unit, retry, and the unit is no longer there (404); open a
dossier, transfer it, retry, and it is no longer the cell's (403). So the gateway keeps every
successful answer (status and body, with the command's `result`) for 7 days, the time the IETF
draft asks for, in its own table `kept_answers`, one row per user and key (the key as the services
see it), and answers a retry from there before anything else is checked; the table survives a
restart of the gateway. An answer is not a domain event: it was once appended to the gateway's log
(`AnswerKept`), which cost every command an append, a relay publish and a pass of every consumer
of that log; those events stay in the log, and the bootstrap copies the ones younger than 7 days
into the table (`COPY_FROM_LOG`).

A refusal is not kept: nothing was written, so a retry is decided afresh (a user who corrects a
form and sends it again with the same key is heard). The same key with another request is refused
(422): a key names one command. An answer that holds a secret shown only
once (`gateway.issue_token`) is not kept either: a retry gets the service's own answer, without it.
After 7 days the key is forgotten here; a retry is then answered by the service from its own log
(the same event ids and `result`), judged as any retry is.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from ketnap.platform.commands import InvalidInput
from ketnap.platform.logging import get_logger
from ketnap.services.gateway import events as ev

log = get_logger(__name__)

NOT_KEPT: frozenset[str] = frozenset({"gateway.issue_token"})
"""Routes whose answer holds a secret that must not be stored."""


def request_digest(route: str, body: Mapping[str, Any]) -> str:
    """What identifies a request sent with a key: its route and its body, whatever the order of its keys."""
    text = json.dumps({"route": route, "body": body}, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


KEPT_FOR = timedelta(days=7)

TABLE = "kept_answers"
COLUMNS = (
    "owned_key text PRIMARY KEY, route text NOT NULL, status integer NOT NULL, body jsonb NOT NULL, request text, "
    "kept_at timestamptz NOT NULL"
)


def copy_from_log(schema: str) -> str:
    """The bootstrap's upgrade: answers kept in the log by an earlier version, the last 7 days'
    (safe to run again: a key already in the table keeps its row; `request` is NULL in answers
    kept before it was recorded, as the log's upcaster says)."""
    return (
        f"INSERT INTO {schema}.{TABLE} (owned_key, route, status, body, request, kept_at) "
        f"SELECT substr(stream_id, length('{ev.answer_stream('')}') + 1), data->>'route', (data->>'status')::integer, data->'body', "
        f"data->>'request', recorded_at FROM {schema}.events "
        f"WHERE event_type = 'AnswerKept' AND recorded_at > now() - interval '{KEPT_FOR.days} days' "
        f"ON CONFLICT (owned_key) DO NOTHING"
    )


async def kept_answer(pool: asyncpg.Pool, schema: str, owned_key: str, request: str, now: datetime) -> tuple[int, dict[str, Any]] | None:
    """The answer kept for this key in the last 7 days (status, body), if any. The key sent again
    with another request (another route, or a body that differs) is refused, as the IETF draft asks
    (422): answering it with the first answer would tell the user that a command they never sent was done."""
    row = await pool.fetchrow(
        f"SELECT status, body, request FROM {schema}.{TABLE} WHERE owned_key = $1 AND kept_at > $2", owned_key, now - KEPT_FOR
    )
    if row is None:
        return None
    if row["request"] is not None and row["request"] != request:
        raise InvalidInput(
            "Khóa Idempotency-Key này đã dùng cho một lệnh khác (nội dung khác); mỗi lệnh mới cần một khóa mới.",
            header="Idempotency-Key", reason="key_reused",
        )
    return row["status"], json.loads(row["body"])


async def keep_answer(
    pool: asyncpg.Pool, schema: str, owned_key: str, route: str, request: str, status: int, body: dict[str, Any], now: datetime
) -> None:
    """Keep a successful answer. Two requests racing with the same key keep the first (the services
    gave both the same); a key older than 7 days is kept anew. A failure to keep it does not take
    the answer from the user (the command is done); a retry then asks the service again."""
    if status not in (200, 202) or route in NOT_KEPT:  # 202: a job started (paper_api.py), the same job on a retry
        return
    try:
        await pool.execute(
            f"INSERT INTO {schema}.{TABLE} (owned_key, route, status, body, request, kept_at) VALUES ($1, $2, $3, $4, $5, $6) "
            f"ON CONFLICT (owned_key) DO UPDATE SET route = $2, status = $3, body = $4, request = $5, kept_at = $6 "
            f"WHERE {TABLE}.kept_at <= $7",
            owned_key, route, status, json.dumps(body, ensure_ascii=False, default=str), request, now, now - KEPT_FOR,
        )
    except Exception as error:  # noqa: BLE001 - the command is done; only its keeping failed
        log.warning("answer not kept", route=route, error=type(error).__name__)


async def forget_expired(pool: asyncpg.Pool, schema: str, now: datetime) -> int:
    """Drop the answers older than 7 days (they are no longer given); how many went."""
    status = await pool.execute(f"DELETE FROM {schema}.{TABLE} WHERE kept_at <= $1", now - KEPT_FOR)
    return int(status.split()[-1])
