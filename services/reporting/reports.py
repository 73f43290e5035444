"""The reports (báo cáo) reporting answers, each a query over the projections' tables in a schema.

The schema is a parameter: `reporting` (the live tables) for a report as of today, or `pg_temp`
where `service.py` has just built the projections as of a past moment. Each report reads the
tables, then hands plain values to the pure functions of its concern's module.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import asyncpg
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from ketnap.domain.values import PartyDay, not_before_the_party
from ketnap.platform.commands import InvalidInput, NotFound
from ketnap.platform.vietnamese import vn_date
from ketnap.services.reporting import admissions as admission_facts
from ketnap.services.reporting import (
    applicants,
    audit_timeline,
    classes,
    deadlines,
    new_members,
    people,
    pipeline,
    quality_ratings,
    quotas,
    white_zones,
)
from ketnap.services.reporting.organisation_tree import Tree, load_endings, load_tree
from ketnap.services.reporting.periods import Period, PeriodError, parse_period

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def _as_of(value: Any) -> Any:
    """A day (its end, in Vietnam) or an exact moment; a moment without a zone is Vietnam time."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.fromisoformat(text) if "T" in text or " " in text else date.fromisoformat(text)
        except ValueError as error:
            raise ValueError("Ngày báo cáo viết dạng YYYY-MM-DD") from error
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=VIETNAM)
    return value


def _in_party_time(value: Any) -> Any:
    if value is not None:
        not_before_the_party(day_of(value))
    return value


AsOfValue = Annotated[datetime | date | None, BeforeValidator(_as_of), AfterValidator(_in_party_time)]


def moment_of(as_of: date | datetime) -> datetime:
    """The last moment whose events a report as of `as_of` includes."""
    if isinstance(as_of, datetime):
        return as_of
    return datetime.combine(as_of + timedelta(days=1), time(0), VIETNAM) - timedelta(microseconds=1)


def day_of(as_of: date | datetime) -> date:
    return as_of.astimezone(VIETNAM).date() if isinstance(as_of, datetime) else as_of


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    on: PartyDay | None = Field(
        default=None,
        description="Ngày mà báo cáo nói về (YYYY-MM-DD): cây tổ chức, đảng viên, địa bàn, kỳ chỉ tiêu, hồ sơ đang xử lý "
        "như ngày đó; mặc định hôm nay",
    )
    as_recorded: AsOfValue = Field(
        default=None,
        description="Chỉ tính những gì đã ghi tới ngày (YYYY-MM-DD) hoặc thời điểm này (ISO 8601); mặc định: mọi điều đã ghi",
    )
    as_of: AsOfValue = Field(
        default=None,
        description="Cả hai cùng lúc: báo cáo về ngày này, từ những gì đã ghi tới lúc đó (như `on` và `as_recorded`)",
    )

    names: bool = Field(
        default=False,
        description="Kèm họ tên người vào Đảng ở các dòng nêu hồ sơ; cổng API đặt theo vai trò được đọc dữ liệu cá nhân",
    )

    def recorded_by(self) -> date | datetime | None:
        """Up to when acts count, as recorded: `as_recorded`, else `as_of`, else everything."""
        return self.as_recorded if self.as_recorded is not None else self.as_of

    def about(self, today: date) -> date:
        """The business day the report is about: `on`, else `as_of`'s day, else today (never after it)."""
        if self.on is not None:
            return self.on
        if self.as_of is not None:
            return min(day_of(self.as_of), today)
        return today


class OrganisationQuery(Query):
    organisation: str = Field(min_length=1, max_length=64, description="mã tổ chức đảng")


def _not_a_truth_value(value: Any) -> Any:
    if isinstance(value, bool):  # JSON's false is not the year 0 (pydantic would take it as an int)
        raise ValueError("năm phải là một số, không phải true/false")
    return value


