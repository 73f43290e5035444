"""The organisation (tổ chức đảng) aggregate and the rules of the tree: where a unit may sit, what
makes a cycle, when a unit may change; its committee (cấp ủy) and the quotas it is given.

Pure: the facts about other units (a parent as it was on a date, the ancestor chains of a new
parent) are handed in as plain values by the handlers, which read them from the read model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from ketnap.platform.commands import InvalidInput
from ketnap.services.registry import errors
from ketnap.services.registry.events import (
    AdmissionAuthorityGranted,
    AdmissionAuthorityRevoked,
    CommitteeMemberAppointed,
    CommitteeMemberLeft,
    Event,
    OrganisationDissolved,
    OrganisationEstablished,
    OrganisationMerged,
    OrganisationMoved,
    OrganisationReclassified,
    OrganisationRenamed,
    OrganisationSplit,
    QuotaAssigned,
    QuotaChanged,
    SplitPart,
    organisation_stream,
)
from ketnap.services.registry.values import MemberKind, OrganisationKind, period_kind

K = OrganisationKind

ALLOWED_PARENTS: dict[OrganisationKind, frozenset[OrganisationKind]] = {
    K.CELL: frozenset({K.PARTIAL_COMMITTEE, K.GRASSROOTS_COMMITTEE}),
    K.GRASSROOTS_CELL: frozenset({K.UPPER_COMMITTEE, K.PROVINCE}),
    K.PARTIAL_COMMITTEE: frozenset({K.GRASSROOTS_COMMITTEE}),
    K.GRASSROOTS_COMMITTEE: frozenset({K.UPPER_COMMITTEE, K.PROVINCE}),
    K.UPPER_COMMITTEE: frozenset({K.UPPER_COMMITTEE, K.PROVINCE, K.CENTRAL}),
    K.PROVINCE: frozenset({K.CENTRAL}),
    K.CENTRAL: frozenset(),
}
"""Which kinds a unit may sit under. Upper committees may nest (a sector committee under a former
district); since 01/07/2025 commune committees sit directly under the province."""

ROOT_KINDS = frozenset({K.CENTRAL, K.PROVINCE, K.UPPER_COMMITTEE})
"""Kinds that may head a deployment's tree (a province, or a lower deployment's own committee)."""


@dataclass(frozen=True)
class UnitView:
    """One unit as it was on a date, as the read model knows it."""

    code: str
    name: str
    kind: OrganisationKind
    parent: str | None


def check_placement(kind: OrganisationKind, parent: UnitView | None) -> None:
    if parent is None:
        if kind not in ROOT_KINDS:
            raise errors.RootNotAllowed(kind)
        return
    if parent.kind not in ALLOWED_PARENTS[kind]:
        raise errors.ParentKindNotAllowed(kind, parent.kind)


def check_no_cycle(code: str, new_parent: str, chains: Iterable[tuple[date, Sequence[str]]]) -> None:
    """`chains`: the ancestors of `new_parent` (itself first) on every date from the change on at
    which they differ. Putting `code` under a unit whose chain contains `code` closes a loop."""
    if new_parent == code:
        raise errors.TreeCycle(code, new_parent, min((d for d, _ in chains), default=date.min))
    for on, chain in chains:
        if code in chain:
            raise errors.TreeCycle(code, new_parent, on)


@dataclass
class Quota:
    period_kind: str
    quantity: int
    assigned_by: str
    last_decision: date


@dataclass
class Organisation:
    code: str
    version: int = 0
    name: str = ""
    kind: OrganisationKind = K.CELL
    parent: str | None = None
    established_on: date | None = None
    last_change: date | None = None
    ended_on: date | None = None
    ended_how: str | None = None
    authorised: bool = False
    committee: dict[str, date] = field(default_factory=dict)
    """Current committee members (citizen id -> appointed on)."""
    committee_changes: dict[str, date] = field(default_factory=dict)
    quotas: dict[str, Quota] = field(default_factory=dict)

    @property
    def stream_id(self) -> str:
        return organisation_stream(self.code)

    @property
    def exists(self) -> bool:
        return self.version > 0

    @classmethod
    def from_history(cls, code: str, events: Iterable[Event]) -> "Organisation":
        organisation = cls(code)
        for event in events:
            organisation.apply(event)
        return organisation

    # --- folding ------------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        self.version += 1
        match event:
            case OrganisationEstablished():
                self.name, self.kind, self.parent = event.name, event.kind, event.parent
                self.established_on = self.last_change = event.effective_from
            case OrganisationRenamed():
                self.name, self.last_change = event.name, event.effective_from
            case OrganisationReclassified():
                self.kind, self.last_change = event.kind, event.effective_from
            case OrganisationMoved():
                self.parent, self.last_change = event.parent, event.effective_from
            case AdmissionAuthorityGranted():
                self.authorised, self.last_change = True, event.effective_from
            case AdmissionAuthorityRevoked():
                self.authorised, self.last_change = False, event.effective_from
            case OrganisationMerged() | OrganisationSplit() | OrganisationDissolved():
                self.ended_on = self.last_change = event.effective_from
                self.ended_how = {OrganisationMerged: "merged", OrganisationSplit: "split"}.get(type(event), "dissolved")
            case CommitteeMemberAppointed():
                self.committee[event.citizen_id] = event.effective_from
                self.committee_changes[event.citizen_id] = event.effective_from
            case CommitteeMemberLeft():
                self.committee.pop(event.citizen_id, None)
                self.committee_changes[event.citizen_id] = event.effective_from
            case QuotaAssigned():
                self.quotas[event.period] = Quota(event.period_kind.value, event.quantity, event.assigned_by, event.decision_date)
            case QuotaChanged():
                quota = self.quotas[event.period]
                quota.quantity, quota.last_decision = event.quantity, event.decision_date

    # --- guards -------------------------------------------------------------------------------

    def _require_exists(self) -> None:
        if not self.exists:
            raise errors.OrganisationNotFound(self.code)

    def _require_active_on(self, on: date) -> None:
        self._require_exists()
        assert self.established_on is not None
        if self.ended_on is not None and on >= self.ended_on:
            raise errors.OrganisationEnded(self.code, self.ended_how or "", self.ended_on)
        if on < self.established_on:
            raise errors.NotYetEstablished(self.code, self.established_on)

    def _require_change_on(self, on: date) -> None:
        """A change of the unit itself: active, and not before its last change (so the intervals
        the read model keeps are exact)."""
        self._require_active_on(on)
        if self.last_change is not None and on < self.last_change:
            raise errors.EffectiveDateTooEarly(on, self.last_change)

    # --- decisions ----------------------------------------------------------------------------

    def establish(
        self,
        *,
        name: str,
        kind: OrganisationKind,
        parent_code: str | None,
        parent: UnitView | None,
        effective_from: date,
        decision_number: str | None = None,
    ) -> list[Event]:
        if self.exists:
            raise errors.OrganisationAlreadyExists(self.code)
        if parent_code is not None:
            if parent_code == self.code:
                raise errors.TreeCycle(self.code, parent_code, effective_from)
            if parent is None:
                raise errors.UnknownParent(parent_code, effective_from)
        check_placement(kind, parent)
        return [
            OrganisationEstablished(
                code=self.code, name=name, kind=kind, parent=parent_code, effective_from=effective_from,
                decision_number=decision_number,
            )
        ]

    def rename(self, name: str, effective_from: date, decision_number: str | None = None) -> list[Event]:
        self._require_change_on(effective_from)
        if name == self.name:
            raise errors.NothingToChange("tên mới trùng tên hiện tại")
        return [
            OrganisationRenamed(
                code=self.code, name=name, previous_name=self.name, effective_from=effective_from,
                decision_number=decision_number,
            )
        ]

    def reclassify(
        self,
        kind: OrganisationKind,
        *,
        parent: UnitView | None,
        child_kinds: Iterable[OrganisationKind],
        has_members: bool,
        effective_from: date,
        decision_number: str | None = None,
    ) -> list[Event]:
        self._require_change_on(effective_from)
        if kind == self.kind:
            raise errors.NothingToChange("loại tổ chức không đổi")
        check_placement(kind, parent)
        for child_kind in set(child_kinds):
            if kind not in ALLOWED_PARENTS[child_kind]:
                raise errors.ParentKindNotAllowed(child_kind, kind)
        if has_members and not kind.holds_members:
            raise errors.MembersOnlyInCells(self.code, kind)
        return [
            OrganisationReclassified(
                code=self.code, kind=kind, previous_kind=self.kind, effective_from=effective_from,
                decision_number=decision_number,
            )
        ]

    def move(
        self,
        *,
        parent_code: str,
        parent: UnitView | None,
        current_parent: str | None,
        parent_chains: Sequence[tuple[date, Sequence[str]]],
        effective_from: date,
        decision_number: str | None = None,
    ) -> list[Event]:
        self._require_change_on(effective_from)
        if parent_code == self.code:
            raise errors.TreeCycle(self.code, parent_code, effective_from)
        if parent is None:
            raise errors.UnknownParent(parent_code, effective_from)
        if parent_code == current_parent:
            raise errors.NothingToChange(f"{self.code} đã trực thuộc {parent_code}")
        check_no_cycle(self.code, parent_code, parent_chains)
        check_placement(self.kind, parent)
        return [
            OrganisationMoved(
                code=self.code, parent=parent_code, previous_parent=current_parent, effective_from=effective_from,
                decision_number=decision_number,
            )
        ]

    def grant_admission_authority(
        self, *, decision_number: str, decision_date: date, effective_from: date, granted_by: str | None = None
    ) -> list[Event]:
        self._require_change_on(effective_from)
        if self.kind is not K.GRASSROOTS_COMMITTEE:
            raise errors.AuthorityNotGrantable(self.code, self.kind)
        if effective_from < decision_date:
            raise InvalidInput("Ngày hiệu lực của ủy quyền không thể trước ngày ký quyết định.")
        return [
            AdmissionAuthorityGranted(
                code=self.code, decision_number=decision_number, decision_date=decision_date,
                effective_from=effective_from, granted_by=granted_by,
            )
        ]

    def revoke_admission_authority(self, *, effective_from: date, decision_number: str | None = None) -> list[Event]:
        self._require_change_on(effective_from)
        if not self.authorised:
            raise errors.NoAdmissionAuthority(self.code)
        return [AdmissionAuthorityRevoked(code=self.code, effective_from=effective_from, decision_number=decision_number)]

    def merge_into(
        self,
        *,
        into_code: str,
        into: UnitView | None,
        into_chains: Sequence[tuple[date, Sequence[str]]],
        effective_from: date,
        decision_number: str | None = None,
    ) -> list[Event]:
        self._require_change_on(effective_from)
        if into_code == self.code:
            raise InvalidInput("Không thể sáp nhập một tổ chức vào chính nó.")
        if into is None:
            raise errors.UnknownOrganisation(into_code, effective_from, role="Tổ chức nhận sáp nhập")
        if into.kind.level != self.kind.level:
            raise errors.IncompatibleLevel(self.code, into_code, "sáp nhập")
        check_no_cycle(self.code, into_code, into_chains)
        return [OrganisationMerged(code=self.code, into=into_code, effective_from=effective_from, decision_number=decision_number)]

    def split(
        self,
        *,
        parts: Sequence[SplitPart],
        part_units: dict[str, UnitView | None],
        part_chains: dict[str, Sequence[tuple[date, Sequence[str]]]],
        members: set[str],
        children: set[str],
        localities: set[str],
        effective_from: date,
        decision_number: str | None = None,
    ) -> list[Event]:
        """`members`, `children`, `localities`: what the unit holds on the date; each listed item
        must be one of them and listed once."""
        self._require_change_on(effective_from)
        if len(parts) < 2:
            raise InvalidInput("Chia tách phải có ít nhất hai tổ chức mới.")
        seen_parts: set[str] = set()
        allocated: dict[str, str] = {}
        for index, part in enumerate(parts):
            if part.code in seen_parts:
                raise errors.DuplicateInList(f"Tổ chức {part.code}", index)
            seen_parts.add(part.code)
            if part.code == self.code:
                raise InvalidInput("Tổ chức bị chia tách không thể là một phần của chính nó.")
            unit = part_units.get(part.code)
            if unit is None:
                raise errors.UnknownOrganisation(part.code, effective_from, role="Tổ chức nhận chia tách")
            if unit.kind.level != self.kind.level:
                raise errors.IncompatibleLevel(self.code, part.code, "chia tách")
            check_no_cycle(self.code, part.code, part_chains.get(part.code, ()))
            for items, holder, label in (
                (part.members, members, "Đảng viên"),
                (part.children, children, "Tổ chức trực thuộc"),
                (part.localities, localities, "Địa bàn"),
            ):
                for item in items:
                    if item in allocated:
                        raise InvalidInput(f"{label} {'này' if label == 'Đảng viên' else item} được chia cho hai nơi.")
                    if item not in holder:
                        raise InvalidInput(
                            f"{label} {'này' if label == 'Đảng viên' else item} không thuộc {self.code} vào ngày chia tách."
                        )
                    allocated[item] = part.code
        return [OrganisationSplit(code=self.code, parts=list(parts), effective_from=effective_from, decision_number=decision_number)]

    def dissolve(
        self,
        *,
        members: int,
        children: int,
        localities: int,
        effective_from: date,
        open_dossiers: int = 0,
        decision_number: str | None = None,
        reason: str | None = None,
    ) -> list[Event]:
        """DISSOLVE_EMPTY: no member, child unit, locality or open dossier left from that date."""
        self._require_change_on(effective_from)
        if members or children or localities or open_dossiers:
            raise errors.StillInUse(self.code, members, children, localities, open_dossiers)
        return [OrganisationDissolved(code=self.code, effective_from=effective_from, decision_number=decision_number, reason=reason)]

    def appoint_committee_member(
        self,
        *,
        citizen_id: str,
        role: str | None,
        member_kind: MemberKind | None,
        effective_from: date,
        decision_number: str | None = None,
    ) -> list[Event]:
        """`member_kind`: what the person is, in this unit or below it, on the date (None: not a member there)."""
        # Every kind may have a committee: chi ủy, đảng ủy, ban chấp hành and its standing committee.
        self._require_active_on(effective_from)
        if citizen_id in self.committee:
            raise errors.CommitteeSeatTaken(self.code)
        last = self.committee_changes.get(citizen_id)
        if last is not None and effective_from < last:
            raise errors.EffectiveDateTooEarly(effective_from, last)
        if member_kind is not MemberKind.OFFICIAL:
            raise InvalidInput(
                f"Cấp ủy viên phải là đảng viên chính thức sinh hoạt trong {self.code} hoặc tổ chức trực thuộc "
                "vào ngày bổ nhiệm."
            )
        return [
            CommitteeMemberAppointed(
                organisation=self.code, citizen_id=citizen_id, role=role, effective_from=effective_from,
                decision_number=decision_number,
            )
        ]

    def end_committee_membership(self, *, citizen_id: str, effective_from: date, reason: str | None = None) -> list[Event]:
        self._require_active_on(effective_from)
        if citizen_id not in self.committee:
            raise errors.NotOnCommittee(self.code)
        if effective_from < self.committee[citizen_id]:
            raise errors.EffectiveDateTooEarly(effective_from, self.committee[citizen_id])
        return [CommitteeMemberLeft(organisation=self.code, citizen_id=citizen_id, effective_from=effective_from, reason=reason)]

    def assign_quota(
        self,
        *,
        period: str,
        quantity: int,
        assigned_by: str,
        assigned_by_is_above: bool,
        decision_date: date,
        decision_number: str | None = None,
        has_unit_above: bool = True,
    ) -> list[Event]:
        """Giao chỉ tiêu: by a unit above this one, or, for a unit with none above it in the tree (a
        province given its quota for its whole party organisation), recorded by the unit itself."""
        self._require_active_on(decision_date)
        if period in self.quotas:
            raise errors.QuotaAlreadyAssigned(self.code, period)
        own = assigned_by == self.code
        if own and has_unit_above:
            raise errors.OwnQuotaUnderAUnitAbove(self.code, decision_date)
        if not own and not assigned_by_is_above:
            raise errors.NotAnAncestor(assigned_by, self.code, decision_date)
        return [
            QuotaAssigned(
                organisation=self.code, period_kind=period_kind(period), period=period, quantity=quantity,
                assigned_by=assigned_by, decision_date=decision_date, decision_number=decision_number,
            )
        ]

    def change_quota(
        self, *, period: str, quantity: int, reason: str, decision_date: date, decision_number: str | None = None
    ) -> list[Event]:
        self._require_exists()
        quota = self.quotas.get(period)
        if quota is None:
            raise errors.QuotaNotAssigned(self.code, period)
        if decision_date < quota.last_decision:
            raise errors.EffectiveDateTooEarly(decision_date, quota.last_decision)
        if quantity == quota.quantity:
            raise errors.NothingToChange(f"chỉ tiêu kỳ {period} vẫn là {quantity}")
        return [
            QuotaChanged(
                organisation=self.code, period=period, quantity=quantity, previous_quantity=quota.quantity, reason=reason,
                decision_date=decision_date, decision_number=decision_number,
            )
        ]
