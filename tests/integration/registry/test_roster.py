"""Rosters and the cell vote's denominator (CELL_2_3) on a date, with each exclusion; tenure; committees."""

from __future__ import annotations

from tests.integration.registry.conftest import Registry

OFFICIALS = [f"00120300{n:04d}" for n in range(1, 8)]
PROBATIONARY = "001203009999"
TRANSFERRED, SUSPENDED, EXEMPT_ABSENT, EXEMPT_PRESENT = OFFICIALS[:4]


async def cell_with_members(r: Registry) -> None:
    await r.tree(G1="grassroots_committee:T01:2015-01-01", C1="cell:G1:2015-01-01", C2="cell:G1:2015-01-01")
    for citizen_id in OFFICIALS:
        await r.ok("register_member", citizen_id=citizen_id, full_name="Lê Văn Tám", organisation="C1", kind="official",
                   effective_from="2016-01-01")
    await r.ok("register_member", citizen_id=PROBATIONARY, full_name="Trần Thị Hoa", organisation="C1",
               kind="probationary", effective_from="2025-01-15", admitted_on="2025-01-15")


class TestDenominator:
    async def test_each_exclusion_applies_from_its_date_and_only_the_absent_exempted_leave_the_denominator(
        self, province: Registry
    ) -> None:
        r = province
        await cell_with_members(r)
        await r.ok("transfer_member", citizen_id=TRANSFERRED, transfer="temporary", to_organisation="C2",
                   effective_from="2025-03-01", reason="Đi học tập trung")
        await r.ok("change_member_status", citizen_id=SUSPENDED, status="suspended", effective_from="2025-03-01")
        await r.ok("change_member_status", citizen_id=EXEMPT_ABSENT, status="exempted", effective_from="2025-03-01")
        await r.ok("change_member_status", citizen_id=EXEMPT_PRESENT, status="exempted", effective_from="2025-03-01")

        before = await r.answer("roster", organisation="C1", on="2025-02-28", absent=[EXEMPT_ABSENT])
        assert (before["official_count"], before["official_count_for_vote"], before["denominator"]) == (7, 7, 7)

        meeting = await r.answer("roster", organisation="C1", on="2025-03-10", absent=[EXEMPT_ABSENT])
        statuses = {m["citizen_id"]: (m["kind"], m["status"]) for m in meeting["members"]}
        assert statuses[TRANSFERRED] == ("official", "transferred_out")
        assert statuses[SUSPENDED] == ("official", "suspended")
        assert statuses[EXEMPT_ABSENT] == statuses[EXEMPT_PRESENT] == ("official", "exempted")
        assert statuses[PROBATIONARY] == ("probationary", "active")
        assert (meeting["official_count"], meeting["probationary_count"]) == (7, 1)
        assert meeting["official_count_for_vote"] == 5  # 7 less transferred out, less suspended
        assert meeting["denominator"] == 4  # and less the exempted member who is absent
        assert sorted((e["reason"], e["citizen_id"]) for e in meeting["excluded"]) == sorted([
            ("transferred_out", TRANSFERRED), ("suspended", SUSPENDED), ("exempted_absent", EXEMPT_ABSENT),
            ("probationary", PROBATIONARY),
        ])
        all_present = await r.answer("roster", organisation="C1", on="2025-03-10")
        assert all_present["denominator"] == 5

        host = await r.answer("roster", organisation="C2", on="2025-03-10")
        assert host["members"] == [] and host["denominator"] == 0
        assert host["temporary_members"] == [{"citizen_id": TRANSFERRED, "kind": "official", "home": "C1"}]
        assert await r.answer("membership", citizen_id=TRANSFERRED, organisation="C2", on="2025-03-10") == {
            "member": True, "kind": "official", "status": "active", "since": "2025-03-01", "unit": "C2", "temporary": True,
            "organisation": "C2",
        }

        await r.ok("return_member", citizen_id=TRANSFERRED, effective_from="2025-06-01")
        await r.ok("change_member_status", citizen_id=SUSPENDED, status="active", effective_from="2025-06-01")
        after = await r.answer("roster", organisation="C1", on="2025-06-01", absent=[EXEMPT_ABSENT])
        assert (after["official_count_for_vote"], after["denominator"]) == (7, 6)
        assert (await r.answer("roster", organisation="C2", on="2025-06-01"))["temporary_members"] == []


