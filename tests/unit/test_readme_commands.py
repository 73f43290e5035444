"""The README's `ketnap` commands work as written, from the repository's folder: `make run` leaves
`ketnap` off the PATH, so the README writes `.venv/bin/ketnap`, and a newcomer copies that."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

from ketnap.operations.stack import typed_command

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
KETNAP = ".venv/bin/ketnap"


def readme_commands() -> list[list[str]]:
    """Every `.venv/bin/ketnap ...` line of the README's shell blocks and inline code, as words."""
    text = README.read_text(encoding="utf-8")
    found = re.findall(r"^(\.venv/bin/ketnap[^#\n]*)", text, flags=re.MULTILINE)
    found += re.findall(r"`(\.venv/bin/ketnap[^`]*)`", text)
    return [shlex.split(line.strip()) for line in found]


def run(words: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(words, check=False, cwd=ROOT, capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "COLUMNS": "100"})


def test_the_readme_never_writes_a_bare_ketnap_command() -> None:
    text = README.read_text(encoding="utf-8")
    bare = re.findall(r"^ketnap .*$", text, flags=re.MULTILINE)
    assert bare == [], f"the README writes `ketnap` without its folder: {bare}"
    assert len(readme_commands()) >= 5


def test_ketnap_help_works_as_the_readme_writes_it() -> None:
    done = run([KETNAP, "--help"])
    assert done.returncode == 0, done.stderr
    assert "Ketnap: quản lý công tác kết nạp đảng viên." in done.stdout


def test_every_command_the_readme_writes_exists_with_the_options_it_uses() -> None:
    """Each command is run up to its options with `--help` (the real ones need a running stack,
    tests/e2e runs them): the command exists and every option the README gives it is one it has."""
    options: dict[tuple[str, ...], set[str]] = {}
    for words in readme_commands():
        path: list[str] = []
        for word in words[1:]:
            if not re.fullmatch(r"[a-z][a-z-]*", word) or word in ("quantri", "login"):
                break
            path.append(word)
        options.setdefault(tuple(path), set()).update(w for w in words if w.startswith("--"))
    for path, used in options.items():
        done = run([KETNAP, *path, "--help"])
        assert done.returncode == 0, f"ketnap {' '.join(path)}: {done.stderr}"
        for option in used:
            assert option in done.stdout, f"`ketnap {' '.join(path)}` has no {option}"


def test_make_run_says_ketnap_the_way_it_can_be_typed(tmp_path: Path) -> None:
    """`make run` prints `.venv/bin/ketnap demo` when ketnap is off the PATH, `ketnap demo` when on it."""
    program = ROOT / KETNAP
    assert typed_command(str(program), ROOT) == KETNAP
    assert typed_command(str(program), tmp_path) == str(program)
