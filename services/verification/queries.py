"""What users read: one dossier's case, and the requests overdue for a reply, each with a reminder.

Overdue (quá hạn trả lời thẩm tra): a request without a reply for more than N working days, N
configurable (default 30) [U]. Counted as every deadline is (shared/domain/calendar.py): the day the
request was sent never counts, and the reply is due on `add_working_days(sent_on, N)`.
"""

from __future__ import annotations

from datetime import date, timedelta, timezone
from typing import Any

from ketnap.domain.calendar import add_working_days, today_in_vietnam, working_days_between
from ketnap.platform.aggregates import KeptAggregates
from ketnap.platform.commands import NotFound
from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.service import ServiceContext
from ketnap.platform.vietnamese import vn_date
from ketnap.services.verification.case import Case, stream_id
from ketnap.services.verification.commands import CaseQuery, OverdueQuery
from ketnap.services.verification.registry_client import RegistryClient

DEFAULT_OVERDUE_WORKING_DAYS = 30

VIETNAM = timezone(timedelta(hours=7), "ICT")

RELATION_NAMES = {
    "applicant": "người vào Đảng",
    "father": "cha đẻ",
    "mother": "mẹ đẻ",
    "father_in_law": "cha vợ (chồng)",
    "mother_in_law": "mẹ vợ (chồng)",
    "guardian": "người trực tiếp nuôi dưỡng",
    "spouse": "vợ (chồng)",
    "child": "con đẻ",
}


def reply_due_on(sent_on: date, working_days: int) -> date:
    """The last day a reply is on time."""
    return add_working_days(sent_on, working_days)


def is_overdue(sent_on: date, on: date, working_days: int) -> bool:
    """More than `working_days` working days without a reply, counted on `on`."""
    return working_days_between(sent_on, on) > working_days


def reminder(*, relation: str, sent_to: str, sent_on: date, sent_by: str | None, waiting: int, due_on: date) -> str:
    """The reminder (nhắc việc) for one overdue request; names nobody, only the organisations."""
    who = RELATION_NAMES.get(relation, relation)
    sender = f"{sent_by} đôn đốc " if sent_by else "Đôn đốc "
    return (
        f"Yêu cầu thẩm tra lý lịch ({who}) gửi {sent_to} ngày {vn_date(sent_on)} đã {waiting} ngày làm việc "
        f"chưa có trả lời (hạn trả lời {vn_date(due_on)}). Đề nghị {sender}{sent_to} trả lời."
    )


async def _case_events(ctx: ServiceContext, dossier_id: str) -> list[RecordedEvent]:
    events = await ctx.store.read_stream(stream_id(dossier_id))
    if not events:
        raise _no_case(dossier_id)
    return events


def _no_case(dossier_id: str) -> NotFound:
    return NotFound(f"Chưa có hồ sơ thẩm tra cho hồ sơ {dossier_id}.", dossier_id=dossier_id)


CASES: KeptAggregates[Case] = KeptAggregates(lambda _stream, recorded: Case.from_events(recorded), Case.advance)
"""Cases kept between commands (ketnap.platform.aggregates): each load reads only what came since."""


async def load_case(ctx: ServiceContext, dossier_id: str) -> Case:
    case = await CASES.load(ctx.store, stream_id(dossier_id))
    if case is None:
        raise _no_case(dossier_id)
    return case


async def case(ctx: ServiceContext, query: CaseQuery) -> dict[str, Any]:
    """The case of one dossier, with each subject's state (read from its stream: always current),
    and its history: who recorded what, when (a page shows it when someone acted first)."""
    events = await _case_events(ctx, query.dossier_id)
    return {**Case.from_events(events).view(), "history": [event.history_entry() for event in events]}


async def overdue(ctx: ServiceContext, query: OverdueQuery, *, default_working_days: int, registry: RegistryClient) -> dict[str, Any]:
    """Requests without a reply for more than N working days, oldest first, each with a reminder;
    with `cell`, those of the dossiers of that unit's subtree on `on` (a cell, or a committee
    above it: a commune's board sees every cell below it, like every other report)."""
    on = query.on or today_in_vietnam()
    cells = await registry.subtree(query.cell, on) if query.cell else None
    n = query.working_days or default_working_days
    # N working days span at least N calendar days: the date bound narrows, the calendar decides.
    rows_bound = on - timedelta(days=n)
    async with ctx.pool.acquire() as conn:
        rows = await conn.fetch(
            f"SELECT s.dossier_id, s.subject_id, s.cell, s.relation, s.template, s.sent_to, s.sent_on, s.sent_by "
            f"FROM {ctx.name}.subject_overview s JOIN {ctx.name}.case_overview c USING (dossier_id) "
            "WHERE s.replied_on IS NULL AND s.sent_on IS NOT NULL AND s.sent_on < $1 "
            "AND c.status IN ('open', 'blocked') AND ($2::text[] IS NULL OR s.cell = ANY($2::text[])) "
            "ORDER BY s.sent_on, s.dossier_id, s.subject_id",
            rows_bound,
            cells,
        )
    items = []
    for row in rows:
        if not is_overdue(row["sent_on"], on, n):
            continue
        waiting = working_days_between(row["sent_on"], on)
        due = reply_due_on(row["sent_on"], n)
        items.append(
            {
                "dossier_id": row["dossier_id"],
                "cell": row["cell"],
                "subject_id": row["subject_id"],
                "relation": row["relation"],
                "template": row["template"],
                "sent_to": row["sent_to"],
                "sent_on": row["sent_on"].isoformat(),
                "sent_by": row["sent_by"],
                "reply_due_on": due.isoformat(),
                "working_days_waiting": waiting,
                "reminder": reminder(
                    relation=row["relation"], sent_to=row["sent_to"], sent_on=row["sent_on"], sent_by=row["sent_by"],
                    waiting=waiting, due_on=due,
                ),
            }
        )
        if len(items) >= query.limit:
            break
    return {"on": on.isoformat(), "working_days": n, "items": items}
