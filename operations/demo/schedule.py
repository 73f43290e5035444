"""The dates of one dossier: every act on a working day, in the order and within the time limits the
services enforce (domain.md §2), placed so that the act the dossier stops at lies a chosen number of
days before the plan's reference day. Probation is 12 months, so a recognised member's dossier
starts some 16 months before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from enum import StrEnum

from ketnap.domain.calendar import add_months, is_working_day


class Path(StrEnum):
    """Where a dossier of the plan ends up."""

    SOURCE_LIST = "source_list"
    APPLICATION = "application"
    VERIFICATION = "verification"
    """Awaiting verification: requests sent, one reply still missing."""
    SUSPENDED = "suspended"
    """Để lại sưu tra while being verified."""
    WITHDRAWN = "withdrawn"
    READY = "ready"
    """Made ready for a cell meeting planned after the reference day."""
    REJECTED_AGE_MIN = "rejected_age_min"
    REJECTED_EDU_MIN = "rejected_edu_min"
    REJECTED_CLASS_VALID = "rejected_class_valid"
    """Refused by the service with the rule code when made ready, then rejected with that rule."""
    REJECTED_CELL_VOTE = "rejected_cell_vote"
    """The cell's resolution is not adopted (CELL_2_3)."""
    AWAITING_DECISION = "awaiting_decision"
    AWAITING_CEREMONY = "awaiting_ceremony"
    PROBATION = "probation"
    """Admitted: ceremony held, in probation."""
    RECOGNITION = "recognition"
    """Recognition papers complete, the cell has not voted yet."""
    RECOGNISED = "recognised"
    FAILED_RECOGNITION = "failed_recognition"
    """Three failed recognition votes, escalated, the committee above against, name removed."""

    @property
    def refusal(self) -> str | None:
        """The rule the service refuses the cell vote with, for the rejected-by-rule paths."""
        return {
            Path.REJECTED_AGE_MIN: "AGE_MIN", Path.REJECTED_EDU_MIN: "EDU_MIN", Path.REJECTED_CLASS_VALID: "CLASS_VALID",
        }.get(self)


ADMITTED = frozenset({Path.AWAITING_CEREMONY, Path.PROBATION, Path.RECOGNITION, Path.RECOGNISED, Path.FAILED_RECOGNITION})
VOTED = ADMITTED | {Path.AWAITING_DECISION, Path.REJECTED_CELL_VOTE}
CERTIFIED = VOTED | {Path.READY, Path.REJECTED_AGE_MIN, Path.REJECTED_EDU_MIN, Path.REJECTED_CLASS_VALID}
DECLARED = CERTIFIED | {Path.VERIFICATION, Path.SUSPENDED, Path.WITHDRAWN}
WITH_LETTER = DECLARED | {Path.APPLICATION}
IN_PROBATION = {Path.PROBATION, Path.RECOGNITION, Path.RECOGNISED, Path.FAILED_RECOGNITION}
AFTER_PAPERS = {Path.RECOGNITION, Path.RECOGNISED, Path.FAILED_RECOGNITION}


def working(d: date) -> date:
    """The day itself if people work then, else the next working day."""
    while not is_working_day(d):
        d += timedelta(days=1)
    return d


def later(d: date, days: int) -> date:
    return working(d + timedelta(days=days))


@dataclass(frozen=True)
class Dates:
    """What happened to one dossier and when; None for what did not (yet) happen."""

    opened: date
    letter: date | None = None
    transferred: date | None = None
    declared: date | None = None
    introduced: date | None = None
    opinions: date | None = None
    requested: date | None = None
    replied: date | None = None
    all_replied: bool = True
    certified: date | None = None
    suspended: date | None = None
    withdrawn: date | None = None
    ready: date | None = None
    planned_meeting: date | None = None
    """The cell meeting the dossier is made ready for: the rules of the cell vote are judged on it."""
    meeting: date | None = None
    """The cell meeting held (the planned one)."""
    rejected: date | None = None
    appraised: date | None = None
    grassroots: date | None = None
    decided: date | None = None
    notified: date | None = None
    ceremony: date | None = None
    history_filed: date | None = None
    papers: date | None = None
    recognition_votes: tuple[date, ...] = field(default=())
    recognition_grassroots: date | None = None
    recognised: date | None = None
    name_removed: date | None = None

    def last(self) -> date:
        """The latest date of an act of the dossier (a planned meeting is not an act yet)."""
        days = [getattr(self, f.name) for f in fields(self) if isinstance(getattr(self, f.name), date) and f.name != "planned_meeting"]
        return max([*days, *self.recognition_votes])


