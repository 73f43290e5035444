"""A history verified and certified on paper, taken over (issue 18): the certification stands for the
replies the paper holds, is judged on its date like a certification (NO_RULE_SET), and is refused
where a live certification would be (a disqualifying finding on record, a reply after it)."""

from __future__ import annotations

from datetime import date

import pytest

from ketnap.platform.commands import Conflict, InvalidInput, RuleViolation
from ketnap.services.verification.case import PAPER_NOTE
from tests.unit.verification.test_case import do, family_case, reply, request

CERTIFIED = date(2025, 10, 1)


def test_every_subject_without_a_reply_is_recorded_clear_and_the_history_certified() -> None:
    case = family_case()
    request(case, "f")
    reply(case, "f")
    missing = set(case.missing_replies())
    events = do(case, case.take_over_certification(certified_by="DU-01", certified_on=CERTIFIED))
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "HistoryTakenOverFromPaper" and kinds[-1] == "HistoryCertified"
    replies = [e for e in events if type(e).__name__ == "VerificationReplyRecorded"]
    assert {e.subject_id for e in replies} == missing and "f" not in missing and {e.note for e in replies} == {PAPER_NOTE}
    assert case.status == "certified" and not case.missing_replies()
    view = case.view()
    assert view["taken_over_from_paper"]["certified_on"] == "2025-10-01"
    assert case.take_over_certification(certified_by="DU-01", certified_on=CERTIFIED) == []  # the same take-over again
    with pytest.raises(Conflict):
        case.take_over_certification(certified_by="DU-01", certified_on=date(2025, 10, 2))


def test_NO_RULE_SET_a_paper_certification_before_every_rule_set_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        family_case().take_over_certification(certified_by="DU-01", certified_on=date(2011, 10, 31))
    assert refused.value.rule == "NO_RULE_SET"


def test_a_disqualifying_finding_or_a_later_reply_refuses_it() -> None:
    blocked = family_case()
    request(blocked, "f")
    reply(blocked, "f", "disqualifying", "Vi phạm")
    with pytest.raises(Conflict):
        blocked.take_over_certification(certified_by="DU-01", certified_on=CERTIFIED)
    later = family_case()
    request(later, "f")
    reply(later, "f", replied_on=date(2025, 10, 5))
    with pytest.raises(InvalidInput):
        later.take_over_certification(certified_by="DU-01", certified_on=CERTIFIED)
