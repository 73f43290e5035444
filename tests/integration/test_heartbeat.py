"""A running service touches its heartbeat file; `ketnap health` (a container's health check)
passes while it is fresh and fails once it is stale or missing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from nats.aio.client import Client as NatsClient

from ketnap.platform.heartbeat import STALE_AFTER_SECONDS
from ketnap.platform.service import Service, serve
from ketnap.platform.settings import Settings
from tests.conftest import eventually
from tests.integration.harness import bootstrap_bus
from tests.servers import Servers


def health(heartbeat: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KETNAP_HEARTBEAT_FILE=str(heartbeat))
    return subprocess.run([sys.executable, "-m", "ketnap.operations.cli", "health"], check=False, env=env, capture_output=True, text=True, timeout=60)


async def test_a_running_service_is_healthy_and_a_stale_heartbeat_is_not(
    schema: str, nc: NatsClient, servers: Servers, database_url: str, deployment: str, tmp_path: Path,
) -> None:
    heartbeat = tmp_path / "alive"
    assert health(heartbeat).returncode == 1, "no heartbeat yet: not healthy"
    service = Service(schema)
    await bootstrap_bus(nc.jetstream(), deployment, [service])
    settings = Settings(nats_url=servers.nats_url, database_url=database_url, deployment_id=deployment, heartbeat_file=heartbeat,
                        keys_dir=tmp_path / "keys")
    stop = asyncio.Event()
    task = asyncio.create_task(serve(service, settings, stop))
    try:
        async def touched() -> bool:
            return heartbeat.exists()

        await eventually(touched, timeout=30)
        result = health(heartbeat)
        assert result.returncode == 0, result.stderr
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    old = time.time() - STALE_AFTER_SECONDS - 1
    os.utime(heartbeat, (old, old))  # what a hung service leaves behind
    stale = health(heartbeat)
    assert stale.returncode == 1 and "không có nhịp tim" in stale.stderr
