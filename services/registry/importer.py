"""Bulk import of an existing organisation (nhập dữ liệu ban đầu): its tree, members, admissions decided
on paper, committees and localities from one CSV, JSON or Excel (.xlsx) file, all or nothing.

Every row is checked first, by the same aggregates the commands use, against the registry as it
is and against the other rows of the file; every bad row is reported (line, field, reason in
Vietnamese) and then nothing is written. A good file is written in one transaction: the events
of every stream are appended with `EventStore.append(..., connection=conn)`, with ids derived
from the file's digest, so importing the same file twice cannot record anything twice.

The file is read by `ketnap.domain.spreadsheet` (formats, Vietnamese headers: docs/registry.md),
the one reader every import shares.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import pydantic
from pydantic import BaseModel, ConfigDict, field_validator

from ketnap.domain.spreadsheet import (  # noqa: F401  (read_records, render_problems, records_of: callers read them here too)
    Problem,
    Record,
    labelled,
    read_records,
    reason_of,
    records_of,
    render_problems,
)
from ketnap.platform.commands import DomainError, idempotent_event_ids
from ketnap.platform.envelope import EventMetadata
from ketnap.platform.eventstore import ConcurrencyConflict, EventStore
from ketnap.platform.logging import get_logger
from ketnap.platform.vietnamese import vn_date
from ketnap.services.registry import errors
from ketnap.services.registry.commands import CommitteeSeatFacts, LocalityFacts, MemberFacts, OrganisationFacts, PaperAdmissionFacts
from ketnap.services.registry.events import Event
from ketnap.services.registry.locality import Locality
from ketnap.services.registry.member import Person
from ketnap.services.registry.organisation import Organisation, UnitView
from ketnap.services.registry.projections import RegistryModel
from ketnap.services.registry.readmodel import RegistryView
from ketnap.services.registry.repository import load_organisation, load_person
from ketnap.services.registry.spelling import codes_as_stored
from ketnap.services.registry.values import (
    KIND_LABELS,
    STATUS_LABELS,
    Day,
    DecisionNumber,
    MemberKind,
    parse_user_date,
)

log = get_logger(__name__)

Progress = Callable[[str], None]


# --- rows -------------------------------------------------------------------------------------------

_MEMBER_KIND_LABELS = {"chính thức": MemberKind.OFFICIAL, "dự bị": MemberKind.PROBATIONARY}



class _Row(BaseModel):
    """One line of the file: the facts of the record's command (commands.py), as people type them."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class OrganisationRow(OrganisationFacts, _Row):
    authority_decision_number: DecisionNumber | None = None
    authority_decision_date: Day | None = None
    authority_effective_from: Day | None = None

    _dates = field_validator("effective_from", "authority_decision_date", "authority_effective_from", mode="before")(parse_user_date)
    _kind = field_validator("kind", mode="before")(labelled(KIND_LABELS))


class MemberRow(MemberFacts, _Row):
    _dates = field_validator("effective_from", "admitted_on", "official_since", mode="before")(parse_user_date)
    _kind = field_validator("kind", mode="before")(labelled(_MEMBER_KIND_LABELS, reverse=False))
    _status = field_validator("status", mode="before")(labelled(STATUS_LABELS))


class PaperAdmissionRow(PaperAdmissionFacts, _Row):
    """An admission decided on paper before the system (kết nạp trên giấy): counted like one decided here."""

    _dates = field_validator("decision_date", "ceremony_on", "official_since", mode="before")(parse_user_date)

    @property
    def effective_from(self) -> date:
        """The day the person is on the cell's roster: the ceremony, or the decision."""
        return self.ceremony_on or self.decision_date


class CommitteeRow(CommitteeSeatFacts, _Row):
    _dates = field_validator("effective_from", mode="before")(parse_user_date)


class LocalityRow(LocalityFacts, _Row):
    _dates = field_validator("effective_from", mode="before")(parse_user_date)


