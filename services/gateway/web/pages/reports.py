"""Báo cáo: one page per report of reporting (quota, statistics, pipeline, classes, white zones,
overdue, ratings), each with its unit (from the person's subtree), its year or congress term, the
business day it is about and, if wanted, the moment the figures are as recorded by; charts drawn
on the server (`charts.py`); the same report as XLSX and CSV (`downloads.py`).

Every figure is the API's: the page asks `reporting.<query>` through `Web.ask` (the access table
and the scope check of the HTTP API, for the same user), the downloads ask it again with the same
choices, and reporting's own tables (`reporting.values.TABLES`) give the columns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import Response
from markupsafe import Markup

from ketnap.domain.values import PARTY_FOUNDED
from ketnap.platform.commands import NotFound
from ketnap.services.gateway.access import QUERIES
from ketnap.services.gateway.web.charts import Bar, columns, horizontal_bars
from ketnap.services.gateway.web.downloads import CSV_TYPE, XLSX_TYPE, csv_bytes, shown_value, xlsx_bytes
from ketnap.services.gateway.web.organisation.tree import in_tree_order
from ketnap.services.gateway.web.page import MenuItem, Refusal, SignedIn, Web, pages, render, signed_in, web_of
from ketnap.services.gateway.web.pages.home import congress_term
from ketnap.services.gateway.web.vietnamese import VIETNAM, NotADate, percent, shown_date, step_title, typed_date
from ketnap.services.reporting.values import TABLES, Table

router = pages()
REPORTS_PATH = "/bao-cao"
MENU = [MenuItem("Báo cáo", REPORTS_PATH, roles=QUERIES[("reporting", "quota")].roles, order=30)]

YEAR, TERM = "nam", "nhiem-ky"
_TERM = re.compile(r"^\s*(\d{4})\s*-\s*(\d{4})\s*$")
_CLOCK = re.compile(r"^\s*(\d{1,2})[:hg](\d{2})(?::(\d{2}))?\s*$")
MONTHS = tuple(f"T{m}" for m in range(1, 13))


@dataclass(frozen=True)
class Report:
    """A report's page: its address, reporting's query and what the page asks for."""

    slug: str
    query: str
    title: str
    explain: str
    period: str
    """`required` (a year or a term), `optional`, `year` (a year only) or `none`."""
    order: int


REPORTS = (
    Report("chi-tieu", "quota", "Chỉ tiêu kết nạp đảng viên",
           "Chỉ tiêu được giao và số đã kết nạp (quyết định kết nạp trong kỳ) của đơn vị và từng đơn vị trực thuộc.", "required", 1),
    Report("thong-ke", "stats", "Thống kê đảng viên mới kết nạp",
           "Cơ cấu đảng viên mới: nữ, dân tộc thiểu số, tôn giáo, đoàn viên, tuổi, trình độ (theo bố cục biểu thống kê).", "required", 2),
    Report("tien-do", "pipeline", "Hồ sơ theo bước",
           "Số hồ sơ đang ở từng bước, thời gian ở mỗi bước, hồ sơ kết thúc và bị bác.", "optional", 3),
    Report("lop-boi-duong", "classes", "Lớp bồi dưỡng", "Lớp bồi dưỡng nhận thức về Đảng và lớp đảng viên mới kết thúc trong kỳ.",
           "required", 4),
    Report("dia-ban-trang", "white_zones", "Địa bàn trắng",
           "Địa bàn chưa có chi bộ hoặc chi bộ chưa có đảng viên; chi bộ nhiều năm không kết nạp được đảng viên.", "none", 5),
    Report("qua-han", "deadlines", "Thời hạn quá hạn", "Các việc đã quá thời hạn (quyết định kết nạp, lễ kết nạp, công nhận chính thức).",
           "none", 6),
    Report("xep-loai", "ratings", "Xếp loại chất lượng", "Kết quả đánh giá, xếp loại chất lượng đảng viên và tổ chức đảng trong năm.",
           "year", 7),
    Report("nhieu-ho-so", "several_dossiers", "Một người, nhiều hồ sơ",
           "Người có hồ sơ đang mở ở hơn một nơi cùng lúc (thấy được ở cấp giữ nhật ký của nhiều cơ sở).", "none", 8),
)
BY_SLUG = {r.slug: r for r in REPORTS}


@dataclass
class Choice:
    """What the person chose (from the address), and the query it becomes."""

    organisation: str
    period_kind: str | None
    year: int | None
    term: str | None
    day: date
    recorded_by: time | None
    years: int = 3
    everything: bool = False
    problems: dict[str, str] = field(default_factory=dict)
    """Field -> what is wrong with what was typed, in Vietnamese."""

    def body(self, report: Report, today: date) -> dict[str, Any]:
        body: dict[str, Any] = {"organisation": self.organisation}
        if self.period_kind == YEAR and self.year is not None:
            body["year"] = self.year
        elif self.period_kind == TERM and self.term:
            body["term"] = self.term
        if report.query == "white_zones":
            body["years"] = self.years
        if report.query == "deadlines":
            body["overdue_only"] = not self.everything
        if self.recorded_by is not None:
            body["as_of"] = datetime.combine(self.day, self.recorded_by, VIETNAM).isoformat()
        elif self.day != today:
            body["as_of"] = self.day.isoformat()
        return body

    def address(self) -> str:
        """The query string that gives this choice again (the downloads' links)."""
        params = {"don-vi": self.organisation, "ngay": shown_date(self.day)}
        if self.period_kind:
            params["ky"] = self.period_kind
            params[YEAR] = str(self.year or "")
            params[TERM] = self.term or ""
        if self.recorded_by is not None:
            params["gio"] = clock(self.recorded_by)
        params["so-nam"] = str(self.years)
        if self.everything:
            params["tat-ca"] = "1"
        return urlencode(params)


def read_choice(report: Report, params: Mapping[str, str], who: SignedIn, today: date) -> Choice:
    problems: dict[str, str] = {}
    day = today
    if (typed := params.get("ngay", "").strip()):
        try:
            day = typed_date(typed)
        except NotADate as wrong:
            problems["ngay"] = str(wrong)
        else:
            if day > today:
                problems["ngay"] = "Ngày báo cáo không được sau hôm nay."
            elif day < PARTY_FOUNDED:
                problems["ngay"] = f"Ngày báo cáo phải từ ngày thành lập Đảng ({shown_date(PARTY_FOUNDED)}) trở đi."
    recorded_by = None
    if (typed := params.get("gio", "").strip()):
        found = _CLOCK.match(typed)
        if not found or int(found.group(1)) > 23 or int(found.group(2)) > 59 or int(found.group(3) or 0) > 59:
            problems["gio"] = "Giờ phải viết dạng giờ:phút, ví dụ 17:30 (có thể thêm giây: 17:30:15)."
        else:
            recorded_by = time(int(found.group(1)), int(found.group(2)), int(found.group(3) or 0))
    period_kind, year, term = None, None, None
    if report.period != "none":
        period_kind = YEAR if report.period == "year" else params.get("ky") or ("" if report.period == "optional" else YEAR)
        if period_kind == YEAR:
            typed = params.get(YEAR, "").strip() or str(day.year)
            if not typed.isdigit() or not 1930 <= int(typed) <= 2200:
                problems[YEAR] = "Năm phải là bốn chữ số, ví dụ 2025."
            else:
                year = int(typed)
        elif period_kind == TERM:
            typed = params.get(TERM, "").strip() or congress_term(day)
            found = _TERM.match(typed)
            if not found or int(found.group(2)) <= int(found.group(1)):
                problems[TERM] = "Nhiệm kỳ phải viết dạng năm đầu-năm cuối, ví dụ 2020-2025."
            else:
                term = f"{found.group(1)}-{found.group(2)}"
        elif period_kind:
            problems["ky"] = "Chọn năm hoặc nhiệm kỳ."
        period_kind = period_kind or None
    years = 3
    if (typed := params.get("so-nam", "").strip()):
        if not typed.isdigit() or not 1 <= int(typed) <= 50:
            problems["so-nam"] = "Số năm phải là số nguyên từ 1 đến 50."
        else:
            years = int(typed)
    return Choice(
        organisation=params.get("don-vi", "").strip() or who.principal.organisation, period_kind=period_kind, year=year, term=term,
        day=day, recorded_by=recorded_by, years=years, everything=params.get("tat-ca") == "1", problems=problems,
    )


def clock(moment: time) -> str:
    """17:30, or 17:30:15 when the seconds were given."""
    return f"{moment:%H:%M:%S}" if moment.second else f"{moment:%H:%M}"


@dataclass(frozen=True)
class Units:
    """The units of the person's subtree on the report's day: the unit picker (code -> indented
    name, in tree order, each unit above its own) and their names (a table's codes shown as names)."""

    picker: dict[str, str]
    names: dict[str, str]


async def units_of(web: Web, who: SignedIn, day: date) -> Units:
    subtree = await web.ask(who, "registry", "subtree", code=who.principal.organisation, on=day.isoformat())
    rows = in_tree_order(subtree.get("organisations", []), who.principal.organisation)
    return Units(
        picker={o["code"]: "\u00a0\u00a0" * int(o.get("depth") or 0) + f"{o['name']} ({o['code']})" for o in rows},
        names={o["code"]: o["name"] for o in rows if o.get("name")},
    )


DAY_FIELDS = {"on", "as_of", "as_recorded"}
"""reporting's fields the page's «Ngày báo cáo» (and «Giờ») become: a refusal of one is shown there."""

CODE_HEADERS = {"Mã", "Mã lớp", "Mã quy định"}
"""Columns that are a code by intent (the unit's own, a class's, a rule's): shown as they are."""
DOSSIER_HEADER = "Hồ sơ"


def shown_cell(header: str, value: Any, names: Mapping[str, str]) -> Markup | str:
    """A report table's value on the page: a unit's code as its name (the code stays in the
    downloads, for other programs), a dossier's id as a link that opens it, the rest as read."""
    if header == DOSSIER_HEADER and isinstance(value, str) and value:
        return Markup('<a href="/ho-so/{}">Mở hồ sơ</a>').format(value)
    if header not in CODE_HEADERS and isinstance(value, str) and value in names:
        return Markup('<span title="{}">{}</span>').format(value, names[value])
    return shown_value(value, grouped=True)


async def _asked(request: Request, who: SignedIn, report: Report) -> tuple[Choice, Units, dict[str, Any] | None]:
    web = web_of(request)
    today = web.today()
    choice = read_choice(report, request.query_params, who, today)
    try:
        units = await units_of(web, who, choice.day if "ngay" not in choice.problems else today)
    except Refusal as refusal:
        if refusal.code != NotFound.code:
            raise
        # The person's own unit did not stand yet on that day: the day is what to change.
        choice.problems["ngay"] = f"Ngày {shown_date(choice.day)} đơn vị của bạn chưa được thành lập; hãy chọn ngày muộn hơn."
        units = await units_of(web, who, today)
    if choice.organisation not in units.picker and "ngay" not in choice.problems:
        choice.problems["don-vi"] = "Chọn một đơn vị trong phạm vi quản lý của bạn."
    if choice.problems:
        return choice, units, None
    try:
        return choice, units, await web.ask(who, "reporting", report.query, **choice.body(report, today))
    except Refusal as refusal:
        if refusal.code != "validation" or refusal.details.get("field") not in DAY_FIELDS:
            raise
        choice.problems["ngay"] = refusal.message  # reporting's own word on the day (nothing recorded yet by then)
        return choice, units, None


@router.get(REPORTS_PATH)
async def reports_index(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    return await render(request, who, "reports.html", reports=REPORTS, title="Báo cáo")


@router.get(REPORTS_PATH + "/{slug}")
async def report_page(slug: str, request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    report = _report(slug)
    choice, units, result = await _asked(request, who, report)
    return await _shown(request, who, report, choice, units, result)


async def _shown(
    request: Request, who: SignedIn, report: Report, choice: Choice, units: Units, result: dict[str, Any] | None,
) -> Response:
    """The report's page: the choice (with what is wrong in it, 422), then the report, its charts and tables."""
    shown: dict[str, Any] = {"charts": [], "heading": [], "tables": []}
    if result is not None:
        shown = {"charts": charts_of(report, result), "heading": heading_of(report, choice, result), "tables": TABLES[report.query](result)}
        if report.query == "stats":
            shown["form"] = await stats_form(web_of(request), who, report, choice)
    return await render(
        request, who, "report.html", status_code=422 if choice.problems else 200, report=report, reports=REPORTS, choice=choice,
        units=units.picker, names=units.names, result=result, title=report.title, download=choice.address(), shown_cell=shown_cell,
        clock=clock, **shown,
    )


@router.get(REPORTS_PATH + "/{slug}/{kind}")
async def report_download(slug: str, kind: str, request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    report = _report(slug)
    if kind not in ("xlsx", "csv"):
        raise NotFound("Không có định dạng tải xuống này.")
    choice, units, result = await _asked(request, who, report)
    if result is None:
        return await _shown(request, who, report, choice, units, None)
    tables = TABLES[report.query](result)
    if report.query == "stats":
        tables = [await stats_form(web_of(request), who, report, choice), *tables]
    heading = heading_of(report, choice, result)
    name = f"{report.slug}-{choice.organisation}-{choice.day:%Y%m%d}.{kind}"
    content, media = (xlsx_bytes(heading, tables), XLSX_TYPE) if kind == "xlsx" else (csv_bytes(heading, tables), CSV_TYPE)
    return Response(content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _report(slug: str) -> Report:
    found = BY_SLUG.get(slug)
    if found is None:
        raise NotFound("Không có báo cáo này.")
    return found


async def stats_form(web: Web, who: SignedIn, report: Report, choice: Choice) -> Table:
    """The statistics in the layout of the Central Organisation Commission's form: a row per unit
    of the chosen unit's subtree, all asked of reporting at once (`stats_by_unit`, the same choice
    as the statistics), as the person."""
    (form,) = TABLES["stats_by_unit"](await web.ask(who, "reporting", "stats_by_unit", **choice.body(report, web.today())))
    return form


def heading_of(report: Report, choice: Choice, result: dict[str, Any]) -> list[str]:
    """The three lines on top of a downloaded report: its title, the unit and period, the day."""
    unit = f"{result.get('name') or ''} ({result.get('code') or choice.organisation})"
    period = ""
    if result.get("period"):
        period = f", {'nhiệm kỳ' if result.get('period_kind') == 'term' else 'năm'} {result['period']}"
    elif report.query == "ratings":
        period = f", năm {result.get('year')}"
    day = result.get("status_on") or result.get("on") or choice.day.isoformat()
    recorded = f"; số liệu ghi nhận đến {clock(choice.recorded_by)} ngày {shown_date(choice.day)}" if choice.recorded_by else ""
    return [report.title.upper(), f"Đơn vị: {unit}{period}", f"Tình hình đến ngày {shown_date(day)}{recorded}"]


# --- charts ---------------------------------------------------------------------------------------------

STATS_CHARTED = ("gender", "ethnic_minority", "youth_union", "general_education", "professional_qualification", "age_band")


def charts_of(report: Report, result: dict[str, Any]) -> list[tuple[str, Markup]]:
    return CHARTS.get(report.query, lambda _: [])(result)


def _quota_charts(result: dict[str, Any]) -> list[tuple[str, Markup]]:
    lines = [result, *result.get("children", [])]
    bars = [Bar(line.get("name") or line["code"], line["achieved"], line.get("quota"),
                _percent(line.get("percent")) if line.get("quota") else "chưa giao chỉ tiêu") for line in lines]
    title = "Đã kết nạp so với chỉ tiêu, theo đơn vị"
    charts = [(title, horizontal_bars(title, bars, css="chart-quota"))]
    by_period = admissions_by_period(result)
    title = "Số đảng viên kết nạp theo tháng" if result.get("period_kind") != "term" else "Số đảng viên kết nạp theo năm"
    charts.append((title, columns(title, by_period, css="chart-months")))
    return charts


def admissions_by_period(result: dict[str, Any]) -> list[Bar]:
    """The admissions counted in the report's unit (each once), per month of the year (per year of a term)."""
    seen = {a["dossier_id"]: date.fromisoformat(a["decision_date"]) for a in result.get("admissions", [])}
    if result.get("period_kind") == "term":
        first, last = (int(y) for y in result["period"].split("-"))
        years = range(first, last)
        return [Bar(str(y), sum(1 for d in seen.values() if d.year == y)) for y in years]
    return [Bar(label, sum(1 for d in seen.values() if d.month == month)) for month, label in enumerate(MONTHS, start=1)]


def _pipeline_charts(result: dict[str, Any]) -> list[tuple[str, Markup]]:
    title = "Số hồ sơ đang ở từng bước"
    bars = [Bar(step_title(s["step"]), result["by_step"].get(s["step"], 0)) for s in result.get("steps", [])]
    return [(title, horizontal_bars(title, bars, css="chart-steps"))]


def _stats_charts(result: dict[str, Any]) -> list[tuple[str, Markup]]:
    charts = []
    for axis in result.get("axes", []):
        if axis["axis"] not in STATS_CHARTED:
            continue
        title = f"{axis['label']} (trên {result['admitted']} đảng viên mới)"
        bars = [Bar(v["label"], v["count"], None, _percent(v.get("percent"))) for v in axis["values"]]
        charts.append((title, horizontal_bars(title, bars, css="chart-breakdown")))
    return charts


def _classes_charts(result: dict[str, Any]) -> list[tuple[str, Markup]]:
    title = "Học viên theo loại lớp"
    return [(title, horizontal_bars(title, [Bar(k["label"], k["attendees"]) for k in result.get("by_kind", [])]))]


def _deadlines_charts(result: dict[str, Any]) -> list[tuple[str, Markup]]:
    title = "Việc quá hạn theo đơn vị"
    return [(title, horizontal_bars(title, [Bar(c.get("name") or c["code"], c["overdue"]) for c in [result, *result.get("children", [])]]))]


def _ratings_charts(result: dict[str, Any]) -> list[tuple[str, Markup]]:
    title = f"Xếp loại đảng viên năm {result.get('year')}"
    members = result.get("members", {})
    return [(title, horizontal_bars(title, [Bar(c["label"], c["count"], None, _percent(c.get("percent")))
                                             for c in members.get("by_class", [])]))]


def _percent(value: Any) -> str:
    return percent(value) if value is not None else ""


CHARTS: dict[str, Callable[[dict[str, Any]], list[tuple[str, Markup]]]] = {
    "quota": _quota_charts, "pipeline": _pipeline_charts, "stats": _stats_charts, "classes": _classes_charts,
    "deadlines": _deadlines_charts, "ratings": _ratings_charts,
}
