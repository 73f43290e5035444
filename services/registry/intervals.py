"""Validity intervals: how the read model keeps "what was true from when to when" for one record.

A record's history is a list of rows, each a dict with `valid_from` (inclusive) and `valid_to`
(exclusive, None: still true), in order and without overlap. A change "from date D on" splits
the row that spans D and changes every row from D; the end of a unit re-homes whatever
pointed at it from its end date. Pure functions, so the edges are tested without a database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

Row = dict[str, Any]


def _starts(row: Row) -> date:
    return row["valid_from"]


def covers(row: Row, on: date) -> bool:
    return row["valid_from"] <= on and (row["valid_to"] is None or on < row["valid_to"])


def split_at(rows: Iterable[Row], on: date) -> list[Row]:
    """The same history with no row spanning `on`: a row [a, b) with a < on < b becomes [a, on) + [on, b)."""
    result: list[Row] = []
    for row in sorted(rows, key=_starts):
        if row["valid_from"] < on and (row["valid_to"] is None or on < row["valid_to"]):
            result.append({**row, "valid_to": on})
            result.append({**row, "valid_from": on})
        else:
            result.append(dict(row))
    return result


def set_from(
    rows: Iterable[Row], on: date, changes: Mapping[str, Any], where: Callable[[Row], bool] = lambda _row: True
) -> list[Row]:
    """Apply `changes` to every row from `on` on (the rows that `where` selects)."""
    result = []
    for row in split_at(rows, on):
        if row["valid_from"] >= on and where(row):
            row = {**row, **changes}
        result.append(row)
    return coalesce(result)


def close_at(rows: Iterable[Row], on: date) -> list[Row]:
    """Nothing is true any more from `on`."""
    result = []
    for row in split_at(rows, on):
        if row["valid_from"] < on:
            result.append(row)
    return result


def open_from(rows: Iterable[Row], on: date, values: Mapping[str, Any]) -> list[Row]:
    """From `on` on, the record holds `values` (whatever it held from `on` before is replaced)."""
    return coalesce([*close_at(rows, on), {**values, "valid_from": on, "valid_to": None}])


def at(rows: Iterable[Row], on: date) -> Row | None:
    for row in rows:
        if covers(row, on):
            return row
    return None


def coalesce(rows: Iterable[Row]) -> list[Row]:
    """Adjacent rows saying the same thing become one, so a history has one canonical form."""
    result: list[Row] = []
    for row in sorted(rows, key=_starts):
        if result:
            last = result[-1]
            same = {k: v for k, v in last.items() if k not in ("valid_from", "valid_to")} == {
                k: v for k, v in row.items() if k not in ("valid_from", "valid_to")
            }
            if same and last["valid_to"] == row["valid_from"]:
                result[-1] = {**last, "valid_to": row["valid_to"]}
                continue
        result.append(row)
    return result


Successor = Callable[[str], "tuple[date, str | None] | None"]
"""For a unit code: (its end date, where what pointed at it goes), or None while it lasts."""


def rehome(rows: Iterable[Row], column: str, successor: Successor, limit: int = 32) -> list[Row]:
    """Rows pointing (in `column`) at a unit past its end point at its successor from that end on,
    following chains (A merged into B, later B split...). A unit ended with no successor
    (dissolved) is left as it is: a dissolution requires nothing to point at it."""
    current = coalesce(rows)
    for _ in range(limit):
        changed = False
        for row in current:
            target = row.get(column)
            if target is None:
                continue
            ending = successor(target)
            if ending is None:
                continue
            ended_on, heir = ending
            if heir is None or heir == target:
                continue
            if row["valid_to"] is None or row["valid_to"] > ended_on:
                current = set_from(current, ended_on, {column: heir}, where=lambda r, t=target: r.get(column) == t)
                changed = True
                break
        if not changed:
            return current
    raise ValueError(f"successor chain longer than {limit} for column {column}")
