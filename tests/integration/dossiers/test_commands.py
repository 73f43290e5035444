"""Dossier commands over NATS: typed errors and nothing written on bad input, idempotency keys,
one winner when officers act at once, the registry asked for what the rules need, and the endings."""

from __future__ import annotations

import asyncio
import json
import uuid

from ketnap.platform.bus import subjects
from ketnap.services.dossiers import events as ev
from tests.integration.dossiers.registry import OTHER_CELL, RealRegistry
from tests.integration.dossiers.stack import (
    APPLICANT,
    CELL,
    CLOSING_FIELDS,
    FORMER,
    HELPER,
    PROBATIONARY,
    Stack,
    history,
    introductions,
    prepared_dossier,
)


async def test_officers_acting_on_one_dossier_at_once_get_one_success_and_conflicts(stack: Stack) -> None:
    async with stack.dossiers_running():
        dossier_id = await prepared_dossier(stack)
        seen = (await stack.dossier(dossier_id))["result"]["stream_version"]
        opinion = {"source": "workplace_mass_organisations", "given_on": "2025-11-20", "summary": "Tốt"}
        replies = await asyncio.gather(
            *(stack.ask("record_opinions", dossier_id=dossier_id, expected_version=seen, opinions=[opinion]) for _ in range(30))
        )
        # Without a version seen, concurrent officers still meet the store's optimistic check.
        fresh = (await stack.ok("open_dossier", cell=CELL, citizen_id="001098055555", full_name="Đỗ Văn Bảy",
                                opened_on="2025-09-01", helper_citizen_id=HELPER))["result"]["dossier_id"]
        letters = await asyncio.gather(
            *(stack.ask("submit_application_letter", dossier_id=fresh, submitted_on="2025-10-01") for _ in range(30))
        )
    winners = [r for r in replies if r["ok"]]
    losers = [r for r in replies if not r["ok"]]
    assert len(winners) == 1 and len(losers) == 29
    assert {r["error"]["code"] for r in losers} == {"conflict"}
    assert all("người khác cập nhật" in r["error"]["message"] for r in losers)
    assert (await stack.events(dossier_id)).count("OpinionsRecorded") == 2
    assert [r["ok"] for r in letters].count(True) == 1
    # The same race gets the same answer whichever check stops the loser: the store's version
    # check, or the dossier seeing the letter already there.
    assert {r["error"]["code"] for r in letters if not r["ok"]} == {"conflict"}
    assert (await stack.events(fresh)).count("ApplicationLetterSubmitted") == 1


