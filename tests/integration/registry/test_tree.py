"""Tree changes (establish, rename, move, authority, merge, split, dissolve) and questions as of a date."""

from __future__ import annotations

import asyncpg

from ketnap.platform import projections
from ketnap.services.registry.projections import RegistryModel
from tests.integration.registry.conftest import Registry

AN, BINH, CHAU, DUNG = "001203004561", "001203004562", "001203004563", "001203004564"


async def member(r: Registry, citizen_id: str, cell: str, since: str = "2016-01-01", kind: str = "official") -> None:
    await r.ok(
        "register_member", citizen_id=citizen_id, full_name=f"Đảng viên {citizen_id[-2:]}", organisation=cell, kind=kind,
        effective_from=since,
    )


async def district(r: Registry) -> None:
    await r.tree(
        H1="upper_committee:T01:2015-01-01",
        G1="grassroots_committee:H1:2015-01-01",
        G2="grassroots_committee:H1:2015-01-01",
        C1="cell:G1:2015-01-01",
        C2="cell:G2:2015-01-01",
    )


class TestMerge:
    async def test_a_report_before_the_merge_sees_the_old_tree_and_one_after_sees_the_new(
        self, province: Registry, pool: asyncpg.Pool
    ) -> None:
        r = province
        await district(r)
        await member(r, AN, "C1", since="2018-05-01")
        await member(r, BINH, "C2")
        await r.ok("appoint_committee_member", organisation="G1", citizen_id=AN, role="bí thư", effective_from="2020-10-01")
        await r.ok("register_locality", code="L1", name="Thôn Đoài", kind="thôn", organisation="G1", covered_by="C1",
                   effective_from="2015-01-01")

        await r.ok("merge_organisation", code="C1", into="C2", effective_from="2025-07-01", decision_number="12-QĐ/HU")
        await r.ok("merge_organisation", code="G1", into="G2", effective_from="2025-07-01", decision_number="13-QĐ/HU")

        before, after = "2025-06-30", "2025-07-01"
        old = await r.answer("organisation", code="C1", on=before)
        assert old["parent"] == "G1" and [a["code"] for a in old["ancestors"]] == ["G1", "H1", "T01"]
        assert old["ended"] == {"on": after, "how": "merged", "successor": "C2"}
        assert [m["citizen_id"] for m in (await r.answer("roster", organisation="C1", on=before))["members"]] == [AN]
        assert [m["citizen_id"] for m in (await r.answer("roster", organisation="C2", on=before))["members"]] == [BINH]
        assert (await r.answer("committee", organisation="G1", on=before))["members"] == [AN]
        assert {o["code"] for o in (await r.answer("subtree", code="H1", on=before))["organisations"]} == {
            "H1", "G1", "G2", "C1", "C2",
        }

        gone = await r.query("organisation", code="C1", on=after)
        assert gone["error"]["code"] == "not_found" and "C1" in gone["error"]["message"]
        # `unit_kind`, the dossiers' question: what `organisation` says of the kind, its refusal the same.
        assert await r.answer("unit_kind", code="c1", on=before) == {"code": "C1", "kind": "cell"}
        assert (await r.query("unit_kind", code="C1", on=after))["error"] == gone["error"]
        assert (await r.query("committee", organisation="G1", on=after))["error"]["code"] == "not_found"
        merged = await r.answer("roster", organisation="C2", on=after)
        assert [m["citizen_id"] for m in merged["members"]] == [AN, BINH] and merged["denominator"] == 2
        assert {o["code"] for o in (await r.answer("subtree", code="H1", on=after))["organisations"]} == {"H1", "G2", "C2"}
        assert (await r.answer("membership", citizen_id=AN, organisation="G2", on=after))["unit"] == "C2"
        assert (await r.answer("membership", citizen_id=AN, organisation="G2", on=before))["member"] is False
        # The stay in the cell goes on through the merge: INTRO_12M counts from 2018.
        assert await r.answer("tenure", citizen_id=AN, organisation="C2", on="2025-08-01") == {"months": 87, "since": "2018-05-01"}
        (locality,) = (await r.answer("localities", organisation="G2", on=after))["localities"]
        assert (locality["organisation"], locality["covered_by"], locality["white_zone"]) == ("G2", "C2", False)

        # A change recorded later but effective before the merge lands in the old tree only.
        await member(r, CHAU, "C1", since="2025-03-01")
        assert [m["citizen_id"] for m in (await r.answer("roster", organisation="C1", on=before))["members"]] == [AN, CHAU]
        assert [m["citizen_id"] for m in (await r.answer("roster", organisation="C2", on=after))["members"]] == [AN, BINH, CHAU]

        model = RegistryModel.of(r.name)
        await model.catch_up(pool)
        assert await projections.verify(pool, model) == []

    async def test_merging_into_a_unit_of_another_level_or_into_ones_own_subtree_is_refused(self, province: Registry) -> None:
        r = province
        await district(r)
        head = await r.head()
        other_level = await r.command("merge_organisation", code="C1", into="G2", effective_from="2025-07-01")
        assert other_level["error"]["code"] == "validation" and "không cùng cấp" in other_level["error"]["message"]
        assert await r.head() == head
        await r.tree(H2="upper_committee:H1:2016-01-01")
        head = await r.head()
        into_own_subtree = await r.command("merge_organisation", code="H1", into="H2", effective_from="2025-07-01")
        assert into_own_subtree["error"]["code"] == "validation" and "vòng lặp" in into_own_subtree["error"]["message"]
        assert await r.head() == head


