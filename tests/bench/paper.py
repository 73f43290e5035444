"""`python -m tests.bench.paper [--rows N]`: what taking over a file of paper dossiers all or nothing
costs. Every row is judged end to end by the services that own its steps before any is written
(`<service>.query.judge`); the figure is that judging beside the writing of the same rows (the
commands, and the waits for the consumers that carry a dossier from one owner to the next), both
measured in this run on the same file. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import asyncpg

from ketnap.operations.bootstrap import ensure_database, with_database
from ketnap.platform.logging import configure_logging
from ketnap.services.registry.importer import import_bytes
from tests.conftest import unique
from tests.integration.demo.conftest import five_services
from tests.integration.paper.test_take_over import REGISTRY_ROWS, TO_THE_CELL, World, paper, person
from tests.servers import real_servers


def the_file(rows: int) -> str:
    """`rows` dossiers at the cell's resolution, every step before it done on paper (7 commands over
    the three owners each, and 3 hand-overs between them)."""
    return paper(*({**person(f"0019990{n:05d}", f"Người thứ {n}", "chờ quyết định kết nạp"), **TO_THE_CELL} for n in range(rows)))


async def paper_figures(nats_url: str, server_url: str, rows: int) -> list[tuple[str, float, str, float | None]]:
    database = unique("ketnap_bench_paper_")
    await ensure_database(server_url, database)
    url = with_database(server_url, database)
    pool = await asyncpg.create_pool(url, min_size=2, max_size=8)
    servers = type("Servers", (), {"nats_url": nats_url, "postgres_url": server_url})()
    try:
        async with five_services(pool, servers, url, applicants=0) as scenario:  # type: ignore[arg-type]
            w = World(pool, scenario.nc, scenario.services)
            registry = await import_bytes(pool, REGISTRY_ROWS.encode(), "to-chuc.csv", schema=w.names["registry"])
            assert registry.ok, registry.problems
            text = the_file(rows)
            started = time.perf_counter()
            checked, _ = await w.take_over(text, dry_run=True)
            judged = time.perf_counter() - started
            assert checked.ok, checked.problems[:3]
            marks: dict[str, float] = {}
            started = time.perf_counter()
            taken, _ = await w.take_over(text, progress=lambda stage, done, total: marks.__setitem__(stage, time.perf_counter()))
            assert taken.ok, taken.problems[:3]
            ended = time.perf_counter()
            rejudged, written = marks["judged"] - started, ended - marks["judged"]
    finally:
        await pool.close()
    return [
        ("paper rows judged end to end (dry run)", rows / judged, "rows/s", rows / written),
        ("paper rows judged, as the import's first half", rows / rejudged, "rows/s", rows / written),
        ("paper rows written after the judgement", rows / written, "rows/s", None),
    ]


def main(rows: int) -> None:
    with tempfile.TemporaryDirectory(prefix="ketnap-bench-paper-") as root, real_servers(Path(root)) as servers:
        print(f"{'figure':<46}{'Ketnap':>23}{'baseline (writing)':>23}{'ratio':>6}", flush=True)
        for name, value, unit, baseline in asyncio.run(paper_figures(servers.nats_url, servers.postgres_url, rows)):
            ratio = f"{value / baseline:>6.2f}" if baseline else ""
            base = f"{baseline:>12,.2f} {unit:<10}" if baseline else f"{'':>23}"
            print(f"{name:<46}{value:>12,.2f} {unit:<10}{base}{ratio}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=40, help="dossier rows in the file")
    configure_logging("console", "warning")
    main(parser.parse_args().rows)
    sys.exit(0)