async def test_bad_input_gets_a_clear_error_and_writes_nothing(stack: Stack) -> None:
    async with stack.dossiers_running():
        dossier_id = await prepared_dossier(stack)
        head = await stack.store.head_position()
        unknown = str(uuid.uuid4())
        cases = {
            "not_found": await stack.ask("submit_application_letter", dossier_id=unknown, submitted_on="2025-10-01"),
            "wrong step": await stack.ask("record_ceremony", dossier_id=dossier_id, held_on="2026-04-10", helper_citizen_id=HELPER),
            "malformed date": await stack.ask("record_class_certificate", dossier_id=dossier_id, certificate_number="1",
                                              issued_on="10/08/2025", issued_by="TTCT"),
            "impossible date": await stack.ask("record_class_certificate", dossier_id=dossier_id, certificate_number="1",
                                               issued_on="2025-02-30", issued_by="TTCT"),
            "future date": await stack.ask("record_class_certificate", dossier_id=dossier_id, certificate_number="1",
                                           issued_on="2031-01-01", issued_by="TTCT"),
            "future birth date": await stack.ask("correct_personal_history", dossier_id=dossier_id, reason="Sửa",
                                                 corrected_on="2025-12-01", **_without_declared_on(history(birth_date="2030-01-01"))),
            "dates out of order": await stack.ask("mark_ready_for_cell_vote", dossier_id=dossier_id, ready_on="2026-02-10",
                                                  cell_meeting_on="2026-02-02"),
            "before the letter": await stack.ask("record_introductions", dossier_id=dossier_id, **introductions(on="2025-09-15")),
            "oversized text": await stack.ask("record_opinions", dossier_id=dossier_id,
                                              opinions=[{"source": "residence_cell", "given_on": "2025-11-05", "summary": "x" * 2001}]),
            "bad citizen id": await stack.ask("open_dossier", cell=CELL, citizen_id="12345", full_name="A", opened_on="2025-09-01",
                                              helper_citizen_id=HELPER),
            "unknown field": await stack.ask("withdraw", dossier_id=dossier_id, on="2026-01-01", reason="không muốn nữa"),
            "probationary introducer": await stack.ask("record_introductions", dossier_id=dossier_id,
                                                       **introductions(second=PROBATIONARY)),
            "helper not of the cell": await stack.ask("open_dossier", cell=OTHER_CELL, citizen_id="001098066666", full_name="A",
                                                      opened_on="2025-09-01", helper_citizen_id=HELPER),
            "unknown cell": await stack.ask("open_dossier", cell="CB-77", citizen_id="001098066666", full_name="A",
                                            opened_on="2025-09-01", helper_citizen_id=HELPER),
        }
        assert await stack.store.head_position() == head
    codes = {name: reply["error"]["code"] for name, reply in cases.items()}
    assert codes == {
        "not_found": "not_found",
        "wrong step": "validation",
        "malformed date": "validation",
        "impossible date": "validation",
        "future date": "validation",
        "future birth date": "validation",
        "dates out of order": "validation",
        "before the letter": "validation",
        "oversized text": "validation",
        "bad citizen id": "validation",
        "unknown field": "validation",
        "probationary introducer": "rule:INTRO_OFFICIAL",
        "helper not of the cell": "rule:SOURCE_HELPER",
        "unknown cell": "validation",
    }
    assert cases["wrong step"]["error"]["message"].startswith("Hồ sơ đang ở bước «đang thẩm tra lý lịch»")
    assert "không được sau ngày hôm nay" in cases["future date"]["error"]["message"]
    assert "Ngày sinh" in cases["future birth date"]["error"]["message"]
    assert "Không tìm thấy hồ sơ" in cases["not_found"]["error"]["message"]
    assert cases["unknown cell"]["error"]["message"].startswith("Sổ đăng ký đảng viên: Không tìm thấy tổ chức đảng CB-77")
    assert all(not reply["ok"] and reply["error"]["message"] for reply in cases.values())


def _without_declared_on(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "declared_on"}


async def test_the_same_idempotency_key_opens_one_dossier_and_gives_the_same_answer(stack: Stack) -> None:
    fields = {"cell": CELL, "citizen_id": APPLICANT, "full_name": "Nguyễn Thị Hoa", "opened_on": "2025-09-01",
              "helper_citizen_id": HELPER, "idempotency_key": "open-hoa-0001"}
    async with stack.dossiers_running():
        first = await stack.ok("open_dossier", **fields)
        again = await stack.ok("open_dossier", **fields)
        taken = await stack.ask("open_dossier", **{**fields, "idempotency_key": "open-hoa-0002",
                                                   "dossier_id": first["result"]["dossier_id"]})
    assert again["stream_id"] == first["stream_id"] == f"dossier-{first['result']['dossier_id']}"
    assert again["event_ids"] == first["event_ids"]
    assert taken["error"]["code"] == "conflict"
    assert await stack.store.head_position() == 2  # the person's reservation (ONE_DOSSIER) and the dossier


async def test_nothing_is_written_when_the_registry_does_not_answer(stack: Stack, registry: RealRegistry) -> None:
    async with stack.dossiers_running():
        dossier_id = await prepared_dossier(stack)
        await registry.stop()
        head = await stack.store.head_position()
        reply = await stack.ask("record_introductions", dossier_id=dossier_id, **introductions())
        assert await stack.store.head_position() == head
    assert reply["error"]["code"] == "unavailable" and "thử lại" in reply["error"]["message"]