@dataclass(frozen=True)
class Shape:
    """What the dossier's cell needs on its way: a partial committee's appraisal, a grassroots
    committee's vote (not when it decides itself, nor for a grassroots cell), a transfer."""

    path: Path
    transfer: bool = False
    appraisal: bool = False
    grassroots_vote: bool = False
    recognition_grassroots_vote: bool = False
    file_history: bool = True


def forward(shape: Shape, opened: date, reference: date) -> Dates:
    """Every date from the opening on, as far as the path goes."""
    path = shape.path
    d = Dates(opened=working(opened))
    if path is Path.SOURCE_LIST:
        return d
    d = replace(d, letter=later(d.opened, 10))
    if shape.transfer:
        d = replace(d, transferred=later(d.letter, 8))
    if path is Path.APPLICATION:
        return d
    declared = later(d.transferred or d.letter, 7)
    requested = later(declared, 2)
    d = replace(
        d, declared=declared, introduced=later(declared, 4), opinions=later(declared, 9), requested=requested,
        replied=later(requested, 18),
    )
    if path in (Path.VERIFICATION, Path.SUSPENDED, Path.WITHDRAWN):
        d = replace(d, all_replied=False)
        if path is Path.SUSPENDED:
            d = replace(d, suspended=later(d.replied, 5))
        if path is Path.WITHDRAWN:
            d = replace(d, withdrawn=later(d.replied, 6))
        return d
    assert d.replied and d.introduced and d.opinions
    certified = later(d.replied, 4)
    ready = later(max(certified, d.introduced, d.opinions), 3)
    d = replace(d, certified=certified, ready=ready, planned_meeting=later(ready, 5))
    if path is Path.READY:
        return replace(d, planned_meeting=later(reference, 7))
    if path.refusal:
        return replace(d, rejected=ready)
    assert d.planned_meeting
    d = replace(d, meeting=d.planned_meeting)
    if path is Path.REJECTED_CELL_VOTE:
        return replace(d, rejected=d.meeting)
    last = d.planned_meeting
    if shape.appraisal:
        last = later(last, 4)
        d = replace(d, appraised=last)
    if shape.grassroots_vote:
        last = later(last, 7)
        d = replace(d, grassroots=last)
    if path is Path.AWAITING_DECISION:
        return d
    decided = later(last, 12)
    d = replace(d, decided=decided, notified=later(decided, 3))
    if path is Path.AWAITING_CEREMONY:
        return d
    assert d.notified
    ceremony = later(d.notified, 10)
    d = replace(d, ceremony=ceremony, history_filed=later(ceremony, 15) if shape.file_history else None)
    if path is Path.PROBATION:
        return d
    papers = later(add_months(ceremony, 12), 3)
    d = replace(d, papers=papers)
    if path is Path.RECOGNITION:
        return d
    first = later(papers, 4)
    if path is Path.RECOGNISED:
        grassroots = later(first, 6) if shape.recognition_grassroots_vote else None
        return replace(d, recognition_votes=(first,), recognition_grassroots=grassroots, recognised=later(grassroots or first, 8))
    second = later(first, 7)
    third = later(second, 7)
    grassroots = later(third, 6) if shape.recognition_grassroots_vote else None
    return replace(
        d, recognition_votes=(first, second, third), recognition_grassroots=grassroots, name_removed=later(grassroots or third, 8)
    )


def anchor(path: Path, d: Dates) -> date:
    """The act the dossier stops at, the one placed before the reference day."""
    if path is Path.READY:
        assert d.ready
        return d.ready
    if path is Path.PROBATION:
        assert d.ceremony
        return d.ceremony
    return d.last()


def place(shape: Shape, days_before: int, reference: date) -> Dates:
    """The dates of a dossier whose stopping act lies about `days_before` days before `reference`,
    every act in the past (the planned meeting of a dossier made ready aside)."""
    target = working(reference - timedelta(days=days_before))
    while target >= reference:
        target = working(target - timedelta(days=3))
    opened = target
    for _ in range(12):
        found = forward(shape, opened, reference)
        gap = (anchor(shape.path, found) - target).days
        if -5 <= gap <= 0:
            break
        opened -= timedelta(days=gap if gap > 0 else gap // 2)
    found = forward(shape, opened, reference)
    # Acts after the stopping one (the member history) only happen if they are in the past.
    if found.history_filed and found.history_filed >= reference:
        found = replace(found, history_filed=None)
    return found
