"""`ketnap backup` / `ketnap restore`: the driven deployment backed up, destroyed (a new empty
database and deployment), restored; the same projections, every chain intact; a tampered backup
refused and the deployment left empty."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from ketnap.operations.backup import DUMP, BackupRefused, backup, restore, schemas_of
from ketnap.operations.bootstrap import bootstrap_database
from ketnap.platform.anchors import Anchorer, load_or_create_key
from ketnap.platform.bus.bootstrap import ensure_event_stream
from ketnap.platform.bus.relay import Relay
from ketnap.platform.eventstore import EventStore
from ketnap.platform.settings import Settings
from tests.conftest import new_database, unique
from tests.integration.demo.conftest import SOURCES, Scenario
from tests.integration.harness import _KEYS_DIR
from tests.integration.test_audit_verify import ketnap
from tests.servers import Servers


async def signed_backup(scenario: Scenario, servers: Servers, database_url: str, folder: Path) -> None:
    """Every log's head signed now (as the running services do every 30 s), then a backup."""
    settings = Settings(deployment_id=scenario.deployment, keys_dir=_KEYS_DIR)
    for role in SOURCES:
        name = scenario.services[role].name
        key = load_or_create_key(settings.signing_key_file(name))
        await Anchorer(scenario.pool, scenario.nc.jetstream(), name, scenario.deployment, key).sign_head()
    await backup(database_url, servers.nats_url, scenario.deployment, schemas_of(list(scenario.services.values())), folder)


async def empty_deployment(scenario: Scenario, servers: Servers) -> str:
    """What is left after the disk is lost: a new database, bootstrapped as `ketnap up` does."""
    url = await new_database(servers.postgres_url)
    await bootstrap_database(url, list(scenario.services.values()), create_roles=True)
    return url


async def rows(url: str, schema: str, table: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        return [r[0] for r in await conn.fetch(f"SELECT to_jsonb(t)::text FROM {schema}.{table} t ORDER BY 1")]
    finally:
        await conn.close()


async def test_backup_destroy_restore_gives_the_same_reports_and_intact_logs(
    scenario: Scenario, servers: Servers, database_url: str, tmp_path: Path,
) -> None:
    folder = tmp_path / "backup"
    await signed_backup(scenario, servers, database_url, folder)
    target = await empty_deployment(scenario, servers)
    deployment = unique("r")
    services = list(scenario.services.values())

    lines = await restore(folder, target, servers.nats_url, Settings(deployment_id=deployment, keys_dir=_KEYS_DIR), services)

    for role in SOURCES:
        [line] = [line for line in lines if line.startswith(scenario.services[role].name + ":")]
        assert "nguyên vẹn" in line and "khớp đầu đã ký" in line, lines
    compared = 0
    for service in services:
        for projection in service.projections:
            for table in projection.tables:
                before = await rows(database_url, projection.schema, table)
                assert await rows(target, projection.schema, table) == before, f"{projection.name}.{table}"
                compared += len(before)
    assert compared > 100
    for role in SOURCES:
        name = scenario.services[role].name
        assert await rows(target, name, "events") == await rows(database_url, name, "events")

    # The restored logs, published again by their relays to the new deployment's streams, pass `audit verify`.
    pool = await asyncpg.create_pool(target, min_size=1, max_size=2)
    try:
        for role in SOURCES:
            name = scenario.services[role].name
            await ensure_event_stream(scenario.nc.jetstream(), deployment, name, 120)
            await Relay(EventStore(pool, name), scenario.nc.jetstream(), name, deployment).publish_pending()
    finally:
        await pool.close()
    for role in SOURCES:
        result = ketnap(target, servers.nats_url, deployment, "audit", "verify", "--service", scenario.services[role].name, "--wait", "0")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "nguyên vẹn" in result.stdout


def tamper_actor(dump: Path, log: str, position: int) -> None:
    """Change one event's actor in the dump's COPY block of `log`'s events."""
    lines = dump.read_text().split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(f"COPY {log}.events "))
    fields = lines[start + position].split("\t")
    assert fields[0] == str(position)
    fields[7] += "-gia-mao"
    lines[start + position] = "\t".join(fields)
    dump.write_text("\n".join(lines))


async def test_a_tampered_backup_is_refused_and_the_deployment_stays_empty(
    scenario: Scenario, servers: Servers, database_url: str, tmp_path: Path,
) -> None:
    folder = tmp_path / "backup"
    await signed_backup(scenario, servers, database_url, folder)
    dossiers = scenario.services["dossiers"].name
    tamper_actor(folder / DUMP, dossiers, 5)
    target = await empty_deployment(scenario, servers)
    settings = Settings(deployment_id=unique("r"), keys_dir=_KEYS_DIR)

    with pytest.raises(BackupRefused, match=rf"{dossiers}: HỎNG tại vị trí 5"):
        await restore(folder, target, servers.nats_url, settings, list(scenario.services.values()))

    for service in scenario.services.values():
        for table in ("events", "consumer_checkpoints"):
            if service.owns_log or table != "events":
                assert await rows(target, service.name, table) == []


async def test_a_deployment_with_events_is_not_restored_into(
    scenario: Scenario, servers: Servers, database_url: str, tmp_path: Path,
) -> None:
    folder = tmp_path / "backup"
    await signed_backup(scenario, servers, database_url, folder)
    settings = Settings(deployment_id=scenario.deployment, keys_dir=_KEYS_DIR)

    with pytest.raises(BackupRefused, match="không trống"):
        await restore(folder, database_url, servers.nats_url, settings, list(scenario.services.values()))
