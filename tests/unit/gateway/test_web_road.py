"""The dossier's road as a task list, from what the services answer."""

from __future__ import annotations

from ketnap.services.gateway.web.road import ROAD, Status, road


def _statuses(dossier: dict, voting: dict | None = None) -> dict[str, Status]:
    return {s.key: s.status for s in road(dossier, voting)}


OPENED = {"step": "source_list", "opened_on": "2025-09-01", "as_of": "2025-09-20", "papers": {"opinions": []}}


def test_a_new_dossier_has_its_first_step_done_and_the_papers_to_gather() -> None:
    statuses = _statuses(OPENED)
    assert list(statuses) == [key for key, _ in ROAD]
    assert statuses["source_list"] is Status.DONE
    assert statuses["class"] is Status.CURRENT and statuses["letter"] is Status.NOT_STARTED
    assert statuses["history"] is Status.CANNOT_START  # no letter yet
    assert statuses["decision"] is Status.CANNOT_START


def test_a_dossier_awaiting_the_decision_shows_its_deadline_in_working_days() -> None:
    dossier = {
        **OPENED, "step": "awaiting_decision",
        "papers": {"class_certificate": {"issued_on": "2025-09-02"}, "application_letter_on": "2025-09-03",
                   "personal_history": {"declared_on": "2025-09-04", "certified_on": "2025-09-10", "certification_current": True},
                   "introductions": {"introducers": [{"introduced_on": "2025-09-05"}]}, "opinions": [{"given_on": "2025-09-06"}]},
        "cell_vote": {"ready_on": "2025-09-11", "resolution": {"adopted": True, "meeting_on": "2025-09-15"}},
        "open_deadlines": [{"name": "admission_decision", "rule": "DECISION_60WD", "label": "Quyết định kết nạp", "due_on": "2025-12-09",
                            "working_days_left": 55, "overdue": False}],
    }
    steps = {s.key: s for s in road(dossier, {"grassroots_resolution": {"outcome": "adopted", "meeting_on": "2025-09-25"}})}
    assert all(steps[k].status is Status.DONE for k in ("class", "letter", "history", "introductions", "opinions", "verification",
                                                        "cell_resolution", "committee_resolution"))
    assert steps["cell_resolution"].done_on.isoformat() == "2025-09-15"
    assert steps["decision"].status is Status.CURRENT
    assert steps["decision"].deadline and steps["decision"].deadline.working_days_left == 55
    assert steps["decision"].deadline.rule == "DECISION_60WD"


def test_a_withdrawn_dossier_did_not_reach_its_later_steps() -> None:
    statuses = _statuses({**OPENED, "step": "withdrawn", "closed": True})
    assert statuses["source_list"] is Status.DONE and statuses["class"] is Status.NOT_REACHED
