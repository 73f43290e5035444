"""A dossier's whole road as a task list (the GOV.UK pattern): thirteen named steps from the source
list to recognition, each with its status, the day it was done and, when the law gives it one, its
deadline in working days.

Built from what the services answer about the dossier (`dossiers.dossier`, and `voting.case` for
the grassroots committee's resolution); pure, so it is unit-tested without servers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from ketnap.platform.vietnamese import vn_date
from ketnap.services.dossiers.values import Step


class Status(StrEnum):
    DONE = "done"
    CURRENT = "current"
    NOT_STARTED = "not_started"
    CANNOT_START = "cannot_start"
    NOT_REACHED = "not_reached"
    """The dossier ended before this step."""


STATUS_TITLES = {
    Status.DONE: "Đã xong",
    Status.CURRENT: "Đang làm",
    Status.NOT_STARTED: "Chưa làm",
    Status.CANNOT_START: "Chưa thể làm",
    Status.NOT_REACHED: "Không tới bước này",
}


@dataclass(frozen=True)
class Deadline:
    label: str
    rule: str | None
    due_on: date
    working_days_left: int
    overdue: bool


@dataclass(frozen=True)
class RoadStep:
    key: str
    title: str
    status: Status
    done_on: date | None = None
    note: str = ""
    deadline: Deadline | None = None

    @property
    def status_title(self) -> str:
        return STATUS_TITLES[self.status]


ROAD: tuple[tuple[str, str], ...] = (
    ("source_list", "Danh sách cảm tình Đảng"),
    ("class", "Lớp bồi dưỡng nhận thức về Đảng"),
    ("letter", "Đơn xin vào Đảng"),
    ("history", "Lý lịch người xin vào Đảng"),
    ("introductions", "Giới thiệu người vào Đảng"),
    ("opinions", "Nhận xét của đoàn thể, chi ủy nơi cư trú"),
    ("verification", "Thẩm tra, chứng nhận lý lịch"),
    ("cell_resolution", "Nghị quyết chi bộ"),
    ("committee_resolution", "Nghị quyết đảng ủy cơ sở"),
    ("decision", "Quyết định kết nạp"),
    ("ceremony", "Lễ kết nạp"),
    ("probation", "Thời kỳ dự bị 12 tháng"),
    ("recognition", "Công nhận đảng viên chính thức"),
)
TITLES = dict(ROAD)

RULE_STEPS: dict[str, str] = {
    "AGE_MIN": "history", "AGE_MAX": "history", "EDU_MIN": "history", "EDU_AREA": "history", "YOUTH_UNION": "history",
    "CLASS_VALID": "class", "INTRO_SET": "introductions", "INTRO_OFFICIAL": "introductions", "INTRO_12M": "introductions",
    "DOC_12M": "introductions", "HISTORY_CERTIFIED": "verification", "VERIFY_COMPLETE": "verification",
}
"""The road step whose facts a rule judges: a refusal on a later form points back to it."""

_STEP_ORDER = [s for s in Step if not s.closed]
_DEADLINE_STEP = {
    "admission_decision": "decision", "ceremony": "ceremony", "member_history": "probation", "recognition_vote": "recognition",
}


def _date(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def _reached(step: str | None, at_least: Step) -> bool:
    """Has a dossier at `step` reached `at_least`? (An official member has passed every step.)"""
    if step is None:
        return False
    current = Step(step)
    if current is Step.OFFICIAL:
        return True
    if current.closed:
        return False
    return _STEP_ORDER.index(current) >= _STEP_ORDER.index(at_least)


def road(dossier: Mapping[str, Any], voting: Mapping[str, Any] | None = None) -> list[RoadStep]:
    """The thirteen steps of `dossier` (a `dossiers.dossier` answer); `voting` is its `voting.case`
    answer when voting has one."""
    papers = dossier.get("papers") or {}
    history = papers.get("personal_history") or {}
    introductions = papers.get("introductions") or {}
    cell_vote = dossier.get("cell_vote") or {}
    resolution = cell_vote.get("resolution") or {}
    admission = dossier.get("admission") or {}
    probation = dossier.get("probation") or {}
    official = dossier.get("official") or {}
    grassroots = (voting or {}).get("grassroots_resolution") or {}
    step = str(dossier.get("step") or "")
    closed = bool(dossier.get("closed")) and step != Step.OFFICIAL
    as_of = _date(dossier.get("as_of")) or date.today()

    class_on = _date((papers.get("class_certificate") or {}).get("issued_on"))
    letter_on = _date(papers.get("application_letter_on"))
    declared_on = _date(history.get("declared_on"))
    introduced_on = max((d for d in (_date(i.get("introduced_on")) for i in introductions.get("introducers") or []) if d), default=None)
    opinions_on = max((d for d in (_date(o.get("given_on")) for o in papers.get("opinions") or []) if d), default=None)
    certified_on = _date(history.get("certified_on")) if history.get("certification_current") or history.get("certified_on") else None
    adopted_on = _date(resolution.get("meeting_on")) if resolution.get("adopted") else None
    committee_on = _date(grassroots.get("meeting_on")) if grassroots.get("outcome") == "adopted" else None
    decided_on = _date(admission.get("decision_date"))
    ceremony_on = _date(probation.get("starts_on"))
    probation_ends = _date(probation.get("ends_on"))
    official_on = _date(official.get("decision_date") or official.get("official_date")) if official else None

    done: dict[str, date | None] = {
        "source_list": _date(dossier.get("opened_on")),
        "class": class_on,
        "letter": letter_on,
        "history": declared_on,
        "introductions": introduced_on if introductions else None,
        "opinions": opinions_on,
        "verification": certified_on,
        "cell_resolution": adopted_on,
        "committee_resolution": committee_on,
        "decision": decided_on,
        "ceremony": ceremony_on,
        "probation": probation_ends if probation_ends and (probation_ends <= as_of or official) else None,
        "recognition": official_on if official else None,
    }
    can_start = {
        "source_list": True,
        "class": True,
        "letter": True,
        "history": letter_on is not None,
        "introductions": letter_on is not None,
        "opinions": letter_on is not None,
        "verification": declared_on is not None,
        "cell_resolution": _reached(step, Step.READY_FOR_CELL_VOTE),
        "committee_resolution": _reached(step, Step.AWAITING_DECISION),
        "decision": _reached(step, Step.AWAITING_DECISION),
        "ceremony": _reached(step, Step.AWAITING_CEREMONY),
        "probation": ceremony_on is not None,
        "recognition": _reached(step, Step.PROBATION) and probation_ends is not None and probation_ends <= as_of,
    }
    current = _current(step, done)
    deadlines = {_DEADLINE_STEP.get(str(d.get("name")), ""): d for d in dossier.get("open_deadlines") or []}
    steps = []
    for key, title in ROAD:
        if done.get(key):
            status = Status.DONE
        elif closed:
            status = Status.NOT_REACHED
        elif key == current:
            status = Status.CURRENT
        elif can_start[key]:
            status = Status.NOT_STARTED
        else:
            status = Status.CANNOT_START
        note = ""
        if key == "probation" and ceremony_on and probation_ends and status is not Status.DONE:
            note = f"đến hết ngày {vn_date(probation_ends)}"
        due = deadlines.get(key)
        deadline = None
        if due and status is not Status.DONE:
            deadline = Deadline(
                str(due.get("label") or ""), due.get("rule"), date.fromisoformat(str(due["due_on"])), int(due.get("working_days_left") or 0),
                bool(due.get("overdue")),
            )
        steps.append(RoadStep(key, title, status, done.get(key), note, deadline))
    return steps


def _current(step: str, done: Mapping[str, date | None]) -> str | None:
    """The road step the dossier is working on now."""
    try:
        current = Step(step)
    except ValueError:
        return None
    if current in (Step.SOURCE_LIST, Step.APPLICATION, Step.VERIFICATION):
        order = ("class", "letter", "history", "introductions", "opinions", "verification")
        return next((key for key in order if not done.get(key)), "cell_resolution")  # papers done: to the cell's vote
    return {
        Step.READY_FOR_CELL_VOTE: "cell_resolution",
        Step.AWAITING_DECISION: "committee_resolution" if not done.get("committee_resolution") else "decision",
        Step.AWAITING_CEREMONY: "ceremony",
        Step.PROBATION: "probation",
        Step.RECOGNITION: "recognition",
    }.get(current)
