"""Validity intervals: changes from a day on, ends, and one canonical form."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from ketnap.services.reporting import intervals

D = date


def row(start: date, end: date | None, **values: object) -> dict:
    return {**values, "valid_from": start, "valid_to": end}


def test_a_change_from_a_day_splits_the_row_spanning_it() -> None:
    rows = [row(D(2020, 1, 1), None, parent="A")]
    assert intervals.set_from(rows, D(2025, 7, 1), {"parent": "B"}) == [
        row(D(2020, 1, 1), D(2025, 7, 1), parent="A"),
        row(D(2025, 7, 1), None, parent="B"),
    ]


def test_a_change_reaches_every_later_row_it_selects() -> None:
    rows = [row(D(2020, 1, 1), D(2023, 1, 1), parent="A", name="x"), row(D(2023, 1, 1), None, parent="A", name="y")]
    changed = intervals.set_from(rows, D(2021, 1, 1), {"parent": "B"}, where=lambda r: r["parent"] == "A")
    assert changed == [
        row(D(2020, 1, 1), D(2021, 1, 1), parent="A", name="x"),
        row(D(2021, 1, 1), D(2023, 1, 1), parent="B", name="x"),
        row(D(2023, 1, 1), None, parent="B", name="y"),
    ]


def test_adjacent_rows_saying_the_same_are_merged() -> None:
    rows = [row(D(2020, 1, 1), D(2021, 1, 1), parent="A"), row(D(2021, 1, 1), None, parent="B")]
    assert intervals.set_from(rows, D(2021, 1, 1), {"parent": "A"}) == [row(D(2020, 1, 1), None, parent="A")]


def test_an_end_closes_the_history_and_a_reopening_replaces_what_followed() -> None:
    rows = [row(D(2020, 1, 1), None, organisation="CB-1")]
    closed = intervals.close_at(rows, D(2024, 5, 1))
    assert closed == [row(D(2020, 1, 1), D(2024, 5, 1), organisation="CB-1")]
    assert intervals.close_at(rows, D(2020, 1, 1)) == []
    reopened = intervals.open_from(closed, D(2024, 6, 1), {"organisation": "CB-2"})
    assert reopened == [row(D(2020, 1, 1), D(2024, 5, 1), organisation="CB-1"), row(D(2024, 6, 1), None, organisation="CB-2")]
    assert intervals.at(reopened, D(2024, 5, 15)) is None
    assert intervals.at(reopened, D(2024, 6, 1))["organisation"] == "CB-2"  # type: ignore[index]


def test_covers_and_overlaps_are_half_open() -> None:
    r = row(D(2025, 1, 1), D(2025, 7, 1))
    assert intervals.covers(r, D(2025, 1, 1)) and not intervals.covers(r, D(2025, 7, 1))
    assert intervals.overlaps(r, D(2025, 6, 30), D(2025, 12, 31))
    assert not intervals.overlaps(r, D(2025, 7, 1), D(2025, 12, 31))
    assert intervals.overlaps(row(D(2025, 1, 1), None), D(2030, 1, 1), D(2030, 1, 2))


days = st.dates(min_value=D(2000, 1, 1), max_value=D(2040, 1, 1))


@given(st.lists(st.tuples(days, st.sampled_from(["A", "B", "C"])), min_size=1, max_size=8))
def test_any_sequence_of_changes_leaves_ordered_non_overlapping_canonical_rows(changes: list[tuple[date, str]]) -> None:
    rows: list[dict] = intervals.open_from([], D(2000, 1, 1), {"parent": "A"})
    for on, parent in changes:
        rows = intervals.set_from(rows, on, {"parent": parent})
    for earlier, later in zip(rows, rows[1:]):
        assert earlier["valid_to"] == later["valid_from"]
        assert earlier["parent"] != later["parent"]
    assert rows[0]["valid_from"] == D(2000, 1, 1) and rows[-1]["valid_to"] is None
    # A change holds from its day on, over whatever earlier changes said about those days.
    last_on, last_parent = changes[-1]
    assert {r["parent"] for r in rows if r["valid_to"] is None or r["valid_to"] > last_on} == {last_parent}
