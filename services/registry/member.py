"""A person's party membership (đảng viên): joining a cell, becoming official, status, transfers,
name removal. One stream per citizen id, so a person is registered once however the name is typed.

Pure: the units a command names are handed in as they were on its date (`UnitView`), and the
unit the member belongs to on that date (after merges and splits) is resolved by the handler.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from ketnap.domain.rules import RuleCode, Violation, check_rule_set_covers
from ketnap.domain.rules.deadlines import official_date
from ketnap.platform.commands import InvalidInput, RuleViolation
from ketnap.platform.vietnamese import vn_date
from ketnap.services.registry import errors
from ketnap.services.registry.events import (
    Event,
    MemberBecameOfficial,
    MemberJoined,
    MemberNameRemoved,
    MemberReturned,
    MemberStatusChanged,
    MemberTransferred,
    person_stream,
)
from ketnap.services.registry.organisation import UnitView
from ketnap.services.registry.values import MemberKind, MemberStatus, TransferKind


class PaperAdmission(Protocol):
    """The facts of an admission decided on paper (commands.PaperAdmissionFacts, an import row)."""

    citizen_id: str
    full_name: str
    organisation: str
    decided_by: str
    decision_number: str
    decision_date: date
    ceremony_on: date | None
    official_since: date | None

SETTABLE_STATUSES = frozenset({MemberStatus.ACTIVE, MemberStatus.EXEMPTED, MemberStatus.SUSPENDED})
"""Statuses a status change sets; `transferred_out` comes only with a temporary transfer."""


@dataclass
class Membership:
    """The current period of membership, as the person's own stream records it."""

    organisation: str
    kind: MemberKind
    status: MemberStatus
    host: str | None
    since: date


