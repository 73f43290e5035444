"""The demo plan: a deterministic, realistic organisation and N applicants, each with the path their
dossier takes and the day of every act, consistent with the plan's reference day (today).

`build_plan(applicants, reference)` gives the same plan for the same arguments: the driver derives
its idempotency keys from it (a rerun continues, never doubles) and `expected` derives the figures
every report must show. Nothing here touches the system.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cached_property

from ketnap.domain.calendar import add_months, add_working_days, today_in_vietnam
from ketnap.operations.demo import organisation as org
from ketnap.operations.demo.applicants import Applicant, make_applicant
from ketnap.operations.demo.people import People
from ketnap.operations.demo.schedule import Dates, Path, Shape, place, working
from ketnap.operations.demo.tree import Authorisation, Dissolution, Move, OrganisationTree, Unit

DEMO_APPLICANTS = 12
"""`ketnap demo` loads this many; the end-to-end test 50."""
SEED = "ketnap-demo"
_NAMESPACE = uuid.UUID("8a3c2f6e-41d7-4b4e-9b1a-6d2e0c7f5a93")

P = Path
ENTRIES: tuple[tuple[Path, str, str | None], ...] = (
    # (path, cell, cell the dossier is transferred to). The first twelve are the demo's.
    (P.RECOGNISED, "CB-HT-BN", None), (P.PROBATION, "CB-THPT-TN", None), (P.FAILED_RECOGNITION, "CB-HT-NT", None),
    (P.REJECTED_AGE_MIN, "CB-THPT-XH", None), (P.WITHDRAWN, "CB-DD-K3", None), (P.PROBATION, "CB-DD-K1", "CB-HT-BN"),
    (P.VERIFICATION, "CB-MS-NC", None), (P.AWAITING_DECISION, "CB-DD-K3", None), (P.REJECTED_EDU_MIN, "CB-HT-NT", None),
    (P.REJECTED_CLASS_VALID, "CS-YT-CL", None), (P.RECOGNISED, "CB-XM-LN", None), (P.AWAITING_CEREMONY, "CB-MS-KC", None),
    (P.RECOGNISED, "CB-MS-KC", None), (P.RECOGNISED, "CB-THPT-XH", None), (P.RECOGNISED, "CS-YT-CL", None),
    (P.RECOGNISED, "CB-XM-VP", None), (P.RECOGNISED, "CB-DD-K1", None), (P.RECOGNISED, "CS-THCS-BS", None),
    (P.RECOGNISED, "CB-XM-CK", None), (P.RECOGNISED, "CB-HT-NT", None), (P.PROBATION, "CB-MS-NC", None),
    (P.PROBATION, "CB-DD-K3", None), (P.PROBATION, "CB-XM-LN", None), (P.PROBATION, "CS-YT-CL", None),
    (P.PROBATION, "CB-HT-BN", None), (P.PROBATION, "CB-THPT-TN", None), (P.RECOGNITION, "CB-XM-VP", None),
    (P.RECOGNITION, "CB-DD-K1", None), (P.FAILED_RECOGNITION, "CS-YT-CL", None), (P.AWAITING_CEREMONY, "CB-XM-CK", None),
    (P.REJECTED_CELL_VOTE, "CB-THPT-TN", None), (P.REJECTED_AGE_MIN, "CS-THCS-BS", None), (P.WITHDRAWN, "CB-HT-BN", None),
    (P.WITHDRAWN, "CB-XM-LN", None), (P.AWAITING_DECISION, "CB-THPT-XH", "CB-MS-NC"), (P.RECOGNISED, "CB-MS-KC", "CB-XM-VP"),
    (P.SUSPENDED, "CB-DD-K1", None), (P.SOURCE_LIST, "CB-HT-NT", None), (P.SOURCE_LIST, "CB-XM-CK", None),
    (P.APPLICATION, "CS-THCS-BS", None), (P.APPLICATION, "CB-DD-K3", None), (P.VERIFICATION, "CB-THPT-TN", None),
    (P.VERIFICATION, "CB-XM-VP", None), (P.VERIFICATION, "CB-HT-BN", None), (P.READY, "CB-MS-KC", None),
    (P.READY, "CB-XM-LN", None), (P.AWAITING_DECISION, "CS-THCS-BS", None), (P.AWAITING_DECISION, "CB-XM-CK", None),
    (P.PROBATION, "CB-THPT-XH", None), (P.REJECTED_EDU_MIN, "CB-DD-K1", None),
)
REPEAT_FROM = 12
"""Plans beyond the list repeat its entries from here (the demo's twelve are each kind once or twice)."""
PRIMARY_WITH_EXEMPTION = 13
"""Dossier number of the mountain applicant with primary education only, admitted under EDU_AREA."""

DAYS_BEFORE: dict[Path, tuple[int, ...]] = {
    # How long before the reference day each occurrence of a path stops: spread, some overdue.
    P.SOURCE_LIST: (12, 35), P.APPLICATION: (8, 26), P.VERIFICATION: (6, 15, 28, 40), P.SUSPENDED: (20,),
    P.WITHDRAWN: (45, 110, 170), P.READY: (4, 9), P.REJECTED_AGE_MIN: (60, 130), P.REJECTED_EDU_MIN: (75, 150),
    P.REJECTED_CLASS_VALID: (95,), P.REJECTED_CELL_VOTE: (55,), P.AWAITING_DECISION: (130, 20, 35, 12),
    P.AWAITING_CEREMONY: (9, 16), P.PROBATION: (200, 90, 300, 60, 150, 240, 30, 120, 270), P.RECOGNITION: (14, 50),
    P.RECOGNISED: (20, 60, 8, 35, 75, 15, 45, 90, 28, 52, 100), P.FAILED_RECOGNITION: (25, 12),
}
NO_MEMBER_HISTORY = (P.PROBATION, 3)
"""The fourth dossier in probation has not filed the member history: an overdue deadline to report."""


@dataclass(frozen=True)
class Introducer:
    citizen_id: str
    full_name: str
    acquainted_since: date


@dataclass(frozen=True)
class Certificate:
    class_id: str
    number: str
    issued_on: date
    issued_by: str


@dataclass(frozen=True)
class ClassHeld:
    class_id: str
    kind: str
    """`awareness` (nhận thức về Đảng) or `new_member` (đảng viên mới)."""
    organiser: str
    title: str
    start: date
    end: date
    attendees: tuple[tuple[str, str], ...]
    """(citizen id, full name)"""
    certificates: tuple[tuple[str, str], ...]
    """(citizen id, certificate number), issued on the last day."""


@dataclass(frozen=True)
class DossierPlan:
    number: int
    dossier_id: str
    path: Path
    applicant: Applicant
    cell: str
    """The cell that opens the dossier."""
    to_cell: str | None
    """The cell it is transferred to (with the person), if any."""
    helper: str
    """Citizen id of the official member helping the applicant on the source list."""
    ceremony_helper: str
    """Citizen id of the official member assigned at the ceremony, in the cell holding the dossier then."""
    introducers: tuple[Introducer, ...]
    union_resolution: str | None
    """Number of the youth union's resolution introducing the applicant (with one introducer)."""
    dates: Dates
    shape: Shape
    awareness: Certificate
    new_member: Certificate | None = None
    decided_by: str | None = None
    """The committee deciding the admission (competent on the decision day)."""
    decision_number: str | None = None
    recognised_by: str | None = None
    """The committee deciding the recognition, or the removal of the name after failed votes."""
    recognition_number: str | None = None

    @property
    def label(self) -> str:
        return f"hồ sơ số {self.number}"

    @property
    def voting_cell(self) -> str:
        """The cell that holds the dossier from its history on (after a transfer, the new one)."""
        return self.to_cell or self.cell

    def cell_on(self, day: date) -> str:
        if self.to_cell and self.dates.transferred and day >= self.dates.transferred:
            return self.to_cell
        return self.cell

    @property
    def refusal(self) -> str | None:
        return self.path.refusal

    @property
    def final_step(self) -> str:
        """The dossier's step (dossiers.query.dossier) once the plan has been driven."""
        return {
            P.SOURCE_LIST: "source_list", P.APPLICATION: "application", P.VERIFICATION: "verification",
            P.SUSPENDED: "verification", P.WITHDRAWN: "withdrawn", P.READY: "ready_for_cell_vote",
            P.REJECTED_AGE_MIN: "rejected", P.REJECTED_EDU_MIN: "rejected", P.REJECTED_CLASS_VALID: "rejected",
            P.REJECTED_CELL_VOTE: "rejected", P.AWAITING_DECISION: "awaiting_decision",
            P.AWAITING_CEREMONY: "awaiting_ceremony", P.PROBATION: "probation", P.RECOGNITION: "recognition",
            P.RECOGNISED: "official", P.FAILED_RECOGNITION: "name_removed",
        }[self.path]

    @property
    def rejection_rule(self) -> str | None:
        if self.path is P.REJECTED_CELL_VOTE:
            return "CELL_2_3"
        return self.refusal


@dataclass(frozen=True)
class Plan:
    seed: str
    reference: date
    """The day the plan is made for: every act lies before it."""
    units: tuple[Unit, ...]
    moves: tuple[Move, ...]
    dissolutions: tuple[Dissolution, ...]
    authorisations: tuple[Authorisation, ...]
    members: tuple[org.Member, ...]
    seats: tuple[org.Seat, ...]
    status_changes: tuple[org.StatusChange, ...]
    member_transfers: tuple[org.MemberTransfer, ...]
    localities: tuple[org.Locality, ...]
    quotas: tuple[org.Quota, ...]
    classes: tuple[ClassHeld, ...]
    dossiers: tuple[DossierPlan, ...]
    province: str = org.PROVINCE
    communes: tuple[str, ...] = field(default=org.COMMUNES)

    @cached_property
    def tree(self) -> OrganisationTree:
        return OrganisationTree(self.units, self.moves, self.dissolutions, self.authorisations)

    def key(self, *parts: object) -> str:
        """The idempotency key of one act of the plan: the same act, the same key, on every run."""
        return ":".join(["demo", self.seed, *(str(p) for p in parts)])


def dossier_id(seed: str, number: int) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{seed}:dossier:{number}"))


def entries(count: int) -> list[tuple[Path, str, str | None]]:
    found = list(ENTRIES[:count])
    while len(found) < count:
        found.append(ENTRIES[REPEAT_FROM + (len(found) - len(ENTRIES)) % (len(ENTRIES) - REPEAT_FROM)])
    return found


def build_plan(applicants: int = DEMO_APPLICANTS, reference: date | None = None, *, seed: str = SEED) -> Plan:
    """The plan of `applicants` dossiers as of `reference` (today in Vietnam by default)."""
    reference = reference or today_in_vietnam()
    if reference < date(2026, 9, 1):
        raise ValueError("Kế hoạch mẫu cần ngày tham chiếu từ 01/09/2026 (đủ 12 tháng dự bị sau khi cấp xã quyết định kết nạp).")
    people = People(seed)
    tree = org.tree()
    roll = org.members(people)
    status = org.status_changes(roll)
    exempted = {s.citizen_id for s in status}
    eligible = {
        cell: [m for m in roll if m.cell == cell and m.person.citizen_id not in exempted] for cell in org.MEMBERS_PER_CELL
    }
    dossiers: list[DossierPlan] = []
    seen: dict[Path, int] = {}
    for number, (path, cell, to_cell) in enumerate(entries(applicants), start=1):
        occurrence = seen.get(path, 0)
        seen[path] = occurrence + 1
        dates, shape = _schedule(tree, path, cell, to_cell, occurrence, reference)
        voting_cell = to_cell or cell
        meeting = dates.planned_meeting or dates.ready or dates.declared or dates.opened
        commune = tree.upper_on(voting_cell, max(meeting, org.REFORM_DAY))
        fathers = [m for m in roll if m.cell != org.EMPTIED_CELL and tree.upper_on(m.cell, org.REFORM_DAY) == commune]
        applicant = make_applicant(
            people, occurrence=number, path=path, cell=voting_cell, commune=commune, meeting=meeting,
            ethnicities=org.ETHNICITIES[tree.grassroots_on(voting_cell, org.REFORM_DAY)], fathers=fathers,
            primary_with_exemption=number == PRIMARY_WITH_EXEMPTION,
        )
        members = eligible[cell]
        helper = members[number % len(members)]
        introduced_in = eligible[voting_cell]
        first = introduced_in[number % len(introduced_in)]
        second = introduced_in[(number + 1) % len(introduced_in)]
        young = applicant.youth_union_member and meeting.year - applicant.birth_date.year <= 25
        chosen = (first,) if young else (first, second)
        introduced = dates.introduced or dates.opened
        introducers = tuple(
            Introducer(m.person.citizen_id, m.person.full_name, add_months(introduced, -(20 + (number * 7 + i * 11) % 48)))
            for i, m in enumerate(chosen)
        )
        dossiers.append(DossierPlan(
            number=number, dossier_id=dossier_id(seed, number), path=path, applicant=applicant, cell=cell, to_cell=to_cell,
            helper=helper.person.citizen_id, ceremony_helper=first.person.citizen_id, introducers=introducers,
            union_resolution=f"{number:02d}-NQ/ĐTN" if young else None, dates=dates, shape=shape,
            awareness=Certificate("", "", dates.opened, ""),
        ))
    dossiers = _decision_numbers(tree, dossiers)
    dossiers, classes = _classes(tree, people, dossiers, reference)
    return Plan(
        seed=seed, reference=reference, units=org.UNITS, moves=org.MOVES, dissolutions=org.DISSOLUTIONS,
        authorisations=org.AUTHORISATIONS, members=roll, seats=org.committee_seats(roll), status_changes=status,
        member_transfers=org.member_transfers(roll, reference), localities=org.LOCALITIES, quotas=org.quotas(reference),
        classes=tuple(classes), dossiers=tuple(dossiers),
    )


def _schedule(
    tree: OrganisationTree, path: Path, cell: str, to_cell: str | None, occurrence: int, reference: date
) -> tuple[Dates, Shape]:
    """The dates, with the steps the cell's place in the tree needs on those dates (the cement
    company's committee decides by itself only from its authorisation on)."""
    gaps = DAYS_BEFORE[path]
    days_before = gaps[occurrence % len(gaps)] + 7 * (occurrence // len(gaps))
    voting_cell = to_cell or cell
    shape = Shape(path, transfer=to_cell is not None, file_history=(path, occurrence) != NO_MEMBER_HISTORY)
    dates = place(shape, days_before, reference)
    for _ in range(3):
        meeting = dates.meeting or reference
        decided = dates.decided or meeting
        recognised = dates.recognition_votes[0] if dates.recognition_votes else decided
        grassroots = tree.grassroots_committee_on(voting_cell, meeting)
        needed = Shape(
            path, transfer=shape.transfer, file_history=shape.file_history,
            appraisal=tree.partial_committee_on(voting_cell, meeting) is not None,
            grassroots_vote=grassroots is not None and tree.competent_on(voting_cell, decided) != grassroots,
            recognition_grassroots_vote=grassroots is not None and (
                path is P.FAILED_RECOGNITION or tree.competent_on(voting_cell, recognised) != grassroots
            ),
        )
        if needed == shape:
            break
        shape = needed
        dates = place(shape, days_before, reference)
    return dates, shape


def _decision_numbers(tree: OrganisationTree, dossiers: list[DossierPlan]) -> list[DossierPlan]:
    """Who decides each admission, recognition and name removal (the competent committee on the
    day), and the decision numbers each committee gives in date order (số quyết định)."""
    numbered = {d.number: d for d in dossiers}
    counters: dict[tuple[str, str], int] = {}

    def number(kind: str, by: str, first: int) -> str:
        counters[(kind, by)] = counters.get((kind, by), first) + 1
        return f"{counters[(kind, by)]}-QĐ/{'HU' if by == org.DISTRICT else 'ĐU'}"

    for day, n in sorted((d.dates.decided, d.number) for d in dossiers if d.dates.decided):
        by = tree.competent_on(numbered[n].voting_cell, day)
        numbered[n] = replace(numbered[n], decided_by=by, decision_number=number("admission", by, 100))
    for day, n in sorted((d.dates.recognised, d.number) for d in dossiers if d.dates.recognised):
        by = tree.competent_on(numbered[n].voting_cell, day)
        numbered[n] = replace(numbered[n], recognised_by=by, recognition_number=number("recognition", by, 300))
    for day, n in sorted((d.dates.name_removed, d.number) for d in dossiers if d.dates.name_removed):
        numbered[n] = replace(numbered[n], recognised_by=tree.competent_on(numbered[n].voting_cell, day))
    return [numbered[d.number] for d in dossiers]


# --- classes ---------------------------------------------------------------------------------------


def awareness_slot(year: int, quarter: int) -> tuple[date, date]:
    """Lớp bồi dưỡng nhận thức về Đảng: five days in the third month of each quarter."""
    start = working(date(year, quarter * 3, 9))
    return start, add_working_days(start, 4)


def new_member_slot(year: int, quarter: int) -> tuple[date, date]:
    """Lớp bồi dưỡng đảng viên mới: three days in the second month of each quarter."""
    start = working(date(year, quarter * 3 - 1, 18))
    return start, add_working_days(start, 2)


def _slots(kind: str, first: date, last: date) -> list[tuple[date, date]]:
    make = awareness_slot if kind == "awareness" else new_member_slot
    return [make(y, q) for y in range(first.year - 1, last.year + 2) for q in (1, 2, 3, 4)]


def _classes(
    tree: OrganisationTree, people: People, dossiers: list[DossierPlan], reference: date
) -> tuple[list[DossierPlan], list[ClassHeld]]:
    """Each applicant attended the awareness class of their district or commune that ended before
    the dossier was opened (the CLASS_VALID applicant, one more than 60 months before the meeting);
    each new member the first new-member class after the ceremony."""
    groups: dict[tuple[str, str, date, date], list[DossierPlan]] = {}
    awareness_of: dict[int, tuple[str, str, date, date]] = {}
    for dossier in dossiers:
        d = dossier.dates
        if dossier.path is P.REJECTED_CLASS_VALID:
            assert d.planned_meeting
            deadline = add_months(d.planned_meeting, -61)
        else:
            deadline = d.opened - timedelta(days=10)
        start, end = max(s for s in _slots("awareness", deadline, deadline) if s[1] <= deadline)
        organiser = tree.upper_on(dossier.cell, start)
        slot = ("awareness", organiser, start, end)
        groups.setdefault(slot, []).append(dossier)
        awareness_of[dossier.number] = slot
        if dossier.dates.ceremony:
            ceremony = dossier.dates.ceremony
            until = min(reference - timedelta(days=3), (d.papers or reference) - timedelta(days=3))
            found = [s for s in _slots("new_member", ceremony, until) if s[0] >= ceremony + timedelta(days=14) and s[1] <= until]
            if found:
                start, end = min(found)
                slot = ("new_member", tree.upper_on(dossier.voting_cell, start), start, end)
                groups.setdefault(slot, []).append(dossier)
    classes: list[ClassHeld] = []
    certificates: dict[tuple[int, str], Certificate] = {}
    for (kind, organiser, start, end), members in sorted(groups.items(), key=lambda g: (g[0][2], g[0][1], g[0][0])):
        prefix = "NT" if kind == "awareness" else "DVM"
        class_id = f"{prefix}-{organiser}-{start:%Y%m}"
        issued_by = tree.name(organiser)
        attendees = [(m.applicant.citizen_id, m.applicant.full_name) for m in members]
        extras = [people.person(year=end.year - 24 - i * 3, ethnicity="Tày") for i in range(3 if kind == "awareness" else 1)]
        attendees += [(p.citizen_id, p.full_name) for p in extras]
        issued = attendees[: len(attendees) - 1] if kind == "awareness" else attendees  # one trainee did not pass
        numbers = tuple((citizen, f"{i + 1:03d}/GCN-{prefix}{start:%y%m}") for i, (citizen, _) in enumerate(issued))
        title = ("Lớp bồi dưỡng nhận thức về Đảng" if kind == "awareness" else "Lớp bồi dưỡng đảng viên mới") + f" {start:%m/%Y}"
        classes.append(ClassHeld(class_id, kind, organiser, title, start, end, tuple(attendees), numbers))
        number_of = dict(numbers)
        for member in members:
            certificates[(member.number, kind)] = Certificate(class_id, number_of[member.applicant.citizen_id], end, issued_by)
    updated = [
        replace(d, awareness=certificates[(d.number, "awareness")], new_member=certificates.get((d.number, "new_member")))
        for d in dossiers
    ]
    return updated, classes


__all__ = ["DEMO_APPLICANTS", "ClassHeld", "DossierPlan", "Path", "Plan", "build_plan"]