RECORDS: dict[str, type[_Row]] = {
    "organisation": OrganisationRow,
    "member": MemberRow,
    "paper_admission": PaperAdmissionRow,
    "committee": CommitteeRow,
    "locality": LocalityRow,
}
TAKEN_OVER_ELSEWHERE = frozenset({"dossier", "relative"})
"""Rows the registry does not record: dossiers in progress and the relatives of their personal
histories, taken over through the services that own their steps (`ketnap.services.gateway.paper_dossiers`),
after the registry rows of the same file."""



@dataclass
class ImportResult:
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    events: int = 0
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems



# --- reading the file ---------------------------------------------------------------------------------



# --- checking the rows ------------------------------------------------------------------------------

_FIELD_OF_ERROR: dict[type[DomainError], str] = {
    errors.UnknownParent: "parent",
    errors.ParentKindNotAllowed: "parent",
    errors.RootNotAllowed: "parent",
    errors.TreeCycle: "parent",
    errors.AlreadyMember: "citizen_id",
    errors.MembersOnlyInCells: "organisation",
    errors.CommitteeSeatTaken: "citizen_id",
    errors.EffectiveDateTooEarly: "effective_from",
    errors.NotYetEstablished: "effective_from",
    errors.OrganisationEnded: "effective_from",
}


