"""Finding a dossier (tìm hồ sơ): the dossier index, a projection of the dossiers log, and the
`search` query over it.

One row per dossier, as its stream says it is now: cell, applicant's name (and its folded form, so
"nguyen van an" finds "Nguyễn Văn An"), citizen id, step, when it was opened, whether it is closed
or paused, and its soonest open deadline. The row is computed from the dossier as its stream stood
at the event being applied (`Dossier.replay`, `open_deadlines`; the dossiers indexed last are kept
and the next event applied to them): the list says exactly what the dossier page says, and a
rebuild gives the same rows.

The index holds names and citizen ids: it is read only through `dossiers.query.search`, which the
gateway lets only roles that may read personal data ask, and records each answer as one personal
read (docs/gateway.md).
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from datetime import date
from typing import Any, Literal

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from ketnap.domain.rules.deadlines import probation_ends_on
from ketnap.domain.values import CitizenId, IsoDate, folded
from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.eventstore import EventStore
from ketnap.platform.eventstore.store import _COLUMNS, record_from_row
from ketnap.platform.paging import MAX_PAGE, paged
from ketnap.platform.projections import Projection, catch_up_own_log
from ketnap.services.dossiers import events as ev
from ketnap.services.dossiers.deadlines import open_deadlines
from ketnap.services.dossiers.dossier import Dossier
from ketnap.services.dossiers.values import OrganisationCode, Step

STREAM_PREFIX = ev.stream_id("")

KEPT_DOSSIERS = 2_000
"""Dossiers kept as of their last indexed event, the least recently indexed dropped first: each new
event of one of them is applied to it instead of replaying its stream from the database."""

TABLES = {
    "dossier_index": (
        "dossier_id text PRIMARY KEY, cell text NOT NULL, full_name text NOT NULL, name_key text NOT NULL, "
        "citizen_id text NOT NULL, step text NOT NULL, opened_on date NOT NULL, closed boolean NOT NULL, "
        "suspended boolean NOT NULL, next_due_on date, next_due_rule text, next_due_label text, probation_ends_on date, "
        "version integer NOT NULL"
    ),
}


class DossierIndex(Projection):
    """`<schema>.index`: one row per dossier of the service's own log."""

    def __init__(self, schema: str) -> None:
        self.schema = schema
        self.name = f"{schema}.index"
        self.sources = (schema,)
        self.tables = TABLES
        self._catching_up = asyncio.Lock()
        self._recent: OrderedDict[str, Dossier] = OrderedDict()

    async def apply(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent, source: str) -> None:
        if not event.stream_id.startswith(STREAM_PREFIX):
            return
        dossier_id = event.stream_id[len(STREAM_PREFIX):]
        dossier = await self._dossier_at(conn, dossier_id, event)
        if dossier.step is None or dossier.opened_on is None:
            return
        due = next(iter(open_deadlines(dossier)), None)
        await conn.execute(
            f"INSERT INTO {schema}.dossier_index VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) "
            "ON CONFLICT (dossier_id) DO UPDATE SET cell = $2, full_name = $3, name_key = $4, citizen_id = $5, step = $6, "
            "opened_on = $7, closed = $8, suspended = $9, next_due_on = $10, next_due_rule = $11, next_due_label = $12, "
            "probation_ends_on = $13, version = $14",
            dossier_id, dossier.cell, dossier.full_name, folded(dossier.full_name), dossier.citizen_id, dossier.step.value,
            dossier.opened_on, dossier.closed, dossier.suspended_on is not None,
            due.due_on if due else None, due.rule if due else None, due.label if due else None,
            probation_ends_on(dossier.ceremony.held_on) if dossier.ceremony else None, dossier.version,
        )

    async def _dossier_at(self, conn: asyncpg.Connection, dossier_id: str, event: RecordedEvent) -> Dossier:
        """The dossier as its stream stood at `event`: the row a rebuild writes at this point is the same.

        A stream never changes below its head, so the dossier kept at the version before `event` is
        that replay's state too; it is taken out while `event` is applied, so a transaction rolled
        back leaves nothing behind that a retry could apply twice (the retry finds the version after
        `event`, not before it, and replays)."""
        kept = self._recent.pop(event.stream_id, None)
        if kept is not None and kept.version == event.stream_version - 1:
            kept.apply(event)
            dossier = kept
        else:
            rows = await conn.fetch(
                f"SELECT {_COLUMNS} FROM {self.schema}.events WHERE stream_id = $1 AND stream_version <= $2 ORDER BY stream_version",
                event.stream_id, event.stream_version,
            )
            dossier = Dossier.replay(dossier_id, [record_from_row(r) for r in rows])
        self._recent[event.stream_id] = dossier
        while len(self._recent) > KEPT_DOSSIERS:
            self._recent.popitem(last=False)
        return dossier

    async def catch_up(self, pool: asyncpg.Pool, store: EventStore) -> None:
        await catch_up_own_log(self, pool, store, self._catching_up)


# --- the queries -----------------------------------------------------------------------------------


