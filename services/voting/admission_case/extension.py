"""The one extension of a decision's deadline (gia hạn, DECISION_60WD): of the admission decision
before the ceremony, of the recognition decision during probation."""

from __future__ import annotations

from datetime import date

from ketnap.domain.rules.deadlines import check_decision_extension
from ketnap.platform.commands import InvalidInput
from ketnap.services.voting.admission_case.acts import CommitteeActs
from ketnap.services.voting.admission_case.state import not_before, rules_on
from ketnap.services.voting.events import DecisionDeadlineExtended
from ketnap.services.voting.roster import Competence
from ketnap.services.voting.rules import raise_if


class Extension(CommitteeActs):
    """The competent committee extends the deadline of the decision now due."""

    def extend_decision_deadline(self, *, decided_by: str, on: date, by_working_days: int, competent: Competence) -> None:
        """Gia hạn: once, at most 30 working days (DECISION_60WD), by the competent committee.
        During probation it extends the pending recognition decision."""
        self.require_open()
        if self.ceremony_on is not None:
            self._require_probation()
            if not (self.escalations or (self.recognition_cell is not None and self.recognition_cell.adopted)):
                raise InvalidInput("Chi bộ chưa có nghị quyết đề nghị công nhận đảng viên chính thức.")
            previous, started = len(self.recognition_extensions), self.ceremony_on
        else:
            started = self._require_cell_adopted().meeting_on
            self._require_admission_pending()
            previous = len(self.extensions)
        rules = rules_on(on)
        checked = self._authority("decision_extension", decided_by, competent, on, rules)
        raise_if(check_decision_extension(by_working_days, rules=rules, previous_extensions=previous))
        not_before(on, started, "ngày bắt đầu tính thời hạn")
        self._record(
            checked,
            DecisionDeadlineExtended(
                dossier_id=self.dossier_id, by_working_days=by_working_days, decided_by=decided_by, on=on,
                decision="recognition" if self.ceremony_on is not None else "admission",
            ),
        )
