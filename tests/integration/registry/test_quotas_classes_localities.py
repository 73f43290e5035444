"""Quotas given from above, classes and their certificates, localities and white zones."""

from __future__ import annotations

from tests.integration.registry.conftest import Registry

AN, BINH = "001203004561", "001203004562"


async def commune(r: Registry) -> None:
    await r.tree(H1="upper_committee:T01:2015-01-01", G1="grassroots_committee:H1:2015-01-01", C1="cell:G1:2015-01-01",
                 C2="cell:G1:2015-01-01")


async def test_a_quota_is_given_from_above_and_every_change_keeps_its_reason(province: Registry) -> None:
    r = province
    await commune(r)
    await r.ok("assign_quota", organisation="G1", period="2020-2025", quantity=40, assigned_by="H1",
               decision_date="2020-11-02", decision_number="05-NQ/HU")
    await r.ok("assign_quota", organisation="G1", period="2024", quantity=8, assigned_by="T01", decision_date="2024-01-05")
    await r.ok("change_quota", organisation="G1", period="2020-2025", quantity=45, reason="Sáp nhập thêm thôn",
               decision_date="2023-06-01", decision_number="17-NQ/HU")

    then = (await r.answer("quotas", organisation="G1", on="2022-01-01"))["quotas"]
    assert [(q["period"], q["quantity"]) for q in then] == [("2020-2025", 40)]
    (term, year) = (await r.answer("quotas", organisation="G1"))["quotas"]
    assert (term["period_kind"], term["quantity"], term["assigned_by"]) == ("term", 45, "H1")
    assert term["history"] == [
        {"quantity": 40, "decision_date": "2020-11-02", "reason": None},
        {"quantity": 45, "decision_date": "2023-06-01", "reason": "Sáp nhập thêm thôn"},
    ]
    assert (year["period_kind"], year["quantity"]) == ("year", 8)

    head = await r.head()
    twice = await r.command("assign_quota", organisation="G1", period="2024", quantity=9, assigned_by="T01",
                            decision_date="2024-02-01")
    assert twice["error"]["code"] == "conflict" and "điều chỉnh chỉ tiêu" in twice["error"]["message"]
    from_below = await r.command("assign_quota", organisation="G1", period="2025", quantity=9, assigned_by="C1",
                                 decision_date="2025-01-02", scope="C1")
    assert from_below["error"] == {
        "code": "validation", "message": "C1 không phải tổ chức cấp trên của G1 vào ngày 02/01/2025.",
        "details": {"assigned_by": "C1", "organisation": "G1"},
    }
    bad_period = await r.command("assign_quota", organisation="G1", period="2025-2020", quantity=9, assigned_by="H1",
                                 decision_date="2025-01-02")
    assert bad_period["error"]["message"] == "Dữ liệu không hợp lệ ở trường: «kỳ chỉ tiêu»"
    assert await r.head() == head


async def test_a_class_its_attendees_and_their_certificates(province: Registry) -> None:
    r = province
    await commune(r)
    await r.ok("record_class", class_id="NT-2024-03", kind="awareness", organiser="H1", title="Lớp nhận thức về Đảng",
               start_date="2024-03-04", end_date="2024-03-08",
               attendees=[{"citizen_id": AN, "full_name": "Lê Văn An"}, {"citizen_id": BINH, "full_name": "Mai Thị Bình"}])
    await r.ok("issue_certificates", class_id="NT-2024-03",
               certificates=[{"citizen_id": AN, "number": "1234/GCN", "issued_on": "2024-03-08"}])
    assert (await r.answer("certificates", citizen_id=AN))["certificates"] == [{
        "class_id": "NT-2024-03", "kind": "awareness", "organiser": "H1", "end_date": "2024-03-08", "number": "1234/GCN",
        "issued_on": "2024-03-08",
    }]
    assert (await r.answer("certificates", citizen_id=BINH))["certificates"][0]["number"] is None

    head = await r.head()
    reused = await r.command("issue_certificates", class_id="NT-2024-03",
                             certificates=[{"citizen_id": BINH, "number": "1234/GCN", "issued_on": "2024-03-09"}])
    assert reused["error"]["message"] == "Số giấy chứng nhận 1234/GCN đã được dùng."
    stranger = await r.command("issue_certificates", class_id="NT-2024-03",
                               certificates=[{"citizen_id": "001203009999", "number": "1235/GCN", "issued_on": "2024-03-09"}])
    assert "không phải học viên" in stranger["error"]["message"]
    assert await r.head() == head


async def test_a_locality_whose_cell_loses_its_last_member_becomes_a_white_zone(province: Registry) -> None:
    r = province
    await commune(r)
    await r.ok("register_member", citizen_id=AN, full_name="Lê Văn An", organisation="C1", kind="official",
               effective_from="2016-01-01")
    await r.ok("register_locality", code="TH-DONG", name="Thôn Đông", kind="thôn", organisation="G1", covered_by="C1",
               effective_from="2015-01-01")
    await r.ok("register_locality", code="TH-TAY", name="Thôn Tây", kind="thôn", organisation="G1", effective_from="2015-01-01")
    assert [(x["code"], x["white_zone"]) for x in (await r.answer("localities", organisation="H1", on="2020-01-01"))["localities"]] == [
        ("TH-DONG", False), ("TH-TAY", True),
    ]
    await r.ok("transfer_member", citizen_id=AN, transfer="official", to_organisation="C2", effective_from="2021-01-01")
    await r.ok("change_locality_coverage", code="TH-TAY", covered_by="C2", effective_from="2021-01-01")
    after = await r.answer("localities", organisation="G1", on="2021-01-01")
    assert [(x["code"], x["covered_by"], x["members_in_cell"], x["white_zone"]) for x in after["localities"]] == [
        ("TH-DONG", "C1", 0, True), ("TH-TAY", "C2", 1, False),
    ]
    assert after["white_zones"] == 1
    head = await r.head()
    outside = await r.command("change_locality_coverage", code="TH-DONG", covered_by="H1", effective_from="2022-01-01")
    assert outside["error"]["message"] == "Địa bàn do một chi bộ phụ trách; H1 là cấp ủy cấp trên cơ sở."
    assert await r.head() == head
