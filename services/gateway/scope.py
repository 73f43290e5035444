"""Who may do what, enforced: ketnap.services.gateway.access's table, for one authenticated user and one request.

Scope is judged on today's tree, whatever day the request is about (docs/gateway.md, "Scope on
today's tree"). A request passes when the user's role is one the table allows, the user's own
organisation still stands today, every organisation it names (the table's `scope_fields`) is under
the user's authority today (`Directory.authority`: the unit's chain today, or for a unit that has
ended, the chain of what took its place), and every dossier it names (`dossier_id`, `dossier_ids`)
sits, now, in such an organisation. The past is read and corrected through today's authority,
never reached by dating an act in the past. The tree and the dossiers' cells are asked of the
registry and the dossiers service (`Directory`), as they are now: a move in the tree or a transfer
of a dossier changes who may act at once (the registry's answers kept by directory.py are used only
while the registry says its tree has not moved since).

The pure parts (`covers`, `refuse_role`, `named_*`, `with_own_organisation`) are unit-tested;
`authorise` only strings them together with the directory's answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol, TypeVar

from ketnap.platform.commands import Forbidden, NotFound
from ketnap.platform.vietnamese import vn_date
from ketnap.services.gateway.access import ROLE_TITLES, Access, Role

OPERATOR = "operator"
"""The actor of `ketnap users ...`: the person running the deployment, over NATS."""
WHOLE_DEPLOYMENT = "*"
"""The operator's scope: every organisation of the deployment. Only reachable over NATS (whose
accounts decide who may send there); over HTTP the scope is always the user's organisation."""

OPENS_DOSSIER: frozenset[tuple[str, str]] = frozenset({("dossiers", "open_dossier"), ("dossiers", "take_over_dossier")})
"""Commands whose dossier may not exist yet: its cell is then checked through the `cell` field."""


@dataclass(frozen=True)
class Principal:
    """The authenticated user a request acts for."""

    login: str
    role: Role
    organisation: str


@dataclass(frozen=True)
class Standing:
    """Who has authority over a unit today (registry.query.authority)."""

    chain: tuple[str, ...]
    """The unit (or what took its place) and its ancestors today, nearest first."""
    ended_on: date | None = None
    """The day the unit itself ended (merged, split, dissolved), when it has."""
    code: str = ""
    """The unit's code as the registry stores it, whatever case it was asked in (ORG_CODE_UNIQUE)."""


class Directory(Protocol):
    async def authority(self, code: str) -> Standing:
        """Who has authority over `code` today; NotFound when there never was such a unit."""

    async def dossier_cell(self, dossier_id: str) -> str | None:
        """The cell the dossier belongs to now; None when there is no such dossier."""

    def opened(self, dossier_id: str, cell: str) -> None:
        """A dossier found not there by a check has been opened in `cell` by the command it passed."""


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


def stored_spellings(access: Access, values: Mapping[str, Any], standings: Mapping[str, Standing]) -> dict[str, str]:
    """Scope field -> the stored code, for each field whose unit was named in another case."""
    spelled = {}
    for name in access.scope_fields:
        typed = values.get(name)
        standing = standings.get(str(typed)) if typed is not None else None
        if standing is not None and standing.code and standing.code != typed:
            spelled[name] = standing.code
    return spelled


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
    principal: Principal, access: Access, values: Mapping[str, Any], directory: Directory, *, opens_dossier: bool = False,
    spelled: dict[str, str] | None = None,
) -> dict[str, str]:
    """The one scope rule: refuse (Forbidden, NotFound) a request outside what the user holds
    today; returns each named dossier's cell. The role is checked before, with `refuse_role`.
    `spelled` receives, for each scope field naming a unit in another case than the registry
    stores it (`cb-a1` for `CB-A1`), the stored code: the caller sends that instead.

    The questions that do not depend on each other go to the registry and the dossiers service
    at once, and each unit is asked about once (a cell secretary's own cell is both their
    organisation and their dossier's cell): each answer is a round trip to another process
    (issue 21). The refusal is still the first one in the order below, whichever answer came first."""
    asked = _Asked(directory)
    organisations, dossiers = named_organisations(access, values), named_dossiers(values)
    ended, *answers = await asyncio.gather(
        refuse_ended_organisation(principal, asked),
        *(asked.authority(code) for code in organisations),
        *(directory.dossier_cell(dossier_id) for dossier_id in dossiers),
        return_exceptions=True,
    )
    standings, found_cells = answers[: len(organisations)], answers[len(organisations):]
    _raise_if_failed(ended)
    for code, standing in zip(organisations, standings, strict=True):
        if not covers(principal.organisation, _raise_if_failed(standing).chain):
            raise out_of_scope(principal, f"Tổ chức {code}")
    if spelled is not None:
        spelled.update(stored_spellings(access, values, dict(zip(organisations, standings, strict=True))))
    placed = [cell for cell in found_cells if isinstance(cell, str)]
    answered = await asyncio.gather(*(asked.authority(cell) for cell in placed), return_exceptions=True)
    cell_standings = dict(zip(placed, answered, strict=True))
    cells: dict[str, str] = {}
    for dossier_id, cell in zip(dossiers, found_cells, strict=True):
        if _raise_if_failed(cell) is None:
            if opens_dossier:
                continue
            raise NotFound(f"Không có hồ sơ {dossier_id}.", dossier_id=dossier_id)
        if not covers(principal.organisation, _raise_if_failed(cell_standings[cell]).chain):
            raise out_of_scope(principal, f"Hồ sơ {dossier_id}")
        cells[dossier_id] = cell
    return cells


_T = TypeVar("_T")


class _Asked:
    """One request's questions about units: each unit asked once, however many times it is named."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self.asked: dict[str, asyncio.Future[Standing]] = {}

    def authority(self, code: str) -> asyncio.Future[Standing]:
        if code not in self.asked:
            self.asked[code] = asyncio.ensure_future(self.directory.authority(code))
        return self.asked[code]


def _raise_if_failed(answer: _T | BaseException) -> _T:
    if isinstance(answer, BaseException):
        raise answer
    return answer


async def refuse_ended_organisation(principal: Principal, directory: Directory | _Asked) -> None:
    """A user whose own organisation has ended (merged, split, dissolved) acts and reads no more:
    their work passed to what took its place, whose own users act there. A user's organisation the
    registry does not know yet is let through (the first administrator of an empty deployment
    founds it); the rest of the check then finds nothing it covers."""
    if principal.organisation == WHOLE_DEPLOYMENT:
        return
    try:
        standing = await directory.authority(principal.organisation)
    except NotFound:
        return
    if standing.ended_on is not None:
        raise Forbidden(
            f"Tổ chức {principal.organisation} của người dùng đã kết thúc hoạt động từ ngày {vn_date(standing.ended_on)}: "
            "tài khoản không còn được ghi hay xem dữ liệu; chưa có gì được ghi.",
            organisation=principal.organisation, ended_on=standing.ended_on.isoformat(),
        )
