-- Ketnap's database, its owner role, the migrator who may assume it, and one login role per
-- service, on a real PostgreSQL.
--
-- The official postgres image runs this once, as the superuser connected to "postgres", when it
-- creates a new data directory (docker-compose.yml mounts it in /docker-entrypoint-initdb.d).
-- On an existing server run it by hand with the PG_*_PASSWORD variables in the environment:
--   psql -X -v ON_ERROR_STOP=1 -U postgres -d postgres -f deploy/postgres/init.sql
-- Running it again is safe: it creates what is missing and resets the passwords.
-- Needs psql 15 or later (\getenv); tests/deploy runs it against a real server.
--
-- Event tables are not made here: the application's migrations (`ketnap bootstrap`, logged in as
-- ketnap_migrator, which runs SET ROLE ketnap_owner) create them and grant each service only
-- SELECT and INSERT on its own log.
--
-- Who can switch a log's guard off (ALTER TABLE ... DISABLE TRIGGER needs the table's owner):
-- ketnap_owner, which nobody logs in as (NOLOGIN); ketnap_migrator only after an explicit
-- SET ROLE ketnap_owner (it does not inherit the owner's rights), so only the one-shot bootstrap
-- holds that power; the superuser. No service role can (tests/deploy proves each).

\set ON_ERROR_STOP on

-- Passwords come from the environment so that no secret lives in the repository.
\getenv migrator_password PG_MIGRATOR_PASSWORD
\getenv registry_password PG_REGISTRY_PASSWORD
\getenv dossiers_password PG_DOSSIERS_PASSWORD
\getenv verification_password PG_VERIFICATION_PASSWORD
\getenv voting_password PG_VOTING_PASSWORD
\getenv reporting_password PG_REPORTING_PASSWORD
\getenv gateway_password PG_GATEWAY_PASSWORD
-- Many levels (deploy/federation/); required even by a single deployment, so that one file serves both.
\getenv federation_password PG_FEDERATION_PASSWORD

-- An unset variable would be left in the SQL as literal text; make it empty so the check below
-- names it instead of failing on a syntax error.
\if :{?migrator_password} \else \set migrator_password '' \endif
\if :{?registry_password} \else \set registry_password '' \endif
\if :{?dossiers_password} \else \set dossiers_password '' \endif
\if :{?verification_password} \else \set verification_password '' \endif
\if :{?voting_password} \else \set voting_password '' \endif
\if :{?reporting_password} \else \set reporting_password '' \endif
\if :{?gateway_password} \else \set gateway_password '' \endif
\if :{?federation_password} \else \set federation_password '' \endif

-- Stop before creating anything: an empty password would leave a role nobody can log in as.
SELECT string_agg(name, ', ' ORDER BY name) AS missing_passwords
FROM (VALUES
    ('PG_MIGRATOR_PASSWORD', :'migrator_password'),
    ('PG_REGISTRY_PASSWORD', :'registry_password'),
    ('PG_DOSSIERS_PASSWORD', :'dossiers_password'),
    ('PG_VERIFICATION_PASSWORD', :'verification_password'),
    ('PG_VOTING_PASSWORD', :'voting_password'),
    ('PG_REPORTING_PASSWORD', :'reporting_password'),
    ('PG_GATEWAY_PASSWORD', :'gateway_password'),
    ('PG_FEDERATION_PASSWORD', :'federation_password')
) AS required(name, value)
WHERE value = '' \gset
\if :{?missing_passwords}
    \warn 'init.sql: these environment variables must be set and non-empty:' :missing_passwords
    DO $$ BEGIN RAISE EXCEPTION 'ketnap init.sql: missing role passwords (see deploy/env.example)'; END $$;
\endif

-- Roles are cluster-wide, so they come before the database. The attributes are restated on every
-- run so a role changed by hand is brought back to least privilege.
SELECT format('CREATE ROLE %I', role)
FROM unnest(ARRAY['ketnap_owner', 'ketnap_migrator', 'ketnap_registry', 'ketnap_dossiers', 'ketnap_verification',
                  'ketnap_voting', 'ketnap_reporting', 'ketnap_gateway', 'ketnap_federation']) AS role
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role) \gexec

