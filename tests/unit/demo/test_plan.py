"""The demo plan is consistent with itself, with the rules the services enforce, and with its
reference day, whatever that day is (pure: no service is asked)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import pytest

from ketnap.domain.calendar import add_months, age_in_months, full_years, is_working_day, working_days_between
from ketnap.domain.rules import rule_set_on
from ketnap.operations.demo.organisation import EMPTIED_CELL, MOUNTAIN_COMMUNE, REFORM_DAY
from ketnap.operations.demo.plan import DEMO_APPLICANTS, NO_MEMBER_HISTORY, Plan, build_plan
from ketnap.operations.demo.schedule import ADMITTED, Path

REFERENCES = (date(2026, 9, 1), date(2026, 11, 22), date(2027, 3, 15), date(2028, 1, 3))


@pytest.fixture(scope="module", params=REFERENCES, ids=str)
def plan(request: pytest.FixtureRequest) -> Plan:
    return build_plan(50, request.param)


def acts(plan: Plan) -> list[tuple[int, str, date]]:
    found = []
    for d in plan.dossiers:
        for name, value in vars(d.dates).items():
            if isinstance(value, date) and name != "planned_meeting":
                found.append((d.number, name, value))
        found += [(d.number, "recognition_vote", v) for v in d.dates.recognition_votes]
    return found


def test_the_same_arguments_give_the_same_plan() -> None:
    assert build_plan(50, date(2026, 11, 22)) == build_plan(50, date(2026, 11, 22))
    demo = build_plan(DEMO_APPLICANTS, date(2026, 11, 22))
    assert [d.dossier_id for d in demo.dossiers] == [d.dossier_id for d in build_plan(50, date(2026, 11, 22)).dossiers[:12]]


def test_a_reference_day_too_early_for_a_recognition_is_refused() -> None:
    with pytest.raises(ValueError, match="01/09/2026"):
        build_plan(12, date(2026, 1, 1))


def test_every_path_is_driven_and_the_demo_has_the_main_ones(plan: Plan) -> None:
    assert {d.path for d in plan.dossiers} == set(Path)
    demo = {d.path for d in plan.dossiers[:DEMO_APPLICANTS]}
    assert demo >= {Path.RECOGNISED, Path.PROBATION, Path.FAILED_RECOGNITION, Path.REJECTED_AGE_MIN, Path.REJECTED_EDU_MIN,
                    Path.REJECTED_CLASS_VALID, Path.WITHDRAWN, Path.VERIFICATION, Path.AWAITING_DECISION}
    assert any(d.to_cell for d in plan.dossiers[:DEMO_APPLICANTS])
    assert len({d.dossier_id for d in plan.dossiers}) == 50


def test_every_act_is_in_the_past_on_a_working_day(plan: Plan) -> None:
    for number, name, day in acts(plan):
        assert day < plan.reference, (number, name)
        assert is_working_day(day), (number, name, day)
    for d in plan.dossiers:
        if d.path is Path.READY:
            assert d.dates.planned_meeting and d.dates.planned_meeting > plan.reference  # the meeting is still ahead


def test_the_acts_of_each_dossier_follow_the_procedure(plan: Plan) -> None:
    for d in plan.dossiers:
        x = d.dates
        chain = [x.opened, x.letter, x.transferred, x.declared, x.requested, x.replied, x.certified, x.ready, x.meeting,
                 x.appraised, x.grassroots, x.decided, x.notified, x.ceremony, x.papers, *x.recognition_votes,
                 x.recognition_grassroots, x.recognised or x.name_removed]
        present = [day for day in chain if day is not None]
        assert present == sorted(present), d.label
        if x.ready:
            assert x.ready >= max(day for day in (x.certified, x.introduced, x.opinions) if day), d.label
            assert x.planned_meeting and age_in_months(x.opened, x.planned_meeting) < 12, d.label  # DOC_12M
        if x.meeting and x.decided:
            assert working_days_between(x.meeting, x.decided) <= 60, d.label  # DECISION_60WD
        if x.notified and x.ceremony:
            assert working_days_between(x.notified, x.ceremony) <= 30, d.label  # CEREMONY_30WD
        if x.ceremony and x.history_filed:
            assert working_days_between(x.ceremony, x.history_filed) <= 30, d.label
        if x.papers:
            assert x.ceremony and x.papers >= add_months(x.ceremony, 12), d.label  # RECOG_EARLY
        if d.path is Path.FAILED_RECOGNITION:
            assert len(x.recognition_votes) == 3 and x.name_removed
        if d.new_member:
            assert x.ceremony and x.ceremony < d.new_member.issued_on < (x.papers or plan.reference), d.label


def test_the_probation_dossier_without_its_member_history_is_the_one_planned(plan: Plan) -> None:
    probation = [d for d in plan.dossiers if d.path is Path.PROBATION]
    path, index = NO_MEMBER_HISTORY
    assert [d.dates.history_filed is None for d in probation].count(True) >= 1
    assert probation[index].dates.history_filed is None


def test_applicants_meet_the_rules_except_the_one_their_path_breaks(plan: Plan) -> None:
    for d in plan.dossiers:
        a, x = d.applicant, d.dates
        meeting = x.planned_meeting or x.ready or x.declared or x.opened
        years = full_years(a.birth_date, meeting)
        assert (years < 18) == (d.path is Path.REJECTED_AGE_MIN), d.label
        assert years <= 60, d.label
        if 16 <= years <= 30:
            assert a.youth_union_member, d.label  # YOUTH_UNION
        below_lower_secondary = a.general_education in ("none", "literate", "primary")
        commune = plan.tree.upper_on(d.voting_cell, max(meeting, REFORM_DAY))
        assert (a.area_exemption == "mountain") == (commune == MOUNTAIN_COMMUNE), d.label
        assert (below_lower_secondary and a.area_exemption is None) == (d.path is Path.REJECTED_EDU_MIN), d.label
        certificate_months = age_in_months(d.awareness.issued_on, meeting)
        assert (certificate_months > 60) == (d.path is Path.REJECTED_CLASS_VALID), d.label  # CLASS_VALID
        assert d.awareness.issued_on < x.opened or d.path is Path.REJECTED_CLASS_VALID


def test_helpers_and_introducers_are_long_standing_official_members_of_the_cell(plan: Plan) -> None:
    members = {m.person.citizen_id: m for m in plan.members}
    exempted = {s.citizen_id for s in plan.status_changes}
    for d in plan.dossiers:
        assert members[d.helper].cell == d.cell and d.helper not in exempted
        assert members[d.ceremony_helper].cell == d.voting_cell and d.ceremony_helper not in exempted
        introduced = d.dates.introduced or d.dates.opened
        assert len(d.introducers) == (1 if d.union_resolution else 2)
        for introducer in d.introducers:
            member = members[introducer.citizen_id]
            assert member.cell == d.voting_cell and introducer.citizen_id not in exempted
            assert age_in_months(max(member.since, introducer.acquainted_since), introduced) >= 12  # INTRO_12M


def test_each_decision_is_made_by_the_competent_committee(plan: Plan) -> None:
    tree = plan.tree
    for d in plan.dossiers:
        x = d.dates
        if x.decided:
            assert d.decided_by == tree.competent_on(d.voting_cell, x.decided)
            assert d.decided_by in (*plan.communes, "DB-XM", "HU-CL")
            if x.decided >= REFORM_DAY:
                assert d.decided_by != "HU-CL"  # the district is gone
        if x.recognised or x.name_removed:
            assert d.recognised_by == tree.competent_on(d.voting_cell, x.recognised or x.name_removed)  # type: ignore[arg-type]
        if x.appraised:
            assert tree.partial_committee_on(d.voting_cell, x.appraised)
        if x.grassroots:
            assert tree.grassroots_committee_on(d.voting_cell, x.grassroots) != d.decided_by
    numbers = [(d.decided_by, d.decision_number) for d in plan.dossiers if d.decision_number]
    assert len(numbers) == len(set(numbers))


def test_people_are_fictional_but_shaped_like_real_ones(plan: Plan) -> None:
    ids = [m.person.citizen_id for m in plan.members] + [d.applicant.citizen_id for d in plan.dossiers]
    ids += [c for held in plan.classes for c, _ in held.attendees if c not in ids]
    assert len(ids) == len(set(ids))
    for person in [m.person for m in plan.members]:
        assert re.fullmatch(r"020[0-3]\d{8}", person.citizen_id)
        century = 0 if person.birth_date.year < 2000 else 2
        assert person.citizen_id[3] == str(century + (person.gender == "female"))
        assert person.citizen_id[4:6] == f"{person.birth_date.year % 100:02d}"
    names = [m.person.full_name for m in plan.members] + [d.applicant.full_name for d in plan.dossiers]
    names += [r.full_name for d in plan.dossiers for r in d.applicant.relatives]
    assert all(unicodedata.normalize("NFC", n) == n and len(n.split()) >= 3 for n in names)
    assert {d.applicant.ethnicity for d in plan.dossiers} >= {"Kinh", "Tày", "Nùng"}


def test_relatives_are_declared_as_the_dossiers_service_accepts_them(plan: Plan) -> None:
    members = {m.person.citizen_id: m for m in plan.members}
    for d in plan.dossiers:
        born = d.applicant.birth_date.year
        relations = [r.relation for r in d.applicant.relatives]
        assert relations[:2] == ["father", "mother"]
        for relative in d.applicant.relatives:
            if relative.relation in ("father", "mother"):
                assert relative.birth_year < born
            if relative.relation == "child":
                assert relative.birth_year > born and relative.adult_with_full_capacity is not None
            if relative.is_party_member:
                assert relative.member_citizen_id in members and members[relative.member_citizen_id].cell == relative.responding_organisation


def test_the_organisation_can_vote_and_reports_white_zones(plan: Plan) -> None:
    tree = plan.tree
    per_cell: dict[str, int] = {}
    for m in plan.members:
        per_cell[m.cell] = per_cell.get(m.cell, 0) + 1
    assert all(n >= 5 for cell, n in per_cell.items() if cell != EMPTIED_CELL)  # CELL_MIN3 and 2/3 votes
    for seat in plan.seats:
        member = next(m for m in plan.members if m.person.citizen_id == seat.citizen_id)
        assert seat.organisation in tree.chain_on(member.cell, seat.since) and member.since <= seat.since
    assert {t.citizen_id for t in plan.member_transfers} == {m.person.citizen_id for m in plan.members if m.cell == EMPTIED_CELL}
    assert any(locality.covered_by is None for locality in plan.localities)
    assert all(q.decision_date < plan.reference for q in plan.quotas)
    periods = {q.period for q in plan.quotas}
    assert periods >= {"2020-2025", "2025", "2025-2030", *(str(y) for y in range(2026, plan.reference.year))}


def test_the_reform_moves_every_grassroots_organisation_under_a_commune(plan: Plan) -> None:
    tree = plan.tree
    before, after = date(2025, 6, 30), REFORM_DAY
    for cell in ("CB-HT-NT", "CS-YT-CL", "CB-XM-LN", "CS-THCS-BS"):
        assert "HU-CL" in tree.chain_on(cell, before) and "HU-CL" not in tree.chain_on(cell, after)
        assert tree.upper_on(cell, after) in plan.communes
    assert tree.competent_on("CB-XM-LN", date(2025, 7, 15)) == "PH-DD"
    assert tree.competent_on("CB-XM-LN", date(2025, 8, 1)) == "DB-XM"  # authorised from that day
    assert tree.children_on(plan.province, after) == sorted(plan.communes)


def test_classes_hold_the_applicants_and_their_certificates(plan: Plan) -> None:
    by_id = {c.class_id: c for c in plan.classes}
    for d in plan.dossiers:
        for certificate in (d.awareness, d.new_member):
            if certificate is None:
                continue
            held = by_id[certificate.class_id]
            assert (d.applicant.citizen_id, certificate.number) in held.certificates
            assert certificate.issued_on == held.end
    for held in plan.classes:
        assert {c for c, _ in held.certificates} <= {c for c, _ in held.attendees}
        assert held.start <= held.end < plan.reference
        assert plan.tree.exists_on(held.organiser, held.start)


def test_rule_sets_follow_the_dates(plan: Plan) -> None:
    for d in plan.dossiers:
        if d.dates.decided:
            assert rule_set_on(d.dates.decided).id in ("2025-03", "2025-07")
    assert sum(1 for d in plan.dossiers if d.path in ADMITTED) >= 20


def test_idempotency_keys_fit_every_command() -> None:
    plan = build_plan(50, date(2026, 11, 22))
    longest = max(len(plan.key("dossier", d.number, "reply", r.relation + ":religious")) for d in plan.dossiers for r in d.applicant.relatives)
    assert 8 <= longest <= 128
