"""`ketnap demo` shows its loading with the CLI's shared progress (`ketnap.operations.terminal`):
a counted bar per phase on a terminal, one line per finished phase when piped."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.progress import Progress as RichProgress

from ketnap.operations.demo.driver import Progress
from ketnap.operations.demo.load import PHASES, _shown_on
from ketnap.operations.terminal import Steps


def _load(shown: Steps) -> None:
    progress = _shown_on(shown)
    for done in range(1, 4):
        progress(Progress("registry", done, 3))
    for done in range(1, 3):
        progress(Progress("dossiers", done, 2))


def test_on_a_terminal_the_bar_counts_the_phase_being_loaded() -> None:
    bar = RichProgress(console=Console(file=io.StringIO(), force_terminal=True))
    shown = Steps(bar, None)
    progress = _shown_on(shown)
    for done in range(1, 4):
        progress(Progress("registry", done, 5))
    (task,) = bar.tasks
    assert (task.description, task.completed, task.total) == (PHASES["registry"], 3, 5)
    progress(Progress("dossiers", 1, 12))
    assert (task.description, task.completed, task.total) == (PHASES["dossiers"], 1, 12)


def test_piped_each_phase_is_one_line_and_its_count(capsys: pytest.CaptureFixture[str]) -> None:
    _load(Steps(None, None))
    assert capsys.readouterr().err.splitlines() == [
        PHASES["registry"], "  3/3 việc ghi sổ đăng ký", PHASES["dossiers"], "  2/2 hồ sơ",
    ]
