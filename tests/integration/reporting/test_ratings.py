"""Annual quality ratings of members and organisations in the district of Khánh Sơn: counts and shares
per class for each unit over its subtree, on the tree of the rating's day, live and as of a past moment."""

from __future__ import annotations

from ketnap.services.reporting.base import person_key
from tests.integration.reporting.conftest import (
    CO_ROA,
    DISTRICT,
    DOC_TRAU,
    HA_NIT,
    NORTH,
    SON_BINH,
    SOUTH,
    SUOI_DA,
    TA_GU,
    World,
)

NONE = (0, (0, 0, 0, 0), (None, None, None, None))


def figures(shares: dict) -> tuple:
    """(rated, counts, percents) in the order excellent, good, completed, not completed."""
    return (shares["rated"], tuple(c["count"] for c in shares["by_class"]), tuple(c["percent"] for c in shares["by_class"]))


def table(result: dict) -> list[tuple]:
    """Each line: code, depth, its own rating, its members' figures, the figures of the organisations below it."""
    return [
        (line["code"], line["depth"], line["rating"]["classification"] if line["rating"] else None,
         figures(line["members"]), figures(line["organisations"]))
        for line in (result, *result["units"])
    ]


async def test_every_unit_counts_the_ratings_of_its_whole_subtree(world: World) -> None:
    result = await world.result("ratings", organisation=DISTRICT, year=2024)
    assert (result["year"], result["on"], result["status_on"]) == (2024, "2025-11-20", "2024-12-31")
    assert [(c["classification"], c["label"], c["min_points"], c["max_points"]) for c in result["scale"]] == [
        ("excellent", "Hoàn thành xuất sắc nhiệm vụ", 90, 100), ("good", "Hoàn thành tốt nhiệm vụ", 70, 89),
        ("completed", "Hoàn thành nhiệm vụ", 50, 69), ("not_completed", "Không hoàn thành nhiệm vụ", 0, 49),
    ]
    assert table(result) == [
        # Nine members rated; Cô Róa's was corrected from 69 to 71 points in August 2025: good, not completed.
        (DISTRICT, 0, "good", (9, (3, 4, 1, 1), (33.3, 44.4, 11.1, 11.1)), (8, (2, 3, 2, 1), (25.0, 37.5, 25.0, 12.5))),
        (NORTH, 1, "excellent", (3, (1, 1, 1, 0), (33.3, 33.3, 33.3, 0.0)), (2, (1, 1, 0, 0), (50.0, 50.0, 0.0, 0.0))),
        (TA_GU, 2, "excellent", (3, (1, 1, 1, 0), (33.3, 33.3, 33.3, 0.0)), NONE),
        (SUOI_DA, 2, "good", NONE, NONE),
        (SOUTH, 1, "good", (2, (1, 0, 0, 1), (50.0, 0.0, 0.0, 50.0)), (1, (0, 0, 1, 0), (0.0, 0.0, 100.0, 0.0))),
        (DOC_TRAU, 2, "completed", (2, (1, 0, 0, 1), (50.0, 0.0, 0.0, 50.0)), NONE),
        (SON_BINH, 1, "completed", (4, (1, 3, 0, 0), (25.0, 75.0, 0.0, 0.0)), (2, (0, 1, 0, 1), (0.0, 50.0, 0.0, 50.0))),
        (HA_NIT, 2, "good", (3, (1, 2, 0, 0), (33.3, 66.7, 0.0, 0.0)), NONE),
        (CO_ROA, 2, "not_completed", (1, (0, 1, 0, 0), (0.0, 100.0, 0.0, 0.0)), NONE),
    ]
    assert result["rating"] == {"classification": "good", "label": "Hoàn thành tốt nhiệm vụ"}
    assert [line["name"] for line in result["units"]][:1] == ["Đảng ủy xã Ba Cụm Bắc"]


async def test_the_merged_communes_cells_count_where_they_sat_on_the_rating_day(world: World) -> None:
    # 2024: Tà Gụ and Suối Đá sat under Ba Cụm Bắc; Ba Cụm Nam had Dốc Trầu only.
    before = await world.result("ratings", organisation=SOUTH, year=2024)
    assert [(code, members[0]) for code, _, _, members, _ in table(before)] == [(SOUTH, 2), (DOC_TRAU, 2)]
    # 2025: rated in November, after the merge of 01/07/2025; Dốc Trầu's 30 points were corrected to 52.
    result = await world.result("ratings", organisation=SOUTH, year=2025)
    assert (result["name"], result["status_on"]) == ("Đảng ủy xã Ba Cụm", "2025-11-20")
    assert table(result) == [
        (SOUTH, 0, "good", (6, (2, 2, 2, 0), (33.3, 33.3, 33.3, 0.0)), (2, (1, 1, 0, 0), (50.0, 50.0, 0.0, 0.0))),
        (TA_GU, 1, "excellent", (3, (2, 0, 1, 0), (66.7, 0.0, 33.3, 0.0)), NONE),
        (SUOI_DA, 1, None, (1, (0, 1, 0, 0), (0.0, 100.0, 0.0, 0.0)), NONE),
        (DOC_TRAU, 1, "good", (2, (0, 1, 1, 0), (0.0, 50.0, 50.0, 0.0)), NONE),
    ]


