"""What a form offers that depends on the person and the dossier (`Field.options`): lists of
choices, the value first shown, and a vote's voters with its denominator. Each is asked of the
services as that person, so a list never offers what their scope refuses.

Providers are called with the dossier the form is shown on (None when opening one) and what was
typed (None for a blank form): a vote's roster is the one of the meeting's date, with the
members marked absent left out of the denominator as the registry counts it (CELL_2_3).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import Any

from ketnap.domain.rules.rule_sets import rule_set_on
from ketnap.domain.rules.thresholds import votes_required
from ketnap.platform.commands import Forbidden
from ketnap.services.dossiers.values import Relation
from ketnap.services.gateway.web.acts.preparation import CHILDREN, history_values
from ketnap.services.gateway.web.forms import Act, Offer
from ketnap.services.gateway.web.page import Refusal, SignedIn, Web
from ketnap.services.gateway.web.vietnamese import RELATIONS, SUBJECT_STATES, NotADate, shown_date, subject_title, typed_date

CELL_KINDS = ("cell", "grassroots_cell")
GRASSROOTS_KINDS = ("grassroots_committee", "grassroots_cell")
PARTIAL_KINDS = ("partial_committee",)
DATE_FIELDS = ("meeting_on", "decision_date")
"""The field whose date a vote's roster is taken on."""

Dossier = Mapping[str, Any] | None
Typed = Mapping[str, str] | None
Provider = Callable[[Web, SignedIn, Dossier, Typed], Awaitable[Offer]]


async def cells(web: Web, who: SignedIn) -> dict[str, str]:
    """The cells (chi bộ) of the person's subtree today: "Chi bộ Thôn 1 (CB-01)"."""
    subtree = await web.ask(who, "registry", "subtree", code=who.principal.organisation, on=web.today().isoformat())
    return {o["code"]: f"{o['name']} ({o['code']})" for o in subtree.get("organisations", []) if o.get("kind") in CELL_KINDS}


async def _cells(web: Web, who: SignedIn, dossier: Dossier, typed: Typed) -> Offer:
    """The cells to choose from; a person with one cell (its secretary) opening a dossier has it
    chosen, rather than "Chọn…" refused with "Hãy chọn chi bộ". A dossier's transfer is never
    preselected: its one cell would be the dossier's own."""
    choices = await cells(web, who)
    only = next(iter(choices)) if len(choices) == 1 and dossier is None else ""
    return Offer(choices, preselect=only)


async def _committees(web: Web, who: SignedIn, dossier: Dossier, typed: Typed) -> Offer:
    """The committees of the person's subtree (a decision's author), the competent one first shown."""
    subtree = await web.ask(who, "registry", "subtree", code=who.principal.organisation, on=web.today().isoformat())
    choices = {o["code"]: f"{o['name']} ({o['code']})" for o in subtree.get("organisations", []) if o.get("kind") not in CELL_KINDS}
    competent = await _competent(web, who, dossier)
    return Offer(choices, preselect=str((competent or {}).get("organisation") or ""))


async def _competent(web: Web, who: SignedIn, dossier: Dossier) -> dict[str, Any] | None:
    if dossier is None:
        return None
    try:
        return await web.ask(who, "registry", "competent_authority", organisation=dossier["cell"], on=web.today().isoformat())
    except Refusal:
        return None


async def _above(web: Web, who: SignedIn, dossier: Dossier, kinds: tuple[str, ...]) -> str:
    """The nearest unit of one of `kinds` at or above the dossier's cell today ("" when none)."""
    if dossier is None:
        return ""
    try:
        unit = await web.ask(who, "registry", "organisation", code=dossier["cell"], on=web.today().isoformat())
    except Refusal:
        return ""
    if unit.get("kind") in kinds:
        return str(unit["code"])
    return next((str(a["code"]) for a in unit.get("ancestors") or [] if a.get("kind") in kinds), "")


async def _grassroots_of(web: Web, who: SignedIn, dossier: Dossier) -> str:
    """The grassroots committee above the dossier's cell (or the cell itself when it is a grassroots cell)."""
    return await _above(web, who, dossier, GRASSROOTS_KINDS)


async def _grassroots(web: Web, who: SignedIn, dossier: Dossier, typed: Typed) -> Offer:
    return Offer(preselect=await _grassroots_of(web, who, dossier))


async def _partial(web: Web, who: SignedIn, dossier: Dossier, typed: Typed) -> Offer:
    """The partial committee (đảng ủy bộ phận) the dossier's cell sits under: the one that appraises."""
    return Offer(preselect=await _above(web, who, dossier, PARTIAL_KINDS))


