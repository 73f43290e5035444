"""The kinds of unit in the party's tree (domain.md §1), shared by every service that reasons about
them: the registry keeps the tree, voting decides who is competent, reporting counts by unit. One
definition, so a kind added or renamed is seen the same way everywhere."""

from __future__ import annotations

from enum import StrEnum


class OrganisationKind(StrEnum):
    """The kinds of unit in the tree; levels are data, not fixed."""

    CELL = "cell"
    """Chi bộ trực thuộc."""
    GRASSROOTS_CELL = "grassroots_cell"
    """Chi bộ cơ sở."""
    PARTIAL_COMMITTEE = "partial_committee"
    """Đảng bộ bộ phận."""
    GRASSROOTS_COMMITTEE = "grassroots_committee"
    """Đảng bộ cơ sở."""
    UPPER_COMMITTEE = "upper_committee"
    """Cấp ủy cấp trên trực tiếp của cơ sở (huyện ủy trước 7/2025, đảng ủy xã/phường từ 7/2025, đảng ủy khối)."""
    PROVINCE = "province"
    """Tỉnh ủy, thành ủy."""
    CENTRAL = "central"
    """Trung ương."""

    @property
    def label(self) -> str:
        return KIND_LABELS[self]

    @property
    def holds_members(self) -> bool:
        """Party members belong to cells (chi bộ), never directly to a committee."""
        return self in MEMBER_HOLDING_KINDS

    @property
    def decides_admission_by_itself(self) -> bool:
        """The standing committee of an upper committee (and above) decides admissions (domain.md §1);
        a grassroots committee only when authorised by decision."""
        return self in (OrganisationKind.UPPER_COMMITTEE, OrganisationKind.PROVINCE, OrganisationKind.CENTRAL)

    @property
    def level(self) -> str:
        """Units of one level can be merged or split into one another."""
        return "cell" if self.holds_members else self.value


MEMBER_HOLDING_KINDS = frozenset({OrganisationKind.CELL, OrganisationKind.GRASSROOTS_CELL})
"""Kinds whose units are chi bộ: party members, dossiers and admissions belong to them."""

KIND_LABELS = {
    OrganisationKind.CELL: "chi bộ",
    OrganisationKind.GRASSROOTS_CELL: "chi bộ cơ sở",
    OrganisationKind.PARTIAL_COMMITTEE: "đảng bộ bộ phận",
    OrganisationKind.GRASSROOTS_COMMITTEE: "đảng bộ cơ sở",
    OrganisationKind.UPPER_COMMITTEE: "cấp ủy cấp trên cơ sở",
    OrganisationKind.PROVINCE: "tỉnh ủy, thành ủy",
    OrganisationKind.CENTRAL: "trung ương",
}
"""The kind's name in a sentence (lower case: `KIND_LABELS[kind].capitalize()` starts one)."""
