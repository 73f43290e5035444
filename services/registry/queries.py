"""The registry's queries (NATS `registry.query.<name>`): what the other services ask it, as of a date.

Every answer first brings the read model up to the log's head, so it reflects every command
already acknowledged. A unit may be named in any case (ORG_CODE_UNIQUE): a query that finds no unit
as typed is asked again with the codes as stored (`spelling.answering_any_case`), and answers with
the stored code wherever it names the unit back. Shapes (the `result` of the platform's reply; dates ISO `YYYY-MM-DD`):

- `membership` {citizen_id, organisation, on} -> {member, kind ("official"|"probationary"|null),
  status ("active"|"transferred_out"|"exempted"|"suspended"|null), since, unit, temporary}.
  A member of a cell is a member of every unit above it; `unit` names the cell. A member
  temporarily transferred out is `transferred_out` at home and `active`, `temporary: true` where
  hosted. Unknown organisation on that date: `not_found`.
- `tenure` {citizen_id, organisation, on} -> {months, since}: whole months of the member's
  current stay in that unit up to `on` (a merge or split of the unit does not restart it); 0 when
  not in the unit on `on`.
- `roster` {organisation, on, absent?: [citizen_id]} -> {members: [{citizen_id, kind, status}],
  temporary_members, official_count, probationary_count, official_count_for_vote, denominator,
  excluded}. CELL_2_3: `official_count_for_vote` = official members less those transferred out
  and suspended; `denominator` further leaves out the exempted members listed as `absent`.
- `committee` {organisation, on} -> {members: [citizen_id], count, roles}.
- `competent_authority` {organisation, on} -> {organisation, name, kind, authorised_by:
  {decision_number, decision_date, effective_from} | null}: the unit itself if it may decide
  admissions, else its nearest ancestor that may.
- `organisation` {code, on} -> {code, name, kind, parent, may_decide_admission, authorised_by,
  valid_from, valid_to, ancestors: [{code, name, kind}] nearest first, ended, version}.
- `unit_kind` {code, on} -> {code, kind}: what a unit is on a date, and nothing else (its code as
  stored); unknown on that date: `not_found`, as `organisation` answers. The dossiers service asks it
  (a cell on the day a dossier is opened and still today, again in the tree's turn): `organisation`
  also reads its chain, its ending and its version, twice the statements (issue 21).
- `authority` {code, on} -> {code, chain: [codes] nearest first, ended: {on, how, successor} | null}:
  who has authority over the unit on `on` (the gateway asks with today): its chain that day; for a
  unit that has ended, the chain of its successor, or of the unit that was above it (dissolved);
  for a unit not started yet, its chain on its first day. No such unit ever: `not_found` with
  `details.close` (codes that look alike) and `details.known` (how many units the registry holds).
- `tree_position` {} -> {positions: {log: position}}: per log the read model folds in (its own, and
  the registry logs kept from linked deployments), the position of the latest event that changed
  the tree (services/registry/treeposition.py). While it has not moved, every `authority` answer
  given for a day is still the answer for that day: the gateway keeps them and asks only this.
- `established_here` {codes} -> {codes}: those of the given units that were established in this
  deployment's own registry log; the others came through a registry log kept from a linked
  deployment (or are unknown). Where a body's acts are recorded follows from it (docs/voting.md).
- `history` {code} -> {code, changes: [{on, change, name, kind, parent, successor, decision_number}]}: a
  unit's life oldest first (`established`, `renamed`, `reclassified`, `moved`, `authority_granted`,
  `authority_revoked`, then `merged`, `split` or `dissolved`), from its dated versions.
- `members` {organisation, on} -> {members: [{citizen_id, full_name, kind, status, since, admitted_on,
  official_since, temporary, home}], committee: [{citizen_id, full_name, role, since}]}: a unit's own
  roster and its committee with names (personal: each read recorded).
- `classes` {organisation, on?} -> {classes: [{class_id, kind, organiser, title, start_date, end_date,
  attendees: [{citizen_id, full_name, certificate_number, certificate_issued_on}]}]}: the classes
  organised by the unit or a unit below it (on `on`, or today's tree), newest first (personal).
- `subtree` {code, on}, `member` {citizen_id, on}, `localities` {organisation, on} (white zones),
  `quotas` {organisation, on?}, `certificates` {citizen_id}: see docs/registry.md.
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ketnap.domain.calendar import age_in_months
from ketnap.domain.values import folded
from ketnap.platform.commands import NotFound
from ketnap.platform.eventstore import EventStore
from ketnap.platform.paging import MAX_PAGE, paged
from ketnap.platform.service import ServiceContext
from ketnap.platform.vietnamese import vn_date
from ketnap.services.registry import errors
from ketnap.services.registry.events import organisation_stream
from ketnap.services.registry.projections import RegistryModel
from ketnap.services.registry.readmodel import RegistryView, current_view
from ketnap.services.registry.repository import established_here, load_person
from ketnap.services.registry.treeposition import TREE_POSITIONS
from ketnap.services.registry.values import CitizenId, Day, MemberKind, MemberStatus, OrganisationCode


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MembershipQuery(Query):
    citizen_id: CitizenId
    organisation: OrganisationCode
    on: Day


class TenureQuery(MembershipQuery):
    pass


class RosterQuery(Query):
    organisation: OrganisationCode
    on: Day
    absent: list[CitizenId] = Field(default_factory=list, max_length=5000)


class OrganisationOnDate(Query):
    organisation: OrganisationCode
    on: Day


class CodeOnDate(Query):
    code: OrganisationCode
    on: Day


class CodesQuery(Query):
    codes: list[OrganisationCode] = Field(min_length=1, max_length=64)


class MemberQuery(Query):
    citizen_id: CitizenId
    on: Day


class QuotasQuery(Query):
    organisation: OrganisationCode
    on: Day | None = None


class CertificatesQuery(Query):
    citizen_id: CitizenId


class HistoryQuery(Query):
    """Lịch sử một tổ chức: thành lập, đổi tên, đổi loại, chuyển trực thuộc, giao hoặc thu hồi thẩm quyền kết nạp, sáp nhập, chia tách, giải thể."""

    code: OrganisationCode


class MembersQuery(Query):
    """Danh sách đảng viên của một tổ chức vào một ngày, có họ tên (mỗi lần đọc được ghi nhật ký)."""

    organisation: OrganisationCode
    on: Day
    page: int | None = Field(default=None, ge=1, le=MAX_PAGE, description="trang của danh sách (mặc định: cả danh sách)")
    page_size: int = Field(default=50, ge=1, le=500, description="số người một trang")


class ClassesQuery(Query):
    """Các lớp bồi dưỡng do tổ chức hoặc tổ chức cấp dưới mở, với học viên và giấy chứng nhận."""

    organisation: OrganisationCode
    on: Day


def iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


async def _unit(view: RegistryView, code: str, on: date) -> dict[str, Any]:
    row = await view.unit(code, on)
    if row is None:
        raise errors.OrganisationNotFound(code, on)
    return row


def _authorised_by(row: dict[str, Any]) -> dict[str, Any] | None:
    if row["authority_decision_number"] is None:
        return None
    return {
        "decision_number": row["authority_decision_number"],
        "decision_date": iso(row["authority_decision_date"]),
        "effective_from": iso(row["authority_effective_from"]),
    }


NOT_A_MEMBER = {"member": False, "kind": None, "status": None, "since": None, "unit": None, "temporary": False}


async def membership(ctx: ServiceContext, q: MembershipQuery) -> dict[str, Any]:
    """Is this person an official or probationary member of this unit (or of a cell below it) on this date?"""
    # The unit may be typed in any case: answered as stored (`organisation`), which is what an asker
    # records (every query is asked again with stored codes when a unit is not found: service.py).
    async with current_view(ctx) as view:
        code = (await _unit(view, q.organisation, q.on))["code"]
        row = await view.membership(q.citizen_id, q.on)
        if row is None:
            return {**NOT_A_MEMBER, "organisation": code}
        if code in await view.chain(row["organisation"], q.on):
            return {
                "member": True, "kind": row["kind"], "status": row["status"], "since": iso(row["unit_since"]),
                "unit": row["organisation"], "temporary": False, "organisation": code,
            }
        if row["host"] is not None and code in await view.chain(row["host"], q.on):
            return {
                "member": True, "kind": row["kind"], "status": MemberStatus.ACTIVE.value, "since": iso(row["host_since"]),
                "unit": row["host"], "temporary": True, "organisation": code,
            }
        return {**NOT_A_MEMBER, "organisation": code}


async def tenure(ctx: ServiceContext, q: TenureQuery) -> dict[str, Any]:
    """How many whole months has the member been in this unit, up to this date (INTRO_12M)?"""
    async with current_view(ctx) as view:
        await _unit(view, q.organisation, q.on)
        row = await view.membership(q.citizen_id, q.on)
        since = None
        if row is not None and row["organisation"] == q.organisation:
            since = row["unit_since"]
        elif row is not None and row["host"] == q.organisation:
            since = row["host_since"]
    return {"months": age_in_months(since, q.on) if since else 0, "since": iso(since)}


async def roster(ctx: ServiceContext, q: RosterQuery) -> dict[str, Any]:
    """A cell's members on a date, and the denominator of its 2/3 vote (CELL_2_3); for any unit, the
    totals of its subtree (members, official, probationary, by cell) for the statistics forms."""
    absent = set(q.absent)
    async with current_view(ctx) as view:
        await _unit(view, q.organisation, q.on)
        members = await view.members(q.organisation, q.on)
        hosted = await view.temporary_members(q.organisation, q.on)
        by_unit = await view.member_counts_by_unit([u["code"] for u in await view.subtree(q.organisation, q.on)], q.on)
    official = [m for m in members if m["kind"] == MemberKind.OFFICIAL.value]
    excluded = []
    for m in members:
        if m["kind"] != MemberKind.OFFICIAL.value:
            excluded.append({"citizen_id": m["citizen_id"], "reason": "probationary"})
        elif m["status"] in (MemberStatus.TRANSFERRED_OUT.value, MemberStatus.SUSPENDED.value):
            excluded.append({"citizen_id": m["citizen_id"], "reason": m["status"]})
        elif m["status"] == MemberStatus.EXEMPTED.value and m["citizen_id"] in absent:
            excluded.append({"citizen_id": m["citizen_id"], "reason": "exempted_absent"})
    for_vote = [m for m in official if m["status"] in (MemberStatus.ACTIVE.value, MemberStatus.EXEMPTED.value)]
    denominator = [m for m in for_vote if not (m["status"] == MemberStatus.EXEMPTED.value and m["citizen_id"] in absent)]
    return {
        "organisation": q.organisation,
        "on": q.on.isoformat(),
        "members": [{"citizen_id": m["citizen_id"], "kind": m["kind"], "status": m["status"]} for m in members],
        "temporary_members": [
            {"citizen_id": m["citizen_id"], "kind": m["kind"], "home": m["organisation"]} for m in hosted
        ],
        "official_count": len(official),
        "probationary_count": len(members) - len(official),
        "official_count_for_vote": len(for_vote),
        "denominator": len(denominator),
        "excluded": excluded,
        "subtree": {
            "members": sum(u["official"] + u["probationary"] for u in by_unit),
            "official": sum(u["official"] for u in by_unit),
            "probationary": sum(u["probationary"] for u in by_unit),
            "by_cell": [{"organisation": u["organisation"], "official": u["official"], "probationary": u["probationary"]} for u in by_unit],
        },
    }


async def committee(ctx: ServiceContext, q: OrganisationOnDate) -> dict[str, Any]:
    """The committee members (cấp ủy viên) of a unit on a date: the denominator of COMMITTEE_2_3."""
    async with current_view(ctx) as view:
        await _unit(view, q.organisation, q.on)
        seats = await view.committee(q.organisation, q.on)
    return {
        "organisation": q.organisation,
        "on": q.on.isoformat(),
        "members": [s["citizen_id"] for s in seats],
        "count": len(seats),
        "roles": {s["citizen_id"]: s["role"] for s in seats if s["role"]},
    }


async def competent_authority(ctx: ServiceContext, q: OrganisationOnDate) -> dict[str, Any]:
    """The unit that decides admissions for this one on a date (AUTHORITY): itself or its nearest ancestor."""
    async with current_view(ctx) as view:
        unit = await _unit(view, q.organisation, q.on)
        for row in [unit, *await view.ancestors(q.organisation, q.on)]:
            if row["may_decide_admission"]:
                return {
                    "organisation": row["code"], "name": row["name"], "kind": row["kind"],
                    "authorised_by": _authorised_by(row),
                }
    raise NotFound(f"Không có tổ chức nào có thẩm quyền kết nạp đối với {q.organisation} vào ngày {vn_date(q.on)}.")


async def organisation(ctx: ServiceContext, q: CodeOnDate) -> dict[str, Any]:
    """A unit as it was on a date, with its chain of ancestors."""
    # The version first: the view then shows at least that much, so a change in between makes an
    # officer acting on this answer meet a conflict instead of overwriting what they did not see.
    version = await ctx.store.stream_version(organisation_stream(q.code))
    async with current_view(ctx) as view:
        row = await _unit(view, q.code, q.on)
        ancestors = await view.ancestors(q.code, q.on)
        ending = await view.ending(q.code)
    return {
        "code": row["code"], "name": row["name"], "kind": row["kind"], "parent": row["parent"],
        "may_decide_admission": row["may_decide_admission"], "authorised_by": _authorised_by(row),
        "valid_from": iso(row["valid_from"]), "valid_to": iso(row["valid_to"]),
        "ancestors": [{"code": a["code"], "name": a["name"], "kind": a["kind"]} for a in ancestors],
        "ended": {"on": iso(ending["ended_on"]), "how": ending["how"], "successor": ending["successor"]} if ending else None,
        "version": version,
    }


async def unit_kind(ctx: ServiceContext, q: CodeOnDate) -> dict[str, Any]:
    """What a unit is on a date (its kind), and nothing else: see the module's doc."""
    async with current_view(ctx) as view:
        row = await _unit(view, q.code, q.on)
    return {"code": row["code"], "kind": row["kind"]}


