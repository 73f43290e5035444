"""Rows of a projection held in memory for one batch of events: how a projection whose every row
belongs to one key (a dossier) applies hundreds of events in a few round trips instead of a
statement, or a read and a write, per event (issue 21).

`load` reads every row of the keys the batch touches, one query per table; the handlers read and
change plain dicts, in the events' order; `write` sends each table's changed rows in one
`INSERT ... SELECT FROM unnest(...) ON CONFLICT DO UPDATE`. The outcome is the one of applying the
events one at a time, as long as nothing else writes those rows meanwhile: a projection's tables
are written only by its own consumer, whose runners of every log take turns
(`ketnap.platform.bus.consumer.take_turn`), and by builds of tables nobody else sees.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any

import asyncpg

from ketnap.platform.eventstore.schema import checked_identifier

Row = dict[str, Any]

_KEY_LIST = re.compile(r"PRIMARY KEY\s*\(([^)]*)\)", re.IGNORECASE)
_KEY_COLUMN = re.compile(r"^\s*(\w+)\s+[^,]*\bPRIMARY KEY\b", re.IGNORECASE | re.MULTILINE)
_DEFAULT = re.compile(r"^\s*(\w+)\s+[^,]*\bDEFAULT\s+(\d+)", re.IGNORECASE | re.MULTILINE)


def primary_key(columns: str) -> tuple[str, ...]:
    """The primary key's columns of a table defined by `columns` (`Projection.tables`' values)."""
    if (listed := _KEY_LIST.search(columns)) is not None:
        return tuple(name.strip() for name in listed[1].split(","))
    if (single := _KEY_COLUMN.search(columns)) is not None:
        return (single[1],)
    raise ValueError("a table kept by Rows needs a primary key")


def _values_of(columns: Sequence[str]) -> Callable[[Row], tuple[Any, ...]]:
    """A row's values of `columns`, as a tuple, in that order."""
    getter = itemgetter(*columns)
    return getter if len(columns) > 1 else lambda row: (getter(row),)


class Table:
    """One table's shape as `Rows` needs it: its primary key, first the column every row is
    loaded by, and the integer defaults a new row starts from (every other column starts NULL)."""

    def __init__(self, name: str, columns: str) -> None:
        self.name = checked_identifier(name)
        self.key = primary_key(columns)
        self.key_of = _values_of(self.key)
        """A row's primary key (a build adds a row per event or more: no generator per row)."""
        self.defaults = {column: int(value) for column, value in _DEFAULT.findall(columns)}
        self.types: list[tuple[str, str]] | None = None
        """Every column with its SQL type, in the table's order; read from the catalog once."""
        self.blank: Row = {}
        """A new row before its values: every column at its default (a build adds a row per event
        or more, so the row is copied from this rather than assembled column by column)."""
        self.values: Callable[[Row], tuple[Any, ...]] = tuple
        """A row's values in the table's order, as `load` keeps them to see what changed."""

    def typed(self, types: list[tuple[str, str]]) -> None:
        """Take the columns and their types as the catalog gives them (`Rows.load`, once)."""
        self.types = types
        columns = [column for column, _ in types]
        self.blank = {column: self.defaults.get(column) for column in columns}
        self.values = _values_of(columns)


class Rows:
    """The rows of the loaded keys of several tables, each table's rows keyed by its primary key."""

    def __init__(self, tables: Mapping[str, Table]) -> None:
        self.tables = tables
        self._rows: dict[str, dict[tuple[Any, ...], Row]] = {name: {} for name in tables}
        self._by_key: dict[str, dict[Any, list[tuple[Any, ...]]]] = {name: {} for name in tables}
        self._loaded: dict[str, dict[tuple[Any, ...], tuple[Any, ...]]] = {name: {} for name in tables}

    async def load(self, conn: asyncpg.Connection, schema: str, keys: Iterable[Any]) -> None:
        """Read every row whose first key column is one of `keys`."""
        wanted = sorted(set(keys))
        for name, table in self.tables.items():
            if table.types is None:
                table.typed([
                    (r["attname"], r["type"])
                    for r in await conn.fetch(
                        "SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute "
                        "WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                        f"{schema}.{name}",
                    )
                ])
            if not wanted:
                continue
            records = await conn.fetch(f"SELECT * FROM {schema}.{name} WHERE {table.key[0]} = ANY($1::text[])", wanted)
            for record in records:
                row = dict(record)
                key = table.key_of(row)
                self._add(name, key, row)
                self._loaded[name][key] = table.values(row)

    def get(self, table: str, *key: Any) -> Row | None:
        return self._rows[table].get(key)

    def of(self, table: str, first: Any) -> list[Row]:
        """Every row of `table` whose first key column is `first`, in the order they came."""
        return [self._rows[table][key] for key in self._by_key[table].get(first, ())]

    def add(self, table: str, **values: Any) -> Row:
        """A new row: the given columns, the others at their defaults. Its key must not be there."""
        shape = self.tables[table]
        key = shape.key_of(values)
        assert key not in self._rows[table], f"{table} already has the row {key}"
        row = shape.blank.copy()
        row.update(values)
        self._add(table, key, row)
        return row

    def _add(self, table: str, key: tuple[Any, ...], row: Row) -> None:
        self._rows[table][key] = row
        self._by_key[table].setdefault(key[0], []).append(key)

    async def write(self, conn: asyncpg.Connection, schema: str) -> None:
        """Send the rows added or changed since `load`, one statement per table."""
        for name, table in self.tables.items():
            assert table.types is not None, "write after load"
            loaded, values = self._loaded[name], table.values
            # A row not loaded is new: written whatever it holds (most rows of a build).
            changed = [
                row for key, row in self._rows[name].items()
                if (before := loaded.get(key)) is None or before != values(row)
            ]
            if not changed:
                continue
            columns = [column for column, _ in table.types]
            others = [column for column in columns if column not in table.key]
            arrays = ", ".join(f"${i}::{type_}[]" for i, (_, type_) in enumerate(table.types, start=1))
            update = f"DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in others)}" if others else "DO NOTHING"
            await conn.execute(
                f"INSERT INTO {schema}.{name} ({', '.join(columns)}) SELECT * FROM unnest({arrays}) "
                f"ON CONFLICT ({', '.join(table.key)}) {update}",
                *([row[column] for row in changed] for column in columns),
            )
