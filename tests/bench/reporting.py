"""Rebuild of every reporting projection from a generated log of realistic events, beside the raw read
rate of the same events (`make bench`, called from tests/bench/__main__.py).

The logs hold what the services record for a province: its tree, rosters, localities, quotas and
classes (registry), and tens of thousands of dossiers through admission (dossiers, verification,
voting), with their real event types and fields. The rebuild runs in its own process, so its
peak memory is its own: `python -m tests.bench.reporting DATABASE_URL REPORTING_SCHEMA SOURCES_JSON`.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import asyncpg

from ketnap.platform.envelope import EventMetadata, NewEvent
from ketnap.platform.eventstore import EventStore
from ketnap.platform.eventstore.schema import migrate_service
from ketnap.platform.jsoncodec import decode_json

ROLES = ("registry", "dossiers", "verification", "voting")
DISTRICTS, COMMUNES, CELLS = 10, 20, 10
"""A province of 10 districts, 200 communes and 2,000 cells."""
DOSSIERS_PER_ROUND = 400
START = date(2021, 8, 2)


@dataclass(frozen=True)
class Measured:
    name: str
    value: float
    unit: str
    baseline: float | None = None
    aim: str = ""


def _citizen(n: int) -> str:
    return f"{n:012d}"


def _day(offset: int) -> str:
    return (START + timedelta(days=offset)).isoformat()


def _event(event_type: str, **data: Any) -> NewEvent:
    return NewEvent(event_type=event_type, data=data)


def _tree() -> list[tuple[str, list[NewEvent]]]:
    """Streams of the registry: the tree, its quotas, localities, rosters, classes."""
    streams: list[tuple[str, list[NewEvent]]] = []
    established = _day(-365)
    members = 0

    def unit(code: str, name: str, kind: str, parent: str | None, quota: int | None = None) -> None:
        events = [_event("OrganisationEstablished", code=code, name=name, kind=kind, parent=parent, effective_from=established,
                         decision_number=None)]
        if quota:
            events.append(_event("QuotaAssigned", organisation=code, period_kind="year", period="2025", quantity=quota,
                                 assigned_by=parent or code, decision_date="2025-01-15", decision_number=None))
        streams.append((f"organisation-{code}", events))

    unit("TINH", "Tỉnh ủy", "province", None)
    for d in range(DISTRICTS):
        district = f"H{d:02d}"
        unit(district, f"Huyện ủy {d}", "upper_committee", "TINH", 200)
        for c in range(COMMUNES):
            commune = f"{district}-X{c:02d}"
            unit(commune, f"Đảng ủy xã {c}", "grassroots_committee", district, 10)
            for k in range(CELLS):
                cell = f"{commune}-C{k:02d}"
                unit(cell, f"Chi bộ thôn {k}", "cell", commune)
                streams.append((f"locality-{cell}", [_event("LocalityRegistered", code=f"T-{cell}", name=f"Thôn {k}", kind="thôn",
                                                            organisation=commune, covered_by=cell if k else None,
                                                            effective_from=established)]))
                for _ in range(3):
                    members += 1
                    citizen = _citizen(members)
                    streams.append((f"person-{citizen}", [_event("MemberJoined", citizen_id=citizen, full_name="Đảng viên",
                                                                 organisation=cell, kind="official", status="active",
                                                                 effective_from=established, admitted_on=None, official_since=None,
                                                                 decision_number=None, how="registration")]))
        streams.append((f"class-L{d}", [_event("ClassHeld", class_id=f"L{d}", kind="awareness", organiser=district, title=None,
                                               start_date="2025-03-01", end_date="2025-03-05",
                                               attendees=[{"citizen_id": _citizen(i), "full_name": "Học viên"} for i in range(80)])]))
    return streams


def _dossier(n: int, rng: random.Random) -> dict[str, list[NewEvent]]:
    """One applicant's streams in each log, as far as the dossier went."""
    cell = f"H{rng.randrange(DISTRICTS):02d}-X{rng.randrange(COMMUNES):02d}-C{rng.randrange(CELLS):02d}"
    dossier_id, citizen = str(uuid.UUID(int=n)), _citizen(10**11 + n)
    day = rng.randrange(1200)
    applicant = {"citizen_id": citizen, "full_name": "Người xin vào Đảng", "birth_date": f"{rng.randrange(1965, 2006)}-0{rng.randrange(1, 9)}-15",
                 "gender": rng.choice(["male", "female"]), "ethnicity": rng.choice(["Kinh", "Raglai", "Ê Đê"]),
                 "religion": rng.choice(["Không", "Không", "Công giáo"]), "occupation": rng.choice(["nông dân", "giáo viên", "công nhân"]),
                 "police_officer": False, "private_business_owner": False}
    dossiers = [
        _event("DossierOpened", dossier_id=dossier_id, cell=cell, citizen_id=citizen, full_name="Người xin vào Đảng",
               opened_on=_day(day), helper_citizen_id=_citizen(7)),
        _event("ClassCertificateRecorded", dossier_id=dossier_id, certificate_number=f"GCN-{n}", issued_on=_day(day), issued_by="TTCT"),
        _event("ApplicationLetterSubmitted", dossier_id=dossier_id, submitted_on=_day(day + 10)),
        _event("PersonalHistoryDeclared", dossier_id=dossier_id, cell=cell, applicant=applicant, relatives=[], family_planning_case=False,
               declared_on=_day(day + 20)),
        _event("QualificationsDeclared", dossier_id=dossier_id, declared_on=_day(day + 20), qualifications={
            "general_education": "upper_secondary", "professional_qualification": rng.choice(["none", "college", "university"]),
            "youth_union_member": rng.random() < 0.6, "youth_union_exists": True, "area_exemption": None, "village_elder_or_head": False}),
    ]
    verification = [
        _event("VerificationOpened", dossier_id=dossier_id, cell=cell,
               subjects=[{"subject_id": "applicant", "relation": "applicant", "method": "field", "template": "standard"}]),
        _event("SubjectDetailsNoted", dossier_id=dossier_id, rule_set="2021", subjects=[]),
    ]
    voting: list[NewEvent] = []
    if rng.random() < 0.1:
        dossiers.append(_event("DossierWithdrawn", dossier_id=dossier_id, cell=cell, on=_day(day + 30)))
        return {"dossiers": dossiers, "verification": verification}
    verification += [
        _event("VerificationRequestSent", dossier_id=dossier_id, subject_id="applicant", sent_to="UB", sent_on=_day(day + 25), sent_by=cell),
        _event("VerificationReplyRecorded", dossier_id=dossier_id, subject_id="applicant", replied_on=_day(day + 40),
               responding_organisation="UB", finding="clear", note=None),
        _event("HistoryCertified", dossier_id=dossier_id, cell=cell, certified_by=cell[:7], certified_on=_day(day + 45)),
    ]
    dossiers += [
        _event("PersonalHistoryCertified", dossier_id=dossier_id, certified_by=cell[:7], certified_on=_day(day + 45)),
        _event("RulesChecked", dossier_id=dossier_id, decision="cell_vote", judged_on=_day(day + 60), rule_set="2021", rules=[], flags=[]),
        _event("ReadyForCellVote", dossier_id=dossier_id, cell=cell, citizen_id=citizen, full_name="Người xin vào Đảng",
               birth_date=applicant["birth_date"], ready_on=_day(day + 50), rule_set="2021"),
        _event("CellResolutionRecorded", dossier_id=dossier_id, adopted=True, meeting_on=_day(day + 60), agree=3, disagree=0,
               denominator=3, rule_set="2021"),
    ]
    voting += [
        _event("CaseOpened", dossier_id=dossier_id, cell=cell, citizen_id=citizen, full_name="Người xin vào Đảng", ready_on=_day(day + 50),
               dossier_rule_set="2021"),
        _event("CellResolutionAdopted", dossier_id=dossier_id, cell=cell, citizen_id=citizen, meeting_on=_day(day + 60), agree=3,
               disagree=0, denominator=3, entitled=[_citizen(1), _citizen(2), _citizen(3)], rule_set="2021"),
    ]
    if rng.random() < 0.2:  # still awaiting the decision
        return {"dossiers": dossiers, "verification": verification, "voting": voting}
    decided = _day(day + 100)
    voting += [
        _event("AuthorityChecked", dossier_id=dossier_id, act="admission_decision", decided_by=cell[:3], competent_authority=cell[:3],
               on=decided, rule_set="2021"),
        _event("AdmissionDecided", dossier_id=dossier_id, citizen_id=citizen, full_name="Người xin vào Đảng", organisation=cell,
               decided_by=cell[:3], decision_number=f"{n}-QĐ", decision_date=decided, rule_set="2021"),
        _event("CellNotified", dossier_id=dossier_id, organisation=cell, received_on=_day(day + 105)),
        _event("CeremonyRecorded", dossier_id=dossier_id, cell=cell, held_on=_day(day + 120), received_decision_on=_day(day + 105)),
    ]
    dossiers += [
        _event("AdmissionDecisionRecorded", dossier_id=dossier_id, decided_by=cell[:3], decision_number=f"{n}-QĐ", decision_date=decided,
               rule_set="2021"),
        _event("DecisionReceivedByCell", dossier_id=dossier_id, received_on=_day(day + 105)),
        _event("CeremonyHeld", dossier_id=dossier_id, cell=cell, citizen_id=citizen, held_on=_day(day + 120),
               received_decision_on=_day(day + 105), helper_citizen_id=_citizen(7)),
        _event("MemberHistoryFiled", dossier_id=dossier_id, filed_on=_day(day + 130)),
    ]
    registry = [_event("MemberJoined", citizen_id=citizen, full_name="Người xin vào Đảng", organisation=cell, kind="probationary",
                       status="active", effective_from=decided, admitted_on=decided, official_since=None, decision_number=f"{n}-QĐ",
                       how="admission")]
    return {"dossiers": dossiers, "verification": verification, "voting": voting, "registry": registry}


