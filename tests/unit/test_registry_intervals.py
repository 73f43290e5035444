"""Validity intervals (services/registry/intervals.py): what the read model answers "as of a date" from."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ketnap.services.registry.intervals import at, close_at, coalesce, open_from, rehome, set_from

START = date(2015, 1, 1)
days = st.integers(min_value=0, max_value=4000).map(lambda n: START + timedelta(days=n))


def history(changes: list[tuple[date, str]]) -> list[dict]:
    """A record opened on START, its `name` changed on each date (applied in any order)."""
    rows = open_from([], START, {"name": "first", "parent": "P"})
    for on, name in changes:
        rows = set_from(rows, on, {"name": name})
    return rows


def well_formed(rows: list[dict]) -> bool:
    ordered = all(a["valid_to"] == b["valid_from"] for a, b in zip(rows, rows[1:]))
    non_empty = all(r["valid_to"] is None or r["valid_from"] < r["valid_to"] for r in rows)
    return ordered and non_empty and rows[-1]["valid_to"] is None


@given(st.lists(st.tuples(days, st.sampled_from(["a", "b", "c"])), max_size=8), days)
def test_a_change_from_a_date_holds_from_that_date_and_leaves_the_past_alone(changes: list, on: date) -> None:
    before = history(changes)
    after = set_from(before, on, {"name": "new"})
    assert well_formed(after)
    for probe in (on - timedelta(days=1), on, on + timedelta(days=1), on + timedelta(days=900)):
        if probe < START:
            assert at(after, probe) is None
        elif probe < on:
            assert at(after, probe)["name"] == at(before, probe)["name"]
        else:
            assert at(after, probe)["name"] == "new" and at(after, probe)["parent"] == "P"


@given(st.lists(st.tuples(days, st.sampled_from(["a", "b"])), max_size=8), days)
def test_closing_keeps_everything_before_and_nothing_from_the_date(changes: list, on: date) -> None:
    before = history(changes)
    closed = close_at(before, on)
    assert at(closed, on) is None and at(closed, on + timedelta(days=365)) is None
    if on > START:
        day_before = on - timedelta(days=1)
        assert at(closed, day_before)["name"] == at(before, day_before)["name"]
        assert closed[-1]["valid_to"] == on


def test_adjacent_rows_saying_the_same_become_one() -> None:
    rows = set_from(history([(date(2020, 1, 1), "b")]), date(2020, 1, 1), {"name": "first"})
    assert rows == [{"name": "first", "parent": "P", "valid_from": START, "valid_to": None}]
    assert coalesce(rows) == rows


def test_rows_pointing_at_a_merged_unit_follow_it_from_its_end_through_a_chain_of_merges() -> None:
    rows = open_from([], START, {"organisation": "A"})
    endings = {"A": (date(2020, 1, 1), "B"), "B": (date(2022, 1, 1), "C")}
    homed = rehome(rows, "organisation", endings.get)
    assert [(r["organisation"], r["valid_from"], r["valid_to"]) for r in homed] == [
        ("A", START, date(2020, 1, 1)),
        ("B", date(2020, 1, 1), date(2022, 1, 1)),
        ("C", date(2022, 1, 1), None),
    ]
    # Whatever pointed elsewhere from before the merge (a later move away) is left as it was.
    moved = set_from(rows, date(2019, 6, 1), {"organisation": "D"})
    assert rehome(moved, "organisation", endings.get) == moved
    # A dissolved unit has no successor: nothing may point at it, and nothing is invented.
    assert rehome(rows, "organisation", {"A": (date(2020, 1, 1), None)}.get) == rows
