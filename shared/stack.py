"""`ketnap up` (what `make run` runs): embedded servers, bootstrap, every service as its own process.

Ctrl-C stops every process it started, in order, and the data stays in the data folder for the
next start. A second `ketnap up` on the same data folder refuses clearly.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from shared.bootstrap import DATABASE_NAME, bootstrap, with_database, with_user
from shared.embedded import EmbeddedNats, EmbeddedPostgres, port_open
from shared.eventstore.schema import service_role
from shared.logging import get_logger
from shared.settings import Settings

log = get_logger(__name__)


class AlreadyRunning(Exception):
    pass


class RunLock:
    """An exclusive lock on the data folder, held for as long as `ketnap up` runs."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "up.lock"
        self.handle: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 - held open while running
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "?"
            handle.close()
            raise AlreadyRunning(owner) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self.handle = handle

    def release(self) -> None:
        if self.handle:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


def state_file(data_dir: Path) -> Path:
    return data_dir / "state.json"


@dataclass
class ServiceProcess:
    name: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = None
    restarts: int = 0
    started_at: float = 0.0

    def start(self) -> None:
        log_file = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"services.{self.name}"],
            env=self.env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started_at = time.monotonic()

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Stack:
    settings: Settings
    services: list[str]
    nats: EmbeddedNats | None = None
    postgres: EmbeddedPostgres | None = None
    processes: list[ServiceProcess] = field(default_factory=list)

    @property
    def nats_url(self) -> str:
        return self.settings.nats_url or (self.nats.url if self.nats else "")

    def admin_database_url(self) -> str:
        if self.settings.database_url:
            return self.settings.database_url
        assert self.postgres
        return self.postgres.url(DATABASE_NAME)

    def service_database_url(self, service: str) -> str:
        if self.settings.database_url:
            return self.settings.database_url
        assert self.postgres
        return with_user(self.postgres.url(DATABASE_NAME), service_role(service))

    def start_servers(self) -> None:
        if self.settings.uses_external_servers:
            print(f"Dùng máy chủ có sẵn: NATS {self.settings.nats_url}, PostgreSQL (DATABASE_URL)")
            return
        data = self.settings.data_dir
        for port, what in ((self.settings.nats_port, "NATS"), (self.settings.postgres_port, "PostgreSQL")):
            if port_open(port):
                raise RuntimeError(
                    f"Cổng {port} ({what}) đang bị chiếm bởi một chương trình khác; "
                    f"đặt KETNAP_{'NATS' if what == 'NATS' else 'POSTGRES'}_PORT sang cổng khác."
                )
        print(f"Khởi động PostgreSQL nhúng trên 127.0.0.1:{self.settings.postgres_port} ...", flush=True)
        self.postgres = EmbeddedPostgres(data / "postgres", self.settings.postgres_port)
        self.postgres.start()
        print(f"Khởi động NATS JetStream nhúng trên 127.0.0.1:{self.settings.nats_port} ...", flush=True)
        self.nats = EmbeddedNats(data / "nats", self.settings.nats_port, monitor_port=self.settings.nats_port + 1)
        self.nats.start()

    def bootstrap(self) -> None:
        from services import all_services

        settings = self.settings.model_copy(update={"nats_url": self.nats_url})
        embedded = self.postgres.url("postgres") if self.postgres else None
        asyncio.run(bootstrap(settings, all_services(), embedded_server_url=embedded))

    def start_services(self) -> None:
        logs = self.settings.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for name in self.services:
            env = dict(os.environ)
            env.update(
                NATS_URL=self.nats_url,
                DATABASE_URL=self.service_database_url(name),
                KETNAP_DEPLOYMENT=self.settings.deployment_id,
                KETNAP_LOG_FORMAT=self.settings.log_format,
                PYTHONPATH=str(Path(__file__).resolve().parent.parent),
            )
            process = ServiceProcess(name, env, logs / f"{name}.log")
            process.start()
            self.processes.append(process)
        self.write_state()

    def write_state(self) -> None:
        state = {
            "pid": os.getpid(),
            "nats_url": self.nats_url,
            "database_url": self.admin_database_url(),
            "services": {p.name: p.process.pid if p.process else None for p in self.processes},
            "logs": str(self.settings.data_dir / "logs"),
        }
        state_file(self.settings.data_dir).write_text(json.dumps(state, indent=2))

    def supervise_once(self) -> None:
        """A service that died is started again, with a short pause so a crash loop stays visible."""
        for process in self.processes:
            if process.process is not None and process.process.poll() is not None:
                code = process.process.returncode
                if time.monotonic() - process.started_at < 2:
                    time.sleep(1)
                process.restarts += 1
                print(f"Dịch vụ {process.name} đã dừng (mã {code}); khởi động lại (lần {process.restarts}). Nhật ký: {process.log_path}", flush=True)
                process.start()
                self.write_state()

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        if self.nats:
            self.nats.stop()
        if self.postgres:
            self.postgres.stop()
        state_file(self.settings.data_dir).unlink(missing_ok=True)


def print_summary(stack: Stack) -> None:
    print()
    print("Ketnap đang chạy.")
    print(f"  NATS        {stack.nats_url}")
    print(f"  PostgreSQL  {with_database(stack.admin_database_url(), DATABASE_NAME)}")
    print(f"  Dữ liệu     {stack.settings.data_dir}")
    print(f"  Nhật ký     {stack.settings.data_dir / 'logs'}")
    for process in stack.processes:
        print(f"  {process.name:<12}pid {process.process.pid if process.process else '-'}")
    print("Xem trạng thái: ketnap status   ·   Dừng: Ctrl-C")
    print(flush=True)


def up(settings: Settings, services: list[str]) -> int:
    lock = RunLock(settings.data_dir)
    try:
        lock.acquire()
    except AlreadyRunning as running:
        print(
            f"Ketnap đã đang chạy (pid {running}) với thư mục dữ liệu {settings.data_dir}. "
            "Dừng phiên đó bằng Ctrl-C trong cửa sổ của nó, hoặc xem `ketnap status`.",
            file=sys.stderr,
        )
        return 1
    stack = Stack(settings, services)
    stopping = False

    def request_stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        stack.start_servers()
        stack.bootstrap()
        stack.start_services()
        print_summary(stack)
        while not stopping:
            stack.supervise_once()
            time.sleep(0.5)
        print("Đang dừng mọi tiến trình ...", flush=True)
        return 0
    finally:
        stack.stop()
        lock.release()
        print("Đã dừng.", flush=True)