class _Plan:
    """What the file will record, stream by stream, and what is wrong with it."""

    def __init__(self, view: RegistryView, store: EventStore) -> None:
        self.view = view
        self.store = store
        self.problems: list[Problem] = []
        self.org_rows: dict[str, tuple[int, OrganisationRow]] = {}
        self.organisations: dict[str, Organisation] = {}
        """Units of the file, or of the registry that the file adds to (their committee)."""
        self.loaded_versions: dict[str, int] = {}
        self.members: dict[str, tuple[int, MemberRow | PaperAdmissionRow]] = {}
        self.persons: dict[str, Person] = {}
        self.localities: dict[str, Locality] = {}
        self.pending: dict[str, list[Event]] = {}
        self.counts = {"organisations": 0, "members": 0, "paper_admissions": 0, "committees": 0, "localities": 0}

    def problem(self, line: int, field_name: str, reason: str) -> None:
        self.problems.append(Problem(line, field_name, reason))

    def domain_problem(self, line: int, error: DomainError, default_field: str) -> None:
        self.problem(line, _FIELD_OF_ERROR.get(type(error), default_field), error.message)

    def record(self, stream_id: str, events: Iterable[Event], apply_to: Any) -> None:
        for event in events:
            apply_to.apply(event)
            self.pending.setdefault(stream_id, []).append(event)

    # --- the combined tree: the registry plus the file ------------------------------------------

    async def unit(self, code: str | None, on: date) -> UnitView | None:
        if code is None:
            return None
        if code in self.org_rows:
            organisation = self.organisations.get(code)
            _, row = self.org_rows[code]
            if organisation is None or not organisation.exists or row.effective_from > on:
                return None
            return UnitView(code, organisation.name, organisation.kind, organisation.parent)
        return await self.view.unit_view(code, on)

    async def chain(self, code: str, on: date) -> list[str]:
        chain: list[str] = []
        current: str | None = code
        while current is not None and len(chain) < 64:
            if current not in self.org_rows:
                return chain + await self.view.chain(current, on)
            unit = await self.unit(current, on)
            if unit is None:
                break
            chain.append(current)
            current = unit.parent
        return chain

    async def membership(self, citizen_id: str, on: date) -> tuple[str, MemberKind] | None:
        if citizen_id in self.members and citizen_id in self.persons:
            _, row = self.members[citizen_id]
            person = self.persons[citizen_id]
            if person.membership is not None and row.effective_from <= on:
                return person.membership.organisation, person.membership.kind
            return None
        found = await self.view.membership(citizen_id, on)
        return (found["organisation"], MemberKind(found["kind"])) if found else None

    async def existing_organisation(self, code: str) -> Organisation:
        if code not in self.organisations:
            organisation = await load_organisation(self.store, code)
            self.organisations[code] = organisation
            self.loaded_versions[organisation.stream_id] = organisation.version
        return self.organisations[code]

    async def check_within(self, within: str, rows: dict[str, list[tuple[int, Any]]]) -> None:
        """Each row's unit (an organisation's parent; the unit of a member, a seat, a locality and
        its covering cell) lies in `within`'s subtree, on the row's date, in the tree with the file."""
        for kind, name in (("organisation", "parent"), ("member", "organisation"), ("committee", "organisation"),
                           ("locality", "organisation"), ("locality", "covered_by")):
            for line, row in rows[kind]:
                code = getattr(row, name, None)
                if code is None and kind == "organisation" and row.code != within:
                    self.problem(line, "parent", f"Tổ chức gốc {row.code} không thuộc phạm vi quản lý ({within}): cần tổ chức cấp trên")
                elif code is not None and within not in await self.chain(code, row.effective_from):
                    self.problem(line, name, f"{code} không thuộc phạm vi quản lý ({within} và các tổ chức cấp dưới)")

    async def codes_as_stored(self, rows: dict[str, list[tuple[int, Any]]]) -> dict[str, list[tuple[int, Any]]]:
        """The rows with every unit code as the registry stores it, however it was typed, and a unit the
        file founds in capitals, as a command founds it (ORG_CODE_UNIQUE, services/registry/spelling.py).
        A founded code typed twice in two cases, or a unit the registry has in another case, is left as
        typed: add_organisations refuses that row, quoting what was typed."""
        codes = await self.view.codes()  # sorted: the first of two spellings, as view.stored_code picks
        in_registry: dict[str, str] = {}
        for code in codes:
            in_registry.setdefault(code.lower(), code)
        spellings: dict[str, set[str]] = {}
        for _, row in rows["organisation"]:
            spellings.setdefault(row.code.lower(), set()).add(row.code)
        founded = {lower: typed.pop().upper() for lower, typed in spellings.items() if len(typed) == 1 and lower not in in_registry}
        exact = set(codes)

        async def stored(typed: str) -> str:
            if typed in exact:
                return typed
            return founded.get(typed.lower()) or in_registry.get(typed.lower()) or typed

        async def row_spelled(kind: str, row: Any) -> Any:
            row = await codes_as_stored(row, stored, new=("code",) if kind == "organisation" else ())
            if kind == "organisation" and row.code.lower() in founded:
                row = row.model_copy(update={"code": founded[row.code.lower()]})
            return row

        return {kind: [(line, await row_spelled(kind, row)) for line, row in items] for kind, items in rows.items()}

    # --- organisations ------------------------------------------------------------------------------

    async def add_organisations(self, rows: list[tuple[int, OrganisationRow]]) -> None:
        spelled: dict[str, str] = {}  # ORG_CODE_UNIQUE: a code is one unit whatever its case
        for line, row in rows:
            if row.code.lower() in spelled:
                first = spelled[row.code.lower()]
                if first == row.code:
                    self.problem(line, "code", f"Mã tổ chức {row.code} trùng với dòng {self.org_rows[first][0]}")
                else:
                    self.problem(line, "code", f"Mã tổ chức {row.code} trùng với mã {first} ở dòng {self.org_rows[first][0]} "
                                 "[ORG_CODE_UNIQUE]: mã tổ chức không phân biệt chữ hoa, chữ thường")
                continue
            spelled[row.code.lower()] = row.code
            self.org_rows[row.code] = (line, row)
        known = {
            r["code"]
            for r in await self.view.conn.fetch(
                f"SELECT DISTINCT code FROM {self.view.s}.organisations WHERE lower(code) = ANY($1::text[])", list(spelled)
            )
        }
        for stored in sorted(known):
            code = spelled[stored.lower()]
            line, _ = self.org_rows.pop(code)
            same = "" if stored == code else f" [ORG_CODE_UNIQUE]: {stored}, mã tổ chức không phân biệt chữ hoa, chữ thường"
            self.problem(line, "code", f"Mã tổ chức {code} đã có trong sổ đăng ký{same}")
        in_cycle = self._cycles()
        done: set[str] = set()
        for code in list(self.org_rows):
            await self._establish(code, done, in_cycle)

    def _cycles(self) -> set[str]:
        parents = {code: row.parent for code, (_, row) in self.org_rows.items()}
        in_cycle: set[str] = set()
        for start in parents:
            path: list[str] = []
            current: str | None = start
            while current in parents and current not in path and current not in in_cycle:
                path.append(current)
                current = parents[current]
            if current in path:
                loop = path[path.index(current):]
                for code in loop:
                    if code not in in_cycle:
                        in_cycle.add(code)
                        self.problem(
                            self.org_rows[code][0], "parent",
                            "Vòng lặp trong cây tổ chức: " + " → ".join([*loop, loop[0]]),
                        )
        return in_cycle

    async def _establish(self, code: str, done: set[str], in_cycle: set[str]) -> None:
        if code in done or code in in_cycle:
            return
        done.add(code)
        line, row = self.org_rows[code]
        if row.parent in self.org_rows:
            await self._establish(row.parent, done, in_cycle)
            parent_org = self.organisations.get(row.parent)
            if row.parent in in_cycle or parent_org is None or not parent_org.exists:
                self.problem(line, "parent", f"Tổ chức cấp trên {row.parent} (dòng {self.org_rows[row.parent][0]}) có lỗi")
                return
        organisation = Organisation(code)
        try:
            self.record(
                organisation.stream_id,
                organisation.establish(
                    name=row.name, kind=row.kind, parent_code=row.parent, parent=await self.unit(row.parent, row.effective_from),
                    effective_from=row.effective_from, decision_number=row.decision_number,
                ),
                organisation,
            )
        except DomainError as error:
            self.domain_problem(line, error, "code")
            return
        self.organisations[code] = organisation
        if row.authority_decision_number or row.authority_decision_date or row.authority_effective_from:
            if not (row.authority_decision_number and row.authority_decision_date):
                self.problem(line, "authority_decision_number", "Ủy quyền kết nạp cần số và ngày quyết định")
            else:
                try:
                    self.record(
                        organisation.stream_id,
                        organisation.grant_admission_authority(
                            decision_number=row.authority_decision_number, decision_date=row.authority_decision_date,
                            effective_from=row.authority_effective_from or row.authority_decision_date,
                            granted_by=row.parent,
                        ),
                        organisation,
                    )
                except DomainError as error:
                    self.domain_problem(line, error, "authority_decision_number")
        self.counts["organisations"] += 1

    # --- members ------------------------------------------------------------------------------------

    async def add_members(self, rows: list[tuple[int, MemberRow]]) -> None:
        async def join(person: Person, row: MemberRow) -> list[Event]:
            return person.join(
                full_name=row.full_name, organisation=row.organisation,
                unit=await self.unit(row.organisation, row.effective_from), kind=row.kind, status=row.status,
                effective_from=row.effective_from, admitted_on=row.admitted_on, official_since=row.official_since,
                how="import",
            )

        await self._add_persons(rows, join, "members")

    async def add_paper_admissions(self, rows: list[tuple[int, PaperAdmissionRow]]) -> None:
        async def join(person: Person, row: PaperAdmissionRow) -> list[Event]:
            return person.take_over_paper_admission(
                row, unit=await self.unit(row.organisation, row.effective_from),
                above=(await self.chain(row.organisation, row.decision_date))[1:],
            )

        await self._add_persons(rows, join, "paper_admissions")

    async def _add_persons(self, rows: list[tuple[int, Any]], join: Callable[[Person, Any], Awaitable[list[Event]]], count: str) -> None:
        """Each row puts one person on a cell's roster (one row a person in the file)."""
        ids = list({row.citizen_id for _, row in rows})
        known = {
            r["citizen_id"]
            for r in await self.view.conn.fetch(
                f"SELECT citizen_id FROM {self.view.s}.persons WHERE citizen_id = ANY($1::text[])", ids
            )
        }
        for line, row in rows:
            if row.citizen_id in self.members:
                first_line, first = self.members[row.citizen_id]
                same = " (cùng họ tên sau khi chuẩn hóa Unicode)" if first.full_name == row.full_name else ""
                self.problem(line, "citizen_id", f"Số CCCD trùng với dòng {first_line}{same}")
                continue
            self.members[row.citizen_id] = (line, row)
            if row.citizen_id in known:
                person = await load_person(self.store, row.citizen_id)
                self.loaded_versions[person.stream_id] = person.version
            else:
                person = Person(row.citizen_id)
            try:
                self.record(person.stream_id, await join(person, row), person)
            except errors.AlreadyMember:
                self.problem(line, "citizen_id", "Người này đã là đảng viên trong sổ đăng ký")
                continue
            except errors.UnknownOrganisation as error:
                self.problem(line, "organisation", error.message)
                continue
            except DomainError as error:
                self.domain_problem(line, error, str(error.details.get("field", "effective_from")))
                continue
            self.persons[row.citizen_id] = person
            self.counts[count] += 1

    # --- committees ---------------------------------------------------------------------------------

    async def add_committees(self, rows: list[tuple[int, CommitteeRow]]) -> None:
        for line, row in rows:
            on = row.effective_from
            if await self.unit(row.organisation, on) is None:
                self.problem(line, "organisation", f"Tổ chức {row.organisation} không tồn tại vào ngày {vn_date(on)}")
                continue
            organisation = (
                self.organisations[row.organisation]
                if row.organisation in self.org_rows
                else await self.existing_organisation(row.organisation)
            )
            found = await self.membership(row.citizen_id, on)
            member_kind = None
            if found is not None and row.organisation in await self.chain(found[0], on):
                member_kind = found[1]
            try:
                self.record(
                    organisation.stream_id,
                    organisation.appoint_committee_member(
                        citizen_id=row.citizen_id, role=row.role, member_kind=member_kind, effective_from=on
                    ),
                    organisation,
                )
            except DomainError as error:
                self.domain_problem(line, error, "citizen_id")
                continue
            self.counts["committees"] += 1

    # --- localities ---------------------------------------------------------------------------------

    async def add_localities(self, rows: list[tuple[int, LocalityRow]]) -> None:
        lines: dict[str, int] = {}
        known = {
            r["code"]
            for r in await self.view.conn.fetch(
                f"SELECT DISTINCT code FROM {self.view.s}.localities WHERE code = ANY($1::text[])", [r.code for _, r in rows]
            )
        }
        for line, row in rows:
            if row.code in lines:
                self.problem(line, "code", f"Mã địa bàn {row.code} trùng với dòng {lines[row.code]}")
                continue
            lines[row.code] = line
            if row.code in known:
                self.problem(line, "code", f"Mã địa bàn {row.code} đã có trong sổ đăng ký")
                continue
            on = row.effective_from
            locality = Locality(row.code)
            try:
                self.record(
                    locality.stream_id,
                    locality.register(
                        name=row.name, kind=row.kind, organisation=row.organisation,
                        unit=await self.unit(row.organisation, on), covered_by=row.covered_by,
                        cell=await self.unit(row.covered_by, on),
                        cell_within=row.covered_by is not None and row.organisation in await self.chain(row.covered_by, on),
                        effective_from=on,
                    ),
                    locality,
                )
            except errors.UnknownOrganisation as error:
                field_name = "organisation" if error.details.get("organisation") == row.organisation else "covered_by"
                self.problem(line, field_name, error.message)
                continue
            except DomainError as error:
                self.domain_problem(line, error, "covered_by")
                continue
            self.localities[row.code] = locality
            self.counts["localities"] += 1


