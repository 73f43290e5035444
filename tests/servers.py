"""Real NATS and PostgreSQL for the tests: URLs from the environment, else testcontainers when a
Docker daemon answers, else the embedded binaries (what this machine and CI use)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ketnap.operations.bootstrap import with_database
from ketnap.operations.embedded import EmbeddedNats, EmbeddedPostgres, free_port, server_versions


@dataclass
class Servers:
    nats_url: str
    postgres_url: str
    """A superuser URL to the server's `postgres` database."""
    nats: EmbeddedNats | None = None
    postgres: EmbeddedPostgres | None = None

    @property
    def embedded(self) -> bool:
        """Fault tests (kill and restart a server) need servers this process controls."""
        return self.nats is not None and self.postgres is not None


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:  # noqa: BLE001 - no engine: fall through to the embedded servers
        return False


@contextmanager
def _containers() -> Iterator[Servers]:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs
    from testcontainers.postgres import PostgresContainer

    # The servers the embedded default runs, so every way of testing runs one version of each.
    nats_version, postgres_version = server_versions()
    # Long enough for Settings, which refuses a short password in a URL.
    password = "postgres-test-password"
    with PostgresContainer(f"postgres:{postgres_version}-alpine", username="postgres", password=password, dbname="postgres") as pg, \
            DockerContainer(f"nats:{nats_version}-alpine").with_command("-js -sd /data").with_exposed_ports(4222) as nats_container:
        wait_for_logs(nats_container, "Server is ready", timeout=30)
        nats_url = f"nats://{nats_container.get_container_host_ip()}:{nats_container.get_exposed_port(4222)}"
        pg_url = f"postgresql://postgres:{password}@{pg.get_container_host_ip()}:{pg.get_exposed_port(5432)}/postgres"
        yield Servers(nats_url, pg_url)


@contextmanager
def _embedded(root: Path) -> Iterator[Servers]:
    postgres = EmbeddedPostgres(root / "postgres", free_port())
    nats = EmbeddedNats(root / "nats", free_port())
    postgres.start()
    try:
        nats.start()
        try:
            yield Servers(nats.url, postgres.url("postgres"), nats=nats, postgres=postgres)
        finally:
            nats.stop()
    finally:
        postgres.stop()


@contextmanager
def real_servers(root: Path) -> Iterator[Servers]:
    if os.environ.get("NATS_URL") and os.environ.get("DATABASE_URL"):
        yield Servers(os.environ["NATS_URL"], with_database(os.environ["DATABASE_URL"], "postgres"))
    elif _docker_answers():
        with _containers() as servers:
            yield servers
    else:
        with _embedded(root) as servers:
            yield servers
