"""Every report of the district of Khánh Sơn, figure by figure, live and as of a past moment, over NATS."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from prometheus_client import REGISTRY
from pydantic_core import to_jsonable_python

from ketnap.domain.calendar import working_days_between
from ketnap.platform import projections
from ketnap.platform.projections import AsOf
from ketnap.services.reporting.base import person_key
from ketnap.services.reporting.reports import REPORTS, Options, moment_of
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
    TODAY,
    World,
    d,
)

NO_PENDING = {"total": 0, "suspended": 0, "by_step": {}}


def lines(result: dict) -> dict[str, tuple]:
    """code -> (quota, achieved, percent, in progress) for the unit and each child."""
    return {
        line["code"]: (line["quota"], line["achieved"], line["percent"], line["in_progress"])
        for line in (result, *result["children"])
    }


class TestQuota:
    async def test_each_admission_counts_where_its_cell_sat_on_the_decision_date(self, world: World) -> None:
        result = await world.result("quota", organisation=DISTRICT, year=2025)
        assert (result["period"], result["from"], result["to"], result["status_on"]) == ("2025", "2025-01-01", "2025-12-31", "2025-11-20")
        assert lines(result) == {
            DISTRICT: (10, 4, 40.0, {"total": 4, "suspended": 1, "by_step": {"source_list": 2, "verification": 1, "awaiting_decision": 1}}),
            # Ba Cụm Bắc's two admissions were decided before it merged; it no longer exists in November.
            NORTH: (4, 2, 50.0, NO_PENDING),
            # Suối Đá's applicant was admitted in August, when the cell sat under the merged commune.
            SOUTH: (5, 2, 40.0, {"total": 2, "suspended": 0, "by_step": {"source_list": 1, "awaiting_decision": 1}}),
            SON_BINH: (3, 0, 0.0, {"total": 2, "suspended": 1, "by_step": {"source_list": 1, "verification": 1}}),
        }
        assert result["children_quota_total"] == 12
        assert [c["exists_on_status_day"] for c in result["children"]] == [False, True, True]
        assert [c["name"] for c in result["children"]] == ["Đảng ủy xã Ba Cụm Bắc", "Đảng ủy xã Ba Cụm", "Đảng ủy xã Sơn Bình"]
        dossiers = world.dossiers
        assert [(a["dossier_id"], a["cell"], a["decision_number"], a["counted_for"]) for a in result["admissions"]] == [
            (dossiers["D1"].id, TA_GU, "101-QĐ/HU", NORTH),
            (dossiers["D3"].id, DOC_TRAU, "115-QĐ/HU", SOUTH),
            (dossiers["D2"].id, TA_GU, "130-QĐ/HU", NORTH),
            (dossiers["D7"].id, SUOI_DA, "160-QĐ/HU", SOUTH),
        ]

    async def test_the_merged_commune_counts_its_new_cells_only_from_the_merge(self, world: World) -> None:
        result = await world.result("quota", organisation=SOUTH, year=2025)
        assert lines(result) == {
            SOUTH: (5, 2, 40.0, {"total": 2, "suspended": 0, "by_step": {"source_list": 1, "awaiting_decision": 1}}),
            TA_GU: (None, 0, None, {"total": 1, "suspended": 0, "by_step": {"source_list": 1}}),
            SUOI_DA: (None, 1, None, NO_PENDING),
            DOC_TRAU: (None, 1, None, {"total": 1, "suspended": 0, "by_step": {"awaiting_decision": 1}}),
        }
        merged = await world.result("quota", organisation=NORTH, year=2025)
        assert lines(merged) == {NORTH: (4, 2, 50.0, NO_PENDING), TA_GU: (None, 2, None, NO_PENDING), SUOI_DA: (None, 0, None, NO_PENDING)}
        assert merged["children_quota_total"] is None

    async def test_as_of_a_moment_before_the_merge_was_recorded_the_tree_is_the_one_known_then(self, world: World) -> None:
        assert world.before_merge is not None
        result = await world.result("quota", organisation=DISTRICT, year=2025, as_of=world.before_merge.isoformat())
        assert lines(result) == {
            DISTRICT: (10, 3, 30.0, {"total": 4, "suspended": 1, "by_step": {"source_list": 1, "verification": 2, "awaiting_decision": 1}}),
            NORTH: (4, 2, 50.0, {"total": 1, "suspended": 0, "by_step": {"verification": 1}}),
            SOUTH: (5, 1, 20.0, {"total": 1, "suspended": 0, "by_step": {"awaiting_decision": 1}}),
            SON_BINH: (3, 0, 0.0, {"total": 2, "suspended": 1, "by_step": {"source_list": 1, "verification": 1}}),
        }
        assert [c["name"] for c in result["children"]] == ["Đảng ủy xã Ba Cụm Bắc", "Đảng ủy xã Ba Cụm Nam", "Đảng ủy xã Sơn Bình"]
        # The live tables were not touched by the report as of the past.
        assert (await world.result("quota", organisation=DISTRICT, year=2025))["achieved"] == 4

    async def test_as_of_a_day_takes_the_events_recorded_by_its_end(self, world: World) -> None:
        today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
        before = await world.query("quota", organisation=DISTRICT, year=2025, as_of=(today - timedelta(days=1)).isoformat())
        # Nothing of the district had been recorded by then: the moment is what to change (its field named).
        assert before["ok"] is False and before["error"]["code"] == "validation"
        assert before["error"]["details"]["field"] == "as_of" and "HUYEN-KS" in before["error"]["message"]
        same = await world.result("quota", organisation=DISTRICT, year=2025, as_of=today.isoformat())
        assert same == await world.result("quota", organisation=DISTRICT, year=2025)

    async def test_a_congress_term(self, world: World) -> None:
        result = await world.result("quota", organisation=DISTRICT, term="2020-2025")
        assert (result["period_kind"], result["from"], result["to"], result["status_on"]) == ("term", "2020-01-01", "2024-12-31", "2024-12-31")
        assert (result["quota"], result["achieved"], result["percent"]) == (40, 2, 5.0)
        # On 31/12/2024: two dossiers ready for their cell's vote, one awaiting the decision, one being verified.
        assert result["in_progress"] == {
            "total": 4, "suspended": 0, "by_step": {"verification": 1, "ready_for_cell_vote": 2, "awaiting_decision": 1}
        }
        assert [a["dossier_id"] for a in result["admissions"]] == [world.dossiers["D5"].id, world.dossiers["D4"].id]

    async def test_refusals_in_vietnamese(self, world: World) -> None:
        unknown = await world.query("quota", organisation="KHONG-CO", year=2025)
        assert unknown["error"]["code"] == "not_found" and unknown["error"]["message"] == "Không có tổ chức đảng mã «KHONG-CO»."
        both = await world.query("quota", organisation=DISTRICT, year=2025, term="2020-2025")
        assert both["error"]["code"] == "validation" and both["error"]["details"]["field"] == "term"
        assert both["error"]["message"] == "Chọn đúng một kỳ báo cáo: một năm (ví dụ 2025) hoặc một nhiệm kỳ (ví dụ 2020-2025), không chọn cả hai."
        bad_term = await world.query("quota", organisation=DISTRICT, term="2025-2020")
        assert bad_term["error"]["message"] == "Nhiệm kỳ phải có năm kết thúc sau năm bắt đầu, ví dụ 2020-2025"
        extra = await world.query("quota", organisation=DISTRICT, year=2025, colour="red")
        assert extra["error"]["code"] == "validation"


def axis(result: dict, name: str) -> list[tuple[str, int, float]]:
    found = next(a for a in result["axes"] if a["axis"] == name)
    return [(v["value"], v["count"], v["percent"]) for v in found["values"]]


class TestNewMembers:
    async def test_every_axis_of_the_year(self, world: World) -> None:
        result = await world.result("stats", organisation=DISTRICT, year=2025)
        assert result["admitted"] == 4
        assert axis(result, "gender") == [("female", 2, 50.0), ("male", 2, 50.0)]
        assert axis(result, "ethnic_minority") == [("no", 2, 50.0), ("yes", 2, 50.0)]
        # "  Không " with stray spaces is no religion; "nông   dân" and "Nông dân" are one occupation.
        assert axis(result, "religion") == [("none", 3, 75.0), ("công giáo", 1, 25.0)]
        assert axis(result, "youth_union") == [("no", 2, 50.0), ("yes", 2, 50.0)]
        assert axis(result, "occupation") == [("nông dân", 2, 50.0), ("công nhân", 1, 25.0), ("giáo viên", 1, 25.0)]
        # Born 29/02/1988: 37 on 20/05/2025. Born 15/08/2001: 24 on its birthday, 15/08/2025.
        assert axis(result, "age_band") == [("18-30", 2, 50.0), ("36-40", 1, 25.0), ("51-55", 1, 25.0)]
        assert axis(result, "general_education") == [("lower_secondary", 1, 25.0), ("upper_secondary", 3, 75.0)]
        assert axis(result, "professional_qualification") == [
            ("none", 1, 25.0), ("intermediate", 1, 25.0), ("college", 1, 25.0), ("university", 1, 25.0)
        ]
        assert result["unknown"] == {}

    async def test_facts_the_events_did_not_state_are_counted_as_unknown(self, world: World) -> None:
        result = await world.result("stats", organisation=SON_BINH, year=2021)
        assert result["admitted"] == 1
        assert result["unknown"] == {"youth_union": 1, "general_education": 1, "professional_qualification": 1}
        assert axis(result, "general_education") == [("unknown", 1, 100.0)]
        assert axis(result, "age_band") == [("31-35", 1, 100.0)]

    async def test_a_commune_counts_only_what_was_under_it_on_each_decision_date(self, world: World) -> None:
        assert (await world.result("stats", organisation=SOUTH, year=2025))["admitted"] == 2
        assert (await world.result("stats", organisation=NORTH, year=2025))["admitted"] == 2


    async def test_every_unit_of_the_district_at_once_as_each_units_own_statistics(self, world: World) -> None:
        """One question answers the district and every unit under it; each unit's figures are the
        ones `stats` answers for it alone, live and as of a moment before the merge was recorded."""
        for moment in ({}, {"as_of": world.before_merge.isoformat()}):  # type: ignore[union-attr]
            result = await world.result("stats_by_unit", organisation=DISTRICT, year=2025, **moment)
            units = result["units"]
            assert (units[0]["code"], units[0]["depth"]) == (DISTRICT, 0)
            assert {SOUTH, NORTH} <= {u["code"] for u in units if u["depth"] == 1}
            for unit in units:
                alone = await world.result("stats", organisation=unit["code"], year=2025, **moment)
                assert (unit["admitted"], unit["axes"], unit["unknown"]) == (alone["admitted"], alone["axes"], alone["unknown"]), unit["code"]


class TestPipeline:
    async def test_dossiers_per_step_and_organisation_today(self, world: World) -> None:
        result = await world.result("pipeline", organisation=DISTRICT)
        steps = [s["step"] for s in result["steps"]]
        assert steps == ["source_list", "application", "verification", "ready_for_cell_vote", "awaiting_decision",
                         "awaiting_ceremony", "probation", "recognition"]

        def counts(line: dict) -> tuple:
            return line["code"], {s: n for s, n in line["by_step"].items() if n}, line["total"], line["suspended"]

        assert [counts(line) for line in (result, *result["children"])] == [
            (DISTRICT, {"source_list": 2, "verification": 1, "awaiting_decision": 1, "awaiting_ceremony": 2, "probation": 2,
                        "recognition": 1}, 9, 1),
            (SOUTH, {"source_list": 1, "awaiting_decision": 1, "awaiting_ceremony": 2, "probation": 2}, 6, 0),
            (SON_BINH, {"source_list": 1, "verification": 1, "recognition": 1}, 3, 1),
        ]
        assert result["endings"] == {"official": 1, "name_removed": 0, "withdrawn": 1, "rejected": 2, "refused": 0}
        assert [(r["rule"], r["count"]) for r in result["rejections"]] == [("AGE_MIN", 1), ("CELL_2_3", 1)]
        assert result["rejections"][0]["label"] == "Chưa đủ 18 tuổi tại thời điểm chi bộ xét"

    async def test_time_spent_per_step_over_a_year(self, world: World) -> None:
        result = await world.result("pipeline", organisation=DISTRICT, year=2025)
        assert {s["step"]: s["dossiers"] for s in result["time_per_step"]} == {
            "source_list": 5, "application": 5, "verification": 4, "ready_for_cell_vote": 5, "awaiting_decision": 4,
            "awaiting_ceremony": 2, "probation": 1,
        }
        waiting = [(d("2025-01-10"), d("2025-03-10")), (d("2025-03-18"), d("2025-05-20")), (d("2024-10-15"), d("2025-04-01")),
                   (d("2025-08-10"), d("2025-08-15"))]
        worked = [working_days_between(a, b) for a, b in waiting]
        decision = next(s for s in result["time_per_step"] if s["step"] == "awaiting_decision")
        assert decision == {
            "step": "awaiting_decision", "label": "chờ quyết định kết nạp", "dossiers": 4,
            "average_days": round(sum((b - a).days for a, b in waiting) / 4, 1),
            "average_working_days": round(sum(worked) / 4, 1), "max_working_days": max(worked),
        }
        assert decision["average_days"] == 73.8
        assert result["endings"] == {"official": 0, "name_removed": 0, "withdrawn": 1, "rejected": 2, "refused": 0}


class TestClasses:
    async def test_classes_held_and_attendees(self, world: World) -> None:
        result = await world.result("classes", organisation=DISTRICT, year=2025)
        assert [(k["kind"], k["classes"], k["attendees"], k["certificates"]) for k in result["by_kind"]] == [
            ("awareness", 1, 40, 38), ("new_member", 1, 12, 12)
        ]
        assert [c["class_id"] for c in result["classes"]] == ["LOP-2025-1", "LOP-2025-2"]
        earlier = await world.result("classes", organisation=DISTRICT, year=2024)
        assert [(k["classes"], k["attendees"]) for k in earlier["by_kind"]] == [(1, 30), (0, 0)]
        # The new-member class was organised by Ba Cụm Bắc in June, before it merged.
        merged = await world.result("classes", organisation=SOUTH, year=2025)
        assert [k["classes"] for k in merged["by_kind"]] == [0, 0]


class TestWhiteZones:
    async def test_localities_with_no_cell_or_no_member_and_cells_without_admissions(self, world: World) -> None:
        result = await world.result("white_zones", organisation=DISTRICT)
        assert [(lo["code"], lo["reason"]) for lo in result["localities"]] == [("THON-MOI", "no_cell")]
        assert [(c["code"], c["last_admission_on"], c["established_on"]) for c in result["cells_without_admission"]] == [
            (CO_ROA, None, "2023-03-01")
        ]

    async def test_before_suoi_da_admitted_its_first_member(self, world: World) -> None:
        result = await world.result("white_zones", organisation=DISTRICT, as_of=world.before_merge.isoformat())  # type: ignore[union-attr]
        assert [(lo["code"], lo["reason"], lo["organisation"]) for lo in result["localities"]] == [
            ("THON-MOI", "no_cell", SON_BINH), ("THON-SD", "no_member", NORTH)
        ]
        assert [c["code"] for c in result["cells_without_admission"]] == [SUOI_DA, CO_ROA]

    async def test_a_locality_follows_its_commune_into_the_merge(self, world: World) -> None:
        async with world.pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT organisation, valid_from, valid_to FROM {world.reporting.name}.locality_intervals WHERE code = 'THON-SD' "
                "ORDER BY valid_from"
            )
            roster = await conn.fetchval(
                f"SELECT count(*) FROM {world.reporting.name}.member_intervals WHERE organisation = $1", SUOI_DA
            )
            keys = await conn.fetchval(f"SELECT count(*) FROM {world.reporting.name}.member_intervals WHERE person_key = $1",
                                       person_key(world.dossiers["D7"].citizen_id))
        assert [tuple(r) for r in rows] == [(NORTH, d("2020-01-01"), d("2025-07-01")), (SOUTH, d("2025-07-01"), None)]
        assert (roster, keys) == (1, 1)

    async def test_the_years_without_admission_are_a_parameter(self, world: World) -> None:
        result = await world.result("white_zones", organisation=SON_BINH, years=1)
        assert [(c["code"], c["last_admission_on"]) for c in result["cells_without_admission"]] == [
            (HA_NIT, "2024-09-10"), (CO_ROA, None)
        ]


class TestDeadlines:
    async def test_open_and_overdue_deadlines_by_organisation_and_due_date(self, world: World) -> None:
        result = await world.result("deadlines", organisation=DISTRICT)
        dossiers = world.dossiers
        assert (result["open"], result["overdue"]) == (6, 4)
        assert [(c["code"], c["open"], c["overdue"]) for c in result["children"]] == [(SOUTH, 5, 3), (SON_BINH, 1, 1)]
        assert [(i["dossier_id"], i["kind"], i["rule"], i["due_on"], i["overdue"]) for i in result["items"]] == [
            (dossiers["D1"].id, "member_history", None, "2025-05-29", True),
            (dossiers["D2"].id, "ceremony", "CEREMONY_30WD", "2025-07-09", True),
            (dossiers["D6"].id, "decision", "DECISION_60WD", "2025-11-14", True),
            # Hà Nít's cell proposed recognition on 08/10/2025: the decision was due 30 working days later.
            (dossiers["D4"].id, "recognition_decision", None, "2025-11-19", True),
            (dossiers["D1"].id, "recognition_vote", "RECOG_30WD", "2026-06-01", False),
            (dossiers["D3"].id, "recognition_vote", "RECOG_30WD", "2026-06-10", False),
        ]
        assert result["items"][2]["working_days_late"] == 4
        recognition = result["items"][3]
        assert (recognition["started_on"], recognition["working_days_late"], recognition["label"]) == (
            "2025-10-08", 1, "Quyết định công nhận đảng viên chính thức (30 ngày làm việc từ nghị quyết chi bộ đề nghị)"
        )
        assert [(b["due_on"], b["open"], b["overdue"]) for b in result["by_due_date"]] == [
            ("2025-05-29", 1, 1), ("2025-07-09", 1, 1), ("2025-11-14", 1, 1), ("2025-11-19", 1, 1), ("2026-06-01", 1, 0),
            ("2026-06-10", 1, 0),
        ]

    async def test_overdue_only(self, world: World) -> None:
        result = await world.result("deadlines", organisation=SOUTH, overdue_only=True)
        assert (result["open"], result["overdue"]) == (5, 3)
        assert [i["kind"] for i in result["items"]] == ["member_history", "ceremony", "decision"]

    async def test_the_deadlines_known_before_suoi_da_was_decided(self, world: World) -> None:
        # D7's ceremony deadline was waived by the committee above; D4's recognition vote was held.
        result = await world.result("deadlines", organisation=DISTRICT, as_of=world.before_merge.isoformat())  # type: ignore[union-attr]
        assert (result["open"], result["overdue"]) == (6, 4)
        assert [c["code"] for c in result["children"]] == [NORTH, SOUTH, SON_BINH]
        assert [(c["open"], c["overdue"]) for c in result["children"]] == [(3, 2), (2, 1), (1, 1)]

    async def test_a_recognition_decision_meets_its_deadline(self, world: World) -> None:
        # D5: proposed by the cell on 04/11/2022 (rules of 2021), due 16/12/2022, recognised on 20/11/2022.
        async with world.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT started_on, due_on, done_on, rule_set FROM {world.reporting.name}.deadlines WHERE dossier_id = $1 "
                "AND kind = 'recognition_decision'",
                world.dossiers["D5"].id,
            )
        assert tuple(row) == (d("2022-11-04"), d("2022-12-16"), d("2022-11-20"), "2021")


class TestAuditHistory:
    async def test_the_dossier_across_every_service_with_positions_and_hashes(self, world: World) -> None:
        dossier = world.dossiers["D7"]
        result = await world.result("audit_history", dossier_id=dossier.id)
        logs = world.story.logs
        recorded = []
        for store, stream in ((logs.dossiers, f"dossier-{dossier.id}"), (logs.verification, f"verification-{dossier.id}"),
                              (logs.voting, f"voting-{dossier.id}")):
            recorded += [(e.recorded_at, store.schema, e.position, e.event_type, e.hash, e.actor) for e in await store.read_stream(stream)]
        recorded.sort()
        assert [(e["log"], e["position"], e["event_type"], e["hash"], e["actor"]) for e in result["events"]] == [
            (schema, position, kind, digest, actor) for _, schema, position, kind, digest, actor in recorded
        ]
        by_type = {e["event_type"]: e for e in result["events"]}
        assert by_type["AdmissionDecided"]["rule_set"] == "2025-07"
        assert by_type["AdmissionDecided"]["occurred_on"] == "2025-08-15"
        assert by_type["AdmissionDecided"]["label"] == "Quyết định kết nạp"
        assert by_type["HistoryCertified"]["organisation"] == SUOI_DA
        assert by_type["DossierOpened"]["rule_set"] is None
        assert "full_name" not in by_type["DossierOpened"] and "citizen_id" not in str(result)

    async def test_an_unknown_dossier(self, world: World) -> None:
        reply = await world.query("audit_history", dossier_id="khong-co")
        assert reply["error"] == {"code": "not_found", "message": "Không có sự kiện nào của hồ sơ «khong-co».",
                                  "details": {"dossier_id": "khong-co"}}


def snapshot_uses(world: World, how: str) -> float:
    return REGISTRY.get_sample_value("ketnap_past_snapshot_uses_total", {"service": world.reporting.name, "how": how}) or 0.0


async def rebuilt(world: World, name: str, **fields: object) -> object:
    """The report as it was computed on every request before: its projections built from the logs
    into temporary tables, then the same query; as its answer on the bus reads."""
    report = next(r for r in REPORTS if r.name == name)
    query = report.model.model_validate(fields)
    by_concern = {p.concern: p for p in world.reporting.projections}  # type: ignore[attr-defined]
    async with world.pool.acquire() as conn:
        try:
            for concern in report.needs:
                await projections.build(world.pool, by_concern[concern], "pg_temp", as_of=AsOf(moment=moment_of(query.recorded_by())),
                                        connection=conn)
            result = await report.run(conn, "pg_temp", query, query.about(TODAY), Options(term_starts_on=(1, 1)))
        finally:
            await conn.execute("DISCARD TEMP")
    return to_jsonable_python(result)


class TestAsRecordedByAPastMoment:
    async def test_a_past_moment_reads_projections_built_once_and_equal_to_a_rebuild(self, world: World) -> None:
        moment = (world.before_merge + timedelta(seconds=1)).isoformat()  # type: ignore[operator]
        asked = [
            ("quota", {"organisation": DISTRICT, "year": 2025}),
            ("stats_by_unit", {"organisation": DISTRICT, "year": 2025}),
            ("deadlines", {"organisation": DISTRICT}),
            ("white_zones", {"organisation": DISTRICT, "on": "2025-06-30"}),
        ]
        before = snapshot_uses(world, "built")
        for name, fields in asked:
            first = await world.result(name, **fields, as_recorded=moment)
            assert first == await rebuilt(world, name, **fields, as_recorded=moment), name
        built = snapshot_uses(world, "built")
        assert built - before == len({concern for r in REPORTS if r.name in dict(asked) for concern in r.needs})
        for name, fields in asked:
            assert await world.result(name, **fields, as_recorded=moment) == await rebuilt(world, name, **fields, as_recorded=moment)
        assert snapshot_uses(world, "built") == built

    async def test_a_past_business_day_reads_the_live_tables(self, world: World) -> None:
        built, kept = snapshot_uses(world, "built"), snapshot_uses(world, "kept")
        result = await world.result("quota", organisation=DISTRICT, year=2025, on="2025-06-30")
        assert result["status_on"] == "2025-06-30"
        assert (snapshot_uses(world, "built"), snapshot_uses(world, "kept")) == (built, kept)