async def test_a_commune_that_ended_during_the_year_keeps_its_rating(world: World) -> None:
    result = await world.result("ratings", organisation=DISTRICT, year=2025)
    assert [(line["code"], line["depth"], line["exists_on_status_day"]) for line in result["units"]] == [
        (SOUTH, 1, True), (TA_GU, 2, True), (SUOI_DA, 2, True), (DOC_TRAU, 2, True), (SON_BINH, 1, True), (HA_NIT, 2, True),
        (CO_ROA, 2, True), (NORTH, 1, False),
    ]
    # Ba Cụm Bắc, rated on the eve of its merge, counts among the district's organisations; Sơn Bình is not rated yet.
    assert (result["rating"], figures(result["members"]), figures(result["organisations"])) == (
        None, (6, (2, 2, 2, 0), (33.3, 33.3, 33.3, 0.0)), (4, (1, 3, 0, 0), (25.0, 75.0, 0.0, 0.0))
    )
    north = result["units"][-1]
    assert (north["name"], north["rating"]["classification"], north["members"]["rated"]) == ("Đảng ủy xã Ba Cụm Bắc", "good", 0)
    son_binh = next(line for line in result["units"] if line["code"] == SON_BINH)
    assert (figures(son_binh["members"]), figures(son_binh["organisations"])) == (NONE, NONE)


async def test_as_of_a_moment_before_the_merge_and_the_corrections(world: World) -> None:
    as_of = world.before_merge.isoformat()  # type: ignore[union-attr]
    earlier = await world.result("ratings", organisation=DISTRICT, year=2024, as_of=as_of)
    # Cô Róa's member was still "completed" (69 points): the correction came later.
    assert figures(earlier["members"]) == (9, (3, 3, 2, 1), (33.3, 33.3, 22.2, 11.1))
    assert figures(earlier["organisations"]) == (8, (2, 3, 2, 1), (25.0, 37.5, 25.0, 12.5))
    now = await world.result("ratings", organisation=DISTRICT, year=2025, as_of=as_of)
    assert table(now) == [
        (DISTRICT, 0, None, NONE, (1, (0, 1, 0, 0), (0.0, 100.0, 0.0, 0.0))),
        (NORTH, 1, "good", NONE, NONE),
        (TA_GU, 2, None, NONE, NONE),
        (SUOI_DA, 2, None, NONE, NONE),
        (SOUTH, 1, None, NONE, NONE),
        (DOC_TRAU, 2, None, NONE, NONE),
        (SON_BINH, 1, None, NONE, NONE),
        (HA_NIT, 2, None, NONE, NONE),
        (CO_ROA, 2, None, NONE, NONE),
    ]
    # The live figures were not touched.
    assert figures((await world.result("ratings", organisation=DISTRICT, year=2024))["members"])[1] == (3, 4, 1, 1)


async def test_reporting_keeps_no_citizen_id_nor_points(world: World) -> None:
    member = world.members[TA_GU][0]
    async with world.pool.acquire() as conn:
        columns = {r["column_name"] for r in await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'quality_ratings'",
            world.reporting.name,
        )}
        keys = await conn.fetchval(f"SELECT count(*) FROM {world.reporting.name}.quality_ratings WHERE subject_key = $1",
                                   person_key(member))
        leaked = await conn.fetchval(f"SELECT count(*) FROM {world.reporting.name}.quality_ratings WHERE subject_key = $1", member)
    assert "points" not in columns and (keys, leaked) == (2, 0)
    result = await world.result("ratings", organisation=DISTRICT, year=2024)
    assert member not in str(result) and "points" not in str(result["units"])


async def test_refusals_in_vietnamese(world: World) -> None:
    unknown = await world.query("ratings", organisation="KHONG-CO", year=2025)
    assert unknown["error"] == {"code": "not_found", "message": "Không có tổ chức đảng mã «KHONG-CO».",
                                "details": {"organisation": "KHONG-CO"}}
    no_year = await world.query("ratings", organisation=DISTRICT)
    assert no_year["error"]["code"] == "validation" and no_year["error"]["message"] == "Dữ liệu không hợp lệ ở trường: «năm»"
    odd_year = await world.query("ratings", organisation=DISTRICT, year=1800)
    assert odd_year["error"] == {"code": "validation", "message": "Năm báo cáo không hợp lệ", "details": {"field": "year"}}
    term = await world.query("ratings", organisation=DISTRICT, year=2025, term="2020-2025")
    assert term["error"]["code"] == "validation"