-- ketnap_owner owns the database and every schema: migrations run as it, and it makes each
-- service's `<schema>_shadow` schema for `rebuild --verify`. Nobody logs in as it (a password
-- set by an earlier version of this file is removed); ketnap_migrator assumes it explicitly,
-- without inheriting its rights, so a connection of the migrator can do nothing of the owner's
-- until it says SET ROLE ketnap_owner.
ALTER ROLE ketnap_owner NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD NULL;
ALTER ROLE ketnap_migrator LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'migrator_password';
GRANT ketnap_owner TO ketnap_migrator WITH INHERIT FALSE, SET TRUE;
ALTER ROLE ketnap_registry LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'registry_password';
ALTER ROLE ketnap_dossiers LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'dossiers_password';
ALTER ROLE ketnap_verification LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'verification_password';
ALTER ROLE ketnap_voting LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'voting_password';
ALTER ROLE ketnap_reporting LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'reporting_password';
ALTER ROLE ketnap_gateway LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'gateway_password';
ALTER ROLE ketnap_federation LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'federation_password';

-- UTF8 whatever the server's default: names and reasons are Vietnamese.
SELECT 'CREATE DATABASE ketnap OWNER ketnap_owner ENCODING ''UTF8'' TEMPLATE template0'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'ketnap') \gexec
ALTER DATABASE ketnap OWNER TO ketnap_owner;

\connect ketnap

-- PostgreSQL lets PUBLIC connect to a new database and create temporary tables: only our roles
-- may connect, and the services need no temporary tables.
REVOKE ALL ON DATABASE ketnap FROM PUBLIC;
GRANT CONNECT ON DATABASE ketnap TO ketnap_migrator, ketnap_registry, ketnap_dossiers, ketnap_verification,
    ketnap_voting, ketnap_reporting, ketnap_gateway, ketnap_federation;
-- Already the default since PostgreSQL 15; restated for an older server.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- One schema per service, owned by ketnap_owner. A service may use and create in its own schema
-- (its projections and checkpoints) and has no right at all on another's: services share
-- nothing but NATS.
CREATE SCHEMA IF NOT EXISTS registry AUTHORIZATION ketnap_owner;
CREATE SCHEMA IF NOT EXISTS dossiers AUTHORIZATION ketnap_owner;
CREATE SCHEMA IF NOT EXISTS verification AUTHORIZATION ketnap_owner;
CREATE SCHEMA IF NOT EXISTS voting AUTHORIZATION ketnap_owner;
CREATE SCHEMA IF NOT EXISTS reporting AUTHORIZATION ketnap_owner;
CREATE SCHEMA IF NOT EXISTS gateway AUTHORIZATION ketnap_owner;
-- The federation service's own schema (its checkpoints and integrity alarms). The logs it keeps from the linked
-- deployments, <service>_at_<deployment>, get their schemas from `ketnap bootstrap`, which
-- knows the links (KETNAP_UPPER, KETNAP_LOWERS) and grants each only as far as needed.
CREATE SCHEMA IF NOT EXISTS federation AUTHORIZATION ketnap_owner;

GRANT USAGE, CREATE ON SCHEMA registry TO ketnap_registry;
GRANT USAGE, CREATE ON SCHEMA dossiers TO ketnap_dossiers;
GRANT USAGE, CREATE ON SCHEMA verification TO ketnap_verification;
GRANT USAGE, CREATE ON SCHEMA voting TO ketnap_voting;
GRANT USAGE, CREATE ON SCHEMA reporting TO ketnap_reporting;
GRANT USAGE, CREATE ON SCHEMA gateway TO ketnap_gateway;
GRANT USAGE, CREATE ON SCHEMA federation TO ketnap_federation;

-- Unqualified names land in the service's own schema rather than in public.
ALTER ROLE ketnap_registry IN DATABASE ketnap SET search_path = registry;
ALTER ROLE ketnap_dossiers IN DATABASE ketnap SET search_path = dossiers;
ALTER ROLE ketnap_verification IN DATABASE ketnap SET search_path = verification;
ALTER ROLE ketnap_voting IN DATABASE ketnap SET search_path = voting;
ALTER ROLE ketnap_reporting IN DATABASE ketnap SET search_path = reporting;
ALTER ROLE ketnap_gateway IN DATABASE ketnap SET search_path = gateway;
ALTER ROLE ketnap_federation IN DATABASE ketnap SET search_path = federation;