async def test_withdraw_reject_suspend_resume_and_transfer(stack: Stack) -> None:
    async with stack.dossiers_running():
        kept, withdrawn, rejected = [await prepared_dossier(stack, citizen_id=f"0010980124{n:02d}") for n in range(3)]

        await stack.ok("suspend", dossier_id=kept, on="2025-12-01")
        paused = await stack.ask("record_opinions", dossier_id=kept,
                                 opinions=[{"source": "residence_cell", "given_on": "2025-12-02", "summary": "Tốt"}])
        assert paused["error"]["code"] == "conflict" and "để lại sưu tra" in paused["error"]["message"]
        at = await stack.verification_decides("HistoryCertified", dossier_id=kept, cell=CELL, certified_by="DU-HT",
                                              certified_on="2026-01-12")
        await stack.wait_for_checkpoint(stack.verification_name, at)  # recorded while paused: it happened
        await stack.ok("resume", dossier_id=kept, on="2026-01-15")
        not_a_cell = await stack.ask("transfer", dossier_id=kept, on="2026-01-16", to_cell="DU-HT")
        unknown_cell = await stack.ask("transfer", dossier_id=kept, on="2026-01-16", to_cell="CB-77")
        assert "DU-HT không phải là một chi bộ" in not_a_cell["error"]["message"]
        assert unknown_cell["error"]["code"] == "validation" and "CB-77" in unknown_cell["error"]["message"]
        await stack.ok("transfer", dossier_id=kept, on="2026-01-16", to_cell="CB-09")
        await stack.ok("mark_ready_for_cell_vote", dossier_id=kept, ready_on="2026-02-02", cell_meeting_on="2026-02-10")

        await stack.ok("withdraw", dossier_id=withdrawn, on="2026-01-05")
        after = await stack.ask("record_opinions", dossier_id=withdrawn,
                                opinions=[{"source": "residence_cell", "given_on": "2026-01-06", "summary": "Tốt"}])
        assert "Hồ sơ đã kết thúc" in after["error"]["message"]

        await stack.ok("reject", dossier_id=rejected, on="2026-01-05", rule="INTRO_12M", reason="Người giới thiệu mới chuyển đến")
        bad_rule = await stack.ask("reject", dossier_id=rejected, on="2026-01-05", rule="NOT_A_RULE", reason="x")
        assert bad_rule["error"]["code"] == "validation"

        bodies = {d: (await stack.dossier(d))["result"] for d in (kept, withdrawn, rejected)}
    assert bodies[kept]["cell"] == "CB-09" and bodies[kept]["step"] == "ready_for_cell_vote"
    assert bodies[kept]["transfers"] == [{"on": "2026-01-16", "from_cell": CELL, "to_cell": "CB-09"}]
    assert [h["event_type"] for h in bodies[kept]["history"]][-6:] == [
        "DossierSuspended", "PersonalHistoryCertified", "DossierResumed", "DossierTransferred", "RulesChecked", "ReadyForCellVote",
    ]
    assert bodies[withdrawn]["ended"] == {"step": "withdrawn", "on": "2026-01-05", "rule": None, "reason": None}
    assert bodies[rejected]["ended"]["rule"] == "INTRO_12M"
    ready = [e for e in await stack.store.read_stream(f"dossier-{kept}") if e.event_type == "ReadyForCellVote"][0]
    assert ready.data["cell"] == "CB-09"  # the receiving cell continues the dossier
    endings = [e for d in (kept, withdrawn) for e in await stack.store.read_stream(f"dossier-{d}")
               if e.event_type in ("DossierSuspended", "DossierResumed", "DossierWithdrawn")]
    assert len(endings) == 3 and all(set(e.data) == CLOSING_FIELDS for e in endings)


async def test_a_provincial_agreement_is_recorded_for_its_purpose(stack: Stack) -> None:
    async with stack.dossiers_running():
        dossier_id = await prepared_dossier(stack)
        await stack.ok("record_provincial_agreement", dossier_id=dossier_id, purpose="over_60", document_number="12-CV/TU",
                       agreed_on="2025-11-03")
        unknown = await stack.ask("record_provincial_agreement", dossier_id=dossier_id, purpose="over_70",
                                  document_number="13-CV/TU", agreed_on="2025-11-03")
        early = await stack.ask("record_provincial_agreement", dossier_id=dossier_id, purpose="literacy_only",
                                document_number="14-CV/TU", agreed_on="2025-08-01")
        body = (await stack.dossier(dossier_id))["result"]
    assert body["papers"]["provincial_agreements"] == {"over_60": "2025-11-03"}
    assert unknown["error"]["code"] == "validation" and "purpose" in str(unknown["error"])
    assert early["error"]["code"] == "validation" and early["error"]["details"]["field"] == "agreed_on"
    assert (await stack.events(dossier_id)).count("ProvincialAgreementRecorded") == 1


