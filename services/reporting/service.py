"""Reporting (báo cáo): projections over every other service's log; owns no log of its own.

The one place the service is wired: its projections, fed live by the consumer runner, and its
reports on `reporting.query.<name>`. A report as recorded by a past moment reads the projections it
needs as recorded then, built once into temporary tables of a connection kept for that moment
(`ketnap.platform.snapshots`), from the source logs read through the bus, and runs the same SQL
against `pg_temp`: the live tables are never touched.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Any

import asyncpg
import nats.errors

from ketnap.domain.calendar import today_in_vietnam
from ketnap.platform.bus.logread import BusLogReader
from ketnap.platform.commands import Unavailable
from ketnap.platform.logging import get_logger
from ketnap.platform.service import Service, ServiceContext
from ketnap.platform.snapshots import PastSnapshots
from ketnap.services.reporting import completeness
from ketnap.services.reporting.admissions import Admissions
from ketnap.services.reporting.applicants import Applicants
from ketnap.services.reporting.audit_timeline import AuditTimeline
from ketnap.services.reporting.base import ROLES, ReportingProjection
from ketnap.services.reporting.classes import Classes
from ketnap.services.reporting.deadlines import Deadlines
from ketnap.services.reporting.new_members import NewMembers
from ketnap.services.reporting.organisation_tree import OrganisationTree
from ketnap.services.reporting.people import DossierPeople
from ketnap.services.reporting.periods import TERM_STARTS_ON
from ketnap.services.reporting.pipeline import Pipeline
from ketnap.services.reporting.quality_ratings import QualityRatings
from ketnap.services.reporting.quotas import Quotas
from ketnap.services.reporting.reports import REPORTS, Options, Report, day_of, moment_of
from ketnap.services.reporting.white_zones import WhiteZones

log = get_logger(__name__)

PROJECTIONS: tuple[type[ReportingProjection], ...] = (
    AuditTimeline, OrganisationTree, WhiteZones, Quotas, Admissions, Pipeline, NewMembers, Classes, Deadlines, QualityRatings, Applicants,
    DossierPeople,
)


def build_service(
    name: str = "reporting",
    sources: Mapping[str, str | Sequence[str]] | None = None,
    *,
    today: Callable[[], date] = today_in_vietnam,
    term_starts_on: tuple[int, int] = TERM_STARTS_ON,
    acknowledgements_in: str = "gateway",
    below: Sequence[str] = (),
) -> Service:
    """The reporting service on schema `name`, reading the logs `sources` maps each role to
    (registry, dossiers, verification, voting; by default the services of those names; a role
    may map to several logs, as in a deployment that keeps the logs of those below it).
    `acknowledgements_in`: the service whose log records the acknowledgements of reporting's
    integrity alarms (reporting has no log of its own). `below`: the deployments whose logs are
    kept here; a report says when one of them is not kept in full (`completeness`)."""
    unknown = set(sources or {}) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown source roles: {sorted(unknown)}")
    service = Service(name, owns_log=False, acknowledgements_in=acknowledgements_in)
    by_concern: dict[str, ReportingProjection] = {}
    for kind in PROJECTIONS:
        projection = kind(name, sources)
        service.add_projection(projection)
        by_concern[projection.concern] = projection
    options = Options(term_starts_on=term_starts_on)
    past = PastSnapshots(name)
    for report in REPORTS:
        _register(service, report, [by_concern[c] for c in report.needs], options, today, past, tuple(below))
    service.add_background("past_snapshots", _closing(past))
    return service


def _register(
    service: Service, report: Report, needs: Sequence[ReportingProjection], options: Options, today: Callable[[], date],
    past: PastSnapshots, below: tuple[str, ...],
) -> None:
    async def answer(ctx: ServiceContext, query: Any) -> dict[str, Any]:
        async with snapshot(ctx, needs, query.recorded_by(), today(), past) as (conn, schema, _recorded_day):
            result = await report.run(conn, schema, query, query.about(today()), options)
        # Only when something is missing: a complete report above is the lower level's own, field for field.
        if missing := await completeness.incomplete(ctx, below):
            result["incomplete"] = missing
        return result

    answer.__doc__ = report.run.__doc__
    service.query(report.name, report.model)(answer)


@asynccontextmanager
async def snapshot(
    ctx: ServiceContext, needs: Sequence[ReportingProjection], as_of: date | datetime | None, today: date, past: PastSnapshots
) -> AsyncIterator[tuple[asyncpg.Connection, str, date]]:
    """A connection, the schema to read and the report's day: the live tables as of today, in one
    consistent snapshot, or the projections as recorded by `as_of`, kept in temporary tables
    (`ketnap.platform.snapshots`: built on the first request for that moment, caught up after)."""
    if as_of is None:
        async with ctx.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            yield conn, ctx.name, today
        return
    moment = moment_of(as_of)
    try:
        async with past.opened(moment, needs, BusLogReader(ctx.nc), lambda: _connect(ctx)) as conn:
            yield conn, "pg_temp", min(day_of(as_of), today)
    except (nats.errors.NoRespondersError, nats.errors.TimeoutError) as error:
        raise Unavailable(
            "Không đọc được nhật ký của các dịch vụ nguồn để lập báo cáo tại ngày đã chọn; hãy thử lại sau."
        ) from error


async def _connect(ctx: ServiceContext) -> asyncpg.Connection:
    if ctx.database_url is None:
        raise RuntimeError("a past snapshot needs the service's database URL")
    return await asyncpg.connect(ctx.database_url)


def _closing(past: PastSnapshots) -> Callable[[ServiceContext, asyncio.Event], Awaitable[None]]:
    """The snapshots' connections are closed when the service stops; a later start builds anew."""

    async def run(_ctx: ServiceContext, closing: asyncio.Event) -> None:
        try:
            await closing.wait()
        finally:
            await past.close()

    return run


service = build_service()
