"""requirements.lock (pip-compile) is current with pyproject.toml, and both installs use it:
`make install` and the image pin every dependency to the version the tests ran with."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"


def pinned() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        if line and not line.startswith((" ", "#", "-")):
            name, _, version = line.partition("==")
            assert version, f"not a pin: {line!r}"
            pins[canonicalize_name(name)] = version.split(" ", 1)[0].split(";", 1)[0].strip()
    return pins


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    return [Requirement(r) for r in (*project["dependencies"], *extras["dev"], *extras["bench"])]


def test_every_dependency_of_pyproject_is_pinned_within_what_it_allows() -> None:
    pins = pinned()
    stale = []
    for requirement in declared():
        version = pins.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            stale.append(f"{requirement} (lock: {version})")
    assert not stale, f"requirements.lock is behind pyproject.toml: run `make lock` ({', '.join(stale)})"


def test_the_peer_library_of_the_bench_is_no_dependency_of_the_system() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {canonicalize_name(Requirement(r).name) for r in (*project["dependencies"], *project["optional-dependencies"]["dev"])}
    assert not runtime & {"eventsourcing", "psycopg"}, "eventsourcing is measured by `make bench` only (the bench extra)"


def test_the_lock_pins_exact_versions_and_names_no_index() -> None:
    text = LOCK.read_text()
    assert pinned(), "an empty lock"
    assert not re.search(r"^(--index-url|--extra-index-url|--find-links|-e )", text, re.MULTILINE), "the lock names no machine's index"
    assert "pip-compile" in text[:400], "written by `make lock`"


def test_make_install_and_the_image_install_from_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "LOCK   := requirements.lock" in makefile
    assert "$(STAMP): pyproject.toml $(LOCK)" in makefile, "a changed lock reinstalls"
    assert "pip install --quiet -c $(LOCK) -e '.[dev]'" in makefile
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert re.search(r"^COPY .*requirements\.lock", dockerfile, re.MULTILINE)
    assert "RUN pip install -c requirements.lock ." in dockerfile
