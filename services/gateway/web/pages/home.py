"""Việc cần làm: for the person's unit, what waits on them now, each line opening its dossier; beside
it the year's and the congress term's quota progress as bars, and the dossiers per step.

The lists come from one `dossiers.search` over the dossiers past preparation (one personal read),
and `verification.overdue`; the figures from reporting (`quota`, `pipeline`). A part the person's
role may not read is left out; a part whose service does not answer says so, and the rest shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import Response

from ketnap.domain.calendar import working_days_between
from ketnap.platform.commands import DomainError
from ketnap.services.dossiers.values import Step
from ketnap.services.gateway.web.page import HOME_PATH, MenuItem, SignedIn, pages, render, signed_in, web_of
from ketnap.services.gateway.web.vietnamese import RELATIONS, shown_date

router = pages()
MENU = [MenuItem("Việc cần làm", HOME_PATH, order=10)]

SOON_WORKING_DAYS = 10
"""A decision or ceremony due within this many working days is listed as due soon."""
PROBATION_SOON_DAYS = 30
SHOWN = 8
WAITING_STEPS = (Step.READY_FOR_CELL_VOTE, Step.AWAITING_DECISION, Step.AWAITING_CEREMONY, Step.PROBATION, Step.RECOGNITION)


@dataclass
class Task:
    """One list of "Việc cần làm"."""

    title: str
    explain: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    more: str | None = None
    """The dossier list filtered to the same dossiers, when there are more than shown."""


def congress_term(day: date) -> str:
    """The congress term (nhiệm kỳ đại hội) the day falls in: five years from a year ending in 0 or 5."""
    first = day.year - day.year % 5
    return f"{first}-{first + 5}"


@router.get(HOME_PATH)
async def home(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    web = web_of(request)
    today = web.today()
    unavailable: list[str] = []

    async def part(service: str, name: str, **body: Any) -> dict[str, Any] | None:
        if not web.may(who, "query", service, name):
            return None
        try:
            return await web.ask(who, service, name, **body)
        except DomainError as refusal:
            if refusal.code == "unavailable":
                unavailable.append(refusal.message)
                return None
            raise

    waiting = await part(
        "dossiers", "search", steps=[s.value for s in WAITING_STEPS], sort="due_on", page_size=100,
    )
    overdue_replies = await part("verification", "overdue", cell=who.principal.organisation)
    quota_year = await part("reporting", "quota", organisation=who.principal.organisation, year=today.year)
    quota_term = await part("reporting", "quota", organisation=who.principal.organisation, term=congress_term(today))
    pipeline = await part("reporting", "pipeline", organisation=who.principal.organisation)
    subtree = await part("registry", "subtree", code=who.principal.organisation, on=today.isoformat())
    cell_names = {o["code"]: o["name"] for o in (subtree or {}).get("organisations", [])}
    return await render(
        request, who, "home.html", tasks=_tasks(waiting, today) if waiting is not None else None,
        overdue_replies=None if overdue_replies is None else [{**r, "reminder": reminder(r, cell_names)} for r in overdue_replies["items"]],
        quota_year=quota_year, quota_term=quota_term, pipeline=pipeline,
        unavailable=unavailable, soon=SOON_WORKING_DAYS, may_search=web.may(who, "query", "dossiers", "search"), cell_names=cell_names,
    )


def reminder(item: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """An overdue verification request as a reminder (nhắc việc), the units by their names as the
    report pages show them (the verification service's own `reminder` names them by code); a unit
    outside the person's subtree, or an address typed as free text, as it was recorded."""
    relation = RELATIONS.get(str(item.get("relation")), str(item.get("relation") or ""))
    sent_to = names.get(item["sent_to"], item["sent_to"])
    sender = f"{names.get(item['sent_by'], item['sent_by'])} đôn đốc " if item.get("sent_by") else "Đôn đốc "
    return (
        f"Yêu cầu thẩm tra lý lịch ({relation[:1].lower() + relation[1:]}) gửi {sent_to} ngày {shown_date(item['sent_on'])} "
        f"đã {item['working_days_waiting']} ngày làm việc chưa có trả lời (hạn trả lời {shown_date(item['reply_due_on'])}). "
        f"Đề nghị {sender}{sent_to} trả lời."
    )


def _tasks(found: dict[str, Any], today: date) -> list[Task]:
    rows = found.get("dossiers") or []
    for row in rows:
        due = row.get("next_deadline")
        row["working_days_left"] = working_days_between(today, date.fromisoformat(due["due_on"])) if due else None

    def at(step: Step) -> list[dict[str, Any]]:
        return [r for r in rows if r["step"] == step.value]

    def soon(row: dict[str, Any]) -> bool:
        left = row.get("working_days_left")
        return left is not None and (row["next_deadline"]["overdue"] or left <= SOON_WORKING_DAYS)

    ending_by = today + timedelta(days=PROBATION_SOON_DAYS)
    lists = [
        Task("Hồ sơ chờ chi bộ xét", "Hồ sơ đã đủ, chờ chi bộ họp biểu quyết.", at(Step.READY_FOR_CELL_VOTE)),
        Task("Nghị quyết chờ cấp ủy xem xét, quyết định",
             "Chi bộ đã có nghị quyết đề nghị kết nạp; chờ nghị quyết đảng ủy cơ sở và quyết định kết nạp.", at(Step.AWAITING_DECISION)),
        Task(f"Quyết định đến hạn trong {SOON_WORKING_DAYS} ngày làm việc",
             "Thời hạn 60 ngày làm việc từ ngày chi bộ có nghị quyết (quy định DECISION_60WD).",
             [r for r in at(Step.AWAITING_DECISION) if soon(r)]),
        Task("Lễ kết nạp cần tổ chức", "Trong 30 ngày làm việc từ khi chi bộ nhận quyết định (quy định CEREMONY_30WD).",
             at(Step.AWAITING_CEREMONY)),
        Task(f"Sắp hết thời kỳ dự bị ({PROBATION_SOON_DAYS} ngày tới)", "Chi bộ xét công nhận đảng viên chính thức khi hết 12 tháng dự bị.",
             sorted((r for r in at(Step.PROBATION) if r.get("probation_ends_on") and date.fromisoformat(r["probation_ends_on"]) <= ending_by),
                    key=lambda r: r["probation_ends_on"])),
        Task("Chờ xét công nhận đảng viên chính thức", "Hồ sơ xét công nhận đã đủ; chờ biểu quyết và quyết định.", at(Step.RECOGNITION)),
    ]
    for task in lists:
        if len(task.rows) > SHOWN:
            step = task.rows[0]["step"].replace("_", "-")
            task.more = f"/ho-so?buoc={step}&sap-xep=han"
            task.rows = task.rows[:SHOWN]
    return lists

