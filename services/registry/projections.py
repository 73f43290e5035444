"""The registry's read model: the tree, rosters, committees, localities, quotas and classes as
validity intervals, built from the registry's own log (rebuildable, verifiable, as of any date).

Every row says what was true from `valid_from` (inclusive) to `valid_to` (exclusive, NULL: still
true), so "as of D" is a range condition. When a unit ends by a merge or a split, whatever
pointed at it (child units, members, localities) is re-homed from that date on to where the
decision sent it; a late event that names an ended unit is re-homed the same way, so the
answer never depends on the order events were recorded in.

`catch_up` gives read-your-writes: a query or command first applies whatever the live consumer
has not applied yet, under the same checkpoint lock, so nothing is applied twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date
from typing import Any

import asyncpg

from ketnap.platform.bus.consumer import move_checkpoint, read_checkpoint, take_turn
from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.eventstore import EventStore
from ketnap.platform.projections import Projection, head_and_checkpoint
from ketnap.services.registry import events as ev
from ketnap.services.registry.intervals import Row, close_at, open_from, rehome, set_from
from ketnap.services.registry.values import MemberKind, MemberStatus, OrganisationKind, TransferKind

COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "organisations": (
        ("code", "text NOT NULL"),
        ("valid_from", "date NOT NULL"),
        ("valid_to", "date"),
        ("name", "text NOT NULL"),
        ("kind", "text NOT NULL"),
        ("parent", "text"),
        ("may_decide_admission", "boolean NOT NULL"),
        ("authority_decision_number", "text"),
        ("authority_decision_date", "date"),
        ("authority_effective_from", "date"),
    ),
    "organisation_endings": (
        ("code", "text NOT NULL"),
        ("ended_on", "date NOT NULL"),
        ("how", "text NOT NULL"),
        ("successor", "text"),
        ("decision_number", "text"),
    ),
    "split_allocations": (("code", "text NOT NULL"), ("item", "text NOT NULL"), ("part", "text NOT NULL")),
    "persons": (
        ("citizen_id", "text NOT NULL"),
        ("full_name", "text NOT NULL"),
        ("admitted_on", "date"),
        ("official_since", "date"),
    ),
    "memberships": (
        ("citizen_id", "text NOT NULL"),
        ("valid_from", "date NOT NULL"),
        ("valid_to", "date"),
        ("organisation", "text NOT NULL"),
        ("kind", "text NOT NULL"),
        ("status", "text NOT NULL"),
        ("unit_since", "date NOT NULL"),
        ("host", "text"),
        ("host_since", "date"),
    ),
    "committee_members": (
        ("organisation", "text NOT NULL"),
        ("citizen_id", "text NOT NULL"),
        ("valid_from", "date NOT NULL"),
        ("valid_to", "date"),
        ("role", "text"),
    ),
    "localities": (
        ("code", "text NOT NULL"),
        ("valid_from", "date NOT NULL"),
        ("valid_to", "date"),
        ("name", "text NOT NULL"),
        ("kind", "text NOT NULL"),
        ("organisation", "text NOT NULL"),
        ("covered_by", "text"),
    ),
    "quotas": (
        ("organisation", "text NOT NULL"),
        ("period", "text NOT NULL"),
        ("revision", "integer NOT NULL"),
        ("period_kind", "text NOT NULL"),
        ("quantity", "integer NOT NULL"),
        ("assigned_by", "text NOT NULL"),
        ("decision_date", "date NOT NULL"),
        ("decision_number", "text"),
        ("reason", "text"),
    ),
    "classes": (
        ("class_id", "text NOT NULL"),
        ("kind", "text NOT NULL"),
        ("organiser", "text NOT NULL"),
        ("title", "text"),
        ("start_date", "date NOT NULL"),
        ("end_date", "date NOT NULL"),
    ),
    "class_attendees": (
        ("class_id", "text NOT NULL"),
        ("citizen_id", "text NOT NULL"),
        ("full_name", "text NOT NULL"),
        ("certificate_number", "text"),
        ("certificate_issued_on", "date"),
    ),
}

PRIMARY_KEYS = {
    "organisations": ("code", "valid_from"),
    "organisation_endings": ("code",),
    "split_allocations": ("code", "item"),
    "persons": ("citizen_id",),
    "memberships": ("citizen_id", "valid_from"),
    "committee_members": ("organisation", "citizen_id", "valid_from"),
    "localities": ("code", "valid_from"),
    "quotas": ("organisation", "period", "revision"),
    "classes": ("class_id",),
    "class_attendees": ("class_id", "citizen_id"),
}

TABLES = {
    table: ", ".join(f"{name} {ddl}" for name, ddl in columns) + f", PRIMARY KEY ({', '.join(PRIMARY_KEYS[table])})"
    for table, columns in COLUMNS.items()
}

_REFERENCES = {
    "organisations": ("parent",),
    "memberships": ("organisation", "host"),
    "localities": ("organisation", "covered_by"),
}
"""Columns that name a unit, and so follow it when it is merged or split."""


class RegistryModel(Projection):
    """The registry's read model over its own log (schema `registry` in production) and, in a
    federated deployment, the registry logs kept from the linked deployments: each unit is
    established in exactly one deployment's log, so the trees join without overlapping."""

    _instances: dict[str, RegistryModel] = {}

    def __init__(self, schema: str = "registry", kept: Sequence[str] = ()) -> None:
        self.schema = schema
        self.name = f"{schema}.model"
        self.sources = (schema, *kept)
        self.tables = TABLES
        self._catching_up: asyncio.Lock | None = None

    @classmethod
    def of(cls, schema: str, kept: Sequence[str] | None = None) -> RegistryModel:
        """One instance per schema and process, shared by the service's consumer and its handlers;
        the service names the kept logs once, when it is built."""
        if schema not in cls._instances or (kept is not None and tuple(kept) != cls._instances[schema].sources[1:]):
            cls._instances[schema] = cls(schema, kept or ())
        return cls._instances[schema]


    # --- applying events ----------------------------------------------------------------------

    async def apply(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent, source: str) -> None:
        parsed = ev.parse(event)
        if parsed is None:
            return
        await _Apply(conn, schema).on(parsed)

    # --- read-your-writes -----------------------------------------------------------------------

    async def catch_up(self, pool: asyncpg.Pool, store: EventStore | None = None) -> int:
        """Apply every event of the logs the live consumers have not applied yet; returns the
        position the model now reflects of its own log. One catch-up at a time per process: each
        holds two connections."""
        reached = 0
        for source in self.sources:
            log_store = store if store is not None and source == self.schema else EventStore(pool, source)
            position = await self._catch_up_source(pool, log_store, source)
            if source == self.schema:
                reached = position
        return reached

    async def _catch_up_source(self, pool: asyncpg.Pool, store: EventStore, source: str) -> int:
        head, checkpoint = await head_and_checkpoint(pool, self.schema, self.name, store)
        if checkpoint is not None and checkpoint >= head:
            return head
        if self._catching_up is None:
            self._catching_up = asyncio.Lock()
        async with self._catching_up, pool.acquire() as conn, conn.transaction():
            await take_turn(conn, self.schema, self.name)
            checkpoint = await read_checkpoint(conn, self.schema, self.name, source, lock=True)
            if checkpoint >= head:
                return checkpoint
            last = None
            async for batch in store.read_log(checkpoint, batch_size=2000, up_to_position=head):
                for event in batch:
                    await self.apply(conn, self.schema, event, source)
                    last = event
            if last is None:
                return checkpoint
            await move_checkpoint(conn, self.schema, self.name, source, last.position, last.hash)
            return last.position