async def authority(ctx: ServiceContext, q: CodeOnDate) -> dict[str, Any]:
    """Who has authority over a unit on a date (today, when the gateway asks): see the module's doc."""
    async with current_view(ctx) as view:
        chain = await view.authority(q.code, q.on)
        ending = await view.ending(q.code)
        known = await view.codes() if not chain else []
    if not chain:
        close = difflib.get_close_matches(q.code.upper(), known, n=3, cutoff=0.6)
        message = f"Không có tổ chức đảng {q.code}." + (f" Mã gần giống: {', '.join(close)}." if close else "")
        raise NotFound(message, organisation=q.code, close=close, known=len(known))
    ended = ending if ending and ending["ended_on"] <= q.on else None
    return {
        "code": q.code, "chain": chain,
        "ended": {"on": iso(ended["ended_on"]), "how": ended["how"], "successor": ended["successor"]} if ended else None,
    }


class NoFields(Query):
    pass


async def tree_position(ctx: ServiceContext, _: NoFields) -> dict[str, Any]:
    """Where each log the tree is built from last changed the tree: see the module's doc."""
    model = next((p for p in ctx.projections if isinstance(p, RegistryModel)), None) or RegistryModel.of(ctx.name)
    stores = [ctx.store if source == ctx.name else EventStore(ctx.pool, source) for source in model.sources]
    return {"positions": {store.schema: await TREE_POSITIONS.position(store) for store in stores}}


