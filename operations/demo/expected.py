"""The figures every report must show once a plan has been driven, computed from the plan alone.

`Expected.<report>(...)` computes a report's figures from the plan as of a report day;
`ketnap.operations.demo.figures.<report>(result)` takes the same figures out of the reporting service's answer
(docs/reporting.md), so a test compares the two with `==`. The rules of counting follow
docs/reporting.md: an admission counts where its cell sat on the decision date; a dossier in
progress, where its cell sat on the report's day; a year runs 1 January to 31 December and a
congress term "Y1-Y2" from 1 January Y1 to 31 December Y2-1. Only the platform's calendar and
rule sets are shared with the services; none of reporting's code is used here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ketnap.domain.calendar import add_months, full_years, working_days_between
from ketnap.domain.rules import rule_set_on
from ketnap.domain.rules.deadlines import ceremony_due_on, decision_due_on, member_history_due_on, recognition_vote_due_on
from ketnap.operations.demo.plan import DossierPlan, Plan
from ketnap.operations.demo.schedule import Path
from ketnap.services.gateway.access import preferred_role

STEPS = (
    "source_list", "application", "verification", "ready_for_cell_vote", "awaiting_decision", "awaiting_ceremony",
    "probation", "recognition", "official", "name_removed", "withdrawn", "rejected", "refused",
)
ENDINGS = ("official", "name_removed", "withdrawn", "rejected", "refused")
OPEN_STEPS = tuple(s for s in STEPS if s not in ENDINGS)
BEFORE_DECISION = ("source_list", "application", "verification", "ready_for_cell_vote", "awaiting_decision")
DEADLINE_RULES = {"decision": "DECISION_60WD", "ceremony": "CEREMONY_30WD", "member_history": None, "recognition_vote": "RECOG_30WD"}
AGE_BANDS = (("18-30", 18, 30), ("31-35", 31, 35), ("36-40", 36, 40), ("41-45", 41, 45), ("46-50", 46, 50),
             ("51-55", 51, 55), ("56-60", 56, 60), (">60", 61, 200))
AXES = ("gender", "ethnic_minority", "religion", "youth_union", "occupation", "age_band", "general_education",
        "professional_qualification")


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date

    def status_on(self, day: date) -> date:
        return min(day, self.end)


def year(value: int) -> Period:
    return Period(str(value), date(value, 1, 1), date(value, 12, 31))


def term(first: int, last: int) -> Period:
    return Period(f"{first}-{last}", date(first, 1, 1), date(last, 1, 1) - timedelta(days=1))


def percent(part: int, whole: int | None) -> float | None:
    if not whole:
        return None
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Deadline:
    dossier: DossierPlan
    kind: str
    started_on: date
    due_on: date
    done_on: date | None


class Expected:
    """The plan's figures as of the report day `on` (today when the plan was just driven)."""

    def __init__(self, plan: Plan, on: date) -> None:
        self.plan, self.on, self.tree = plan, on, plan.tree
        self.dossiers = plan.dossiers

    # --- facts of one dossier ---------------------------------------------------------------------

    @staticmethod
    def steps(d: DossierPlan) -> list[tuple[str, date]]:
        """The steps the dossier entered, with the day it entered each (the dossiers log's dates)."""
        x = d.dates
        found = [("source_list", x.opened)]
        for step, day in (("application", x.letter), ("verification", x.declared)):
            if day:
                found.append((step, day))
        if d.refusal and x.rejected:
            return [*found, ("rejected", x.rejected)]
        if x.withdrawn:
            return [*found, ("withdrawn", x.withdrawn)]
        if x.ready:
            found.append(("ready_for_cell_vote", x.ready))
        if d.path is Path.REJECTED_CELL_VOTE and x.meeting:
            return [*found, ("rejected", x.meeting)]
        for step, day in (("awaiting_decision", x.meeting), ("awaiting_ceremony", x.decided), ("probation", x.ceremony),
                          ("recognition", x.papers), ("official", x.recognised), ("name_removed", x.name_removed)):
            if day:
                found.append((step, day))
        return found

    def step_on(self, d: DossierPlan, day: date) -> str | None:
        entered = [(on, STEPS.index(step), step) for step, on in self.steps(d) if on <= day]
        return max(entered)[2] if entered else None

    def ended_on(self, d: DossierPlan) -> date | None:
        step, day = self.steps(d)[-1]
        return day if step in ENDINGS else None

    def suspended_on(self, d: DossierPlan, day: date) -> bool:
        return d.dates.suspended is not None and d.dates.suspended <= day

    def deadlines(self, d: DossierPlan) -> list[Deadline]:
        x = d.dates
        found = []
        if x.meeting and d.path is not Path.REJECTED_CELL_VOTE:
            found.append(Deadline(d, "decision", x.meeting, decision_due_on(x.meeting, rules=rule_set_on(x.meeting)), x.decided))
        if x.notified:
            found.append(Deadline(d, "ceremony", x.notified, ceremony_due_on(x.notified, rules=rule_set_on(x.notified)), x.ceremony))
        if x.ceremony:
            rules = rule_set_on(x.ceremony)
            found.append(Deadline(d, "member_history", x.ceremony, member_history_due_on(x.ceremony, rules=rules), x.history_filed))
            first_vote = min(x.recognition_votes) if x.recognition_votes else None
            found.append(Deadline(d, "recognition_vote", x.ceremony, recognition_vote_due_on(x.ceremony, rules=rules), first_vote))
        return found

    def admissions(self) -> list[DossierPlan]:
        return sorted((d for d in self.dossiers if d.dates.decided), key=lambda d: (d.dates.decided, d.dossier_id))

    # --- quota ------------------------------------------------------------------------------------

    def quota(self, organisation: str, period: Period) -> dict[str, Any]:
        tree = self.tree
        status_on = period.status_on(self.on)
        quotas = {q.organisation: q.quantity for q in self.plan.quotas if q.period == period.label}
        achieved: Counter[str] = Counter()
        counted = []
        for d in self.admissions():
            assert d.dates.decided
            if not period.start <= d.dates.decided <= status_on:
                continue
            child = tree.attribute(organisation, d.voting_cell, d.dates.decided)
            if child is None:
                continue
            achieved[organisation] += 1
            if child != organisation:
                achieved[child] += 1
            counted.append((d.dossier_id, d.voting_cell, d.decided_by, d.decision_number, d.dates.decided.isoformat(), child,
                            rule_set_on(d.dates.decided).id))
        pending: dict[str, Counter[str]] = {}
        for d in self.dossiers:
            if d.dates.opened > status_on:
                continue
            step = self.step_on(d, status_on)
            if step not in BEFORE_DECISION:
                continue
            child = tree.attribute(organisation, d.cell_on(status_on), status_on)
            if child is None:
                continue
            for unit in {organisation, child}:
                steps = pending.setdefault(unit, Counter())
                steps[step] += 1
                steps["suspended"] += self.suspended_on(d, status_on)
        children = tree.children_during(organisation, period.start, period.end)
        children += sorted(c for c in achieved if c != organisation and c not in children)

        def line(code: str) -> tuple:
            steps = pending.get(code, Counter())
            by_step = {s: steps[s] for s in STEPS if s in BEFORE_DECISION and steps[s]}
            in_progress = {"total": sum(by_step.values()), "suspended": steps["suspended"], "by_step": by_step}
            return (code, quotas.get(code), achieved[code], percent(achieved[code], quotas.get(code)), in_progress,
                    tree.exists_on(code, status_on))

        child_quotas = [quotas[c] for c in children if c in quotas]
        return {
            "period": period.label, "from": period.start.isoformat(), "to": period.end.isoformat(), "status_on": status_on.isoformat(),
            "lines": [line(organisation), *(line(c) for c in children)],
            "children_quota_total": sum(child_quotas) if child_quotas else None,
            "admissions": counted,
        }

    # --- new members ------------------------------------------------------------------------------

    def stats(self, organisation: str, period: Period) -> dict[str, Any]:
        status_on = period.status_on(self.on)
        counts: dict[str, Counter[str]] = {axis: Counter() for axis in AXES}
        admitted = 0
        for d in self.admissions():
            assert d.dates.decided
            if not period.start <= d.dates.decided <= status_on:
                continue
            if self.tree.attribute(organisation, d.voting_cell, d.dates.decided) is None:
                continue
            admitted += 1
            for axis, value in categories(d, d.dates.decided).items():
                counts[axis][value] += 1
        return {
            "admitted": admitted,
            "axes": {axis: {v: (n, percent(n, admitted)) for v, n in counts[axis].items()} for axis in AXES},
            "unknown": {},
        }

    # --- pipeline ---------------------------------------------------------------------------------

    def pipeline(self, organisation: str, period: Period | None = None) -> dict[str, Any]:
        tree = self.tree
        status_on = period.status_on(self.on) if period else self.on
        start = period.start if period else date.min
        counts: dict[str, Counter[str]] = {}
        spent: dict[str, list[tuple[int, int]]] = {}
        ended: Counter[str] = Counter()
        rejections: Counter[str] = Counter()
        for d in self.dossiers:
            if d.dates.opened <= status_on:
                step = self.step_on(d, status_on)
                child = tree.attribute(organisation, d.cell_on(status_on), status_on)
                if step in OPEN_STEPS and child is not None:
                    for unit in {organisation, child}:
                        counts.setdefault(unit, Counter())[step] += 1
                        counts[unit]["suspended"] += self.suspended_on(d, status_on)
            steps = self.steps(d)
            for (step, entered), (_, left) in zip(steps, steps[1:], strict=False):
                if start <= left <= status_on and tree.attribute(organisation, d.cell_on(left), left) is not None:
                    spent.setdefault(step, []).append(((left - entered).days, working_days_between(entered, left)))
            last, on = steps[-1]
            if last in ENDINGS and start <= on <= status_on and tree.attribute(organisation, d.cell_on(on), on) is not None:
                ended[last] += 1
                if last == "rejected":
                    rejections[d.rejection_rule or "NONE"] += 1

        def line(code: str) -> tuple:
            steps = counts.get(code, Counter())
            return (code, {s: steps[s] for s in OPEN_STEPS}, sum(steps[s] for s in OPEN_STEPS), steps["suspended"])

        return {
            "status_on": status_on.isoformat(),
            "lines": [line(organisation), *(line(c) for c in tree.children_on(organisation, status_on))],
            "time_per_step": {
                step: (len(items), round(sum(i[0] for i in items) / len(items), 1), round(sum(i[1] for i in items) / len(items), 1),
                       max(i[1] for i in items))
                for step in STEPS if (items := spent.get(step))
            },
            "endings": {s: ended[s] for s in ENDINGS},
            "rejections": sorted(((rule, n) for rule, n in rejections.items()), key=lambda x: (-x[1], x[0])),
        }

    # --- classes ----------------------------------------------------------------------------------

    def classes(self, organisation: str, period: Period) -> dict[str, Any]:
        status_on = period.status_on(self.on)
        totals = {kind: [0, 0, 0] for kind in ("awareness", "new_member")}
        listed = []
        for held in sorted(self.plan.classes, key=lambda c: (c.end, c.class_id)):
            if not period.start <= held.end <= status_on or self.tree.attribute(organisation, held.organiser, held.end) is None:
                continue
            total = totals[held.kind]
            total[0] += 1
            total[1] += len(held.attendees)
            total[2] += len(held.certificates)
            listed.append(held.class_id)
        return {"by_kind": [(kind, *values) for kind, values in totals.items()], "classes": listed}

    # --- white zones ------------------------------------------------------------------------------

    def members_in(self, cell: str, day: date) -> int:
        moved = {t.citizen_id: t for t in self.plan.member_transfers}
        count = 0
        for m in self.plan.members:
            if m.since > day:
                continue
            transfer = moved.get(m.person.citizen_id)
            where = transfer.to_cell if transfer and transfer.on <= day else m.cell
            count += where == cell
        for d in self.dossiers:
            x = d.dates
            if x.decided and x.decided <= day and not (x.name_removed and x.name_removed <= day):
                count += d.voting_cell == cell
        return count

    def white_zones(self, organisation: str, years: int = 3) -> dict[str, Any]:
        tree, day = self.tree, self.on
        subtree = tree.subtree_on(organisation, day)
        localities = []
        for locality in sorted(self.plan.localities, key=lambda lo: lo.code):
            if locality.since > day or (locality.organisation not in subtree and locality.covered_by not in subtree):
                continue
            cell = locality.covered_by
            if cell is None or not tree.exists_on(cell, day):
                reason = "no_cell"
            elif self.members_in(cell, day) == 0:
                reason = "no_member"
            else:
                continue
            localities.append((locality.code, reason, locality.organisation, cell))
        since = add_months(day, -12 * years)
        last_admission: dict[str, date] = {}
        for d in self.admissions():
            assert d.dates.decided
            if d.dates.decided <= day:
                last_admission[d.voting_cell] = max(last_admission.get(d.voting_cell, date.min), d.dates.decided)
        cells = []
        for code in subtree:
            if tree.kind(code) not in ("cell", "grassroots_cell"):
                continue
            last = last_admission.get(code)
            if last is not None and last > since:
                continue
            cells.append((code, last.isoformat() if last else None, tree.units[code].established_on.isoformat(), tree.parent_on(code, day)))
        return {"localities": localities, "cells_without_admission": cells}

    # --- deadlines --------------------------------------------------------------------------------

    def open_deadlines(self) -> list[Deadline]:
        day = self.on
        found = []
        for d in self.dossiers:
            ended = self.ended_on(d)
            if ended is not None and ended <= day:
                continue
            for deadline in self.deadlines(d):
                if deadline.started_on <= day and (deadline.done_on is None or deadline.done_on > day):
                    found.append(deadline)
        return sorted(found, key=lambda x: (x.due_on, x.dossier.dossier_id, x.kind))

    def deadlines_report(self, organisation: str, *, overdue_only: bool = False) -> dict[str, Any]:
        tree, day = self.tree, self.on
        per_unit: dict[str, Counter[str]] = {}
        per_due: dict[date, Counter[str]] = {}
        items = []
        for deadline in self.open_deadlines():
            cell = deadline.dossier.cell_on(day)
            child = tree.attribute(organisation, cell, day)
            if child is None:
                continue
            overdue = deadline.due_on < day
            for unit in {organisation, child}:
                per_unit.setdefault(unit, Counter())["open"] += 1
                per_unit[unit]["overdue"] += overdue
            per_due.setdefault(deadline.due_on, Counter())["open"] += 1
            per_due[deadline.due_on]["overdue"] += overdue
            if overdue_only and not overdue:
                continue
            items.append((deadline.dossier.dossier_id, deadline.kind, DEADLINE_RULES[deadline.kind], deadline.due_on.isoformat(),
                          overdue, working_days_between(deadline.due_on, day) if overdue else 0, child))
        mine = per_unit.get(organisation, Counter())
        return {
            "open": mine["open"], "overdue": mine["overdue"],
            "children": [(c, per_unit.get(c, Counter())["open"], per_unit.get(c, Counter())["overdue"]) for c in tree.children_on(organisation, day)],
            "by_due_date": [(due.isoformat(), n["open"], n["overdue"]) for due, n in sorted(per_due.items())],
            "items": items,
        }

    # --- audit history ----------------------------------------------------------------------------

    def audit(self, d: DossierPlan) -> dict[str, Any]:
        """The events of the dossier's three streams: in order with who recorded them (None: a
        service's own consumer) for the dossier and voting streams; counted for verification,
        whose subjects the service orders."""
        x = d.dates

        def by(service: str, command: str) -> str:
            return f"demo.{preferred_role(service, command).value}"

        dossier: list[tuple[str, str | None]] = [("DossierOpened", by("dossiers", "open_dossier")),
                                                 ("ClassCertificateRecorded", by("dossiers", "record_class_certificate"))]
        voting: list[tuple[str, str | None]] = []
        verification: Counter[tuple[str, str | None]] = Counter()
        if x.letter:
            dossier.append(("ApplicationLetterSubmitted", by("dossiers", "submit_application_letter")))
        if x.transferred:
            dossier.append(("DossierTransferred", by("dossiers", "transfer")))
        if x.declared:
            dossier += [("PersonalHistoryDeclared", by("dossiers", "declare_personal_history")),
                        ("QualificationsDeclared", by("dossiers", "declare_personal_history")),
                        ("IntroductionsRecorded", by("dossiers", "record_introductions")),
                        ("RulesChecked", by("dossiers", "record_introductions")),
                        ("OpinionsRecorded", by("dossiers", "record_opinions"))]
            verification.update({("VerificationOpened", None): 1, ("SubjectDetailsNoted", None): 1})
            subjects = verification_subjects(d)
            for subject, member_record in subjects:
                if member_record:
                    verification[("MemberRecordCrossChecked", by("verification", "close_by_member_record"))] += 1
                    verification[("VerificationReplyRecorded", by("verification", "close_by_member_record"))] += 1
                else:
                    verification[("VerificationRequestSent", by("verification", "send_request"))] += 1
            replies = sum(1 for _, member_record in subjects if not member_record) - (0 if x.all_replied else 1)
            verification[("VerificationReplyRecorded", by("verification", "record_reply"))] += replies
        if x.certified:
            verification[("HistoryCertified", by("verification", "certify_history"))] += 1
            dossier.append(("PersonalHistoryCertified", None))
        if x.suspended:
            dossier.append(("DossierSuspended", by("dossiers", "suspend")))
        if x.withdrawn:
            dossier.append(("DossierWithdrawn", by("dossiers", "withdraw")))
        if d.refusal:
            dossier.append(("DossierRejected", by("dossiers", "reject")))
        elif x.ready:
            dossier += [("RulesChecked", by("dossiers", "mark_ready_for_cell_vote")),
                        ("ReadyForCellVote", by("dossiers", "mark_ready_for_cell_vote"))]
            voting.append(("CaseOpened", None))
        if x.meeting:
            adopted = d.path is not Path.REJECTED_CELL_VOTE
            voting += [("VoteHeld", by("voting", "record_cell_resolution")),
                       ("CellResolutionAdopted" if adopted else "CellResolutionNotAdopted", by("voting", "record_cell_resolution"))]
            dossier.append(("CellResolutionRecorded", None))
            if not adopted:
                dossier.append(("DossierRejected", None))
                voting.append(("CaseClosed", None))
        if x.appraised:
            voting.append(("PartialCommitteeAppraised", by("voting", "record_appraisal")))
        if x.grassroots:
            voting += [("VoteHeld", by("voting", "record_grassroots_resolution")),
                       ("GrassrootsResolutionAdopted", by("voting", "record_grassroots_resolution"))]
        if x.decided:
            decide = by("voting", "decide_admission")
            if d.decided_by and self.tree.kind(d.decided_by) == "grassroots_committee":
                voting.append(("VoteHeld", decide))
            voting += [("AuthorityChecked", decide), ("AdmissionDecided", decide),
                       ("CellNotified", by("voting", "record_cell_notified"))]
            dossier += [("AdmissionDecisionRecorded", None), ("DecisionReceivedByCell", None)]
        if x.ceremony:
            dossier += [("CeremonyHeld", by("dossiers", "record_ceremony")), ("RulesChecked", by("dossiers", "record_ceremony"))]
            voting.append(("CeremonyRecorded", None))
            if x.history_filed:
                dossier.append(("MemberHistoryFiled", by("dossiers", "file_member_history")))
            if d.new_member:
                dossier.append(("NewMemberClassCompleted", by("dossiers", "record_new_member_class")))
        if x.papers:
            papers = by("dossiers", "record_recognition_papers")
            dossier += [("RecognitionPapersRecorded", papers), ("RulesChecked", papers), ("RecognitionPapersCompleted", papers)]
            voting.append(("RecognitionPapersRecorded", None))
        vote = by("voting", "record_recognition_cell_resolution")
        for attempt, _ in enumerate(x.recognition_votes, start=1):
            if d.path is Path.RECOGNISED:
                voting += [("VoteHeld", vote), ("RecognitionResolutionAdopted", vote)]
            else:
                voting += [("VoteHeld", vote), ("RecognitionVoteFailed", vote)]
                if attempt == 3:
                    voting.append(("RecognitionEscalated", vote))
                    dossier.append(("RecognitionEscalationRecorded", None))
        if x.recognition_grassroots:
            grassroots = by("voting", "record_recognition_grassroots_resolution")
            outcome = "RecognitionResolutionAdopted" if d.path is Path.RECOGNISED else "RecognitionResolutionRejected"
            voting += [("VoteHeld", grassroots), (outcome, grassroots)]
        for day, command, event, mirrored in ((x.recognised, "decide_recognition", "RecognitionDecided", "BecameOfficialMember"),
                                              (x.name_removed, "decide_name_removal", "NameRemovalDecided", "NameRemoved")):
            if day:
                decide = by("voting", command)
                if d.recognised_by and self.tree.kind(d.recognised_by) == "grassroots_committee":
                    voting.append(("VoteHeld", decide))
                voting += [("AuthorityChecked", decide), (event, decide)]
                dossier.append((mirrored, None))
        return {"dossier": dossier, "verification": dict(verification), "voting": voting}


