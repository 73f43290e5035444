"""What the staff web application's organisation pages read: a unit's history, its roster with
names, and the classes held in its subtree with their attendees."""

from __future__ import annotations

from tests.integration.registry.conftest import Registry

AN, BINH, CHAU = "001203004571", "001203004572", "001203004573"


async def test_a_units_history_lists_each_change_then_how_it_ended(province: Registry) -> None:
    r = province
    await r.tree(H1="upper_committee:T01:2015-01-01", G1="grassroots_committee:H1:2015-01-01",
                 G2="grassroots_committee:H1:2015-01-01", C1="cell:G1:2015-01-01")
    await r.ok("rename_organisation", code="C1", name="Chi bộ thôn Đông", effective_from="2020-01-01")
    await r.ok("grant_admission_authority", code="G1", decision_number="25-QĐ/HU", decision_date="2020-12-20", effective_from="2021-01-01")
    await r.ok("move_organisation", code="C1", parent="G2", effective_from="2022-01-01")
    await r.ok("dissolve_organisation", code="C1", effective_from="2024-01-01", decision_number="40-QĐ/HU")

    cell = (await r.answer("history", code="C1"))["changes"]
    assert [(c["on"], c["change"]) for c in cell] == [
        ("2015-01-01", "established"), ("2020-01-01", "renamed"), ("2022-01-01", "moved"), ("2024-01-01", "dissolved"),
    ]
    assert cell[1]["name"] == "Chi bộ thôn Đông" and cell[2]["parent"] == "G2" and cell[3]["decision_number"] == "40-QĐ/HU"
    committee = (await r.answer("history", code="G1"))["changes"]
    assert [(c["on"], c["change"], c["decision_number"]) for c in committee] == [
        ("2015-01-01", "established", None), ("2021-01-01", "authority_granted", "25-QĐ/HU"),
    ]
    assert (await r.query("history", code="C9"))["error"]["code"] == "not_found"


async def test_the_members_roster_carries_names_and_the_hosted_members_last(province: Registry) -> None:
    r = province
    await r.tree(G1="grassroots_committee:T01:2015-01-01", C1="cell:G1:2015-01-01", C2="cell:G1:2015-01-01")
    await r.ok("register_member", citizen_id=AN, full_name="Lê Văn An", organisation="C1", kind="official", effective_from="2016-01-01")
    await r.ok("register_member", citizen_id=BINH, full_name="Đỗ Thị Bình", organisation="C1", kind="probationary",
               effective_from="2025-02-01")
    await r.ok("register_member", citizen_id=CHAU, full_name="Ân Văn Châu", organisation="C2", kind="official", effective_from="2016-01-01")
    await r.ok("transfer_member", citizen_id=CHAU, transfer="temporary", to_organisation="C1", effective_from="2025-03-01")

    found = (await r.answer("members", organisation="C1", on="2025-06-01"))["members"]
    assert [(m["full_name"], m["kind"], m["temporary"]) for m in found] == [
        ("Lê Văn An", "official", False), ("Đỗ Thị Bình", "probationary", False), ("Ân Văn Châu", "official", True),
    ]
    assert found[2]["home"] == "C2" and found[0]["since"] == "2016-01-01"
    await r.ok("appoint_committee_member", organisation="G1", citizen_id=AN, role="bí thư", effective_from="2020-10-01")
    seats = (await r.answer("members", organisation="G1", on="2025-06-01"))["committee"]
    assert seats == [{"citizen_id": AN, "full_name": "Lê Văn An", "role": "bí thư", "since": "2020-10-01"}]
    assert (await r.answer("members", organisation="C1", on="2015-06-01"))["members"] == []


async def test_the_classes_of_a_subtree_with_their_attendees_and_certificates(province: Registry) -> None:
    r = province
    await r.tree(G1="grassroots_committee:T01:2015-01-01", C1="cell:G1:2015-01-01", G2="grassroots_committee:T01:2015-01-01")
    await r.ok("record_class", class_id="NT-2024-03", kind="awareness", organiser="G1", title="Lớp nhận thức về Đảng",
               start_date="2024-03-04", end_date="2024-03-08",
               attendees=[{"citizen_id": AN, "full_name": "Lê Văn An"}, {"citizen_id": BINH, "full_name": "Mai Thị Bình"}])
    await r.ok("issue_certificates", class_id="NT-2024-03", certificates=[{"citizen_id": AN, "number": "1234/GCN", "issued_on": "2024-03-08"}])
    await r.ok("record_class", class_id="NT-2024-09", kind="awareness", organiser="G2", start_date="2024-09-04", end_date="2024-09-08",
               attendees=[{"citizen_id": CHAU, "full_name": "Ân Văn Châu"}])

    held = (await r.answer("classes", organisation="G1", on="2025-01-01"))["classes"]
    assert [c["class_id"] for c in held] == ["NT-2024-03"]
    assert held[0]["attendees"] == [
        {"citizen_id": AN, "full_name": "Lê Văn An", "certificate_number": "1234/GCN", "certificate_issued_on": "2024-03-08"},
        {"citizen_id": BINH, "full_name": "Mai Thị Bình", "certificate_number": None, "certificate_issued_on": None},
    ]
