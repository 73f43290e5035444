"""What a dossier refuses, and how: the refusals with their Vietnamese messages, the rule set a
check runs under, and the checks of dates against today and against each other."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from ketnap.domain.rules import NoRuleSetInForce, RuleSet, Violation, rule_set_on
from ketnap.platform.commands import Conflict, InvalidInput, RuleViolation
from ketnap.platform.vietnamese import vn_date


class WrongStep(InvalidInput):
    """The command belongs to a later step of the dossier: it comes too early."""


class StepTaken(WrongStep):
    """The step was already taken (the dossier is at or past what the command would record): a
    `conflict`, the answer the loser of two officers submitting the same step at once gets whether
    the store's version check or this check stops it (docs/dossiers.md)."""

    code = "conflict"


class DossierClosed(Conflict):
    """The dossier has ended; nothing more can be recorded by officers (a `conflict`, as for the
    loser of a race with the act that ended it)."""


class DossierOnHold(Conflict):
    """The dossier is suspended for political screening (để lại sưu tra): a `conflict`, as for the
    loser of a race with the suspension (the store's version check gives the same)."""


class DateOutOfOrder(InvalidInput):
    """A date in the future, or before a date it must follow."""


class IncompleteDossier(InvalidInput):
    """Papers are missing for the step asked for."""


class StaleVersion(Conflict):
    """The officer acted on a version of the dossier that is no longer the latest."""


class OutOfStep(Exception):
    """A fact from another service that cannot belong to this dossier as it stands."""


def raise_violation(violation: Violation, *, others: Sequence[Violation] = ()) -> None:
    """Refuse with the first broken rule's code and message; the others found at once are listed too."""
    details: dict[str, Any] = {k: _plain(v) for k, v in violation.details.items()}
    if others:
        details["violations"] = [{"rule": str(v.code), "message": v.message} for v in (violation, *others)]
    raise RuleViolation(str(violation.code), violation.message, **details)


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def rules_in_force(on: date) -> RuleSet:
    """The rule set on a date a command gave; a date before every known set is refused (NO_RULE_SET)."""
    try:
        return rule_set_on(on)
    except NoRuleSetInForce as error:
        raise_violation(error.violation)
        raise  # unreachable: raise_violation always raises


# --- dates -----------------------------------------------------------------------------------------


_LABELS = {  # the Vietnamese name of each date a message may cite
    "opened_on": "đưa vào danh sách cảm tình Đảng",
    "left_on": "ra khỏi Đảng",
    "conviction_cleared_on": "được xóa án tích",
    "first_admitted_on": "vào Đảng lần đầu",
    "issued_on": "cấp giấy chứng nhận",
    "submitted_on": "nộp đơn xin vào Đảng",
    "declared_on": "khai lý lịch",
    "corrected_on": "đính chính lý lịch",
    "birth_date": "sinh",
    "recorded_on": "ghi nhận",
    "introduced_on": "giới thiệu",
    "acquainted_since": "bắt đầu cùng công tác, học tập, sinh sống",
    "cell_meeting_on": "chi bộ họp xét",
    "union_resolution_dated": "nghị quyết giới thiệu của đoàn thể",
    "given_on": "nhận xét",
    "agreed_on": "văn bản đồng ý",
    "ready_on": "chuyển hồ sơ để chi bộ xét",
    "latest_paper": "giấy tờ mới nhất của hồ sơ",
    "latest_fact": "sự kiện mới nhất của hồ sơ",
    "held_on": "lễ kết nạp",
    "received_decision_on": "chi bộ nhận quyết định",
    "decision_date": "quyết định kết nạp",
    "filed_on": "nộp lý lịch đảng viên",
    "self_review_on": "bản tự kiểm điểm",
    "helper_review_on": "bản nhận xét của đảng viên giúp đỡ",
    "opinions_on": "ý kiến nhận xét của đoàn thể, chi ủy nơi cư trú",
    "completed_on": "hoàn thành hồ sơ xét công nhận",
    "on": "thực hiện",
}


def act_dates(today: date, **dates: date | None) -> None:
    """Each date of an act, named by its field, is today or earlier and falls under a known rule set
    (NO_RULE_SET): a step never records a date that a later step could not judge."""
    not_future(today, **dates)
    for value in dates.values():
        if value is not None:
            rules_in_force(value)


def not_future(today: date, **dates: date | None) -> None:
    """Each date, named by its field, is today or earlier: an act is recorded after it happened."""
    for label, value in dates.items():
        if value is not None and value > today:
            raise DateOutOfOrder(
                f"Ngày {_LABELS.get(label, label)} ({vn_date(value)}) không được sau ngày hôm nay ({vn_date(today)}).",
                field=label,
            )


def not_before(value: date, value_label: str, earliest: date | None, earliest_label: str) -> None:
    """`value` is not before `earliest` (when there is one); the message names both dates."""
    if earliest is not None and value < earliest:
        raise DateOutOfOrder(
            f"Ngày {_LABELS.get(value_label, value_label)} ({vn_date(value)}) không được trước ngày "
            f"{_LABELS.get(earliest_label, earliest_label)} ({vn_date(earliest)}).",
            field=value_label,
        )

