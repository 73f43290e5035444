"""What the dossiers service records that the voting chain follows: the dossier made ready for the
cell's vote (which opens the chain, or opens it again after a chain that ended without an
admission), the ceremony, the recognition papers, a transfer, a suspension, and the end of the
dossier. Each is recorded once: a repeat changes nothing."""

from __future__ import annotations

from datetime import date

from ketnap.services.voting.admission_case.state import CaseState
from ketnap.services.voting.events import (
    CaseClosed,
    CaseOpened,
    CaseResumed,
    CaseSuspended,
    CaseTransferred,
    CeremonyRecorded,
    RecognitionPapersRecorded,
)


class DossierFacts(CaseState):
    """The facts of the dossier, each returning whether it changed the chain."""

    @property
    def admission_ended_without_admission(self) -> bool:
        """The cell or the grassroots committee did not adopt, or the decision refused: only a
        dossier made ready again may start the chain anew."""
        return (
            (self.cell_resolution is not None and not self.cell_resolution.adopted)
            or (self.grassroots_resolution is not None and not self.grassroots_resolution.adopted)
            or (self.decision is not None and not self.decision.positive)
        )

    def open(self, *, cell: str, citizen_id: str, full_name: str, ready_on: date, dossier_rule_set: str) -> bool:
        """The dossier is ready for the cell's vote. A repeat is ignored unless the previous chain
        ended without an admission, in which case the chain starts again."""
        if self.closed or (self.opened and not self.admission_ended_without_admission):
            return False
        self._record(
            CaseOpened(
                dossier_id=self.dossier_id,
                cell=cell,
                citizen_id=citizen_id,
                full_name=full_name,
                ready_on=ready_on,
                dossier_rule_set=dossier_rule_set,
            )
        )
        return True

    def record_ceremony(self, *, cell: str, held_on: date, received_decision_on: date) -> bool:
        if self.ceremony_on is not None:
            return False
        self._record(
            CeremonyRecorded(dossier_id=self.dossier_id, cell=cell, held_on=held_on, received_decision_on=received_decision_on)
        )
        return True

    def record_papers(self, *, completed_on: date) -> bool:
        if self.papers_completed_on is not None:
            return False
        self._record(RecognitionPapersRecorded(dossier_id=self.dossier_id, completed_on=completed_on))
        return True

    def transfer(self, *, from_cell: str, to_cell: str, on: date) -> bool:
        if not self.opened or self.cell == to_cell:
            return False
        self._record(CaseTransferred(dossier_id=self.dossier_id, from_cell=from_cell, to_cell=to_cell, on=on))
        return True

    def suspend(self, *, on: date) -> bool:
        if not self.opened or self.suspended or self.closed:
            return False
        self._record(CaseSuspended(dossier_id=self.dossier_id, on=on))
        return True

    def resume(self, *, on: date) -> bool:
        if not self.suspended:
            return False
        self._record(CaseResumed(dossier_id=self.dossier_id, on=on))
        return True

    def close(self, *, on: date, why: str) -> bool:
        if not self.opened or self.closed:
            return False
        self._record(CaseClosed(dossier_id=self.dossier_id, on=on, why=why))  # type: ignore[arg-type]
        return True