DOSSIERS_ELSEWHERE = (
    "Hồ sơ đang làm trên giấy được tiếp nhận bằng lệnh `ketnap registry import` (qua các dịch vụ hồ sơ, "
    "thẩm tra, biểu quyết), không qua trang nhập này"
)


def _validated(records: list[Record], *, dossiers_taken_over: bool = False) -> tuple[dict[str, list[tuple[int, Any]]], list[Problem]]:
    rows: dict[str, list[tuple[int, Any]]] = {kind: [] for kind in RECORDS}
    problems: list[Problem] = []
    for record in records:
        if record.record in TAKEN_OVER_ELSEWHERE:
            if not dossiers_taken_over:
                problems.append(Problem(record.line, "record", DOSSIERS_ELSEWHERE))
            continue
        try:
            rows[record.record].append((record.line, RECORDS[record.record].model_validate(record.fields)))
        except pydantic.ValidationError as error:
            for e in error.errors(include_url=False, include_input=False):
                problems.append(Problem(record.line, ".".join(str(p) for p in e["loc"]), reason_of(e)))
    return rows, problems


async def import_file(
    pool: asyncpg.Pool,
    path: Path,
    *,
    schema: str = "registry",
    actor: str = "import",
    dry_run: bool = False,
    progress: Progress | None = None,
    dossiers_taken_over: bool = False,
) -> ImportResult:
    """Check every row of `path`; if all are good (and not `dry_run`), record them in one transaction.
    `dossiers_taken_over`: the caller takes over the file's dossiers in progress itself, after these
    rows (`ketnap.services.gateway.paper_dossiers`); otherwise a dossier row is a problem of that row."""
    return await import_bytes(
        pool, path.read_bytes(), path.name, schema=schema, actor=actor, dry_run=dry_run, progress=progress,
        dossiers_taken_over=dossiers_taken_over,
    )


