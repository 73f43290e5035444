"""One dossier of the plan driven across the dossiers, verification and voting services: each act
as the person who normally records it, waiting for the services' consumers where the next act needs
what they record (the verification case opened, the history certified, the voting chain opened, the
decision received by the cell, the ceremony and the papers seen by voting).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from ketnap.domain.calendar import add_months
from ketnap.domain.rules import RuleCode
from ketnap.operations.demo.organisation import REFORM_DAY
from ketnap.operations.demo.plan import DossierPlan
from ketnap.operations.demo.progress import ScenarioError
from ketnap.operations.demo.schedule import Path, working
from ketnap.platform.logging import get_logger

if TYPE_CHECKING:
    from ketnap.operations.demo.driver import Driver

log = get_logger(__name__)


class DossierRun:
    """One dossier's acts, in order, across the dossiers, verification and voting services."""

    def __init__(self, driver: Driver, dossier: DossierPlan) -> None:
        self.driver, self.d, self.dates = driver, dossier, dossier.dates
        self.tree = driver.tree
        self.id = dossier.dossier_id

    async def send(self, service: str, name: str, body: dict[str, Any], step: str, on: date, **options: Any) -> dict[str, Any]:
        at = options.pop("at", None) or self.d.cell_on(on)
        return await self.driver.send(
            service, name, body, key=f"dossier:{self.d.number}:{step}", at=at, on=on, what=f"{self.d.label} ({self.id}), bước {step}",
            **options,
        )

    async def dossier(self) -> dict[str, Any]:
        reply = await self.driver.query("dossiers", "dossier", {"dossier_id": self.id}, at=self.d.voting_cell, on=self.driver.plan.reference)
        return (reply.get("result") or {}) if reply.get("ok") else {}

    async def version(self) -> int | None:
        """The dossier's stream version, from `dossiers.progress`: not a personal read, so the
        gateway records nothing (a `dossier` read is appended to its log, relayed and passed by
        every consumer of that log)."""
        reply = await self.driver.query("dossiers", "progress", {"dossier_id": self.id}, at=self.d.voting_cell, on=self.driver.plan.reference)
        return (reply.get("result") or {}).get("stream_version") if reply.get("ok") else None

    async def wait_dossier(self, what: str, check: Callable[[dict[str, Any]], bool]) -> None:
        """Until `check` passes on the whole dossier, read again only once its version has moved:
        while a service's consumer has recorded nothing, the wait asks `version` (issue 21)."""
        failed_at: int | None = None  # the version of the last whole read `check` refused

        async def seen() -> bool:
            nonlocal failed_at
            if failed_at is not None and await self.version() == failed_at:
                return False
            body = await self.dossier()
            if check(body):
                return True
            failed_at = body.get("stream_version")
            return False

        await self.driver.wait(f"{self.d.label} ({self.id}): {what}", seen)

    async def wait_case(self, service: str, what: str, check: Callable[[dict[str, Any]], bool] = bool) -> dict[str, Any]:
        found: dict[str, Any] = {}

        async def seen() -> bool:
            nonlocal found
            reply = await self.driver.query(service, "case", {"dossier_id": self.id}, at=self.d.voting_cell, on=self.driver.plan.reference)
            found = (reply.get("result") or {}) if reply.get("ok") else {}
            return bool(found) and check(found)

        await self.driver.wait(f"{self.d.label} ({self.id}): {what}", seen)
        return found

    async def run(self) -> None:
        d, dates = self.d, self.dates
        await self.open()
        if dates.letter:
            await self.send("dossiers", "submit_application_letter", {"dossier_id": self.id, "submitted_on": iso(dates.letter)}, "letter", dates.letter)
        if dates.transferred and d.to_cell:
            await self.send("dossiers", "transfer", {"dossier_id": self.id, "on": iso(dates.transferred), "to_cell": d.to_cell},
                            "transfer", dates.transferred, at=d.cell)
        if dates.declared:
            await self.declare()
            await self.verify()
        if dates.suspended:
            await self.send("dossiers", "suspend", {"dossier_id": self.id, "on": iso(dates.suspended)}, "suspend", dates.suspended)
        if dates.withdrawn:
            await self.send("dossiers", "withdraw", {"dossier_id": self.id, "on": iso(dates.withdrawn)}, "withdraw", dates.withdrawn)
        if dates.ready:
            await self.to_cell_vote()
        if dates.meeting:
            await self.cell_vote()
        if dates.decided:
            await self.admission()
        if dates.ceremony:
            await self.probation()
        if dates.recognition_votes:
            await self.recognition()
        await self.wait_dossier(f"hồ sơ ở bước «{d.final_step}»", lambda b: b.get("step") == d.final_step)
        log.info("demo dossier driven", number=d.number, dossier_id=self.id, path=d.path.value)

    # --- preparation ------------------------------------------------------------------------------

    async def open(self) -> None:
        d, dates = self.d, self.dates
        await self.send("dossiers", "open_dossier", {
            "dossier_id": self.id, "cell": d.cell, "citizen_id": d.applicant.citizen_id, "full_name": d.applicant.full_name,
            "opened_on": iso(dates.opened), "helper_citizen_id": d.helper,
        }, "open", dates.opened)
        await self.send("dossiers", "record_class_certificate", {
            "dossier_id": self.id, "certificate_number": d.awareness.number, "issued_on": iso(d.awareness.issued_on),
            "issued_by": d.awareness.issued_by,
        }, "class_certificate", dates.opened)

    async def declare(self) -> None:
        d, dates = self.d, self.dates
        assert dates.declared and dates.introduced and dates.opinions
        await self.send("dossiers", "declare_personal_history", {"dossier_id": self.id, "declared_on": iso(dates.declared),
                                                                 **d.applicant.history()}, "history", dates.declared)
        introducers = [
            {"citizen_id": i.citizen_id, "full_name": i.full_name, "introduced_on": iso(dates.introduced),
             "acquainted_since": iso(i.acquainted_since)}
            for i in d.introducers
        ]
        union = {"union": "youth_union", "number": d.union_resolution, "dated": iso(dates.introduced)} if d.union_resolution else None
        await self.send("dossiers", "record_introductions", {"dossier_id": self.id, "introducers": introducers, "union_resolution": union,
                                                             "recorded_on": iso(dates.introduced)}, "introductions", dates.introduced)
        await self.send("dossiers", "record_opinions", {"dossier_id": self.id, "opinions": [
            {"source": "residence_cell", "given_on": iso(dates.opinions), "summary": "Chấp hành tốt chủ trương, chính sách; gương mẫu ở nơi cư trú."},
            {"source": "workplace_mass_organisations", "given_on": iso(dates.opinions),
             "summary": "Hoàn thành tốt nhiệm vụ; đoàn thể đồng ý giới thiệu."},
        ]}, "opinions", dates.opinions)

    async def verify(self) -> None:
        """One request per subject (or the relative's member file), the replies, the certification."""
        d, dates = self.d, self.dates
        assert dates.requested and dates.replied
        case = await self.wait_case("verification", "hồ sơ thẩm tra được mở")
        subjects = case["subjects"]
        field_subjects = [s for s in subjects if not (s["method"] == "member_record" and s["may_use_member_record"])]
        unanswered = None if dates.all_replied else field_subjects[-1]["subject_id"]
        cell = d.cell_on(dates.requested)
        residence = self.tree.upper_on(cell, max(dates.requested, REFORM_DAY))
        sender = self.tree.grassroots_on(cell, dates.requested)
        for subject in subjects:
            subject_id = subject["subject_id"]
            if subject not in field_subjects:
                await self.send("verification", "close_by_member_record", {
                    "dossier_id": self.id, "subject_id": subject_id, "checked_on": iso(dates.replied),
                }, f"cross_check:{subject_id}", dates.replied)
                continue
            sent_to = subject.get("responding_organisation") or residence
            await self.send("verification", "send_request", {
                "dossier_id": self.id, "subject_id": subject_id, "sent_to": sent_to, "sent_on": iso(dates.requested), "sent_by": sender,
            }, f"request:{subject_id}", dates.requested)
            if subject_id == unanswered:
                continue
            concern = subject["template"] == "religious"
            await self.send("verification", "record_reply", {
                "dossier_id": self.id, "subject_id": subject_id, "replied_on": iso(dates.replied), "responding_organisation": sent_to,
                "finding": "concern" if concern else "clear",
                "note": "Gia đình theo tôn giáo; bản thân chấp hành tốt chủ trương, chính sách." if concern else None,
            }, f"reply:{subject_id}", dates.replied)
        if dates.certified:
            certifier = self.tree.grassroots_on(d.cell_on(dates.certified), dates.certified)
            await self.send("verification", "certify_history", {
                "dossier_id": self.id, "certified_by": certifier, "certified_on": iso(dates.certified),
            }, "certify", dates.certified)
            await self.wait_dossier("lý lịch được chứng nhận", lambda b: _certified_on(b) == iso(dates.certified))

    # --- to the cell vote -------------------------------------------------------------------------

    async def to_cell_vote(self) -> None:
        d, dates = self.d, self.dates
        assert dates.ready and dates.planned_meeting
        body = {"dossier_id": self.id, "ready_on": iso(dates.ready), "cell_meeting_on": iso(dates.planned_meeting)}
        if d.refusal:
            # A refusal records nothing; once the dossier is rejected, the attempt is not repeated.
            if (await self.dossier()).get("step") != "rejected":
                await self.send("dossiers", "mark_ready_for_cell_vote", body, "ready", dates.ready, expect=f"rule:{d.refusal}")
            assert dates.rejected
            await self.send("dossiers", "reject", {"dossier_id": self.id, "on": iso(dates.rejected), "rule": d.refusal,
                                                   "reason": RuleCode(d.refusal).message}, "reject", dates.rejected)
            return
        await self.send("dossiers", "mark_ready_for_cell_vote", body, "ready", dates.ready)
        await self.wait_case("voting", "hồ sơ biểu quyết được mở")

    async def ballots(self, cell: str, on: date, outcome: str) -> list[dict[str, str]]:
        """The cell's official members present, from the registry's roster on the meeting day;
        `adopted`: all agree; `failed`: neither two thirds for nor against."""
        reply = await self.driver.query("registry", "roster", {"organisation": cell, "on": iso(on)}, at=cell, on=on)
        if not reply.get("ok"):
            raise ScenarioError(f"{self.d.label} ({self.id}): không đọc được danh sách đảng viên của {cell}.")
        present = [m["citizen_id"] for m in reply["result"]["members"] if m["kind"] == "official" and m["status"] == "active"]
        if outcome == "adopted":
            return [{"citizen_id": c, "choice": "agree"} for c in present]
        required = math.ceil(len(present) * 2 / 3)
        agree = required - 1
        disagree = min(required - 1, len(present) - agree)
        choices = ["agree"] * agree + ["disagree"] * disagree + ["abstain"] * (len(present) - agree - disagree)
        return [{"citizen_id": c, "choice": choice} for c, choice in zip(present, choices, strict=True)]

    async def committee_ballots(self, organisation: str, on: date, choice: str = "agree") -> list[dict[str, str]]:
        reply = await self.driver.query("registry", "committee", {"organisation": organisation, "on": iso(on)}, at=organisation, on=on)
        if not reply.get("ok"):
            raise ScenarioError(f"{self.d.label} ({self.id}): không đọc được cấp ủy của {organisation}.")
        return [{"citizen_id": c, "choice": choice} for c in reply["result"]["members"]]

    async def cell_vote(self) -> None:
        d, dates = self.d, self.dates
        assert dates.meeting
        cell = d.voting_cell
        adopted = d.path is not Path.REJECTED_CELL_VOTE
        ballots = await self.ballots(cell, dates.meeting, "adopted" if adopted else "failed")
        await self.send("voting", "record_cell_resolution", {"dossier_ids": [self.id], "cell": cell, "meeting_on": iso(dates.meeting),
                                                            "ballots": ballots}, "cell_resolution", dates.meeting)
        if not adopted:
            return
        if dates.appraised:
            partial = self.tree.partial_committee_on(cell, dates.appraised)
            await self.send("voting", "record_appraisal", {"dossier_id": self.id, "organisation": partial, "appraised_on": iso(dates.appraised),
                                                          "opinion": "Đủ điều kiện, đề nghị đảng ủy cơ sở xem xét kết nạp."},
                            "appraisal", dates.appraised)
        if dates.grassroots:
            committee = self.tree.grassroots_committee_on(cell, dates.grassroots)
            assert committee
            await self.send("voting", "record_grassroots_resolution", {
                "dossier_ids": [self.id], "organisation": committee, "meeting_on": iso(dates.grassroots),
                "ballots": await self.committee_ballots(committee, dates.grassroots),
            }, "grassroots_resolution", dates.grassroots)

    async def decided_by_vote(self, decider: str, on: date, choice: str = "agree") -> list[dict[str, str]]:
        """An authorised grassroots committee decides by a vote of its committee members."""
        if self.tree.kind(decider) in ("grassroots_committee", "grassroots_cell"):
            return await self.committee_ballots(decider, on, choice)
        return []

    async def admission(self) -> None:
        d, dates = self.d, self.dates
        assert dates.decided and dates.notified and d.decided_by
        await self.send("voting", "decide_admission", {
            "dossier_id": self.id, "decided_by": d.decided_by, "decision_date": iso(dates.decided), "admitted": True,
            "decision_number": d.decision_number, "ballots": await self.decided_by_vote(d.decided_by, dates.decided),
        }, "admission_decision", dates.decided, at=d.voting_cell)
        await self.send("voting", "record_cell_notified", {"dossier_id": self.id, "received_on": iso(dates.notified)},
                        "cell_notified", dates.notified)
        await self.wait_dossier(
            "hồ sơ nhận quyết định kết nạp",
            lambda b: b.get("step") not in (None, "ready_for_cell_vote", "awaiting_decision")
            and ((b.get("admission") or {}).get("received_by_cell_on") == iso(dates.notified)),
        )

    # --- probation and recognition ------------------------------------------------------------------

    async def probation(self) -> None:
        d, dates = self.d, self.dates
        assert dates.ceremony and dates.notified
        await self.send("dossiers", "record_ceremony", {
            "dossier_id": self.id, "held_on": iso(dates.ceremony), "helper_citizen_id": d.ceremony_helper,
            "received_decision_on": iso(dates.notified),
        }, "ceremony", dates.ceremony)
        if dates.history_filed:
            await self.send("dossiers", "file_member_history", {"dossier_id": self.id, "filed_on": iso(dates.history_filed)},
                            "member_history", dates.history_filed)
        if d.new_member:
            await self.send("dossiers", "record_new_member_class", {
                "dossier_id": self.id, "certificate_number": d.new_member.number, "issued_on": iso(d.new_member.issued_on),
                "issued_by": d.new_member.issued_by,
            }, "new_member_class", d.new_member.issued_on)
        if dates.papers:
            ends = add_months(dates.ceremony, 12)
            reviewed = working(ends - timedelta(days=9))
            await self.send("dossiers", "record_recognition_papers", {
                "dossier_id": self.id, "self_review_on": iso(reviewed), "helper_review_on": iso(working(ends - timedelta(days=6))),
                "opinions_on": iso(working(ends - timedelta(days=3))), "completed_on": iso(dates.papers),
            }, "recognition_papers", dates.papers)

    async def recognition(self) -> None:
        d, dates = self.d, self.dates
        cell = d.voting_cell
        await self.wait_case("voting", "hồ sơ biểu quyết có lễ kết nạp và đủ hồ sơ xét công nhận",
                             lambda c: bool(c.get("ceremony_on") and c.get("recognition_papers_completed_on")))
        outcome = "adopted" if d.path is Path.RECOGNISED else "failed"
        for attempt, on in enumerate(dates.recognition_votes, start=1):
            await self.send("voting", "record_recognition_cell_resolution", {
                "dossier_ids": [self.id], "cell": cell, "meeting_on": iso(on), "ballots": await self.ballots(cell, on, outcome),
            }, f"recognition_vote:{attempt}", on)
        if dates.recognition_grassroots:
            committee = self.tree.grassroots_committee_on(cell, dates.recognition_grassroots)
            assert committee
            choice = "agree" if d.path is Path.RECOGNISED else "disagree"
            await self.send("voting", "record_recognition_grassroots_resolution", {
                "dossier_ids": [self.id], "organisation": committee, "meeting_on": iso(dates.recognition_grassroots),
                "ballots": await self.committee_ballots(committee, dates.recognition_grassroots, choice),
            }, "recognition_grassroots_resolution", dates.recognition_grassroots)
        assert d.recognised_by
        if dates.recognised:
            await self.send("voting", "decide_recognition", {
                "dossier_id": self.id, "decided_by": d.recognised_by, "decision_number": d.recognition_number,
                "decision_date": iso(dates.recognised), "ballots": await self.decided_by_vote(d.recognised_by, dates.recognised),
            }, "recognition_decision", dates.recognised)
        if dates.name_removed:
            await self.send("voting", "decide_name_removal", {
                "dossier_id": self.id, "decided_by": d.recognised_by, "decision_date": iso(dates.name_removed),
                "reason": "Ba lần chi bộ biểu quyết không đạt; cấp ủy cấp trên không đề nghị công nhận đảng viên chính thức.",
                "ballots": await self.decided_by_vote(d.recognised_by, dates.name_removed),
            }, "name_removal", dates.name_removed)


def iso(day: date) -> str:
    return day.isoformat()


def _certified_on(body: dict[str, Any]) -> str | None:
    history = (body.get("papers") or {}).get("personal_history") or {}
    return history.get("certified_on")