class TestChangesAsOfADate:
    async def test_rename_move_and_admission_authority_are_answered_as_of_each_date(self, province: Registry) -> None:
        r = province
        await district(r)
        await member(r, AN, "C1")
        await r.ok("rename_organisation", code="C1", name="Chi bộ thôn Đông", effective_from="2020-01-01")
        await r.ok("grant_admission_authority", code="G1", decision_number="25-QĐ/HU", decision_date="2020-12-20",
                   effective_from="2021-01-01")
        await r.ok("move_organisation", code="C1", parent="G2", effective_from="2022-01-01", expected_version=2)

        assert (await r.answer("organisation", code="C1", on="2019-12-31"))["name"] == "Tổ chức C1"
        on_2021 = await r.answer("organisation", code="C1", on="2021-06-01")
        assert (on_2021["name"], on_2021["parent"], on_2021["version"]) == ("Chi bộ thôn Đông", "G1", 3)
        assert [a["code"] for a in (await r.answer("organisation", code="C1", on="2022-01-01"))["ancestors"]] == ["G2", "H1", "T01"]

        assert (await r.answer("competent_authority", organisation="C1", on="2020-06-01"))["organisation"] == "H1"
        authorised = await r.answer("competent_authority", organisation="C1", on="2021-06-01")
        assert authorised == {
            "organisation": "G1", "name": "Tổ chức G1", "kind": "grassroots_committee",
            "authorised_by": {"decision_number": "25-QĐ/HU", "decision_date": "2020-12-20", "effective_from": "2021-01-01"},
        }
        assert (await r.answer("competent_authority", organisation="C1", on="2022-06-01"))["organisation"] == "H1"
        assert (await r.answer("competent_authority", organisation="G1", on="2021-06-01"))["organisation"] == "G1"

        assert (await r.answer("membership", citizen_id=AN, organisation="G1", on="2021-12-31"))["member"] is True
        assert (await r.answer("membership", citizen_id=AN, organisation="G1", on="2022-01-01"))["member"] is False
        assert (await r.answer("membership", citizen_id=AN, organisation="G2", on="2022-01-01"))["kind"] == "official"

    async def test_a_split_sends_members_and_localities_where_the_decision_says_and_the_rest_to_the_first_part(
        self, province: Registry
    ) -> None:
        r = province
        await district(r)
        for citizen_id in (AN, BINH, CHAU):
            await member(r, citizen_id, "C1")
        await r.ok("register_locality", code="L1", name="Thôn 1", kind="thôn", organisation="G1", covered_by="C1",
                   effective_from="2015-01-01")
        await r.tree(C3="cell:G1:2024-01-01", C4="cell:G1:2024-01-01")

        await r.ok("split_organisation", code="C1", effective_from="2024-01-01",
                   parts=[{"code": "C3"}, {"code": "C4", "members": [BINH], "localities": ["L1"]}])

        c3 = await r.answer("roster", organisation="C3", on="2024-01-01")
        c4 = await r.answer("roster", organisation="C4", on="2024-01-01")
        assert [m["citizen_id"] for m in c3["members"]] == [AN, CHAU]
        assert [m["citizen_id"] for m in c4["members"]] == [BINH]
        assert [m["citizen_id"] for m in (await r.answer("roster", organisation="C1", on="2023-12-31"))["members"]] == [
            AN, BINH, CHAU,
        ]
        (locality,) = (await r.answer("localities", organisation="G1", on="2024-02-01"))["localities"]
        assert locality["covered_by"] == "C4"

    async def test_a_unit_is_dissolved_only_when_nothing_is_left_in_it(self, province: Registry) -> None:
        r = province
        await district(r)
        await member(r, AN, "C1")
        head = await r.head()
        refused = await r.command("dissolve_organisation", code="C1", effective_from="2024-01-01")
        assert refused["error"]["code"] == "rule:DISSOLVE_EMPTY"
        assert refused["error"]["message"] == (
            "[DISSOLVE_EMPTY] Tổ chức C1 còn 1 đảng viên; hãy chuyển đi hoặc sáp nhập trước khi giải thể."
        )
        assert await r.head() == head
        await r.ok("transfer_member", citizen_id=AN, transfer="official", to_organisation="C2", effective_from="2023-12-01")
        await r.ok("dissolve_organisation", code="C1", effective_from="2024-01-01", reason="Không còn đảng viên")
        assert (await r.query("roster", organisation="C1", on="2024-01-01"))["error"]["code"] == "not_found"
        assert (await r.answer("subtree", code="G1", on="2024-01-01"))["organisations"] == [
            {"code": "G1", "name": "Tổ chức G1", "kind": "grassroots_committee", "parent": "H1", "depth": 0,
             "may_decide_admission": False},
        ]
        again = await r.command("rename_organisation", code="C1", name="Chi bộ mới", effective_from="2024-02-01")
        assert again["error"]["message"] == "Tổ chức C1 đã giải thể từ ngày 01/01/2024."
