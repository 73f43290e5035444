"""The scope check: which organisations and dossiers a request names, and whether a user covers them."""

from __future__ import annotations

from datetime import date

import pytest

from ketnap.platform.commands import Forbidden, NotFound
from ketnap.services.gateway.access import COMMANDS, QUERIES, Access, Role
from ketnap.services.gateway.scope import (
    WHOLE_DEPLOYMENT,
    Principal,
    Standing,
    authorise,
    covers,
    named_dossiers,
    named_organisations,
    refuse_role,
    with_own_organisation,
)

TREE = {"T01": None, "DU-A": "T01", "CB-A1": "DU-A", "CB-A2": "DU-A", "DU-B": "T01", "CB-B1": "DU-B"}
CELLS = {"d-a1": "CB-A1", "d-b1": "CB-B1"}
ENDED = {"HU-X": (date(2025, 7, 1), "T01"), "CB-OLD": (date(2024, 1, 1), "CB-A1")}
"""Units that ended, with the day and what took their place (the registry's `authority` answers
for it): a district dissolved by the reform (the province above it), a cell merged into CB-A1."""


class Tree:
    """Today's organisation tree and dossiers in memory: what the registry and the dossiers service answer."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def authority(self, code: str) -> Standing:
        self.asked.append(code)
        ended_on, heir = ENDED.get(code, (None, code))
        if heir not in TREE:
            raise NotFound(f"Không có tổ chức {code}.")
        found = [heir]
        while TREE[found[-1]] is not None:
            found.append(TREE[found[-1]])  # type: ignore[arg-type]
        return Standing(tuple(found), ended_on)

    async def dossier_cell(self, dossier_id: str) -> str | None:
        return CELLS.get(dossier_id)

    def opened(self, dossier_id: str, cell: str) -> None:
        pass  # the tree of these tests is fixed


def test_a_unit_is_covered_by_itself_and_every_unit_above_it() -> None:
    chain = ["CB-A1", "DU-A", "T01"]
    assert covers("CB-A1", chain) and covers("DU-A", chain) and covers("T01", chain)
    assert not covers("CB-A2", chain) and not covers("DU-B", chain)
    assert covers(WHOLE_DEPLOYMENT, chain) and covers(WHOLE_DEPLOYMENT, [])


def test_a_role_outside_the_table_is_refused_by_name() -> None:
    access = COMMANDS[("voting", "decide_admission")]
    assert refuse_role(access, Role.STANDING_COMMITTEE, "voting.decide_admission") is None
    refusal = refuse_role(access, Role.CELL_SECRETARY, "voting.decide_admission")
    assert isinstance(refusal, Forbidden)
    assert refusal.message == "Vai trò Bí thư chi bộ không được thực hiện voting.decide_admission; chỉ: Ban thường vụ."
    assert refusal.details == {"role": "cell_secretary", "allowed": ["standing_committee"]}


@pytest.mark.parametrize("key", sorted(COMMANDS))
def test_an_inspector_is_refused_every_command(key: tuple[str, str]) -> None:
    assert refuse_role(COMMANDS[key], Role.INSPECTOR, ".".join(key)) is not None


def test_the_organisations_and_dossiers_a_request_names() -> None:
    access = COMMANDS[("registry", "move_organisation")]
    assert named_organisations(access, {"code": "CB-A1", "parent": "DU-B", "name": "x"}) == ["CB-A1", "DU-B"]
    assert named_organisations(COMMANDS[("registry", "establish_organisation")], {"parent": None}) == []
    assert named_dossiers({"dossier_id": "d1"}) == ["d1"]
    assert named_dossiers({"dossier_ids": ["d1", "d2"]}) == ["d1", "d2"]
    assert named_dossiers({"dossier_id": None, "cell": "CB-A1"}) == []


def test_a_read_without_an_organisation_is_about_the_readers_own() -> None:
    deadlines = QUERIES[("voting", "deadlines")]
    optional = {"dossier_id", "organisation", "on"}
    assert with_own_organisation(deadlines, {}, "CB-A1", optional) == {"organisation": "CB-A1"}
    assert with_own_organisation(deadlines, {"organisation": "CB-A2"}, "CB-A1", optional) == {"organisation": "CB-A2"}
    # A read about one dossier is scoped by the dossier; voting refuses both at once.
    assert with_own_organisation(deadlines, {"dossier_id": "d1"}, "CB-A1", optional) == {"dossier_id": "d1"}
    # A required field is left for the validation to name.
    assert with_own_organisation(QUERIES[("reporting", "quota")], {}, "CB-A1", {"year"}) == {}


def user(role: Role, organisation: str) -> Principal:
    return Principal(f"{role.value}-{organisation}", role, organisation)


async def test_organisations_named_must_lie_in_the_users_subtree() -> None:
    access = COMMANDS[("registry", "move_organisation")]
    board = user(Role.ORGANISATION_BOARD, "DU-A")
    await authorise(board, access, {"code": "CB-A1", "parent": "DU-A"}, Tree())
    with pytest.raises(Forbidden, match="Tổ chức DU-B không thuộc phạm vi quản lý của DU-A"):
        await authorise(board, access, {"code": "CB-A1", "parent": "DU-B"}, Tree())
    with pytest.raises(NotFound):
        await authorise(board, access, {"code": "CB-ZZ", "parent": "DU-A"}, Tree())


async def test_scope_is_judged_on_todays_tree_whatever_day_the_act_is_about() -> None:
    appoint = COMMANDS[("registry", "appoint_committee_member")]
    # CB-A1 sat under the district HU-X before the reform; today it is under DU-A. Dating the act
    # in the past reaches nothing for HU-X's users, and DU-A's board corrects CB-A1's past.
    await authorise(user(Role.ORGANISATION_BOARD, "DU-A"), appoint, {"organisation": "CB-A1", "effective_from": "2024-03-01"}, Tree())
    with pytest.raises(Forbidden):
        await authorise(user(Role.ORGANISATION_BOARD, "DU-B"), appoint, {"organisation": "CB-A1", "effective_from": "2024-03-01"}, Tree())


async def test_a_unit_that_has_ended_is_in_the_hands_of_what_took_its_place() -> None:
    quota = COMMANDS[("registry", "assign_quota")]
    # The dissolved district's 2020-2025 quota is the province's to record, today.
    await authorise(user(Role.ORGANISATION_BOARD, "T01"), quota, {"organisation": "HU-X", "assigned_by": "T01"}, Tree())
    # A cell merged into CB-A1: CB-A1's committee (DU-A) corrects it, DU-B cannot.
    rating = COMMANDS[("registry", "correct_quality_rating")]
    await authorise(user(Role.GRASSROOTS_STAFF, "DU-A"), rating, {"organisation": "CB-OLD"}, Tree())
    with pytest.raises(Forbidden):
        await authorise(user(Role.GRASSROOTS_STAFF, "DU-B"), rating, {"organisation": "CB-OLD"}, Tree())


async def test_a_user_whose_organisation_has_ended_neither_writes_nor_reads() -> None:
    appoint = COMMANDS[("registry", "appoint_committee_member")]
    with pytest.raises(Forbidden, match="Tổ chức HU-X của người dùng đã kết thúc hoạt động từ ngày 01/07/2025"):
        await authorise(user(Role.ORGANISATION_BOARD, "HU-X"), appoint, {"organisation": "CB-A1", "effective_from": "2024-03-01"}, Tree())
    with pytest.raises(Forbidden, match="đã kết thúc"):
        await authorise(user(Role.ORGANISATION_BOARD, "HU-X"), QUERIES[("reporting", "stats")], {"organisation": "HU-X"}, Tree())


async def test_dossiers_are_checked_through_their_current_cell() -> None:
    access = COMMANDS[("dossiers", "withdraw")]
    secretary = user(Role.CELL_SECRETARY, "CB-A1")
    assert await authorise(secretary, access, {"dossier_id": "d-a1"}, Tree()) == {"d-a1": "CB-A1"}
    with pytest.raises(Forbidden, match="Hồ sơ d-b1 không thuộc phạm vi"):
        await authorise(secretary, access, {"dossier_id": "d-b1"}, Tree())
    with pytest.raises(NotFound, match="Không có hồ sơ d-zz"):
        await authorise(secretary, access, {"dossier_id": "d-zz"}, Tree())
    vote = COMMANDS[("voting", "record_cell_resolution")]
    with pytest.raises(Forbidden):
        await authorise(user(Role.GRASSROOTS_STAFF, "DU-A"), vote, {"cell": "CB-A1", "dossier_ids": ["d-a1", "d-b1"]}, Tree())


async def test_a_dossier_being_opened_need_not_exist_yet() -> None:
    access = COMMANDS[("dossiers", "open_dossier")]
    secretary = user(Role.CELL_SECRETARY, "CB-A1")
    tree = Tree()
    assert await authorise(secretary, access, {"dossier_id": "new", "cell": "CB-A1"}, tree, opens_dossier=True) == {}
    assert tree.asked == ["CB-A1"]  # asked once: the user's own organisation stands, and it is the cell named
    with pytest.raises(Forbidden):
        await authorise(secretary, access, {"dossier_id": "d-b1", "cell": "CB-A1"}, tree, opens_dossier=True)


async def test_a_request_naming_nothing_asks_only_whether_the_users_organisation_stands() -> None:
    tree = Tree()
    await authorise(user(Role.GRASSROOTS_STAFF, "DU-A"), Access((Role.GRASSROOTS_STAFF,)), {"citizen_id": "001080000001"}, tree)
    assert tree.asked == ["DU-A"], "only whether the user's own organisation still stands"
