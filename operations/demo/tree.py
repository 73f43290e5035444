"""The demo organisation's tree over time, as the plan writes it: who sat under whom on each day,
which unit decides admissions for a cell, and where each role sits.

The plan needs it to date its acts (the district is gone from 01/07/2025), the driver to act as the
right person (a commune's standing committee, a grassroots committee's staff), and `expected` to
attribute every figure to the units above a cell on the day that matters, as reports do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from ketnap.services.gateway.access import Role

CELLS = frozenset({"cell", "grassroots_cell"})
"""Kinds that hold members and dossiers (chi bộ)."""
DECIDES_BY_ITSELF = frozenset({"upper_committee", "province", "central"})
"""Kinds whose standing committee decides admissions without an authorisation (domain.md §1)."""
GRASSROOTS_LEVEL = frozenset({"grassroots_committee", "grassroots_cell"})


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    kind: str
    parent: str | None
    established_on: date
    decision_number: str | None = None


@dataclass(frozen=True)
class Move:
    code: str
    parent: str
    on: date
    decision_number: str | None = None


@dataclass(frozen=True)
class Dissolution:
    code: str
    on: date
    decision_number: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Authorisation:
    """Ủy quyền kết nạp: a grassroots committee decides admissions from `effective_from`."""

    code: str
    granted_by: str
    decision_number: str
    decision_date: date
    effective_from: date


class OrganisationTree:
    """The tree on every day: parents change by moves, units end by dissolution."""

    def __init__(
        self,
        units: Iterable[Unit],
        moves: Iterable[Move] = (),
        dissolutions: Iterable[Dissolution] = (),
        authorisations: Iterable[Authorisation] = (),
    ) -> None:
        self.units = {u.code: u for u in units}
        self._moves: dict[str, list[Move]] = {}
        for move in sorted(moves, key=lambda m: m.on):
            self._moves.setdefault(move.code, []).append(move)
        self._ends = {d.code: d.on for d in dissolutions}
        self._authorised = {a.code: a for a in authorisations}

    # --- one unit -----------------------------------------------------------------------------------

    def exists_on(self, code: str, on: date) -> bool:
        unit = self.units.get(code)
        if unit is None or on < unit.established_on:
            return False
        end = self._ends.get(code)
        return end is None or on < end

    def ended_on(self, code: str) -> date | None:
        return self._ends.get(code)

    def parent_on(self, code: str, on: date) -> str | None:
        parent = self.units[code].parent
        for move in self._moves.get(code, ()):
            if move.on <= on:
                parent = move.parent
        return parent

    def kind(self, code: str) -> str:
        return self.units[code].kind

    def name(self, code: str) -> str:
        return self.units[code].name

    def authorised_on(self, code: str, on: date) -> bool:
        grant = self._authorised.get(code)
        return grant is not None and grant.effective_from <= on

    # --- the tree -----------------------------------------------------------------------------------

    def chain_on(self, code: str, on: date) -> list[str]:
        """`code` and the units above it on `on`, nearest first; empty if it did not exist then."""
        chain: list[str] = []
        current: str | None = code
        while current is not None and self.exists_on(current, on) and current not in chain:
            chain.append(current)
            current = self.parent_on(current, on)
        return chain

    def attribute(self, ancestor: str, code: str, on: date) -> str | None:
        """The unit directly under `ancestor` that `code` sat in on `on` (`ancestor` itself when
        `code` is it); None when `code` was not under `ancestor` that day."""
        chain = self.chain_on(code, on)
        if ancestor not in chain:
            return None
        index = chain.index(ancestor)
        return chain[index - 1] if index else ancestor

    def children_on(self, code: str, on: date) -> list[str]:
        return sorted(c for c in self.units if self.exists_on(c, on) and self.parent_on(c, on) == code)

    def children_during(self, code: str, start: date, end: date) -> list[str]:
        """Units directly under `code` on some day of [start, end]."""
        return sorted(
            child
            for child in self.units
            if any(
                parent == code and since <= end and (until is None or until > start)
                for since, until, parent in self.parent_intervals(child)
            )
        )

    def parent_intervals(self, code: str) -> list[tuple[date, date | None, str | None]]:
        """(from, to exclusive or None, parent) for each stretch of the unit's life."""
        unit = self.units[code]
        points = [(unit.established_on, unit.parent), *((m.on, m.parent) for m in self._moves.get(code, ()))]
        end = self._ends.get(code)
        stretches = []
        for index, (since, parent) in enumerate(points):
            until = points[index + 1][0] if index + 1 < len(points) else end
            if end is not None and (until is None or until > end):
                until = end
            if until is None or until > since:
                stretches.append((since, until, parent))
        return stretches

    def subtree_on(self, code: str, on: date) -> list[str]:
        """`code` and every unit below it on `on`: `code` first, then by code."""
        if not self.exists_on(code, on):
            return []
        below = sorted(c for c in self.units if c != code and code in self.chain_on(c, on))
        return [code, *below]

    # --- who decides, who acts ----------------------------------------------------------------------

    def competent_on(self, cell: str, on: date) -> str:
        """The unit whose standing committee decides admissions for `cell` on `on` (AUTHORITY)."""
        for code in self.chain_on(cell, on):
            if self.kind(code) in DECIDES_BY_ITSELF or self.authorised_on(code, on):
                return code
        raise LookupError(f"no competent authority above {cell} on {on}")

    def grassroots_on(self, code: str, on: date) -> str:
        """The grassroots organisation (đảng bộ cơ sở, or the grassroots cell itself) of a unit,
        else the nearest committee above (a commune's own staff)."""
        chain = self.chain_on(code, on)
        for unit in chain:
            if self.kind(unit) in GRASSROOTS_LEVEL:
                return unit
        for unit in chain:
            if self.kind(unit) in DECIDES_BY_ITSELF:
                return unit
        raise LookupError(f"{code} has no grassroots organisation on {on}")

    def grassroots_committee_on(self, cell: str, on: date) -> str | None:
        """The grassroots committee whose committee votes on the cell's proposal; None for a grassroots cell."""
        if self.kind(cell) == "grassroots_cell":
            return None
        return next((u for u in self.chain_on(cell, on)[1:] if self.kind(u) == "grassroots_committee"), None)

    def partial_committee_on(self, cell: str, on: date) -> str | None:
        chain = self.chain_on(cell, on)
        if len(chain) > 1 and self.kind(chain[1]) == "partial_committee":
            return chain[1]
        return None

    def committee_above(self, code: str, on: date) -> str | None:
        """Cấp ủy cấp trên trực tiếp: the nearest unit above that is neither a cell nor a partial committee."""
        for unit in self.chain_on(code, on)[1:]:
            if self.kind(unit) not in (*CELLS, "partial_committee"):
                return unit
        return None

    def upper_on(self, code: str, on: date) -> str:
        """The nearest upper committee (commune, or the former district) above a unit."""
        for unit in self.chain_on(code, on):
            if self.kind(unit) in DECIDES_BY_ITSELF:
                return unit
        raise LookupError(f"{code} is under no upper committee on {on}")

    def holder(self, seat: str, today: date) -> str:
        """Who acts today for a unit that sat then: itself, or, when it has ended since (the
        district after the reform), the unit that was above it, which took over its work.
        Authority is judged on today's tree (docs/gateway.md): a past act is recorded, and the
        past read, by whoever holds the unit now."""
        while (ended := self.ended_on(seat)) is not None and ended <= today:
            above = self.parent_on(seat, ended - timedelta(days=1))
            if above is None:
                break
            seat = above
        return seat

    def seat(self, role: Role, unit: str, on: date) -> str:
        """The organisation a person of `role` sits in to act on `unit` on `on`: the cell's own
        secretary; the grassroots organisation's staff; the board and the standing committee of
        the committee that decides admissions there."""
        if role is Role.CELL_SECRETARY:
            return unit
        if role is Role.GRASSROOTS_STAFF:
            return self.grassroots_on(unit, on)
        if role in (Role.ORGANISATION_BOARD, Role.STANDING_COMMITTEE):
            if self.kind(unit) in CELLS:
                return self.competent_on(unit, on)
            return self.upper_on(unit, on)
        return self.chain_on(unit, on)[-1]  # inspectors and administrators: the top of the tree
