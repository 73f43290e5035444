"""The organisation tree over time (cây tổ chức theo thời gian): each unit's name, kind and parent
with the dates they held, from the registry's log; and `Tree`, the reports' view of it.

Reports over a period use the tree as it was then: an admission counts for the organisations above
its cell on the decision date, so a merged commune's cells count for the old commune before the
merge and for the new one from the merge date.

When a unit ends by a merge (sáp nhập) or a split (chia tách), its child units continue in its
successor from that day, as the registry says (`OrganisationMerged.into`; for a split, the part
that lists the child, else the first part).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

import asyncpg

from ketnap.platform.envelope import RecordedEvent
from ketnap.services.reporting import intervals
from ketnap.services.reporting.base import Inbound, ReportingProjection, on, parse
from ketnap.services.reporting.intervals import Row


class Established(Inbound):
    code: str
    name: str
    kind: str
    parent: str | None = None
    effective_from: date


class Renamed(Inbound):
    code: str
    name: str
    effective_from: date


class Reclassified(Inbound):
    code: str
    kind: str
    effective_from: date


class Moved(Inbound):
    code: str
    parent: str
    effective_from: date


class Merged(Inbound):
    code: str
    into: str
    effective_from: date


class SplitPart(Inbound):
    code: str
    members: list[str] = []
    children: list[str] = []
    localities: list[str] = []


class Split(Inbound):
    code: str
    parts: list[SplitPart]
    effective_from: date


class Dissolved(Inbound):
    code: str
    effective_from: date


def split_heir(parts: list[SplitPart], item: str, listed: str) -> str:
    """Where `item` goes when its unit is split: the part listing it (in `listed`), else the first."""
    for part in parts:
        if item in getattr(part, listed):
            return part.code
    return parts[0].code


class OrganisationTree(ReportingProjection):
    concern = "organisation_tree"
    roles = ("registry",)
    tables = {
        "organisation_intervals": """
            code        text NOT NULL,
            valid_from  date NOT NULL,
            valid_to    date,
            name        text NOT NULL,
            kind        text NOT NULL,
            parent      text,
            PRIMARY KEY (code, valid_from)
        """,
        "organisation_endings": """
            code        text PRIMARY KEY,
            ended_on    date NOT NULL,
            how         text NOT NULL,
            successor   text
        """,
    }

    async def _change(self, conn: asyncpg.Connection, schema: str, code: str, rows_of: Callable[[list[Row]], list[Row]]) -> None:
        await intervals.change(conn, schema, "organisation_intervals", {"code": code}, rows_of)

    @on("registry", "OrganisationEstablished")
    async def established(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent) -> None:
        e = parse(Established, event)
        values = {"name": e.name, "kind": e.kind, "parent": e.parent}
        await self._change(conn, schema, e.code, lambda rows: intervals.open_from(rows, e.effective_from, values))

    @on("registry", "OrganisationRenamed")
    async def renamed(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent) -> None:
        e = parse(Renamed, event)
        await self._change(conn, schema, e.code, lambda rows: intervals.set_from(rows, e.effective_from, {"name": e.name}))

    @on("registry", "OrganisationReclassified")
    async def reclassified(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent) -> None:
        e = parse(Reclassified, event)
        await self._change(conn, schema, e.code, lambda rows: intervals.set_from(rows, e.effective_from, {"kind": e.kind}))

    @on("registry", "OrganisationMoved")
    async def moved(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent) -> None:
        e = parse(Moved, event)
        await self._change(conn, schema, e.code, lambda rows: intervals.set_from(rows, e.effective_from, {"parent": e.parent}))

    @on("registry", "OrganisationMerged")
    async def merged(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent) -> None:
        e = parse(Merged, event)
        await self._end(conn, schema, e.code, e.effective_from, "merged", e.into, lambda _child: e.into)

    @on("registry", "OrganisationSplit")
    async def split(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent) -> None:
        e = parse(Split, event)
        if not e.parts:
            return
        await self._end(
            conn, schema, e.code, e.effective_from, "split", e.parts[0].code, lambda child: split_heir(e.parts, child, "children")
        )

    @on("registry", "OrganisationDissolved")
    async def dissolved(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent) -> None:
        e = parse(Dissolved, event)
        await self._end(conn, schema, e.code, e.effective_from, "dissolved", None, None)

    async def _end(
        self,
        conn: asyncpg.Connection,
        schema: str,
        code: str,
        ended_on: date,
        how: str,
        successor: str | None,
        heir_of: Callable[[str], str] | None,
    ) -> None:
        """The unit ends on `ended_on`; its children continue under `heir_of(child)` from that day."""
        await self._change(conn, schema, code, lambda rows: intervals.close_at(rows, ended_on))
        await conn.execute(
            f"INSERT INTO {schema}.organisation_endings (code, ended_on, how, successor) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (code) DO UPDATE SET ended_on = EXCLUDED.ended_on, how = EXCLUDED.how, successor = EXCLUDED.successor",
            code,
            ended_on,
            how,
            successor,
        )
        if heir_of is None:
            return
        for child in await intervals.keys_pointing_at(conn, schema, "organisation_intervals", "code", "parent", code, ended_on):
            heir = heir_of(child)
            await self._change(
                conn,
                schema,
                child,
                lambda rows, heir=heir: intervals.set_from(rows, ended_on, {"parent": heir}, where=lambda r: r["parent"] == code),
            )


# --- the reports' view ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    kind: str
    parent: str | None
    valid_from: date
    valid_to: date | None

    def covers(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on < self.valid_to)

    def overlaps(self, start: date, end: date) -> bool:
        return self.valid_from <= end and (self.valid_to is None or self.valid_to > start)


class Tree:
    """The tree at every date: who sat under whom, and how each unit was called."""

    MAX_DEPTH = 64

    def __init__(self, units: Iterable[Unit]) -> None:
        self._units: dict[str, list[Unit]] = defaultdict(list)
        self._under: dict[str, list[Unit]] = defaultdict(list)
        for unit in sorted(units, key=lambda u: (u.code, u.valid_from)):
            self._units[unit.code].append(unit)
            if unit.parent is not None:
                self._under[unit.parent].append(unit)

    def knows(self, code: str) -> bool:
        return code in self._units

    def unit_on(self, code: str, on: date) -> Unit | None:
        return next((u for u in self._units.get(code, ()) if u.covers(on)), None)

    def describe(self, code: str, on: date) -> dict[str, str | None]:
        """Code, name and kind as on `on`, or as last known for a unit that no longer exists then."""
        unit = self.unit_on(code, on) or self._latest_before(code, on) or self._first(code)
        if unit is None:
            return {"code": code, "name": None, "kind": None}
        return {"code": code, "name": unit.name, "kind": unit.kind}

    def established_on(self, code: str) -> date | None:
        first = self._first(code)
        return first.valid_from if first else None

    def chain_on(self, code: str, on: date) -> list[str]:
        """`code` and the units above it on `on`, nearest first; empty if `code` did not exist then."""
        chain: list[str] = []
        current: str | None = code
        while current is not None and len(chain) < self.MAX_DEPTH:
            unit = self.unit_on(current, on)
            if unit is None or current in chain:
                break
            chain.append(current)
            current = unit.parent
        return chain

    def attribute(self, ancestor: str, code: str, on: date) -> str | None:
        """Which unit directly under `ancestor` `code` sat in on `on` (`ancestor` itself when
        `code` is it); None when `code` was not under `ancestor` then."""
        chain = self.chain_on(code, on)
        if ancestor not in chain:
            return None
        index = chain.index(ancestor)
        return chain[index - 1] if index > 0 else ancestor

    def children_during(self, code: str, start: date, end: date) -> list[str]:
        """Units directly under `code` on some day of [start, end], by code."""
        return sorted({u.code for u in self._under.get(code, ()) if u.overlaps(start, end)})

    def children_on(self, code: str, on: date) -> list[str]:
        """Units directly under `code` on `on`, by code."""
        return sorted(u.code for u in self._under.get(code, ()) if u.covers(on))

    def subtree_on(self, code: str, on: date) -> list[str]:
        """`code` and every unit below it on `on`, `code` first then by code."""
        if self.unit_on(code, on) is None:
            return []
        found: list[str] = []
        pending = [code]
        while pending:
            current = pending.pop()
            if current in found:
                continue
            found.append(current)
            pending.extend(u.code for u in self._under.get(current, ()) if u.covers(on))
        return [code, *sorted(found[1:])]

    def depth_first(self, code: str, on: date) -> list[tuple[str, int]]:
        """`code` and every unit below it on `on`, each under its parent (children by code), with
        its depth below `code`; empty if `code` did not exist then."""
        found: list[tuple[str, int]] = []
        seen: set[str] = set()
        pending = [(code, 0)] if self.unit_on(code, on) else []
        while pending:
            current, depth = pending.pop()
            if current in seen or depth > self.MAX_DEPTH:
                continue
            seen.add(current)
            found.append((current, depth))
            pending.extend((child, depth + 1) for child in reversed(self.children_on(current, on)))
        return found

    def _first(self, code: str) -> Unit | None:
        units = self._units.get(code)
        return units[0] if units else None

    def _latest_before(self, code: str, on: date) -> Unit | None:
        earlier = [u for u in self._units.get(code, ()) if u.valid_from <= on]
        return earlier[-1] if earlier else None


async def load_tree(conn: asyncpg.Connection, schema: str) -> Tree:
    rows = await conn.fetch(f"SELECT code, name, kind, parent, valid_from, valid_to FROM {schema}.organisation_intervals")
    return Tree(Unit(**dict(r)) for r in rows)


async def load_endings(conn: asyncpg.Connection, schema: str) -> dict[str, tuple[date, str, str | None]]:
    """Units that ended: code -> (ended on, how, successor)."""
    rows = await conn.fetch(f"SELECT code, ended_on, how, successor FROM {schema}.organisation_endings")
    return {r["code"]: (r["ended_on"], r["how"], r["successor"]) for r in rows}
