"""Who may do what, enforced: ketnap.services.gateway.access's table, for one authenticated user and one request.

A request passes when the user's role is one the table allows, every organisation it names (the
table's `scope_fields`) is the user's organisation or lies below it in the tree today (or, for an
act about a past day, in the tree of that day: a province records a dissolved district's quota
for an earlier term, which today's tree no longer holds), and every
dossier it names (`dossier_id`, `dossier_ids`) sits, now, in such an organisation. The tree and the
dossiers' cells are asked of the registry and the dossiers service (`Directory`), never cached:
a move in the tree or a transfer of a dossier changes who may act at once.

The pure parts (`covers`, `refuse_role`, `named_*`, `with_own_organisation`) are unit-tested;
`authorise` only strings them together with the directory's answers.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from ketnap.platform.commands import Forbidden, NotFound
from ketnap.services.gateway.access import ROLE_TITLES, Access, Role

OPERATOR = "operator"
"""The actor of `ketnap users ...`: the person running the deployment, over NATS."""
WHOLE_DEPLOYMENT = "*"
"""The operator's scope: every organisation of the deployment. Only reachable over NATS (whose
accounts decide who may send there); over HTTP the scope is always the user's organisation."""

OPENS_DOSSIER: frozenset[tuple[str, str]] = frozenset({("dossiers", "open_dossier")})
"""Commands whose dossier may not exist yet: its cell is then checked through the `cell` field."""


@dataclass(frozen=True)
class Principal:
    """The authenticated user a request acts for."""

    login: str
    role: Role
    organisation: str


ACT_DATE_FIELDS: tuple[str, ...] = (
    "effective_from", "decision_date", "on", "meeting_on", "opened_on", "start_date", "rated_on", "corrected_on",
    "decided_on", "agreed_on", "certified_on", "sent_on", "appraised_on",
)
"""Where a command says which day it is about, in the order looked at."""


class Directory(Protocol):
    async def chain(self, code: str, on: date | None = None) -> list[str]:
        """The unit and its ancestors on `on` (today by default), nearest first; NotFound when
        there is no such unit then."""

    async def dossier_cell(self, dossier_id: str) -> str | None:
        """The cell the dossier belongs to now; None when there is no such dossier."""


def covers(scope: str, chain: Sequence[str]) -> bool:
    """Does a user of organisation `scope` act over the unit whose chain (itself, then its ancestors) is `chain`?"""
    return scope == WHOLE_DEPLOYMENT or scope in chain


def refuse_role(access: Access, role: Role, what: str) -> Forbidden | None:
    """The refusal when `role` may not send `what` (`<service>.<name>`), else None."""
    if role in access.roles:
        return None
    allowed = ", ".join(ROLE_TITLES[r] for r in access.roles)
    return Forbidden(f"Vai trò {ROLE_TITLES[role]} không được thực hiện {what}; chỉ: {allowed}.", role=role.value, allowed=[r.value for r in access.roles])


def named_organisations(access: Access, values: Mapping[str, Any]) -> list[str]:
    """The organisations a request names in its scope fields (a null field names none)."""
    return [str(values[f]) for f in access.scope_fields if values.get(f) is not None]


def act_dates(values: Mapping[str, Any]) -> list[date]:
    """The days a request is about, when it names some: the day of an act, the moment of a
    report (`as_of`), or the first and last day of a report's year or congress term."""
    days: list[date] = []
    for name in (*ACT_DATE_FIELDS, "as_of"):
        value = values.get(name)
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value[:10])
            except ValueError:
                continue
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            days.append(value)
            break
    if isinstance(values.get("year"), int):
        days += [date(values["year"], 1, 1), date(values["year"], 12, 31)]
    term = values.get("term")
    if isinstance(term, str) and re.fullmatch(r"\d{4}-\d{4}", term):
        first, last = (int(y) for y in term.split("-"))
        days += [date(first, 1, 1), date(last, 12, 31)]
    return days


def named_dossiers(values: Mapping[str, Any]) -> list[str]:
    ids = [values["dossier_id"]] if values.get("dossier_id") else []
    return [str(i) for i in [*ids, *(values.get("dossier_ids") or [])]]


def with_own_organisation(access: Access, body: Mapping[str, Any], organisation: str, optional: Collection[str]) -> dict[str, Any]:
    """A read that names neither a dossier nor an organisation is about the reader's own
    organisation (never, by leaving the field out, about the whole deployment)."""
    filled = dict(body)
    if named_dossiers(filled):
        return filled
    for name in access.scope_fields:
        if name in optional and filled.get(name) is None:
            filled[name] = organisation
    return filled


def out_of_scope(principal: Principal, what: str) -> Forbidden:
    return Forbidden(
        f"{what} không thuộc phạm vi quản lý của {principal.organisation}; chưa có gì được ghi.",
        organisation=principal.organisation,
    )


async def authorise(
    principal: Principal, access: Access, values: Mapping[str, Any], directory: Directory, *, opens_dossier: bool = False
) -> dict[str, str]:
    """Refuse (Forbidden, NotFound) a request outside the user's subtree; returns each named
    dossier's cell. The role is checked before, with `refuse_role`."""
    days = act_dates(values)
    for code in named_organisations(access, values):
        if not await _covered(principal.organisation, code, days, directory):
            raise out_of_scope(principal, f"Tổ chức {code}")
    cells: dict[str, str] = {}
    for dossier_id in named_dossiers(values):
        cell = await directory.dossier_cell(dossier_id)
        if cell is None:
            if opens_dossier:
                continue
            raise NotFound(f"Không có hồ sơ {dossier_id}.", dossier_id=dossier_id)
        if not covers(principal.organisation, await directory.chain(cell)):
            raise out_of_scope(principal, f"Hồ sơ {dossier_id}")
        cells[dossier_id] = cell
    return cells


async def _covered(scope: str, code: str, days: Sequence[date], directory: Directory) -> bool:
    """Under `scope` today, or else on one of the days the request is about."""
    refusal: NotFound | None = None
    found = False
    for on in (None, *days):
        try:
            chain = await directory.chain(code, on)
        except NotFound as error:
            refusal = refusal or error
            continue
        found = True
        if covers(scope, chain):
            return True
    if not found and refusal is not None:
        raise refusal  # no such unit on any of those days: a mistake to name, not a unit out of reach
    return False