async def _case_subjects(web: Web, who: SignedIn, dossier: Dossier) -> list[Mapping[str, Any]]:
    if dossier is None:
        return []
    case = dossier.get("verification_case")  # already read for the page (each read is recorded)
    if case is None:
        try:
            case = await web.ask(who, "verification", "case", dossier_id=dossier["dossier_id"])
        except Refusal:
            return []
    return list(case.get("subjects") or [])


async def _subjects(web: Web, who: SignedIn, dossier: Dossier, typed: Typed) -> Offer:
    """The verification subjects of the dossier, with their state and special template."""
    return Offer({s["subject_id"]: subject_title(s) for s in await _case_subjects(web, who, dossier)})


def _declared(relation: Relation, nth: int) -> Provider:
    """The relatives of one relation the history declared, for a correction to keep (their
    `subject_id`): those of the history as it stands (`dossiers.personal_history`), with the
    state of their verification when they are subjects (their own entry, not a special
    template's), and any other subject of that relation verification knows; the `nth` first shown."""

    async def provide(web: Web, who: SignedIn, dossier: Dossier, typed: Typed) -> Offer:
        dossier = await with_declaration(web, who, dossier)
        subjects = {s["subject_id"]: s for s in await _case_subjects(web, who, dossier)
                    if s.get("relation") == relation.value and ":" not in s["subject_id"]}
        history = (dossier or {}).get("personal_history") or {}
        declared = [str(r["subject_id"]) for r in history.get("relatives") or [] if r.get("relation") == relation.value]
        ids = [*declared, *(i for i in subjects if i not in declared)]
        words = RELATIONS[relation.value]

        def state(subject_id: str) -> str:
            subject = subjects.get(subject_id)
            return SUBJECT_STATES.get(subject.get("state"), "") if subject else "không phải đối tượng thẩm tra"

        choices = {i: f"{words} đã khai{f', người thứ {n + 1}' if len(ids) > 1 else ''} ({state(i)})" for n, i in enumerate(ids)}
        return Offer(choices, preselect=ids[nth] if nth < len(ids) else "")

    return provide


def _meeting_day(web: Web, typed: Typed) -> date:
    for name in DATE_FIELDS:
        try:
            return typed_date(str((typed or {}).get(name) or ""))
        except NotADate:
            continue
    return web.today()


def _absent(typed: Typed, field: str) -> list[str]:
    prefix = field + "."
    return [name.removeprefix(prefix) for name, value in (typed or {}).items() if name.startswith(prefix) and value == "absent"]


async def _roster(web: Web, who: SignedIn, dossier: Dossier, typed: Typed) -> Offer:
    """The cell's members who may vote on the meeting's day, and the denominator of its 2/3
    (the registry's count: official members less those transferred out, suspended, or exempted
    and absent)."""
    if dossier is None:
        return Offer()
    on = _meeting_day(web, typed)
    roster = await web.ask(who, "registry", "roster", organisation=dossier["cell"], on=on.isoformat(), absent=_absent(typed, "ballots"))
    names = await _names(web, who, dossier["cell"], on)
    voters = {
        m["citizen_id"]: _voter(m["citizen_id"], m.get("status"), names)
        for m in roster.get("members") or []
        if m.get("kind") == "official" and m.get("status") in ("active", "exempted")
    }
    denominator = int(roster.get("denominator") or 0)
    required = votes_required(denominator, rule_set_on(on).adoption_share)
    note = (
        f"Chi bộ có {roster.get('official_count', 0)} đảng viên chính thức ngày {shown_date(on)}; "
        f"mẫu số biểu quyết là {denominator} (không tính đảng viên chuyển sinh hoạt tạm thời, bị đình chỉ, "
        f"miễn sinh hoạt vắng mặt). Cần ít nhất {required} đảng viên tán thành (2/3, quy định CELL_2_3), "
        "không phải 2/3 số có mặt."
    )
    return Offer(voters, note=note, denominator=denominator, required=required, rule="CELL_2_3")


async def _committee_votes(web: Web, who: SignedIn, organisation: str, on: date) -> Offer:
    committee = await web.ask(who, "registry", "committee", organisation=organisation, on=on.isoformat())
    members = [str(m) for m in committee.get("members") or []]
    names = await _names(web, who, organisation, on)
    required = votes_required(len(members), rule_set_on(on).adoption_share)
    note = (
        f"Cấp ủy {organisation} có {len(members)} cấp ủy viên ngày {shown_date(on)}; cần ít nhất {required} cấp ủy viên "
        "tán thành (2/3 tổng số cấp ủy viên, quy định COMMITTEE_2_3)."
    )
    return Offer({m: _voter(m, None, names) for m in members}, note=note, denominator=len(members), required=required, rule="COMMITTEE_2_3")