Year = Annotated[int, Field(ge=1, le=9999), BeforeValidator(_not_a_truth_value)]
"""A calendar year as a date can hold it: 0, 10000 and false are refused naming the field."""


class PeriodQuery(OrganisationQuery):
    year: Year | None = Field(default=None, description="năm báo cáo, ví dụ 2025")
    term: str | None = Field(default=None, max_length=20, description="nhiệm kỳ, ví dụ 2020-2025")


class PipelineQuery(PeriodQuery):
    """Năm hoặc nhiệm kỳ là tùy chọn: không có thì thời gian từng bước và kết quả tính tới ngày báo cáo."""


class WhiteZonesQuery(OrganisationQuery):
    years: int = Field(default=3, ge=1, le=50, description="chi bộ không kết nạp được đảng viên trong bao nhiêu năm")


class DeadlinesQuery(OrganisationQuery):
    overdue_only: bool = Field(default=False, description="chỉ liệt kê các thời hạn đã quá hạn")


class RatingsQuery(OrganisationQuery):
    year: Year = Field(description="năm được đánh giá, xếp loại, ví dụ 2025")


class AuditHistoryQuery(Query):
    dossier_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Options:
    term_starts_on: tuple[int, int]


# --- the reports -------------------------------------------------------------------------------------


async def _tree(conn: asyncpg.Connection, schema: str, query: OrganisationQuery) -> Tree:
    tree = await load_tree(conn, schema)
    if tree.knows(query.organisation):
        return tree
    if (recorded_by := query.recorded_by()) is not None:
        # The unit is known today (the gateway asked the registry): nothing about it had been recorded
        # yet by the moment chosen. The moment is what to change, not a unit that does not exist.
        field = "as_recorded" if query.as_recorded is not None else "as_of"
        raise InvalidInput(
            f"Đến ngày {vn_date(day_of(recorded_by))} hệ thống chưa ghi nhận gì về tổ chức đảng {query.organisation}: "
            "hãy chọn ngày ghi nhận muộn hơn.", field=field, organisation=query.organisation,
        )
    raise NotFound(f"Không có tổ chức đảng mã «{query.organisation}».", organisation=query.organisation)


def _period(query: PeriodQuery, options: Options) -> Period:
    try:
        return parse_period(query.year, query.term, options.term_starts_on)
    except PeriodError as error:
        raise InvalidInput(str(error), field=error.field) from None


async def quota(conn: asyncpg.Connection, schema: str, query: PeriodQuery, on_day: date, options: Options) -> dict:
    """Chỉ tiêu và kết quả kết nạp của tổ chức và từng tổ chức trực thuộc, kèm hồ sơ đang xử lý."""
    period = _period(query, options)
    tree = await _tree(conn, schema, query)
    status_on = period.status_on(on_day)
    on_status_day = await pipeline.dossiers_on(conn, schema, status_on, pipeline.BEFORE_DECISION)
    decided = await admission_facts.decided_among(conn, schema, [d.dossier_id for d in on_status_day], status_on)
    result = quotas.quota_progress(
        tree,
        query.organisation,
        period,
        status_on,
        await quotas.quotas_for(conn, schema, period),
        await admission_facts.admissions_between(conn, schema, period.start, status_on),
        pipeline.still_to_decide(on_status_day, decided),
    )
    return await _named(conn, schema, query, result, "admissions")


async def _named(conn: asyncpg.Connection, schema: str, query: Query, result: dict, rows: str) -> dict:
    """The result with the applicant's name on each of its `rows` that name a dossier, if the query asks."""
    if not query.names:
        return result
    names = await applicants.names_of(conn, schema, [row["dossier_id"] for row in result[rows]])
    return {**result, rows: applicants.named(result[rows], names)}


