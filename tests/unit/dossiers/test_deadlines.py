"""Each dossier knows its open deadlines and their due dates, in Vietnamese working days."""

from __future__ import annotations

from datetime import date, timedelta

from ketnap.domain.calendar import add_months, is_working_day, working_days_between
from ketnap.services.dossiers.deadlines import open_deadlines
from ketnap.services.dossiers.queries import summary
from tests.unit.dossiers import builders as b
from tests.unit.dossiers.builders import TODAY


def by_name(dossier) -> dict:  # noqa: ANN001
    return {d.name: d for d in open_deadlines(dossier)}


def _weekdays_after(start: date, n: int) -> date:
    day = start
    while n:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def test_no_deadline_runs_while_the_papers_are_gathered() -> None:
    assert open_deadlines(b.prepared()) == [] and open_deadlines(b.ready()) == []


def test_the_decision_is_due_60_working_days_after_the_cell_resolution_skipping_tet() -> None:
    # Resolution 10/02/2026, a week before Tết Bính Ngọ: the days off push the due date back.
    deadline = by_name(b.resolved())["admission_decision"]
    assert deadline.rule == "DECISION_60WD" and deadline.starts_on == b.MEETING_ON
    assert working_days_between(b.MEETING_ON, deadline.due_on) == 60 and is_working_day(deadline.due_on)
    assert deadline.due_on > _weekdays_after(b.MEETING_ON, 60)
    # By hand: 60 weekdays after 10/02 end on 05/05; eight of them are days off (16-20/02 Tết,
    # 27/04 Giỗ Tổ moved from Sunday, 30/04, 01/05), so eight more weekdays: 15/05/2026.
    assert deadline.due_on == date(2026, 5, 15)


def test_an_extension_moves_the_decision_deadline_by_its_working_days() -> None:
    dossier = b.resolved()
    before = by_name(dossier)["admission_decision"].due_on
    dossier.then(dossier.on_decision_deadline_extended(by_working_days=30, decided_by="DU-HT", on=date(2026, 5, 1)))
    after = by_name(dossier)["admission_decision"].due_on
    assert working_days_between(before, after) == 30


def test_the_decision_closes_its_deadline_and_the_cell_receiving_it_opens_the_ceremonys() -> None:
    assert by_name(b.decided()) == {}
    deadline = by_name(b.received())["ceremony"]
    assert deadline.rule == "CEREMONY_30WD" and working_days_between(b.RECEIVED_ON, deadline.due_on) == 30


def test_after_the_ceremony_the_member_history_and_the_recognition_vote_are_due() -> None:
    deadlines = by_name(b.in_probation())
    assert set(deadlines) == {"member_history", "recognition_vote"}
    assert working_days_between(b.CEREMONY_ON, deadlines["member_history"].due_on) == 30
    recognition = deadlines["recognition_vote"]
    assert recognition.starts_on == add_months(b.CEREMONY_ON, 12)
    assert working_days_between(recognition.starts_on, recognition.due_on) == 30


def test_filing_the_member_history_closes_its_deadline() -> None:
    dossier = b.in_probation()
    dossier.then(dossier.file_member_history(filed_on=date(2026, 5, 4), today=TODAY))
    assert set(by_name(dossier)) == {"recognition_vote"}


def test_an_ended_dossier_has_no_open_deadline() -> None:
    dossier = b.resolved()
    dossier.then(dossier.on_admission_refused(decided_by="DU-HT", decision_date=date(2026, 3, 2), reason="x"))
    assert open_deadlines(dossier) == []


def test_the_query_says_what_is_overdue_and_how_many_working_days_are_left() -> None:
    dossier = b.received()
    due = by_name(dossier)["ceremony"].due_on
    on_time = summary(dossier, due)["open_deadlines"][0]
    assert (on_time["overdue"], on_time["working_days_left"]) == (False, 0)
    late = summary(dossier, due + timedelta(days=1))["open_deadlines"][0]
    assert late["overdue"] is True
    early = summary(dossier, b.RECEIVED_ON)["open_deadlines"][0]
    assert early["working_days_left"] == 30 and early["due_on"] == due.isoformat()
