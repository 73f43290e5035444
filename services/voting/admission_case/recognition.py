"""The recognition chain (công nhận đảng viên chính thức): the cell's resolution, the grassroots
committee's resolution, failed votes escalating to the committee above after the third
(RECOG_3_FAILS), and the competent committee's decision with the official date."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from ketnap.domain.rules import RuleCode, RuleSet, Violation
from ketnap.domain.rules.deadlines import check_recognition_not_early, official_date
from ketnap.domain.rules.thresholds import VoteOutcome, check_recognition_failed_votes
from ketnap.platform.commands import Conflict, InvalidInput
from ketnap.services.voting.admission_case.acts import CommitteeActs
from ketnap.services.voting.admission_case.state import not_before, rules_on
from ketnap.services.voting.events import (
    Act,
    Ballot,
    Event,
    RecognitionDecided,
    RecognitionEscalated,
    RecognitionResolutionAdopted,
    RecognitionResolutionRejected,
    RecognitionVoteFailed,
)
from ketnap.services.voting.roster import Chain, Competence, RosterMember
from ketnap.services.voting.rules import Tally, cell_vote, committee_vote, raise_if, refusal


class Recognition(CommitteeActs):
    """The acts of the probation's end that recognise a probationary member as an official member."""

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
        not_before(meeting_on, self.recognition_cell.meeting_on if self.recognition_cell else None, "ngày chi bộ ra nghị quyết")
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
            not_before(decision_date, proposal.meeting_on, "ngày có nghị quyết đề nghị")
        raise_if(check_recognition_not_early(ceremony_on, decision_date))
        tally = self._committee_decision("recognition_decision", competent, decision_date, committee, ballots, rules)
        recognised = RecognitionDecided(
            dossier_id=self.dossier_id,
            citizen_id=self.citizen_id,
            organisation=self.cell,
            decided_by=decided_by,
            decision_number=decision_number,
            decision_date=decision_date,
            official_date=official_date(ceremony_on),
            rule_set=rules.id,
        )
        self._record_decision(checked, tally, rules, recognised)
        return tally
