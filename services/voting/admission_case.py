"""The voting chain of one applicant (hồ sơ biểu quyết): the aggregate behind stream `voting-<dossier_id>`.

It holds every act of a collective body on one dossier, in order: the cell's resolution, the
partial committee's appraisal, the grassroots committee's resolution, the competent committee's
decision (and its one extension, the notification of the cell), then after the ceremony the same
chain for recognition as an official member, or the removal of the name. Each method checks the
rules and records its events; a failed check raises before anything is recorded. Because one
stream holds the whole chain, two conflicting records of one step cannot both be appended: the
second is judged against the first, or loses on the stream's expected version.

The registry's facts a method needs (roster, committee, tree, competent authority, all as of the
act's date) are fetched by the handler and passed in: the aggregate does no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ketnap.domain.rules import NoRuleSetInForce, RuleCode, RuleSet, Violation, rule_set_on
from ketnap.domain.rules.deadlines import check_decision_extension, check_recognition_not_early, official_date
from ketnap.domain.rules.thresholds import VoteOutcome, check_recognition_failed_votes
from ketnap.platform.commands import Conflict, InvalidInput, NotFound
from ketnap.platform.envelope import NewEvent, RecordedEvent
from ketnap.services.voting.events import (
    Act,
    AdmissionDecided,
    AdmissionRefused,
    AuthorityChecked,
    Ballot,
    CaseClosed,
    CaseOpened,
    CaseResumed,
    CaseSuspended,
    CaseTransferred,
    CellNotified,
    CellResolutionAdopted,
    CellResolutionNotAdopted,
    CeremonyDelayAgreed,
    CeremonyRecorded,
    DecisionDeadlineExtended,
    Event,
    GrassrootsResolutionAdopted,
    GrassrootsResolutionNotAdopted,
    NameRemovalDecided,
    PartialCommitteeAppraised,
    RecognitionDecided,
    RecognitionEscalated,
    RecognitionPapersRecorded,
    RecognitionResolutionAdopted,
    RecognitionResolutionRejected,
    RecognitionVoteFailed,
    VoteHeld,
    parse,
)
from ketnap.services.voting.roster import Chain, Competence, RosterMember
from ketnap.services.voting.rules import Tally, cell_vote, check_authority, committee_vote, raise_if, refusal

STREAM_PREFIX = "voting-"


def stream_id_of(dossier_id: str) -> str:
    return f"{STREAM_PREFIX}{dossier_id}"


def rules_on(d: date) -> RuleSet:
    """The rule set in force on the act's date; every resolution and decision records its id."""
    try:
        return rule_set_on(d)
    except NoRuleSetInForce as error:
        raise InvalidInput(f"Ngày {d:%d/%m/%Y} trước mọi bộ quy định hệ thống áp dụng.", on=d.isoformat()) from error


def _not_before(d: date, earlier: date | None, what: str) -> None:
    if earlier is not None and d < earlier:
        raise InvalidInput(f"Ngày {d:%d/%m/%Y} trước {what} ({earlier:%d/%m/%Y}).", on=d.isoformat())


@dataclass
class Resolution:
    """One vote's result at one body, as the chain needs it."""

    organisation: str
    meeting_on: date
    adopted: bool
    rule_set: str
    rejected: bool = False
    """Recognition only: ≥ 2/3 against."""


@dataclass
class Decided:
    decided_by: str
    decision_date: date
    positive: bool
    """Admitted, or recognised; False for a refusal or a name removal."""


