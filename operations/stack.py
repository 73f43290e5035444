"""`ketnap up` (what `make run` runs): embedded servers, bootstrap, every service as its own process.

Ctrl-C stops every process it started, in order, and the data stays in the data folder for the
next start. A second `ketnap up` on the same data folder refuses clearly.

`ketnap up --topology FILE` runs several deployments side by side (docs/federation.md): one
`Stack` per deployment, each with its own servers, data folder, lock and service processes,
started and stopped together by the same code as a single one.
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import asyncpg
import psutil

from ketnap.operations.bootstrap import DATABASE_NAME, bootstrap, with_database, with_user
from ketnap.operations.embedded import EmbeddedNats, EmbeddedPostgres, port_open
from ketnap.operations.topology import Topology, TopologyError
from ketnap.platform.eventstore.schema import service_role
from ketnap.platform.logging import get_logger
from ketnap.platform.settings import Settings

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


RESTART_PAUSE_SECONDS = 1.0
DEFAULT_METRICS_PORT = 19100
"""The first service's metrics port when KETNAP_METRICS_PORT is not set; the others follow it."""
"""A process that dies within 2 s of its start waits this long before the next: a crash loop stays visible."""


def restarted_message(label: str, name: str, code: int | None, restarts: int, log_path: Path) -> str:
    """What `ketnap up` prints when it starts a dead process again: a service or a server alike."""
    return f"{label}Dịch vụ {name} đã dừng (mã {code}); khởi động lại (lần {restarts}). Nhật ký: {log_path}"


@dataclass
class ServiceProcess:
    name: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = None
    restarts: int = 0
    started_at: float = 0.0
    terminated: bool = False

    def start(self) -> None:
        self.terminated = False
        log_file = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"ketnap.services.{self.name}"],
            env=self.env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started_at = time.monotonic()

    def stop(self, timeout: float = 15.0) -> None:
        self.terminate()
        self.wait_or_kill(time.monotonic() + timeout)

    def terminate(self) -> None:
        """Ask it to stop (SIGTERM), once: it finishes what it is doing, then exits."""
        if self.process is not None and self.process.poll() is None and not self.terminated:
            self.process.send_signal(signal.SIGTERM)
            self.terminated = True

    def wait_or_kill(self, deadline: float) -> None:
        """Wait for it to exit until `deadline` (time.monotonic()), then kill it."""
        if self.process is None:
            return
        try:
            self.process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


SERVICES_STOP_SECONDS = 15.0
"""How long the services of one deployment are given to stop on their own before they are killed."""


