"""The organisation aggregate and the rules of the tree, without any I/O."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketnap.platform.commands import InvalidInput
from ketnap.services.registry import errors
from ketnap.services.registry.events import OrganisationEstablished, OrganisationMerged, OrganisationRenamed, SplitPart
from ketnap.services.registry.organisation import ALLOWED_PARENTS, ROOT_KINDS, Organisation, UnitView, check_no_cycle
from ketnap.services.registry.values import MemberKind
from ketnap.services.registry.values import OrganisationKind as K

D = date(2020, 1, 1)
GRASSROOTS = UnitView("G1", "Đảng bộ xã", K.GRASSROOTS_COMMITTEE, "H1")
UPPER = UnitView("H1", "Huyện ủy", K.UPPER_COMMITTEE, "T01")


def cell(code: str = "C1", parent: str = "G1") -> Organisation:
    organisation = Organisation(code)
    for event in organisation.establish(name="Chi bộ 1", kind=K.CELL, parent_code=parent, parent=GRASSROOTS, effective_from=D):
        organisation.apply(event)
    return organisation


class TestEstablishing:
    def test_a_unit_sits_only_under_the_kinds_allowed_for_it(self) -> None:
        with pytest.raises(errors.ParentKindNotAllowed, match="Chi bộ không thể trực thuộc cấp ủy cấp trên cơ sở"):
            Organisation("C1").establish(name="x", kind=K.CELL, parent_code="H1", parent=UPPER, effective_from=D)
        with pytest.raises(errors.RootNotAllowed):
            Organisation("C1").establish(name="x", kind=K.CELL, parent_code=None, parent=None, effective_from=D)
        with pytest.raises(errors.UnknownParent, match="Tổ chức cấp trên G9 không tồn tại vào ngày 01/01/2020"):
            Organisation("C1").establish(name="x", kind=K.CELL, parent_code="G9", parent=None, effective_from=D)

    @given(st.sampled_from(list(K)), st.sampled_from(list(K)))
    def test_the_placement_rules_are_a_strict_order_except_nested_upper_committees(self, kind: K, parent: K) -> None:
        rank = [K.CELL, K.PARTIAL_COMMITTEE, K.GRASSROOTS_COMMITTEE, K.UPPER_COMMITTEE, K.PROVINCE, K.CENTRAL]
        if parent in ALLOWED_PARENTS[kind]:
            level = lambda k: rank.index(K.CELL if k is K.GRASSROOTS_CELL else k)  # noqa: E731
            assert level(parent) > level(kind) or kind is parent is K.UPPER_COMMITTEE
        assert K.CENTRAL in ROOT_KINDS and K.CELL not in ROOT_KINDS

    def test_a_code_is_established_once(self) -> None:
        with pytest.raises(errors.OrganisationAlreadyExists) as taken:
            cell().establish(name="x", kind=K.CELL, parent_code="G1", parent=GRASSROOTS, effective_from=D)
        assert taken.value.details["rule"] == "ORG_CODE_UNIQUE"  # a rule's refusal, like the same code in another case


class TestChanges:
    def test_changes_keep_the_order_of_their_effective_dates(self) -> None:
        organisation = cell()
        (renamed,) = organisation.rename("Chi bộ Đông", date(2021, 1, 1))
        assert renamed == OrganisationRenamed(code="C1", name="Chi bộ Đông", previous_name="Chi bộ 1", effective_from=date(2021, 1, 1))
        organisation.apply(renamed)
        with pytest.raises(errors.EffectiveDateTooEarly, match="01/06/2020"):
            organisation.rename("Chi bộ Tây", date(2020, 6, 1))
        with pytest.raises(errors.NotYetEstablished):
            Organisation.from_history("C1", [OrganisationEstablished(code="C1", name="x", kind=K.CELL, parent="G1",
                                                                     effective_from=D)]).rename("y", date(2019, 1, 1))

    def test_an_ended_unit_takes_no_further_change(self) -> None:
        organisation = cell()
        organisation.apply(OrganisationMerged(code="C1", into="C2", effective_from=date(2025, 7, 1)))
        with pytest.raises(errors.OrganisationEnded, match="đã sáp nhập từ ngày 01/07/2025"):
            organisation.rename("y", date(2025, 8, 1))

    def test_only_a_grassroots_committee_is_authorised_to_decide_admissions(self) -> None:
        with pytest.raises(errors.AuthorityNotGrantable):
            cell().grant_admission_authority(decision_number="1", decision_date=D, effective_from=D)
        committee = Organisation.from_history("G1", [OrganisationEstablished(
            code="G1", name="x", kind=K.GRASSROOTS_COMMITTEE, parent="H1", effective_from=D)])
        (granted,) = committee.grant_admission_authority(decision_number="1-QĐ", decision_date=D, effective_from=D)
        committee.apply(granted)
        committee.apply(*committee.revoke_admission_authority(effective_from=date(2022, 1, 1)))
        with pytest.raises(errors.NoAdmissionAuthority):
            committee.revoke_admission_authority(effective_from=date(2023, 1, 1))


class TestCycles:
    @given(st.lists(st.sampled_from(["A", "B", "C", "D", "E"]), min_size=1, max_size=5, unique=True))
    def test_a_unit_may_not_go_under_a_unit_whose_chain_contains_it(self, chain: list[str]) -> None:
        if "X" in chain:
            return
        check_no_cycle("X", chain[0], [(D, chain)])
        with pytest.raises(errors.TreeCycle):
            check_no_cycle("X", chain[0], [(D, chain), (date(2026, 1, 1), [*chain, "X"])])
        with pytest.raises(errors.TreeCycle):
            check_no_cycle("X", "X", [])

    def test_merging_into_a_unit_of_another_level_is_refused(self) -> None:
        with pytest.raises(errors.IncompatibleLevel):
            cell().merge_into(into_code="G2", into=UnitView("G2", "x", K.GRASSROOTS_COMMITTEE, "H1"), into_chains=[],
                              effective_from=D)
        (merged,) = cell().merge_into(into_code="C2", into=UnitView("C2", "x", K.GRASSROOTS_CELL, "H1"),
                                      into_chains=[(D, ["C2", "H1"])], effective_from=D)
        assert merged.into == "C2"


class TestSplitAndDissolve:
    def test_a_split_allocates_only_what_the_unit_holds_and_each_item_once(self) -> None:
        units = {"C3": UnitView("C3", "x", K.CELL, "G1"), "C4": UnitView("C4", "x", K.CELL, "G1")}
        common = dict(part_units=units, part_chains={}, members={"m1", "m2"}, children=set(), localities={"L1"},
                      effective_from=D)
        with pytest.raises(InvalidInput, match="không thuộc C1"):
            cell().split(parts=[SplitPart(code="C3"), SplitPart(code="C4", members=["m9"])], **common)
        with pytest.raises(InvalidInput, match="chia cho hai nơi"):
            cell().split(parts=[SplitPart(code="C3", members=["m1"]), SplitPart(code="C4", members=["m1"])], **common)
        with pytest.raises(errors.UnknownOrganisation):
            cell().split(parts=[SplitPart(code="C3"), SplitPart(code="C5")], **common)
        (split,) = cell().split(parts=[SplitPart(code="C3"), SplitPart(code="C4", members=["m2"], localities=["L1"])], **common)
        assert [p.code for p in split.parts] == ["C3", "C4"]

    def test_dissolving_needs_an_empty_unit(self) -> None:
        with pytest.raises(errors.StillInUse, match="còn 2 đảng viên, 1 địa bàn"):
            cell().dissolve(members=2, children=0, localities=1, effective_from=D)


class TestCommitteeAndQuotas:
    def test_committee_seats_need_an_official_member_and_are_held_once(self) -> None:
        organisation = cell()
        with pytest.raises(InvalidInput, match="đảng viên chính thức"):
            organisation.appoint_committee_member(citizen_id="001", role=None, member_kind=MemberKind.PROBATIONARY, effective_from=D)
        organisation.apply(*organisation.appoint_committee_member(citizen_id="001", role="bí thư",
                                                                  member_kind=MemberKind.OFFICIAL, effective_from=D))
        with pytest.raises(errors.CommitteeSeatTaken):
            organisation.appoint_committee_member(citizen_id="001", role=None, member_kind=MemberKind.OFFICIAL, effective_from=D)
        with pytest.raises(errors.NotOnCommittee):
            organisation.end_committee_membership(citizen_id="002", effective_from=D)

    def test_a_quota_is_assigned_once_by_a_unit_above_and_changed_with_a_reason(self) -> None:
        organisation = cell()
        with pytest.raises(errors.NotAnAncestor):
            organisation.assign_quota(period="2025", quantity=3, assigned_by="G7", assigned_by_is_above=False, decision_date=D)
        organisation.apply(*organisation.assign_quota(period="2020-2025", quantity=10, assigned_by="G1",
                                                      assigned_by_is_above=True, decision_date=D))
        with pytest.raises(errors.QuotaAlreadyAssigned):
            organisation.assign_quota(period="2020-2025", quantity=12, assigned_by="G1", assigned_by_is_above=True, decision_date=D)
        (changed,) = organisation.change_quota(period="2020-2025", quantity=12, reason="Bổ sung", decision_date=date(2022, 1, 1))
        assert (changed.previous_quantity, changed.quantity) == (10, 12)
        with pytest.raises(errors.QuotaNotAssigned):
            organisation.change_quota(period="2024", quantity=1, reason="x", decision_date=D)

    def test_a_unit_with_none_above_records_its_own_quota_and_only_such_a_unit(self) -> None:
        organisation = cell()
        with pytest.raises(errors.OwnQuotaUnderAUnitAbove):
            organisation.assign_quota(period="2025", quantity=3, assigned_by=organisation.code, assigned_by_is_above=False,
                                      decision_date=D, has_unit_above=True)
        (own,) = organisation.assign_quota(period="2025", quantity=3, assigned_by=organisation.code, assigned_by_is_above=False,
                                           decision_date=D, has_unit_above=False)
        assert (own.assigned_by, own.quantity) == (organisation.code, 3)
