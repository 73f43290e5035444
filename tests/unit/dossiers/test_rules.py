"""Every rule the dossier enforces, named after its code, at its edge: through the aggregate's step
that enforces it, so the test proves both the rule and where it is applied."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketnap.domain.calendar import add_months
from ketnap.domain.rules import RULE_SETS, RuleCode, RuleSet, rule_set_on
from ketnap.platform.commands import RuleViolation
from ketnap.services.dossiers import rules
from ketnap.services.dossiers.dossier import Dossier
from ketnap.services.dossiers.events import UnionResolution
from ketnap.services.dossiers.values import GeneralEducation
from tests.unit.dossiers import builders as b
from tests.unit.dossiers.builders import TODAY


def refused(code: str):  # noqa: ANN201
    return pytest.raises(RuleViolation, match=rf"^\[{code}\]")


def mark_ready(dossier, meeting_on: date = b.MEETING_ON, ready_on: date = b.READY_ON):  # noqa: ANN001, ANN201
    return dossier.mark_ready_for_cell_vote(ready_on=ready_on, cell_meeting_on=meeting_on, today=TODAY)


# --- AGE_MIN ---------------------------------------------------------------------------------------------


def test_AGE_MIN_refuses_the_cell_vote_the_day_before_the_18th_birthday() -> None:
    dossier = b.prepared(birth_date=date(2008, 3, 15))
    with refused("AGE_MIN") as error:
        mark_ready(dossier, meeting_on=date(2026, 3, 14))
    assert error.value.code == "rule:AGE_MIN"
    assert "Chưa đủ 18 tuổi tại thời điểm chi bộ xét" in error.value.message


def test_AGE_MIN_accepts_the_cell_vote_on_the_18th_birthday() -> None:
    dossier = b.prepared(birth_date=date(2008, 3, 15))
    events = mark_ready(dossier, meeting_on=date(2026, 3, 15))
    assert events[-1].event_type() == "ReadyForCellVote"


def test_AGE_MIN_born_on_29_february_is_18_on_28_february() -> None:
    dossier = b.prepared(birth_date=date(2008, 2, 29))
    with refused("AGE_MIN"):
        mark_ready(dossier, meeting_on=date(2026, 2, 27))
    assert mark_ready(b.prepared(birth_date=date(2008, 2, 29)), meeting_on=date(2026, 2, 28))


# --- AGE_MAX ---------------------------------------------------------------------------------------------


def test_AGE_MAX_refuses_an_applicant_over_60_without_the_provincial_agreement() -> None:
    dossier = b.prepared(birth_date=date(1966, 1, 9), youth_union_member=False)
    with refused("AGE_MAX"):
        mark_ready(dossier)  # 60 years and 1 month on 10/02/2026


def test_AGE_MAX_exactly_60_needs_no_agreement() -> None:
    dossier = b.prepared(birth_date=date(1966, 2, 10), youth_union_member=False)
    assert mark_ready(dossier)


def test_AGE_MAX_accepts_an_agreement_dated_no_later_than_the_day_the_dossier_goes_to_the_vote() -> None:
    dossier = b.prepared(birth_date=date(1950, 1, 1), youth_union_member=False)
    dossier.then(dossier.record_provincial_agreement(purpose="over_60", document_number="12-CV/TU", agreed_on=b.READY_ON, today=TODAY))
    assert mark_ready(dossier)[-1].rule_set == "2025-07"


# --- EDU_MIN / EDU_AREA ---------------------------------------------------------------------------------


def test_EDU_MIN_refuses_without_a_lower_secondary_diploma() -> None:
    with refused("EDU_MIN") as error:
        mark_ready(b.prepared(general_education="primary"))
    assert "Không đủ trình độ học vấn" in error.value.message


def test_EDU_MIN_accepts_a_lower_secondary_diploma() -> None:
    assert mark_ready(b.prepared(general_education="lower_secondary"))


def test_EDU_AREA_accepts_primary_school_in_an_exempted_area() -> None:
    assert mark_ready(b.prepared(general_education="primary", area_exemption="mountain"))


def test_EDU_AREA_refuses_literacy_only_for_someone_who_is_not_a_village_elder() -> None:
    with refused("EDU_AREA"):
        mark_ready(b.prepared(general_education="literate", area_exemption="border"))


def test_EDU_AREA_refuses_a_village_elder_without_the_provincial_agreement() -> None:
    with refused("EDU_AREA"):
        mark_ready(b.prepared(general_education="literate", area_exemption="ethnic_minority", village_elder_or_head=True))


def test_EDU_AREA_accepts_a_literate_village_elder_with_the_provincial_agreement() -> None:
    dossier = b.prepared(general_education="literate", area_exemption="island", village_elder_or_head=True)
    dossier.then(
        dossier.record_provincial_agreement(purpose="literacy_only", document_number="7-CV/TU", agreed_on=date(2026, 1, 20), today=TODAY)
    )
    assert mark_ready(dossier)


def test_EDU_AREA_refuses_no_schooling_even_in_an_exempted_area() -> None:
    with refused("EDU_AREA"):
        mark_ready(b.prepared(general_education="none", area_exemption="offshore_fisherman", village_elder_or_head=True))


@given(st.sampled_from(list(GeneralEducation)), st.none() | st.just("mountain"), st.sampled_from(RULE_SETS))
def test_EDU_MIN_and_EDU_AREA_never_both_apply(education: GeneralEducation, area: str | None, rule_set: RuleSet) -> None:
    minimum = rules.check_education_minimum(education, area_exemption=area, rules=rule_set)
    area_rule = rules.check_area_education(
        education, area_exemption=area, village_elder_or_head=False, literacy_agreement_on=None, judged_on=TODAY
    )
    assert not (minimum and area_rule)
    equivalent_enough = education is GeneralEducation.LOWER_SECONDARY_EQUIVALENT and rule_set.lower_secondary_or_equivalent
    assert (minimum is not None) == (area is None and education.rank < GeneralEducation.LOWER_SECONDARY.rank and not equivalent_enough)


def test_EDU_MIN_an_equivalent_of_lower_secondary_is_enough_from_29_QD_TW_2016_not_under_45_QD_TW_2011() -> None:
    equivalent = GeneralEducation.LOWER_SECONDARY_EQUIVALENT
    refused_2011 = rules.check_education_minimum(equivalent, area_exemption=None, rules=rule_set_on(date(2016, 7, 24)))
    assert refused_2011 is not None and refused_2011.code == "EDU_MIN" and refused_2011.details["rule_set"] == "2011"
    assert rules.check_education_minimum(equivalent, area_exemption=None, rules=rule_set_on(date(2016, 7, 25))) is None
    assert rules.check_education_minimum(equivalent, area_exemption=None, rules=rule_set_on(date(2026, 2, 10))) is None


# --- CLASS_VALID ----------------------------------------------------------------------------------------


def test_CLASS_VALID_accepts_a_certificate_60_months_to_the_day() -> None:
    assert mark_ready(b.prepared(class_issued_on=date(2021, 2, 10)), meeting_on=date(2026, 2, 10))


def test_CLASS_VALID_refuses_a_certificate_60_months_and_one_day_old() -> None:
    with refused("CLASS_VALID") as error:
        mark_ready(b.prepared(class_issued_on=date(2021, 2, 9)), meeting_on=date(2026, 2, 10))
    assert "Giấy chứng nhận hết hạn, phải học lại" in error.value.message


def test_CLASS_VALID_a_new_certificate_replaces_the_expired_one() -> None:
    dossier = b.prepared(class_issued_on=date(2020, 1, 1))
    dossier.then(dossier.record_class_certificate(certificate_number="9/GCN", issued_on=date(2026, 1, 5), issued_by="TTCT", today=TODAY))
    assert mark_ready(dossier)


# --- DOC_12M ---------------------------------------------------------------------------------------------


def _old_dossier(introduced_on: date) -> object:
    opened = date(2025, 2, 10)
    return b.prepared(opened_on=opened, letter_on=opened, declared_on=opened, introduced_on=introduced_on)


def test_DOC_12M_a_dossier_opened_12_months_to_the_day_before_the_meeting_needs_no_renewal() -> None:
    assert mark_ready(_old_dossier(date(2025, 2, 10)), meeting_on=date(2026, 2, 10))


def test_DOC_12M_refuses_stale_introductions_one_day_past_12_months() -> None:
    with refused("DOC_12M") as error:
        mark_ready(_old_dossier(date(2025, 2, 10)), meeting_on=date(2026, 2, 11))
    assert "phải làm lại giấy giới thiệu" in error.value.message


def test_DOC_12M_renewed_introductions_make_an_old_dossier_current() -> None:
    dossier = _old_dossier(date(2025, 2, 10))
    dossier.then(
        dossier.record_introductions(
            introducers=[b.introducer(b.INTRODUCER_A, introduced_on=date(2026, 1, 5)), b.introducer(b.INTRODUCER_B, introduced_on=date(2026, 1, 5))],
            union_resolution=None,
            standings={b.INTRODUCER_A: b.standing(), b.INTRODUCER_B: b.standing()},
            recorded_on=date(2026, 1, 5),
            today=TODAY,
        )
    )
    assert mark_ready(dossier, meeting_on=date(2026, 2, 11))


# --- YOUTH_UNION -----------------------------------------------------------------------------------------


def test_YOUTH_UNION_refuses_a_30_year_old_who_is_not_a_member_where_the_union_exists() -> None:
    with refused("YOUTH_UNION"):
        mark_ready(b.prepared(birth_date=date(1995, 2, 10), youth_union_member=False), meeting_on=date(2026, 2, 9))


def test_YOUTH_UNION_no_longer_applies_on_the_31st_birthday() -> None:
    assert mark_ready(b.prepared(birth_date=date(1995, 2, 10), youth_union_member=False), meeting_on=date(2026, 2, 10))


def test_YOUTH_UNION_does_not_apply_where_no_youth_union_exists() -> None:
    assert mark_ready(b.prepared(birth_date=date(2000, 1, 1), youth_union_member=False, youth_union_exists=False))


# --- INTRO_SET / INTRO_OFFICIAL / INTRO_12M ---------------------------------------------------------------


def record(dossier, introducers, standings, union_resolution=None):  # noqa: ANN001, ANN201
    return dossier.record_introductions(
        introducers=introducers, union_resolution=union_resolution, standings=standings, recorded_on=b.INTRODUCED_ON, today=TODAY
    )


def test_INTRO_SET_refuses_one_introducer_without_a_union_resolution() -> None:
    with refused("INTRO_SET"):
        record(b.declared(), [b.introducer()], {b.INTRODUCER_A: b.standing()})


def test_INTRO_SET_accepts_one_introducer_with_the_youth_union_resolution() -> None:
    resolution = UnionResolution(union="youth_union", number="3-NQ/ĐTN", dated=b.INTRODUCED_ON)
    events = record(b.declared(), [b.introducer()], {b.INTRODUCER_A: b.standing()}, resolution)
    assert events[0].union_resolution == resolution
    assert events[1].rules == ["INTRO_SET", "INTRO_OFFICIAL", "INTRO_12M"]


@pytest.mark.parametrize("count", [0, 3])
def test_INTRO_SET_refuses_no_introducer_or_three(count: int) -> None:
    ids = ["001075000002", "001075000004", "001075000005"][:count]
    with refused("INTRO_SET"):
        record(b.declared(), [b.introducer(i) for i in ids], {i: b.standing() for i in ids})


def test_INTRO_SET_refuses_the_same_introducer_twice_and_self_introduction() -> None:
    with refused("INTRO_SET"):
        record(b.declared(), [b.introducer(), b.introducer()], {b.INTRODUCER_A: b.standing()})
    with refused("INTRO_SET"):
        record(b.declared(), [b.introducer(), b.introducer(b.APPLICANT)], {b.INTRODUCER_A: b.standing(), b.APPLICANT: b.standing(False, None)})


def test_INTRO_OFFICIAL_refuses_a_probationary_introducer() -> None:
    with refused("INTRO_OFFICIAL") as error:
        record(
            b.declared(),
            [b.introducer(), b.introducer(b.INTRODUCER_B)],
            {b.INTRODUCER_A: b.standing(), b.INTRODUCER_B: b.standing(official=False)},
        )
    assert error.value.details["introducers"] == [2]
    assert "đảng viên dự bị không được giới thiệu" in error.value.message


def test_INTRO_12M_accepts_12_months_together_to_the_day() -> None:
    since = add_months(b.INTRODUCED_ON, -12)
    assert record(
        b.declared(),
        [b.introducer(acquainted_since=since), b.introducer(b.INTRODUCER_B)],
        {b.INTRODUCER_A: b.standing(), b.INTRODUCER_B: b.standing()},
    )


def test_INTRO_12M_refuses_one_day_short_of_12_months_together() -> None:
    since = add_months(b.INTRODUCED_ON, -12) + timedelta(days=1)
    with refused("INTRO_12M"):
        record(
            b.declared(),
            [b.introducer(acquainted_since=since), b.introducer(b.INTRODUCER_B)],
            {b.INTRODUCER_A: b.standing(), b.INTRODUCER_B: b.standing()},
        )


def test_INTRO_12M_counts_from_the_introducers_arrival_in_the_unit_per_the_registry() -> None:
    arrived = date(2024, 11, 4)  # one day short of 12 months before 03/11/2025
    with refused("INTRO_12M"):
        record(
            b.declared(),
            [b.introducer(), b.introducer(b.INTRODUCER_B)],
            {b.INTRODUCER_A: b.standing(in_unit_since=arrived), b.INTRODUCER_B: b.standing()},
        )
    with refused("INTRO_12M"):  # not in the unit at all
        record(
            b.declared(),
            [b.introducer(), b.introducer(b.INTRODUCER_B)],
            {b.INTRODUCER_A: b.standing(in_unit_since=None), b.INTRODUCER_B: b.standing()},
        )


def test_INTRO_12M_exempts_a_replacement_introducer() -> None:
    assert record(
        b.declared(),
        [b.introducer(acquainted_since=date(2025, 10, 1), replacement=True), b.introducer(b.INTRODUCER_B)],
        {b.INTRODUCER_A: b.standing(in_unit_since=None), b.INTRODUCER_B: b.standing()},
    )


# --- HISTORY_CERTIFIED / VERIFY_COMPLETE --------------------------------------------------------------------


def test_HISTORY_CERTIFIED_refuses_the_cell_vote_before_the_history_is_certified() -> None:
    with refused("HISTORY_CERTIFIED") as error:
        mark_ready(b.prepared(certified_on=None))
    assert "Lý lịch chưa được cấp ủy cơ sở chứng nhận" in error.value.message


def test_HISTORY_CERTIFIED_a_certification_on_the_meeting_day_is_in_time_the_day_after_is_not() -> None:
    assert rules.check_history_certified(date(2026, 2, 10), date(2026, 2, 10)) is None
    late = rules.check_history_certified(date(2026, 2, 11), date(2026, 2, 10))
    assert late is not None and late.code is RuleCode.HISTORY_CERTIFIED


def test_VERIFY_COMPLETE_refuses_while_a_disqualifying_finding_waits_for_the_committee() -> None:
    dossier = b.prepared()
    dossier.then(dossier.on_verification_blocked(subject_id="father-1", on=date(2026, 1, 20)))
    with refused("VERIFY_COMPLETE") as error:
        mark_ready(dossier)
    assert error.value.details["reason"] == "blocked"
    dossier.then(dossier.on_verification_block_lifted(decided_by="HU-01", decided_on=date(2026, 1, 25), outcome="continue"))
    assert mark_ready(dossier)


def test_VERIFY_COMPLETE_refuses_when_the_history_was_corrected_after_its_certification() -> None:
    dossier = b.prepared()
    dossier.then(
        dossier.correct_personal_history(
            applicant=b.applicant_facts(),
            relatives=b.relatives()[:1],
            family_planning_case=False,
            qualifications=b.qualifications(),
            corrected_on=date(2026, 1, 15),
            reason="Khai thiếu",
            today=TODAY,
        )
    )
    with refused("VERIFY_COMPLETE") as error:
        mark_ready(dossier)
    assert error.value.details["reason"] == "corrected_after_certification"
    dossier.then(dossier.on_history_certified(certified_by="DU-HT", certified_on=date(2026, 1, 30)))
    assert mark_ready(dossier)


def test_every_broken_rule_of_the_cell_vote_is_listed_with_the_first_as_the_code() -> None:
    with refused("HISTORY_CERTIFIED") as error:
        mark_ready(b.prepared(certified_on=None, general_education="primary", birth_date=date(2009, 1, 1)))
    assert [v["rule"] for v in error.value.details["violations"]] == ["HISTORY_CERTIFIED", "AGE_MIN", "EDU_MIN"]


# --- CEREMONY_HELPER -------------------------------------------------------------------------------------


def ceremony(dossier, helper: str | None, official: bool):  # noqa: ANN001, ANN201
    return dossier.record_ceremony(
        held_on=b.CEREMONY_ON,
        helper_citizen_id=helper,
        helper=b.standing(official=official),
        received_decision_on=None,
        upper_committee_agreed_delay=False,
        today=TODAY,
    )


def test_CEREMONY_HELPER_refuses_a_ceremony_without_an_assigned_helper() -> None:
    with refused("CEREMONY_HELPER"):
        ceremony(b.received(), None, False)


def test_CEREMONY_HELPER_refuses_a_helper_who_is_not_an_official_member_of_the_cell() -> None:
    with refused("CEREMONY_HELPER") as error:
        ceremony(b.received(), b.HELPER, False)
    assert error.value.details["reason"] == "not_official_member_of_cell"
    with refused("CEREMONY_HELPER"):
        ceremony(b.received(), b.APPLICANT, True)


def test_CEREMONY_HELPER_accepts_an_official_member_and_records_the_rule_set() -> None:
    held, checked = ceremony(b.received(), b.HELPER, True)
    assert held.helper_citizen_id == b.HELPER and held.received_decision_on == b.RECEIVED_ON
    assert checked.rules == ["CEREMONY_HELPER", "CEREMONY_30WD"] and checked.rule_set == "2025-07"


# --- RECOG_EARLY / RECOG_DOCS ------------------------------------------------------------------------------


def papers(dossier, completed_on: date, **over):  # noqa: ANN001, ANN201
    fields = {"self_review_on": date(2027, 4, 1), "helper_review_on": date(2027, 4, 2), "opinions_on": date(2027, 4, 3)}
    fields.update(over)
    return dossier.record_recognition_papers(completed_on=completed_on, today=TODAY, **fields)


def test_RECOG_EARLY_refuses_the_recognition_papers_the_day_before_12_months_of_probation() -> None:
    with refused("RECOG_EARLY"):
        papers(b.with_new_member_class(), date(2027, 4, 9))  # ceremony 10/04/2026


def test_RECOG_EARLY_accepts_them_on_ceremony_plus_12_months() -> None:
    events = papers(b.with_new_member_class(), date(2027, 4, 10))
    assert [e.event_type() for e in events] == ["RecognitionPapersRecorded", "RulesChecked", "RecognitionPapersCompleted"]


@pytest.mark.parametrize("missing", ["self_review_on", "helper_review_on", "opinions_on"])
def test_RECOG_DOCS_refuses_without_each_paper(missing: str) -> None:
    with refused("RECOG_DOCS") as error:
        papers(b.with_new_member_class(), date(2027, 4, 10), **{missing: None})
    assert error.value.details["missing"] == [missing.removesuffix("_on")]


def test_RECOG_DOCS_refuses_without_the_new_member_class_certificate() -> None:
    with refused("RECOG_DOCS") as error:
        papers(b.in_probation(), date(2027, 4, 10))
    assert error.value.details["missing"] == ["new_member_class_certificate"]


# --- SOURCE_HELPER ----------------------------------------------------------------------------------------


def test_SOURCE_HELPER_the_helper_on_the_source_list_must_be_an_official_member_of_the_cell() -> None:
    with refused("SOURCE_HELPER"):
        Dossier.open(
            b.DOSSIER_ID, cell=b.CELL, citizen_id=b.APPLICANT, full_name="A", opened_on=b.OPENED_ON,
            helper_citizen_id=b.HELPER, helper=b.NOT_OFFICIAL, today=TODAY,
        )
    with refused("SOURCE_HELPER"):
        Dossier.open(
            b.DOSSIER_ID, cell=b.CELL, citizen_id=b.APPLICANT, full_name="A", opened_on=b.OPENED_ON,
            helper_citizen_id=b.APPLICANT, helper=b.OFFICIAL, today=TODAY,
        )


# --- rule sets ----------------------------------------------------------------------------------------------


def test_each_decision_records_the_rule_set_in_force_on_its_date_and_keeps_it() -> None:
    # Introduced under the March 2025 rules, voted under the July 2025 rules: both stay on record.
    opened = date(2025, 1, 5)
    dossier = b.prepared(
        opened_on=opened, letter_on=opened, declared_on=opened, introduced_on=date(2025, 6, 30), certified_on=date(2025, 6, 30),
        class_issued_on=date(2024, 12, 1),
    )
    checked, ready = mark_ready(dossier, meeting_on=date(2025, 7, 1), ready_on=date(2025, 6, 30))
    dossier.then([checked, ready])
    assert dossier.rule_sets["introductions"] == rule_set_on(date(2025, 6, 30)).id == "2025-03"
    assert ready.rule_set == checked.rule_set == "2025-07"
    assert dossier.rule_sets == {"introductions": "2025-03", "cell_vote": "2025-07"}


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2025, 11, 3)), st.dates(min_value=date(2000, 1, 1), max_value=date(2025, 11, 3)))
def test_INTRO_12M_holds_exactly_when_both_the_acquaintance_and_the_tenure_reach_12_months(acquainted: date, arrived: date) -> None:
    standing = rules.IntroducerStanding(
        citizen_id=b.INTRODUCER_A, introduced_on=b.INTRODUCED_ON, acquainted_since=acquainted, replacement=False,
        official_on_date=True, in_unit_since=arrived,
    )
    violation = rules.check_introducers_acquainted([standing], rules=rule_set_on(b.INTRODUCED_ON))
    together_since = max(acquainted, arrived)
    assert (violation is None) == (add_months(together_since, 12) <= b.INTRODUCED_ON)


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2010, 12, 31)))
def test_AGE_MIN_holds_from_the_18th_birthday_for_any_birth_date(birth: date) -> None:
    facts = b.prepared().eligibility_facts()
    meeting = add_months(birth, 18 * 12)
    rules_then = rule_set_on(date(2025, 8, 1))
    at_birthday = rules.eligibility_for_cell_vote(replace(facts, birth_date=birth), meeting, rules=rules_then, agreements_due_by=meeting)
    day_before = rules.eligibility_for_cell_vote(
        replace(facts, birth_date=birth), meeting - timedelta(days=1), rules=rules_then, agreements_due_by=meeting
    )
    assert "AGE_MIN" not in {v.code for v in at_birthday}
    assert "AGE_MIN" in {v.code for v in day_before}