class _Apply:
    """One event applied to the tables of one schema (live or shadow)."""

    def __init__(self, conn: asyncpg.Connection, schema: str) -> None:
        self.conn = conn
        self.schema = schema

    # --- generic row access -------------------------------------------------------------------

    async def load(self, table: str, **key: Any) -> list[Row]:
        where = " AND ".join(f"{column} = ${i}" for i, column in enumerate(key, start=1))
        rows = await self.conn.fetch(f"SELECT * FROM {self.schema}.{table} WHERE {where} ORDER BY valid_from", *key.values())
        return [dict(r) for r in rows]

    async def save(self, table: str, rows: Sequence[Row], **key: Any) -> None:
        where = " AND ".join(f"{column} = ${i}" for i, column in enumerate(key, start=1))
        await self.conn.execute(f"DELETE FROM {self.schema}.{table} WHERE {where}", *key.values())
        await self.insert(table, [{**row, **key} for row in rows])

    async def insert(self, table: str, rows: Sequence[Row]) -> None:
        if not rows:
            return
        names = [name for name, _ in COLUMNS[table]]
        placeholders = ", ".join(f"${i}" for i in range(1, len(names) + 1))
        await self.conn.executemany(
            f"INSERT INTO {self.schema}.{table} ({', '.join(names)}) VALUES ({placeholders})",
            [tuple(row.get(name) for name in names) for row in rows],
        )

    async def normalised(self, table: str, rows: list[Row], key: str) -> list[Row]:
        """Rows re-homed past the end of every unit they name (see module docstring)."""
        endings: dict[str, tuple[date, str | None] | None] = {}
        columns = _REFERENCES.get(table, ())
        for _ in range(64):
            named = {row[c] for row in rows for c in columns if row.get(c)} - endings.keys()
            if not named:
                break
            found = await self.conn.fetch(
                f"SELECT e.code, e.ended_on, coalesce(a.part, e.successor) AS heir "
                f"FROM {self.schema}.organisation_endings e "
                f"LEFT JOIN {self.schema}.split_allocations a ON a.code = e.code AND a.item = $2 "
                "WHERE e.code = ANY($1::text[])",
                list(named),
                key,
            )
            endings.update({code: None for code in named})
            endings.update({r["code"]: (r["ended_on"], r["heir"]) for r in found})
            for column in columns:
                rows = rehome(rows, column, lambda code: endings.get(code))
        return rows

    async def save_organisation(self, code: str, rows: list[Row]) -> None:
        rows = await self.normalised("organisations", rows, code)
        for row in rows:
            row["may_decide_admission"] = (
                OrganisationKind(row["kind"]).decides_admission_by_itself or row["authority_decision_number"] is not None
            )
        await self.save("organisations", rows, code=code)

    async def change_organisation(self, code: str, on: date, **changes: Any) -> None:
        await self.save_organisation(code, set_from(await self.load("organisations", code=code), on, changes))

    async def save_membership(self, citizen_id: str, rows: list[Row]) -> None:
        await self.save("memberships", await self.normalised("memberships", rows, citizen_id), citizen_id=citizen_id)

    async def change_membership(self, citizen_id: str, on: date, **changes: Any) -> None:
        await self.save_membership(citizen_id, set_from(await self.load("memberships", citizen_id=citizen_id), on, changes))

    async def save_locality(self, code: str, rows: list[Row]) -> None:
        await self.save("localities", await self.normalised("localities", rows, code), code=code)

    # --- the events -----------------------------------------------------------------------------

    async def on(self, event: ev.Event) -> None:
        handler = getattr(self, f"on_{type(event).__name__}", None)
        if handler is not None:
            await handler(event)

    async def on_OrganisationEstablished(self, e: ev.OrganisationEstablished) -> None:
        values = {
            "name": e.name, "kind": e.kind.value, "parent": e.parent, "may_decide_admission": False,
            "authority_decision_number": None, "authority_decision_date": None, "authority_effective_from": None,
        }
        await self.save_organisation(e.code, open_from(await self.load("organisations", code=e.code), e.effective_from, values))

    async def on_OrganisationRenamed(self, e: ev.OrganisationRenamed) -> None:
        await self.change_organisation(e.code, e.effective_from, name=e.name)

    async def on_OrganisationReclassified(self, e: ev.OrganisationReclassified) -> None:
        await self.change_organisation(e.code, e.effective_from, kind=e.kind.value)

    async def on_OrganisationMoved(self, e: ev.OrganisationMoved) -> None:
        await self.change_organisation(e.code, e.effective_from, parent=e.parent)

    async def on_AdmissionAuthorityGranted(self, e: ev.AdmissionAuthorityGranted) -> None:
        await self.change_organisation(
            e.code, e.effective_from, authority_decision_number=e.decision_number,
            authority_decision_date=e.decision_date, authority_effective_from=e.effective_from,
        )

    async def on_AdmissionAuthorityRevoked(self, e: ev.AdmissionAuthorityRevoked) -> None:
        await self.change_organisation(
            e.code, e.effective_from, authority_decision_number=None, authority_decision_date=None,
            authority_effective_from=None,
        )

    async def on_OrganisationMerged(self, e: ev.OrganisationMerged) -> None:
        await self.end(e.code, e.effective_from, "merged", e.into, e.decision_number)

    async def on_OrganisationSplit(self, e: ev.OrganisationSplit) -> None:
        allocations = [
            {"code": e.code, "item": item, "part": part.code}
            for part in e.parts
            for item in (*part.members, *part.children, *part.localities)
        ]
        await self.insert("split_allocations", allocations)
        await self.end(e.code, e.effective_from, "split", e.parts[0].code, e.decision_number)

    async def on_OrganisationDissolved(self, e: ev.OrganisationDissolved) -> None:
        await self.end(e.code, e.effective_from, "dissolved", None, e.decision_number)

    async def end(self, code: str, on: date, how: str, successor: str | None, decision_number: str | None) -> None:
        await self.insert(
            "organisation_endings",
            [{"code": code, "ended_on": on, "how": how, "successor": successor, "decision_number": decision_number}],
        )
        await self.save("organisations", close_at(await self.load("organisations", code=code), on), code=code)
        s = self.schema
        await self.conn.execute(f"DELETE FROM {s}.committee_members WHERE organisation = $1 AND valid_from >= $2", code, on)
        await self.conn.execute(
            f"UPDATE {s}.committee_members SET valid_to = $2 WHERE organisation = $1 AND (valid_to IS NULL OR valid_to > $2)",
            code,
            on,
        )
        overhanging = "(valid_to IS NULL OR valid_to > $2)"
        for child in await self.conn.fetch(
            f"SELECT DISTINCT code FROM {s}.organisations WHERE parent = $1 AND {overhanging}", code, on
        ):
            await self.save_organisation(child["code"], await self.load("organisations", code=child["code"]))
        for member in await self.conn.fetch(
            f"SELECT DISTINCT citizen_id FROM {s}.memberships WHERE (organisation = $1 OR host = $1) AND {overhanging}",
            code,
            on,
        ):
            cid = member["citizen_id"]
            await self.save_membership(cid, await self.load("memberships", citizen_id=cid))
        for locality in await self.conn.fetch(
            f"SELECT DISTINCT code FROM {s}.localities WHERE (organisation = $1 OR covered_by = $1) AND {overhanging}",
            code,
            on,
        ):
            await self.save_locality(locality["code"], await self.load("localities", code=locality["code"]))

    async def on_CommitteeMemberAppointed(self, e: ev.CommitteeMemberAppointed) -> None:
        key = {"organisation": e.organisation, "citizen_id": e.citizen_id}
        rows = open_from(await self.load("committee_members", **key), e.effective_from, {"role": e.role})
        ended = await self.conn.fetchval(
            f"SELECT ended_on FROM {self.schema}.organisation_endings WHERE code = $1", e.organisation
        )
        if ended is not None:
            rows = close_at(rows, ended)
        await self.save("committee_members", rows, **key)

    async def on_CommitteeMemberLeft(self, e: ev.CommitteeMemberLeft) -> None:
        key = {"organisation": e.organisation, "citizen_id": e.citizen_id}
        await self.save("committee_members", close_at(await self.load("committee_members", **key), e.effective_from), **key)

    async def on_QuotaAssigned(self, e: ev.QuotaAssigned) -> None:
        await self.insert(
            "quotas",
            [{
                "organisation": e.organisation, "period": e.period, "revision": 1, "period_kind": e.period_kind.value,
                "quantity": e.quantity, "assigned_by": e.assigned_by, "decision_date": e.decision_date,
                "decision_number": e.decision_number, "reason": None,
            }],
        )

    async def on_QuotaChanged(self, e: ev.QuotaChanged) -> None:
        last = await self.conn.fetchrow(
            f"SELECT * FROM {self.schema}.quotas WHERE organisation = $1 AND period = $2 ORDER BY revision DESC LIMIT 1",
            e.organisation,
            e.period,
        )
        await self.insert(
            "quotas",
            [{
                **dict(last), "revision": last["revision"] + 1, "quantity": e.quantity, "decision_date": e.decision_date,
                "decision_number": e.decision_number, "reason": e.reason,
            }],
        )

    async def on_MemberJoined(self, e: ev.MemberJoined) -> None:
        await self.conn.execute(
            f"INSERT INTO {self.schema}.persons (citizen_id, full_name, admitted_on, official_since) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (citizen_id) DO UPDATE SET full_name = excluded.full_name, "
            f"admitted_on = coalesce(excluded.admitted_on, {self.schema}.persons.admitted_on), "
            "official_since = excluded.official_since",
            e.citizen_id,
            e.full_name,
            e.admitted_on,
            e.official_since,
        )
        values = {
            "organisation": e.organisation, "kind": e.kind.value, "status": e.status.value, "unit_since": e.effective_from,
            "host": None, "host_since": None,
        }
        rows = open_from(await self.load("memberships", citizen_id=e.citizen_id), e.effective_from, values)
        await self.save_membership(e.citizen_id, rows)

    async def on_MemberBecameOfficial(self, e: ev.MemberBecameOfficial) -> None:
        await self.conn.execute(
            f"UPDATE {self.schema}.persons SET official_since = $2 WHERE citizen_id = $1", e.citizen_id, e.official_date
        )
        await self.change_membership(e.citizen_id, e.official_date, kind=MemberKind.OFFICIAL.value)

    async def on_MemberStatusChanged(self, e: ev.MemberStatusChanged) -> None:
        await self.change_membership(e.citizen_id, e.effective_from, status=e.status.value)

    async def on_MemberTransferred(self, e: ev.MemberTransferred) -> None:
        if e.transfer is TransferKind.TEMPORARY:
            await self.change_membership(
                e.citizen_id, e.effective_from, status=MemberStatus.TRANSFERRED_OUT.value, host=e.to_organisation,
                host_since=e.effective_from,
            )
        elif e.to_organisation is None:
            rows = close_at(await self.load("memberships", citizen_id=e.citizen_id), e.effective_from)
            await self.save_membership(e.citizen_id, rows)
        else:
            await self.change_membership(
                e.citizen_id, e.effective_from, organisation=e.to_organisation, unit_since=e.effective_from
            )

    async def on_MemberReturned(self, e: ev.MemberReturned) -> None:
        await self.change_membership(
            e.citizen_id, e.effective_from, status=MemberStatus.ACTIVE.value, host=None, host_since=None
        )

    async def on_MemberNameRemoved(self, e: ev.MemberNameRemoved) -> None:
        rows = close_at(await self.load("memberships", citizen_id=e.citizen_id), e.effective_from)
        await self.save_membership(e.citizen_id, rows)

    async def on_LocalityRegistered(self, e: ev.LocalityRegistered) -> None:
        values = {"name": e.name, "kind": e.kind, "organisation": e.organisation, "covered_by": e.covered_by}
        await self.save_locality(e.code, open_from(await self.load("localities", code=e.code), e.effective_from, values))

    async def on_LocalityCoverageChanged(self, e: ev.LocalityCoverageChanged) -> None:
        rows = set_from(await self.load("localities", code=e.code), e.effective_from, {"covered_by": e.covered_by})
        await self.save_locality(e.code, rows)

    async def on_ClassHeld(self, e: ev.ClassHeld) -> None:
        await self.insert(
            "classes",
            [{
                "class_id": e.class_id, "kind": e.kind.value, "organiser": e.organiser, "title": e.title,
                "start_date": e.start_date, "end_date": e.end_date,
            }],
        )
        await self.insert(
            "class_attendees",
            [{"class_id": e.class_id, "citizen_id": a.citizen_id, "full_name": a.full_name} for a in e.attendees],
        )

    async def on_CertificatesIssued(self, e: ev.CertificatesIssued) -> None:
        await self.conn.executemany(
            f"UPDATE {self.schema}.class_attendees SET certificate_number = $3, certificate_issued_on = $4 "
            "WHERE class_id = $1 AND citizen_id = $2",
            [(e.class_id, c.citizen_id, c.number, c.issued_on) for c in e.certificates],
        )
