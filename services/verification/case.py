"""The verification case (hồ sơ thẩm tra, xác minh lý lịch) of one dossier: stream `verification-<dossier_id>`.

Each method checks the rules of domain.md §3 against the case as recorded and returns the events
to record, or raises a `DomainError` before anything is recorded. Rules that a reply must obey:
- one reply per subject; the same reply again changes nothing; a different one is a conflict
  unless it is a correction with a reason (đính chính), recorded as `VerificationReplyCorrected`;
- a reply answers a sent request; a subject closed against a member file needs no request;
- a disqualifying finding blocks the case until the competent committee decides (continue or
  reject); a correction never lifts a block, only that decision does;
- the history is certified only when every subject has a reply (VERIFY_COMPLETE), and not while
  blocked; after certification, or after a decision to reject, the case changes no more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ketnap.domain.rules import RuleCode, RuleSet, check_rule_set_covers
from ketnap.platform.commands import Conflict, InvalidInput, NotFound, RuleViolation
from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.vietnamese import vn_date
from ketnap.services.verification.events import (
    Event,
    HistoryCertified,
    HistoryCorrectionReceived,
    HistoryTakenOverFromPaper,
    MemberRecordCrossChecked,
    PersonalHistoryDeclared,
    SubjectDetail,
    SubjectDetailsNoted,
    SubjectSpec,
    VerificationBlocked,
    VerificationBlockLifted,
    VerificationOpened,
    VerificationReplyCorrected,
    VerificationReplyRecorded,
    VerificationRequestSent,
    decode,
)
from ketnap.services.verification.registry_client import Membership
from ketnap.services.verification.subjects import DEFAULT_TEMPLATE_RULES, TemplateRule, required_subjects, subject_details

STREAM_PREFIX = "verification-"


def stream_id(dossier_id: str) -> str:
    return f"{STREAM_PREFIX}{dossier_id}"


@dataclass(frozen=True)
class Request:
    sent_to: str
    sent_on: date
    sent_by: str


@dataclass(frozen=True)
class Reply:
    replied_on: date
    responding_organisation: str
    finding: str
    note: str | None

    def same_as(self, other: Reply) -> bool:
        return (self.replied_on, self.responding_organisation, self.finding, self.note) == (
            other.replied_on, other.responding_organisation, other.finding, other.note,
        )


@dataclass
class Subject:
    spec: SubjectSpec
    responding_organisation: str | None = None
    member_citizen_id: str | None = None
    request: Request | None = None
    reply: Reply | None = None
    corrections: int = 0
    cross_checked_in: str | None = None
    """The organisation whose member file closed this subject, when it was closed that way."""

    @property
    def state(self) -> str:
        if self.reply is not None:
            return "replied"
        return "requested" if self.request is not None else "not_requested"


PAPER_NOTE = "Đã thẩm tra trên hồ sơ giấy (tiếp nhận từ hồ sơ giấy)."
"""The note of a reply a certification on paper stands for."""


def judgeable(d: date) -> None:
    """NO_RULE_SET: a verification act dated before every known rule set is refused, as every step
    of the dossier refuses it."""
    violation = check_rule_set_covers(d)
    if violation is not None:
        raise RuleViolation(str(violation.code), violation.message, on=d.isoformat())


def check_note(finding: str, note: str | None) -> None:
    """A concern or a disqualifying finding is nothing without its text (domain.md §3)."""
    if finding != "clear" and not note:
        raise InvalidInput(
            "Kết quả thẩm tra \"có vấn đề\" hoặc \"không đủ điều kiện\" phải ghi rõ nội dung.",
            field="note",
        )


def cross_check_refusal(subject: Subject) -> str | None:
    """Why a subject may not be closed against a member file, or None when it may [S]: only a
    relative declared as a party member who declared fully, on the standard template."""
    if subject.spec.relation == "applicant":
        return "Người vào Đảng phải được thẩm tra, không thay bằng đối chiếu hồ sơ đảng viên."
    if subject.spec.template != "standard":
        return "Mẫu thẩm tra riêng phải có kết quả thẩm tra, không thay bằng đối chiếu hồ sơ đảng viên."
    if subject.spec.method != "member_record" or not subject.member_citizen_id:
        return (
            "Người thân không được khai là đảng viên đã kê khai đầy đủ lý lịch: phải thẩm tra tại nơi "
            "cư trú, công tác, không thay bằng đối chiếu hồ sơ đảng viên."
        )
    return None


def open_case(
    history: PersonalHistoryDeclared,
    rules: RuleSet,
    template_rules: Mapping[str, TemplateRule] = DEFAULT_TEMPLATE_RULES,
) -> list[Event]:
    """The events that open the case of a declared history (raises HistoryNotVerifiable)."""
    subjects = required_subjects(history, rules, template_rules)
    return [
        VerificationOpened(dossier_id=history.dossier_id, cell=history.cell, subjects=subjects),
        SubjectDetailsNoted(
            dossier_id=history.dossier_id, rule_set=rules.id, subjects=subject_details(history, subjects)
        ),
    ]


@dataclass
class Case:
    dossier_id: str
    cell: str
    subjects: dict[str, Subject]
    version: int = 0
    blocked_by: list[str] = field(default_factory=list)
    """Subjects whose disqualifying finding waits for the competent committee."""
    decisions: list[VerificationBlockLifted] = field(default_factory=list)
    certified: HistoryCertified | None = None
    taken_over: HistoryTakenOverFromPaper | None = None
    """Verified and certified on paper (tiếp nhận từ hồ sơ giấy)."""

    # --- loading ---------------------------------------------------------------------------------

    @classmethod
    def from_events(cls, recorded: Iterable[RecordedEvent]) -> Case:
        events = iter(recorded)
        first = next(events, None)
        if first is None:
            raise ValueError("a case needs at least its opening event")
        opening = decode(first)
        if not isinstance(opening, VerificationOpened):
            raise ValueError(f"stream {first.stream_id} does not start with VerificationOpened")
        case = cls._start(opening)
        case.version = first.stream_version
        case.advance(events)
        return case

    def advance(self, recorded: Iterable[RecordedEvent]) -> None:
        """The case moved on by the recorded events that follow what it holds."""
        for event in recorded:
            self.apply(decode(event))
            self.version = event.stream_version

    @classmethod
    def opened(cls, events: list[Event]) -> Case:
        """A case from the events `open_case` decided, before they are stored."""
        opening = events[0]
        if not isinstance(opening, VerificationOpened):
            raise ValueError("a case starts with VerificationOpened")
        case = cls._start(opening)
        case.version = 1
        case.apply_all(events[1:])
        return case

    @classmethod
    def _start(cls, opening: VerificationOpened) -> Case:
        return cls(opening.dossier_id, opening.cell, {s.subject_id: Subject(s) for s in opening.subjects})

    def apply_all(self, events: Iterable[Event]) -> None:
        for event in events:
            self.apply(event)
            self.version += 1

    def apply(self, event: Event) -> None:
        match event:
            case SubjectDetailsNoted():
                self._note_details(event.subjects)
            case HistoryCorrectionReceived():
                if event.certification_withdrawn:
                    self.certified = None
                for spec in event.new_subjects:
                    self.subjects[spec.subject_id] = Subject(spec)
                self._note_details(event.details)
            case VerificationRequestSent():
                self.subjects[event.subject_id].request = Request(event.sent_to, event.sent_on, event.sent_by)
            case VerificationReplyRecorded():
                self.subjects[event.subject_id].reply = Reply(
                    event.replied_on, event.responding_organisation, event.finding, event.note
                )
            case MemberRecordCrossChecked():
                # The reply recorded with it carries the finding; this says how it was obtained.
                self.subjects[event.subject_id].cross_checked_in = event.organisation
            case VerificationReplyCorrected():
                subject = self.subjects[event.subject_id]
                subject.reply = Reply(event.replied_on, event.responding_organisation, event.finding, event.note)
                subject.corrections += 1
            case VerificationBlocked():
                if event.subject_id not in self.blocked_by:
                    self.blocked_by.append(event.subject_id)
            case VerificationBlockLifted():
                self.blocked_by.clear()
                self.decisions.append(event)
            case HistoryCertified():
                self.certified = event
            case HistoryTakenOverFromPaper():
                self.taken_over = event
            case _:
                raise ValueError(f"unknown event {type(event).__name__}")

    def _note_details(self, details: Iterable[SubjectDetail]) -> None:
        for detail in details:
            subject = self.subjects[detail.subject_id]
            subject.responding_organisation = detail.responding_organisation
            subject.member_citizen_id = detail.member_citizen_id

    def correction(
        self,
        corrected: PersonalHistoryDeclared,
        rules: RuleSet,
        template_rules: Mapping[str, TemplateRule] = DEFAULT_TEMPLATE_RULES,
    ) -> list[Event]:
        """A corrected history (the whole declaration as corrected, dated by the correction): the
        certification of the earlier one is withdrawn, and relatives it adds become subjects. Nothing
        when the case is closed (rejected) or the correction changes neither."""
        if self.rejected:
            return []
        new_subjects = [s for s in required_subjects(corrected, rules, template_rules) if s.subject_id not in self.subjects]
        if self.certified is None and not new_subjects:
            return []
        return [
            HistoryCorrectionReceived(
                dossier_id=self.dossier_id,
                corrected_on=corrected.declared_on,
                certification_withdrawn=self.certified is not None,
                new_subjects=new_subjects,
                details=subject_details(corrected, new_subjects),
            )
        ]

    # --- state -----------------------------------------------------------------------------------

    @property
    def rejected(self) -> bool:
        return any(d.outcome == "reject" for d in self.decisions)

    @property
    def status(self) -> str:
        if self.rejected:
            return "rejected"
        if self.certified is not None:
            return "certified"
        if self.blocked_by:
            return "blocked"
        return "open"

    def missing_replies(self) -> list[str]:
        return [s.spec.subject_id for s in self.subjects.values() if s.reply is None]

    def _subject(self, subject_id: str) -> Subject:
        subject = self.subjects.get(subject_id)
        if subject is None:
            raise NotFound(
                f"Đối tượng thẩm tra '{subject_id}' không có trong hồ sơ thẩm tra này.",
                subject_id=subject_id,
                reason="unknown_subject",
            )
        return subject

    def _ensure_changeable(self) -> None:
        if self.rejected:
            raise Conflict(
                "Cấp ủy có thẩm quyền đã quyết định không tiếp tục xem xét hồ sơ này; hồ sơ thẩm tra đã đóng.",
                reason="rejected",
            )
        if self.certified is not None:
            raise Conflict(
                "Lý lịch đã được chứng nhận; không thể thay đổi kết quả thẩm tra.",
                reason="certified",
            )

    def _block_if_disqualifying(self, subject_id: str, finding: str, note: str | None) -> list[Event]:
        if finding != "disqualifying" or subject_id in self.blocked_by:
            return []
        return [VerificationBlocked(dossier_id=self.dossier_id, subject_id=subject_id, note=note)]

    # --- decisions -------------------------------------------------------------------------------

    def send_request(self, subject_id: str, *, sent_to: str, sent_on: date, sent_by: str) -> list[Event]:
        """Gửi yêu cầu thẩm tra. Sending again before a reply (wrong address, a new letter) replaces
        the request; the overdue clock then counts from the new date."""
        self._ensure_changeable()
        judgeable(sent_on)
        subject = self._subject(subject_id)
        if subject.reply is not None:
            raise Conflict(
                "Đối tượng này đã có kết quả thẩm tra; không gửi thêm yêu cầu.",
                subject_id=subject_id,
                reason="already_replied",
            )
        if subject.request is not None and sent_on < subject.request.sent_on:
            raise InvalidInput(
                f"Yêu cầu mới không thể gửi trước ngày yêu cầu trước ({vn_date(subject.request.sent_on)}).",
                field="sent_on",
            )
        return [
            VerificationRequestSent(
                dossier_id=self.dossier_id, subject_id=subject_id, sent_to=sent_to, sent_on=sent_on, sent_by=sent_by
            )
        ]

    def record_reply(
        self,
        subject_id: str,
        *,
        replied_on: date,
        responding_organisation: str,
        finding: str,
        note: str | None,
        correction_reason: str | None = None,
    ) -> list[Event]:
        """Ghi kết quả thẩm tra (or its correction)."""
        self._ensure_changeable()
        judgeable(replied_on)
        subject = self._subject(subject_id)
        check_note(finding, note)
        reply = Reply(replied_on, responding_organisation, finding, note)
        if subject.reply is not None:
            if subject.reply.same_as(reply):
                return []  # the same reply entered again: one effect
            if correction_reason is None:
                raise Conflict(
                    "Đối tượng này đã có kết quả thẩm tra khác; muốn thay đổi phải ghi đính chính kèm «lý do điều chỉnh».",
                    subject_id=subject_id,
                    reason="already_replied",
                )
            return [
                VerificationReplyCorrected(
                    dossier_id=self.dossier_id, subject_id=subject_id, replied_on=replied_on,
                    responding_organisation=responding_organisation, finding=finding, note=note,
                    reason=correction_reason,
                ),
                *self._block_if_disqualifying(subject_id, finding, note),
            ]
        if correction_reason is not None:
            raise InvalidInput("Đối tượng này chưa có kết quả thẩm tra nào để đính chính.", field="correction_reason")
        if subject.request is None:
            raise NotFound(
                "Chưa có yêu cầu thẩm tra nào được gửi cho đối tượng này; không thể ghi kết quả.",
                subject_id=subject_id,
                reason="no_request",
            )
        if replied_on < subject.request.sent_on:
            raise InvalidInput(
                f"Ngày trả lời không thể trước ngày gửi yêu cầu ({vn_date(subject.request.sent_on)}).", field="replied_on"
            )
        return [
            VerificationReplyRecorded(
                dossier_id=self.dossier_id, subject_id=subject_id, replied_on=replied_on,
                responding_organisation=responding_organisation, finding=finding, note=note,
            ),
            *self._block_if_disqualifying(subject_id, finding, note),
        ]

    def cross_check_target(self, subject_id: str, organisation: str | None) -> tuple[str, str]:
        """Whom to look up in the registry, and where, to close a subject against the member file;
        raises when the subject may not be closed that way."""
        self._ensure_changeable()
        subject = self._subject(subject_id)
        if subject.reply is not None:
            raise Conflict(
                "Đối tượng này đã có kết quả thẩm tra; không đối chiếu thêm.",
                subject_id=subject_id,
                reason="already_replied",
            )
        refusal = cross_check_refusal(subject)
        if refusal is not None:
            raise InvalidInput(refusal, subject_id=subject_id, reason="not_eligible_for_member_record")
        where = organisation or subject.responding_organisation
        if not where:
            raise InvalidInput(
                "Cần nêu tổ chức đảng đang quản lý hồ sơ đảng viên của người thân.",
                field="organisation",
            )
        assert subject.member_citizen_id is not None
        return subject.member_citizen_id, where

    def close_by_member_record(
        self,
        subject_id: str,
        *,
        organisation: str,
        checked_on: date,
        membership: Membership,
        finding: str = "clear",
        note: str | None = None,
    ) -> list[Event]:
        """Đối chiếu hồ sơ đảng viên, once the registry has answered for `organisation` on `checked_on`."""
        self.cross_check_target(subject_id, organisation)
        judgeable(checked_on)
        check_note(finding, note)
        if not membership.organisation_known:
            raise InvalidInput(
                f"Sổ đăng ký không có tổ chức đảng {organisation} vào ngày {vn_date(checked_on)}.",
                field="organisation",
                reason="unknown_organisation",
            )
        if not membership.member:
            raise InvalidInput(
                f"Sổ đăng ký không ghi nhận người thân này là đảng viên của tổ chức {organisation} vào ngày "
                f"{vn_date(checked_on)}: phải thẩm tra tại nơi cư trú, công tác.",
                subject_id=subject_id,
                reason="not_a_member",
            )
        return [
            MemberRecordCrossChecked(
                dossier_id=self.dossier_id, subject_id=subject_id, organisation=organisation, checked_on=checked_on,
                member_kind=membership.kind,
            ),
            VerificationReplyRecorded(
                dossier_id=self.dossier_id, subject_id=subject_id, replied_on=checked_on,
                responding_organisation=organisation, finding=finding, note=note,
            ),
            *self._block_if_disqualifying(subject_id, finding, note),
        ]

    def certify(self, *, certified_by: str, certified_on: date) -> list[Event]:
        """Chứng nhận lý lịch: only when every subject has a reply (VERIFY_COMPLETE), none blocks."""
        judgeable(certified_on)
        if self._certified_as(certified_by, certified_on, repeat=True):
            return []
        self._ensure_changeable()
        missing = self.missing_replies()
        if missing:
            raise RuleViolation(RuleCode.VERIFY_COMPLETE.value, RuleCode.VERIFY_COMPLETE.message, missing=missing)
        self._ensure_certifiable_on(certified_on)
        return [
            HistoryCertified(
                dossier_id=self.dossier_id, cell=self.cell, certified_by=certified_by, certified_on=certified_on
            )
        ]

    def take_over_certification(self, *, certified_by: str, certified_on: date) -> list[Event]:
        """A history verified and certified on paper, taken over: the certification stands for the
        replies the paper holds, so every subject still without a reply is recorded clear on that
        day. Judged on its date like a certification (NO_RULE_SET); a disqualifying finding on
        record, or a reply after the paper's certification, still refuses it."""
        judgeable(certified_on)
        if self._certified_as(certified_by, certified_on, repeat=self.taken_over is not None):
            return []
        self._ensure_changeable()
        self._ensure_certifiable_on(certified_on)
        return [
            HistoryTakenOverFromPaper(dossier_id=self.dossier_id, certified_by=certified_by, certified_on=certified_on),
            *(
                VerificationReplyRecorded(
                    dossier_id=self.dossier_id, subject_id=subject_id, replied_on=certified_on,
                    responding_organisation=certified_by, finding="clear", note=PAPER_NOTE,
                )
                for subject_id in self.missing_replies()
            ),
            HistoryCertified(dossier_id=self.dossier_id, cell=self.cell, certified_by=certified_by, certified_on=certified_on),
        ]

    def _certified_as(self, certified_by: str, certified_on: date, *, repeat: bool) -> bool:
        """True when the history is already certified so, by the same act (`repeat`: a retry, which
        records nothing); a Conflict when it is certified otherwise; False when not yet."""
        if self.certified is None:
            return False
        if repeat and (self.certified.certified_by, self.certified.certified_on) == (certified_by, certified_on):
            return True
        raise Conflict(
            f"Lý lịch đã được {self.certified.certified_by} chứng nhận ngày {vn_date(self.certified.certified_on)}.",
            reason="certified",
        )

    def _ensure_certifiable_on(self, certified_on: date) -> None:
        """No disqualifying finding waits for the committee, and no reply is dated after the certification."""
        if self.blocked_by:
            raise Conflict(
                "Có kết quả thẩm tra \"không đủ điều kiện\"; chờ cấp ủy có thẩm quyền quyết định trước khi "
                "chứng nhận lý lịch.",
                reason="blocked",
                subjects=list(self.blocked_by),
            )
        replied = [s.reply.replied_on for s in self.subjects.values() if s.reply is not None]
        if replied and certified_on < max(replied):
            raise InvalidInput(
                f"Ngày chứng nhận không thể trước ngày có kết quả thẩm tra cuối cùng ({vn_date(max(replied))}).",
                field="certified_on",
            )

    def lift_block(self, *, decided_by: str, decided_on: date, outcome: str) -> list[Event]:
        """The competent committee's decision on a disqualifying finding: continue or reject."""
        self._ensure_changeable()
        judgeable(decided_on)
        if not self.blocked_by:
            raise Conflict(
                "Hồ sơ thẩm tra không có kết quả \"không đủ điều kiện\" nào đang chờ quyết định.",
                reason="not_blocked",
            )
        blocking_dates = [
            s.reply.replied_on for i, s in self.subjects.items() if i in self.blocked_by and s.reply is not None
        ]
        if blocking_dates and decided_on < max(blocking_dates):
            raise InvalidInput(
                f"Ngày quyết định không thể trước ngày có kết quả thẩm tra ({vn_date(max(blocking_dates))}).",
                field="decided_on",
            )
        return [
            VerificationBlockLifted(dossier_id=self.dossier_id, decided_by=decided_by, decided_on=decided_on, outcome=outcome)
        ]

    # --- reading ---------------------------------------------------------------------------------

    def view(self) -> dict[str, Any]:
        """The case as `verification.query.case` answers it."""
        subjects = []
        for subject in self.subjects.values():
            spec = subject.spec
            subjects.append(
                {
                    "subject_id": spec.subject_id,
                    "relation": spec.relation,
                    "method": spec.method,
                    "template": spec.template,
                    "state": subject.state,
                    "may_use_member_record": cross_check_refusal(subject) is None,
                    "responding_organisation": subject.responding_organisation,
                    "request": None
                    if subject.request is None
                    else {
                        "sent_to": subject.request.sent_to,
                        "sent_on": subject.request.sent_on.isoformat(),
                        "sent_by": subject.request.sent_by,
                    },
                    "reply": None
                    if subject.reply is None
                    else {
                        "replied_on": subject.reply.replied_on.isoformat(),
                        "responding_organisation": subject.reply.responding_organisation,
                        "finding": subject.reply.finding,
                        "note": subject.reply.note,
                        "by_member_record": subject.cross_checked_in is not None,
                        "corrections": subject.corrections,
                    },
                }
            )
        return {
            "dossier_id": self.dossier_id,
            "cell": self.cell,
            "version": self.version,
            "status": self.status,
            "complete": not self.missing_replies(),
            "missing": self.missing_replies(),
            "blocked_by": list(self.blocked_by),
            "decisions": [d.model_dump(mode="json") for d in self.decisions],
            "certified": None if self.certified is None else self.certified.model_dump(mode="json"),
            "taken_over_from_paper": None if self.taken_over is None else self.taken_over.model_dump(mode="json"),
            "subjects": subjects,
        }
