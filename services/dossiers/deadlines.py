"""The deadlines a dossier has open now, with their due dates in Vietnamese working days.

Each comes from `ketnap.domain.rules.deadlines` under the rule set of the decision that started it:
the decision 60 (+ extension) working days after the cell resolution, the ceremony 30 after the
cell received the decision, the member history 30 after the ceremony, the recognition vote 30
after the 12 months of probation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ketnap.domain.calendar import working_days_between
from ketnap.domain.rules import RuleCode, recorded_rule_set
from ketnap.domain.rules.deadlines import (
    ceremony_due_on,
    decision_due_on,
    member_history_due_on,
    probation_ends_on,
    recognition_vote_due_on,
)
from ketnap.services.dossiers.dossier import Dossier
from ketnap.services.dossiers.values import Step


@dataclass(frozen=True, slots=True)
class Deadline:
    name: str
    rule: str | None
    """The rule code that flags it when overdue (none for the member history [S])."""
    label: str
    starts_on: date
    due_on: date
    rule_set: str

    def as_of(self, today: date) -> dict[str, Any]:
        return {
            "name": self.name,
            "rule": self.rule,
            "label": self.label,
            "starts_on": self.starts_on.isoformat(),
            "due_on": self.due_on.isoformat(),
            "rule_set": self.rule_set,
            "overdue": today > self.due_on,
            "working_days_left": working_days_between(today, self.due_on),
        }


def open_deadlines(dossier: Dossier) -> list[Deadline]:
    """What the dossier is waiting for that has a legal time limit, soonest first."""
    if dossier.closed or dossier.step is None:
        return []
    found: list[Deadline] = []
    resolution = dossier.resolution
    if dossier.step is Step.AWAITING_DECISION and resolution is not None:
        rules = recorded_rule_set(resolution.rule_set, resolution.meeting_on)
        found.append(
            Deadline(
                "admission_decision",
                str(RuleCode.DECISION_60WD),
                "Quyết định kết nạp của cấp có thẩm quyền",
                resolution.meeting_on,
                decision_due_on(resolution.meeting_on, rules=rules, extension_working_days=dossier.extension_working_days),
                rules.id,
            )
        )
    if dossier.step is Step.AWAITING_CEREMONY and dossier.decision_received_on is not None:
        rules = recorded_rule_set(dossier.rule_sets.get("admission_decision", ""), dossier.decision_received_on)
        found.append(
            Deadline(
                "ceremony",
                str(RuleCode.CEREMONY_30WD),
                "Tổ chức lễ kết nạp",
                dossier.decision_received_on,
                ceremony_due_on(dossier.decision_received_on, rules=rules),
                rules.id,
            )
        )
    ceremony = dossier.ceremony
    if ceremony is not None:
        rules = recorded_rule_set(dossier.rule_sets.get("ceremony", ""), ceremony.held_on)
        if dossier.member_history_filed_on is None:
            found.append(
                Deadline(
                    "member_history",
                    None,
                    "Nộp lý lịch đảng viên",
                    ceremony.held_on,
                    member_history_due_on(ceremony.held_on, rules=rules),
                    rules.id,
                )
            )
        if dossier.escalated_to is None:
            found.append(
                Deadline(
                    "recognition_vote",
                    str(RuleCode.RECOG_30WD),
                    "Chi bộ xét công nhận đảng viên chính thức",
                    probation_ends_on(ceremony.held_on),
                    recognition_vote_due_on(ceremony.held_on, rules=rules),
                    rules.id,
                )
            )
    return sorted(found, key=lambda d: d.due_on)