class TestMembershipAndTenure:
    async def test_membership_and_tenure_follow_transfers_and_recognition(self, province: Registry) -> None:
        r = province
        await cell_with_members(r)
        first = OFFICIALS[0]
        assert await r.answer("membership", citizen_id=first, organisation="C1", on="2025-01-01") == {
            "member": True, "kind": "official", "status": "active", "since": "2016-01-01", "unit": "C1", "temporary": False,
            "organisation": "C1",
        }
        assert await r.answer("tenure", citizen_id=first, organisation="C1", on="2017-01-01") == {"months": 12, "since": "2016-01-01"}
        assert await r.answer("tenure", citizen_id=first, organisation="C1", on="2016-12-31") == {"months": 11, "since": "2016-01-01"}

        await r.ok("transfer_member", citizen_id=first, transfer="official", to_organisation="C2", effective_from="2024-01-01")
        assert (await r.answer("membership", citizen_id=first, organisation="C1", on="2024-01-01"))["member"] is False
        assert await r.answer("tenure", citizen_id=first, organisation="C2", on="2024-07-01") == {"months": 6, "since": "2024-01-01"}
        assert await r.answer("tenure", citizen_id=first, organisation="C1", on="2024-07-01") == {"months": 0, "since": None}

        unknown = await r.answer("membership", citizen_id="079099000001", organisation="C1", on="2025-01-01")
        assert unknown == {
            "member": False, "kind": None, "status": None, "since": None, "unit": None, "temporary": False, "organisation": "C1",
        }
        no_cell = await r.query("membership", citizen_id=first, organisation="C9", on="2025-01-01")
        assert no_cell["error"]["code"] == "not_found"

        person = await r.answer("member", citizen_id=PROBATIONARY, on="2025-02-01")
        assert (person["organisation"], person["kind"], person["admitted_on"]) == ("C1", "probationary", "2025-01-15")


class TestCommittee:
    async def test_the_committee_on_a_date_and_who_may_sit_on_it(self, province: Registry) -> None:
        r = province
        await cell_with_members(r)
        a, b = OFFICIALS[0], OFFICIALS[1]
        await r.ok("appoint_committee_member", organisation="G1", citizen_id=a, role="bí thư", effective_from="2020-10-01")
        await r.ok("appoint_committee_member", organisation="G1", citizen_id=b, effective_from="2020-10-01")
        await r.ok("end_committee_membership", organisation="G1", citizen_id=b, effective_from="2023-05-01", reason="Nghỉ hưu")
        assert await r.answer("committee", organisation="G1", on="2022-01-01") == {
            "organisation": "G1", "on": "2022-01-01", "members": [a, b], "count": 2, "roles": {a: "bí thư"},
        }
        assert (await r.answer("committee", organisation="G1", on="2023-05-01"))["members"] == [a]

        head = await r.head()
        probationary = await r.command("appoint_committee_member", organisation="G1", citizen_id=PROBATIONARY,
                                       effective_from="2025-02-01")
        assert probationary["error"]["code"] == "validation"
        assert "đảng viên chính thức" in probationary["error"]["message"]
        twice = await r.command("appoint_committee_member", organisation="G1", citizen_id=a, effective_from="2025-02-01")
        assert twice["error"]["code"] == "conflict" and twice["error"]["message"] == "Người này đã là cấp ủy viên của G1."
        assert await r.head() == head


class TestSubtreeTotals:
    async def test_a_committee_s_roster_gives_the_totals_of_its_subtree_by_cell(self, province: Registry) -> None:
        r = province
        await cell_with_members(r)
        await r.ok("register_member", citizen_id="001203008888", full_name="Đỗ Văn Mười", organisation="C2", kind="official",
                   effective_from="2016-01-01")
        committee = await r.answer("roster", organisation="G1", on="2025-02-01")
        assert committee["members"] == [] and committee["official_count"] == 0  # nobody on the committee's own roster
        assert committee["subtree"] == {
            "members": 9, "official": 8, "probationary": 1,
            "by_cell": [{"organisation": "C1", "official": 7, "probationary": 1}, {"organisation": "C2", "official": 1, "probationary": 0}],
        }
        before = await r.answer("roster", organisation="T01", on="2024-12-31")
        assert (before["subtree"]["members"], before["subtree"]["probationary"]) == (8, 0)  # the probationary joined 15/01/2025