async def subtree(ctx: ServiceContext, q: CodeOnDate) -> dict[str, Any]:
    """A unit and every unit below it on a date (for reports over a subtree)."""
    async with current_view(ctx) as view:
        await _unit(view, q.code, q.on)
        rows = await view.subtree(q.code, q.on)
    return {
        "organisations": [
            {"code": r["code"], "name": r["name"], "kind": r["kind"], "parent": r["parent"], "depth": r["depth"],
             "may_decide_admission": r["may_decide_admission"]}
            for r in rows
        ]
    }


async def member(ctx: ServiceContext, q: MemberQuery) -> dict[str, Any]:
    """One person's membership on a date, wherever it is."""
    async with current_view(ctx) as view:
        person = await view.person(q.citizen_id)
        row = await view.membership(q.citizen_id, q.on)
        left_on = await view.left_on(q.citizen_id, q.on)
    if person is None:
        raise errors.NotAMember()
    # A membership that ended by a transfer to another deployment is not leaving the party (READMIT):
    # the person's own stream says how each membership here ended.
    transferred_out_on = None
    if left_on is not None and left_on in (await load_person(ctx.store, q.citizen_id)).transferred_out_on:
        left_on, transferred_out_on = None, left_on
    return {
        "citizen_id": q.citizen_id, "full_name": person["full_name"], "member": row is not None,
        "organisation": row["organisation"] if row else None, "kind": row["kind"] if row else None,
        "status": row["status"] if row else None, "since": iso(row["unit_since"]) if row else None,
        "host": row["host"] if row else None, "admitted_on": iso(person["admitted_on"]),
        "official_since": iso(person["official_since"]), "left_on": iso(left_on),
        "transferred_out_on": iso(transferred_out_on),
    }


