"""What every act of a committee on the chain shares: where the chain must stand for it (the cell's
proposal adopted, the admission still to decide, the probation under way), the record of a vote
with its roster and ballots, the check of the competent authority, and the vote of an authorised
grassroots committee that decides by itself."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ketnap.domain.rules import RuleCode, RuleSet, Violation
from ketnap.platform.commands import Conflict, InvalidInput
from ketnap.services.voting.admission_case.state import CaseState, Resolution
from ketnap.services.voting.events import Act, AuthorityChecked, Ballot, Event, VoteHeld
from ketnap.services.voting.roster import Competence
from ketnap.services.voting.rules import Tally, check_authority, committee_vote, raise_if, refusal


class CommitteeActs(CaseState):
    """The pieces the admission, recognition, extension and name-removal acts are built from."""

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

    def _record_decision(
        self, checked: AuthorityChecked, tally: Tally | None, rules: RuleSet, decision: Event, *, in_favour: bool = True
    ) -> None:
        """Record a competent committee's decision after its authority check, behind the vote of an
        authorised grassroots committee when it voted: a decision in favour needs that vote carried
        (≥ 2/3 of all its members, COMMITTEE_2_3)."""
        vote: list[Event] = []
        if tally is not None:
            if in_favour and not tally.adopted:
                raise refusal(tally.violation or Violation.of(RuleCode.COMMITTEE_2_3))
            vote.append(self._vote_held(checked.act, checked.decided_by, checked.on, tally, rules))
        self._record(*vote, checked, decision)
