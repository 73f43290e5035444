"""Who must be verified for a declared history, and how (domain.md §3): one test per rule."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketnap.domain.rules import rule_set_on
from ketnap.services.verification.subjects import (
    DEFAULT_TEMPLATE_RULES,
    REQUIRED_RELATIONS,
    HistoryNotVerifiable,
    TemplateRule,
    required_subjects,
    subject_details,
)
from tests.unit.verification.declared import FAMILY, history, member, relative

RULES_2025_09 = rule_set_on(date(2025, 9, 1))


def subjects_of(*relatives, rules=RULES_2025_09, template_rules=DEFAULT_TEMPLATE_RULES, **fields):  # noqa: ANN001, ANN002, ANN003, ANN201
    declared = history(*relatives, **fields)
    return required_subjects(declared, rules_for(declared, rules), template_rules)


def rules_for(declared, rules):  # noqa: ANN001, ANN201
    return rules if rules is not None else rule_set_on(declared.declared_on)


def ids(subjects) -> list[str]:  # noqa: ANN001
    return [s.subject_id for s in subjects]


def by_id(subjects) -> dict:  # noqa: ANN001
    return {s.subject_id: s for s in subjects}


class TestRequiredRelations:
    def test_the_applicant_is_always_the_first_subject_even_with_no_relative_declared(self) -> None:
        (only,) = subjects_of()
        assert (only.subject_id, only.relation, only.method, only.template) == ("applicant", "applicant", "field", "standard")

    def test_birth_father_and_mother_are_subjects(self) -> None:
        found = by_id(subjects_of(relative("f", "father"), relative("m", "mother")))
        assert {found["f"].relation, found["m"].relation} == {"father", "mother"}

    def test_parents_in_law_are_subjects(self) -> None:
        found = by_id(subjects_of(relative("fil", "father_in_law"), relative("mil", "mother_in_law")))
        assert found["fil"].relation == "father_in_law" and found["mil"].relation == "mother_in_law"

    def test_the_person_who_raised_the_applicant_is_a_subject(self) -> None:
        assert by_id(subjects_of(relative("g", "guardian")))["g"].relation == "guardian"

    def test_the_spouse_is_a_subject(self) -> None:
        assert by_id(subjects_of(relative("s", "spouse")))["s"].template == "standard"

    @pytest.mark.parametrize(("capacity", "required"), [(True, True), (False, False), (None, False)])
    def test_a_biological_child_is_a_subject_only_with_full_civil_capacity(self, capacity, required) -> None:  # noqa: ANN001
        found = ids(subjects_of(relative("c", "child", adult_with_full_capacity=capacity)))
        assert ("c" in found) is required

    @pytest.mark.parametrize("relation", ["grandfather", "grandmother", "grandparent", "sibling", "brother", "sister", "uncle"])
    def test_grandparents_and_siblings_are_never_subjects(self, relation: str) -> None:
        assert ids(subjects_of(relative("x", relation))) == ["applicant"]

    def test_a_whole_family_gives_the_applicant_and_the_six_required_relatives_in_declared_order(self) -> None:
        assert ids(subjects_of(*FAMILY)) == ["applicant", "r-father", "r-mother", "r-fil", "r-mil", "r-spouse", "r-child-adult"]


class TestCrossCheckMethod:
    def test_a_fully_declared_party_member_may_be_cross_checked_against_the_member_file(self) -> None:
        declared = history(member("m", "mother"))
        subjects = required_subjects(declared, RULES_2025_09)
        assert by_id(subjects)["m"].method == "member_record"
        (detail,) = subject_details(declared, subjects)
        assert (detail.member_citizen_id, detail.responding_organisation) == ("001170000001", "CB-MEMBER")

    @pytest.mark.parametrize(
        "fields",
        [
            {"is_party_member": True, "fully_declared": False, "member_citizen_id": "001170000001"},
            {"is_party_member": False, "fully_declared": True, "member_citizen_id": "001170000001"},
            {"is_party_member": True, "fully_declared": True, "member_citizen_id": None},
        ],
        ids=["not-fully-declared", "not-a-member", "no-member-id"],
    )
    def test_anyone_else_is_verified_in_the_field(self, fields: dict) -> None:
        declared = history(relative("m", "mother", **fields))
        subjects = required_subjects(declared, RULES_2025_09)
        assert by_id(subjects)["m"].method == "field"
        assert subject_details(declared, subjects)[0].member_citizen_id is None

    def test_the_applicant_is_never_cross_checked(self) -> None:
        assert subjects_of()[0].method == "field"


class TestSpecialTemplates:
    def test_a_police_officer_adds_a_police_template_subject(self) -> None:
        found = by_id(subjects_of(police_officer=True))
        assert found["applicant:police"].template == "police" and found["applicant"].template == "standard"

    @pytest.mark.parametrize(
        ("religion", "religious"),
        [("Phật giáo", True), ("Công giáo", True), ("Không", False), ("  không  ", False), ("", False), (None, False)],
    )
    def test_a_religious_applicant_adds_a_religious_template_subject(self, religion, religious: bool) -> None:  # noqa: ANN001
        assert ("applicant:religious" in ids(subjects_of(religion=religion))) is religious

    def test_a_private_business_owner_adds_its_template_subject(self) -> None:
        assert by_id(subjects_of(private_business_owner=True))["applicant:private_business_owner"].template == (
            "private_business_owner"
        )

    def test_a_spouse_who_is_a_foreign_national_adds_the_married_to_foreigner_template_and_a_higher_level_opinion(self) -> None:
        found = ids(subjects_of(relative("s", "spouse", foreign_national=True)))
        assert found == ["applicant", "s", "s:married_to_foreigner", "s:married_to_foreigner:opinion"]

    def test_a_foreign_parent_is_not_a_marriage_to_a_foreigner(self) -> None:
        assert ids(subjects_of(relative("f", "father", foreign_national=True))) == ["applicant", "f"]

    def test_the_higher_level_opinion_is_configurable_per_template(self) -> None:
        rules = {**DEFAULT_TEMPLATE_RULES, "religious": TemplateRule(higher_level_opinion=True),
                 "married_to_foreigner": TemplateRule(higher_level_opinion=False)}
        found = ids(subjects_of(relative("s", "spouse", foreign_national=True), religion="Phật giáo", template_rules=rules))
        assert found == ["applicant", "s", "applicant:religious", "applicant:religious:opinion", "s:married_to_foreigner"]

    @pytest.mark.parametrize(
        ("declared_on", "checked"),
        [(date(2022, 1, 10), True), (date(2025, 3, 20), True), (date(2025, 3, 21), False), (date(2025, 9, 1), False)],
    )
    def test_the_family_planning_template_follows_the_rule_set_in_force(self, declared_on: date, checked: bool) -> None:
        found = ids(subjects_of(family_planning_case=True, declared_on=declared_on, rules=None))
        assert ("applicant:family_planning" in found) is checked
        assert rule_set_on(declared_on).family_planning_check is checked

    def test_no_family_planning_subject_without_a_family_planning_case(self) -> None:
        assert ids(subjects_of(declared_on=date(2022, 1, 10), rules=None)) == ["applicant"]

    def test_several_templates_each_get_their_own_subject(self) -> None:
        found = ids(subjects_of(police_officer=True, religion="Phật giáo", private_business_owner=True))
        assert found == ["applicant", "applicant:police", "applicant:religious", "applicant:private_business_owner"]


class TestDeclarationsThatCannotOpenACase:
    def test_two_relatives_with_one_subject_id(self) -> None:
        with pytest.raises(HistoryNotVerifiable):
            subjects_of(relative("x", "father"), relative("x", "mother"))

    @pytest.mark.parametrize("subject_id", ["applicant", "f:police"])
    def test_a_relative_id_that_would_collide_with_the_applicant_or_a_template(self, subject_id: str) -> None:
        with pytest.raises(HistoryNotVerifiable):
            subjects_of(relative(subject_id, "father"))


RELATIONS = sorted(REQUIRED_RELATIONS | {"grandfather", "grandmother", "sibling", "cousin"})


@given(
    st.lists(
        st.tuples(st.sampled_from(RELATIONS), st.sampled_from([True, False, None]), st.booleans(), st.booleans()),
        max_size=12,
    )
)
def test_every_subject_is_the_applicant_a_required_relative_or_a_template(declarations: list) -> None:
    relatives = [
        relative(f"r{i}", relation, adult_with_full_capacity=capacity, is_party_member=is_member,
                 fully_declared=full, member_citizen_id="001170000001")
        for i, (relation, capacity, is_member, full) in enumerate(declarations)
    ]
    subjects = subjects_of(*relatives)
    assert subjects[0].subject_id == "applicant"
    persons = [s for s in subjects[1:] if ":" not in s.subject_id]
    expected = [
        r["subject_id"] for r in relatives
        if r["relation"] in REQUIRED_RELATIONS and (r["relation"] != "child" or r["adult_with_full_capacity"] is True)
    ]
    assert [s.subject_id for s in persons] == expected
    assert all(s.relation not in {"grandfather", "grandmother", "sibling", "cousin"} for s in subjects)
    for s in persons:
        declared = next(r for r in relatives if r["subject_id"] == s.subject_id)
        assert (s.method == "member_record") is (declared["is_party_member"] and declared["fully_declared"])