async def localities(ctx: ServiceContext, q: OrganisationOnDate) -> dict[str, Any]:
    """Localities of a unit's territory on a date and which are white zones (no cell, or a cell with no member)."""
    async with current_view(ctx) as view:
        await _unit(view, q.organisation, q.on)
        codes = [r["code"] for r in await view.subtree(q.organisation, q.on)]
        found = await view.localities_of(codes, q.on)
        result = []
        for loc in found:
            members = await view.member_count_in([loc["covered_by"]], q.on) if loc["covered_by"] else 0
            result.append({
                "code": loc["code"], "name": loc["name"], "kind": loc["kind"], "organisation": loc["organisation"],
                "covered_by": loc["covered_by"], "members_in_cell": members, "white_zone": members == 0,
            })
    return {"localities": result, "white_zones": sum(1 for r in result if r["white_zone"])}


async def quotas(ctx: ServiceContext, q: QuotasQuery) -> dict[str, Any]:
    """The quotas given to a unit (as decided by `on`, or now), each with its history of changes."""
    async with current_view(ctx) as view:
        current = await view.quotas(q.organisation, q.on)
        items = []
        for row in current:
            history = [
                h for h in await view.quota_history(q.organisation, row["period"])
                if q.on is None or h["decision_date"] <= q.on
            ]
            items.append({
                "period": row["period"], "period_kind": row["period_kind"], "quantity": row["quantity"],
                "assigned_by": row["assigned_by"], "decision_date": iso(row["decision_date"]),
                "history": [
                    {"quantity": h["quantity"], "decision_date": iso(h["decision_date"]), "reason": h["reason"]}
                    for h in history
                ],
            })
    return {"organisation": q.organisation, "quotas": items}


