"""Localities (địa bàn: thôn, tổ dân phố) and the cell that covers each, to find white zones (vùng
trắng: a locality with no cell, or whose cell has no member)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from ketnap.platform.commands import InvalidInput
from ketnap.services.registry import errors
from ketnap.services.registry.events import Event, LocalityCoverageChanged, LocalityRegistered, locality_stream
from ketnap.services.registry.organisation import UnitView


@dataclass
class Locality:
    code: str
    version: int = 0
    organisation: str = ""
    covered_by: str | None = None
    registered_on: date | None = None
    last_change: date | None = None

    @property
    def stream_id(self) -> str:
        return locality_stream(self.code)

    @classmethod
    def from_history(cls, code: str, events: Iterable[Event]) -> "Locality":
        locality = cls(code)
        for event in events:
            locality.apply(event)
        return locality

    def apply(self, event: Event) -> None:
        self.version += 1
        match event:
            case LocalityRegistered():
                self.organisation, self.covered_by = event.organisation, event.covered_by
                self.registered_on = self.last_change = event.effective_from
            case LocalityCoverageChanged():
                self.covered_by, self.last_change = event.covered_by, event.effective_from

    @staticmethod
    def _check_cell(code: str | None, cell: UnitView | None, within: bool, organisation: str, on: date) -> None:
        if code is None:
            return
        if cell is None:
            raise errors.UnknownOrganisation(code, on, role="Chi bộ phụ trách")
        if not cell.kind.holds_members:
            raise InvalidInput(f"Địa bàn do một chi bộ phụ trách; {code} là {cell.kind.label}.", organisation=code)
        if not within:
            raise InvalidInput(f"Chi bộ {code} không thuộc {organisation} vào ngày đó.", organisation=organisation)

    def register(
        self,
        *,
        name: str,
        kind: str,
        organisation: str,
        unit: UnitView | None,
        covered_by: str | None,
        cell: UnitView | None,
        cell_within: bool,
        effective_from: date,
    ) -> list[Event]:
        """`cell_within`: the covering cell belongs to `organisation`'s subtree on the date."""
        if self.version:
            raise errors.LocalityAlreadyExists(self.code)
        if unit is None:
            raise errors.UnknownOrganisation(organisation, effective_from, role="Tổ chức quản lý địa bàn")
        self._check_cell(covered_by, cell, cell_within, organisation, effective_from)
        return [
            LocalityRegistered(
                code=self.code, name=name, kind=kind, organisation=organisation, covered_by=covered_by,
                effective_from=effective_from,
            )
        ]

    def change_coverage(
        self, *, covered_by: str | None, cell: UnitView | None, cell_within: bool, organisation: str, effective_from: date
    ) -> list[Event]:
        """`organisation`: the unit whose territory holds the locality on the date (after merges)."""
        if not self.version:
            raise errors.LocalityNotFound(self.code)
        assert self.last_change is not None
        if effective_from < self.last_change:
            raise errors.EffectiveDateTooEarly(effective_from, self.last_change)
        if covered_by == self.covered_by:
            raise errors.NothingToChange("địa bàn vẫn do cùng chi bộ phụ trách")
        self._check_cell(covered_by, cell, cell_within, organisation, effective_from)
        return [
            LocalityCoverageChanged(
                code=self.code, covered_by=covered_by, previous_covered_by=self.covered_by, effective_from=effective_from
            )
        ]