async def generate(pool: asyncpg.Pool, schemas: dict[str, str], events: int) -> int:
    """Fill the four logs with about `events` events; returns how many were written."""
    stores = {role: EventStore(pool, schemas[role]) for role in ROLES}
    meta = EventMetadata(actor="bench", organisation="TINH")
    written = 0
    tree = _tree()
    for first in range(0, len(tree), 500):
        await asyncio.gather(*(stores["registry"].append(stream, 0, batch, meta) for stream, batch in tree[first:first + 500]))
    written += sum(len(batch) for _, batch in tree)
    rng, n = random.Random(7), 0
    while written < events:
        appends = []
        for _ in range(DOSSIERS_PER_ROUND):
            n += 1
            for role, batch in _dossier(n, rng).items():
                if written >= events:
                    break
                batch = batch[: events - written]
                written += len(batch)
                prefix = {"registry": f"person-{_citizen(10**11 + n)}", "dossiers": "dossier-", "verification": "verification-",
                          "voting": "voting-"}[role]
                stream = prefix if role == "registry" else prefix + str(uuid.UUID(int=n))
                appends.append(stores[role].append(stream, 0, batch, meta))
        await asyncio.gather(*appends)
        if n % (DOSSIERS_PER_ROUND * 25) == 0:
            print(f"  ... {written:,} / {events:,} reporting events generated", file=sys.stderr, flush=True)
    return written


