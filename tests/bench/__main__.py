"""`python -m tests.bench [--events N]`: measure the platform against raw asyncpg and nats-py.

Not a test: nothing is asserted. Each figure is printed beside its baseline and the ratio, with
the aim from the platform issue, so a regression is visible in one run on any machine.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import nats

from ketnap.operations.bootstrap import ensure_database, with_database
from ketnap.platform.bus.bootstrap import ensure_event_stream
from ketnap.platform.bus.relay import Relay
from ketnap.platform.envelope import EventMetadata, NewEvent, dumps_data
from ketnap.platform.eventstore import EventStore
from ketnap.platform.eventstore.pool import create_pool
from ketnap.platform.eventstore.schema import migrate_service
from ketnap.platform.logging import configure_logging
from tests.bench import peer as peer_bench
from tests.bench.api import lifecycle_figures as api_lifecycle_figures
from tests.bench.federation import federation_figures, sourcing_resume_figures
from tests.bench.levels import level_figures
from tests.bench.reporting import rebuild_figures as reporting_rebuild_figures
from tests.bench.three_levels import three_level_figures
from tests.servers import real_servers

META = EventMetadata(actor="bench", organisation="CB-01")
DATA = {"citizen_id": "001203004567", "full_name": "Nguyễn Thị Minh Khai", "step": "introduction", "note": "x" * 120}


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline: float | None = None
    aim: str = ""

    def line(self) -> str:
        if self.baseline:
            ratio = self.value / self.baseline
            return f"{self.name:<46}{self.value:>12,.0f} {self.unit:<10}{self.baseline:>12,.0f} {self.unit:<10}{ratio:>6.2f}  {self.aim}"
        return f"{self.name:<46}{self.value:>12,.0f} {self.unit:<10}{'':>23}{'':>6}  {self.aim}"


def report(figure: Figure) -> Figure:
    print(figure.line(), flush=True)
    return figure


RAW_TABLE = """CREATE TABLE IF NOT EXISTS bench_raw.events (
    position bigserial PRIMARY KEY, stream_id text, stream_version int, event_id uuid UNIQUE, event_type text,
    schema_version int, data jsonb, actor text, organisation text, correlation_id uuid, causation_id uuid,
    recorded_at timestamptz DEFAULT now(), previous_hash text, hash text)"""


async def raw_row(i: int) -> tuple:
    return ("raw-" + str(i), 1, uuid.uuid4(), "Noted", 1, dumps_data(DATA), "bench", "CB-01", None, None, "0" * 64, "0" * 64)


RAW_INSERT = (
    "INSERT INTO bench_raw.events (stream_id, stream_version, event_id, event_type, schema_version, data, actor, "
    "organisation, correlation_id, causation_id, previous_hash, hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)"
)


async def single_appends(pool: asyncpg.Pool, schema: str, writers: int, each: int, round_: int = 0) -> float:
    store = EventStore(pool, schema)

    async def writer(w: int) -> None:
        for i in range(each):
            await store.append(f"w{w}-{i}-{round_}", 0, [NewEvent(event_type="Noted", data=DATA)], META)

    start = time.perf_counter()
    await asyncio.gather(*(writer(w) for w in range(writers)))
    return writers * each / (time.perf_counter() - start)


async def raw_single_commits(pool: asyncpg.Pool, writers: int, each: int) -> float:
    async def writer(w: int) -> None:
        for i in range(each):
            async with pool.acquire() as conn:
                await conn.execute(RAW_INSERT, *(await raw_row(w * each + i)))

    start = time.perf_counter()
    await asyncio.gather(*(writer(w) for w in range(writers)))
    return writers * each / (time.perf_counter() - start)


async def batch_appends(pool: asyncpg.Pool, schema: str, calls: int, size: int = 1000, round_: int = 0) -> float:
    store = EventStore(pool, schema)
    start = time.perf_counter()
    for call in range(calls):
        await store.append(f"batch-{call}-{round_}", 0, [NewEvent(event_type="Noted", data=DATA) for _ in range(size)], META)
    return calls * size / (time.perf_counter() - start)


async def raw_executemany(pool: asyncpg.Pool, calls: int, size: int = 1000) -> float:
    start = time.perf_counter()
    for call in range(calls):
        rows = [await raw_row(call * size + i) for i in range(size)]
        async with pool.acquire() as conn, conn.transaction():
            await conn.executemany(RAW_INSERT, rows)
    return calls * size / (time.perf_counter() - start)


async def read_decoded(pool: asyncpg.Pool, schema: str) -> tuple[float, int]:
    count = 0
    start = time.perf_counter()
    async for batch in EventStore(pool, schema).read_log(0, batch_size=5000):
        count += len(batch)
    return count / (time.perf_counter() - start), count


async def raw_read(pool: asyncpg.Pool, schema: str) -> float:
    count, position = 0, 0
    start = time.perf_counter()
    while True:
        async with pool.acquire() as conn:
            rows = await conn.fetch(f"SELECT * FROM {schema}.events WHERE position > $1 ORDER BY position LIMIT 5000", position)
        if not rows:
            break
        for row in rows:
            json.loads(row["data"])  # the standard library's, as every run since the first measured it
        count += len(rows)
        position = rows[-1]["position"]
    return count / (time.perf_counter() - start)


async def raw_sha256_rate(pool: asyncpg.Pool, schema: str) -> float:
    """SHA-256 alone over the bytes `audit verify` hashes (each event's previous hash and
    canonical encoding), built beforehand from the walk's own COPY lines and not timed: the
    ceiling of one process's verification."""
    from ketnap.platform.chainwalk import LINE, hashed_bytes

    rest, count, seconds = b"", 0, 0.0

    async def take(chunk: bytes) -> None:
        nonlocal rest, count, seconds
        *lines, rest = (rest + chunk).split(b"\n")
        encoded = [hashed_bytes(fields, fields[-1], exact=False) for fields in (line.split(b"\t") for line in lines)]
        start = time.perf_counter()
        for body in encoded:
            hashlib.sha256(body).hexdigest()
        seconds += time.perf_counter() - start
        count += len(encoded)

    async with pool.acquire() as conn:
        await conn.copy_from_query(f"SELECT {LINE} FROM {schema}.events ORDER BY position", output=take)
    return count / seconds