@dataclass
class Person:
    citizen_id: str
    version: int = 0
    full_name: str = ""
    membership: Membership | None = None
    clock: date | None = None
    """Effective date of the last change of roster or status: later changes may not be dated before
    it. Recognition is the exception: its official date is ceremony + 12 months, often earlier."""
    transferred_out_on: list[date] = field(default_factory=list)
    """The days a membership here ended by an official transfer to a unit outside this registry
    (another deployment): the person stayed a party member, elsewhere, and did not leave the party
    (READMIT)."""

    @property
    def stream_id(self) -> str:
        return person_stream(self.citizen_id)

    @classmethod
    def from_history(cls, citizen_id: str, events: Iterable[Event]) -> "Person":
        person = cls(citizen_id)
        for event in events:
            person.apply(event)
        return person

    def apply(self, event: Event) -> None:
        self.version += 1
        match event:
            case MemberJoined():
                self.full_name = event.full_name
                self.membership = Membership(event.organisation, event.kind, event.status, None, event.effective_from)
                self.clock = event.effective_from
            case MemberBecameOfficial():
                assert self.membership is not None
                self.membership.kind = MemberKind.OFFICIAL
            case MemberStatusChanged():
                assert self.membership is not None
                self.membership.status = event.status
                self.clock = event.effective_from
            case MemberTransferred():
                assert self.membership is not None
                if event.transfer is TransferKind.TEMPORARY:
                    self.membership.status = MemberStatus.TRANSFERRED_OUT
                    self.membership.host = event.to_organisation
                elif event.to_organisation is None:
                    self.membership = None
                    self.transferred_out_on.append(event.effective_from)
                else:
                    self.membership.organisation = event.to_organisation
                self.clock = event.effective_from
            case MemberReturned():
                assert self.membership is not None
                self.membership.status, self.membership.host = MemberStatus.ACTIVE, None
                self.clock = event.effective_from
            case MemberNameRemoved():
                self.membership = None
                self.clock = event.effective_from

    # --- guards -------------------------------------------------------------------------------

    def _require_member(self, on: date | None = None) -> Membership:
        if self.membership is None:
            raise errors.NotAMember()
        if on is not None and on < self.membership.since:
            raise InvalidInput(f"Ngày {vn_date(on)} trước ngày bắt đầu sinh hoạt ({vn_date(self.membership.since)}).")
        return self.membership

    def _require_in_order(self, on: date) -> None:
        if self.clock is not None and on < self.clock:
            raise errors.EffectiveDateTooEarly(on, self.clock)

    @staticmethod
    def _require_cell(code: str, unit: UnitView | None, on: date, role: str = "Chi bộ") -> UnitView:
        if unit is None:
            raise errors.UnknownOrganisation(code, on, role=role)
        if not unit.kind.holds_members:
            raise errors.MembersOnlyInCells(code, unit.kind)
        return unit

    # --- decisions ----------------------------------------------------------------------------

    def take_over_paper_admission(self, facts: PaperAdmission, *, unit: UnitView | None, above: Sequence[str]) -> list[Event]:
        """An admission decided on paper before the system (`record_paper_admission`, the import's
        `paper_admission` rows), judged under the rule set of its date: NO_RULE_SET, AUTHORITY (the
        deciding committee above the cell on that day), the ceremony not before the decision
        (CEREMONY_30WD), the official date = ceremony + 12 months (RECOG_EARLY). The person joins the cell
        from the ceremony (or the decision), official when recognised."""
        uncovered = check_rule_set_covers(facts.decision_date)
        found = [] if uncovered is None else [Violation.of(uncovered.code, uncovered.message, field="decision_date")]
        if facts.decided_by not in above:
            found.append(Violation.of(
                RuleCode.AUTHORITY,
                f"{facts.decided_by} không phải cấp ủy cấp trên của {facts.organisation} ngày {vn_date(facts.decision_date)}",
                field="decided_by",
            ))
        if facts.ceremony_on is not None and facts.ceremony_on < facts.decision_date:
            found.append(Violation.of(RuleCode.CEREMONY_30WD, "Lễ kết nạp không thể trước ngày quyết định kết nạp", field="ceremony_on"))
        if facts.official_since is not None and facts.ceremony_on is None:
            found.append(Violation.of(RuleCode.RECOG_EARLY, "Thiếu ngày lễ kết nạp để tính ngày công nhận chính thức", field="ceremony_on"))
        elif facts.official_since is not None and facts.ceremony_on and facts.official_since != official_date(facts.ceremony_on):
            found.append(Violation.of(
                RuleCode.RECOG_EARLY,
                f"Ngày chính thức phải là ngày lễ kết nạp + 12 tháng ({vn_date(official_date(facts.ceremony_on))})",
                field="official_since",
            ))
        for violation in found:
            if violation is not None:
                raise RuleViolation(str(violation.code), violation.message, **{k: str(v) for k, v in violation.details.items()})
        return self.join(
            full_name=facts.full_name, organisation=facts.organisation, unit=unit,
            kind=MemberKind.OFFICIAL if facts.official_since else MemberKind.PROBATIONARY,
            effective_from=facts.ceremony_on or facts.decision_date, admitted_on=facts.decision_date,
            official_since=facts.official_since, decision_number=facts.decision_number, how="paper_admission",
            decided_by=facts.decided_by,
        )

    def join(
        self,
        *,
        full_name: str,
        organisation: str,
        unit: UnitView | None,
        kind: MemberKind,
        effective_from: date,
        status: MemberStatus = MemberStatus.ACTIVE,
        admitted_on: date | None = None,
        official_since: date | None = None,
        decision_number: str | None = None,
        how: str = "registration",
        decided_by: str | None = None,
    ) -> list[Event]:
        if self.membership is not None:
            raise errors.AlreadyMember(self.membership.organisation)
        self._require_in_order(effective_from)
        self._require_cell(organisation, unit, effective_from)
        if kind is MemberKind.PROBATIONARY and official_since is not None:
            raise InvalidInput("Đảng viên dự bị chưa có ngày chính thức.")
        if admitted_on is not None and official_since is not None and official_since < admitted_on:
            raise InvalidInput("Ngày chính thức không thể trước ngày kết nạp.")
        if admitted_on is not None and admitted_on > effective_from and how == "admission":
            raise InvalidInput("Ngày bắt đầu sinh hoạt không thể trước ngày quyết định kết nạp.")
        return [
            MemberJoined(
                citizen_id=self.citizen_id, full_name=full_name, organisation=organisation, kind=kind, status=status,
                effective_from=effective_from, admitted_on=admitted_on, official_since=official_since,
                decision_number=decision_number, how=how, decided_by=decided_by,
            )
        ]

    def become_official(
        self,
        *,
        organisation: str,
        official_date: date,
        decision_number: str | None = None,
        decision_date: date | None = None,
    ) -> list[Event]:
        membership = self._require_member(official_date)
        if membership.kind is MemberKind.OFFICIAL:
            raise errors.NotProbationary()
        return [
            MemberBecameOfficial(
                citizen_id=self.citizen_id, organisation=organisation, official_date=official_date,
                decision_number=decision_number, decision_date=decision_date,
            )
        ]

    def change_status(
        self, *, status: MemberStatus, organisation: str, effective_from: date, reason: str | None = None
    ) -> list[Event]:
        membership = self._require_member(effective_from)
        self._require_in_order(effective_from)
        if status not in SETTABLE_STATUSES:
            raise errors.InvalidStatusChange(
                "Trạng thái chuyển sinh hoạt tạm thời được ghi bằng lệnh chuyển sinh hoạt, không đổi trực tiếp."
            )
        if membership.status is MemberStatus.TRANSFERRED_OUT:
            raise errors.TransferredOutNow("đổi trạng thái")
        if status is membership.status:
            raise errors.NothingToChange("trạng thái sinh hoạt không đổi")
        return [
            MemberStatusChanged(
                citizen_id=self.citizen_id, organisation=organisation, status=status, previous_status=membership.status,
                effective_from=effective_from, reason=reason,
            )
        ]

    def transfer(
        self,
        *,
        transfer: TransferKind,
        from_organisation: str,
        to_organisation: str | None,
        to_unit: UnitView | None,
        effective_from: date,
        reason: str | None = None,
    ) -> list[Event]:
        membership = self._require_member(effective_from)
        self._require_in_order(effective_from)
        if membership.status is MemberStatus.TRANSFERRED_OUT:
            raise errors.TransferredOutNow("chuyển tiếp")
        if to_organisation is not None:
            self._require_cell(to_organisation, to_unit, effective_from, role="Chi bộ nơi chuyển đến")
            if to_organisation == from_organisation:
                raise errors.NothingToChange(f"đảng viên đang sinh hoạt tại {to_organisation}")
        return [
            MemberTransferred(
                citizen_id=self.citizen_id, from_organisation=from_organisation, to_organisation=to_organisation,
                transfer=transfer, effective_from=effective_from, reason=reason,
            )
        ]

    def return_from_transfer(self, *, organisation: str, effective_from: date) -> list[Event]:
        membership = self._require_member(effective_from)
        self._require_in_order(effective_from)
        if membership.status is not MemberStatus.TRANSFERRED_OUT:
            raise errors.NotTransferredOut()
        return [
            MemberReturned(
                citizen_id=self.citizen_id, organisation=organisation, host=membership.host, effective_from=effective_from
            )
        ]

    def remove_name(
        self,
        *,
        organisation: str,
        effective_from: date,
        decided_by: str | None = None,
        decision_number: str | None = None,
        reason: str | None = None,
    ) -> list[Event]:
        self._require_member(effective_from)
        self._require_in_order(effective_from)
        return [
            MemberNameRemoved(
                citizen_id=self.citizen_id, organisation=organisation, effective_from=effective_from,
                decided_by=decided_by, decision_number=decision_number, reason=reason,
            )
        ]
