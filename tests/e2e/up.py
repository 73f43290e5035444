"""`ketnap up` as a user runs it, in its own process with its own data folder and ports."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from ketnap.operations.embedded import free_port


class Up:
    """One `ketnap up` process with its own data folder and ports."""

    def __init__(self, data_dir: Path, nats_port: int, postgres_port: int) -> None:
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in ("NATS_URL", "DATABASE_URL")},
            "KETNAP_DATA_DIR": str(data_dir),
            "KETNAP_NATS_PORT": str(nats_port),
            "KETNAP_NATS_MONITOR_PORT": str(free_port()),
            "KETNAP_POSTGRES_PORT": str(postgres_port),
            "KETNAP_GATEWAY_PORT": str(free_port()),
            # Off unless a test asks: the default ports would be shared by the tests running at once.
            "KETNAP_METRICS_PORT": "0",
        }
        self.data_dir = data_dir
        self.process: subprocess.Popen[str] | None = None
        self.output: list[str] = []

    def start(self, timeout: float = 180, args: tuple[str, ...] = ()) -> None:
        # Generous: a start after a kill recovers PostgreSQL and stops what was left behind, and the
        # suite runs beside other sessions on two cores (90 s was seen to run out there). What is
        # asserted is that the stack comes up, not how fast.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ketnap.operations.cli", "up", *args], env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        deadline = time.monotonic() + timeout
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line and self.process.poll() is not None:
                raise AssertionError("ketnap up exited:\n" + "".join(self.output))
            self.output.append(line)
            if line.startswith("Xem trạng thái"):
                return
        raise AssertionError("ketnap up did not come up:\n" + "".join(self.output))

    def ketnap(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ketnap.operations.cli", *args], env=self.env, capture_output=True, text=True, timeout=120)

    def ketnap_as(self, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
        """The CLI with extra environment (a user's token)."""
        return subprocess.run(
            [sys.executable, "-m", "ketnap.operations.cli", *args], env={**self.env, **env}, capture_output=True, text=True, timeout=300
        )

    def state(self) -> dict:
        return json.loads((self.data_dir / "state.json").read_text())

    def interrupt(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(60)
        self.output.extend(self.process.stdout.readlines() if self.process.stdout else [])
        return code

    def kill_everything(self) -> None:
        """Stop `ketnap up` with Ctrl-C, and whatever it leaves behind (a test killed it outright,
        or it hung): its children, and PostgreSQL, which pg_ctl detaches, found by its data folder."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        folder = str(self.data_dir.parent)
        for process in psutil.process_iter(["cmdline", "environ"]):
            with contextlib.suppress(psutil.Error):
                command = " ".join(process.info["cmdline"] or ())
                environ = process.info["environ"] or {}
                if folder in command or environ.get("KETNAP_DATA_DIR", "").startswith(folder):
                    process.kill()
