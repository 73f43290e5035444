"""The verification case decides from its recorded events alone: requests, replies, cross-checks,
certification (VERIFY_COMPLETE) and the block after a disqualifying finding."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketnap.domain.rules import RuleCode, rule_set_on
from ketnap.platform.commands import Conflict, InvalidInput, NotFound, RuleViolation
from ketnap.platform.envelope import RecordedEvent
from ketnap.services.verification.case import Case, cross_check_refusal, open_case
from ketnap.services.verification.events import (
    HistoryCertified,
    MemberRecordCrossChecked,
    VerificationBlocked,
    VerificationBlockLifted,
    VerificationReplyCorrected,
    VerificationReplyRecorded,
    VerificationRequestSent,
)
from ketnap.services.verification.registry_client import Membership
from tests.unit.verification.declared import history, member, relative

SENT = date(2025, 9, 3)
REPLIED = date(2025, 9, 20)


def new_case(*relatives, **fields) -> Case:  # noqa: ANN002, ANN003
    declared = history(*relatives, **fields)
    return Case.opened(open_case(declared, rule_set_on(declared.declared_on)))


def family_case() -> Case:
    """Applicant, a father verified in the field, a mother who is a fully declared member, a foreign spouse."""
    return new_case(relative("f", "father"), member("m", "mother"), relative("s", "spouse", foreign_national=True))


def do(case: Case, events: list) -> list:  # noqa: ANN001
    case.apply_all(events)
    return events


def request(case: Case, subject_id: str, sent_on: date = SENT) -> None:
    do(case, case.send_request(subject_id, sent_to=f"UB-{subject_id}", sent_on=sent_on, sent_by="DU-01"))


def reply(case: Case, subject_id: str, finding: str = "clear", note: str | None = None, **fields) -> list:  # noqa: ANN003
    values = {"replied_on": REPLIED, "responding_organisation": f"UB-{subject_id}", "finding": finding, "note": note}
    values.update(fields)
    return do(case, case.record_reply(subject_id, **values))


def answer_everything(case: Case) -> None:
    for subject_id in case.missing_replies():
        request(case, subject_id)
        reply(case, subject_id)


class TestRequests:
    def test_a_request_records_where_when_and_by_whom(self) -> None:
        case = family_case()
        (sent,) = case.send_request("f", sent_to="UBND-XA-HT", sent_on=SENT, sent_by="DU-01")
        assert sent == VerificationRequestSent(dossier_id=case.dossier_id, subject_id="f", sent_to="UBND-XA-HT", sent_on=SENT, sent_by="DU-01")

    def test_a_request_for_an_unknown_subject_is_not_found(self) -> None:
        with pytest.raises(NotFound) as refused:
            family_case().send_request("nobody", sent_to="X", sent_on=SENT, sent_by="DU-01")
        assert refused.value.details["reason"] == "unknown_subject"

    def test_a_request_may_be_sent_again_before_a_reply_but_not_dated_earlier(self) -> None:
        case = family_case()
        request(case, "f")
        request(case, "f", date(2025, 10, 1))
        assert case.subjects["f"].request.sent_on == date(2025, 10, 1)
        with pytest.raises(InvalidInput):
            case.send_request("f", sent_to="X", sent_on=SENT, sent_by="DU-01")

    def test_no_new_request_once_the_subject_has_a_reply(self) -> None:
        case = family_case()
        request(case, "f")
        reply(case, "f")
        with pytest.raises(Conflict):
            case.send_request("f", sent_to="X", sent_on=REPLIED, sent_by="DU-01")


    def test_NO_RULE_SET_a_request_reply_or_certification_dated_before_every_rule_set_is_refused(self) -> None:
        too_early = date(2011, 10, 31)
        case = family_case()
        refusals = []
        for act in (
            lambda: case.send_request("f", sent_to="X", sent_on=too_early, sent_by="DU-01"),
            lambda: (request(case, "f"), case.record_reply("f", replied_on=too_early, responding_organisation="X", finding="clear", note=None)),
            lambda: case.certify(certified_by="DU-01", certified_on=too_early),
        ):
            with pytest.raises(RuleViolation) as refused:
                act()
            refusals.append((refused.value.rule, refused.value.message))
        assert set(refusals) == {("NO_RULE_SET", f"[NO_RULE_SET] Ngày 31/10/2011: {RuleCode.NO_RULE_SET.message}")}


class TestReplies:
    def test_a_reply_records_date_organisation_and_finding(self) -> None:
        case = family_case()
        request(case, "f")
        (recorded,) = reply(case, "f", "concern", "Có người thân ở nước ngoài")
        assert isinstance(recorded, VerificationReplyRecorded)
        assert (recorded.finding, recorded.note, recorded.responding_organisation) == ("concern", "Có người thân ở nước ngoài", "UB-f")
        assert case.subjects["f"].state == "replied"

    def test_a_reply_for_an_unknown_subject_is_not_found(self) -> None:
        with pytest.raises(NotFound):
            reply(family_case(), "nobody")

    def test_a_reply_without_a_sent_request_is_not_found(self) -> None:
        with pytest.raises(NotFound) as refused:
            reply(family_case(), "f")
        assert refused.value.details["reason"] == "no_request"

    @pytest.mark.parametrize("finding", ["concern", "disqualifying"])
    def test_a_concern_or_a_disqualifying_finding_needs_its_text(self, finding: str) -> None:
        case = family_case()
        request(case, "f")
        with pytest.raises(InvalidInput) as refused:
            reply(case, "f", finding, None)
        assert refused.value.details["field"] == "note"

    def test_a_reply_dated_before_its_request_is_refused(self) -> None:
        case = family_case()
        request(case, "f")
        with pytest.raises(InvalidInput):
            reply(case, "f", replied_on=date(2025, 9, 1))

    def test_the_same_reply_twice_has_one_effect(self) -> None:
        case = family_case()
        request(case, "f")
        reply(case, "f")
        assert reply(case, "f") == []

    def test_a_different_second_reply_is_a_conflict(self) -> None:
        case = family_case()
        request(case, "f")
        reply(case, "f")
        with pytest.raises(Conflict) as refused:
            reply(case, "f", "concern", "Khác")
        assert refused.value.details["reason"] == "already_replied"

    def test_a_correction_with_a_reason_replaces_the_reply(self) -> None:
        case = family_case()
        request(case, "f")
        reply(case, "f")
        (corrected,) = reply(case, "f", "concern", "Bổ sung", correction_reason="Gõ nhầm kết quả")
        assert isinstance(corrected, VerificationReplyCorrected) and corrected.reason == "Gõ nhầm kết quả"
        assert (case.subjects["f"].reply.finding, case.subjects["f"].corrections) == ("concern", 1)

    def test_a_correction_needs_a_reply_to_correct(self) -> None:
        case = family_case()
        request(case, "f")
        with pytest.raises(InvalidInput):
            reply(case, "f", correction_reason="Không có gì để sửa")


class TestBlock:
    def test_a_disqualifying_finding_blocks_the_case(self) -> None:
        case = family_case()
        request(case, "f")
        recorded, blocked = reply(case, "f", "disqualifying", "Vi phạm nghiêm trọng")
        assert isinstance(recorded, VerificationReplyRecorded)
        assert blocked == VerificationBlocked(dossier_id=case.dossier_id, subject_id="f", note="Vi phạm nghiêm trọng")
        assert case.status == "blocked"

    def test_the_competent_committee_lets_the_case_continue(self) -> None:
        case = family_case()
        answer_everything(case)
        reply(case, "f", "disqualifying", "Vi phạm", correction_reason="Kết quả mới")
        with pytest.raises(Conflict) as refused:
            case.certify(certified_by="DU-01", certified_on=REPLIED)
        assert refused.value.details["reason"] == "blocked"
        (lifted,) = do(case, case.lift_block(decided_by="HU-01", decided_on=date(2025, 10, 1), outcome="continue"))
        assert isinstance(lifted, VerificationBlockLifted) and case.status == "open"
        assert do(case, case.certify(certified_by="DU-01", certified_on=date(2025, 10, 2)))

    def test_a_decision_to_reject_closes_the_case(self) -> None:
        case = family_case()
        request(case, "f")
        reply(case, "f", "disqualifying", "Vi phạm")
        do(case, case.lift_block(decided_by="HU-01", decided_on=date(2025, 10, 1), outcome="reject"))
        assert case.status == "rejected"
        for attempt in (
            lambda: request(case, "m"),
            lambda: case.certify(certified_by="DU-01", certified_on=date(2025, 10, 2)),
            lambda: case.lift_block(decided_by="HU-01", decided_on=date(2025, 10, 2), outcome="continue"),
        ):
            with pytest.raises(Conflict):
                attempt()

    def test_nothing_to_lift_without_a_block(self) -> None:
        with pytest.raises(Conflict) as refused:
            family_case().lift_block(decided_by="HU-01", decided_on=SENT, outcome="continue")
        assert refused.value.details["reason"] == "not_blocked"

    def test_a_correction_to_clear_does_not_lift_the_block(self) -> None:
        case = family_case()
        request(case, "f")
        reply(case, "f", "disqualifying", "Vi phạm")
        reply(case, "f", "clear", None, correction_reason="Nhầm người")
        assert case.status == "blocked"


class TestCertificationVERIFY_COMPLETE:
    def test_certification_before_every_reply_is_refused_with_VERIFY_COMPLETE(self) -> None:
        case = family_case()
        request(case, "f")
        reply(case, "f")
        with pytest.raises(RuleViolation) as refused:
            case.certify(certified_by="DU-01", certified_on=REPLIED)
        error = refused.value
        assert error.code == "rule:VERIFY_COMPLETE" and error.rule == RuleCode.VERIFY_COMPLETE
        assert error.message == f"[VERIFY_COMPLETE] {RuleCode.VERIFY_COMPLETE.message}"
        assert error.details["missing"] == ["applicant", "m", "s", "s:married_to_foreigner", "s:married_to_foreigner:opinion"]

    def test_a_request_without_its_reply_still_fails_VERIFY_COMPLETE(self) -> None:
        case = family_case()
        for subject_id in list(case.subjects):
            request(case, subject_id)
        with pytest.raises(RuleViolation):
            case.certify(certified_by="DU-01", certified_on=REPLIED)

    def test_with_every_reply_the_grassroots_committee_certifies(self) -> None:
        case = family_case()
        answer_everything(case)
        (certified,) = do(case, case.certify(certified_by="DU-01", certified_on=REPLIED))
        assert certified == HistoryCertified(dossier_id=case.dossier_id, cell="CB-01", certified_by="DU-01", certified_on=REPLIED)
        assert case.status == "certified"

    def test_certifying_again_the_same_way_changes_nothing_and_otherwise_conflicts(self) -> None:
        case = family_case()
        answer_everything(case)
        do(case, case.certify(certified_by="DU-01", certified_on=REPLIED))
        assert case.certify(certified_by="DU-01", certified_on=REPLIED) == []
        with pytest.raises(Conflict):
            case.certify(certified_by="DU-02", certified_on=REPLIED)

    def test_a_certified_case_takes_no_more_replies(self) -> None:
        case = family_case()
        answer_everything(case)
        do(case, case.certify(certified_by="DU-01", certified_on=REPLIED))
        with pytest.raises(Conflict) as refused:
            reply(case, "f", "concern", "Muộn", correction_reason="Phát hiện sau")
        assert refused.value.details["reason"] == "certified"

    def test_certification_cannot_predate_the_last_reply(self) -> None:
        case = family_case()
        answer_everything(case)
        with pytest.raises(InvalidInput):
            case.certify(certified_by="DU-01", certified_on=SENT)


@given(st.sets(st.sampled_from(["applicant", "f", "m", "s", "s:married_to_foreigner", "s:married_to_foreigner:opinion"])))
def test_VERIFY_COMPLETE_refuses_exactly_while_a_subject_has_no_reply(replied: set[str]) -> None:
    case = family_case()
    for subject_id in sorted(replied):
        request(case, subject_id)
        reply(case, subject_id)
    if replied == set(case.subjects):
        assert case.certify(certified_by="DU-01", certified_on=REPLIED)
    else:
        with pytest.raises(RuleViolation) as refused:
            case.certify(certified_by="DU-01", certified_on=REPLIED)
        assert set(refused.value.details["missing"]) == set(case.subjects) - replied


class TestCrossCheck:
    MEMBER = Membership(member=True, kind="official", status="active")

    def test_an_eligible_relative_is_closed_against_the_member_file_without_a_request(self) -> None:
        case = family_case()
        citizen_id, organisation = case.cross_check_target("m", None)
        assert (citizen_id, organisation) == ("001170000001", "CB-MEMBER")
        checked, recorded = do(
            case, case.close_by_member_record("m", organisation=organisation, checked_on=SENT, membership=self.MEMBER)
        )
        assert isinstance(checked, MemberRecordCrossChecked) and checked.member_kind == "official"
        assert (recorded.finding, recorded.replied_on, recorded.responding_organisation) == ("clear", SENT, "CB-MEMBER")
        assert case.view()["subjects"][2]["reply"]["by_member_record"] is True

    def test_the_organisation_may_be_named_by_the_user(self) -> None:
        assert family_case().cross_check_target("m", "CB-OTHER")[1] == "CB-OTHER"

    def test_a_relative_the_registry_does_not_know_as_a_member_is_refused(self) -> None:
        case = family_case()
        with pytest.raises(InvalidInput) as refused:
            case.close_by_member_record("m", organisation="CB-MEMBER", checked_on=SENT, membership=Membership(member=False))
        assert refused.value.details["reason"] == "not_a_member"

    def test_an_organisation_the_registry_does_not_have_on_that_date_is_refused(self) -> None:
        unknown = Membership(member=False, organisation_known=False)
        with pytest.raises(InvalidInput) as refused:
            family_case().close_by_member_record("m", organisation="CB-X", checked_on=SENT, membership=unknown)
        assert refused.value.details["reason"] == "unknown_organisation"

    @pytest.mark.parametrize("subject_id", ["applicant", "f", "s:married_to_foreigner"])
    def test_the_applicant_a_field_relative_or_a_special_template_cannot_be_cross_checked(self, subject_id: str) -> None:
        case = family_case()
        assert cross_check_refusal(case.subjects[subject_id]) is not None
        with pytest.raises(InvalidInput) as refused:
            case.cross_check_target(subject_id, "CB-MEMBER")
        assert refused.value.details["reason"] == "not_eligible_for_member_record"

    def test_a_member_declared_without_an_organisation_needs_one_named(self) -> None:
        case = new_case(member("m", "mother", responding_organisation=None))
        with pytest.raises(InvalidInput) as refused:
            case.cross_check_target("m", None)
        assert refused.value.details["field"] == "organisation"

    def test_a_subject_with_a_reply_is_not_cross_checked_again(self) -> None:
        case = family_case()
        do(case, case.close_by_member_record("m", organisation="CB-MEMBER", checked_on=SENT, membership=self.MEMBER))
        with pytest.raises(Conflict):
            case.cross_check_target("m", None)

    def test_a_cross_check_may_still_find_a_disqualifying_fact(self) -> None:
        case = family_case()
        events = do(case, case.close_by_member_record(
            "m", organisation="CB-MEMBER", checked_on=SENT, membership=self.MEMBER, finding="disqualifying", note="Đã bị kỷ luật khai trừ",
        ))
        assert isinstance(events[-1], VerificationBlocked) and case.status == "blocked"


def test_a_case_loaded_from_its_recorded_events_decides_like_the_one_that_recorded_them() -> None:
    live = family_case()
    opening = open_case(history(relative("f", "father"), member("m", "mother"), relative("s", "spouse", foreign_national=True),
                                dossier_id=live.dossier_id), rule_set_on(date(2025, 9, 1)))
    decided = list(opening)
    for step in (
        lambda c: c.send_request("f", sent_to="UB-f", sent_on=SENT, sent_by="DU-01"),
        lambda c: c.record_reply("f", replied_on=REPLIED, responding_organisation="UB-f", finding="disqualifying", note="Vi phạm"),
        lambda c: c.close_by_member_record("m", organisation="CB-MEMBER", checked_on=SENT, membership=TestCrossCheck.MEMBER),
        lambda c: c.record_reply("f", replied_on=REPLIED, responding_organisation="UB-f", finding="concern", note="Nhẹ hơn",
                                 correction_reason="Xác minh lại"),
        lambda c: c.lift_block(decided_by="HU-01", decided_on=date(2025, 10, 1), outcome="continue"),
    ):
        decided.extend(do(live, step(live)))
    recorded = [
        RecordedEvent(
            position=i, stream_id=f"verification-{live.dossier_id}", stream_version=i, event_id=uuid.uuid4(),
            event_type=new.event_type, schema_version=new.schema_version, data=new.data, actor="a", organisation=None,
            correlation_id=None, causation_id=None, recorded_at=datetime.now(UTC), previous_hash="", hash="",
        )
        for i, new in enumerate((e.to_new_event() for e in decided), start=1)
    ]
    loaded = Case.from_events(recorded)
    assert loaded.view() == live.view()
    assert loaded.version == len(decided) == live.version


class TestCorrections:
    def test_a_correction_withdraws_the_certification_and_adds_the_relatives_it_brings(self) -> None:
        case = new_case(relative("f", "father"))
        answer_everything(case)
        do(case, case.certify(certified_by="DU-01", certified_on=date(2025, 10, 1)))
        corrected = history(relative("f", "father"), relative("m", "mother"))
        (received,) = do(case, case.correction(corrected, rule_set_on(corrected.declared_on)))
        assert received.certification_withdrawn and [s.subject_id for s in received.new_subjects] == ["m"]
        assert case.status == "open" and case.missing_replies() == ["m"]
        answer_everything(case)
        assert do(case, case.certify(certified_by="DU-01", certified_on=date(2025, 10, 20)))

    def test_a_correction_that_changes_neither_records_nothing(self) -> None:
        case = new_case(relative("f", "father"))
        corrected = history(relative("f", "father"))
        assert case.correction(corrected, rule_set_on(corrected.declared_on)) == []
