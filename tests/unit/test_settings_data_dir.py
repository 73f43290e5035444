"""The data folder is found from any folder: `ketnap status` typed elsewhere than the repository
still finds the stack `make run` started (issue 22)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ketnap.platform.settings import default_data_dir

ROOT = Path(__file__).resolve().parents[2]


def test_a_checkout_keeps_its_data_in_its_own_folder() -> None:
    assert default_data_dir() == ROOT / ".ketnap"


def test_an_installed_copy_keeps_its_data_in_the_users_folder(tmp_path: Path) -> None:
    assert default_data_dir(tmp_path / "site-packages") == Path.home() / ".local" / "share" / "ketnap"


def test_the_same_folder_whatever_folder_the_command_is_typed_in(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    code = "from ketnap.platform.settings import Settings; print(Settings.from_env().data_dir)"
    found = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert Path(found.stdout.strip()) == ROOT / ".ketnap"
    chosen = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env={**env, "KETNAP_DATA_DIR": "/srv/ketnap"}, capture_output=True, text=True, check=True
    )
    assert chosen.stdout.strip() == "/srv/ketnap"