@dataclass
class Stack:
    settings: Settings
    services: list[str]
    topology_file: Path | None = None
    """Set when this stack is one deployment of `ketnap up --topology`: its ports come from there."""
    nats: EmbeddedNats | None = None
    postgres: EmbeddedPostgres | None = None
    processes: list[ServiceProcess] = field(default_factory=list)
    server_restarts: dict[str, int] = field(default_factory=dict)
    server_started_at: dict[str, float] = field(default_factory=dict)

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

    def stop_stale_services(self) -> None:
        """Services of a `ketnap up` that was killed outright are still running: stop them first."""
        path = state_file(self.settings.data_dir)
        if not path.exists():
            return
        for name, pid in json.loads(path.read_text()).get("services", {}).items():
            try:
                stale = psutil.Process(pid)
                if f"ketnap.services.{name}" in stale.cmdline():
                    stale.terminate()
                    stale.wait(15)
            except (psutil.NoSuchProcess, psutil.TimeoutExpired, TypeError):
                pass
        path.unlink(missing_ok=True)

    @property
    def _api_host(self) -> str:
        # Listening on every interface includes this machine's loopback, which is what to print and probe.
        return "127.0.0.1" if self.settings.gateway_host in ("0.0.0.0", "::") else self.settings.gateway_host

    @property
    def api_url(self) -> str | None:
        """The gateway's HTTP API, when this stack runs the gateway."""
        return f"http://{self._api_host}:{self.settings.gateway_port}" if "gateway" in self.services else None

    @property
    def metrics_ports(self) -> dict[str, int]:
        """Where each service serves its Prometheus metrics: KETNAP_METRICS_PORT (default
        DEFAULT_METRICS_PORT) for the first service, the next ports for the others; 0: none."""
        if self.settings.metrics_port == 0:
            return {}
        first = self.settings.metrics_port or DEFAULT_METRICS_PORT
        return {name: first + i for i, name in enumerate(self.services)}

    def metrics_url(self, service: str) -> str | None:
        port = self.metrics_ports.get(service)
        return f"http://{self._metrics_host}:{port}/metrics" if port else None

    @property
    def _metrics_host(self) -> str:
        return "127.0.0.1" if self.settings.metrics_host in ("0.0.0.0", "::") else self.settings.metrics_host

    def api_listening(self) -> bool:
        return port_open(self.settings.gateway_port, self._api_host)

    @property
    def label(self) -> str:
        """Before each line it prints, when several deployments print to the same terminal."""
        return f"[{self.settings.deployment_id}] " if self.topology_file else ""

    def _change_port(self, variable: str, key: str) -> str:
        if self.topology_file:
            return f"sửa {key} của {self.settings.deployment_id} trong {self.topology_file}"
        return f"đặt {variable} sang cổng khác"

    def start_servers(self) -> None:
        self.stop_stale_services()
        if self.api_url and self.api_listening():
            raise RuntimeError(
                f"{self.label}Cổng {self.settings.gateway_port} của API đang bị chiếm bởi một chương trình khác; "
                f"{self._change_port('KETNAP_GATEWAY_PORT', 'gateway_port')}."
            )
        for name, port in self.metrics_ports.items():
            if port_open(port, self._metrics_host):
                raise RuntimeError(
                    f"{self.label}Cổng {port} (số liệu của {name}) đang bị chiếm bởi một chương trình khác; "
                    f"{self._change_port('KETNAP_METRICS_PORT', 'metrics_port')} (hoặc 0 để tắt số liệu)."
                )
        if self.settings.uses_external_servers:
            print(f"Dùng máy chủ có sẵn: NATS {self.settings.nats_url}, PostgreSQL (DATABASE_URL)")
            return
        data = self.settings.data_dir
        self.postgres = EmbeddedPostgres(data / "postgres", self.settings.postgres_port)
        self.nats = EmbeddedNats(data / "nats", self.settings.nats_port, monitor_port=self.settings.nats_monitor_port, **self._federation_nats())
        self.postgres.stop_stale()
        self.nats.stop_stale()
        ports = {
            ("KETNAP_NATS_PORT", "nats_port"): self.settings.nats_port,
            ("KETNAP_NATS_MONITOR_PORT", "nats_monitor_port"): self.settings.nats_monitor_port,
            ("KETNAP_POSTGRES_PORT", "postgres_port"): self.settings.postgres_port,
            ("KETNAP_LEAF_PORT", "leaf_port"): self.settings.leaf_port,
        }
        for (variable, key), port in ports.items():
            if port and port_open(port):
                raise RuntimeError(
                    f"{self.label}Cổng {port} đang bị chiếm bởi một chương trình khác; {self._change_port(variable, key)}."
                )
        print(f"{self.label}Khởi động PostgreSQL nhúng trên 127.0.0.1:{self.settings.postgres_port} ...", flush=True)
        self.postgres.start()
        print(f"{self.label}Khởi động NATS JetStream nhúng trên 127.0.0.1:{self.settings.nats_port} ...", flush=True)
        self.nats.start()
        self.server_started_at = dict.fromkeys(self.servers, time.monotonic())

    @property
    def servers(self) -> dict[str, EmbeddedNats | EmbeddedPostgres]:
        """The embedded servers this stack started, by the name users know them by."""
        started: dict[str, EmbeddedNats | EmbeddedPostgres] = {}
        if self.postgres:
            started["PostgreSQL"] = self.postgres
        if self.nats:
            started["nats-server"] = self.nats
        return started

    def _federation_nats(self) -> dict[str, object]:
        """A deployment joined to others: its id as JetStream domain (the upper one reaches its
        streams as `$JS.<id>.API`) and its leaf-node ends. A single deployment stays as it was."""
        if not self.settings.federated:
            return {}
        return {
            "server_name": f"ketnap-{self.settings.deployment_id}",
            "domain": self.settings.deployment_id,
            "leaf_port": self.settings.leaf_port,
            "upper_leaf_url": self.settings.upper_leaf_url,
        }

    def bootstrap(self) -> None:
        from ketnap.services import all_services

        settings = self.settings.model_copy(update={"nats_url": self.nats_url})
        embedded = self.postgres.url("postgres") if self.postgres else None
        asyncio.run(bootstrap(settings, all_services(self.settings), embedded_server_url=embedded))

    def service_env(self, name: str) -> dict[str, str]:
        """What a service process reads: this deployment's settings, whatever the shell exported
        (a topology's deployments differ from each other and from the shell in all of these)."""
        env = dict(os.environ)
        env.update(
            NATS_URL=self.nats_url,
            DATABASE_URL=self.service_database_url(name),
            KETNAP_DEPLOYMENT=self.settings.deployment_id,
            KETNAP_LOG_FORMAT=self.settings.log_format,
            PYTHONPATH=str(Path(__file__).resolve().parent.parent),
        )
        deployment = {
            "KETNAP_DATA_DIR": self.settings.data_dir,
            "KETNAP_NATS_PORT": self.settings.nats_port,
            "KETNAP_NATS_MONITOR_PORT": self.settings.nats_monitor_port,
            "KETNAP_POSTGRES_PORT": self.settings.postgres_port,
            "KETNAP_GATEWAY_PORT": self.settings.gateway_port,
            "KETNAP_GATEWAY_HOST": self.settings.gateway_host,
            "KETNAP_METRICS_PORT": self.metrics_ports.get(name),
            "KETNAP_METRICS_HOST": self.settings.metrics_host,
            "KETNAP_LOG_LEVEL": self.settings.log_level,
            "KETNAP_UPPER": self.settings.upper_deployment,
            "KETNAP_LOWERS": ",".join(self.settings.lower_deployments),
            "KETNAP_FURTHER_BELOW": ",".join(f"{origin}@{via}" for origin, via in self.settings.further_below),
            "KETNAP_LEAF_PORT": self.settings.leaf_port,
            "KETNAP_UPPER_LEAF_URL": self.settings.upper_leaf_url,
        }
        for variable, value in deployment.items():
            if value in (None, ""):
                env.pop(variable, None)  # not inherited from the shell either
            else:
                env[variable] = str(value)
        return env

    def start_services(self) -> None:
        logs = self.settings.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for name in self.services:
            process = ServiceProcess(name, self.service_env(name), logs / f"{name}.log")
            process.start()
            self.processes.append(process)
        self.write_state()

    def write_state(self) -> None:
        state = {
            "pid": os.getpid(),
            "nats_url": self.nats_url,
            "database_url": self.admin_database_url(),
            "services": {p.name: p.process.pid if p.process else None for p in self.processes},
            "servers": {name: server.pid for name, server in self.servers.items()},
            "logs": str(self.settings.data_dir / "logs"),
            # What the CLI needs to see this deployment as its services do (`ketnap status`,
            # `projections rebuild` on a deployment of a topology, found by its data folder).
            "links": {
                "deployment": self.settings.deployment_id,
                "upper": self.settings.upper_deployment,
                "lowers": list(self.settings.lower_deployments),
                "further_below": [list(pair) for pair in self.settings.further_below],
            },
        }
        state_file(self.settings.data_dir).write_text(json.dumps(state, indent=2))

    def supervise_once(self) -> None:
        """A server or service that died is started again (servers first: the services need them),
        with a short pause so a crash loop stays visible. Asking a dead child for its exit code
        reaps it: none stays a zombie until the stack stops."""
        for name, server in self.servers.items():
            code = server.exit_code()
            if code is None:
                continue
            if time.monotonic() - self.server_started_at.get(name, 0.0) < 2:
                time.sleep(RESTART_PAUSE_SECONDS)
            self.server_restarts[name] = self.server_restarts.get(name, 0) + 1
            print(restarted_message(self.label, name, code, self.server_restarts[name], server.log_path), flush=True)
            try:
                server.start()
            except (RuntimeError, TimeoutError, OSError, subprocess.CalledProcessError) as error:
                # Tried again on the next round; the services meanwhile wait for it.
                print(f"{self.label}{name} chưa khởi động lại được: {error}", flush=True)
            self.server_started_at[name] = time.monotonic()
            self.write_state()
        for process in self.processes:
            if process.process is not None and process.process.poll() is not None:
                code = process.process.returncode
                if time.monotonic() - process.started_at < 2:
                    time.sleep(RESTART_PAUSE_SECONDS)
                process.restarts += 1
                print(restarted_message(self.label, process.name, code, process.restarts, process.log_path), flush=True)
                process.start()
                self.write_state()

    def terminate_services(self) -> None:
        for process in self.processes:
            process.terminate()

    def stop(self, timeout: float = SERVICES_STOP_SECONDS) -> None:
        """Every service at once, each given until the same deadline (one after the other, a
        topology's twenty-odd services could take minutes); then the servers they used."""
        self.terminate_services()
        deadline = time.monotonic() + timeout
        for process in self.processes:
            process.wait_or_kill(deadline)
        if self.nats:
            self.nats.stop()
        if self.postgres:
            self.postgres.stop()
        state_file(self.settings.data_dir).unlink(missing_ok=True)