async def import_bytes(
    pool: asyncpg.Pool,
    raw: bytes,
    name: str,
    *,
    schema: str = "registry",
    actor: str = "import",
    dry_run: bool = False,
    progress: Progress | None = None,
    within: str | None = None,
    dossiers_taken_over: bool = False,
) -> ImportResult:
    """`import_file` of a file's bytes. `within`: every row must be about that unit or one below it
    (a person imports only into their own subtree); a row outside is a problem of that row."""
    say = progress or (lambda _message: None)
    records, problems = records_of(raw, name)
    say(f"Đã đọc {len(records)} dòng dữ liệu.")
    rows, field_problems = _validated(records, dossiers_taken_over=dossiers_taken_over)
    problems += field_problems
    store = EventStore(pool, schema)
    await RegistryModel.of(schema).catch_up(pool, store)
    async with pool.acquire() as conn:
        plan = _Plan(RegistryView(conn, schema), store)
        rows = await plan.codes_as_stored(rows)
        await plan.add_organisations(rows["organisation"])
        say(f"Đã kiểm tra {len(rows['organisation'])} tổ chức.")
        await plan.add_members(rows["member"])
        say(f"Đã kiểm tra {len(rows['member'])} đảng viên.")
        await plan.add_paper_admissions(rows["paper_admission"])
        await plan.add_committees(rows["committee"])
        await plan.add_localities(rows["locality"])
        if within is not None:
            await plan.check_within(within, rows)
    result = ImportResult(problems=sorted(problems + plan.problems), counts=plan.counts)
    result.events = sum(len(events) for events in plan.pending.values())
    if not result.ok or dry_run:
        log.info("import checked", problems=len(result.problems), events=result.events, dry_run=dry_run)
        return result
    digest = hashlib.sha256(raw).hexdigest()[:32]
    metadata = EventMetadata(actor=actor, organisation=_root(plan))
    streams = list(plan.pending.items())
    say(f"Ghi {result.events} sự kiện vào {len(streams)} luồng (một giao dịch)...")
    step = max(1, len(streams) // 10)
    try:
        async with pool.acquire() as conn, conn.transaction():
            for done, (stream_id, events) in enumerate(streams, start=1):
                ids = idempotent_event_ids(schema, "import", f"{digest}:{stream_id}", len(events))
                await store.append(
                    stream_id,
                    plan.loaded_versions.get(stream_id, 0),
                    [event.to_new_event(event_id) for event, event_id in zip(events, ids, strict=True)],
                    metadata,
                    connection=conn,
                )
                if done % step == 0 or done == len(streams):
                    say(f"  {done}/{len(streams)} luồng")
    except ConcurrencyConflict as error:
        result.problems.append(
            Problem(0, "", f"Sổ đăng ký vừa thay đổi trong lúc nhập ({error.stream_id}); không ghi gì, hãy nhập lại.")
        )
        return result
    result.written = True
    log.info("import written", events=result.events, streams=len(streams))
    return result


def _root(plan: _Plan) -> str | None:
    roots = [code for code, (_, row) in plan.org_rows.items() if row.parent not in plan.org_rows]
    return roots[0] if len(roots) == 1 else None