async def raw_read_rate(pool: asyncpg.Pool, schemas: dict[str, str]) -> tuple[float, int]:
    """Plain asyncpg keyset pages and a JSON decode per event, over the four logs."""
    count = 0
    start = time.perf_counter()
    for schema in schemas.values():
        position = 0
        while True:
            async with pool.acquire() as conn:
                rows = await conn.fetch(f"SELECT * FROM {schema}.events WHERE position > $1 ORDER BY position LIMIT 5000", position)
            if not rows:
                break
            for row in rows:
                decode_json(row["data"])
            count += len(rows)
            position = rows[-1]["position"]
    return count / (time.perf_counter() - start), count


def _rebuild_in_child(database_url: str, reporting: str, schemas: dict[str, str]) -> tuple[float, float, float]:
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.reporting", database_url, reporting, json.dumps(schemas)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    output = child.stdout.read() if child.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"reporting rebuild failed: {output}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


async def rebuild_figures(database_url: str, events: int) -> list[Measured]:
    """Generate the logs, then measure the raw read of them and the rebuild of every reporting projection."""
    suffix = uuid.uuid4().hex[:6]
    schemas = {role: f"bench_{role}_{suffix}" for role in ROLES}
    reporting = f"bench_reporting_{suffix}"
    pool = await asyncpg.create_pool(database_url, min_size=4, max_size=8)
    try:
        async with pool.acquire() as conn:
            for schema in schemas.values():
                await migrate_service(conn, schema)
            await migrate_service(conn, reporting, owns_log=False)
        start = time.perf_counter()
        written = await generate(pool, schemas, events)
        generated = Measured(f"generate {written:,} reporting events", written / (time.perf_counter() - start), "ev/s")
        async with pool.acquire() as conn:
            for schema in schemas.values():
                await conn.execute(f"VACUUM (ANALYZE) {schema}.events")
        raw, count = await raw_read_rate(pool, schemas)
    finally:
        await pool.close()
    seconds, peak, cpu = _rebuild_in_child(database_url, reporting, schemas)
    figures = [
        generated,
        Measured(f"rebuild all reporting projections, {count:,} ev", count / seconds, "ev/s", raw,
                 f"peak {peak:,.0f} MB (aim < 300 MB), {cpu:.1f} s CPU of its process; baseline: raw read + json"),
    ]
    figures += await statistics_form_figures(database_url, reporting)
    figures += await live_apply_figures(database_url, schemas, raw)
    return figures + await past_report_figures(database_url, reporting, schemas, count)


