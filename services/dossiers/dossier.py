"""The dossier aggregate (hồ sơ kết nạp đảng viên): the state machine of one applicant's steps.

Each officer's command is a method that checks the step, the dates and the rules of that step and
returns the events to record, or raises a `DomainError` before anything is recorded. The facts
another service decided (verification, voting) arrive through the `on_*` methods called by the
process manager: they are recorded even while the dossier is paused, because they happened; an
impossible one raises `OutOfStep`. The aggregate never does I/O: what the registry says arrives as
plain values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ketnap.domain.rules import RULE_SETS, NoRuleSetInForce, RuleCode, RuleSet, Violation, rule_set_by_id, rule_set_on
from ketnap.domain.rules.deadlines import check_ceremony_deadline, check_recognition_not_early, official_date
from ketnap.platform.commands import Conflict, InvalidInput, RuleViolation
from ketnap.platform.envelope import RecordedEvent
from ketnap.services.dossiers import events as ev
from ketnap.services.dossiers import rules
from ketnap.services.dossiers.values import PREPARATION_STEPS, GeneralEducation, Step

# --- what can go wrong -------------------------------------------------------------------------------


class WrongStep(InvalidInput):
    """The command belongs to another step of the dossier."""


class DossierClosed(InvalidInput):
    """The dossier has ended; nothing more can be recorded by officers."""


class DossierOnHold(InvalidInput):
    """The dossier is suspended for political screening (để lại sưu tra)."""


class DateOutOfOrder(InvalidInput):
    """A date in the future, or before a date it must follow."""


class IncompleteDossier(InvalidInput):
    """Papers are missing for the step asked for."""


class StaleVersion(Conflict):
    """The officer acted on a version of the dossier that is no longer the latest."""


class OutOfStep(Exception):
    """A fact from another service that cannot belong to this dossier as it stands."""


def raise_violation(violation: Violation, *, others: Sequence[Violation] = ()) -> None:
    details: dict[str, Any] = {k: _plain(v) for k, v in violation.details.items()}
    if others:
        details["violations"] = [{"rule": str(v.code), "message": v.message} for v in (violation, *others)]
    raise RuleViolation(str(violation.code), violation.message, **details)


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def rules_in_force(on: date) -> RuleSet:
    """The rule set on a date a command gave; a date before every known set is invalid input."""
    try:
        return rule_set_on(on)
    except NoRuleSetInForce as error:
        raise InvalidInput(
            f"Ngày {on:%d/%m/%Y} trước mọi bộ quy định mà hệ thống biết; không xét được theo quy định nào."
        ) from error


def recorded_rules(rule_set_id: str, fallback_on: date) -> RuleSet:
    """The rule set another service's decision recorded; one this code does not know (a newer
    release of that service) is replaced by the set in force on the date, or the oldest known."""
    try:
        return rule_set_by_id(rule_set_id)
    except KeyError:
        try:
            return rule_set_on(fallback_on)
        except NoRuleSetInForce:
            return RULE_SETS[0]


# --- state ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegistryStanding:
    """What the registry said about one person on one date, for one rule."""

    official: bool
    in_unit_since: date | None = None


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    version: int
    event_type: str
    on: date | None
    recorded_at: datetime | None
    actor: str | None


@dataclass
class Declaration:
    applicant: ev.DeclaredApplicant
    relatives: list[ev.DeclaredRelative]
    family_planning_case: bool
    qualifications: ev.Qualifications | None
    declared_on: date
    version: int
    """The stream version that recorded it: a certification covers it only if recorded later."""


@dataclass
class Certification:
    certified_by: str
    certified_on: date
    version: int


_DATE_FIELDS = (
    "on", "opened_on", "issued_on", "submitted_on", "declared_on", "corrected_on", "recorded_on", "agreed_on",
    "ready_on", "certified_on", "blocked_on", "decided_on", "meeting_on", "decision_date", "received_on",
    "held_on", "filed_on", "completed_on", "judged_on",
)


def business_date(event: ev.Event) -> date | None:
    """The day the fact happened, as the event states it."""
    if isinstance(event, ev.OpinionsRecorded):
        return max(o.given_on for o in event.opinions)
    for name in _DATE_FIELDS:
        value = getattr(event, name, None)
        if isinstance(value, date):
            return value
    return None


@dataclass
class Dossier:
    """One applicant's dossier, rebuilt from its stream."""

    dossier_id: str
    version: int = 0
    step: Step | None = None
    cell: str = ""
    citizen_id: str = ""
    full_name: str = ""
    opened_on: date | None = None
    helper_citizen_id: str = ""
    suspended_on: date | None = None
    ended_on: date | None = None
    ended_rule: str | None = None
    ended_reason: str | None = None
    last_on: date | None = None
    """The latest date any fact of the dossier carries: an ending cannot precede it."""

    class_certificate: ev.ClassCertificateRecorded | None = None
    letter_on: date | None = None
    declaration: Declaration | None = None
    corrections: int = 0
    subject_ids: set[str] = field(default_factory=set)
    introductions: ev.IntroductionsRecorded | None = None
    opinions: list[ev.Opinion] = field(default_factory=list)
    agreements: dict[str, date] = field(default_factory=dict)
    certification: Certification | None = None
    open_blocks: set[str] = field(default_factory=set)

    ready_on: date | None = None
    planned_meeting_on: date | None = None
    resolution: ev.CellResolutionRecorded | None = None
    extension_working_days: int = 0
    decision: ev.AdmissionDecisionRecorded | None = None
    refusal: ev.AdmissionRefusalRecorded | None = None
    decision_received_on: date | None = None

    ceremony: ev.CeremonyHeld | None = None
    member_history_filed_on: date | None = None
    new_member_class: ev.NewMemberClassCompleted | None = None
    recognition_papers: ev.RecognitionPapersRecorded | None = None
    papers_completed_on: date | None = None
    escalated_to: str | None = None
    official: ev.BecameOfficialMember | None = None
    name_removal: ev.NameRemoved | None = None

    rule_sets: dict[str, str] = field(default_factory=dict)
    """Decision -> the id of the rule set it was checked under."""
    flags: list[ev.RuleBreachFlagged] = field(default_factory=list)
    deadline_flags: dict[str, list[str]] = field(default_factory=dict)
    transfers: list[ev.DossierTransferred] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)

    # --- rebuilding --------------------------------------------------------------------------------

    @classmethod
    def replay(cls, dossier_id: str, events: Iterable[ev.Event | RecordedEvent]) -> Dossier:
        dossier = cls(dossier_id)
        for event in events:
            dossier.apply(event)
        return dossier

    def then(self, events: Iterable[ev.Event]) -> Dossier:
        """Apply events just decided (tests walk a dossier through its steps with this)."""
        for event in events:
            self.apply(event)
        return self

    def apply(self, event: ev.Event | RecordedEvent) -> None:
        recorded = event if isinstance(event, RecordedEvent) else None
        fact = ev.decode(event) if isinstance(event, RecordedEvent) else event
        self.version += 1
        on = business_date(fact)
        if on is not None and not isinstance(fact, ev.RulesChecked):
            self.last_on = on if self.last_on is None else max(self.last_on, on)
        self.timeline.append(
            TimelineEntry(
                self.version,
                fact.event_type(),
                on,
                recorded.recorded_at if recorded else None,
                recorded.actor if recorded else None,
            )
        )
        handler = getattr(self, f"_when_{fact.event_type()}", None)
        if handler is not None:
            handler(fact)

    def _when_DossierOpened(self, e: ev.DossierOpened) -> None:
        self.step = Step.SOURCE_LIST
        self.cell, self.citizen_id, self.full_name = e.cell, e.citizen_id, e.full_name
        self.opened_on, self.helper_citizen_id = e.opened_on, e.helper_citizen_id

    def _when_ClassCertificateRecorded(self, e: ev.ClassCertificateRecorded) -> None:
        self.class_certificate = e

    def _when_ApplicationLetterSubmitted(self, e: ev.ApplicationLetterSubmitted) -> None:
        self.letter_on = e.submitted_on
        self.step = Step.APPLICATION

    def _when_PersonalHistoryDeclared(self, e: ev.PersonalHistoryDeclared) -> None:
        self.declaration = Declaration(e.applicant, list(e.relatives), e.family_planning_case, None, e.declared_on, self.version)
        self.subject_ids.update(r.subject_id for r in e.relatives)
        self.step = Step.VERIFICATION

    def _when_QualificationsDeclared(self, e: ev.QualificationsDeclared) -> None:
        assert self.declaration is not None
        self.declaration.qualifications = e.qualifications

    def _when_PersonalHistoryCorrected(self, e: ev.PersonalHistoryCorrected) -> None:
        self.declaration = Declaration(
            e.applicant, list(e.relatives), e.family_planning_case, e.qualifications, e.corrected_on, self.version
        )
        self.subject_ids.update(r.subject_id for r in e.relatives)
        self.corrections += 1

    def _when_IntroductionsRecorded(self, e: ev.IntroductionsRecorded) -> None:
        self.introductions = e

    def _when_OpinionsRecorded(self, e: ev.OpinionsRecorded) -> None:
        # A newer opinion from the same source replaces the older one.
        by_source = {o.source: o for o in self.opinions}
        by_source.update({o.source: o for o in e.opinions})
        self.opinions = list(by_source.values())

    def _when_ProvincialAgreementRecorded(self, e: ev.ProvincialAgreementRecorded) -> None:
        self.agreements[e.purpose] = e.agreed_on

    def _when_RulesChecked(self, e: ev.RulesChecked) -> None:
        self.rule_sets[e.decision] = e.rule_set
        if e.decision == "cell_vote":
            self.planned_meeting_on = e.judged_on
        if e.flags:
            self.deadline_flags[e.decision] = list(e.flags)

    def _when_ReadyForCellVote(self, e: ev.ReadyForCellVote) -> None:
        self.ready_on = e.ready_on
        self.step = Step.READY_FOR_CELL_VOTE

    def _when_PersonalHistoryCertified(self, e: ev.PersonalHistoryCertified) -> None:
        self.certification = Certification(e.certified_by, e.certified_on, self.version)

    def _when_CellVoteBlocked(self, e: ev.CellVoteBlocked) -> None:
        self.open_blocks.add(e.subject_id)

    def _when_CellVoteUnblocked(self, e: ev.CellVoteUnblocked) -> None:
        self.open_blocks.clear()

    def _when_CellResolutionRecorded(self, e: ev.CellResolutionRecorded) -> None:
        self.resolution = e
        self.rule_sets["cell_resolution"] = e.rule_set
        if e.adopted:
            self.step = Step.AWAITING_DECISION

    def _when_RuleBreachFlagged(self, e: ev.RuleBreachFlagged) -> None:
        self.flags.append(e)

    def _when_DecisionDeadlineExtensionRecorded(self, e: ev.DecisionDeadlineExtensionRecorded) -> None:
        self.extension_working_days += e.by_working_days

    def _when_AdmissionDecisionRecorded(self, e: ev.AdmissionDecisionRecorded) -> None:
        self.decision = e
        self.rule_sets["admission_decision"] = e.rule_set
        self.step = Step.AWAITING_CEREMONY

    def _when_AdmissionRefusalRecorded(self, e: ev.AdmissionRefusalRecorded) -> None:
        self.refusal = e
        self._end(Step.REFUSED, e.decision_date, None, e.reason)

    def _when_DecisionReceivedByCell(self, e: ev.DecisionReceivedByCell) -> None:
        self.decision_received_on = e.received_on

    def _when_CeremonyHeld(self, e: ev.CeremonyHeld) -> None:
        self.ceremony = e
        self.decision_received_on = e.received_decision_on
        self.step = Step.PROBATION

    def _when_MemberHistoryFiled(self, e: ev.MemberHistoryFiled) -> None:
        self.member_history_filed_on = e.filed_on

    def _when_NewMemberClassCompleted(self, e: ev.NewMemberClassCompleted) -> None:
        self.new_member_class = e

    def _when_RecognitionPapersRecorded(self, e: ev.RecognitionPapersRecorded) -> None:
        self.recognition_papers = e

    def _when_RecognitionPapersCompleted(self, e: ev.RecognitionPapersCompleted) -> None:
        self.papers_completed_on = e.completed_on
        self.step = Step.RECOGNITION

    def _when_RecognitionEscalationRecorded(self, e: ev.RecognitionEscalationRecorded) -> None:
        self.escalated_to = e.to_organisation

    def _when_BecameOfficialMember(self, e: ev.BecameOfficialMember) -> None:
        self.official = e
        self._end(Step.OFFICIAL, e.decision_date, None, None)

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

    def _end(self, step: Step, on: date, rule: str | None, reason: str | None) -> None:
        self.step = step
        self.ended_on, self.ended_rule, self.ended_reason = on, rule, reason
        self.suspended_on = None

    # --- guards ------------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self.step is not None and self.step.closed

    def check_expected_version(self, expected: int | None) -> None:
        if expected is not None and expected != self.version:
            raise StaleVersion(
                "Hồ sơ đã được người khác cập nhật sau lần bạn xem; hãy tải lại và thử lại.",
                expected_version=expected,
                actual_version=self.version,
            )

    def _require(
        self, action: str, steps: Iterable[Step], *, while_suspended: bool = False, why: Mapping[Step, str] | None = None
    ) -> None:
        """Refuse unless the dossier is open, not paused (unless allowed) and at one of `steps`;
        `why` gives a precise message for a step where users often try the command too early or late."""
        assert self.step is not None, "a dossier that does not exist is refused by the handler"
        if self.closed:
            raise DossierClosed(f"Hồ sơ đã kết thúc ({self.step.label}): không thể {action}.", step=self.step.value)
        if self.suspended_on is not None and not while_suspended:
            raise DossierOnHold(
                f"Hồ sơ đang để lại sưu tra từ ngày {self.suspended_on:%d/%m/%Y}: không thể {action} "
                "cho đến khi tiếp tục.",
                step=self.step.value,
            )
        if self.step not in set(steps):
            message = (why or {}).get(self.step) or f"Hồ sơ đang ở bước «{self.step.label}»: không thể {action} ở bước này."
            raise WrongStep(message, step=self.step.value)

    @staticmethod
    def _not_future(today: date, **dates: date | None) -> None:
        for label, value in dates.items():
            if value is not None and value > today:
                raise DateOutOfOrder(
                    f"Ngày {_LABELS.get(label, label)} ({value:%d/%m/%Y}) không được sau ngày hôm nay ({today:%d/%m/%Y}).",
                    field=label,
                )

    @staticmethod
    def _not_before(value: date, value_label: str, earliest: date | None, earliest_label: str) -> None:
        if earliest is not None and value < earliest:
            raise DateOutOfOrder(
                f"Ngày {_LABELS.get(value_label, value_label)} ({value:%d/%m/%Y}) không được trước ngày "
                f"{_LABELS.get(earliest_label, earliest_label)} ({earliest:%d/%m/%Y}).",
                field=value_label,
            )

    # --- step 1: source list -------------------------------------------------------------------------

    @staticmethod
    def open(
        dossier_id: str,
        *,
        cell: str,
        citizen_id: str,
        full_name: str,
        opened_on: date,
        helper_citizen_id: str,
        helper: RegistryStanding,
        today: date,
    ) -> list[ev.Event]:
        Dossier._not_future(today, opened_on=opened_on)
        violation = rules.check_source_helper(helper_citizen_id, citizen_id, helper_is_official=helper.official)
        if violation:
            raise_violation(violation)
        return [
            ev.DossierOpened(
                dossier_id=dossier_id,
                cell=cell,
                citizen_id=citizen_id,
                full_name=full_name,
                opened_on=opened_on,
                helper_citizen_id=helper_citizen_id,
            )
        ]

    # --- steps 2-7: papers -----------------------------------------------------------------------------

    def record_class_certificate(self, *, certificate_number: str, issued_on: date, issued_by: str, today: date) -> list[ev.Event]:
        self._require("ghi giấy chứng nhận lớp bồi dưỡng nhận thức về Đảng", PREPARATION_STEPS)
        self._not_future(today, issued_on=issued_on)
        return [
            ev.ClassCertificateRecorded(
                dossier_id=self.dossier_id, certificate_number=certificate_number, issued_on=issued_on, issued_by=issued_by
            )
        ]

    def submit_application_letter(self, *, submitted_on: date, today: date) -> list[ev.Event]:
        self._require("nộp đơn xin vào Đảng (đơn đã có)", [Step.SOURCE_LIST])
        self._not_future(today, submitted_on=submitted_on)
        self._not_before(submitted_on, "submitted_on", self.opened_on, "opened_on")
        return [ev.ApplicationLetterSubmitted(dossier_id=self.dossier_id, submitted_on=submitted_on)]

    def declare_personal_history(
        self,
        *,
        applicant: Mapping[str, Any],
        relatives: Sequence[Mapping[str, Any]],
        family_planning_case: bool,
        qualifications: Mapping[str, Any],
        declared_on: date,
        today: date,
    ) -> list[ev.Event]:
        self._require(
            "khai lý lịch",
            [Step.APPLICATION],
            why={
                Step.SOURCE_LIST: "Chưa có đơn xin vào Đảng: phải nộp đơn trước khi khai lý lịch.",
                Step.VERIFICATION: "Lý lịch đã được khai; thay đổi phải là đính chính có lý do.",
            },
        )
        self._check_declaration_dates(applicant, declared_on, "declared_on", today)
        self._not_before(declared_on, "declared_on", self.letter_on, "submitted_on")
        declared_applicant = self._applicant(applicant)
        return [
            ev.PersonalHistoryDeclared(
                dossier_id=self.dossier_id,
                cell=self.cell,
                applicant=declared_applicant,
                relatives=self._relatives(relatives),
                family_planning_case=family_planning_case,
                declared_on=declared_on,
            ),
            ev.QualificationsDeclared(
                dossier_id=self.dossier_id, qualifications=ev.Qualifications(**qualifications), declared_on=declared_on
            ),
        ]

    def correct_personal_history(
        self,
        *,
        applicant: Mapping[str, Any],
        relatives: Sequence[Mapping[str, Any]],
        family_planning_case: bool,
        qualifications: Mapping[str, Any],
        corrected_on: date,
        reason: str,
        today: date,
    ) -> list[ev.Event]:
        self._require("đính chính lý lịch", [Step.VERIFICATION])
        assert self.declaration is not None
        self._check_declaration_dates(applicant, corrected_on, "corrected_on", today)
        self._not_before(corrected_on, "corrected_on", self.declaration.declared_on, "declared_on")
        unknown = [r["subject_id"] for r in relatives if r.get("subject_id") and r["subject_id"] not in self.subject_ids]
        if unknown:
            raise InvalidInput("Mã người thân không có trong lý lịch đã khai: " + ", ".join(unknown), subjects=unknown)
        return [
            ev.PersonalHistoryCorrected(
                dossier_id=self.dossier_id,
                cell=self.cell,
                reason=reason,
                corrected_on=corrected_on,
                applicant=self._applicant(applicant),
                relatives=self._relatives(relatives),
                family_planning_case=family_planning_case,
                qualifications=ev.Qualifications(**qualifications),
            )
        ]

    def _check_declaration_dates(self, applicant: Mapping[str, Any], on: date, on_label: str, today: date) -> None:
        birth: date = applicant["birth_date"]
        self._not_future(today, birth_date=birth, **{on_label: on})
        if birth >= on:
            raise DateOutOfOrder("Ngày sinh phải trước ngày khai lý lịch.", field="birth_date")

    def _applicant(self, facts: Mapping[str, Any]) -> ev.DeclaredApplicant:
        # Who the applicant is was settled when the dossier was opened; the history cannot change it.
        return ev.DeclaredApplicant(citizen_id=self.citizen_id, full_name=self.full_name, **facts)

    def _relatives(self, relatives: Sequence[Mapping[str, Any]]) -> list[ev.DeclaredRelative]:
        taken = set(self.subject_ids) | {r["subject_id"] for r in relatives if r.get("subject_id")}
        declared = []
        for relative in relatives:
            subject_id = relative.get("subject_id")
            if not subject_id:
                subject_id = _next_subject_id(relative["relation"], taken)
                taken.add(subject_id)
            declared.append(ev.DeclaredRelative(**{**relative, "subject_id": subject_id}))
        return declared

    def record_introductions(
        self,
        *,
        introducers: Sequence[ev.Introducer],
        union_resolution: ev.UnionResolution | None,
        standings: Mapping[str, RegistryStanding],
        recorded_on: date,
        today: date,
    ) -> list[ev.Event]:
        """`standings`: per introducer's citizen id, what the registry said on their introduction date."""
        self._require(
            "ghi người giới thiệu",
            [Step.APPLICATION, Step.VERIFICATION],
            why={Step.SOURCE_LIST: "Chưa có đơn xin vào Đảng: chưa thể ghi người giới thiệu."},
        )
        self._not_future(today, recorded_on=recorded_on)
        for introducer in introducers:
            self._not_future(today, introduced_on=introducer.introduced_on)
            self._not_before(introducer.introduced_on, "introduced_on", self.letter_on, "submitted_on")
            self._not_before(introducer.introduced_on, "introduced_on", introducer.acquainted_since, "acquainted_since")
            self._not_before(recorded_on, "recorded_on", introducer.introduced_on, "introduced_on")
        if union_resolution is not None:
            self._not_future(today, union_resolution_dated=union_resolution.dated)
            self._not_before(union_resolution.dated, "union_resolution_dated", self.letter_on, "submitted_on")
            self._not_before(recorded_on, "recorded_on", union_resolution.dated, "union_resolution_dated")
        judged_on = max([i.introduced_on for i in introducers] or [recorded_on])
        in_force = rules_in_force(judged_on)
        set_violation = rules.check_introducer_set(
            [i.citizen_id for i in introducers], has_union_resolution=union_resolution is not None,
            applicant_citizen_id=self.citizen_id,
        )
        if set_violation:
            raise_violation(set_violation)
        measured = [
            rules.IntroducerStanding(
                citizen_id=i.citizen_id,
                introduced_on=i.introduced_on,
                acquainted_since=i.acquainted_since,
                replacement=i.replacement,
                official_on_date=standings[i.citizen_id].official,
                in_unit_since=standings[i.citizen_id].in_unit_since,
            )
            for i in introducers
        ]
        for violation in (
            rules.check_introducers_official(measured),
            rules.check_introducers_acquainted(measured, rules=in_force),
        ):
            if violation:
                raise_violation(violation)
        return [
            ev.IntroductionsRecorded(
                dossier_id=self.dossier_id,
                introducers=list(introducers),
                union_resolution=union_resolution,
                recorded_on=recorded_on,
            ),
            self._rules_checked("introductions", judged_on, in_force, rules.INTRODUCTION_RULES),
        ]

    def record_opinions(self, *, opinions: Sequence[ev.Opinion], today: date) -> list[ev.Event]:
        self._require(
            "ghi nhận xét",
            [Step.APPLICATION, Step.VERIFICATION],
            why={Step.SOURCE_LIST: "Chưa có đơn xin vào Đảng: chưa thể ghi nhận xét."},
        )
        for opinion in opinions:
            self._not_future(today, given_on=opinion.given_on)
            self._not_before(opinion.given_on, "given_on", self.letter_on, "submitted_on")
        return [ev.OpinionsRecorded(dossier_id=self.dossier_id, opinions=list(opinions))]

    def record_provincial_agreement(self, *, purpose: str, document_number: str, agreed_on: date, today: date) -> list[ev.Event]:
        self._require("ghi văn bản đồng ý của ban thường vụ tỉnh ủy", PREPARATION_STEPS)
        self._not_future(today, agreed_on=agreed_on)
        self._not_before(agreed_on, "agreed_on", self.opened_on, "opened_on")
        return [
            ev.ProvincialAgreementRecorded(
                dossier_id=self.dossier_id, purpose=purpose, document_number=document_number, agreed_on=agreed_on
            )
        ]

    # --- step 8: to the cell vote ------------------------------------------------------------------------

    def eligibility_facts(self) -> rules.EligibilityFacts:
        assert self.declaration is not None and self.declaration.qualifications is not None
        assert self.class_certificate is not None and self.opened_on is not None
        q = self.declaration.qualifications
        intro_dates: tuple[date, ...] = ()
        if self.introductions is not None:
            intro_dates = tuple(i.introduced_on for i in self.introductions.introducers)
            if self.introductions.union_resolution is not None:
                intro_dates += (self.introductions.union_resolution.dated,)
        return rules.EligibilityFacts(
            birth_date=self.declaration.applicant.birth_date,
            general_education=GeneralEducation(q.general_education),
            area_exemption=q.area_exemption,
            village_elder_or_head=q.village_elder_or_head,
            youth_union_member=q.youth_union_member,
            youth_union_exists=q.youth_union_exists,
            opened_on=self.opened_on,
            class_certificate_issued_on=self.class_certificate.issued_on,
            introductions_dated=intro_dates,
            over_60_agreement_on=self.agreements.get("over_60"),
            literacy_agreement_on=self.agreements.get("literacy_only"),
            certified_on=self.certification.certified_on if self.certification else None,
            open_blocks=frozenset(self.open_blocks),
            certification_covers_latest_declaration=(
                self.certification is not None and self.certification.version > self.declaration.version
            ),
        )

    def missing_papers(self) -> list[str]:
        missing = []
        if self.class_certificate is None:
            missing.append("giấy chứng nhận lớp bồi dưỡng nhận thức về Đảng")
        if self.letter_on is None:
            missing.append("đơn xin vào Đảng")
        if self.declaration is None:
            missing.append("lý lịch người xin vào Đảng")
        if self.introductions is None:
            missing.append("giấy giới thiệu người vào Đảng")
        if not self.opinions:
            missing.append("nhận xét của đoàn thể và chi ủy nơi cư trú")
        return missing

    def mark_ready_for_cell_vote(self, *, ready_on: date, cell_meeting_on: date, today: date) -> list[ev.Event]:
        missing = self.missing_papers()
        early = "Hồ sơ còn thiếu: " + "; ".join(missing) + "."
        self._require(
            "chuyển hồ sơ để chi bộ xét", [Step.VERIFICATION], why={Step.SOURCE_LIST: early, Step.APPLICATION: early}
        )
        if missing:
            raise IncompleteDossier("Hồ sơ còn thiếu: " + "; ".join(missing) + ".", missing=missing)
        self._not_future(today, ready_on=ready_on)
        self._not_before(ready_on, "ready_on", self.last_on, "latest_paper")
        self._not_before(cell_meeting_on, "cell_meeting_on", ready_on, "ready_on")
        in_force = rules_in_force(cell_meeting_on)
        violations = rules.eligibility_for_cell_vote(
            self.eligibility_facts(), cell_meeting_on, rules=in_force, agreements_due_by=ready_on
        )
        if violations:
            raise_violation(violations[0], others=violations[1:])
        assert self.declaration is not None
        return [
            self._rules_checked("cell_vote", cell_meeting_on, in_force, rules.CELL_VOTE_RULES),
            ev.ReadyForCellVote(
                dossier_id=self.dossier_id,
                cell=self.cell,
                citizen_id=self.citizen_id,
                full_name=self.full_name,
                birth_date=self.declaration.applicant.birth_date,
                ready_on=ready_on,
                rule_set=in_force.id,
            ),
        ]

    # --- step 12-15: ceremony, probation, recognition ---------------------------------------------------

    def record_ceremony(
        self,
        *,
        held_on: date,
        helper_citizen_id: str | None,
        helper: RegistryStanding,
        received_decision_on: date | None,
        upper_committee_agreed_delay: bool,
        today: date,
    ) -> list[ev.Event]:
        self._require("ghi lễ kết nạp", [Step.AWAITING_CEREMONY])
        assert self.decision is not None
        received = self.decision_received_on
        if received is not None and received_decision_on is not None and received_decision_on != received:
            raise InvalidInput(
                f"Ngày chi bộ nhận quyết định đã được ghi là {received:%d/%m/%Y}.", field="received_decision_on"
            )
        received = received or received_decision_on
        if received is None:
            raise IncompleteDossier("Chưa có ngày chi bộ nhận quyết định kết nạp.", missing=["received_decision_on"])
        self._not_future(today, held_on=held_on, received_decision_on=received)
        self._not_before(received, "received_decision_on", self.decision.decision_date, "decision_date")
        self._not_before(held_on, "held_on", received, "received_decision_on")
        violation = rules.check_ceremony_helper(helper_citizen_id, self.citizen_id, helper_is_official=helper.official)
        if violation:
            raise_violation(violation)
        assert helper_citizen_id is not None
        in_force = rules_in_force(held_on)
        late = check_ceremony_deadline(
            received, today, rules=in_force, held_on=held_on, upper_committee_agreed=upper_committee_agreed_delay
        )
        return [
            ev.CeremonyHeld(
                dossier_id=self.dossier_id,
                cell=self.cell,
                citizen_id=self.citizen_id,
                held_on=held_on,
                received_decision_on=received,
                helper_citizen_id=helper_citizen_id,
            ),
            self._rules_checked(
                "ceremony", held_on, in_force, (RuleCode.CEREMONY_HELPER, RuleCode.CEREMONY_30WD),
                flags=[late.code] if late else [],
            ),
        ]

    def file_member_history(self, *, filed_on: date, today: date) -> list[ev.Event]:
        self._require("ghi lý lịch đảng viên", [Step.PROBATION, Step.RECOGNITION])
        if self.member_history_filed_on is not None:
            raise WrongStep(f"Lý lịch đảng viên đã nộp ngày {self.member_history_filed_on:%d/%m/%Y}.", step=self.step_value)
        assert self.ceremony is not None
        self._not_future(today, filed_on=filed_on)
        self._not_before(filed_on, "filed_on", self.ceremony.held_on, "held_on")
        return [ev.MemberHistoryFiled(dossier_id=self.dossier_id, filed_on=filed_on)]

    def record_new_member_class(self, *, certificate_number: str, issued_on: date, issued_by: str, today: date) -> list[ev.Event]:
        self._require("ghi giấy chứng nhận lớp bồi dưỡng đảng viên mới", [Step.PROBATION])
        assert self.ceremony is not None
        self._not_future(today, issued_on=issued_on)
        self._not_before(issued_on, "issued_on", self.ceremony.held_on, "held_on")
        return [
            ev.NewMemberClassCompleted(
                dossier_id=self.dossier_id, certificate_number=certificate_number, issued_on=issued_on, issued_by=issued_by
            )
        ]

    def record_recognition_papers(
        self,
        *,
        self_review_on: date | None,
        helper_review_on: date | None,
        opinions_on: date | None,
        completed_on: date,
        today: date,
    ) -> list[ev.Event]:
        self._require("ghi hồ sơ xét công nhận đảng viên chính thức", [Step.PROBATION])
        assert self.ceremony is not None
        held_on = self.ceremony.held_on
        self._not_future(
            today, self_review_on=self_review_on, helper_review_on=helper_review_on, opinions_on=opinions_on,
            completed_on=completed_on,
        )
        for label, value in (
            ("self_review_on", self_review_on), ("helper_review_on", helper_review_on), ("opinions_on", opinions_on),
        ):
            if value is not None:
                self._not_before(value, label, held_on, "held_on")
                self._not_before(completed_on, "completed_on", value, label)
        self._not_before(completed_on, "completed_on", held_on, "held_on")
        found = [
            v
            for v in (
                check_recognition_not_early(held_on, completed_on),
                rules.check_recognition_papers(
                    self_review_on=self_review_on,
                    helper_review_on=helper_review_on,
                    opinions_on=opinions_on,
                    new_member_class_on=self.new_member_class.issued_on if self.new_member_class else None,
                ),
            )
            if v is not None
        ]
        if found:
            raise_violation(found[0], others=found[1:])
        assert self_review_on and helper_review_on and opinions_on
        in_force = rules_in_force(completed_on)
        return [
            ev.RecognitionPapersRecorded(
                dossier_id=self.dossier_id,
                self_review_on=self_review_on,
                helper_review_on=helper_review_on,
                opinions_on=opinions_on,
            ),
            self._rules_checked("recognition_papers", completed_on, in_force, (RuleCode.RECOG_EARLY, RuleCode.RECOG_DOCS)),
            ev.RecognitionPapersCompleted(
                dossier_id=self.dossier_id, cell=self.cell, citizen_id=self.citizen_id, completed_on=completed_on
            ),
        ]

    # --- endings and pauses ----------------------------------------------------------------------------

    _BEFORE_ADMISSION = (*PREPARATION_STEPS, Step.READY_FOR_CELL_VOTE, Step.AWAITING_DECISION)

    def _ending_date(self, on: date, today: date) -> None:
        self._not_future(today, on=on)
        self._not_before(on, "on", self.last_on, "latest_fact")

    def withdraw(self, *, on: date, today: date) -> list[ev.Event]:
        self._require("rút hồ sơ (sau khi có quyết định kết nạp, chỉ có thể xóa tên)", self._BEFORE_ADMISSION, while_suspended=True)
        self._ending_date(on, today)
        return [ev.DossierWithdrawn(dossier_id=self.dossier_id, cell=self.cell, on=on)]

    def reject(self, *, on: date, rule: str | None, reason: str, today: date) -> list[ev.Event]:
        self._require("bác hồ sơ (sau khi có quyết định kết nạp, chỉ có thể xóa tên)", self._BEFORE_ADMISSION, while_suspended=True)
        self._ending_date(on, today)
        return [ev.DossierRejected(dossier_id=self.dossier_id, cell=self.cell, on=on, rule=rule, reason=reason)]

    def suspend(self, *, on: date, today: date) -> list[ev.Event]:
        if self.suspended_on is not None and not self.closed:
            raise WrongStep(f"Hồ sơ đã để lại sưu tra từ ngày {self.suspended_on:%d/%m/%Y}.", step=self.step_value)
        self._require("để lại sưu tra", self._BEFORE_ADMISSION)
        self._ending_date(on, today)
        return [ev.DossierSuspended(dossier_id=self.dossier_id, cell=self.cell, on=on)]

    def resume(self, *, on: date, today: date) -> list[ev.Event]:
        if self.suspended_on is None and not self.closed:
            raise WrongStep("Hồ sơ không ở trạng thái để lại sưu tra.", step=self.step_value)
        self._require("tiếp tục hồ sơ", self._BEFORE_ADMISSION, while_suspended=True)
        self._ending_date(on, today)
        return [ev.DossierResumed(dossier_id=self.dossier_id, cell=self.cell, on=on)]

    def transfer(self, *, on: date, to_cell: str, to_a_cell: bool, today: date) -> list[ev.Event]:
        """`to_a_cell`: the registry says `to_cell` is a cell (chi bộ) on `on`."""
        self._require("chuyển hồ sơ", [s for s in Step if not s.closed], while_suspended=True)
        if to_cell == self.cell:
            raise InvalidInput("Chi bộ nhận phải khác chi bộ đang giữ hồ sơ.", field="to_cell")
        if not to_a_cell:
            raise InvalidInput(f"{to_cell} không phải là một chi bộ: hồ sơ chỉ chuyển đến chi bộ.", field="to_cell")
        self._ending_date(on, today)
        return [
            ev.DossierTransferred(dossier_id=self.dossier_id, cell=self.cell, on=on, from_cell=self.cell, to_cell=to_cell)
        ]

    @property
    def step_value(self) -> str | None:
        return self.step.value if self.step else None

    def _rules_checked(
        self, decision: str, judged_on: date, in_force: RuleSet, codes: Iterable[RuleCode], *, flags: Sequence[str] = ()
    ) -> ev.RulesChecked:
        return ev.RulesChecked(
            dossier_id=self.dossier_id,
            decision=decision,
            judged_on=judged_on,
            rule_set=in_force.id,
            rules=[str(c) for c in codes],
            flags=[str(f) for f in flags],
        )

    # --- what other services decided (the process manager) ---------------------------------------------

    def _fact_allowed(self, what: str, steps: Iterable[Step]) -> bool:
        """False when the dossier has ended (the fact changes nothing); OutOfStep when impossible."""
        if self.closed:
            return False
        if self.step not in set(steps):
            raise OutOfStep(f"{what} does not fit a dossier at step {self.step_value}")
        return True

    def on_history_certified(self, *, certified_by: str, certified_on: date) -> list[ev.Event]:
        if not self._fact_allowed("HistoryCertified", [s for s in Step if s not in (Step.SOURCE_LIST, Step.APPLICATION)]):
            return []
        current = self.certification
        assert self.declaration is not None
        if current and current.version > self.declaration.version and (current.certified_by, current.certified_on) == (
            certified_by, certified_on
        ):
            return []
        return [ev.PersonalHistoryCertified(dossier_id=self.dossier_id, certified_by=certified_by, certified_on=certified_on)]

    def on_verification_blocked(self, *, subject_id: str, on: date) -> list[ev.Event]:
        if not self._fact_allowed("VerificationBlocked", [s for s in Step if s not in (Step.SOURCE_LIST, Step.APPLICATION)]):
            return []
        if subject_id in self.open_blocks:
            return []
        return [ev.CellVoteBlocked(dossier_id=self.dossier_id, subject_id=subject_id, blocked_on=on)]

    def on_verification_block_lifted(self, *, decided_by: str, decided_on: date, outcome: str) -> list[ev.Event]:
        if not self._fact_allowed("VerificationBlockLifted", self._BEFORE_ADMISSION):
            return []
        if outcome == "reject":
            return [
                ev.DossierRejected(
                    dossier_id=self.dossier_id,
                    cell=self.cell,
                    on=decided_on,
                    rule=None,
                    reason=f"Cấp ủy có thẩm quyền ({decided_by}) quyết định không tiếp tục sau kết quả thẩm tra lý lịch",
                )
            ]
        if not self.open_blocks:
            return []
        return [ev.CellVoteUnblocked(dossier_id=self.dossier_id, decided_by=decided_by, decided_on=decided_on)]

    def on_cell_resolution(
        self, *, adopted: bool, meeting_on: date, agree: int, disagree: int, denominator: int, rule_set: str
    ) -> list[ev.Event]:
        if not self._fact_allowed("CellResolution", [Step.READY_FOR_CELL_VOTE]):
            return []
        recorded: list[ev.Event] = [
            ev.CellResolutionRecorded(
                dossier_id=self.dossier_id,
                adopted=adopted,
                meeting_on=meeting_on,
                agree=agree,
                disagree=disagree,
                denominator=denominator,
                rule_set=rule_set,
            )
        ]
        if not adopted:
            recorded.append(
                ev.DossierRejected(
                    dossier_id=self.dossier_id,
                    cell=self.cell,
                    on=meeting_on,
                    rule=str(RuleCode.CELL_2_3),
                    reason=RuleCode.CELL_2_3.message,
                )
            )
            return recorded
        # The rules were judged on the planned date; the cell may have met on another day. What
        # fails on the real date is flagged for the competent committee, not silently kept.
        in_force = recorded_rules(rule_set, meeting_on)
        assert self.ready_on is not None
        for violation in rules.eligibility_for_cell_vote(
            self.eligibility_facts(), meeting_on, rules=in_force, agreements_due_by=self.ready_on
        ):
            recorded.append(
                ev.RuleBreachFlagged(
                    dossier_id=self.dossier_id,
                    rule=str(violation.code),
                    message=violation.message,
                    judged_on=meeting_on,
                    rule_set=in_force.id,
                )
            )
        return recorded

    def on_decision_deadline_extended(self, *, by_working_days: int, decided_by: str, on: date) -> list[ev.Event]:
        if not self._fact_allowed("DecisionDeadlineExtended", [Step.AWAITING_DECISION]):
            return []
        return [
            ev.DecisionDeadlineExtensionRecorded(
                dossier_id=self.dossier_id, by_working_days=by_working_days, decided_by=decided_by, on=on
            )
        ]

    def on_admission_decided(self, *, decided_by: str, decision_number: str, decision_date: date, rule_set: str) -> list[ev.Event]:
        if not self._fact_allowed("AdmissionDecided", [Step.AWAITING_DECISION]):
            return []
        return [
            ev.AdmissionDecisionRecorded(
                dossier_id=self.dossier_id,
                decided_by=decided_by,
                decision_number=decision_number,
                decision_date=decision_date,
                rule_set=rule_set,
            )
        ]

    def on_admission_refused(self, *, decided_by: str, decision_date: date, reason: str) -> list[ev.Event]:
        if not self._fact_allowed("AdmissionRefused", [Step.AWAITING_DECISION]):
            return []
        return [
            ev.AdmissionRefusalRecorded(
                dossier_id=self.dossier_id, decided_by=decided_by, decision_date=decision_date, reason=reason
            )
        ]

    def on_cell_notified(self, *, received_on: date) -> list[ev.Event]:
        if self.closed or self.step in (Step.PROBATION, Step.RECOGNITION):
            return []  # a refusal, or a recognition decision, reaching the cell: nothing starts
        if not self._fact_allowed("CellNotified", [Step.AWAITING_CEREMONY]):
            return []
        if self.decision_received_on is not None:
            return []
        return [ev.DecisionReceivedByCell(dossier_id=self.dossier_id, received_on=received_on)]

    def on_recognition_decided(
        self, *, decided_by: str, decision_number: str, decision_date: date
    ) -> list[ev.Event]:
        if not self._fact_allowed("RecognitionDecided", [Step.PROBATION, Step.RECOGNITION]):
            return []
        assert self.ceremony is not None and self.decision is not None
        return [
            ev.BecameOfficialMember(
                dossier_id=self.dossier_id,
                cell=self.cell,
                citizen_id=self.citizen_id,
                official_date=official_date(self.ceremony.held_on),
                decided_by=decided_by,
                decision_number=decision_number,
                decision_date=decision_date,
                admitted_on=self.decision.decision_date,
            )
        ]

    def on_recognition_escalated(self, *, to_organisation: str) -> list[ev.Event]:
        if not self._fact_allowed("RecognitionEscalated", [Step.PROBATION, Step.RECOGNITION]):
            return []
        if self.escalated_to == to_organisation:
            return []
        return [ev.RecognitionEscalationRecorded(dossier_id=self.dossier_id, to_organisation=to_organisation)]

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


