"""How long the papers of a dossier stay valid up to the cell meeting (thời hạn của giấy tờ).

"Valid N months" means valid up to and including ``add_months(start, N)``: the day N months later
(clamped to the month's end) is still valid; the next day is "more than N months".
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from ketnap.domain.calendar import add_months
from ketnap.domain.rules.codes import RuleCode, Violation
from ketnap.domain.rules.rule_sets import RuleSet


def class_certificate_valid_until(issued_on: date, *, rules: RuleSet) -> date:
    """The last cell-meeting date for which an awareness-class certificate is valid."""
    return add_months(issued_on, rules.class_validity_months)


def check_class_certificate_validity(
    issued_on: date, cell_meeting_on: date, *, rules: RuleSet
) -> Violation | None:
    """CLASS_VALID — giấy chứng nhận lớp bồi dưỡng nhận thức về Đảng: valid for 60 months to the
    cell meeting [S]. Issued 10/05/2021: valid for a meeting on 10/05/2026, expired on 11/05/2026.

    A certificate dated after the meeting did not exist when the cell voted: also a violation,
    with its own message.
    """
    if cell_meeting_on < issued_on:
        return Violation.of(
            RuleCode.CLASS_VALID,
            "Giấy chứng nhận được cấp sau ngày chi bộ xét",
            reason="issued_after_meeting",
            issued_on=issued_on,
            cell_meeting_on=cell_meeting_on,
        )
    valid_until = class_certificate_valid_until(issued_on, rules=rules)
    if cell_meeting_on <= valid_until:
        return None
    return Violation.of(
        RuleCode.CLASS_VALID,
        reason="expired",
        issued_on=issued_on,
        valid_until=valid_until,
        cell_meeting_on=cell_meeting_on,
    )


def dossier_current_until(opened_on: date, *, rules: RuleSet) -> date:
    """The last cell-meeting date at which a dossier opened on ``opened_on`` needs no renewal."""
    return add_months(opened_on, rules.dossier_validity_months)


def check_introductions_current(
    opened_on: date,
    cell_meeting_on: date,
    *,
    rules: RuleSet,
    introductions_dated: Collection[date] = (),
) -> Violation | None:
    """DOC_12M — hồ sơ quá 12 tháng: when the dossier was opened more than 12 months before the
    cell meeting, the introductions (giấy giới thiệu) and the union resolution must be renewed [S].

    ``introductions_dated`` are the dates of the introductions and union resolution in the dossier
    now. They count as renewed when each is itself no more than 12 months old at the meeting; with
    none given, a stale dossier is reported as needing renewal.
    """
    if cell_meeting_on <= dossier_current_until(opened_on, rules=rules):
        return None
    stale = sorted(
        dated
        for dated in introductions_dated
        if cell_meeting_on > add_months(dated, rules.dossier_validity_months)
    )
    if introductions_dated and not stale:
        return None
    return Violation.of(
        RuleCode.DOC_12M,
        opened_on=opened_on,
        cell_meeting_on=cell_meeting_on,
        stale_introductions=tuple(stale),
    )