async def test_ONE_DOSSIER_the_same_person_opened_twice_with_two_keys_keeps_one_open_dossier(stack: Stack) -> None:
    fields = {"cell": CELL, "citizen_id": "001098033333", "full_name": "Trịnh Văn Tám", "opened_on": "2025-09-01",
              "helper_citizen_id": HELPER}
    async with stack.dossiers_running():
        first = await stack.ok("open_dossier", **fields)
        again = await stack.ask("open_dossier", **fields)
        # A conflict with the winner's record (HTTP 409), whether the other opening was long ago or at the same moment.
        assert (again["error"]["code"], again["error"]["details"]["rule"]) == ("conflict", "ONE_DOSSIER")
        assert again["error"]["details"]["dossier_id"] == first["result"]["dossier_id"]
        assert again["error"]["message"] == "[ONE_DOSSIER] Người này đã có một hồ sơ kết nạp đang mở; mỗi người chỉ có một hồ sơ"
        # Once that dossier has ended, the person may be put on the source list again.
        await stack.ok("withdraw", dossier_id=first["result"]["dossier_id"], on="2025-10-01")
        reopened = await stack.ok("open_dossier", **{**fields, "opened_on": "2025-10-02"})
    assert reopened["result"]["dossier_id"] != first["result"]["dossier_id"]


async def test_ONE_DOSSIER_a_concurrent_double_opening_one_wins(stack: Stack) -> None:
    fields = {"cell": CELL, "citizen_id": "001098044444", "full_name": "Đinh Thị Chín", "opened_on": "2025-09-01",
              "helper_citizen_id": HELPER}
    async with stack.dossiers_running():
        replies = await asyncio.gather(*(stack.ask("open_dossier", **fields) for _ in range(10)))
    winners = [r for r in replies if r["ok"]]
    assert len(winners) == 1, replies
    assert {(r["error"]["code"], r["error"]["details"].get("rule")) for r in replies if not r["ok"]} == {("conflict", "ONE_DOSSIER")}
    opened = [e for batch in [b async for b in stack.store.read_log()] for e in batch if e.event_type == "DossierOpened"]
    assert len(opened) == 1


async def test_ALREADY_MEMBER_a_current_party_member_cannot_be_put_on_the_source_list(stack: Stack) -> None:
    before = await stack.store.head_position()
    async with stack.dossiers_running():
        refused = await stack.ask("open_dossier", cell=CELL, citizen_id=PROBATIONARY, full_name="Vũ Văn Chín",
                                  opened_on="2025-09-01", helper_citizen_id=HELPER)
    assert refused["error"]["code"] == "rule:ALREADY_MEMBER", refused
    assert refused["error"]["message"].startswith("[ALREADY_MEMBER] Người này đang là đảng viên")
    assert await stack.store.head_position() == before


async def test_the_registry_asked_at_once_still_refuses_as_the_first_failing_check_would(stack: Stack) -> None:
    """The questions of an opening go to the registry together; the refusal is still the one the
    checks give in their order: a unit unknown that day before the applicant being a member."""
    async with stack.dossiers_running():
        refused = await stack.ask("open_dossier", cell="CB-KHONG-CO", citizen_id=PROBATIONARY, full_name="Vũ Văn Chín",
                                  opened_on="2025-09-01", helper_citizen_id=HELPER)
        too_early = await stack.ask("open_dossier", cell="CB-KHONG-CO", citizen_id=PROBATIONARY, full_name="Vũ Văn Chín",
                                    opened_on="1990-01-01", helper_citizen_id=HELPER)
    assert refused["error"]["code"] == "validation" and "CB-KHONG-CO" in refused["error"]["message"], refused
    assert too_early["error"]["code"] == "rule:NO_RULE_SET", too_early


async def test_a_dossier_is_never_attached_to_a_unit_dissolved_since(stack: Stack, registry: RealRegistry) -> None:
    await registry.ok("establish_organisation", code="CB-10", name="Chi bộ 10", kind="cell", parent="DU-HT", effective_from="2005-01-01")
    async with stack.dossiers_running():  # the registry asks the dossiers service before dissolving (DISSOLVE_EMPTY)
        await registry.ok("dissolve_organisation", code="CB-10", effective_from="2026-01-01", reason="Sáp xếp lại")
        opened = await stack.ask("open_dossier", cell="CB-10", citizen_id="001098077771", full_name="Hà Văn Muộn",
                                 opened_on="2025-09-01", helper_citizen_id=HELPER)
        dossier_id = await prepared_dossier(stack)
        moved = await stack.ask("transfer", dossier_id=dossier_id, on="2025-12-01", to_cell="CB-10")
    message = "Tổ chức CB-10 không còn tồn tại (đã giải thể, sáp nhập hoặc chia tách): không thể gắn hồ sơ vào tổ chức này."
    assert (opened["error"]["code"], opened["error"]["message"], opened["error"]["details"]["field"]) == ("validation", message, "cell")
    assert (moved["error"]["code"], moved["error"]["message"], moved["error"]["details"]["field"]) == ("validation", message, "to_cell")
    assert "DossierTransferred" not in await stack.events(dossier_id)


