"""The DDL of a service's schema: its append-only event log and the platform's bookkeeping tables."""

from __future__ import annotations

import re

import asyncpg

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


def checked_identifier(name: str) -> str:
    """Schema and role names are interpolated into DDL, so only plain identifiers pass."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


def service_role(service: str) -> str:
    return f"ketnap_{checked_identifier(service)}"


def shadow_schema(schema: str) -> str:
    return f"{checked_identifier(schema)}_shadow"


def _events_ddl(schema: str) -> str:
    return f"""
CREATE TABLE IF NOT EXISTS {schema}.events (
    position        bigint      PRIMARY KEY,
    stream_id       text        NOT NULL,
    stream_version  integer     NOT NULL CHECK (stream_version > 0),
    event_id        uuid        NOT NULL UNIQUE,
    event_type      text        NOT NULL,
    schema_version  integer     NOT NULL,
    data            jsonb       NOT NULL,
    actor           text        NOT NULL,
    organisation    text,
    correlation_id  uuid,
    causation_id    uuid,
    recorded_at     timestamptz NOT NULL,
    previous_hash   text        NOT NULL,
    hash            text        NOT NULL,
    traceparent     text,
    data_text       text,
    UNIQUE (stream_id, stream_version)
);
-- Added after the table (ketnap.platform.tracing): a log created before gains it, its rows NULL.
-- Outside the hash, so the chains already recorded stay valid.
ALTER TABLE {schema}.events ADD COLUMN IF NOT EXISTS traceparent text;
-- The exact text of `data` that the hash covers (the jsonb keeps neither key order nor spacing):
-- the audit hashes it as stored and checks that `data` is its parse (ketnap.platform.chainwalk).
-- Added after the table: rows appended before keep NULL and are checked by encoding `data` again.
ALTER TABLE {schema}.events ADD COLUMN IF NOT EXISTS data_text text;

-- The log is the audit trail: the database itself refuses to change it, whoever asks.
CREATE OR REPLACE FUNCTION {schema}.refuse_event_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log %.events is append-only: % refused', TG_TABLE_SCHEMA, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE OR REPLACE TRIGGER events_refuse_update_delete
    BEFORE UPDATE OR DELETE ON {schema}.events
    FOR EACH ROW EXECUTE FUNCTION {schema}.refuse_event_change();
CREATE OR REPLACE TRIGGER events_refuse_truncate
    BEFORE TRUNCATE ON {schema}.events
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.refuse_event_change();
"""


def _bookkeeping_ddl(schema: str) -> str:
    return f"""
CREATE SCHEMA IF NOT EXISTS {schema};
CREATE SCHEMA IF NOT EXISTS {schema}_shadow;

-- How far this service's relay has published its log to JetStream.
CREATE TABLE IF NOT EXISTS {schema}.relay_checkpoint (
    relay     text   PRIMARY KEY,
    position  bigint NOT NULL
);

-- How far each consumer of this service has applied each source log; updated in the same
-- transaction as the consumer's effect, so an effect happens once however often it is delivered.
CREATE TABLE IF NOT EXISTS {schema}.consumer_checkpoints (
    consumer  text   NOT NULL,
    source    text   NOT NULL,
    position  bigint NOT NULL,
    PRIMARY KEY (consumer, source)
);
-- The hash of the event at `position`: the next event applied must name it as its previous hash
-- (ketnap.platform.chain). NULL when whoever moved the checkpoint did not know it (a rebuild):
-- the runner then reads it from the source log.
ALTER TABLE {schema}.consumer_checkpoints ADD COLUMN IF NOT EXISTS hash text;

-- The result of each command that gave one (a dossier's id, a tally), kept with its first event
-- in the transaction that appended it: a command retried after its reply was lost answers with it.
CREATE TABLE IF NOT EXISTS {schema}.command_results (
    event_id  uuid  PRIMARY KEY,
    result    jsonb NOT NULL
);

-- Messages that can never be applied, kept with the reason; reported by `ketnap status`.
CREATE TABLE IF NOT EXISTS {schema}.dead_letters (
    consumer     text        NOT NULL,
    source       text        NOT NULL,
    position     bigint      NOT NULL,
    event_id     uuid,
    reason       text        NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, source, position)
);

-- Messages that were not the next link of their source's chain (forged, altered, out of line):
-- never applied; kept until an operator acknowledges them (ketnap.platform.alarms).
CREATE TABLE IF NOT EXISTS {schema}.integrity_alarms (
    id               bigserial   PRIMARY KEY,
    consumer         text        NOT NULL,
    source           text        NOT NULL,
    subject          text        NOT NULL,
    position         bigint      NOT NULL,
    kind             text        NOT NULL,
    detail           text        NOT NULL,
    received_hash    text        NOT NULL,
    first_seen       timestamptz NOT NULL DEFAULT now(),
    last_seen        timestamptz NOT NULL DEFAULT now(),
    times            integer     NOT NULL DEFAULT 1,
    acknowledged_at  timestamptz,
    acknowledged_by  text,
    UNIQUE (consumer, source, position, kind, received_hash)
);
-- Added after the table: a deployment bootstrapped before keeps its rows and gains the column.
ALTER TABLE {schema}.integrity_alarms ADD COLUMN IF NOT EXISTS acknowledged_reason text;
"""


def _events_grants_ddl(schema: str, role: str) -> str:
    return f"""
REVOKE ALL ON {schema}.events FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON {schema}.events FROM {role};
GRANT SELECT, INSERT ON {schema}.events TO {role};
"""


def _bookkeeping_grants_ddl(schema: str, role: str) -> str:
    return f"""
GRANT USAGE, CREATE ON SCHEMA {schema} TO {role};
GRANT USAGE, CREATE ON SCHEMA {schema}_shadow TO {role};
GRANT SELECT, INSERT, UPDATE ON {schema}.relay_checkpoint TO {role};
GRANT SELECT, INSERT, UPDATE ON {schema}.consumer_checkpoints TO {role};
GRANT SELECT, INSERT ON {schema}.dead_letters TO {role};
GRANT SELECT, INSERT, UPDATE ON {schema}.integrity_alarms TO {role};
GRANT USAGE ON SEQUENCE {schema}.integrity_alarms_id_seq TO {role};
GRANT SELECT, INSERT ON {schema}.command_results TO {role};
"""


async def ensure_role(conn: asyncpg.Connection, role: str, password: str | None = None) -> None:
    """Create a login role if it is missing (embedded mode; real deployments create roles in deploy/)."""
    checked_identifier(role)
    exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
    if not exists:
        await conn.execute(f"CREATE ROLE {role} LOGIN")
    if password:
        literal = await conn.fetchval("SELECT quote_literal($1)", password)
        await conn.execute(f"ALTER ROLE {role} PASSWORD {literal}")


async def migrate_service(conn: asyncpg.Connection, schema: str, role: str | None = None, *, owns_log: bool = True) -> None:
    """Create (or bring up to date) a service's schema: its log if it owns one, and bookkeeping.

    Runs as the owner of the schema; `role` is the service's own login role, which may read
    and append to its log but never change it. Safe to run again.
    """
    checked_identifier(schema)
    # One migration at a time: CREATE ... IF NOT EXISTS is not safe against itself in parallel.
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('ketnap.migrate'))")
        await conn.execute(_bookkeeping_ddl(schema))
        if owns_log:
            await conn.execute(_events_ddl(schema))
        if role:
            await conn.execute(_bookkeeping_grants_ddl(schema, checked_identifier(role)))
            if owns_log:
                await conn.execute(_events_grants_ddl(schema, role))
