"""`ketnap backup` of a running stack, the stack lost, `ketnap restore` into a new one, as an
operator types them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ketnap.operations.embedded import free_port
from tests.conftest import eventually
from tests.e2e.test_stack import _equals, append_as_registry, timeline_count
from tests.e2e.up import Up

pytestmark = pytest.mark.slow


def test_a_stack_backed_up_is_restored_into_a_new_one_with_its_reports_and_intact_logs(stack: Up, tmp_path: Path) -> None:
    # The signing keys live apart from the data folder (docs/operations.md): they outlive the lost disk.
    keys = tmp_path / "keys"
    stack.env.update(KETNAP_KEYS_DIR=str(keys), KETNAP_ANCHOR_INTERVAL="1")
    stack.start()
    database_url = stack.state()["database_url"]
    asyncio.run(append_as_registry(database_url, 50, 0))
    asyncio.run(eventually(lambda: _equals(timeline_count(database_url), 50), timeout=90))
    backed = stack.ketnap("backup", str(tmp_path / "backup"))
    assert backed.returncode == 0, backed.stdout + backed.stderr
    assert "Đã sao lưu" in backed.stdout
    assert stack.interrupt() == 0

    second = Up(tmp_path / "new-data", free_port(), free_port())
    second.env.update(KETNAP_KEYS_DIR=str(keys), KETNAP_ANCHOR_INTERVAL="1")
    try:
        second.start()
        restored = second.ketnap("restore", str(tmp_path / "backup"))
        assert restored.returncode == 0, restored.stdout + restored.stderr
        assert "registry: nguyên vẹn, 50 sự kiện" in restored.stdout
        new_database_url = second.state()["database_url"]
        assert asyncio.run(timeline_count(new_database_url)) == 50
        verified = second.ketnap("audit", "verify", "--wait", "30")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        again = second.ketnap("restore", str(tmp_path / "backup"))
        assert again.returncode == 1 and "không trống" in again.stderr
        assert second.interrupt() == 0
    finally:
        second.kill_everything()
