"""What the voting rules know of the registry: a roster as of a date, a committee, the tree above a cell.

Plain values, filled by `registry_client.py` from the registry's replies, so the rules and the
aggregate stay pure and are tested without any I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ketnap.domain.organisation import OrganisationKind


class Membership(StrEnum):
    OFFICIAL = "official"
    """Đảng viên chính thức: may vote, counts in the denominator."""
    PROBATIONARY = "probationary"
    """Đảng viên dự bị: never a voter (PROBATIONARY_NO_VOTE)."""


class MemberStatus(StrEnum):
    ACTIVE = "active"
    TEMPORARILY_TRANSFERRED_OUT = "temporarily_transferred_out"
    """Chuyển sinh hoạt tạm thời đi nơi khác: not in the denominator."""
    EXEMPTED = "exempted"
    """Miễn sinh hoạt: in the denominator only when present at the meeting."""
    SUSPENDED = "suspended"
    """Đình chỉ sinh hoạt: not in the denominator, may not vote."""


@dataclass(frozen=True, slots=True)
class RosterMember:
    """One party member of a cell on the meeting date (danh sách đảng viên của chi bộ)."""

    citizen_id: str
    membership: Membership
    status: MemberStatus


@dataclass(frozen=True, slots=True)
class Organisation:
    """One unit of the tree as it was on a date."""

    code: str
    kind: OrganisationKind
    parent: str | None


@dataclass(frozen=True, slots=True)
class Competence:
    """The organisation with admission authority over a cell on a date (cấp có thẩm quyền)."""

    organisation: str
    kind: OrganisationKind

    @property
    def is_grassroots(self) -> bool:
        """An authorised grassroots committee (đảng ủy cơ sở được ủy quyền): it decides by a vote of
        at least 2/3 of all its committee members."""
        return self.kind in (OrganisationKind.GRASSROOTS_COMMITTEE, OrganisationKind.GRASSROOTS_CELL)


@dataclass(frozen=True)
class Chain:
    """A cell and its ancestors on a date, nearest first: `units[0]` is the cell itself."""

    units: Sequence[Organisation]

    @property
    def cell(self) -> Organisation:
        return self.units[0]

    def __contains__(self, code: object) -> bool:
        return any(unit.code == code for unit in self.units)

    @property
    def partial_committee(self) -> str | None:
        """Đảng bộ bộ phận directly above the cell, which appraises (thẩm định) the cell's
        resolution before the grassroots committee votes; None when there is none."""
        if len(self.units) > 1 and self.units[1].kind is OrganisationKind.PARTIAL_COMMITTEE:
            return self.units[1].code
        return None

    @property
    def grassroots_committee(self) -> str | None:
        """The grassroots committee (đảng ủy cơ sở) whose committee votes on the cell's proposal;
        None for a grassroots cell (chi bộ cơ sở), which is itself the grassroots level."""
        if self.cell.kind is OrganisationKind.GRASSROOTS_CELL:
            return None
        for unit in self.units[1:]:
            if unit.kind is OrganisationKind.GRASSROOTS_COMMITTEE:
                return unit.code
        return None

    def committee_above(self, code: str) -> str | None:
        """The committee directly above `code` (cấp ủy cấp trên trực tiếp): the nearest ancestor
        that is neither a cell nor a partial committee, which has no standing committee."""
        found = False
        for unit in self.units:
            if found and unit.kind not in (
                OrganisationKind.CELL,
                OrganisationKind.GRASSROOTS_CELL,
                OrganisationKind.PARTIAL_COMMITTEE,
            ):
                return unit.code
            found = found or unit.code == code
        return None

    def venue_of(self, code: str) -> str | None:
        """The unit whose establishment tells in which deployment the acts of `code` on this cell
        are recorded; None when `code` is not on the chain.

        A body works in the deployment that established the unit just below it on the chain
        (the cell itself: where it was established). A lower deployment's root is established by
        the level above but works with its subtree below; a committee above the root (a former
        district committee) works above. So each act has exactly one log that may hold it, and
        two deployments never both record one step of the same case."""
        for index, unit in enumerate(self.units):
            if unit.code == code:
                return self.units[max(index - 1, 0)].code
        return None

    def is_committee_above_cell(self, code: str) -> bool:
        """Whether `code` is one of the committees above the cell (not the cell, not a partial
        committee)."""
        return any(
            unit.code == code and unit.kind not in (OrganisationKind.CELL, OrganisationKind.GRASSROOTS_CELL, OrganisationKind.PARTIAL_COMMITTEE)
            for unit in self.units[1:]
        )