async def stats(conn: asyncpg.Connection, schema: str, query: PeriodQuery, on_day: date, options: Options) -> dict:
    """Đảng viên mới theo giới tính, dân tộc, tôn giáo, đoàn viên, nghề nghiệp, độ tuổi, trình độ."""
    period = _period(query, options)
    tree = await _tree(conn, schema, query)
    admitted = await admission_facts.admissions_between(conn, schema, period.start, period.status_on(on_day))
    profiles = await new_members.profiles_of(conn, schema, [a.dossier_id for a in admitted])
    return {
        **new_members.new_member_stats(tree, query.organisation, period, admitted, profiles),
        "status_on": period.status_on(on_day).isoformat(),
    }


async def stats_by_unit(conn: asyncpg.Connection, schema: str, query: PeriodQuery, on_day: date, options: Options) -> dict:
    """Đảng viên mới theo từng tiêu chí của tổ chức và của mọi tổ chức trong phạm vi của nó, một lần hỏi."""
    period = _period(query, options)
    tree = await _tree(conn, schema, query)
    status_on = period.status_on(on_day)
    admitted = await admission_facts.admissions_between(conn, schema, period.start, status_on)
    profiles = await new_members.profiles_of(conn, schema, [a.dossier_id for a in admitted])
    return new_members.new_member_stats_by_unit(tree, query.organisation, period, status_on, admitted, profiles)


async def pipeline_report(conn: asyncpg.Connection, schema: str, query: PipelineQuery, on_day: date, options: Options) -> dict:
    """Hồ sơ theo từng bước và tổ chức, thời gian mỗi bước, hồ sơ bị bác theo mã quy định."""
    period = None if query.year is None and query.term is None else _period(query, options)
    tree = await _tree(conn, schema, query)
    status_on = period.status_on(on_day) if period else on_day
    start = period.start if period else date.min
    return pipeline.pipeline_report(
        tree,
        query.organisation,
        status_on,
        period,
        await pipeline.dossiers_on(conn, schema, status_on),
        await pipeline.steps_left_between(conn, schema, start, status_on),
        await pipeline.endings_between(conn, schema, start, status_on),
    )


async def classes_report(conn: asyncpg.Connection, schema: str, query: PeriodQuery, on_day: date, options: Options) -> dict:
    """Lớp bồi dưỡng nhận thức về Đảng và lớp đảng viên mới đã mở, số học viên."""
    period = _period(query, options)
    tree = await _tree(conn, schema, query)
    held = await classes.classes_ended_between(conn, schema, period.start, period.status_on(on_day))
    return {**classes.classes_report(tree, query.organisation, period, held), "status_on": period.status_on(on_day).isoformat()}


async def several_dossiers_report(conn: asyncpg.Connection, schema: str, query: OrganisationQuery, on_day: date, options: Options) -> dict:
    """Người có hồ sơ đang mở ở hơn một nơi cùng lúc (ở cấp trên giữ nhật ký của nhiều cơ sở)."""
    tree = await _tree(conn, schema, query)
    on_day_dossiers = await pipeline.dossiers_on(conn, schema, on_day)
    result = people.several_dossiers(
        tree, query.organisation, on_day, on_day_dossiers, await people.people_of(conn, schema, [d.dossier_id for d in on_day_dossiers])
    )
    if query.names:
        shown = [d["dossier_id"] for person in result["people"] for d in person["dossiers"]]
        names = await applicants.names_of(conn, schema, shown)
        result["people"] = [{"dossiers": applicants.named(person["dossiers"], names)} for person in result["people"]]
    return result


