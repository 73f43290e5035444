"""Annual quality ratings: a member is rated in the cell they belonged to that year, an organisation by
itself; the class comes from the points; a second rating of a year is a correction with a reason."""

from __future__ import annotations

from ketnap.services.registry.events import parse
from tests.integration.registry.conftest import Registry

AN, BINH = "001203004561", "001203004562"


async def commune(r: Registry) -> None:
    await r.tree(H1="upper_committee:T01:2015-01-01", G1="grassroots_committee:H1:2015-01-01", C1="cell:G1:2015-01-01",
                 C2="cell:G1:2015-01-01")
    await r.ok("register_member", citizen_id=AN, full_name="Lê Văn An", organisation="C1", kind="official",
               effective_from="2016-01-01")


async def test_a_member_moved_in_january_is_rated_by_the_cell_of_that_year(province: Registry) -> None:
    r = province
    await commune(r)
    await r.ok("transfer_member", citizen_id=AN, transfer="official", to_organisation="C2", effective_from="2026-01-05")
    by_new_cell = await r.command("record_quality_rating", citizen_id=AN, year=2025, points=90, rated_on="2026-01-10", scope="C2")
    assert by_new_cell["error"]["code"] == "forbidden"
    reply = await r.ok("record_quality_rating", citizen_id=AN, year=2025, points=90, rated_on="2026-01-10",
                       decision_number="12-QĐ/ĐU", scope="C1")
    assert reply["result"] == {"organisation": "C1", "classification": "excellent", "label": "Hoàn thành xuất sắc nhiệm vụ"}
    assert reply["stream_id"] == f"rating-2025-member-{AN}"
    recorded = (await r.log())[-1]
    assert (recorded.event_type, recorded.stream_id, recorded.organisation) == ("QualityRated", f"rating-2025-member-{AN}", "C1")
    assert recorded.data == {
        "year": 2025, "subject": "member", "citizen_id": AN, "organisation": "C1", "points": 90,
        "classification": "excellent", "scale": "100", "rated_on": "2026-01-10", "decision_number": "12-QĐ/ĐU",
    }


async def test_the_class_follows_the_points_at_each_threshold(province: Registry) -> None:
    r = province
    await r.tree(H1="upper_committee:T01:2015-01-01", G1="grassroots_committee:H1:2015-01-01")
    expected = {100: "excellent", 90: "excellent", 89: "good", 70: "good", 69: "completed", 50: "completed",
                49: "not_completed", 0: "not_completed"}
    for index, (points, quality) in enumerate(expected.items()):
        code = f"C{index}"
        await r.tree(**{code: "cell:G1:2015-01-01"})
        reply = await r.ok("record_quality_rating", organisation=code, year=2024, points=points, rated_on="2024-12-15")
        assert (points, reply["result"]["classification"]) == (points, quality)


async def test_bad_ratings_are_refused_in_vietnamese_and_nothing_is_written(province: Registry) -> None:
    r = province
    await commune(r)
    await r.ok("record_quality_rating", citizen_id=AN, year=2024, points=75, rated_on="2024-12-20")
    head = await r.head()

    def error(reply: dict) -> tuple:
        assert AN not in str(reply) and "75" not in reply["error"]["message"]
        return reply["error"]["code"], reply["error"]["message"]

    stranger = await r.command("record_quality_rating", citizen_id=BINH, year=2024, points=80, rated_on="2024-12-20")
    assert error(stranger) == ("not_found", "Số CCCD này không phải đảng viên trong sổ đăng ký vào ngày 20/12/2024.")
    for points in (101, -1):
        reply = await r.command("record_quality_rating", organisation="C1", year=2024, points=points, rated_on="2024-12-20")
        assert error(reply) == ("validation", "Điểm đánh giá phải từ 0 đến 100.")
    unknown = await r.command("record_quality_rating", organisation="C9", year=2024, points=80, rated_on="2024-12-20")
    assert error(unknown) == ("not_found", "Không tìm thấy tổ chức đảng C9 vào ngày 20/12/2024.")
    not_yet = await r.command("record_quality_rating", organisation="C1", year=2024, points=80, rated_on="2023-12-20")
    assert error(not_yet) == ("validation", "Ngày đánh giá phải từ ngày 01/01/2024 trở đi: không xếp loại một năm chưa bắt đầu.")
    both = await r.command("record_quality_rating", organisation="C1", citizen_id=AN, year=2024, points=80, rated_on="2024-12-20")
    neither = await r.command("record_quality_rating", year=2024, points=80, rated_on="2024-12-20")
    assert error(both) == error(neither) == (
        "validation", "Ghi đúng một đối tượng xếp loại: số CCCD của đảng viên, hoặc mã tổ chức đảng."
    )
    twice = await r.command("record_quality_rating", citizen_id=AN, year=2024, points=95, rated_on="2024-12-28")
    assert error(twice) == (
        "conflict",
        "Đã có kết quả xếp loại chất lượng năm 2024 của đảng viên này; muốn sửa thì ghi điều chỉnh xếp loại kèm lý do.",
    )
    from_beside = await r.command("record_quality_rating", organisation="C1", year=2024, points=80, rated_on="2024-12-20", scope="C2")
    assert error(from_beside) == ("forbidden", "Người dùng của C2 không có quyền với tổ chức C1 (không thuộc phạm vi quản lý).")
    odd_year = await r.command("record_quality_rating", organisation="C1", year=1800, points=80, rated_on="2024-12-20")
    assert error(odd_year) == ("validation", "Dữ liệu không hợp lệ ở trường: «năm»")
    assert await r.head() == head