async def _wait_answering(stacks: list[Stack], timeout: float) -> None:
    """Every service of every stack answers its status query on its own deployment's NATS.

    With several deployments each one is asked on its own server: the leaf-node deny lists keep
    service subjects inside a deployment, so an answer can only come from that deployment's own
    service. Every stack is supervised meanwhile, so a crash anywhere is restarted, not waited on.
    """
    import nats

    from ketnap.platform.bus import subjects

    clients = [await nats.connect(stack.nats_url, name="ketnap-up") for stack in stacks]
    waiting = {(i, p.name) for i, stack in enumerate(stacks) for p in stack.processes}
    deadline = time.monotonic() + timeout

    def supervise() -> None:
        for stack in stacks:
            stack.supervise_once()

    try:
        while waiting and time.monotonic() < deadline:
            for i, name in sorted(waiting):
                try:
                    await clients[i].request(subjects.status_subject(name), b"{}", timeout=0.5)
                    waiting.discard((i, name))
                except Exception:  # noqa: BLE001 - not up yet
                    pass
            supervise()
            if waiting:
                await asyncio.sleep(0.2)
        # The gateway answers on the bus a moment before its HTTP server listens: wait for both.
        while any(s.api_url and not s.api_listening() for s in stacks) and time.monotonic() < deadline:
            supervise()
            await asyncio.sleep(0.1)
    finally:
        for client in clients:
            await client.close()
    if waiting:
        names = ", ".join(f"{stacks[i].label}{name}" for i, name in sorted(waiting))
        raise RuntimeError(f"Dịch vụ không phản hồi sau {timeout:.0f} giây: {names}; xem nhật ký.")
    for stack in stacks:
        if stack.api_url and not stack.api_listening():
            raise RuntimeError(
                f"{stack.label}API chưa mở cổng {stack.settings.gateway_port} sau {timeout:.0f} giây; xem nhật ký gateway."
            )


