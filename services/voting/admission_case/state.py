"""What a voting chain holds and how it is rebuilt: the acts recorded so far on one applicant, the
replay of its stream (merged from every voting log that holds it), the guard every act passes
first, and the summary the `case` query shows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Self

from ketnap.domain.rules import NoRuleSetInForce, RuleSet, rule_set_on
from ketnap.platform.commands import Conflict, InvalidInput, NotFound
from ketnap.platform.envelope import NewEvent, RecordedEvent
from ketnap.platform.vietnamese import vn_date
from ketnap.services.voting.events import (
    AdmissionDecided,
    AdmissionRefused,
    AuthorityChecked,
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
    ResolutionTakenOverFromPaper,
    VoteHeld,
    parse,
)
from ketnap.services.voting.rules import refusal

STREAM_PREFIX = "voting-"


def stream_id_of(dossier_id: str) -> str:
    return f"{STREAM_PREFIX}{dossier_id}"


def dossier_id_of(stream_id: str) -> str:
    """The dossier whose case `stream_id` is (`stream_id_of`'s inverse)."""
    return stream_id.removeprefix(STREAM_PREFIX)


def rules_on(d: date) -> RuleSet:
    """The rule set in force on the act's date; every resolution and decision records its id. A date
    before every known set is refused as every step refuses it (NO_RULE_SET)."""
    try:
        return rule_set_on(d)
    except NoRuleSetInForce as error:
        raise refusal(error.violation) from error


def _votes(event: Event) -> dict[str, int | None]:
    """The counts a resolution's record carries, for the printed resolution (6, 8, 13, 15-KNĐ)."""
    return {name: getattr(event, name, None) for name in ("agree", "disagree", "denominator")}


def not_before(d: date, earlier: date | None, what: str) -> None:
    """An act is not dated before the step it follows (`what`, named in the message)."""
    if earlier is not None and d < earlier:
        raise InvalidInput(f"Ngày {vn_date(d)} trước {what} ({vn_date(earlier)}).", on=d.isoformat())


@dataclass
class Resolution:
    """One vote's result at one body, as the chain needs it."""

    organisation: str
    meeting_on: date
    adopted: bool
    rule_set: str
    rejected: bool = False
    """Recognition only: ≥ 2/3 against."""
    agree: int | None = None
    disagree: int | None = None
    """None where the body's record does not count them (a committee's vote counts only those for)."""
    denominator: int | None = None


@dataclass
class Decided:
    decided_by: str
    decision_date: date
    positive: bool
    """Admitted, or recognised; False for a refusal or a name removal."""


@dataclass
class CaseState:
    """Hồ sơ biểu quyết của một người: every act on one applicant, admission then recognition."""

    dossier_id: str
    version: int = 0
    acted_version: int = 0
    """The own stream's version of the last act of a person (not a fact learnt from the dossiers
    service, which has a cause): what `expected_version` is checked against."""
    pending: list[NewEvent] = field(default_factory=list)

    opened: bool = False
    cell: str = ""
    citizen_id: str = ""
    full_name: str = ""
    ready_on: date | None = None
    closed: str | None = None
    suspended: bool = False

    cell_resolution: Resolution | None = None
    taken_over: list[str] = field(default_factory=list)
    """The resolutions adopted on paper and taken over (tiếp nhận từ hồ sơ giấy), by act."""
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
    def load(
        cls, dossier_id: str, recorded: Iterable[RecordedEvent], *, version: int | None = None, acted_version: int | None = None
    ) -> Self:
        """The chain from its events in order. `version`: the own stream's version to append at,
        when the events are merged from several deployments' logs (`case_log`), and `acted_version`
        the own stream's last act of a person; otherwise the last event's."""
        case = cls(dossier_id)
        case.advance(recorded)
        if version is not None:
            case.version = version
        if acted_version is not None:
            case.acted_version = acted_version
        return case

    def advance(self, recorded: Iterable[RecordedEvent]) -> None:
        """The chain moved on by the events of one log that follow what it holds."""
        for event in recorded:
            self._apply(parse(event))
            self.version = event.stream_version
            if not event.follow_up:
                self.acted_version = event.stream_version

    def check_expected_version(self, expected: int | None) -> None:
        """Stale only when a person acted on the case after the version the officer saw: the facts
        learnt from the dossiers service since (the ceremony, the papers) change nothing they decide on."""
        if expected is not None and not self.acted_version <= expected <= self.version:
            raise Conflict(
                "Hồ sơ vừa được người khác cập nhật; hãy tải lại và thử lại.",
                stream=self.stream_id,
                expected_version=expected,
                actual_version=self.version,
            )

    def _record(self, *events: Event) -> None:
        """Apply the events just decided and keep them to be appended (`pending`)."""
        for event in events:
            self._apply(event)
            self.pending.append(event.to_new_event())

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

    # --- how each event changes the chain ------------------------------------------------------

    def _apply(self, event: Event) -> None:
        match event:
            case CaseOpened():
                self.opened, self.cell, self.citizen_id = True, event.cell, event.citizen_id
                self.full_name, self.ready_on = event.full_name, event.ready_on
                # Made ready again after a chain that ended without admission: start anew.
                self.cell_resolution = self.grassroots_resolution = self.decision = None
                self.appraisal, self.extensions, self.notified_on = None, [], None
            case CellResolutionNotAdopted():
                self.cell_resolution = Resolution(event.cell, event.meeting_on, False, event.rule_set, **_votes(event))
            case CellResolutionAdopted():
                self.cell_resolution = Resolution(event.cell, event.meeting_on, True, event.rule_set, **_votes(event))
            case PartialCommitteeAppraised():
                self.appraisal = (event.organisation, event.appraised_on)
            case GrassrootsResolutionNotAdopted():
                self.grassroots_resolution = Resolution(event.organisation, event.meeting_on, False, event.rule_set, **_votes(event))
            case GrassrootsResolutionAdopted():
                self.grassroots_resolution = Resolution(event.organisation, event.meeting_on, True, event.rule_set, **_votes(event))
            case AdmissionDecided():
                self.decision = Decided(event.decided_by, event.decision_date, True)
            case AdmissionRefused():
                self.decision = Decided(event.decided_by, event.decision_date, False)
            case DecisionDeadlineExtended():
                recognition = event.decision == "recognition" or (event.decision is None and self.ceremony_on is not None)
                (self.recognition_extensions if recognition else self.extensions).append(event.by_working_days)
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
                resolution = Resolution(
                    event.organisation, event.meeting_on, not rejected, event.rule_set, rejected=rejected, **_votes(event)
                )
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
            case ResolutionTakenOverFromPaper():
                self.taken_over.append(event.act)
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
            return {
                "organisation": r.organisation, "meeting_on": r.meeting_on.isoformat(), "outcome": outcome, "rule_set": r.rule_set,
                "agree": r.agree, "disagree": r.disagree, "denominator": r.denominator,
            }

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
            "taken_over_from_paper": list(self.taken_over),
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

