"""The `ketnap up` process a test starts, stopped whatever the test did."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ketnap.operations.embedded import free_port
from tests.e2e.up import Up


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Up]:
    nats_port = free_port()
    up = Up(tmp_path / "data", nats_port, free_port())
    yield up
    up.kill_everything()