def _store_is_empty(database_url: str) -> bool:
    """No organisation recorded yet: a first start, where the demo is worth offering."""
    from ketnap.operations.demo.load import registry_holds_organisations

    try:
        return not asyncio.run(registry_holds_organisations(database_url))
    except (OSError, asyncpg.PostgresError):
        return False  # only an offer: never stop the stack over it


def typed_command(program: str | None = None, folder: Path | None = None) -> str:
    """How to type the `ketnap` this process runs as: `ketnap` when that is what the PATH finds,
    else its path from the current folder (`make run` leaves it in .venv/bin, off the PATH)."""
    import shutil

    program = program or sys.argv[0]
    if Path(program).name != "ketnap":  # `python -m ketnap.operations.cli`: the script installed beside this Python
        program = str(Path(sys.executable).parent / "ketnap")
    found = shutil.which("ketnap")
    if found and Path(found).resolve() == Path(program).resolve():
        return "ketnap"
    try:
        return str(Path(program).absolute().relative_to((folder or Path.cwd()).absolute()))
    except ValueError:
        return str(Path(program).absolute())


def print_summary(stack: Stack) -> None:
    ketnap = typed_command()
    print()
    print("Ketnap đang chạy.")
    print(f"  NATS        {stack.nats_url}")
    print(f"  PostgreSQL  {with_database(stack.admin_database_url(), DATABASE_NAME)}")
    print(f"  Dữ liệu     {stack.settings.data_dir}")
    print(f"  Nhật ký     {stack.settings.data_dir / 'logs'}")
    if stack.api_url:
        print(f"  Ứng dụng    {stack.api_url}  (đăng nhập bằng tài khoản của `{ketnap} users add ... --password`; dữ liệu mẫu: `{ketnap} demo`)")
        print(f"  API         {stack.api_url}/api/v1 (tài liệu: {stack.api_url}/docs)")
    for process in stack.processes:
        metrics = stack.metrics_url(process.name)
        print(f"  {process.name:<14}pid {process.process.pid if process.process else '-'}" + (f"  số liệu {metrics}" if metrics else ""))
    if _store_is_empty(with_database(stack.admin_database_url(), DATABASE_NAME)):
        print(f"Kho dữ liệu đang trống. Để xem ngay báo cáo thật, nạp một tổ chức mẫu có hồ sơ ở nhiều bước: {ketnap} demo")
    print(f"Xem trạng thái: {ketnap} status   ·   Dừng: Ctrl-C")
    print(flush=True)