READMITTED = {"left_on": "2023-06-01", "left_for": "name_removed"}


async def test_READMIT_a_former_member_is_opened_only_as_a_readmission_and_never_for_an_excluded_reason(stack: Stack) -> None:
    fields = {"cell": CELL, "citizen_id": FORMER, "full_name": "Đỗ Văn Cựu", "opened_on": "2025-09-01", "helper_citizen_id": HELPER}
    before = await stack.store.head_position()
    async with stack.dossiers_running():
        plain = await stack.ask("open_dossier", **fields)
        corruption = await stack.ask("open_dossier", **fields, readmission={**READMITTED, "left_for": "corruption"})
        twice = await stack.ask("open_dossier", **fields, readmission={**READMITTED, "readmitted_before": True})
        assert await stack.store.head_position() == before
        # The day the person left is the registry's, whatever was typed.
        opened = await stack.ok("open_dossier", **fields, readmission={
            **READMITTED, "left_on": "2023-09-09", "first_admitted_on": "2010-05-19", "party_card_number": "12.345.678"})
        body = (await stack.dossier(opened["result"]["dossier_id"]))["result"]
    assert plain["error"]["code"] == "rule:READMIT", plain
    assert plain["error"]["message"] == (
        "[READMIT] Người này đã từng là đảng viên (ra khỏi Đảng ngày 01/06/2023): chỉ được kết nạp lại theo thủ tục kết nạp lại"
    )
    assert corruption["error"]["code"] == "rule:READMIT" and "tham nhũng" in corruption["error"]["message"], corruption
    assert twice["error"]["code"] == "rule:READMIT" and "chỉ được kết nạp lại một lần" in twice["error"]["message"], twice
    assert body["readmission"] == {"left_on": "2023-06-01", "left_for": "name_removed", "conviction_cleared_on": None,
                                   "readmitted_before": False, "first_admitted_on": "2010-05-19", "party_card_number": "12.345.678"}
    assert body["step"] == "source_list"


async def test_READMIT_a_member_transferred_to_another_deployment_has_not_left_the_party(stack: Stack, registry: RealRegistry) -> None:
    """The transfer out ends the membership here, and nothing more: the registry says so (`member`:
    no `left_on`, `transferred_out_on`), and opening refuses a current member (ALREADY_MEMBER), not a
    former one (READMIT from the transfer's day); a re-admission must say they left the party there,
    after the transfer."""
    moved = "001072000008"
    await registry.ok("register_member", citizen_id=moved, full_name="Lý Văn Đi", organisation=CELL, kind="official",
                      effective_from="2009-04-01")
    await registry.ok("transfer_member", citizen_id=moved, transfer="official", to_organisation=None, effective_from="2024-03-01",
                      reason="Chuyển công tác sang tỉnh khác")
    answer = json.loads((await stack.nc.request(
        subjects.query_subject(registry.name, "member"), json.dumps({"citizen_id": moved, "on": "2025-09-01"}).encode(), timeout=10,
    )).data)["result"]
    assert (answer["member"], answer["left_on"], answer["transferred_out_on"]) == (False, None, "2024-03-01"), answer
    fields = {"cell": CELL, "citizen_id": moved, "full_name": "Lý Văn Đi", "opened_on": "2025-09-01", "helper_citizen_id": HELPER}
    before = await stack.store.head_position()
    async with stack.dossiers_running():
        plain = await stack.ask("open_dossier", **fields)
        left_before = await stack.ask("open_dossier", **fields, readmission={"left_on": "2024-01-15", "left_for": "name_removed"})
        assert await stack.store.head_position() == before
        opened = await stack.ok("open_dossier", **fields, readmission={"left_on": "2025-01-10", "left_for": "name_removed"})
        body = (await stack.dossier(opened["result"]["dossier_id"]))["result"]
    assert plain["error"]["code"] == "rule:ALREADY_MEMBER", plain
    assert plain["error"]["message"] == (
        "[ALREADY_MEMBER] Người này đã chuyển sinh hoạt đảng đi nơi khác ngày 01/03/2024 và vẫn là đảng viên; "
        "chỉ xét kết nạp lại khi đã ra khỏi Đảng ở nơi chuyển đến"
    )
    assert left_before["error"]["code"] == "rule:READMIT" and "trước ngày chuyển sinh hoạt" in left_before["error"]["message"], left_before
    assert body["readmission"]["left_on"] == "2025-01-10"  # the day declared: the registry here knows only the transfer