LIVE_EVENTS = 20_000
"""Events of each log applied as a live consumer applies them (a province catching up)."""


async def live_apply_figures(database_url: str, schemas: dict[str, str], raw: float) -> list[Measured]:
    """Every reporting projection applying the first `LIVE_EVENTS` of each of its logs as its live
    consumer does (`LiveHandler.apply_batch`: fetched batches of 500, each in a transaction and a
    savepoint, the rows it touches read from the tables first), into empty tables of a schema of
    their own; the batches are read beforehand, so only the applying is timed. Per projection, as
    the events of one log reach each of its consumers; beside the raw read + json of the same run."""
    from ketnap.platform.eventstore import EventStore
    from ketnap.platform.projections import create_tables
    from ketnap.services.reporting.service import build_service

    schema = f"bench_live_{uuid.uuid4().hex[:6]}"
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await migrate_service(conn, schema, owns_log=False)
        fetched = {}
        for log in schemas.values():
            fetched[log] = [batch async for batch in EventStore(pool, log).read_log(0, batch_size=500, up_to_position=LIVE_EVENTS)]
        passed, seconds, slowest = 0, 0.0, ("", 0.0)
        async with pool.acquire() as conn:
            for projection in build_service(schema, schemas).projections:
                await create_tables(conn, projection, schema)
                start = time.perf_counter()
                for log in projection.sources:
                    handler = projection.live_handler(log)
                    for batch in fetched[log]:
                        wanted = [event for event in batch if handler.wants(event.event_type)]
                        async with conn.transaction():
                            if wanted:
                                async with conn.transaction():
                                    await handler.apply_batch(conn, wanted)
                        passed += len(batch)
                elapsed = time.perf_counter() - start
                seconds += elapsed
                slowest = max(slowest, (projection.concern, elapsed), key=lambda item: item[1])
    finally:
        await pool.close()
    return [Measured(f"live apply, every projection, {passed:,} ev passed", passed / seconds, "ev/s", raw,
                     f"slowest {slowest[0]} {slowest[1]:.1f} s; baseline: raw read + json")]


