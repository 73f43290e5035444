"""Questions to the read model as of a date: a unit and its ancestors, a subtree, a member's
membership, a roster, a committee, localities, quotas, certificates.

Used by the queries and, for facts about other records, by the command handlers; both first
bring the model up to the log's head (`RegistryModel.catch_up`), so an answer reflects every
command already acknowledged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import asyncpg

from ketnap.platform.asking import AskedAfter
from ketnap.platform.eventstore import EventStore
from ketnap.platform.service import ServiceContext
from ketnap.services.registry.organisation import UnitView
from ketnap.services.registry.projections import RegistryModel
from ketnap.services.registry.values import OrganisationKind

ASOF = "valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2)"
MAX_DEPTH = 64


@asynccontextmanager
async def current_view(ctx: ServiceContext) -> AsyncIterator[RegistryView]:
    """The read model, caught up with every event already in the log. The questions that arrive
    together (a dossier's opening asks five at once) share one catch-up begun after each arrived:
    with nothing new, one round trip instead of one each (issue 21)."""
    await _catch_up_of(ctx)()
    async with ctx.pool.acquire() as conn:
        yield RegistryView(conn, ctx.name)


_CATCH_UPS: dict[str, tuple[RegistryModel, EventStore, AskedAfter[int]]] = {}
"""Per schema, the model's shared catch-up from one log (a test runs a schema once)."""


def _catch_up_of(ctx: ServiceContext) -> AskedAfter[int]:
    model = next((p for p in ctx.projections if isinstance(p, RegistryModel)), None) or RegistryModel.of(ctx.name)
    kept = _CATCH_UPS.get(ctx.name)
    if kept is None or kept[0] is not model or kept[1] is not ctx.store:
        pool, store = ctx.pool, ctx.store
        kept = _CATCH_UPS[ctx.name] = (model, store, AskedAfter(lambda: model.catch_up(pool, store)))
    return kept[2]


class RegistryView:
    def __init__(self, conn: asyncpg.Connection, schema: str) -> None:
        self.conn = conn
        self.s = schema

    # --- the tree -------------------------------------------------------------------------------

    async def unit(self, code: str, on: date) -> dict[str, Any] | None:
        row = await self.conn.fetchrow(f"SELECT * FROM {self.s}.organisations WHERE code = $1 AND {ASOF}", code, on)
        return dict(row) if row else None

    async def unit_view(self, code: str | None, on: date) -> UnitView | None:
        if code is None:
            return None
        row = await self.unit(code, on)
        return _view(row) if row else None

    async def ending(self, code: str) -> dict[str, Any] | None:
        row = await self.conn.fetchrow(f"SELECT * FROM {self.s}.organisation_endings WHERE code = $1", code)
        return dict(row) if row else None

    async def ever_existed(self, code: str) -> bool:
        return bool(await self.conn.fetchval(f"SELECT 1 FROM {self.s}.organisations WHERE code = $1 LIMIT 1", code))

    async def resolve(self, code: str, on: date, item: str | None = None) -> str:
        """The unit that stands for `code` on `on`: itself, or where a merge or split sent `item`."""
        for _ in range(MAX_DEPTH):
            row = await self.conn.fetchrow(
                f"SELECT e.ended_on, coalesce(a.part, e.successor) AS heir FROM {self.s}.organisation_endings e "
                f"LEFT JOIN {self.s}.split_allocations a ON a.code = e.code AND a.item = $2 WHERE e.code = $1",
                code,
                item or "",
            )
            if row is None or row["heir"] is None or row["ended_on"] > on:
                return code
            code = row["heir"]
        return code

    async def ancestors(self, code: str, on: date) -> list[dict[str, Any]]:
        """The units above `code` on `on`, nearest first (at most `MAX_DEPTH`; a unit met twice ends
        the walk), in one query: every command about a dossier asks for a cell's chain."""
        rows = await self.conn.fetch(
            f"WITH RECURSIVE up (code, parent, depth, path) AS ("
            f"  SELECT code, parent, 0, ARRAY[code] FROM {self.s}.organisations WHERE code = $1 AND {ASOF}"
            f"  UNION ALL"
            f"  SELECT o.code, o.parent, up.depth + 1, up.path || o.code FROM up"
            f"  JOIN {self.s}.organisations o ON o.code = up.parent AND o.valid_from <= $2 AND (o.valid_to IS NULL OR o.valid_to > $2)"
            f"  WHERE up.depth < $3 AND NOT o.code = ANY(up.path)"
            f") SELECT o.* FROM up JOIN {self.s}.organisations o ON o.code = up.code AND o.valid_from <= $2 "
            f"AND (o.valid_to IS NULL OR o.valid_to > $2) WHERE up.depth > 0 ORDER BY up.depth",
            code, on, MAX_DEPTH,
        )
        return [dict(row) for row in rows]

    async def chain(self, code: str, on: date, item: str | None = None) -> list[str]:
        """`code` (or what stands for it on `on`, for `item`) and its ancestors' codes, nearest first."""
        code = await self.resolve(code, on, item)
        if await self.unit(code, on) is None:
            return []
        return [code, *(row["code"] for row in await self.ancestors(code, on))]

    async def chains_from(self, code: str, start: date, item: str | None = None) -> list[tuple[date, list[str]]]:
        """The ancestor chain of `code` on `start` and on every later date at which it changes:
        what a cycle check must look at, since changes may already be recorded for later dates."""
        chains: dict[date, list[str]] = {}
        pending = {start}
        while pending:
            on = min(pending)
            pending.discard(on)
            chains[on] = await self.chain(code, on, item)
            later = await self.conn.fetch(
                f"SELECT DISTINCT d FROM ("
                f"  SELECT valid_from AS d FROM {self.s}.organisations WHERE code = ANY($1::text[]) AND valid_from > $2"
                f"  UNION SELECT valid_to FROM {self.s}.organisations WHERE code = ANY($1::text[]) AND valid_to > $2"
                f") dates",
                chains[on] or [code],
                start,
            )
            pending |= {r["d"] for r in later} - chains.keys()
        return sorted(chains.items())

    async def authority(self, code: str, today: date) -> list[str]:
        """Who has authority over `code` today, as a chain nearest first (docs/gateway.md, "Scope on
        today's tree"): the unit's own chain today; for a unit that has ended, the chain of what took
        its place (its successor, or for a dissolved unit the unit that was above it, as it stands
        today); for a unit not started yet, its chain on its first day. Empty: no such unit ever."""
        for _ in range(MAX_DEPTH):
            if await self.unit(code, today) is not None:
                return await self.chain(code, today)
            heir = await self.resolve(code, today)
            if heir != code:
                code = heir
                continue
            last = await self.conn.fetchrow(
                f"SELECT parent, valid_from, valid_to FROM {self.s}.organisations WHERE code = $1 ORDER BY valid_from DESC LIMIT 1", code
            )
            if last is None:
                return []
            if last["valid_from"] > today:
                first = await self.conn.fetchval(f"SELECT min(valid_from) FROM {self.s}.organisations WHERE code = $1", code)
                return await self.chain(code, first)
            if last["parent"] is None:
                return []  # a root that ended with no successor: nobody's authority stands for it
            code = last["parent"]
        return []

    async def stored_code(self, typed: str) -> str | None:
        """The code as the registry stores it, for a code typed in any case (ORG_CODE_UNIQUE: at
        most one unit per spelling); the exact spelling first. None: no such unit ever."""
        # The exact spelling is the common case and is found by the primary key; only a code typed in
        # another case reads the whole table.
        if await self.conn.fetchval(f"SELECT 1 FROM {self.s}.organisations WHERE code = $1 LIMIT 1", typed):
            return typed
        return await self.conn.fetchval(f"SELECT code FROM {self.s}.organisations WHERE lower(code) = lower($1) ORDER BY code LIMIT 1", typed)

    async def codes(self) -> list[str]:
        """Every unit's code the registry has ever held."""
        return [r["code"] for r in await self.conn.fetch(f"SELECT DISTINCT code FROM {self.s}.organisations ORDER BY code")]

    async def is_within(self, code: str, ancestor: str, on: date) -> bool:
        return ancestor in await self.chain(code, on)

    async def children(self, code: str, on: date) -> list[dict[str, Any]]:
        rows = await self.conn.fetch(f"SELECT * FROM {self.s}.organisations WHERE parent = $1 AND {ASOF} ORDER BY code", code, on)
        return [dict(r) for r in rows]

    async def subtree(self, code: str, on: date) -> list[dict[str, Any]]:
        """`code` and every unit below it on `on`, with its depth below `code`."""
        rows = await self.conn.fetch(
            f"""WITH RECURSIVE tree AS (
                  SELECT o.*, 0 AS depth FROM {self.s}.organisations o WHERE o.code = $1 AND {ASOF}
                  UNION ALL
                  SELECT c.*, t.depth + 1 FROM {self.s}.organisations c JOIN tree t ON c.parent = t.code
                  WHERE c.valid_from <= $2 AND (c.valid_to IS NULL OR c.valid_to > $2) AND t.depth < {MAX_DEPTH}
                ) SELECT * FROM tree ORDER BY depth, code""",
            code,
            on,
        )
        return [dict(r) for r in rows]

    # --- members --------------------------------------------------------------------------------

    async def person(self, citizen_id: str) -> dict[str, Any] | None:
        row = await self.conn.fetchrow(f"SELECT * FROM {self.s}.persons WHERE citizen_id = $1", citizen_id)
        return dict(row) if row else None

    async def persons(self, citizen_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The persons of `citizen_ids` (those the registry knows), by citizen id, in one read."""
        rows = await self.conn.fetch(f"SELECT * FROM {self.s}.persons WHERE citizen_id = ANY($1::text[])", citizen_ids)
        return {r["citizen_id"]: dict(r) for r in rows}

    async def membership(self, citizen_id: str, on: date) -> dict[str, Any] | None:
        row = await self.conn.fetchrow(f"SELECT * FROM {self.s}.memberships WHERE citizen_id = $1 AND {ASOF}", citizen_id, on)
        return dict(row) if row else None

    async def left_on(self, citizen_id: str, on: date) -> date | None:
        """The day the person's last membership ended, if they were a member before `on` and are not on it."""
        return await self.conn.fetchval(
            f"SELECT max(valid_to) FROM {self.s}.memberships WHERE citizen_id = $1 AND valid_from <= $2 "
            f"AND NOT EXISTS (SELECT 1 FROM {self.s}.memberships WHERE citizen_id = $1 AND {ASOF})",
            citizen_id, on,
        )

    async def members(self, code: str, on: date) -> list[dict[str, Any]]:
        """Members on `code`'s own roster on `on` (a cell's danh sách đảng viên)."""
        rows = await self.conn.fetch(
            f"SELECT * FROM {self.s}.memberships WHERE organisation = $1 AND {ASOF} ORDER BY citizen_id", code, on
        )
        return [dict(r) for r in rows]

    async def temporary_members(self, code: str, on: date) -> list[dict[str, Any]]:
        """Members of other cells temporarily active in `code` on `on` (sinh hoạt tạm thời)."""
        rows = await self.conn.fetch(
            f"SELECT * FROM {self.s}.memberships WHERE host = $1 AND {ASOF} ORDER BY citizen_id", code, on
        )
        return [dict(r) for r in rows]

    async def member_counts_by_unit(self, codes: list[str], on: date) -> list[dict[str, Any]]:
        """Per unit of `codes` with anyone on its own roster on `on`: official and probationary members."""
        rows = await self.conn.fetch(
            f"SELECT organisation, count(*) FILTER (WHERE kind = 'official') AS official, "
            f"count(*) FILTER (WHERE kind = 'probationary') AS probationary FROM {self.s}.memberships "
            f"WHERE organisation = ANY($1::text[]) AND {ASOF} GROUP BY organisation ORDER BY organisation",
            codes,
            on,
        )
        return [dict(r) for r in rows]

    async def member_count_in(self, codes: list[str], on: date) -> int:
        return await self.conn.fetchval(
            f"SELECT count(*) FROM {self.s}.memberships WHERE (organisation = ANY($1::text[]) OR host = ANY($1::text[])) "
            f"AND {ASOF}",
            codes,
            on,
        )

    async def attached_from(self, code: str, on: date) -> tuple[int, int, int]:
        """Members, child units and localities still attached to `code` on `on` or later."""
        later = "(valid_to IS NULL OR valid_to > $2)"
        members = await self.conn.fetchval(
            f"SELECT count(DISTINCT citizen_id) FROM {self.s}.memberships WHERE (organisation = $1 OR host = $1) AND {later}",
            code,
            on,
        )
        children = await self.conn.fetchval(
            f"SELECT count(DISTINCT code) FROM {self.s}.organisations WHERE parent = $1 AND {later}", code, on
        )
        localities = await self.conn.fetchval(
            f"SELECT count(DISTINCT code) FROM {self.s}.localities WHERE (organisation = $1 OR covered_by = $1) AND {later}",
            code,
            on,
        )
        return members, children, localities

    async def committee(self, code: str, on: date) -> list[dict[str, Any]]:
        rows = await self.conn.fetch(
            f"SELECT * FROM {self.s}.committee_members WHERE organisation = $1 AND {ASOF} ORDER BY citizen_id", code, on
        )
        return [dict(r) for r in rows]

    # --- localities, quotas, classes ------------------------------------------------------------

    async def locality(self, code: str, on: date) -> dict[str, Any] | None:
        row = await self.conn.fetchrow(f"SELECT * FROM {self.s}.localities WHERE code = $1 AND {ASOF}", code, on)
        return dict(row) if row else None

    async def localities_referencing(self, code: str, on: date) -> list[dict[str, Any]]:
        rows = await self.conn.fetch(
            f"SELECT * FROM {self.s}.localities WHERE (organisation = $1 OR covered_by = $1) AND {ASOF} ORDER BY code",
            code,
            on,
        )
        return [dict(r) for r in rows]

    async def localities_of(self, codes: list[str], on: date) -> list[dict[str, Any]]:
        rows = await self.conn.fetch(
            f"SELECT * FROM {self.s}.localities WHERE organisation = ANY($1::text[]) AND {ASOF} ORDER BY code", codes, on
        )
        return [dict(r) for r in rows]

    async def quotas(self, code: str, on: date | None) -> list[dict[str, Any]]:
        rows = await self.conn.fetch(
            f"""SELECT DISTINCT ON (period) * FROM {self.s}.quotas
                WHERE organisation = $1 AND ($2::date IS NULL OR decision_date <= $2)
                ORDER BY period, revision DESC""",
            code,
            on,
        )
        return [dict(r) for r in rows]

    async def quota_history(self, code: str, period: str) -> list[dict[str, Any]]:
        rows = await self.conn.fetch(
            f"SELECT * FROM {self.s}.quotas WHERE organisation = $1 AND period = $2 ORDER BY revision", code, period
        )
        return [dict(r) for r in rows]

    async def unit_versions(self, code: str) -> list[dict[str, Any]]:
        """Every dated version of a unit, oldest first: its history as the tree recorded it."""
        rows = await self.conn.fetch(f"SELECT * FROM {self.s}.organisations WHERE code = $1 ORDER BY valid_from", code)
        return [dict(r) for r in rows]

    async def classes_of(self, organisers: list[str]) -> list[dict[str, Any]]:
        rows = await self.conn.fetch(
            f"SELECT * FROM {self.s}.classes WHERE organiser = ANY($1::text[]) ORDER BY end_date DESC, class_id", organisers
        )
        return [dict(r) for r in rows]

    async def attendees(self, class_ids: list[str]) -> list[dict[str, Any]]:
        rows = await self.conn.fetch(
            f"SELECT * FROM {self.s}.class_attendees WHERE class_id = ANY($1::text[]) ORDER BY class_id, full_name, citizen_id", class_ids
        )
        return [dict(r) for r in rows]

    async def certificates(self, citizen_id: str) -> list[dict[str, Any]]:
        rows = await self.conn.fetch(
            f"""SELECT c.class_id, c.kind, c.organiser, c.start_date, c.end_date, a.certificate_number,
                       a.certificate_issued_on
                FROM {self.s}.class_attendees a JOIN {self.s}.classes c USING (class_id)
                WHERE a.citizen_id = $1 ORDER BY c.end_date, c.class_id""",
            citizen_id,
        )
        return [dict(r) for r in rows]


def _view(row: dict[str, Any]) -> UnitView:
    return UnitView(code=row["code"], name=row["name"], kind=OrganisationKind(row["kind"]), parent=row["parent"])