async def test_READMIT_36_months_out_and_the_provincial_agreement_are_judged_on_the_cell_meeting(stack: Stack) -> None:
    async with stack.dossiers_running():
        dossier_id = await prepared_dossier(stack, citizen_id=FORMER, readmission=READMITTED)
        at = await stack.verification_decides("HistoryCertified", dossier_id=dossier_id, cell=CELL, certified_by="DU-HT",
                                              certified_on="2026-01-12")
        await stack.wait_for_checkpoint(stack.verification_name, at)
        too_soon = await stack.ask("mark_ready_for_cell_vote", dossier_id=dossier_id, ready_on="2026-02-02", cell_meeting_on="2026-02-10")
        no_agreement = await stack.ask("mark_ready_for_cell_vote", dossier_id=dossier_id, ready_on="2026-06-02",
                                       cell_meeting_on="2026-06-10")
        await stack.ok("record_provincial_agreement", dossier_id=dossier_id, purpose="readmission", document_number="21-CV/TU",
                       agreed_on="2026-05-20")
        await stack.ok("mark_ready_for_cell_vote", dossier_id=dossier_id, ready_on="2026-06-02", cell_meeting_on="2026-06-10")
        checked = [e for e in await stack.store.read_stream(ev.stream_id(dossier_id)) if e.event_type == "RulesChecked"]
    assert too_soon["error"]["code"] == "rule:READMIT", too_soon
    assert too_soon["error"]["message"] == "[READMIT] Chưa đủ 36 tháng kể từ khi ra khỏi Đảng"
    assert no_agreement["error"]["code"] == "rule:READMIT", no_agreement
    assert "văn bản đồng ý của ban thường vụ tỉnh ủy" in no_agreement["error"]["message"]
    assert "READMIT" in checked[-1].data["rules"], checked[-1].data


async def test_the_cells_notice_recorded_after_a_decision_is_no_conflict_for_the_officer_a_person_is(stack: Stack) -> None:
    async with stack.dossiers_running():
        dossier_id = await prepared_dossier(stack)
        at = await stack.verification_decides("HistoryCertified", dossier_id=dossier_id, cell=CELL, certified_by="DU-HT",
                                              certified_on="2026-01-12")
        await stack.wait_for_checkpoint(stack.verification_name, at)
        await stack.ok("mark_ready_for_cell_vote", dossier_id=dossier_id, ready_on="2026-02-02", cell_meeting_on="2026-02-10")
        await stack.voting_decides(
            "CellResolutionAdopted", dossier_id=dossier_id, cell=CELL, citizen_id=APPLICANT, meeting_on="2026-02-10",
            agree=8, disagree=1, denominator=9, entitled=[HELPER], rule_set="2025-07",
        )
        at = await stack.voting_decides(
            "AdmissionDecided", dossier_id=dossier_id, citizen_id=APPLICANT, full_name="Nguyễn Thị Hoa", organisation=CELL,
            decided_by="DU-HT", decision_number="45-QĐ/ĐU", decision_date="2026-03-20", rule_set="2025-07",
        )
        await stack.wait_for_checkpoint(stack.voting_name, at)
        seen = (await stack.dossier(dossier_id))["result"]["stream_version"]
        # The officer reads the dossier; then the process manager records the cell's notice on it.
        at = await stack.voting_decides("CellNotified", dossier_id=dossier_id, organisation=CELL, received_on="2026-03-25")
        await stack.wait_for_checkpoint(stack.voting_name, at)
        assert (await stack.dossier(dossier_id))["result"]["stream_version"] > seen
        held = await stack.ask("record_ceremony", dossier_id=dossier_id, expected_version=seen, held_on="2026-04-10",
                               helper_citizen_id=HELPER)
        assert held["ok"] is True, held
        # Another person's act since the version seen is still a conflict.
        stale = await stack.ask("file_member_history", dossier_id=dossier_id, expected_version=seen, filed_on="2026-05-04")
        assert stale["error"]["code"] == "conflict" and "người khác cập nhật" in stale["error"]["message"], stale