def print_topology_summary(topology: Topology, stacks: list[Stack]) -> None:
    """One block per deployment: what it is, where its servers and API are, whom it joins."""
    ketnap = typed_command()
    print()
    print(f"Ketnap đang chạy {len(stacks)} đơn vị triển khai (tệp cấu trúc {stacks[0].topology_file}).")
    for stack in stacks:
        settings = stack.settings
        root = topology.get(settings.deployment_id).root
        print()
        print(f"{settings.deployment_id}" + (f"  (gốc: {root})" if root else ""))
        domain = f"  (JetStream domain {settings.deployment_id})" if settings.federated else ""
        print(f"  NATS        {stack.nats_url}{domain}")
        print(f"  PostgreSQL  {with_database(stack.admin_database_url(), DATABASE_NAME)}")
        if stack.api_url:
            print(f"  Ứng dụng    {stack.api_url}  (đăng nhập bằng tài khoản của `{ketnap} users add ... --password`; dữ liệu mẫu: `{ketnap} demo`)")
        print(f"  API         {stack.api_url}/api/v1 (tài liệu: {stack.api_url}/docs)")
        if settings.upper_deployment:
            print(f"  Nối lên     {settings.upper_deployment} qua {settings.upper_leaf_url}")
        else:
            print("  Nối lên     (cấp cao nhất)")
        if settings.lower_deployments:
            print(f"  Cấp dưới    {', '.join(settings.lower_deployments)} (nối vào 127.0.0.1:{settings.leaf_port})")
        if settings.further_below:
            print(f"  Xa hơn      {', '.join(f'{origin} (qua {via})' for origin, via in settings.further_below)}")
        print(f"  Dữ liệu     {settings.data_dir}")
        print(f"  Dịch vụ     {', '.join(p.name for p in stack.processes)}")
    first = stacks[0].settings.data_dir
    print()
    print(f"Xem trạng thái một đơn vị: KETNAP_DATA_DIR={first} {ketnap} status   ·   Dừng tất cả: Ctrl-C")
    print(flush=True)


def up(settings: Settings, services: list[str]) -> int:
    stack = Stack(settings, services)
    return _run([stack], lambda: print_summary(stack))


def up_topology(topology_file: Path, base: Settings) -> int:
    """Every deployment of a topology file, upper before lower; Ctrl-C stops them all."""
    try:
        topology = Topology.load(topology_file)
    except TopologyError as error:
        print(str(error), file=sys.stderr)
        return 2
    stacks = []
    for deployment in topology.deployments:
        settings = topology.settings_for(deployment.id, base)
        stacks.append(Stack(settings, list(settings.services), topology_file=Path(topology_file).resolve()))
    return _run(stacks, lambda: print_topology_summary(topology, stacks))


def _run(stacks: list[Stack], summary: Callable[[], None]) -> int:
    """Start `stacks` (upper deployments first), supervise them until Ctrl-C, stop them (lower first)."""
    locks: list[RunLock] = []
    for stack in stacks:
        lock = RunLock(stack.settings.data_dir)
        try:
            lock.acquire()
        except AlreadyRunning as running:
            for held in locks:
                held.release()
            print(
                f"Ketnap đã đang chạy (pid {running}) với thư mục dữ liệu {stack.settings.data_dir}. "
                "Dừng phiên đó bằng Ctrl-C trong cửa sổ của nó, hoặc xem `ketnap status`.",
                file=sys.stderr,
            )
            return 1
        locks.append(lock)
    stopping = False

    def request_stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        # Upper first: a lower deployment's leaf node then finds its upper listening.
        for stack in stacks:
            stack.start_servers()
        # Lower first: an upper deployment's streams source the lower ones', and a source that
        # does not exist yet is retried only after nats-server's backoff (10 s, 20 s, ...).
        for stack in reversed(stacks):
            stack.bootstrap()
        for stack in stacks:
            stack.start_services()
        # Say "running" only once every service answers on the bus, as users take it to mean.
        asyncio.run(_wait_answering(stacks, 90.0 + 30.0 * (len(stacks) - 1)))
        summary()
        while not stopping:
            for stack in stacks:
                stack.supervise_once()
            time.sleep(0.5)
        print("Đang dừng mọi tiến trình ...", flush=True)
        return 0
    except (RuntimeError, TimeoutError, OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", None) or ""
        print(f"Không khởi động được: {error} {detail}".strip(), file=sys.stderr)
        return 1
    finally:
        # Every deployment's services are told at once, so they wind down side by side; then each
        # deployment, lower first, waits for its own (its own deadline) and stops its servers.
        for stack in reversed(stacks):
            stack.terminate_services()
        for stack in reversed(stacks):
            stack.stop()
        for lock in locks:
            lock.release()
        print("Đã dừng.", flush=True)