async def test_a_correction_keeps_the_earlier_figure_and_needs_a_reason(province: Registry) -> None:
    r = province
    await commune(r)
    await r.ok("record_quality_rating", citizen_id=AN, year=2024, points=69, rated_on="2024-12-20")
    no_reason = await r.command("correct_quality_rating", citizen_id=AN, year=2024, points=71, corrected_on="2025-01-15")
    assert no_reason["error"] == {"code": "validation", "message": "Dữ liệu không hợp lệ ở trường: «lý do»",
                                  "details": no_reason["error"]["details"]}
    reply = await r.ok("correct_quality_rating", citizen_id=AN, year=2024, points=71, corrected_on="2025-01-15",
                       reason="Cộng điểm thưởng bị sót", scope="G1", expected_version=1)
    assert reply["result"] == {"organisation": "C1", "classification": "good", "label": "Hoàn thành tốt nhiệm vụ"}
    corrected = parse((await r.log())[-1])
    assert corrected is not None and (
        type(corrected).__name__, corrected.previous_points, corrected.points, corrected.previous_classification,  # type: ignore[attr-defined]
        corrected.classification, corrected.reason,  # type: ignore[attr-defined]
    ) == ("QualityRatingCorrected", 69, 71, "completed", "good", "Cộng điểm thưởng bị sót")

    head = await r.head()
    same = await r.command("correct_quality_rating", citizen_id=AN, year=2024, points=71, corrected_on="2025-01-16", reason="Lặp")
    assert same["error"]["message"] == "Không có gì thay đổi: số điểm giống kết quả đã ghi."
    stale = await r.command("correct_quality_rating", citizen_id=AN, year=2024, points=72, corrected_on="2025-01-16", reason="Sửa",
                            expected_version=1)
    assert stale["error"]["code"] == "conflict"
    earlier = await r.command("correct_quality_rating", citizen_id=AN, year=2024, points=72, corrected_on="2025-01-10", reason="Sửa")
    assert earlier["error"]["code"] == "validation" and "15/01/2025" in earlier["error"]["message"]
    nothing = await r.command("correct_quality_rating", organisation="C2", year=2024, points=72, corrected_on="2025-01-16", reason="Sửa")
    assert nothing["error"] == {"code": "not_found", "message": "Chưa có kết quả xếp loại chất lượng năm 2024 của tổ chức C2 để điều chỉnh.",
                                "details": {"year": 2024}}
    outside = await r.command("correct_quality_rating", citizen_id=AN, year=2024, points=72, corrected_on="2025-01-16", reason="Sửa",
                              scope="C2")
    assert outside["error"]["code"] == "forbidden"
    assert await r.head() == head


async def test_the_same_request_twice_records_one_rating(province: Registry) -> None:
    r = province
    await commune(r)
    first = await r.ok("record_quality_rating", organisation="G1", year=2024, points=85, rated_on="2025-01-05", key="rating-g1-2024")
    again = await r.ok("record_quality_rating", organisation="G1", year=2024, points=85, rated_on="2025-01-05", key="rating-g1-2024")
    assert first["event_ids"] == again["event_ids"]
    assert [e.event_type for e in await r.log()].count("QualityRated") == 1