def _next_subject_id(relation: str, taken: set[str]) -> str:
    """Readable, never reused: `father-1`, `child-2`, ... so verification's subjects stay stable."""
    n = 1
    while f"{relation}-{n}" in taken:
        n += 1
    return f"{relation}-{n}"


_LABELS = {
    "opened_on": "đưa vào danh sách cảm tình Đảng",
    "issued_on": "cấp giấy chứng nhận",
    "submitted_on": "nộp đơn xin vào Đảng",
    "declared_on": "khai lý lịch",
    "corrected_on": "đính chính lý lịch",
    "birth_date": "sinh",
    "recorded_on": "ghi nhận",
    "introduced_on": "giới thiệu",
    "acquainted_since": "bắt đầu cùng công tác, học tập, sinh sống",
    "cell_meeting_on": "chi bộ họp xét",
    "union_resolution_dated": "nghị quyết giới thiệu của đoàn thể",
    "given_on": "nhận xét",
    "agreed_on": "văn bản đồng ý",
    "ready_on": "chuyển hồ sơ để chi bộ xét",
    "latest_paper": "giấy tờ mới nhất của hồ sơ",
    "latest_fact": "sự kiện mới nhất của hồ sơ",
    "held_on": "lễ kết nạp",
    "received_decision_on": "chi bộ nhận quyết định",
    "decision_date": "quyết định kết nạp",
    "filed_on": "nộp lý lịch đảng viên",
    "self_review_on": "bản tự kiểm điểm",
    "helper_review_on": "bản nhận xét của đảng viên giúp đỡ",
    "opinions_on": "ý kiến nhận xét của đoàn thể, chi ủy nơi cư trú",
    "completed_on": "hoàn thành hồ sơ xét công nhận",
    "on": "thực hiện",
}

__all__ = [
    "DateOutOfOrder",
    "Dossier",
    "DossierClosed",
    "DossierOnHold",
    "IncompleteDossier",
    "OutOfStep",
    "RegistryStanding",
    "StaleVersion",
    "WrongStep",
]