async def white_zones_report(conn: asyncpg.Connection, schema: str, query: WhiteZonesQuery, on_day: date, options: Options) -> dict:
    """Địa bàn chưa có chi bộ hoặc chưa có đảng viên; chi bộ nhiều năm không kết nạp được đảng viên."""
    tree = await _tree(conn, schema, query)
    subtree = tree.subtree_on(query.organisation, on_day)
    predecessors: dict[str, list[str]] = {}
    for code, (_, how, successor) in (await load_endings(conn, schema)).items():
        if how == "merged" and successor:
            predecessors.setdefault(successor, []).append(code)
    return {
        **tree.describe(query.organisation, on_day),
        "on": on_day.isoformat(),
        "years": query.years,
        "localities": white_zones.white_localities(
            await white_zones.localities_on(conn, schema, on_day),
            await white_zones.members_per_cell(conn, schema, on_day),
            tree,
            set(subtree),
            on_day,
        ),
        "cells_without_admission": white_zones.cells_without_admission(
            tree, subtree, on_day, query.years, await admission_facts.last_admission_per_cell(conn, schema, on_day), predecessors
        ),
    }


async def deadlines_report(conn: asyncpg.Connection, schema: str, query: DeadlinesQuery, on_day: date, options: Options) -> dict:
    """Thời hạn đang mở và quá hạn, theo tổ chức và theo ngày đến hạn."""
    tree = await _tree(conn, schema, query)
    result = deadlines.deadlines_report(
        tree, query.organisation, on_day, await deadlines.open_deadlines(conn, schema, on_day), overdue_only=query.overdue_only
    )
    return await _named(conn, schema, query, result, "items")


async def ratings_report(conn: asyncpg.Connection, schema: str, query: RatingsQuery, on_day: date, options: Options) -> dict:
    """Xếp loại chất lượng đảng viên và tổ chức đảng trong năm: số lượng và tỷ lệ từng loại, theo từng tổ chức."""
    try:
        year = parse_period(query.year, None).start.year
    except PeriodError as error:
        raise InvalidInput(str(error), field="year") from None
    tree = await _tree(conn, schema, query)
    ratings = await quality_ratings.ratings_of_year(conn, schema, year, on_day)
    return quality_ratings.ratings_report(tree, query.organisation, year, on_day, ratings)


async def audit_history(conn: asyncpg.Connection, schema: str, query: AuditHistoryQuery, on_day: date, options: Options) -> dict:
    """Toàn bộ diễn biến của một hồ sơ qua mọi dịch vụ, với vị trí và mã băm của từng sự kiện."""
    events = await audit_timeline.dossier_history(conn, schema, query.dossier_id)
    if not events:
        raise NotFound(f"Không có sự kiện nào của hồ sơ «{query.dossier_id}».", dossier_id=query.dossier_id)
    return {"dossier_id": query.dossier_id, "on": on_day.isoformat(), "events": events}


@dataclass(frozen=True)
class Report:
    name: str
    model: type[Query]
    needs: tuple[str, ...]
    """The concerns of the projections it reads: what is built in `pg_temp` for a past date."""
    run: Callable[[asyncpg.Connection, str, Any, date, Options], Awaitable[dict]]


REPORTS: tuple[Report, ...] = (
    Report("quota", PeriodQuery, ("organisation_tree", "quotas", "admissions", "pipeline", "applicants"), quota),
    Report("stats", PeriodQuery, ("organisation_tree", "admissions", "new_members"), stats),
    Report("stats_by_unit", PeriodQuery, ("organisation_tree", "admissions", "new_members"), stats_by_unit),
    Report("pipeline", PipelineQuery, ("organisation_tree", "pipeline"), pipeline_report),
    Report("classes", PeriodQuery, ("organisation_tree", "classes"), classes_report),
    Report("several_dossiers", OrganisationQuery, ("organisation_tree", "pipeline", "people", "applicants"), several_dossiers_report),
    Report("white_zones", WhiteZonesQuery, ("organisation_tree", "white_zones", "admissions"), white_zones_report),
    Report("deadlines", DeadlinesQuery, ("organisation_tree", "pipeline", "deadlines", "applicants"), deadlines_report),
    Report("ratings", RatingsQuery, ("organisation_tree", "quality_ratings"), ratings_report),
    Report("audit_history", AuditHistoryQuery, ("audit_timeline",), audit_history),
)
"""Every report: `reporting.query.<name>`."""
