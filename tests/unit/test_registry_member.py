"""A person's membership: one stream per citizen id, names in NFC, status and transfer rules."""

from __future__ import annotations

import unicodedata
from datetime import date

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketnap.platform.commands import InvalidInput
from ketnap.services.registry import errors
from ketnap.services.registry.commands import RegisterMember
from ketnap.services.registry.member import Person
from ketnap.services.registry.organisation import UnitView
from ketnap.services.registry.values import MemberKind, MemberStatus, OrganisationKind, TransferKind, normalised_text

C1 = UnitView("C1", "Chi bộ 1", OrganisationKind.CELL, "G1")
C2 = UnitView("C2", "Chi bộ 2", OrganisationKind.CELL, "G1")
G1 = UnitView("G1", "Đảng bộ", OrganisationKind.GRASSROOTS_COMMITTEE, "H1")
D = date(2016, 1, 1)


def member(kind: MemberKind = MemberKind.OFFICIAL) -> Person:
    person = Person("001203004567")
    for event in person.join(full_name="Nguyễn Văn An", organisation="C1", unit=C1, kind=kind, effective_from=D):
        person.apply(event)
    return person


@given(st.text(alphabet="aăâeêoôơuưiyđAĂÂĐ áàảãạ\u0301\u0300\u0309\u0303\u0323 ", max_size=30))
def test_a_name_typed_in_nfd_or_with_stray_spaces_is_the_same_name(name: str) -> None:
    nfd = "  " + unicodedata.normalize("NFD", name).replace(" ", "  ") + "\t"
    assert normalised_text(nfd) == normalised_text(name) == normalised_text(unicodedata.normalize("NFC", name))


def test_commands_store_names_in_nfc_and_refuse_a_malformed_citizen_id() -> None:
    fields = dict(idempotency_key="k" * 8, actor="a", scope="C1", organisation="C1", kind="official", effective_from="2016-01-01")
    command = RegisterMember(citizen_id="001203004567", full_name=unicodedata.normalize("NFD", " Lê  Thị Hồng "), **fields)
    assert command.full_name == "Lê Thị Hồng" and unicodedata.is_normalized("NFC", command.full_name)
    for bad in ("00120300456", "0012030045678", "00120300456a", 1203004567):
        with pytest.raises(pydantic.ValidationError, match="12 chữ số"):
            RegisterMember(citizen_id=bad, full_name="Lê Thị Hồng", **fields)


def test_a_person_is_a_member_once_and_only_of_a_cell() -> None:
    with pytest.raises(errors.AlreadyMember, match="đang sinh hoạt tại C1"):
        member().join(full_name="Nguyễn Văn An", organisation="C2", unit=C2, kind=MemberKind.OFFICIAL, effective_from=D)
    with pytest.raises(errors.MembersOnlyInCells):
        Person("001203004568").join(full_name="x", organisation="G1", unit=G1, kind=MemberKind.OFFICIAL, effective_from=D)
    with pytest.raises(errors.UnknownOrganisation):
        Person("001203004568").join(full_name="x", organisation="C9", unit=None, kind=MemberKind.OFFICIAL, effective_from=D)


def test_a_temporary_transfer_is_a_status_that_only_a_return_ends() -> None:
    person = member()
    person.apply(*person.transfer(transfer=TransferKind.TEMPORARY, from_organisation="C1", to_organisation="C2", to_unit=C2,
                                  effective_from=date(2024, 1, 1)))
    assert (person.membership.status, person.membership.host) == (MemberStatus.TRANSFERRED_OUT, "C2")
    with pytest.raises(errors.TransferredOutNow, match="trở về") as refused:  # a conflict: the loser of a race with the transfer
        person.change_status(status=MemberStatus.SUSPENDED, organisation="C1", effective_from=date(2024, 2, 1))
    assert refused.value.code == "conflict"
    with pytest.raises(errors.TransferredOutNow):  # the loser of two temporary transfers at once
        person.transfer(transfer=TransferKind.TEMPORARY, from_organisation="C1", to_organisation="C2", to_unit=C2,
                        effective_from=date(2024, 1, 1))
    with pytest.raises(errors.InvalidStatusChange):
        person.change_status(status=MemberStatus.TRANSFERRED_OUT, organisation="C1", effective_from=date(2024, 2, 1))
    with pytest.raises(errors.EffectiveDateTooEarly):
        person.return_from_transfer(organisation="C1", effective_from=date(2023, 12, 1))
    person.apply(*person.return_from_transfer(organisation="C1", effective_from=date(2024, 6, 1)))
    with pytest.raises(errors.NotTransferredOut) as refused:  # the loser of two returns recorded at once
        person.return_from_transfer(organisation="C1", effective_from=date(2024, 6, 1))
    assert refused.value.code == "conflict"
    assert (person.membership.status, person.membership.host) == (MemberStatus.ACTIVE, None)


def test_recognition_may_be_dated_back_to_ceremony_plus_twelve_months_but_not_before_joining() -> None:
    person = member(MemberKind.PROBATIONARY)
    person.apply(*person.change_status(status=MemberStatus.EXEMPTED, organisation="C1", effective_from=date(2017, 3, 1)))
    (official,) = person.become_official(organisation="C1", official_date=date(2017, 1, 1), decision_date=date(2017, 3, 20))
    person.apply(official)
    with pytest.raises(errors.NotProbationary):
        person.become_official(organisation="C1", official_date=date(2018, 1, 1))
    with pytest.raises(InvalidInput, match="trước ngày bắt đầu sinh hoạt"):
        member(MemberKind.PROBATIONARY).become_official(organisation="C1", official_date=date(2015, 1, 1))


def test_after_name_removal_the_person_is_no_member_and_may_be_admitted_again() -> None:
    person = member()
    person.apply(*person.remove_name(organisation="C1", effective_from=date(2020, 1, 1), reason="Xóa tên"))
    with pytest.raises(errors.NotAMember):
        person.change_status(status=MemberStatus.EXEMPTED, organisation="C1", effective_from=date(2021, 1, 1))
    (joined,) = person.join(full_name="Nguyễn Văn An", organisation="C2", unit=C2, kind=MemberKind.PROBATIONARY,
                            effective_from=date(2024, 1, 1), admitted_on=date(2024, 1, 1), how="admission")
    assert joined.organisation == "C2"
