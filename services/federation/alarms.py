"""Alarms: what the keeper refused from a linked deployment, kept until an operator looks.

A refused link is never stored and never skipped: the kept log stops before it, and the alarm
names the deployment, the log and the position, for `ketnap status` and `ketnap audit verify
--deployment`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

TABLE = "alarms"
COLUMNS = """
    kept_log     text        NOT NULL,
    origin       text        NOT NULL,
    position     bigint      NOT NULL,
    kind         text        NOT NULL,
    detail       text        NOT NULL,
    first_seen   timestamptz NOT NULL DEFAULT now(),
    last_seen    timestamptz NOT NULL DEFAULT now(),
    times        integer     NOT NULL DEFAULT 1,
    PRIMARY KEY (kept_log, position, kind)
"""

KIND_TEXT = {
    "gap": "thiếu sự kiện",
    "broken_link": "đứt mắt xích",
    "altered": "nội dung bị sửa",
    "rewritten": "vị trí đã nhận nay có băm khác",
    "undecodable": "không đọc được",
}


@dataclass(frozen=True)
class Alarm:
    kept_log: str
    origin: str
    position: int
    kind: str
    detail: str
    first_seen: datetime
    last_seen: datetime
    times: int

    def describe(self) -> str:
        return (
            f"Đơn vị triển khai {self.origin}, nhật ký {self.kept_log}, vị trí {self.position}: "
            f"{KIND_TEXT.get(self.kind, self.kind)} ({self.detail})"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "kept_log": self.kept_log, "origin": self.origin, "position": self.position, "kind": self.kind,
            "detail": self.detail, "first_seen": self.first_seen.isoformat(), "last_seen": self.last_seen.isoformat(),
            "times": self.times, "message": self.describe(),
        }


async def raise_alarm(conn: asyncpg.Connection, schema: str, kept_log: str, origin: str, position: int, kind: str, detail: str) -> bool:
    """Record the alarm; True when it is new (the keeper logs it once, not on every retry)."""
    return await conn.fetchval(
        f"""INSERT INTO {schema}.{TABLE} (kept_log, origin, position, kind, detail) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (kept_log, position, kind)
            DO UPDATE SET last_seen = now(), times = {schema}.{TABLE}.times + 1
            RETURNING times = 1""",
        kept_log, origin, position, kind, detail[:500],
    )


async def clear_gaps(conn: asyncpg.Connection, schema: str, kept_log: str, up_to: int) -> None:
    """A gap filled from the origin was a delay, not a loss: its alarm goes."""
    await conn.execute(f"DELETE FROM {schema}.{TABLE} WHERE kept_log = $1 AND kind = 'gap' AND position <= $2", kept_log, up_to)


async def alarms(conn: asyncpg.Connection, schema: str, origin: str | None = None) -> list[Alarm]:
    rows = await conn.fetch(
        f"SELECT * FROM {schema}.{TABLE} WHERE $1::text IS NULL OR origin = $1 ORDER BY first_seen, kept_log, position",
        origin,
    )
    return [Alarm(**dict(r)) for r in rows]