async def certificates(ctx: ServiceContext, q: CertificatesQuery) -> dict[str, Any]:
    """Classes a person attended and the certificates issued (CLASS_VALID is checked by the dossiers)."""
    async with current_view(ctx) as view:
        rows = await view.certificates(q.citizen_id)
    return {
        "certificates": [
            {"class_id": r["class_id"], "kind": r["kind"], "organiser": r["organiser"], "end_date": iso(r["end_date"]),
             "number": r["certificate_number"], "issued_on": iso(r["certificate_issued_on"])}
            for r in rows
        ]
    }


def _changes(versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What changed from one dated version of a unit to the next."""
    found: list[dict[str, Any]] = []
    before: dict[str, Any] | None = None
    for row in versions:
        facts = {"on": iso(row["valid_from"]), "name": row["name"], "kind": row["kind"], "parent": row["parent"], "successor": None,
                 "decision_number": None}
        if before is None:
            found.append({**facts, "change": "established"})
        else:
            for column, change in (("name", "renamed"), ("kind", "reclassified"), ("parent", "moved")):
                if row[column] != before[column]:
                    found.append({**facts, "change": change})
            if row["may_decide_admission"] != before["may_decide_admission"]:
                granted = bool(row["may_decide_admission"])
                found.append({**facts, "change": "authority_granted" if granted else "authority_revoked",
                              "decision_number": row["authority_decision_number"] if granted else None})
        before = row
    return found


async def history(ctx: ServiceContext, q: HistoryQuery) -> dict[str, Any]:
    """A unit's life, oldest first, from its dated versions and how it ended."""
    async with current_view(ctx) as view:
        versions = await view.unit_versions(q.code)
        ending = await view.ending(q.code)
    if not versions:
        raise errors.OrganisationNotFound(q.code, None)
    changes = _changes(versions)
    if ending:
        last = versions[-1]
        changes.append({"on": iso(ending["ended_on"]), "change": ending["how"], "name": last["name"], "kind": last["kind"],
                        "parent": last["parent"], "successor": ending["successor"], "decision_number": ending["decision_number"]})
    return {"code": q.code, "changes": changes}


def _given_name_first(full_name: str | None) -> tuple[str, str]:
    words = folded(full_name or "").split()
    return (words[-1] if words else "", " ".join(words))


async def members(ctx: ServiceContext, q: MembersQuery) -> dict[str, Any]:
    """A unit's own roster on a date with each member's name and dates, those hosted for a while, and
    its committee members by name (cấp ủy viên may sit in cells below)."""
    async with current_view(ctx) as view:
        await _unit(view, q.organisation, q.on)
        rows = [(m, False) for m in await view.members(q.organisation, q.on)]
        rows += [(m, True) for m in await view.temporary_members(q.organisation, q.on)]
        seats = await view.committee(q.organisation, q.on)
        committee = [
            {"citizen_id": seat["citizen_id"], "full_name": (await view.person(seat["citizen_id"]) or {}).get("full_name"),
             "role": seat["role"], "since": iso(seat["valid_from"])}
            for seat in seats
        ]
        people = await view.persons([m["citizen_id"] for m, _ in rows])  # one read for a roster of thousands
        found = []
        for m, temporary in rows:
            person = people.get(m["citizen_id"], {})
            found.append({
                "citizen_id": m["citizen_id"], "full_name": person.get("full_name"), "kind": m["kind"],
                "status": MemberStatus.ACTIVE.value if temporary else m["status"],
                "since": iso(m["host_since"] if temporary else m["unit_since"]), "admitted_on": iso(person.get("admitted_on")),
                "official_since": iso(person.get("official_since")), "temporary": temporary,
                "home": m["organisation"] if temporary else None, "host": None if temporary else m["host"],
            })
    # Official members first, then probationary, then those hosted; by given name as rosters are kept.
    found.sort(key=lambda m: (m["temporary"], m["kind"] != MemberKind.OFFICIAL.value, _given_name_first(m["full_name"]), m["citizen_id"]))
    own = [m for m in found if not m["temporary"]]
    official = sum(m["kind"] == MemberKind.OFFICIAL.value for m in own)
    counts = {"official": official, "probationary": len(own) - official, "hosted": len(found) - len(own)}
    answer = {"organisation": q.organisation, "on": q.on.isoformat(), "members": found, "committee": committee, "counts": counts}
    if q.page is None:
        return answer
    # A page of the roster in its order (own members, then those hosted): a cell of thousands is read a page at a time.
    first = (q.page - 1) * q.page_size
    return {**answer, "members": found[first:first + q.page_size], **paged(len(found), q.page, q.page_size)}


async def classes(ctx: ServiceContext, q: ClassesQuery) -> dict[str, Any]:
    """The classes organised in a unit's subtree (its tree on `on`), each with its attendees."""
    async with current_view(ctx) as view:
        await _unit(view, q.organisation, q.on)
        organisers = [r["code"] for r in await view.subtree(q.organisation, q.on)]
        held = await view.classes_of(organisers)
        attendees = await view.attendees([c["class_id"] for c in held])
    by_class: dict[str, list[dict[str, Any]]] = {}
    for a in attendees:
        by_class.setdefault(a["class_id"], []).append({
            "citizen_id": a["citizen_id"], "full_name": a["full_name"], "certificate_number": a["certificate_number"],
            "certificate_issued_on": iso(a["certificate_issued_on"]),
        })
    return {"organisation": q.organisation, "classes": [
        {"class_id": c["class_id"], "kind": c["kind"], "organiser": c["organiser"], "title": c["title"],
         "start_date": iso(c["start_date"]), "end_date": iso(c["end_date"]), "attendees": by_class.get(c["class_id"], [])}
        for c in held
    ]}


async def established(ctx: ServiceContext, q: CodesQuery) -> dict[str, Any]:
    """Which of these units were established in this deployment's own registry log."""
    here = await established_here(ctx.store, q.codes)
    return {"codes": [code for code in dict.fromkeys(q.codes) if code in here]}


QUERIES: list[tuple[str, type[Query], Callable[[ServiceContext, Any], Awaitable[dict[str, Any]]]]] = [
    ("membership", MembershipQuery, membership),
    ("tenure", TenureQuery, tenure),
    ("roster", RosterQuery, roster),
    ("committee", OrganisationOnDate, committee),
    ("competent_authority", OrganisationOnDate, competent_authority),
    ("organisation", CodeOnDate, organisation),
    ("unit_kind", CodeOnDate, unit_kind),
    ("authority", CodeOnDate, authority),
    ("tree_position", NoFields, tree_position),
    ("subtree", CodeOnDate, subtree),
    ("member", MemberQuery, member),
    ("localities", OrganisationOnDate, localities),
    ("quotas", QuotasQuery, quotas),
    ("certificates", CertificatesQuery, certificates),
    ("established_here", CodesQuery, established),
    ("history", HistoryQuery, history),
    ("members", MembersQuery, members),
    ("classes", ClassesQuery, classes),
]
