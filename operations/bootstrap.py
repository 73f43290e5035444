"""`ketnap bootstrap`: schemas, roles, streams and durable consumers, created once, before services start."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import asyncpg
import nats

from ketnap.platform.anchors import ensure_anchor_stream
from ketnap.platform.bus import subjects
from ketnap.platform.bus.bootstrap import ensure_consumers, ensure_dead_letter_stream, ensure_event_stream
from ketnap.platform.eventstore.schema import checked_identifier, ensure_role, migrate_service, service_role
from ketnap.platform.federation.links import Links
from ketnap.platform.federation.streams import ensure_link_streams
from ketnap.platform.logging import get_logger
from ketnap.platform.projections import create_tables
from ketnap.platform.service import Service
from ketnap.platform.settings import Settings

log = get_logger(__name__)

DATABASE_NAME = "ketnap"


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def with_user(url: str, user: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))


async def ensure_database(server_url: str, database: str = DATABASE_NAME) -> None:
    conn = await asyncpg.connect(with_database(server_url, "postgres"))
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
            await conn.execute(f"CREATE DATABASE {database} ENCODING 'UTF8' TEMPLATE template0")
            log.info("database created", database=database)
    finally:
        await conn.close()


async def bootstrap_database(database_url: str, services: list[Service], *, create_roles: bool, owner: str | None = None) -> None:
    """Migrate every service's schema as the owner; in embedded mode also create the service roles.

    With `owner`, the login role (deploy/'s ketnap_migrator) assumes it first: what migrations
    create belongs to the owner, a role nobody logs in as."""
    conn = await asyncpg.connect(database_url)
    try:
        if owner:
            await conn.execute(f"SET ROLE {checked_identifier(owner)}")
        for service in services:
            role = service_role(service.name)
            if create_roles:
                await ensure_role(conn, role)
            has_role = bool(await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role))
            await migrate_service(conn, service.name, role if has_role else None, owns_log=service.owns_log)
            for projection in service.projections:
                await create_tables(conn, projection, projection.schema)
            for table, columns in service.tables.items():
                await conn.execute(f"CREATE TABLE IF NOT EXISTS {service.name}.{checked_identifier(table)} ({columns})")
                if has_role:
                    await conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {service.name}.{table} TO {role}")
            for upgrade in service.upgrades:
                await conn.execute(upgrade)
            for kept in service.kept_logs:
                await migrate_service(conn, kept, role if has_role else None, owns_log=True)
        await _grant_log_reads(conn, services)
    finally:
        await conn.close()


async def _grant_log_reads(conn: asyncpg.Connection, services: list[Service]) -> None:
    """Logs kept from other deployments are read in place by every service of this one (the
    registry folds the upper deployment's tree into its own read model); the keeper (the
    federation service) reads this deployment's own logs to answer the deployments linked to it,
    and their integrity alarms to tell the level above."""

    async def grant(log_schema: str, service: Service) -> None:
        role = service_role(service.name)
        if await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
            await conn.execute(f"GRANT USAGE ON SCHEMA {log_schema} TO {role}")
            await conn.execute(f"GRANT SELECT ON {log_schema}.events TO {role}")

    for keeper in [s for s in services if s.kept_logs]:
        for kept in keeper.kept_logs:
            for reader in services:
                await grant(kept, reader)
        for owner in [s for s in services if s.owns_log]:
            await grant(owner.name, keeper)
            # It tells the level above the integrity alarms of this deployment's services too.
            if await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", service_role(keeper.name)):
                await conn.execute(f"GRANT SELECT ON {owner.name}.integrity_alarms TO {service_role(keeper.name)}")


async def bootstrap_streams(settings: Settings, services: list[Service]) -> None:
    assert settings.nats_url
    nc = await nats.connect(settings.nats_url, name="ketnap-bootstrap", inbox_prefix=subjects.inbox_prefix(settings.nats_url))
    try:
        js = nc.jetstream()
        for service in services:
            if service.owns_log:
                await ensure_event_stream(js, settings.deployment_id, service.name, settings.duplicate_window_seconds)
            for kept in service.kept_logs:
                await ensure_event_stream(js, settings.deployment_id, kept, settings.duplicate_window_seconds)
        await ensure_link_streams(js, Links.of(settings))
        await ensure_dead_letter_stream(js, settings.deployment_id)
        await ensure_anchor_stream(js, settings.deployment_id)
        for service in services:
            await ensure_consumers(js, settings.deployment_id, service.consumer_specs)
    finally:
        await nc.drain()


async def bootstrap(settings: Settings, services: list[Service], *, embedded_server_url: str | None = None) -> None:
    """Prepare the database and JetStream for `services`.

    With `embedded_server_url` (our own PostgreSQL), the database and the service roles are
    created first; a real deployment creates those in deploy/ and passes DATABASE_URL.
    """
    database_url = settings.database_url
    if embedded_server_url:
        await ensure_database(embedded_server_url)
        database_url = with_database(embedded_server_url, DATABASE_NAME)
    assert database_url, "DATABASE_URL is needed"
    await bootstrap_database(database_url, services, create_roles=embedded_server_url is not None, owner=settings.schema_owner)
    await bootstrap_streams(settings, services)
