"""What a dossier holds and how it is rebuilt: the state every stage reads, the replay of its
stream, and the guards every officer's command and every other service's fact passes first.

How each event changes the state is written beside the step that records it (the `_when_<Event>`
methods of the stage modules); `apply` finds them by the event's type.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Self

from ketnap.domain.rules import RuleCode, RuleSet
from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.vietnamese import vn_date
from ketnap.services.dossiers import events as ev
from ketnap.services.dossiers.dossier.refusals import DossierClosed, DossierOnHold, OutOfStep, StaleVersion, StepTaken, WrongStep
from ketnap.services.dossiers.values import PREPARATION_STEPS, Step


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
    for name in _date_fields(type(event)):
        value = getattr(event, name)
        if isinstance(value, date):
            return value
    return None


@functools.cache
def _date_fields(kind: type[ev.Event]) -> tuple[str, ...]:
    """The `_DATE_FIELDS` an event type has, in their order: asking a pydantic model for a field it
    lacks raises inside, which was most of a dossier's replay (issue 21's profile)."""
    return tuple(name for name in _DATE_FIELDS if name in kind.model_fields)


BEFORE_ADMISSION = (*PREPARATION_STEPS, Step.READY_FOR_CELL_VOTE, Step.AWAITING_DECISION)
"""The steps a dossier may still be withdrawn, rejected or suspended at: after the admission
decision only a name removal ends it."""
_ORDER = {step: index for index, step in enumerate(Step)}
"""The road's order: a dossier past every step a command belongs to has had that step taken."""


@dataclass
class DossierState:
    """One applicant's dossier, rebuilt from its stream: what the stages read and change."""

    dossier_id: str
    version: int = 0
    acted_version: int = 0
    """The version of the last act of a person (not a service's own follow-up): what `expected_version` is checked against."""
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
    readmission: ev.ReadmissionDeclared | None = None
    """A former member admitted again (READMIT)."""
    taken_over: ev.DossierTakenOverFromPaper | None = None
    """Begun on paper and taken over (tiếp nhận từ hồ sơ giấy)."""
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
    def replay(cls, dossier_id: str, events: Iterable[ev.Event | RecordedEvent]) -> Self:
        dossier = cls(dossier_id)
        for event in events:
            dossier.apply(event)
        return dossier

    def then(self, events: Iterable[ev.Event]) -> Self:
        """Apply events just decided (tests walk a dossier through its steps with this)."""
        for event in events:
            self.apply(event)
        return self

    def apply(self, event: ev.Event | RecordedEvent) -> None:
        recorded = event if isinstance(event, RecordedEvent) else None
        fact = ev.decode(event) if isinstance(event, RecordedEvent) else event
        self.version += 1
        if recorded is None or not recorded.follow_up:
            self.acted_version = self.version
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

    def _when_RulesChecked(self, e: ev.RulesChecked) -> None:
        self.rule_sets[e.decision] = e.rule_set
        if e.decision == "cell_vote":
            self.planned_meeting_on = e.judged_on
        if e.flags:
            self.deadline_flags[e.decision] = list(e.flags)

    def _end(self, step: Step, on: date, rule: str | None, reason: str | None) -> None:
        """The dossier ends at `step` (official, refused, rejected, ...); an ended dossier is no longer paused."""
        self.step = step
        self.ended_on, self.ended_rule, self.ended_reason = on, rule, reason
        self.suspended_on = None

    # --- guards ------------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self.step is not None and self.step.closed

    def check_expected_version(self, expected: int | None) -> None:
        """Stale only when a person acted on the dossier after the version the officer saw: the
        services' own records since (the cell's notice of a decision) change nothing they decided on."""
        if expected is not None and not self.acted_version <= expected <= self.version:
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
                f"Hồ sơ đang để lại sưu tra từ ngày {vn_date(self.suspended_on)}: không thể {action} "
                "cho đến khi tiếp tục.",
                step=self.step.value,
            )
        if self.step not in set(steps):
            message = (why or {}).get(self.step) or f"Hồ sơ đang ở bước «{self.step.label}»: không thể {action} ở bước này."
            taken = _ORDER[self.step] > max(_ORDER[s] for s in steps)
            raise (StepTaken if taken else WrongStep)(message, step=self.step.value)

    @property
    def step_value(self) -> str | None:
        return self.step.value if self.step else None

    def _rules_checked(
        self, decision: str, judged_on: date, in_force: RuleSet, codes: Iterable[RuleCode], *, flags: Sequence[str] = ()
    ) -> ev.RulesChecked:
        """The record of which rules a decision was judged by, under which set, on which day."""
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
