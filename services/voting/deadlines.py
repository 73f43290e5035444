"""The deadlines of a voting chain (thời hạn) and whether each is kept, computed from its recorded dates.

DECISION_60WD (decision after the cell resolution, + the one extension), CEREMONY_30WD (ceremony
after the cell received the decision, unless the committee above agreed), RECOG_30WD (the cell's
recognition resolution after the 12 months), and the recognition decision (30 working days after
the cell's recognition resolution, + an extension; no rule code of its own). The arithmetic is
`ketnap.domain.rules.deadlines`; each deadline uses the rule set in force when its clock started.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ketnap.domain.rules import RuleCode, rule_set_by_id, rule_set_on
from ketnap.domain.rules.deadlines import (
    ceremony_due_on,
    check_ceremony_deadline,
    check_decision_deadline,
    check_recognition_deadline,
    decision_due_on,
    recognition_decision_due_on,
    recognition_vote_due_on,
)
from ketnap.services.voting.admission_case import AdmissionCase


@dataclass(frozen=True)
class Deadline:
    dossier_id: str
    cell: str
    step: str
    code: str | None
    started_on: date
    due_on: date
    done_on: date | None
    overdue: bool
    """Done after the due date, or not done and the due date has passed (as of the query's day)."""
    extension_working_days: int = 0
    upper_committee_agreed: bool = False

    @property
    def open(self) -> bool:
        return self.done_on is None

    def to_json(self) -> dict[str, Any]:
        return {
            "dossier_id": self.dossier_id,
            "cell": self.cell,
            "step": self.step,
            "code": self.code,
            "message": RuleCode(self.code).message if self.code and self.overdue else None,
            "started_on": self.started_on.isoformat(),
            "due_on": self.due_on.isoformat(),
            "done_on": self.done_on.isoformat() if self.done_on else None,
            "overdue": self.overdue,
            "extension_working_days": self.extension_working_days,
            "upper_committee_agreed": self.upper_committee_agreed,
        }


def deadlines_of(case: AdmissionCase, today: date) -> list[Deadline]:
    """Every deadline the chain has reached so far, kept or not. A chain that was withdrawn,
    rejected or ended without admission keeps the deadlines it met and drops the open ones."""
    found: list[Deadline] = []
    ended = case.closed is not None
    common = {"dossier_id": case.dossier_id, "cell": case.cell}

    resolution = case.cell_resolution
    if resolution is not None and resolution.adopted:
        rules = rule_set_by_id(resolution.rule_set)
        extension = sum(case.extensions)
        done = case.decision.decision_date if case.decision else None
        gave_up = case.grassroots_resolution is not None and not case.grassroots_resolution.adopted
        if done is not None or not (ended or gave_up):
            violation = check_decision_deadline(
                resolution.meeting_on, today, rules=rules, decided_on=done, extension_working_days=extension
            )
            found.append(
                Deadline(
                    **common,
                    step="admission_decision",
                    code=RuleCode.DECISION_60WD.value,
                    started_on=resolution.meeting_on,
                    due_on=decision_due_on(resolution.meeting_on, rules=rules, extension_working_days=extension),
                    done_on=done,
                    overdue=violation is not None,
                    extension_working_days=extension,
                )
            )

    received = case.notified_on or case.received_decision_on
    if case.decision is not None and case.decision.positive and received is not None:
        rules = rule_set_on(received)
        agreed = case.ceremony_delay_agreed_by is not None
        if case.ceremony_on is not None or not ended:
            violation = check_ceremony_deadline(
                received, today, rules=rules, held_on=case.ceremony_on, upper_committee_agreed=agreed
            )
            found.append(
                Deadline(
                    **common,
                    step="ceremony",
                    code=RuleCode.CEREMONY_30WD.value,
                    started_on=received,
                    due_on=ceremony_due_on(received, rules=rules),
                    done_on=case.ceremony_on,
                    overdue=violation is not None,
                    upper_committee_agreed=agreed,
                )
            )

    if case.ceremony_on is not None:
        rules = rule_set_on(case.ceremony_on)
        voted = case.first_recognition_resolution_on()
        removed = case.recognition_decision is not None and not case.recognition_decision.positive
        if voted is None and removed:
            voted = case.recognition_decision.decision_date  # type: ignore[union-attr]
        if voted is not None or not ended:
            violation = check_recognition_deadline(case.ceremony_on, today, rules=rules, voted_on=voted)
            found.append(
                Deadline(
                    **common,
                    step="recognition_cell_resolution",
                    code=RuleCode.RECOG_30WD.value,
                    started_on=case.ceremony_on,
                    due_on=recognition_vote_due_on(case.ceremony_on, rules=rules),
                    done_on=voted,
                    overdue=violation is not None,
                )
            )

    proposal = case.recognition_cell
    if proposal is not None and proposal.adopted:
        rules = rule_set_by_id(proposal.rule_set)
        extension = sum(case.recognition_extensions)
        done = case.recognition_decision.decision_date if case.recognition_decision else None
        if done is not None or not ended:
            due = recognition_decision_due_on(proposal.meeting_on, rules=rules, extension_working_days=extension)
            found.append(
                Deadline(
                    **common,
                    step="recognition_decision",
                    code=None,
                    started_on=proposal.meeting_on,
                    due_on=due,
                    done_on=done,
                    # No rule code (nor check_* function) names this deadline: ketnap.domain.rules.deadlines'
                    # definition of late, "done, or today while not done, strictly after the due date".
                    overdue=(done or today) > due,
                    extension_working_days=extension,
                )
            )
    return found
