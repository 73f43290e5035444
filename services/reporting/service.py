"""Reporting (báo cáo): projections over every other service's log; owns no log of its own.

The one place the service is wired: its projections, fed live by the consumer runner, and its
reports on `reporting.query.<name>`. A report as of a past date builds the projections it reads
into temporary tables on one connection, from the source logs read through the bus up to that
moment, runs the same SQL against `pg_temp`, then drops them: the live tables are never touched.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Any

import asyncpg
import nats.errors

from ketnap.domain.calendar import today_in_vietnam
from ketnap.platform import projections
from ketnap.platform.bus.logread import BusLogReader
from ketnap.platform.commands import Unavailable
from ketnap.platform.logging import get_logger
from ketnap.platform.projections import AsOf
from ketnap.platform.service import Service, ServiceContext
from ketnap.services.reporting import completeness
from ketnap.services.reporting.admissions import Admissions
from ketnap.services.reporting.applicants import Applicants
from ketnap.services.reporting.audit_timeline import AuditTimeline
from ketnap.services.reporting.base import ROLES, ReportingProjection
from ketnap.services.reporting.classes import Classes
from ketnap.services.reporting.deadlines import Deadlines
from ketnap.services.reporting.new_members import NewMembers
from ketnap.services.reporting.organisation_tree import OrganisationTree
from ketnap.services.reporting.periods import TERM_STARTS_ON
from ketnap.services.reporting.pipeline import Pipeline
from ketnap.services.reporting.quality_ratings import QualityRatings
from ketnap.services.reporting.quotas import Quotas
from ketnap.services.reporting.reports import REPORTS, Options, Report, day_of, moment_of
from ketnap.services.reporting.white_zones import WhiteZones

log = get_logger(__name__)

PROJECTIONS: tuple[type[ReportingProjection], ...] = (
    AuditTimeline, OrganisationTree, WhiteZones, Quotas, Admissions, Pipeline, NewMembers, Classes, Deadlines, QualityRatings, Applicants,
)


def build_service(
    name: str = "reporting",
    sources: Mapping[str, str | Sequence[str]] | None = None,
    *,
    today: Callable[[], date] = today_in_vietnam,
    term_starts_on: tuple[int, int] = TERM_STARTS_ON,
    below: Sequence[str] = (),
) -> Service:
    """The reporting service on schema `name`, reading the logs `sources` maps each role to
    (registry, dossiers, verification, voting; by default the services of those names; a role
    may map to several logs, as in a deployment that keeps the logs of those below it). `below`:
    the deployments whose logs are kept here; a report says when one of them is not kept in full
    (`completeness`)."""
    unknown = set(sources or {}) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown source roles: {sorted(unknown)}")
    service = Service(name, owns_log=False)
    by_concern: dict[str, ReportingProjection] = {}
    for kind in PROJECTIONS:
        projection = kind(name, sources)
        service.add_projection(projection)
        by_concern[projection.concern] = projection
    options = Options(term_starts_on=term_starts_on)
    for report in REPORTS:
        _register(service, report, [by_concern[c] for c in report.needs], options, today, tuple(below))
    return service


def _register(
    service: Service, report: Report, needs: Sequence[ReportingProjection], options: Options, today: Callable[[], date],
    below: tuple[str, ...],
) -> None:
    async def answer(ctx: ServiceContext, query: Any) -> dict[str, Any]:
        async with snapshot(ctx, needs, query.recorded_by(), today()) as (conn, schema, _recorded_day):
            result = await report.run(conn, schema, query, query.about(today()), options)
        # Only when something is missing: a complete report above is the lower level's own, field for field.
        if missing := await completeness.incomplete(ctx, below):
            result["incomplete"] = missing
        return result

    answer.__doc__ = report.run.__doc__
    service.query(report.name, report.model)(answer)


@asynccontextmanager
async def snapshot(
    ctx: ServiceContext, needs: Sequence[ReportingProjection], as_of: date | datetime | None, today: date
) -> AsyncIterator[tuple[asyncpg.Connection, str, date]]:
    """A connection, the schema to read and the report's day: the live tables as of today, or the
    projections built in temporary tables as of `as_of`, all in one consistent snapshot."""
    async with ctx.pool.acquire() as conn:
        if as_of is None:
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                yield conn, ctx.name, today
            return
        try:
            await _build_as_of(ctx, conn, needs, moment_of(as_of))
            yield conn, "pg_temp", min(day_of(as_of), today)
        finally:
            await conn.execute("DISCARD TEMP")


async def _build_as_of(ctx: ServiceContext, conn: asyncpg.Connection, needs: Sequence[ReportingProjection], moment: datetime) -> None:
    try:
        for projection in needs:
            await projections.build(
                ctx.pool, projection, "pg_temp", as_of=AsOf(moment=moment), reader=BusLogReader(ctx.nc), connection=conn
            )
    except (nats.errors.NoRespondersError, nats.errors.TimeoutError) as error:
        raise Unavailable(
            "Không đọc được nhật ký của các dịch vụ nguồn để lập báo cáo tại ngày đã chọn; hãy thử lại sau."
        ) from error
    log.info("report built as of a past moment", projections=len(needs), as_of=moment.isoformat())


service = build_service()
