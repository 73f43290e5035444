"""The removal of a probationary member's name (xóa tên khỏi danh sách đảng viên dự bị), decided by
the competent committee instead of a recognition."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ketnap.services.voting.admission_case.acts import CommitteeActs
from ketnap.services.voting.admission_case.state import not_before, rules_on
from ketnap.services.voting.events import Ballot, NameRemovalDecided
from ketnap.services.voting.roster import Competence
from ketnap.services.voting.rules import Tally


class NameRemoval(CommitteeActs):
    """The competent committee removes the name during probation."""

    def decide_name_removal(
        self,
        *,
        decided_by: str,
        decision_date: date,
        reason: str,
        competent: Competence,
        committee: Sequence[str] | None = None,
        ballots: Sequence[Ballot] = (),
    ) -> Tally | None:
        """Xóa tên khỏi danh sách đảng viên dự bị, by the competent committee (AUTHORITY); for an
        authorised grassroots committee "agree" is for the removal and needs ≥ 2/3 of all members."""
        self.require_open()
        ceremony_on = self._require_probation()
        not_before(decision_date, ceremony_on, "ngày lễ kết nạp")
        rules = rules_on(decision_date)
        checked = self._authority("name_removal_decision", decided_by, competent, decision_date, rules)
        tally = self._committee_decision("name_removal_decision", competent, decision_date, committee, ballots, rules)
        removed = NameRemovalDecided(
            dossier_id=self.dossier_id,
            citizen_id=self.citizen_id,
            organisation=self.cell,
            decided_by=decided_by,
            decision_date=decision_date,
            reason=reason,
            rule_set=rules.id,
        )
        self._record_decision(checked, tally, rules, removed)
        return tally
