"""The admission chain (kết nạp): the cell's resolution, the partial committee's appraisal, the
grassroots committee's resolution, the competent committee's decision (or refusal), the cell
notified of it, and the committee above agreeing to a late ceremony."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date

from ketnap.domain.rules import RuleCode, RuleSet, Violation
from ketnap.domain.rules.thresholds import check_cell_resolution_adopted, check_committee_resolution_adopted, vote_outcome
from ketnap.platform.commands import Conflict, InvalidInput
from ketnap.platform.vietnamese import vn_date
from ketnap.services.voting.admission_case.acts import CommitteeActs
from ketnap.services.voting.admission_case.state import not_before, rules_on
from ketnap.services.voting.events import (
    AdmissionDecided,
    AdmissionRefused,
    Ballot,
    CellNotified,
    CellResolutionAdopted,
    CellResolutionNotAdopted,
    CeremonyDelayAgreed,
    Event,
    GrassrootsResolutionAdopted,
    GrassrootsResolutionNotAdopted,
    PartialCommitteeAppraised,
    ResolutionTakenOverFromPaper,
)
from ketnap.services.voting.roster import Chain, Competence, RosterMember
from ketnap.services.voting.rules import Tally, cell_vote, committee_vote, refusal


class Admission(CommitteeActs):
    """The acts from the cell's proposal to the admission decision and the ceremony's date."""

    def record_cell_resolution(
        self, *, cell: str, meeting_on: date, ballots: Sequence[Ballot], roster: Iterable[RosterMember]
    ) -> Tally:
        """Nghị quyết chi bộ (Mẫu 6-KNĐ): CELL_MIN3, PROBATIONARY_NO_VOTE, CELL_2_3."""
        self.require_open()
        if cell != self.cell:
            raise InvalidInput("Hồ sơ thuộc chi bộ khác; chỉ chi bộ quản lý hồ sơ được biểu quyết.", cell=self.cell)
        if self.cell_resolution is not None:
            if self.cell_resolution.adopted:
                raise Conflict("Chi bộ đã có nghị quyết đề nghị kết nạp người này.", dossier_id=self.dossier_id)
            raise Conflict(
                "Chi bộ đã biểu quyết không thông qua; hồ sơ phải được chuẩn bị lại trước khi xét lần sau.",
                dossier_id=self.dossier_id,
            )
        not_before(meeting_on, self.ready_on, "ngày hồ sơ sẵn sàng để chi bộ xét")
        rules = rules_on(meeting_on)
        tally = cell_vote(roster, ballots, rules=rules, meeting_on=meeting_on)
        outcome = CellResolutionAdopted if tally.violation is None else CellResolutionNotAdopted
        self._record(
            self._vote_held("cell_resolution", cell, meeting_on, tally, rules),
            outcome(
                dossier_id=self.dossier_id,
                cell=cell,
                citizen_id=self.citizen_id,
                meeting_on=meeting_on,
                agree=tally.agree,
                disagree=tally.disagree,
                denominator=tally.denominator,
                entitled=tally.entitled,
                rule_set=rules.id,
            ),
        )
        return tally

    def take_over_cell_resolution(
        self, *, cell: str, meeting_on: date, agree: int, disagree: int, roster: Iterable[RosterMember]
    ) -> Tally:
        """A cell's resolution adopted on paper (Mẫu 6-KNĐ), taken over with its counts: the same
        rules as a vote recorded here (CELL_MIN3, CELL_2_3 against the registry's roster on the
        meeting day, under that day's rule set), a resolution not adopted refused (the dossier is
        not in progress)."""
        self.require_open()
        if cell != self.cell:
            raise InvalidInput("Hồ sơ thuộc chi bộ khác; chỉ chi bộ quản lý hồ sơ được biểu quyết.", cell=self.cell)
        if self.cell_resolution is not None:
            raise Conflict("Chi bộ đã có nghị quyết về người này.", dossier_id=self.dossier_id)
        not_before(meeting_on, self.ready_on, "ngày hồ sơ sẵn sàng để chi bộ xét")
        rules = rules_on(meeting_on)
        counted = cell_vote(roster, [], rules=rules, meeting_on=meeting_on)
        entitled = sum(1 for line in counted.roster if line.membership == "official" and line.status in ("active", "exempted"))
        if agree + disagree > entitled:
            raise InvalidInput(
                f"Số phiếu ({agree + disagree}) nhiều hơn số đảng viên chính thức được biểu quyết của chi bộ "
                f"ngày {vn_date(meeting_on)} ({entitled}).",
                field="agree",
            )
        tally = _paper_tally(counted, agree, disagree, rules, check_cell_resolution_adopted(agree, counted.denominator, rules=rules))
        self._record(
            ResolutionTakenOverFromPaper(
                dossier_id=self.dossier_id, act="cell_resolution", organisation=cell, meeting_on=meeting_on,
                agree=agree, disagree=disagree,
            ),
            self._vote_held("cell_resolution", cell, meeting_on, tally, rules),
            CellResolutionAdopted(
                dossier_id=self.dossier_id,
                cell=cell,
                citizen_id=self.citizen_id,
                meeting_on=meeting_on,
                agree=agree,
                disagree=disagree,
                denominator=tally.denominator,
                entitled=tally.entitled,
                rule_set=rules.id,
            ),
        )
        return tally

    def record_appraisal(self, *, organisation: str, appraised_on: date, opinion: str, chain: Chain) -> None:
        """Thẩm định của đảng ủy bộ phận (Mẫu 7-KNĐ), when the cell sits under one."""
        self.require_open()
        resolution = self._require_cell_adopted()
        self._require_admission_pending()
        partial = chain.partial_committee
        if partial is None:
            raise InvalidInput("Chi bộ không trực thuộc đảng bộ bộ phận nào: không có bước thẩm định.", cell=self.cell)
        if organisation != partial:
            raise InvalidInput(f"Việc thẩm định thuộc đảng ủy bộ phận {partial}.", organisation=organisation)
        if self.appraisal is not None:
            raise Conflict("Đảng ủy bộ phận đã thẩm định hồ sơ này.", dossier_id=self.dossier_id)
        not_before(appraised_on, resolution.meeting_on, "ngày chi bộ ra nghị quyết")
        self._record(
            PartialCommitteeAppraised(
                dossier_id=self.dossier_id, organisation=organisation, appraised_on=appraised_on, opinion=opinion
            )
        )

    def record_grassroots_resolution(
        self, *, organisation: str, meeting_on: date, ballots: Sequence[Ballot], chain: Chain, committee: Sequence[str]
    ) -> Tally:
        """Nghị quyết đảng ủy cơ sở (Mẫu 8-KNĐ): ≥ 2/3 of all committee members (COMMITTEE_2_3)."""
        self._grassroots_may_resolve(organisation, meeting_on, chain)
        rules = rules_on(meeting_on)
        tally = committee_vote(committee, ballots, rules=rules, meeting_on=meeting_on)
        self._record(*self._grassroots_resolved(organisation, meeting_on, tally, rules))
        return tally

    def take_over_grassroots_resolution(
        self, *, organisation: str, meeting_on: date, agree: int, disagree: int, chain: Chain, committee: Sequence[str]
    ) -> Tally:
        """The grassroots committee's resolution adopted on paper (Mẫu 8-KNĐ), taken over with its
        counts: COMMITTEE_2_3 against the committee's members on the meeting day, as live; a
        resolution not adopted is refused (the dossier is not in progress)."""
        self._grassroots_may_resolve(organisation, meeting_on, chain)
        rules = rules_on(meeting_on)
        tally = _paper_committee_tally(committee, agree, disagree, rules, meeting_on)
        self._record(
            ResolutionTakenOverFromPaper(
                dossier_id=self.dossier_id, act="grassroots_resolution", organisation=organisation, meeting_on=meeting_on,
                agree=agree, disagree=disagree,
            ),
            *self._grassroots_resolved(organisation, meeting_on, tally, rules),
        )
        return tally

    def _grassroots_may_resolve(self, organisation: str, meeting_on: date, chain: Chain) -> None:
        """The guards of the grassroots committee's resolution, live or taken over."""
        self.require_open()
        resolution = self._require_cell_adopted()
        self._require_admission_pending()
        grassroots = chain.grassroots_committee
        if grassroots is None:
            raise InvalidInput(
                "Chi bộ cơ sở: không có bước nghị quyết của đảng ủy cơ sở.", cell=self.cell
            )
        if organisation != grassroots:
            raise InvalidInput(f"Nghị quyết đề nghị kết nạp thuộc đảng ủy cơ sở {grassroots}.", organisation=organisation)
        if self.grassroots_resolution is not None:
            raise Conflict("Đảng ủy cơ sở đã có nghị quyết về hồ sơ này.", dossier_id=self.dossier_id)
        if chain.partial_committee is not None and self.appraisal is None:
            raise InvalidInput("Chưa có ý kiến thẩm định của đảng ủy bộ phận.", organisation=chain.partial_committee)
        not_before(meeting_on, resolution.meeting_on, "ngày chi bộ ra nghị quyết")
        not_before(meeting_on, self.appraisal[1] if self.appraisal else None, "ngày thẩm định")

    def _grassroots_resolved(self, organisation: str, meeting_on: date, tally: Tally, rules: RuleSet) -> list[Event]:
        outcome = GrassrootsResolutionAdopted if tally.violation is None else GrassrootsResolutionNotAdopted
        return [
            self._vote_held("grassroots_resolution", organisation, meeting_on, tally, rules),
            outcome(
                dossier_id=self.dossier_id,
                organisation=organisation,
                meeting_on=meeting_on,
                agree=tally.agree,
                denominator=tally.denominator,
                rule_set=rules.id,
            ),
        ]

    def _admission_ready_for_decision(self, competent: Competence, chain: Chain) -> date:
        """The steps before a decision, and the date of the last one."""
        last = self._require_cell_adopted().meeting_on
        if chain.partial_committee is not None and self.grassroots_resolution is None:
            if self.appraisal is None:
                raise InvalidInput("Chưa có ý kiến thẩm định của đảng ủy bộ phận.", organisation=chain.partial_committee)
            last = max(last, self.appraisal[1])
        # An authorised grassroots committee's own vote is its decision; otherwise the grassroots
        # committee (when the cell has one) must have proposed the admission first.
        if chain.grassroots_committee is not None and not competent.is_grassroots and self.grassroots_resolution is None:
            raise InvalidInput("Chưa có nghị quyết đề nghị kết nạp của đảng ủy cơ sở.", organisation=chain.grassroots_committee)
        if self.grassroots_resolution is not None:
            last = max(last, self.grassroots_resolution.meeting_on)
        return last

    def decide_admission(
        self,
        *,
        decided_by: str,
        decision_date: date,
        admitted: bool,
        decision_number: str | None,
        reason: str | None,
        competent: Competence,
        chain: Chain,
        committee: Sequence[str] | None = None,
        ballots: Sequence[Ballot] = (),
    ) -> Tally | None:
        """Quyết định kết nạp (or không kết nạp) of the competent committee (AUTHORITY); an
        authorised grassroots committee admits only with ≥ 2/3 of all its members (COMMITTEE_2_3).
        A decision after the 60 (+ extension) working days is recorded and flagged
        (DECISION_60WD), not refused: the person is not to blame for the committee's delay."""
        self.require_open()
        self._require_cell_adopted()
        self._require_admission_pending()
        rules = rules_on(decision_date)
        checked = self._authority("admission_decision", decided_by, competent, decision_date, rules)
        last = self._admission_ready_for_decision(competent, chain)
        not_before(decision_date, last, "bước xét trước đó")
        if admitted and not decision_number:
            raise InvalidInput("Quyết định kết nạp phải có số quyết định.", field="decision_number")
        if not admitted and not reason:
            raise InvalidInput("Quyết định không kết nạp phải ghi lý do.", field="reason")
        tally = self._committee_decision("admission_decision", competent, decision_date, committee, ballots, rules)
        if tally is not None and not admitted and tally.adopted:
            raise InvalidInput(
                "Cấp ủy đã biểu quyết đủ hai phần ba tán thành kết nạp, không thể ghi quyết định không kết nạp.",
                agree=tally.agree,
                required=tally.required,
            )
        decision: Event
        if admitted:
            decision = AdmissionDecided(
                dossier_id=self.dossier_id,
                citizen_id=self.citizen_id,
                full_name=self.full_name,
                organisation=self.cell,
                decided_by=decided_by,
                decision_number=decision_number,  # type: ignore[arg-type]
                decision_date=decision_date,
                rule_set=rules.id,
            )
        else:
            decision = AdmissionRefused(
                dossier_id=self.dossier_id,
                citizen_id=self.citizen_id,
                organisation=self.cell,
                decided_by=decided_by,
                decision_date=decision_date,
                reason=reason,  # type: ignore[arg-type]
                rule_set=rules.id,
            )
        self._record_decision(checked, tally, rules, decision, in_favour=admitted)
        return tally

    def take_over_admission_decision(
        self,
        *,
        decided_by: str,
        decision_number: str,
        decision_date: date,
        agree: int,
        disagree: int,
        competent: Competence,
        chain: Chain,
        committee: Sequence[str] | None,
    ) -> Tally:
        """The admission decided on paper by an authorised grassroots committee (Mẫu 9-KNĐ), taken
        over with the counts of its vote: the checks of a live decision (AUTHORITY, the steps before
        it, NO_RULE_SET on its date) and COMMITTEE_2_3 against all its members on that day, as live;
        a vote short of 2/3 is refused (the paper holds no admission then)."""
        self.require_open()
        self._require_cell_adopted()
        self._require_admission_pending()
        rules = rules_on(decision_date)
        checked = self._authority("admission_decision", decided_by, competent, decision_date, rules)
        if not competent.is_grassroots or committee is None:
            raise InvalidInput(
                "Chỉ tiếp nhận số phiếu của quyết định khi đảng ủy cơ sở được ủy quyền quyết định kết nạp; "
                "quyết định của cấp ủy cấp trên ghi số và ngày quyết định, không ghi số phiếu.",
                field="agree",
            )
        not_before(decision_date, self._admission_ready_for_decision(competent, chain), "bước xét trước đó")
        tally = _paper_committee_tally(committee, agree, disagree, rules, decision_date)
        self._record(
            ResolutionTakenOverFromPaper(
                dossier_id=self.dossier_id, act="admission_decision", organisation=decided_by, meeting_on=decision_date,
                agree=agree, disagree=disagree,
            )
        )
        self._record_decision(
            checked, tally, rules,
            AdmissionDecided(
                dossier_id=self.dossier_id,
                citizen_id=self.citizen_id,
                full_name=self.full_name,
                organisation=self.cell,
                decided_by=decided_by,
                decision_number=decision_number,
                decision_date=decision_date,
                rule_set=rules.id,
            ),
        )
        return tally

    def record_cell_notified(self, *, received_on: date) -> None:
        """The cell received the decision, whichever it was; the ceremony is due 30 working days on."""
        self.require_open()
        if self.decision is None:
            raise InvalidInput("Chưa có quyết định để thông báo cho chi bộ.", dossier_id=self.dossier_id)
        if self.notified_on is not None:
            raise Conflict("Đã ghi ngày chi bộ nhận quyết định.", dossier_id=self.dossier_id)
        not_before(received_on, self.decision.decision_date, "ngày ra quyết định")
        self._record(CellNotified(dossier_id=self.dossier_id, organisation=self.cell, received_on=received_on))

    def agree_ceremony_delay(self, *, agreed_by: str, agreed_on: date, chain: Chain) -> None:
        """The committee above agrees to a ceremony later than 30 working days (CEREMONY_30WD)."""
        self.require_open()
        if self.decision is None or not self.decision.positive:
            raise InvalidInput("Người này chưa có quyết định kết nạp.", dossier_id=self.dossier_id)
        if self.ceremony_on is not None:
            raise Conflict("Lễ kết nạp đã được tổ chức.", dossier_id=self.dossier_id)
        if self.ceremony_delay_agreed_by is not None:
            raise Conflict("Cấp ủy cấp trên đã đồng ý lùi lễ kết nạp.", dossier_id=self.dossier_id)
        if not chain.is_committee_above_cell(agreed_by):
            raise refusal(
                Violation.of(
                    RuleCode.AUTHORITY,
                    "Chỉ cấp ủy cấp trên của chi bộ được đồng ý lùi thời hạn tổ chức lễ kết nạp",
                    agreed_by=agreed_by,
                )
            )
        not_before(agreed_on, self.decision.decision_date, "ngày ra quyết định")
        self._record(CeremonyDelayAgreed(dossier_id=self.dossier_id, agreed_by=agreed_by, agreed_on=agreed_on))