async def relay_rate(pool: asyncpg.Pool, schema: str, nats_url: str, deployment: str) -> float:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_event_stream(js, deployment, schema, 600)
    relay = Relay(EventStore(pool, schema), js, schema, deployment)
    start = time.perf_counter()
    count = await relay.publish_pending()
    elapsed = time.perf_counter() - start
    await nc.close()
    return count / elapsed


async def raw_publish_rate(nats_url: str, deployment: str, count: int, payload: bytes) -> float:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    stream = f"RAW_{deployment}".upper()
    from nats.js.api import StreamConfig

    await js.add_stream(StreamConfig(name=stream, subjects=[f"raw.{deployment}.>"], duplicate_window=600.0))
    start = time.perf_counter()
    for first in range(0, count, 1000):
        futures = [
            await js.publish_async(f"raw.{deployment}.Noted", payload, headers={"Nats-Msg-Id": str(uuid.uuid4())})
            for _ in range(min(1000, count - first))
        ]
        await asyncio.gather(*futures)
    elapsed = time.perf_counter() - start
    await nc.close()
    return count / elapsed


def timed_child(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a `ketnap` command in its own process: seconds taken and its own peak memory (MB)."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "ketnap.operations.cli", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    output = process.stdout.read() if process.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"ketnap {' '.join(args)} failed: {output}")
    return elapsed, usage.ru_maxrss / 1024, output


async def fill_log(pool: asyncpg.Pool, schema: str, events: int) -> None:
    store = EventStore(pool, schema)
    head = await store.head_position()
    call = 0
    while head < events:
        size = min(1000, events - head)
        await store.append(f"fill-{uuid.uuid4()}", 0, [NewEvent(event_type="Noted", data=DATA) for _ in range(size)], META)
        head += size
        call += 1
        if call % 100 == 0:
            print(f"  ... {head:,} / {events:,} events generated", file=sys.stderr, flush=True)


async def main(events: int, api_applicants: int, level_events: int, federation_events: int = 0, three_level_changes: int = 0) -> None:
    print(f"{'figure':<46}{'Ketnap':>23}{'baseline':>23}{'ratio':>6}  aim")
    if events:
        await platform_figures(events)
    if api_applicants:
        print(f"\ndriving {api_applicants} applicants through the HTTP API of a `ketnap up` stack ...", file=sys.stderr, flush=True)
        for measured in await api_lifecycle_figures(api_applicants):
            report(Figure(measured.name, measured.value, measured.unit, measured.baseline, measured.aim))
    if level_events:
        print(f"\na province and a commune as two linked deployments; an outage of {level_events:,} events ...", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory(prefix="ketnap-bench-levels-") as root:
            for measured in await asyncio.to_thread(level_figures, Path(root), level_events):
                report(Figure(measured.name, measured.value, measured.unit, measured.baseline, measured.aim))
    if federation_events:
        print(f"\na province and a commune linked in this process; an outage of {federation_events:,} events ...", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory(prefix="ketnap-bench-federation-") as root:
            for measured in await federation_figures(Path(root), federation_events):
                report(Figure(measured.name, measured.value, measured.unit, measured.baseline, measured.aim))
            for measured in await sourcing_resume_figures(Path(root)):
                report(Figure(measured.name, measured.value, measured.unit, measured.baseline, measured.aim))
    if three_level_changes:
        print(f"\nthree levels linked in this process; a cut at each link, {three_level_changes} changes below ...", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory(prefix="ketnap-bench-three-") as root:
            for measured in await three_level_figures(Path(root), three_level_changes):
                report(Figure(measured.name, measured.value, measured.unit, measured.baseline, measured.aim))


async def verify_figures(pool: asyncpg.Pool, url: str, nats_url: str, deployment: str, events: int) -> dict[str, str]:
    """`audit verify` of the registry's log (filled) against its stream, beside SHA-256 alone over
    the same bytes, in one pass and in one part a core (`KETNAP_AUDIT_PARTS`), in this run; the child's env."""
    # `audit verify` holds the log against its stream: publish it as a running relay would.
    print(f"\nrelaying the {events:,} events to JetStream ...", file=sys.stderr, flush=True)
    await relay_rate(pool, "registry", nats_url, deployment)
    async with pool.acquire() as conn:
        await conn.execute("VACUUM (ANALYZE) registry.events")  # hint bits set once, before any timed read
    baseline = await raw_sha256_rate(pool, "registry")
    env = dict(os.environ, DATABASE_URL=url, NATS_URL=nats_url, KETNAP_DEPLOYMENT=deployment, KETNAP_LOG_FORMAT="json")
    ways = (("1", "one pass"), (str(os.cpu_count() or 1), "parts at once"))
    for parts, name in ways:
        seconds, peak, output = timed_child(["audit", "verify", "--service", "registry", "--wait", "0"], {**env, "KETNAP_AUDIT_PARTS": parts})
        if f"{events} vị trí khớp luồng" not in output:
            raise RuntimeError(f"audit verify did not compare the log with its stream: {output}")
        report(Figure(f"audit verify + stream, {events:,} ev, {name}", events / seconds, "ev/s", baseline,
                      f"≥ 300k ev/s; peak {peak:,.0f} MB (aim < 300 MB)"))
    # The same check in this process: the walk and the stream compare without the command's start
    # (its imports), which is a large part of a 200,000-event run.
    started, _, _ = timed_child(["audit", "verify", "--help"], env)
    report(Figure("... the command's start alone (--help), ms", started * 1000, "ms"))
    await verify_in_process(url, nats_url, deployment, events, baseline, ways)
    return env


async def verify_in_process(url: str, nats_url: str, deployment: str, events: int, baseline: float, ways: tuple[tuple[str, str], ...]) -> None:
    from ketnap.platform.chainparts import PARTS_VARIABLE
    from ketnap.platform.logcheck import verify_chain

    nc = await nats.connect(nats_url)
    conn = await asyncpg.connect(url)
    try:
        for parts, name in ways:
            os.environ[PARTS_VARIABLE] = parts
            start = time.perf_counter()
            checked = await verify_chain(conn, "registry", js=nc.jetstream(), deployment=deployment, database_url=url)
            seconds = time.perf_counter() - start
            if not checked.intact or checked.compared_with_stream != events:
                raise RuntimeError(f"the log did not verify against its stream: {checked}")
            report(Figure(f"... walk + stream in this process, {name}", events / seconds, "ev/s", baseline, "≥ 300k ev/s"))
    finally:
        os.environ.pop(PARTS_VARIABLE, None)
        await conn.close()
        await nc.close()


async def verify_only(events: int) -> None:
    """`--verify-only`: the log, its stream and `audit verify`, nothing else."""
    with tempfile.TemporaryDirectory(prefix="ketnap-bench-") as root, real_servers(Path(root)) as servers:
        database = f"bench_{uuid.uuid4().hex[:8]}"
        await ensure_database(servers.postgres_url, database)
        url = with_database(servers.postgres_url, database)
        pool = await create_pool(url, min_size=2, max_size=4)
        async with pool.acquire() as conn:
            await migrate_service(conn, "registry")
        print(f"\ngenerating a log of {events:,} events for verification ...", file=sys.stderr, flush=True)
        await fill_log(pool, "registry", events)
        await verify_figures(pool, url, servers.nats_url, f"bench{uuid.uuid4().hex[:6]}", events)
        await pool.close()


ROUNDS = 3
"""Each log figure is the best of this many rounds (tests.bench.__main__.store_figures)."""


async def store_figures(pool: asyncpg.Pool, url: str) -> int:
    """The log's own figures: appends and the decoded read, each beside raw asyncpg and beside the
    peer library `eventsourcing` on the same database (tests/bench/peer.py). Returns the events read."""
    async with pool.acquire() as conn:
        for schema in ("bench_single", "bench_batch"):
            await migrate_service(conn, schema)
        await conn.execute("CREATE SCHEMA IF NOT EXISTS bench_raw")
        await conn.execute(RAW_TABLE)
    peer = peer_bench.Peer(url) if peer_bench.available() else None
    if peer is None:
        print("(the peer library is not installed: `pip install -e '.[bench]'` to measure it)", file=sys.stderr, flush=True)

    # The machine is shared (other work comes and goes): each figure is the best of `ROUNDS`
    # rounds, Ketnap, raw and the peer taking turns within each round, so all three see alike loads.
    writers, each, calls = 4, 500, 17
    ours, raw, theirs = [], [], []
    for round_ in range(ROUNDS):
        ours.append(await single_appends(pool, "bench_single", writers, each, round_))
        raw.append(await raw_single_commits(pool, writers, each))
        if peer:
            theirs.append(await peer.single_appends(writers, each, DATA))
    report(Figure("append, 1 event/txn, 4 writers", max(ours), "ev/s", max(raw), "≥ 0.8 of raw single-row commits"))
    if peer:
        report(Figure("  ... beside eventsourcing (Ketnap / it)", max(ours), "ev/s", max(theirs), "≥ 2"))

    ours, raw, theirs = [], [], []
    for round_ in range(ROUNDS):
        ours.append(await batch_appends(pool, "bench_batch", calls, round_=round_))
        raw.append(await raw_executemany(pool, calls))
        if peer:
            theirs.append(await peer.batch_appends(calls, 1000, DATA))
    report(Figure("append, 1,000 events per call", max(ours), "ev/s", max(raw), "≥ 0.8 of raw executemany"))
    if peer:
        report(Figure("  ... beside eventsourcing (Ketnap / it)", max(ours), "ev/s", max(theirs), "≥ 2"))

    async with pool.acquire() as conn:
        # The first scan after a bulk insert sets hint bits (it writes): warm every read alike.
        await conn.execute("VACUUM (ANALYZE) bench_batch.events")
        if peer:
            await conn.execute(f"VACUUM (ANALYZE) {peer.table}")
    ours, raw, theirs, ours_cpu, raw_cpu = [], [], [], [], []
    for _ in range(ROUNDS):
        # This process's CPU time too: what the store itself spends, which the load of a shared
        # machine moves far less than the wall clock.
        cpu = time.process_time()
        rate, count = await read_decoded(pool, "bench_batch")
        ours_cpu.append(count / (time.process_time() - cpu))
        ours.append(rate)
        cpu = time.process_time()
        raw.append(await raw_read(pool, "bench_batch"))
        raw_cpu.append(count / (time.process_time() - cpu))
        if peer:
            rate, their_count = await peer.read_decoded()
            theirs.append(rate)
    report(Figure(f"read log from 0 with decoding ({count:,} ev)", max(ours), "ev/s", max(raw), "≥ 0.9 of raw read + json"))
    report(Figure("  ... per second of this process's CPU", max(ours_cpu), "ev/cpu-s", max(raw_cpu), "≥ 0.9"))
    if peer:
        report(Figure(f"  ... beside eventsourcing ({their_count:,} ev)", max(ours), "ev/s", max(theirs), "≥ 2"))
        peer.close()
    return count


async def store_main() -> None:
    """`--store`: only the log's figures, on servers of their own: seconds, to iterate on the store."""
    print(f"{'figure':<46}{'Ketnap':>23}{'baseline':>23}{'ratio':>6}  aim")
    with tempfile.TemporaryDirectory(prefix="ketnap-bench-") as root, real_servers(Path(root)) as servers:
        database = f"bench_{uuid.uuid4().hex[:8]}"
        await ensure_database(servers.postgres_url, database)
        url = with_database(servers.postgres_url, database)
        pool = await create_pool(url, min_size=4, max_size=8)
        await store_figures(pool, url)
        await pool.close()


async def platform_figures(events: int) -> None:
    with tempfile.TemporaryDirectory(prefix="ketnap-bench-") as root, real_servers(Path(root)) as servers:
        server_url = servers.postgres_url
        database = f"bench_{uuid.uuid4().hex[:8]}"
        await ensure_database(server_url, database)
        url = with_database(server_url, database)
        pool = await create_pool(url, min_size=4, max_size=8)
        async with pool.acquire() as conn:
            for schema in ("registry", "dossiers", "verification", "voting"):
                await migrate_service(conn, schema)
            await migrate_service(conn, "reporting", owns_log=False)
        deployment = f"bench{uuid.uuid4().hex[:6]}"

        count = await store_figures(pool, url)

        ours = await relay_rate(pool, "bench_batch", servers.nats_url, deployment)
        sample = (await EventStore(pool, "bench_batch").read_stream("batch-0-0"))[0]
        from ketnap.platform.envelope import to_wire

        raw = await raw_publish_rate(servers.nats_url, deployment, count, to_wire(sample, "bench_batch", deployment))
        report(Figure("relay to JetStream", ours, "ev/s", raw, "≥ 0.5 of raw publish_async batches"))

        print(f"\ngenerating a log of {events:,} events for verification and rebuild ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        await fill_log(pool, "registry", events)
        report(Figure(f"generate {events:,} events (1,000 per append)", events / (time.perf_counter() - start), "ev/s"))

        env = await verify_figures(pool, url, servers.nats_url, deployment, events)
        await pool.close()
        seconds, peak, _ = timed_child(["projections", "rebuild", "--name", "reporting.audit_timeline"], env)
        report(Figure(f"projection rebuild (audit timeline), {events:,}", events / seconds, "ev/s", aim=f"peak {peak:,.0f} MB (aim < 300 MB)"))

        print(f"\ngenerating {events:,} registry, dossiers, verification and voting events for reporting ...", file=sys.stderr, flush=True)
        for measured in await reporting_rebuild_figures(url, events):
            report(Figure(measured.name, measured.value, measured.unit, measured.baseline, measured.aim))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000, help="size of the log for verification and rebuild (0: skip)")
    parser.add_argument("--api-applicants", type=int, default=50, help="dossiers driven through the HTTP API (0: skip)")
    parser.add_argument("--level-events", type=int, default=100_000, help="events of the outage between two linked deployments (0: skip)")
    parser.add_argument("--federation-events", type=int, default=100_000, help="events of the outage between a province and a commune linked in this process (0: skip)")
    parser.add_argument("--verify-only", action="store_true", help="only `audit verify` of a log of --events events (and its baselines)")
    parser.add_argument("--three-level-changes", type=int, default=20, help="units established below while each link of three levels is cut (0: skip)")
    parser.add_argument("--store", action="store_true", help="only the log's figures (appends, decoded read, beside raw and eventsourcing)")
    configure_logging("console", "warning")
    arguments = parser.parse_args()
    if arguments.verify_only:
        print(f"{'figure':<46}{'Ketnap':>23}{'baseline':>23}{'ratio':>6}  aim")
        asyncio.run(verify_only(arguments.events))
        sys.exit(0)
    if arguments.store:
        asyncio.run(store_main())
        sys.exit(0)
    asyncio.run(main(arguments.events, arguments.api_applicants, arguments.level_events, arguments.federation_events,
                     arguments.three_level_changes))
