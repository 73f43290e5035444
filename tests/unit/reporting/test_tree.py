"""The tree at every date: a merged commune's cells count for the old commune before the merge and
for the new one after."""

from __future__ import annotations

from datetime import date

from ketnap.services.reporting import intervals
from ketnap.services.reporting.organisation_tree import SplitPart, Tree, Unit, split_heir

START, MERGE = date(2020, 1, 1), date(2025, 7, 1)


def unit(code: str, parent: str | None, kind: str = "cell", start: date = START, end: date | None = None, name: str | None = None) -> Unit:
    return Unit(code, name or code, kind, parent, start, end)


def merged_district() -> Tree:
    """Commune N merges into commune S on 01/07/2025; its cells N1, N2 continue under S."""
    units = [
        unit("P", None, "province"),
        unit("H", "P", "upper_committee"),
        unit("N", "H", "grassroots_committee", end=MERGE, name="Ba Cụm Bắc"),
        unit("S", "H", "grassroots_committee", end=MERGE, name="Ba Cụm Nam"),
        unit("S", "H", "grassroots_committee", start=MERGE, name="Ba Cụm"),
        unit("N1", "N", end=MERGE), unit("N1", "S", start=MERGE),
        unit("N2", "N", end=MERGE), unit("N2", "S", start=MERGE),
        unit("S1", "S"),
    ]
    return Tree(units)


def test_the_chain_above_a_cell_depends_on_the_day() -> None:
    tree = merged_district()
    assert tree.chain_on("N1", date(2025, 6, 30)) == ["N1", "N", "H", "P"]
    assert tree.chain_on("N1", MERGE) == ["N1", "S", "H", "P"]
    assert tree.chain_on("N1", date(2019, 12, 31)) == []


def test_an_admission_is_attributed_to_the_unit_under_the_ancestor_on_its_date() -> None:
    tree = merged_district()
    assert tree.attribute("H", "N1", date(2025, 3, 10)) == "N"
    assert tree.attribute("H", "N1", date(2025, 8, 15)) == "S"
    assert tree.attribute("N", "N1", date(2025, 8, 15)) is None
    assert tree.attribute("S", "N1", date(2025, 8, 15)) == "N1"
    assert tree.attribute("N1", "N1", date(2025, 8, 15)) == "N1"
    assert tree.attribute("S", "S1", date(2025, 3, 10)) == "S1"


def test_children_during_a_period_include_those_that_left_or_arrived() -> None:
    tree = merged_district()
    assert tree.children_during("H", date(2025, 1, 1), date(2025, 12, 31)) == ["N", "S"]
    assert tree.children_during("S", date(2025, 1, 1), date(2025, 12, 31)) == ["N1", "N2", "S1"]
    assert tree.children_during("S", date(2024, 1, 1), date(2024, 12, 31)) == ["S1"]
    assert tree.children_on("H", date(2025, 11, 20)) == ["S"]
    assert tree.subtree_on("H", date(2025, 11, 20)) == ["H", "N1", "N2", "S", "S1"]
    assert tree.subtree_on("N", date(2025, 11, 20)) == []


def test_names_as_they_were() -> None:
    tree = merged_district()
    assert tree.describe("S", date(2025, 6, 30))["name"] == "Ba Cụm Nam"
    assert tree.describe("S", date(2025, 7, 1))["name"] == "Ba Cụm"
    # A unit that no longer exists is described as it last was.
    assert tree.describe("N", date(2025, 11, 20)) == {"code": "N", "name": "Ba Cụm Bắc", "kind": "grassroots_committee"}
    assert tree.describe("X", date(2025, 11, 20)) == {"code": "X", "name": None, "kind": None}
    assert tree.established_on("N1") == START and not tree.knows("X")


def test_a_cycle_in_bad_data_ends_the_chain() -> None:
    tree = Tree([unit("A", "B"), unit("B", "A")])
    assert tree.chain_on("A", START) == ["A", "B"]


def test_a_split_gives_each_item_to_the_part_listing_it_else_to_the_first() -> None:
    parts = [SplitPart(code="X1", children=["C1"]), SplitPart(code="X2", children=["C2"], localities=["T2"])]
    assert [split_heir(parts, c, "children") for c in ("C1", "C2", "C3")] == ["X1", "X2", "X1"]
    assert split_heir(parts, "T2", "localities") == "X2"


def test_the_projection_rows_of_a_rehomed_child_are_the_tree_of_the_merge() -> None:
    rows = intervals.open_from([], START, {"name": "N1", "kind": "cell", "parent": "N"})
    rows = intervals.set_from(rows, MERGE, {"parent": "S"}, where=lambda r: r["parent"] == "N")
    tree = Tree(Unit(code="N1", **r) for r in rows)
    assert tree.unit_on("N1", date(2025, 6, 30)).parent == "N"  # type: ignore[union-attr]
    assert tree.unit_on("N1", MERGE).parent == "S"  # type: ignore[union-attr]