class OpenDossiersQuery(BaseModel):
    """Số hồ sơ kết nạp chưa kết thúc đang gắn với một tổ chức (sổ đăng ký hỏi trước khi giải thể tổ chức)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    organisation: OrganisationCode


async def open_in(pool: asyncpg.Pool, schema: str, organisation: str) -> int:
    """Dossiers not ended (paused ones included) whose cell is `organisation` now (DISSOLVE_EMPTY)."""
    return int(await pool.fetchval(f"SELECT count(*) FROM {schema}.dossier_index WHERE cell = $1 AND NOT closed", organisation))


async def not_ended_in(conn: asyncpg.Connection, schema: str, organisation: str) -> list[str]:
    """The dossiers not ended whose cell is `organisation` now (a merge or split moves them on)."""
    rows = await conn.fetch(f"SELECT dossier_id FROM {schema}.dossier_index WHERE cell = $1 AND NOT closed ORDER BY dossier_id", organisation)
    return [r["dossier_id"] for r in rows]


SORTS = {
    "name": "name_key",
    "opened_on": "opened_on",
    "step": "step",
    "due_on": "next_due_on",
    "probation_ends_on": "probation_ends_on",
}


class SearchQuery(BaseModel):
    """Tìm hồ sơ trong một tổ chức và các tổ chức cấp dưới: theo họ tên (không phân biệt dấu, hoa
    thường), số CCCD, bước, năm đưa vào danh sách, quá hạn; có sắp xếp và phân trang."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    organisation: OrganisationCode | None = Field(
        default=None, description="tìm trong tổ chức này và các tổ chức cấp dưới (hôm nay); qua cổng API, để trống là tổ chức của người dùng"
    )
    name: str | None = Field(default=None, max_length=100, description="họ tên hoặc một phần: mỗi từ gõ vào là đầu một từ của tên")
    citizen_id: CitizenId | None = None
    steps: list[Step] = Field(default_factory=list, max_length=len(Step), description="chỉ các bước này")
    year: int | None = Field(default=None, ge=1900, le=2200, description="năm đưa vào danh sách cảm tình Đảng")
    overdue: bool = Field(default=False, description="chỉ hồ sơ có thời hạn đã quá tại ngày `on`")
    status: Literal["open", "closed", "all"] = Field(default="open", description="đang xử lý, đã kết thúc, hoặc tất cả")
    sort: Literal["name", "opened_on", "step", "due_on", "probation_ends_on"] = "opened_on"
    descending: bool = False
    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    page_size: int = Field(default=20, ge=1, le=100)
    on: IsoDate | None = Field(default=None, description="ngày tính quá hạn (mặc định hôm nay)")


def word_patterns(typed: str) -> list[str]:
    """PostgreSQL regular expressions over `name_key`, one per typed word: each word begins a word
    of the name, in any order ("an nguyen" and "ng v an" find "Nguyễn Văn An")."""
    return [f"(^| ){re.escape(word)}" for word in folded(typed).split()]


async def search(pool: asyncpg.Pool, schema: str, cells: list[str], query: SearchQuery, on: date) -> dict[str, Any]:
    """The page of dossiers of `cells` that match `query`, with the total; `on` is the day overdue is measured."""
    conditions = ["cell = ANY($1::text[])"]
    params: list[Any] = [cells]

    def param(value: Any) -> str:
        params.append(value)
        return f"${len(params)}"

    for pattern in word_patterns(query.name or ""):
        conditions.append(f"name_key ~ {param(pattern)}")
    if query.citizen_id:
        conditions.append(f"citizen_id = {param(query.citizen_id)}")
    if query.steps:
        conditions.append(f"step = ANY({param([s.value for s in query.steps])}::text[])")
    if query.year is not None:
        conditions.append(f"opened_on >= {param(date(query.year, 1, 1))} AND opened_on <= {param(date(query.year, 12, 31))}")
    if query.overdue:
        conditions.append(f"next_due_on < {param(on)}")
    if query.status != "all":
        conditions.append("closed" if query.status == "closed" else "NOT closed")
    where = " AND ".join(conditions)
    order = f"{SORTS[query.sort]} {'DESC' if query.descending else 'ASC'} NULLS LAST, name_key, dossier_id"
    async with pool.acquire() as conn:
        total = await conn.fetchval(f"SELECT count(*) FROM {schema}.dossier_index WHERE {where}", *params)
        rows = await conn.fetch(
            f"SELECT * FROM {schema}.dossier_index WHERE {where} ORDER BY {order} "
            f"LIMIT {param(query.page_size)} OFFSET {param((query.page - 1) * query.page_size)}",
            *params,
        )
    return {
        "organisation": query.organisation,
        "on": on.isoformat(),
        **paged(total, query.page, query.page_size),
        "dossiers": [_row(r, on) for r in rows],
    }


def _row(r: asyncpg.Record, on: date) -> dict[str, Any]:
    step = Step(r["step"])
    due = r["next_due_on"]
    return {
        "dossier_id": r["dossier_id"],
        "cell": r["cell"],
        "full_name": r["full_name"],
        "citizen_id": r["citizen_id"],
        "step": step.value,
        "step_label": step.label,
        "opened_on": r["opened_on"].isoformat(),
        "closed": r["closed"],
        "suspended": r["suspended"],
        "next_deadline": None
        if due is None
        else {"due_on": due.isoformat(), "rule": r["next_due_rule"], "label": r["next_due_label"], "overdue": due < on},
        "probation_ends_on": r["probation_ends_on"].isoformat() if r["probation_ends_on"] else None,
        "stream_version": r["version"],
    }