def _paper_committee_tally(committee: Sequence[str], agree: int, disagree: int, rules: RuleSet, meeting_on: date) -> Tally:
    """A committee's vote taken on paper: its counts against the committee's members on the day
    (never more votes than members), COMMITTEE_2_3 as live."""
    counted = committee_vote(committee, [], rules=rules, meeting_on=meeting_on)
    if agree + disagree > counted.denominator:
        raise InvalidInput(
            f"Số phiếu ({agree + disagree}) nhiều hơn số cấp ủy viên ngày {vn_date(meeting_on)} ({counted.denominator}).",
            field="agree",
        )
    return _paper_tally(counted, agree, disagree, rules, check_committee_resolution_adopted(agree, counted.denominator, rules=rules))


def _paper_tally(counted: Tally, agree: int, disagree: int, rules: RuleSet, violation: Violation | None) -> Tally:
    """A vote taken on paper as its counts: the roster or committee `counted` as the registry has
    it on the day, the paper's counts in place of ballots. Not adopted (`violation`): refused, for
    a dossier whose resolution failed is not in progress."""
    if violation is not None:
        raise refusal(violation)
    return replace(
        counted, agree=agree, disagree=disagree, abstain=0,
        outcome=vote_outcome(agree, disagree, counted.denominator, rules.adoption_share), violation=None,
    )
