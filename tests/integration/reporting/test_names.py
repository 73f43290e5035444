"""Report rows that name a dossier carry the applicant's name when the query asks for it (`names`,
which the gateway sets for the roles that may read personal data), and only then; also as of a
past moment, when the projections are rebuilt."""

from __future__ import annotations

from tests.integration.reporting.conftest import DISTRICT, World


async def test_overdue_deadlines_name_the_applicant_when_names_are_asked(world: World) -> None:
    named = await world.result("deadlines", organisation=DISTRICT, overdue_only=True, names=True)
    assert named["items"] and {i["full_name"] for i in named["items"]} == {"Nguyễn Thị Hoa"}
    plain = await world.result("deadlines", organisation=DISTRICT, overdue_only=True)
    assert plain["items"] and not any("full_name" in i for i in plain["items"])
    assert [i["dossier_id"] for i in plain["items"]] == [i["dossier_id"] for i in named["items"]]


async def test_admissions_against_a_quota_name_the_new_member_also_as_of_a_past_moment(world: World) -> None:
    today = await world.result("quota", organisation=DISTRICT, year=2025, names=True)
    assert len(today["admissions"]) == 4 and {a["full_name"] for a in today["admissions"]} == {"Nguyễn Thị Hoa"}
    assert world.before_merge is not None
    then = await world.result("quota", organisation=DISTRICT, year=2025, names=True, as_of=world.before_merge.isoformat())
    assert len(then["admissions"]) == 3 and {a["full_name"] for a in then["admissions"]} == {"Nguyễn Thị Hoa"}
    assert not any("full_name" in a for a in (await world.result("quota", organisation=DISTRICT, year=2025))["admissions"])
