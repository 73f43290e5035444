"""What the `ketnap` command shows a person: tables that wrap their cells within the terminal's
width, and one way of showing progress (a rich bar on standard error).

Piped to a program (no terminal, no COLUMNS), tables are not wrapped at all, so each row stays one
line for grep and scripts, and progress is plain lines instead of a bar; rich adds no colours then.
"""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from ketnap.services.gateway.web.vietnamese import shown_moment
from ketnap.services.reporting.export import Table, Value, shown_value

UNWRAPPED = 100_000
"""The width of a pipe: wide enough that no row is ever wrapped."""


def console(*, stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    wrapped = os.environ.get("COLUMNS") or stream.isatty()
    return Console(stderr=stderr, width=None if wrapped else UNWRAPPED, highlight=False)


_HASH = re.compile(r"^[0-9a-f]{64}$")
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
SHORT_HASH = 12
"""A SHA-256 digest is shown by its first characters, as git shows a commit; the CSV keeps it whole."""


def cell(value: Value, empty: str = "—") -> str:
    if isinstance(value, str) and _HASH.match(value):
        return value[:SHORT_HASH]
    if isinstance(value, str) and _MOMENT.match(value):
        return shown_moment(value)
    return shown_value(value, empty=empty)


WORDS = (16, 12, 10, 8)
"""Words up to this long (dates, numbers, short hashes, codes, names) are kept whole when the
columns are narrowed, the longest limit that fits; only longer words are folded."""


class _Fitted:
    """A table whose columns are sized to the width it is printed at: each column gets room for
    its longest word, and what is left goes to the columns that need it, in proportion. A table
    with too many columns for that (a statistics form) is shown one row at a time instead, each
    value beside its header."""

    def __init__(self, table: Table, empty: str) -> None:
        self.table = table
        self.cells = [[cell(v, empty) for v in row] for row in table.rows]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[RichTable]:
        yield self.build(options.max_width)

    def build(self, width: int) -> RichTable:
        columns = list(zip(*self.cells, strict=True)) if self.cells else [() for _ in self.table.headers]
        natural = [max(cell_len(text) for text in (header, *column)) for header, column in zip(self.table.headers, columns, strict=True)]
        longest = [max(cell_len(word) for text in (header, *column) for word in text.split() or [""])
                   for header, column in zip(self.table.headers, columns, strict=True)]
        room = width - 2 * (len(natural) - 1)  # two spaces between columns
        for limit in WORDS:
            least = [min(n, w, limit) for n, w in zip(natural, longest, strict=True)]
            if sum(least) <= room:
                break
        if sum(least) > room:
            return self.records()
        widths = natural
        if sum(natural) > room:
            spare, wanted = room - sum(least), [n - m for n, m in zip(natural, least, strict=True)]
            widths = [m + spare * w // sum(wanted) for m, w in zip(least, wanted, strict=True)]
        shown = RichTable(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))  # one space and the rule: 2
        for index, header in enumerate(self.table.headers):
            numeric = bool(self.table.rows) and all(isinstance(row[index], int | float) or row[index] is None for row in self.table.rows)
            shown.add_column(header, justify="right" if numeric else "left", overflow="fold",
                             width=widths[index] if widths is not natural else None)
        for row in self.cells:
            shown.add_row(*row)
        return shown

    def records(self) -> RichTable:
        shown = RichTable(box=None, show_header=False, pad_edge=False, padding=(0, 2, 0, 0))
        shown.add_column(overflow="fold", ratio=2)
        shown.add_column(overflow="fold", ratio=3)
        for index, row in enumerate(self.cells):
            if index:
                shown.add_row("", "")
            for header, value in zip(self.table.headers, row, strict=True):
                shown.add_row(header, value)
        return shown


def rich_table(table: Table, *, empty: str = "—") -> _Fitted:
    """The table without its title (printed above it, so a long title wraps at the terminal's
    width rather than at the table's); numbers to the right; long cells wrapped, never cut."""
    return _Fitted(table, empty)


def _titled(tables: list[Table]) -> list[object]:
    shown: list[object] = []
    for index, table in enumerate(tables):
        shown += [""] if index else []
        shown += [table.title, rich_table(table) if table.rows else "(không có)"]
    return shown


def print_tables(tables: list[Table]) -> None:
    """A report's tables on standard output, each under its title."""
    out = console()
    for thing in _titled(tables):
        out.print(thing, markup=False) if isinstance(thing, str) else out.print(thing)


def tables_text(tables: list[Table], width: int | None = None) -> str:
    """The same as text at `width`."""
    return rendered(*_titled(tables), width=width)


def rendered(*shown: object, width: int | None = None) -> str:
    """Tables and lines as text at `width` (default: this terminal's, or unwrapped when piped),
    for a caller that returns text rather than printing it; without colours or styles."""
    out = Console(file=io.StringIO(), width=width or console().width, highlight=False, color_system=None, legacy_windows=False)
    for thing in shown:
        out.print(thing, markup=False) if isinstance(thing, str) else out.print(thing)
    return "\n".join(line.rstrip() for line in out.file.getvalue().splitlines())


class Steps:
    """Progress through long work: `steps("Dựng lại …")` starts a step, `steps.note(...)` says how
    far the current one is. A bar on a terminal; plain lines on standard error otherwise."""

    def __init__(self, progress: Progress | None, total: int | None) -> None:
        self._progress = progress
        self._task = progress.add_task("Bắt đầu", total=total) if progress else None
        self._started = False

    def __call__(self, text: str) -> None:
        if self._progress is None:
            print(text, file=sys.stderr, flush=True)
            return
        if self._started:
            self._progress.advance(self._task)
        self._started = True
        self._progress.update(self._task, description=text)

    def note(self, text: str) -> None:
        if self._progress is None:
            print(f"  {text}", file=sys.stderr, flush=True)
        else:
            self._progress.update(self._task, description=text)

    def reached(self, done: int, total: int, text: str | None = None) -> None:
        """How far the current step is when it counts its own work (`done` of `total`): the bar
        shows that count; plain output says it (or `text`) once, when the step is complete, not
        a line per item."""
        if self._progress is None:
            if done == total:
                print(f"  {text or f'{done}/{total}'}", file=sys.stderr, flush=True)
            return
        self._progress.update(self._task, completed=done, total=total)

    def total(self, total: int) -> None:
        """The number of steps, once it is known."""
        if self._progress is not None:
            self._progress.update(self._task, total=total)

    def finish(self) -> None:
        if self._progress is not None:
            task = self._progress.tasks[0]
            self._progress.update(self._task, completed=task.total or task.completed, description="Xong")


@contextmanager
def steps(total: int | None = None) -> Iterator[Steps]:
    """Progress on standard error: a bar with `total` ticks (unknown: None) on a terminal."""
    err = console(stderr=True)
    if not err.is_terminal:
        yield Steps(None, total)
        return
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err, transient=False,
                        # stdout's lines go above the bar only when they share the terminal: piped, they stay on stdout
                        redirect_stdout=sys.stdout.isatty())
    with progress:
        shown = Steps(progress, total)
        yield shown
        shown.finish()
