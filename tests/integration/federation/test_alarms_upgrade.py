"""A deployment bootstrapped when the keepers kept their refusals in a table of their own
(`federation.alarms`): the next bootstrap moves them to the integrity alarms every service keeps,
where `ketnap alarms list` and `ketnap status` see them, and drops the old table."""

from __future__ import annotations

import asyncpg

from ketnap.operations.bootstrap import bootstrap_database
from ketnap.platform import alarms
from ketnap.platform.federation.links import Links
from ketnap.services.federation.service import build_service
from tests.conftest import new_database
from tests.servers import Servers

OLD_TABLE = """CREATE TABLE federation.alarms (
    kept_log text NOT NULL, origin text NOT NULL, position bigint NOT NULL, kind text NOT NULL, detail text NOT NULL,
    first_seen timestamptz NOT NULL DEFAULT now(), last_seen timestamptz NOT NULL DEFAULT now(),
    times integer NOT NULL DEFAULT 1, PRIMARY KEY (kept_log, position, kind))"""


async def test_the_old_alarms_of_the_keepers_become_integrity_alarms(servers: Servers) -> None:
    url = await new_database(servers.postgres_url)
    service = build_service(Links("tinh-ls", lowers=("xa-a",)))
    await bootstrap_database(url, [service], create_roles=False)
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(OLD_TABLE)
        await conn.execute(
            "INSERT INTO federation.alarms (kept_log, origin, position, kind, detail, times) VALUES"
            " ('registry_at_xa_a', 'xa-a', 7, 'broken_link', 'previous_hash', 3), ('dossiers_at_xa_a', 'xa-a', 2, 'gap', 'missing', 1)"
        )
        for _ in range(2):  # the upgrade is safe to run again
            await bootstrap_database(url, [service], create_roles=False)
        assert await conn.fetchval("SELECT to_regclass('federation.alarms')") is None
        (moved,) = await alarms.listed(conn, "federation")
    finally:
        await conn.close()
    # The gap was a delay that the keeper fills from the origin, not a refusal: it is not carried over.
    assert (moved.consumer, moved.source, moved.position, moved.kind, moved.times) == ("federation", "registry_at_xa_a", 7, "broken_link", 3)
    assert moved.describe().startswith("Nhật ký registry_at_xa_a, vị trí 7, kênh ketnap.xa-a.evt.registry.>: đứt mắt xích")
