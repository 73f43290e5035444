"""How a dossier ends or pauses before its end: withdrawn, rejected, suspended for political
screening and resumed, transferred to another cell, or, after the admission, the name removed."""

from __future__ import annotations

from datetime import date

from ketnap.platform.commands import InvalidInput
from ketnap.platform.vietnamese import vn_date
from ketnap.services.dossiers import events as ev
from ketnap.services.dossiers.dossier.refusals import StepTaken, act_dates, not_before
from ketnap.services.dossiers.dossier.state import BEFORE_ADMISSION, DossierState
from ketnap.services.dossiers.values import Step


class Endings(DossierState):
    """The officer's endings and pauses, the name removal voting decided (a fact the process manager
    passes in), and how their events change the dossier."""

    def _ending_date(self, on: date, today: date) -> None:
        act_dates(today, on=on)
        not_before(on, "on", self.last_on, "latest_fact")

    def withdraw(self, *, on: date, today: date) -> list[ev.Event]:
        self._require("rút hồ sơ (sau khi có quyết định kết nạp, chỉ có thể xóa tên)", BEFORE_ADMISSION, while_suspended=True)
        self._ending_date(on, today)
        return [ev.DossierWithdrawn(dossier_id=self.dossier_id, cell=self.cell, on=on)]

    def reject(self, *, on: date, rule: str | None, reason: str, today: date) -> list[ev.Event]:
        self._require("bác hồ sơ (sau khi có quyết định kết nạp, chỉ có thể xóa tên)", BEFORE_ADMISSION, while_suspended=True)
        self._ending_date(on, today)
        return [ev.DossierRejected(dossier_id=self.dossier_id, cell=self.cell, on=on, rule=rule, reason=reason)]

    def suspend(self, *, on: date, today: date) -> list[ev.Event]:
        if self.suspended_on is not None and not self.closed:
            raise StepTaken(f"Hồ sơ đã để lại sưu tra từ ngày {vn_date(self.suspended_on)}.", step=self.step_value)
        self._require("để lại sưu tra", BEFORE_ADMISSION)
        self._ending_date(on, today)
        return [ev.DossierSuspended(dossier_id=self.dossier_id, cell=self.cell, on=on)]

    def resume(self, *, on: date, today: date) -> list[ev.Event]:
        if self.suspended_on is None and not self.closed:
            raise StepTaken("Hồ sơ không ở trạng thái để lại sưu tra.", step=self.step_value)
        self._require("tiếp tục hồ sơ", BEFORE_ADMISSION, while_suspended=True)
        self._ending_date(on, today)
        return [ev.DossierResumed(dossier_id=self.dossier_id, cell=self.cell, on=on)]

    def transfer(self, *, on: date, to_cell: str, to_a_cell: bool, today: date) -> list[ev.Event]:
        """`to_a_cell`: the registry says `to_cell` is a cell (chi bộ) on `on`."""
        self._require("chuyển hồ sơ", [s for s in Step if not s.closed], while_suspended=True)
        if to_cell == self.cell and self.transfers:  # moved there already: the loser of two officers moving it at once
            raise StepTaken(f"Hồ sơ đã được chuyển đến chi bộ {to_cell} ngày {vn_date(self.transfers[-1].on)}.", step=self.step_value)
        if to_cell == self.cell:
            raise InvalidInput("Chi bộ nhận phải khác chi bộ đang giữ hồ sơ.", field="to_cell")
        if not to_a_cell:
            raise InvalidInput(f"{to_cell} không phải là một chi bộ: hồ sơ chỉ chuyển đến chi bộ.", field="to_cell")
        self._ending_date(on, today)
        return [
            ev.DossierTransferred(dossier_id=self.dossier_id, cell=self.cell, on=on, from_cell=self.cell, to_cell=to_cell)
        ]

    # --- what voting decided (the process manager) -------------------------------------------------------

    def on_name_removal_decided(self, *, decided_by: str, decision_date: date, reason: str) -> list[ev.Event]:
        if not self._fact_allowed("NameRemovalDecided", [Step.AWAITING_CEREMONY, Step.PROBATION, Step.RECOGNITION]):
            return []
        return [
            ev.NameRemoved(
                dossier_id=self.dossier_id,
                cell=self.cell,
                citizen_id=self.citizen_id,
                decided_by=decided_by,
                decision_date=decision_date,
                reason=reason,
            )
        ]

    # --- how their events change the dossier ----------------------------------------------------------

    def _when_NameRemoved(self, e: ev.NameRemoved) -> None:
        self.name_removal = e
        self._end(Step.NAME_REMOVED, e.decision_date, None, e.reason)

    def _when_DossierWithdrawn(self, e: ev.DossierWithdrawn) -> None:
        self._end(Step.WITHDRAWN, e.on, None, None)

    def _when_DossierRejected(self, e: ev.DossierRejected) -> None:
        self._end(Step.REJECTED, e.on, e.rule, e.reason)

    def _when_DossierSuspended(self, e: ev.DossierSuspended) -> None:
        self.suspended_on = e.on

    def _when_DossierResumed(self, e: ev.DossierResumed) -> None:
        self.suspended_on = None

    def _when_DossierTransferred(self, e: ev.DossierTransferred) -> None:
        self.cell = e.to_cell
        self.transfers.append(e)