async def _committee(web: Web, who: SignedIn, dossier: Dossier, typed: Typed) -> Offer:
    """The grassroots committee's members: its resolution's voters (COMMITTEE_2_3)."""
    organisation = await _grassroots_of(web, who, dossier)
    if not organisation:
        return Offer()
    return await _committee_votes(web, who, organisation, _meeting_day(web, typed))


async def _deciders(web: Web, who: SignedIn, dossier: Dossier, typed: Typed) -> Offer:
    """An authorised grassroots committee decides by a vote of all its members; a standing
    committee above records its decision without ballots (nothing to list)."""
    competent = await _competent(web, who, dossier)
    if not competent or competent.get("kind") not in GRASSROOTS_KINDS:
        return Offer()
    return await _committee_votes(web, who, str(competent["organisation"]), _meeting_day(web, typed))


async def _names(web: Web, who: SignedIn, organisation: str, on: date) -> dict[str, str]:
    """The names of a unit's members and committee members on a day, by citizen id: the registry's
    `members` (a personal read, recorded as such). None when the person's scope does not reach the
    unit: the voters are then listed by citizen id alone."""
    try:
        answer = await web.ask(who, "registry", "members", organisation=organisation, on=on.isoformat())
    except (Refusal, Forbidden):  # refused by the service, or before it by the role or the scope
        return {}
    people = [*(answer.get("members") or []), *(answer.get("committee") or [])]
    return {str(p["citizen_id"]): str(p["full_name"]) for p in people if p.get("full_name")}


def _voter(citizen_id: str, status: Any, names: Mapping[str, str]) -> str:
    """A voter as the secretary reads the roster: the name, then the citizen id (two members may share a name)."""
    return f"{names.get(citizen_id) or 'Đảng viên'}, CCCD {citizen_id}" + (" (miễn sinh hoạt)" if status == "exempted" else "")


PROVIDERS: dict[str, Provider] = {
    "cells": _cells,
    "committees": _committees,
    "grassroots": _grassroots,
    "partial": _partial,
    "subjects": _subjects,
    **{f"declared:{relation.value}:{nth}": _declared(relation, nth) for relation in Relation for nth in range(CHILDREN)},
    "roster": _roster,
    "committee": _committee,
    "deciders": _deciders,
}


async def offers_for(web: Web, who: SignedIn, act: Act, dossier: Dossier = None, typed: Typed = None) -> dict[str, Offer]:
    if any((f.options or "").startswith("declared:") for f, _ in act.fields()):
        dossier = await with_declaration(web, who, dossier)  # read (and recorded) once for all the relatives' groups
    return {f.name: await PROVIDERS[f.options](web, who, dossier, typed) for f, _ in act.fields() if f.options}


async def with_declaration(web: Web, who: SignedIn, dossier: Dossier) -> Dossier:
    """The dossier with its verification case and its history as it stands, each read once (each
    a personal read, recorded): what a correction of the history offers and starts from."""
    if dossier is None or ("verification_case" in dossier and "personal_history" in dossier):
        return dossier
    found = dict(dossier)
    if found.get("verification_case") is None:
        found["verification_case"] = await _or_empty(web.ask(who, "verification", "case", dossier_id=dossier["dossier_id"]))
    if "personal_history" not in found:
        found["personal_history"] = await _or_empty(web.ask(who, "dossiers", "personal_history", dossier_id=dossier["dossier_id"]))
    return found


async def _or_empty(answer: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    try:
        return await answer
    except (Refusal, Forbidden):  # not declared yet, or not for this role: nothing to offer or start from
        return {}


async def _personal_history(web: Web, who: SignedIn, dossier: Mapping[str, Any]) -> dict[str, str]:
    """The history as it stands: what a correction starts from."""
    return history_values((await with_declaration(web, who, dossier) or {}).get("personal_history") or {})


PREFILLS: dict[str, Callable[[Web, SignedIn, Mapping[str, Any]], Awaitable[dict[str, str]]]] = {
    "personal_history": _personal_history,
}


async def prefill_for(web: Web, who: SignedIn, act: Act, dossier: Dossier) -> dict[str, str]:
    """What the act's blank form starts from (`Act.prefill`), for this person and dossier."""
    if act.prefill is None or dossier is None:
        return {}
    return await PREFILLS[act.prefill](web, who, dossier)
