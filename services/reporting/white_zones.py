"""White zones (địa bàn trắng): localities with no cell or no party member, and cells with no
admission for N years; from the registry's localities and cell rosters over time.

A locality (thôn, tổ dân phố) lies in the territory of a committee and is covered by a cell (or by
none). Rosters are kept per cell as intervals keyed by `person_key`, never by citizen id. When a
unit ends by a merge or a split, what pointed at it (a locality's committee or cell, a member's
cell) follows its successor from that day, as in the organisation tree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import asyncpg

from ketnap.domain.calendar import add_months
from ketnap.domain.organisation import MEMBER_HOLDING_KINDS
from ketnap.platform.envelope import RecordedEvent
from ketnap.services.reporting import intervals
from ketnap.services.reporting.base import Inbound, ReportingProjection, on, parse, person_key, text
from ketnap.services.reporting.intervals import Row
from ketnap.services.reporting.organisation_tree import Merged, Split, Tree, split_heir


class LocalityRegistered(Inbound):
    code: str
    name: str
    kind: str | None = None
    organisation: str
    covered_by: str | None = None
    effective_from: date


class LocalityCoverageChanged(Inbound):
    code: str
    covered_by: str | None = None
    effective_from: date


class MemberJoined(Inbound):
    citizen_id: str
    organisation: str
    effective_from: date


class MemberTransferred(Inbound):
    citizen_id: str
    to_organisation: str | None = None
    transfer: str
    effective_from: date


class MemberLeft(Inbound):
    """`MemberNameRemoved`: the person leaves the roster."""

    citizen_id: str
    effective_from: date


_MEMBER_EVENTS = frozenset({"MemberJoined", "MemberTransferred", "MemberNameRemoved"})
_LOCALITY_EVENTS = frozenset({"LocalityRegistered", "LocalityCoverageChanged"})


class WhiteZones(ReportingProjection):
    concern = "white_zones"
    roles = ("registry",)
    tables = {
        "locality_intervals": """
            code          text NOT NULL,
            valid_from    date NOT NULL,
            valid_to      date,
            name          text NOT NULL,
            kind          text,
            organisation  text NOT NULL,
            covered_by    text,
            PRIMARY KEY (code, valid_from)
        """,
        "member_intervals": """
            person_key    text NOT NULL,
            valid_from    date NOT NULL,
            valid_to      date,
            organisation  text NOT NULL,
            PRIMARY KEY (person_key, valid_from)
        """,
    }

    async def apply_batch(self, conn: asyncpg.Connection, schema: str, events: Sequence[tuple[str, RecordedEvent]]) -> None:
        """The batch's members and localities read in one query each before the handlers change them
        (`intervals.remember`), rather than one query per event."""
        members = [e.data["citizen_id"] for _, e in events if e.event_type in _MEMBER_EVENTS and isinstance(e.data.get("citizen_id"), str)]
        localities = [e.data["code"] for _, e in events if e.event_type in _LOCALITY_EVENTS and isinstance(e.data.get("code"), str)]
        await intervals.remember(conn, schema, "member_intervals", "person_key", map(person_key, members))
        await intervals.remember(conn, schema, "locality_intervals", "code", localities)
        await super().apply_batch(conn, schema, events)

    async def _locality(self, conn: asyncpg.Connection, schema: str, code: str, rows_of: Callable[[list[Row]], list[Row]]) -> None:
        await intervals.change(conn, schema, "locality_intervals", {"code": code}, rows_of)

    async def _member(self, conn: asyncpg.Connection, schema: str, key_value: str, rows_of: Callable[[list[Row]], list[Row]]) -> None:
        await intervals.change(conn, schema, "member_intervals", {"person_key": key_value}, rows_of)

    @on("registry", "LocalityRegistered")
    async def locality_registered(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent) -> None:
        e = parse(LocalityRegistered, event)
        values = {"name": text(e.name) or e.code, "kind": e.kind, "organisation": e.organisation, "covered_by": e.covered_by}
        await self._locality(conn, schema, e.code, lambda rows: intervals.open_from(rows, e.effective_from, values))

    @on("registry", "LocalityCoverageChanged")
    async def coverage_changed(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent) -> None:
        e = parse(LocalityCoverageChanged, event)
        await self._locality(
            conn, schema, e.code, lambda rows: intervals.set_from(rows, e.effective_from, {"covered_by": e.covered_by})
        )

    @on("registry", "MemberJoined")
    async def member_joined(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent) -> None:
        e = parse(MemberJoined, event)
        await self._member(
            conn, schema, person_key(e.citizen_id),
            lambda rows: intervals.open_from(rows, e.effective_from, {"organisation": e.organisation}),
        )

    @on("registry", "MemberTransferred")
    async def member_transferred(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent) -> None:
        e = parse(MemberTransferred, event)
        if e.transfer != "official":
            return  # a temporary transfer keeps the member on the home roster
        if e.to_organisation is None:
            await self._member(conn, schema, person_key(e.citizen_id), lambda rows: intervals.close_at(rows, e.effective_from))
        else:
            changes = {"organisation": e.to_organisation}
            await self._member(conn, schema, person_key(e.citizen_id), lambda rows: intervals.set_from(rows, e.effective_from, changes))

    @on("registry", "MemberNameRemoved")
    async def member_left(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent) -> None:
        e = parse(MemberLeft, event)
        await self._member(conn, schema, person_key(e.citizen_id), lambda rows: intervals.close_at(rows, e.effective_from))

    @on("registry", "OrganisationMerged")
    async def merged(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent) -> None:
        e = parse(Merged, event)
        await self._follow(conn, schema, e.code, e.effective_from, lambda _item: e.into, lambda _item: e.into)

    @on("registry", "OrganisationSplit")
    async def split(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent) -> None:
        e = parse(Split, event)
        if not e.parts:
            return
        by_key = {person_key(m): m for part in e.parts for m in part.members}
        await self._follow(
            conn,
            schema,
            e.code,
            e.effective_from,
            lambda locality: split_heir(e.parts, locality, "localities"),
            lambda key: split_heir(e.parts, by_key.get(key, ""), "members"),
        )

    async def _follow(
        self,
        conn: asyncpg.Connection,
        schema: str,
        code: str,
        ended_on: date,
        locality_heir: Callable[[str], str],
        member_heir: Callable[[str], str],
    ) -> None:
        """What pointed at `code` points at its heir from `ended_on` on."""
        for column in ("organisation", "covered_by"):
            for locality in await intervals.keys_pointing_at(conn, schema, "locality_intervals", "code", column, code, ended_on):
                changes = {column: locality_heir(locality)}
                await self._locality(
                    conn, schema, locality,
                    lambda rows, c=column, ch=changes: intervals.set_from(rows, ended_on, ch, where=lambda r: r[c] == code),
                )
        for key in await intervals.keys_pointing_at(conn, schema, "member_intervals", "person_key", "organisation", code, ended_on):
            changes = {"organisation": member_heir(key)}
            await self._member(
                conn, schema, key,
                lambda rows, ch=changes: intervals.set_from(rows, ended_on, ch, where=lambda r: r["organisation"] == code),
            )


# --- the report --------------------------------------------------------------------------------------

REASONS = {"no_cell": "chưa có chi bộ", "no_member": "chi bộ không còn đảng viên"}


@dataclass(frozen=True)
class LocalityOn:
    code: str
    name: str
    organisation: str
    covered_by: str | None


def white_localities(
    localities: Iterable[LocalityOn], members_per_cell: dict[str, int], tree: Tree, subtree: set[str], on: date
) -> list[dict[str, str | None]]:
    """The localities of `subtree` with no cell covering them on `on`, or whose cell has no member."""
    found = []
    for locality in sorted(localities, key=lambda lo: lo.code):
        if locality.organisation not in subtree and locality.covered_by not in subtree:
            continue
        cell = locality.covered_by
        if cell is None or tree.unit_on(cell, on) is None:
            reason = "no_cell"
        elif members_per_cell.get(cell, 0) == 0:
            reason = "no_member"
        else:
            continue
        found.append(
            {"code": locality.code, "name": locality.name, "organisation": locality.organisation, "covered_by": cell,
             "reason": reason, "label": REASONS[reason]}
        )
    return found


def cells_without_admission(
    tree: Tree, subtree: list[str], on: date, years: int, last_admission: dict[str, date], predecessors: dict[str, list[str]]
) -> list[dict[str, str | None]]:
    """Cells of `subtree` on `on` with no admission decision in the `years` years up to `on`. A
    cell's history includes the cells merged into it."""
    since = add_months(on, -12 * years)
    found = []
    for code in subtree:
        unit = tree.unit_on(code, on)
        if unit is None or unit.kind not in MEMBER_HOLDING_KINDS:
            continue
        dates = [last_admission[c] for c in _with_predecessors(code, predecessors) if c in last_admission]
        last = max((d for d in dates if d <= on), default=None)
        if last is not None and last > since:
            continue
        found.append(
            {"code": code, "name": unit.name, "parent": unit.parent,
             "last_admission_on": last.isoformat() if last else None,
             "established_on": (tree.established_on(code) or on).isoformat()}
        )
    return found


def _with_predecessors(code: str, predecessors: dict[str, list[str]]) -> list[str]:
    seen, pending = [], [code]
    while pending:
        current = pending.pop()
        if current not in seen:
            seen.append(current)
            pending.extend(predecessors.get(current, ()))
    return seen


async def localities_on(conn: asyncpg.Connection, schema: str, on: date) -> list[LocalityOn]:
    rows = await conn.fetch(
        f"SELECT code, name, organisation, covered_by FROM {schema}.locality_intervals "
        "WHERE valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1)",
        on,
    )
    return [LocalityOn(**dict(r)) for r in rows]


async def members_per_cell(conn: asyncpg.Connection, schema: str, on: date) -> dict[str, int]:
    rows = await conn.fetch(
        f"SELECT organisation, count(*) AS members FROM {schema}.member_intervals "
        "WHERE valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1) GROUP BY organisation",
        on,
    )
    return {r["organisation"]: r["members"] for r in rows}