@dataclass
class AdmissionCase:
    """Hồ sơ biểu quyết của một người: every act on one applicant, admission then recognition."""

    dossier_id: str
    version: int = 0
    pending: list[NewEvent] = field(default_factory=list)

    opened: bool = False
    cell: str = ""
    citizen_id: str = ""
    full_name: str = ""
    ready_on: date | None = None
    closed: str | None = None
    suspended: bool = False

    cell_resolution: Resolution | None = None
    appraisal: tuple[str, date] | None = None
    grassroots_resolution: Resolution | None = None
    decision: Decided | None = None
    extensions: list[int] = field(default_factory=list)
    notified_on: date | None = None

    ceremony_on: date | None = None
    received_decision_on: date | None = None
    ceremony_delay_agreed_by: str | None = None
    papers_completed_on: date | None = None

    recognition_cell: Resolution | None = None
    recognition_grassroots: Resolution | None = None
    failed_votes: dict[str, int] = field(default_factory=dict)
    escalations: dict[str, str] = field(default_factory=dict)
    """Organisation whose votes failed three times -> the committee above it."""
    escalated_on: date | None = None
    last_failed_on: date | None = None
    recognition_extensions: list[int] = field(default_factory=list)
    recognition_decision: Decided | None = None

    @property
    def stream_id(self) -> str:
        return stream_id_of(self.dossier_id)

    @classmethod
    def load(cls, dossier_id: str, recorded: Iterable[RecordedEvent], *, version: int | None = None) -> "AdmissionCase":
        """The chain from its events in order. `version`: the own stream's version to append at,
        when the events are merged from several deployments' logs (`case_log`); otherwise the
        last event's."""
        case = cls(dossier_id)
        for event in recorded:
            case._apply(parse(event))
            case.version = event.stream_version
        if version is not None:
            case.version = version
        return case

    def _record(self, *events: Event) -> None:
        for event in events:
            self._apply(event)
            self.pending.append(event.to_new_event())

    # --- facts from the dossiers service ------------------------------------------------------

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

    # --- guards -------------------------------------------------------------------------------

    def require_open(self) -> None:
        """Any act needs a dossier that the dossiers service made ready, still going."""
        if not self.opened:
            raise NotFound("Chưa có hồ sơ nào sẵn sàng để chi bộ xét với mã này.", dossier_id=self.dossier_id)
        if self.closed:
            why = "đã rút" if self.closed == "withdrawn" else "đã bị loại"
            raise Conflict(f"Hồ sơ {why}; không ghi thêm biểu quyết, quyết định.", dossier_id=self.dossier_id)
        if self.suspended:
            raise Conflict("Hồ sơ đang để lại sưu tra; chưa ghi được biểu quyết, quyết định.", dossier_id=self.dossier_id)

    def _require_cell_adopted(self) -> Resolution:
        if self.cell_resolution is None or not self.cell_resolution.adopted:
            raise InvalidInput("Chi bộ chưa có nghị quyết đề nghị kết nạp người này.", dossier_id=self.dossier_id)
        return self.cell_resolution

    def _require_admission_pending(self) -> None:
        if self.decision is not None:
            raise Conflict("Cấp có thẩm quyền đã ra quyết định về việc kết nạp người này.", dossier_id=self.dossier_id)
        if self.grassroots_resolution is not None and not self.grassroots_resolution.adopted:
            raise Conflict("Đảng ủy cơ sở đã biểu quyết không thông qua đề nghị kết nạp.", dossier_id=self.dossier_id)

    def _require_probation(self) -> date:
        if self.decision is None or not self.decision.positive:
            raise InvalidInput("Người này chưa có quyết định kết nạp.", dossier_id=self.dossier_id)
        if self.ceremony_on is None:
            raise InvalidInput("Chưa tổ chức lễ kết nạp: thời kỳ dự bị chưa bắt đầu.", dossier_id=self.dossier_id)
        if self.recognition_decision is not None:
            what = "công nhận đảng viên chính thức" if self.recognition_decision.positive else "xóa tên"
            raise Conflict(f"Đã có quyết định {what} đối với người này.", dossier_id=self.dossier_id)
        return self.ceremony_on

    def _vote_held(self, act: Act, organisation: str, meeting_on: date, tally: Tally, rules: RuleSet) -> VoteHeld:
        return VoteHeld(
            dossier_id=self.dossier_id,
            act=act,
            organisation=organisation,
            meeting_on=meeting_on,
            roster=list(tally.roster),
            ballots=list(tally.ballots),
            denominator=tally.denominator,
            required=tally.required,
            agree=tally.agree,
            disagree=tally.disagree,
            abstain=tally.abstain,
            outcome=tally.outcome.value,
            rule_set=rules.id,
        )

    def _authority(self, act: Act, decided_by: str, competent: Competence, on: date, rules: RuleSet) -> AuthorityChecked:
        raise_if(check_authority(decided_by, competent))
        return AuthorityChecked(
            dossier_id=self.dossier_id,
            act=act,
            decided_by=decided_by,
            competent_authority=competent.organisation,
            on=on,
            rule_set=rules.id,
        )

    def _committee_decision(
        self,
        act: Act,
        competent: Competence,
        decision_date: date,
        committee: Sequence[str] | None,
        ballots: Sequence[Ballot],
        rules: RuleSet,
    ) -> Tally | None:
        """An authorised grassroots committee decides by a vote of ≥ 2/3 of all its members; an
        upper committee's standing committee is not counted here."""
        if not competent.is_grassroots:
            if ballots:
                raise InvalidInput(
                    "Chỉ ghi biểu quyết khi đảng ủy cơ sở được ủy quyền quyết định.", decided_by=competent.organisation
                )
            return None
        if not ballots or committee is None:
            raise InvalidInput(
                "Đảng ủy cơ sở được ủy quyền quyết định bằng biểu quyết của cấp ủy viên: cần ghi biểu quyết.",
                decided_by=competent.organisation,
            )
        return committee_vote(committee, ballots, rules=rules, meeting_on=decision_date)

    # --- admission ----------------------------------------------------------------------------

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
        _not_before(meeting_on, self.ready_on, "ngày hồ sơ sẵn sàng để chi bộ xét")
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
        _not_before(appraised_on, resolution.meeting_on, "ngày chi bộ ra nghị quyết")
        self._record(
            PartialCommitteeAppraised(
                dossier_id=self.dossier_id, organisation=organisation, appraised_on=appraised_on, opinion=opinion
            )
        )

    def record_grassroots_resolution(
        self, *, organisation: str, meeting_on: date, ballots: Sequence[Ballot], chain: Chain, committee: Sequence[str]
    ) -> Tally:
        """Nghị quyết đảng ủy cơ sở (Mẫu 8-KNĐ): ≥ 2/3 of all committee members (COMMITTEE_2_3)."""
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
        _not_before(meeting_on, resolution.meeting_on, "ngày chi bộ ra nghị quyết")
        _not_before(meeting_on, self.appraisal[1] if self.appraisal else None, "ngày thẩm định")
        rules = rules_on(meeting_on)
        tally = committee_vote(committee, ballots, rules=rules, meeting_on=meeting_on)
        outcome = GrassrootsResolutionAdopted if tally.violation is None else GrassrootsResolutionNotAdopted
        self._record(
            self._vote_held("grassroots_resolution", organisation, meeting_on, tally, rules),
            outcome(
                dossier_id=self.dossier_id,
                organisation=organisation,
                meeting_on=meeting_on,
                agree=tally.agree,
                denominator=tally.denominator,
                rule_set=rules.id,
            ),
        )
        return tally

    def _admission_ready_for_decision(self, competent: Competence, chain: Chain) -> date:
        """The steps before a decision, and the date of the last one."""
        last = self._require_cell_adopted().meeting_on
        if chain.partial_committee is not None and self.grassroots_resolution is None:
            if self.appraisal is None:
                raise InvalidInput("Chưa có ý kiến thẩm định của đảng ủy bộ phận.", organisation=chain.partial_committee)
            last = max(last, self.appraisal[1])
        # An authorised grassroots committee's own vote is its decision; otherwise the grassroots
        # committee (when the cell has one) must have proposed the admission first.
        if chain.grassroots_committee is not None and not competent.is_grassroots:
            if self.grassroots_resolution is None:
                raise InvalidInput(
                    "Chưa có nghị quyết đề nghị kết nạp của đảng ủy cơ sở.", organisation=chain.grassroots_committee
                )
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
        _not_before(decision_date, last, "bước xét trước đó")
        if admitted and not decision_number:
            raise InvalidInput("Quyết định kết nạp phải có số quyết định.", field="decision_number")
        if not admitted and not reason:
            raise InvalidInput("Quyết định không kết nạp phải ghi lý do.", field="reason")
        tally = self._committee_decision("admission_decision", competent, decision_date, committee, ballots, rules)
        events: list[Event] = []
        if tally is not None:
            if admitted and not tally.adopted:
                raise refusal(tally.violation or Violation.of(RuleCode.COMMITTEE_2_3))
            if not admitted and tally.adopted:
                raise InvalidInput(
                    "Cấp ủy đã biểu quyết đủ hai phần ba tán thành kết nạp, không thể ghi quyết định không kết nạp.",
                    agree=tally.agree,
                    required=tally.required,
                )
            events.append(self._vote_held("admission_decision", decided_by, decision_date, tally, rules))
        events.append(checked)
        if admitted:
            events.append(
                AdmissionDecided(
                    dossier_id=self.dossier_id,
                    citizen_id=self.citizen_id,
                    full_name=self.full_name,
                    organisation=self.cell,
                    decided_by=decided_by,
                    decision_number=decision_number,  # type: ignore[arg-type]
                    decision_date=decision_date,
                    rule_set=rules.id,
                )
            )
        else:
            events.append(
                AdmissionRefused(
                    dossier_id=self.dossier_id,
                    citizen_id=self.citizen_id,
                    organisation=self.cell,
                    decided_by=decided_by,
                    decision_date=decision_date,
                    reason=reason,  # type: ignore[arg-type]
                )
            )
        self._record(*events)
        return tally

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
        _not_before(on, started, "ngày bắt đầu tính thời hạn")
        self._record(
            checked,
            DecisionDeadlineExtended(dossier_id=self.dossier_id, by_working_days=by_working_days, decided_by=decided_by, on=on),
        )

    def record_cell_notified(self, *, received_on: date) -> None:
        """The cell received the decision, whichever it was; the ceremony is due 30 working days on."""
        self.require_open()
        if self.decision is None:
            raise InvalidInput("Chưa có quyết định để thông báo cho chi bộ.", dossier_id=self.dossier_id)
        if self.notified_on is not None:
            raise Conflict("Đã ghi ngày chi bộ nhận quyết định.", dossier_id=self.dossier_id)
        _not_before(received_on, self.decision.decision_date, "ngày ra quyết định")
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
        _not_before(agreed_on, self.decision.decision_date, "ngày ra quyết định")
        self._record(CeremonyDelayAgreed(dossier_id=self.dossier_id, agreed_by=agreed_by, agreed_on=agreed_on))

    # --- recognition (công nhận đảng viên chính thức) and removal ------------------------------

    def _recognition_outcome(self, level: str, organisation: str, meeting_on: date, tally: Tally, chain: Chain, rules: RuleSet) -> list[Event]:
        act: Act = "recognition_cell_resolution" if level == "cell" else "recognition_grassroots_resolution"
        events: list[Event] = [self._vote_held(act, organisation, meeting_on, tally, rules)]
        fields: dict[str, Any] = dict(
            dossier_id=self.dossier_id,
            organisation=organisation,
            level=level,
            meeting_on=meeting_on,
            agree=tally.agree,
            disagree=tally.disagree,
            denominator=tally.denominator,
            rule_set=rules.id,
        )
        if tally.outcome is VoteOutcome.ADOPTED:
            events.append(RecognitionResolutionAdopted(**fields))
        elif tally.outcome is VoteOutcome.REJECTED:
            events.append(RecognitionResolutionRejected(**fields))
        else:
            attempt = self.failed_votes.get(organisation, 0) + 1
            events.append(
                RecognitionVoteFailed(
                    dossier_id=self.dossier_id,
                    citizen_id=self.citizen_id,
                    organisation=organisation,
                    attempt=attempt,
                    meeting_on=meeting_on,
                )
            )
            if check_recognition_failed_votes(attempt, rules=rules) is not None:
                above = chain.committee_above(organisation)
                if above is None:
                    raise InvalidInput("Không xác định được cấp ủy cấp trên để báo cáo.", organisation=organisation)
                events.append(
                    RecognitionEscalated(
                        dossier_id=self.dossier_id,
                        citizen_id=self.citizen_id,
                        organisation=organisation,
                        to_organisation=above,
                    )
                )
        return events

    def record_recognition_cell_resolution(
        self, *, cell: str, meeting_on: date, ballots: Sequence[Ballot], roster: Iterable[RosterMember], chain: Chain
    ) -> Tally:
        """Nghị quyết chi bộ đề nghị công nhận đảng viên chính thức (13-KNĐ): "agree" is for
        recognition. ≥ 2/3 for: proposed; ≥ 2/3 against: proposes removing the name; neither: a
        failed vote, and the third one escalates to the committee above (RECOG_3_FAILS)."""
        self.require_open()
        ceremony_on = self._require_probation()
        if cell != self.cell:
            raise InvalidInput("Hồ sơ thuộc chi bộ khác; chỉ chi bộ quản lý hồ sơ được biểu quyết.", cell=self.cell)
        if cell in self.escalations:
            raise refusal(Violation.of(RuleCode.RECOG_3_FAILS, escalated_to=self.escalations[cell]))
        if self.recognition_cell is not None:
            raise Conflict("Chi bộ đã có nghị quyết về việc công nhận đảng viên chính thức.", dossier_id=self.dossier_id)
        if self.papers_completed_on is None:
            raise refusal(Violation.of(RuleCode.RECOG_DOCS))
        raise_if(check_recognition_not_early(ceremony_on, meeting_on))
        rules = rules_on(meeting_on)
        tally = cell_vote(roster, ballots, rules=rules, meeting_on=meeting_on)
        self._record(*self._recognition_outcome("cell", cell, meeting_on, tally, chain, rules))
        return tally

    def record_recognition_grassroots_resolution(
        self, *, organisation: str, meeting_on: date, ballots: Sequence[Ballot], chain: Chain, committee: Sequence[str]
    ) -> Tally:
        """Nghị quyết đảng ủy cơ sở về công nhận đảng viên chính thức (15-KNĐ), on the cell's
        proposal, or on a case escalated to it after three failed cell votes."""
        self.require_open()
        ceremony_on = self._require_probation()
        grassroots = chain.grassroots_committee
        if grassroots is None:
            raise InvalidInput("Chi bộ cơ sở: không có bước nghị quyết của đảng ủy cơ sở.", cell=self.cell)
        if organisation != grassroots:
            raise InvalidInput(f"Nghị quyết về việc công nhận thuộc đảng ủy cơ sở {grassroots}.", organisation=organisation)
        if organisation in self.escalations:
            raise refusal(Violation.of(RuleCode.RECOG_3_FAILS, escalated_to=self.escalations[organisation]))
        escalated_here = organisation in self.escalations.values()
        cell_resolved = self.recognition_cell is not None
        if not (cell_resolved or escalated_here):
            raise InvalidInput("Chi bộ chưa có nghị quyết về việc công nhận đảng viên chính thức.", cell=self.cell)
        if self.recognition_grassroots is not None:
            raise Conflict("Đảng ủy cơ sở đã có nghị quyết về việc công nhận người này.", dossier_id=self.dossier_id)
        raise_if(check_recognition_not_early(ceremony_on, meeting_on))
        _not_before(meeting_on, self.recognition_cell.meeting_on if self.recognition_cell else None, "ngày chi bộ ra nghị quyết")
        rules = rules_on(meeting_on)
        tally = committee_vote(committee, ballots, rules=rules, meeting_on=meeting_on)
        self._record(*self._recognition_outcome("grassroots", organisation, meeting_on, tally, chain, rules))
        return tally

    def decide_recognition(
        self,
        *,
        decided_by: str,
        decision_number: str,
        decision_date: date,
        competent: Competence,
        chain: Chain,
        committee: Sequence[str] | None = None,
        ballots: Sequence[Ballot] = (),
    ) -> Tally | None:
        """Quyết định công nhận đảng viên chính thức (16-KNĐ) of the competent committee
        (AUTHORITY); the official date is ceremony + 12 months, whatever the decision date."""
        self.require_open()
        ceremony_on = self._require_probation()
        rules = rules_on(decision_date)
        checked = self._authority("recognition_decision", decided_by, competent, decision_date, rules)
        if not self.escalations:
            proposal = self.recognition_cell
            if chain.grassroots_committee is not None and not competent.is_grassroots:
                proposal = self.recognition_grassroots
            if proposal is None or not proposal.adopted:
                raise InvalidInput(
                    "Chưa có nghị quyết đề nghị công nhận đảng viên chính thức của cấp dưới.", dossier_id=self.dossier_id
                )
            _not_before(decision_date, proposal.meeting_on, "ngày có nghị quyết đề nghị")
        raise_if(check_recognition_not_early(ceremony_on, decision_date))
        tally = self._committee_decision("recognition_decision", competent, decision_date, committee, ballots, rules)
        events: list[Event] = []
        if tally is not None:
            if not tally.adopted:
                raise refusal(tally.violation or Violation.of(RuleCode.COMMITTEE_2_3))
            events.append(self._vote_held("recognition_decision", decided_by, decision_date, tally, rules))
        events += [
            checked,
            RecognitionDecided(
                dossier_id=self.dossier_id,
                citizen_id=self.citizen_id,
                organisation=self.cell,
                decided_by=decided_by,
                decision_number=decision_number,
                decision_date=decision_date,
                official_date=official_date(ceremony_on),
            ),
        ]
        self._record(*events)
        return tally

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
        _not_before(decision_date, ceremony_on, "ngày lễ kết nạp")
        rules = rules_on(decision_date)
        checked = self._authority("name_removal_decision", decided_by, competent, decision_date, rules)
        tally = self._committee_decision("name_removal_decision", competent, decision_date, committee, ballots, rules)
        events: list[Event] = []
        if tally is not None:
            if not tally.adopted:
                raise refusal(tally.violation or Violation.of(RuleCode.COMMITTEE_2_3))
            events.append(self._vote_held("name_removal_decision", decided_by, decision_date, tally, rules))
        events += [
            checked,
            NameRemovalDecided(
                dossier_id=self.dossier_id,
                citizen_id=self.citizen_id,
                organisation=self.cell,
                decided_by=decided_by,
                decision_date=decision_date,
                reason=reason,
            ),
        ]
        self._record(*events)
        return tally

    # --- state --------------------------------------------------------------------------------

    def _apply(self, event: Event) -> None:  # noqa: C901 - one branch per event type, on purpose
        match event:
            case CaseOpened():
                self.opened, self.cell, self.citizen_id = True, event.cell, event.citizen_id
                self.full_name, self.ready_on = event.full_name, event.ready_on
                # Made ready again after a chain that ended without admission: start anew.
                self.cell_resolution = self.grassroots_resolution = self.decision = None
                self.appraisal, self.extensions, self.notified_on = None, [], None
            case CellResolutionNotAdopted():
                self.cell_resolution = Resolution(event.cell, event.meeting_on, False, event.rule_set)
            case CellResolutionAdopted():
                self.cell_resolution = Resolution(event.cell, event.meeting_on, True, event.rule_set)
            case PartialCommitteeAppraised():
                self.appraisal = (event.organisation, event.appraised_on)
            case GrassrootsResolutionNotAdopted():
                self.grassroots_resolution = Resolution(event.organisation, event.meeting_on, False, event.rule_set)
            case GrassrootsResolutionAdopted():
                self.grassroots_resolution = Resolution(event.organisation, event.meeting_on, True, event.rule_set)
            case AdmissionDecided():
                self.decision = Decided(event.decided_by, event.decision_date, True)
            case AdmissionRefused():
                self.decision = Decided(event.decided_by, event.decision_date, False)
            case DecisionDeadlineExtended():
                (self.recognition_extensions if self.ceremony_on else self.extensions).append(event.by_working_days)
            case CellNotified():
                self.notified_on = event.received_on
            case CeremonyDelayAgreed():
                self.ceremony_delay_agreed_by = event.agreed_by
            case CeremonyRecorded():
                self.ceremony_on, self.received_decision_on = event.held_on, event.received_decision_on
            case RecognitionPapersRecorded():
                self.papers_completed_on = event.completed_on
            case RecognitionResolutionRejected() | RecognitionResolutionAdopted():
                rejected = isinstance(event, RecognitionResolutionRejected)
                resolution = Resolution(event.organisation, event.meeting_on, not rejected, event.rule_set, rejected=rejected)
                if event.level == "cell":
                    self.recognition_cell = resolution
                else:
                    self.recognition_grassroots = resolution
            case RecognitionVoteFailed():
                self.failed_votes[event.organisation] = event.attempt
                self.last_failed_on = event.meeting_on
            case RecognitionEscalated():
                self.escalations[event.organisation] = event.to_organisation
                self.escalated_on = self.escalated_on or self.last_failed_on
            case RecognitionDecided():
                self.recognition_decision = Decided(event.decided_by, event.decision_date, True)
            case NameRemovalDecided():
                self.recognition_decision = Decided(event.decided_by, event.decision_date, False)
            case CaseTransferred():
                self.cell = event.to_cell
            case CaseResumed():
                self.suspended = False
            case CaseSuspended():
                self.suspended = True
            case CaseClosed():
                self.closed = event.why
            case VoteHeld() | AuthorityChecked():
                pass
            case _:
                raise TypeError(f"no state change for {type(event).__name__}")

    # --- reading ------------------------------------------------------------------------------

    def first_recognition_resolution_on(self) -> date | None:
        """When the cell adopted a resolution on recognition (for or against), or the case went
        above it after three failed votes: what ends RECOG_30WD."""
        dates = [d for d in (self.recognition_cell.meeting_on if self.recognition_cell else None,
                             self.escalated_on if self.cell in self.escalations else None) if d is not None]
        return min(dates) if dates else None

    def summary(self) -> dict[str, Any]:
        def resolution(r: Resolution | None) -> dict[str, Any] | None:
            if r is None:
                return None
            outcome = "adopted" if r.adopted else ("rejected" if r.rejected else "not_adopted")
            return {"organisation": r.organisation, "meeting_on": r.meeting_on.isoformat(), "outcome": outcome, "rule_set": r.rule_set}

        def decided(d: Decided | None) -> dict[str, Any] | None:
            if d is None:
                return None
            return {"decided_by": d.decided_by, "decision_date": d.decision_date.isoformat(), "positive": d.positive}

        def iso(d: date | None) -> str | None:
            return d.isoformat() if d else None

        return {
            "dossier_id": self.dossier_id,
            "version": self.version,
            "cell": self.cell,
            "ready_on": iso(self.ready_on),
            "closed": self.closed,
            "suspended": self.suspended,
            "cell_resolution": resolution(self.cell_resolution),
            "appraisal": {"organisation": self.appraisal[0], "appraised_on": self.appraisal[1].isoformat()} if self.appraisal else None,
            "grassroots_resolution": resolution(self.grassroots_resolution),
            "admission_decision": decided(self.decision),
            "extensions": list(self.extensions),
            "cell_notified_on": iso(self.notified_on),
            "ceremony_on": iso(self.ceremony_on),
            "ceremony_delay_agreed_by": self.ceremony_delay_agreed_by,
            "recognition_papers_completed_on": iso(self.papers_completed_on),
            "recognition_cell_resolution": resolution(self.recognition_cell),
            "recognition_grassroots_resolution": resolution(self.recognition_grassroots),
            "failed_recognition_votes": dict(self.failed_votes),
            "escalations": dict(self.escalations),
            "recognition_extensions": list(self.recognition_extensions),
            "recognition_decision": decided(self.recognition_decision),
        }