def verification_subjects(d: DossierPlan) -> list[tuple[str, bool]]:
    """The subjects verification opens for the declared history (docs/verification.md), and whether
    each is closed against a relative's member file."""
    a = d.applicant
    found = [("applicant", False)]
    for r in a.relatives:
        if r.relation == "child" and not r.adult_with_full_capacity:
            continue
        found.append((r.relation, r.is_party_member and r.fully_declared and r.member_citizen_id is not None))
    if a.religion.strip().casefold() not in ("", "không"):
        found.append(("applicant:religious", False))
    if a.private_business_owner:
        found.append(("applicant:private_business_owner", False))
    return found


def categories(d: DossierPlan, decided_on: date) -> dict[str, str]:
    a = d.applicant
    age = full_years(a.birth_date, decided_on)
    band = next((label for label, low, high in AGE_BANDS if low <= age <= high), "<18")
    religion = a.religion.casefold()
    return {
        "gender": a.gender,
        "ethnic_minority": "no" if a.ethnicity.casefold() == "kinh" else "yes",
        "religion": "none" if religion == "không" else religion,
        "youth_union": "yes" if a.youth_union_member else "no",
        "occupation": a.occupation.casefold(),
        "age_band": band,
        "general_education": a.general_education,
        "professional_qualification": a.professional_qualification,
    }


def periods(on: date) -> Iterable[Period]:
    """Every year from the reform to the report day, and the two congress terms around it."""
    yield from (year(y) for y in range(2025, on.year + 1))
    yield term(2020, 2025)
    yield term(2025, 2030)