PAST_REQUESTS = 50


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def past_report_figures(database_url: str, reporting: str, schemas: dict[str, str], count: int) -> list[Measured]:
    """The province's quota report as recorded by a past moment (half-way through the log's
    recording), served from a kept snapshot (`ketnap.platform.snapshots`), beside the same report
    on the live tables; its first request, which builds the snapshot, apart. Straight on the
    database: the logs read by `DatabaseLogReader`, not through the bus."""
    from ketnap.platform.bus.logread import DatabaseLogReader
    from ketnap.platform.snapshots import PastSnapshots
    from ketnap.services.reporting.reports import REPORTS, Options, PeriodQuery
    from ketnap.services.reporting.service import build_service

    options, today = Options(term_starts_on=(1, 1)), date.today()
    query = PeriodQuery(organisation="TINH", year=2025)
    report = next(r for r in REPORTS if r.name == "quota")
    by_concern = {p.concern: p for p in build_service(reporting, schemas).projections}  # type: ignore[attr-defined]
    needs = [by_concern[c] for c in report.needs]
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    past = PastSnapshots(reporting)
    try:
        async with pool.acquire() as conn:
            moment = await conn.fetchval(
                f"SELECT recorded_at FROM {schemas['dossiers']}.events ORDER BY position "
                f"OFFSET (SELECT count(*) / 2 FROM {schemas['dossiers']}.events) LIMIT 1"
            )
        live: list[float] = []
        for _ in range(PAST_REQUESTS):
            start = time.perf_counter()
            async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
                await report.run(conn, reporting, query, today, options)
            live.append(time.perf_counter() - start)

        async def past_report() -> float:
            start = time.perf_counter()
            async with past.opened(moment, needs, DatabaseLogReader(pool), lambda: asyncpg.connect(database_url)) as conn:
                await report.run(conn, "pg_temp", query, today, options)
            return time.perf_counter() - start

        first = await past_report()
        built = past.built
        kept = [await past_report() for _ in range(PAST_REQUESTS)]
    finally:
        await past.close()
        await pool.close()
    name = f"quota report as recorded by a past moment, {count:,} ev"
    return [
        Measured(f"{name}: first request (builds)", first * 1000, "ms", aim=f"{built} projections built, once"),
        Measured(f"{name}: p50", _percentile(kept, 0.5) * 1000, "ms", _percentile(live, 0.5) * 1000, "baseline: the live report's p50"),
        Measured(f"{name}: p99", _percentile(kept, 0.99) * 1000, "ms", _percentile(live, 0.99) * 1000,
                 f"aim ≤ 200 ms, no rebuild ({past.built - built} more builds); baseline: the live report's p99"),
    ]


SAMPLED_UNITS = 50


async def statistics_form_figures(database_url: str, reporting: str) -> list[Measured]:
    """The statistics form of the whole province: every unit's statistics in one query
    (`stats_by_unit`), beside asking `stats` unit by unit (the web page's former way, for the units
    directly under the chosen one; here the first units timed and multiplied up to all). Both straight on the database, without the bus in between."""
    from ketnap.services.reporting.reports import Options, PeriodQuery, stats, stats_by_unit

    options, today = Options(term_starts_on=(1, 1)), date.today()
    conn = await asyncpg.connect(database_url)
    try:
        start = time.perf_counter()
        form = await stats_by_unit(conn, reporting, PeriodQuery(organisation="TINH", year=2025), today, options)
        at_once = time.perf_counter() - start
        units = [u["code"] for u in form["units"]]
        start = time.perf_counter()
        for code in units[:SAMPLED_UNITS]:
            await stats(conn, reporting, PeriodQuery(organisation=code, year=2025), today, options)
        one_by_one = (time.perf_counter() - start) / min(SAMPLED_UNITS, len(units)) * len(units)
    finally:
        await conn.close()
    return [Measured(f"statistics form, {len(units):,} units at once", at_once * 1000, "ms", one_by_one * 1000,
                     f"baseline: stats unit by unit ({SAMPLED_UNITS} timed); {form['units'][0]['admitted']:,} admitted")]


async def _rebuild(database_url: str, reporting: str, schemas: dict[str, str]) -> None:
    from ketnap.platform import projections
    from ketnap.services.reporting.service import build_service

    service = build_service(reporting, schemas)
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    try:
        await projections.rebuild_many(pool, service.projections)
    finally:
        await pool.close()


if __name__ == "__main__":
    from ketnap.platform.logging import configure_logging

    configure_logging("console", "warning")
    url, reporting_schema, sources = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    asyncio.run(_rebuild(url, reporting_schema, sources))
