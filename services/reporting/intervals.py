"""Validity intervals: "what was true of one record from when to when", as plain rows.

A record's history is a list of dicts, each with `valid_from` (inclusive) and `valid_to`
(exclusive; None while still true), in order, without overlap, adjacent equal rows merged. A
change "from day D on" splits the row spanning D and changes every row from D on. Pure functions,
so the edges are tested without a database; `load` and `change` keep one record's rows in a table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

import asyncpg

Row = dict[str, Any]
_BOUNDS = ("valid_from", "valid_to")


def covers(row: Row, on: date) -> bool:
    return row["valid_from"] <= on and (row["valid_to"] is None or on < row["valid_to"])


def overlaps(row: Row, start: date, end: date) -> bool:
    """Whether the row was true on some day of [start, end] (both inclusive)."""
    return row["valid_from"] <= end and (row["valid_to"] is None or row["valid_to"] > start)


def at(rows: Iterable[Row], on: date) -> Row | None:
    return next((row for row in rows if covers(row, on)), None)


def split_at(rows: Iterable[Row], on: date) -> list[Row]:
    """The same history with no row spanning `on`: [a, b) with a < on < b becomes [a, on) + [on, b)."""
    result: list[Row] = []
    for row in sorted(rows, key=lambda r: r["valid_from"]):
        if row["valid_from"] < on and (row["valid_to"] is None or on < row["valid_to"]):
            result += [{**row, "valid_to": on}, {**row, "valid_from": on}]
        else:
            result.append(dict(row))
    return result


def coalesce(rows: Iterable[Row]) -> list[Row]:
    """Adjacent rows saying the same thing become one: a history has one canonical form, so a
    live table and its rebuild compare equal row by row."""
    result: list[Row] = []
    for row in sorted(rows, key=lambda r: r["valid_from"]):
        if result:
            last = result[-1]
            if last["valid_to"] == row["valid_from"] and _values(last) == _values(row):
                result[-1] = {**last, "valid_to": row["valid_to"]}
                continue
        result.append(row)
    return result


def set_from(rows: Iterable[Row], on: date, changes: Mapping[str, Any], where: Callable[[Row], bool] = lambda _row: True) -> list[Row]:
    """Apply `changes` to every row from `on` on (those `where` selects)."""
    return coalesce(
        {**row, **changes} if row["valid_from"] >= on and where(row) else row for row in split_at(rows, on)
    )


def close_at(rows: Iterable[Row], on: date) -> list[Row]:
    """Nothing of the record is true any more from `on`."""
    return [row for row in split_at(rows, on) if row["valid_from"] < on]


def open_from(rows: Iterable[Row], on: date, values: Mapping[str, Any]) -> list[Row]:
    """From `on` on the record holds `values`; whatever it held from `on` before is replaced."""
    return coalesce([*close_at(rows, on), {**values, "valid_from": on, "valid_to": None}])


def _values(row: Row) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in _BOUNDS}


# --- one record's rows in a table --------------------------------------------------------------------


async def load(conn: asyncpg.Connection, schema: str, table: str, key: Mapping[str, Any]) -> list[Row]:
    where = " AND ".join(f"{column} = ${i}" for i, column in enumerate(key, start=1))
    found = await conn.fetch(f"SELECT * FROM {schema}.{table} WHERE {where} ORDER BY valid_from", *key.values())
    return [{k: v for k, v in dict(r).items() if k not in key} for r in found]


async def remember(conn: asyncpg.Connection, schema: str, table: str, column: str, keys: Iterable[str]) -> None:
    """Read at once the rows of the records `keys` (keyed by `column` alone) that `conn`'s memo (a
    batch's or a build's `WriteBehind`) does not hold yet, so that `change` reads none of them one
    at a time: live, a batch of members joining cost a round trip each (issue 21). Nothing to do
    on a plain connection or in a build from empty tables (which remembers every record it wrote)."""
    memo: dict[Any, list[Row]] | None = getattr(conn, "memo", None)
    if memo is None or getattr(conn, "fresh", False):
        return
    wanted = sorted({key for key in keys if (schema, table, ((column, key),)) not in memo})
    if not wanted:
        return
    found: dict[str, list[Row]] = {key: [] for key in wanted}
    for record in await conn.fetch(
        f"SELECT * FROM {schema}.{table} WHERE {column} = ANY($1::text[]) ORDER BY {column}, valid_from", wanted
    ):
        row = dict(record)
        found[row.pop(column)].append(row)
    for key, rows in found.items():
        memo[(schema, table, ((column, key),))] = rows


async def change(
    conn: asyncpg.Connection, schema: str, table: str, key: Mapping[str, Any], rows_of: Callable[[list[Row]], list[Row]]
) -> None:
    """Replace the record's rows with `rows_of(its rows)`, writing only the rows that differ.

    In a build (`conn` is its `ketnap.platform.projections.WriteBehind`) the rows written are
    remembered, so the next change of the record neither reads them back nor waits for the
    writes before it: a round trip per event is what bounded the tree's rebuild. Only this
    function writes interval tables, which keeps the memory equal to the table."""
    memo: dict[Any, list[Row]] | None = getattr(conn, "memo", None)
    remembered = (schema, table, tuple(key.items()))
    if memo is not None and remembered in memo:
        before = memo[remembered]
    elif memo is not None and getattr(conn, "fresh", False):
        before = []  # built from empty tables: a record not written yet has no rows
    else:
        before = await load(conn, schema, table, key)
    after = rows_of(before)
    if memo is not None:
        memo[remembered] = [dict(row) for row in after]
    gone = [row for row in before if row not in after]
    new = [row for row in after if row not in before]
    where = " AND ".join(f"{column} = ${i}" for i, column in enumerate(key, start=1))
    if gone:
        await conn.execute(
            f"DELETE FROM {schema}.{table} WHERE {where} AND valid_from = ANY(${len(key) + 1}::date[])",
            *key.values(),
            [row["valid_from"] for row in gone],
        )
    if new:
        columns = [*key, *new[0]]
        placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
        insert = f"INSERT INTO {schema}.{table} ({', '.join(columns)}) VALUES ({placeholders})"
        values = [(*key.values(), *(row[c] for c in new[0])) for row in new]
        if len(values) == 1:
            # Most events change one row; asyncpg's executemany costs about 40 % more than execute for one.
            await conn.execute(insert, *values[0])
        else:
            await conn.executemany(insert, values)


async def keys_pointing_at(
    conn: asyncpg.Connection, schema: str, table: str, key_column: str, column: str, code: str, on: date
) -> list[str]:
    """The records whose `column` names `code` on `on` or later: what must follow a unit that ends."""
    found = await conn.fetch(
        f"SELECT DISTINCT {key_column} FROM {schema}.{table} "
        f"WHERE {column} = $1 AND (valid_to IS NULL OR valid_to > $2) ORDER BY 1",
        code,
        on,
    )
    return [r[0] for r in found]
