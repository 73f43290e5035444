"""The dossier's other acts in a real browser, each by the role that does it, asserting what the
person sees: voters listed by name, the history with five children, in-laws and a foreign spouse, its correction starting from it, two
people acting at once on a vote and on a verification reply (the one who came second is told, and
nothing of theirs is recorded), the partial committee's appraisal, the extension of the decision's
deadline, the name removal, and a ceremony held after its deadline."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.async_api import Locator, Page, expect

from tests.integration.gateway.world import HELPERS, World
from tests.web.acting import open_act, recorded, seed_staff, step_shown
from tests.web.conftest import Opener, screenshot
from tests.web.people import (
    INTRODUCERS,
    _eventually,
    _ok,
    cell_a1_members,
    decided_long_ago,
    prepare_certified,
    to_decision,
    today,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

TODAY = f"{today():%d/%m/%Y}"
PARTIAL_CELL = "CB-P1"
PARTIAL_MEMBERS = {"001080000041": "Lý Văn Một", "001080000042": "Lý Văn Hai", "001080000043": "Lý Văn Ba"}
"""The official members of a cell under a partial committee (đảng bộ bộ phận DB-A, under DU-A)."""


@pytest.fixture(scope="module")
async def seeded(world: World) -> None:
    await seed_staff(world)
    await world.registry("establish_organisation", code="DB-A", name="Đảng bộ bộ phận Khối A", kind="partial_committee", parent="DU-A",
                         effective_from="2005-01-01")
    await world.registry("establish_organisation", code=PARTIAL_CELL, name="Chi bộ Khối A 1", kind="cell", parent="DB-A",
                         effective_from="2005-01-01")
    for citizen_id, name in PARTIAL_MEMBERS.items():
        await world.registry("register_member", citizen_id=citizen_id, full_name=name, organisation=PARTIAL_CELL, kind="official",
                             effective_from="2010-01-01")


async def _conflict(page: Page) -> Locator:
    warning = page.get_by_role("alert").filter(has_text="Hồ sơ vừa được người khác cập nhật")
    await expect(warning).to_contain_text("chưa được ghi")
    return warning


def _group(page: Page, legend: str) -> Locator:
    return page.locator("fieldset").filter(has=page.locator("legend", has_text=re.compile(rf"^{re.escape(legend)}$")))


async def _confirm(page: Page | Locator) -> None:
    await page.get_by_role("button", name="Xem lại trước khi ghi").click()
    await page.get_by_role("button", name="Xác nhận và ghi").click()


async def test_a_vote_entered_after_someone_recorded_it_is_a_conflict_and_voters_are_named(
    signed_in_page: Opener, world: World, seeded: None
) -> None:
    """The cell's secretary fills in the vote on the dossier page, each member by name; meanwhile
    the same vote is recorded through the API: theirs is not recorded, and the page says so."""
    dossier = await prepare_certified(world, "Đinh Văn Tâm", "001095000061", ready=True)
    await _eventually(world, "bithu.a1", "voting", "case", dossier)
    cell = await signed_in_page("bithu.a1")
    await open_act(cell, world, dossier)
    side = cell.locator(".column-side")
    await expect(side.get_by_role("heading", level=3).first).to_have_text("Ghi nghị quyết chi bộ đề nghị kết nạp")
    second, second_name = INTRODUCERS["CB-A1"]
    await expect(side.get_by_label(f"{second_name}, CCCD {second}")).to_be_visible()  # the name first, then the CCCD
    for member in cell_a1_members():
        await side.get_by_label(f"CCCD {member}").select_option(label="Tán thành")
    await screenshot(cell, "bieu-quyet-co-ten")

    await _ok(await world.command("bithu.a1", "voting", "record_cell_resolution", {
        "dossier_ids": [dossier], "cell": "CB-A1", "meeting_on": today().isoformat(),
        "ballots": [{"citizen_id": c, "choice": "agree"} for c in cell_a1_members()],
    }))
    await _confirm(side)
    warning = await _conflict(cell)
    await expect(warning).to_contain_text("Người dùng bithu.a1: Biểu quyết")  # who acted first, and what, from the voting log
    await step_shown(cell, "Chờ quyết định kết nạp")  # reloaded as it is now
    held = [e for e in await world.store("voting").read_stream(f"voting-{dossier}") if e.event_type == "VoteHeld"]
    assert len(held) == 1
    await screenshot(cell, "xung-dot-bieu-quyet")


async def test_two_people_recording_one_verification_reply_the_second_is_told(
    signed_in_page: Opener, world: World, seeded: None
) -> None:
    """The cell's secretary and the commune's staff record the applicant's reply at once: the one
    who came second is told who recorded what first (from the verification log), with the dossier
    reloaded."""
    dossier = await prepare_certified(world, "Mai Thị Lan", "001095000062", unanswered="applicant")
    first, second = await signed_in_page("bithu.a1"), await signed_in_page("canbo.a")
    for page in (first, second):
        await open_act(page, world, dossier, "ket-qua-tham-tra")
        await page.get_by_label("Người được thẩm tra").select_option("applicant")
    await first.get_by_label("Kết quả").select_option(label="Không có vấn đề")
    await second.get_by_label("Kết quả").select_option(label="Có vấn đề cần lưu ý")
    await second.get_by_label("Nội dung").fill("Cần làm rõ nơi làm việc năm 2015.")
    await first.get_by_role("button", name="Ghi vào hồ sơ").click()
    await recorded(first, "Ghi kết quả thẩm tra")
    await second.get_by_role("button", name="Ghi vào hồ sơ").click()
    warning = await _conflict(second)
    await expect(warning).to_contain_text("Người dùng bithu.a1: Ghi kết quả thẩm tra")
    await expect(warning).not_to_contain_text("Người dùng canbo.a")  # nothing of the second is recorded
    verification = second.locator("section", has=second.get_by_role("heading", name="Thẩm tra lý lịch"))
    await expect(verification.locator("tr", has_text="Người xin vào Đảng")).to_contain_text("Không có vấn đề")  # the first reply stands


async def test_the_history_declares_five_children_in_laws_and_a_foreign_spouse_and_a_correction_starts_from_it(
    signed_in_page: Opener, world: World, seeded: None
) -> None:
    """The history form: a spouse of foreign nationality, a father-in-law who is a party member
    (with his citizen id, fully declared), five children added row by row ("Thêm con"); then the
    correction form shows the history as it stands, and one name is changed, nothing retyped."""
    opened = await _ok(await world.command("bithu.a1", "dossiers", "open_dossier", {
        "cell": "CB-A1", "citizen_id": "001095000063", "full_name": "Phan Thị Hoa", "opened_on": (today() - timedelta(days=20)).isoformat(),
        "helper_citizen_id": HELPERS["CB-A1"],
    }))
    dossier = opened["result"]["dossier_id"]
    await _ok(await world.command("bithu.a1", "dossiers", "submit_application_letter", {
        "dossier_id": dossier, "submitted_on": (today() - timedelta(days=10)).isoformat(),
    }))
    cell = await signed_in_page("bithu.a1")

    async def relative(legend: str, name: str, born: str) -> Locator:
        group = _group(cell, legend)
        await group.get_by_label("Họ và tên").fill(name)
        await group.get_by_label("Năm sinh").fill(born)
        await group.get_by_label("Nơi ở hoặc nơi làm việc hiện nay").fill("Thôn 3, xã A")
        return group

    await open_act(cell, world, dossier, "ly-lich")
    for legend in ("Người nuôi dưỡng", "Cha vợ (chồng)", "Mẹ vợ (chồng)", "Con thứ 1"):
        await expect(_group(cell, legend)).to_be_visible()
    await expect(_group(cell, "Con thứ 2")).to_have_count(0)  # one row, more on demand
    await cell.get_by_label("Ngày sinh").fill("12/03/1985")
    await cell.get_by_label("Giới tính").select_option(label="Nữ")
    await cell.get_by_label("Dân tộc").fill("Kinh")
    await cell.get_by_label("Tôn giáo").fill("Không")
    await cell.get_by_label("Nghề nghiệp").fill("Kế toán")
    await cell.get_by_label("Trình độ giáo dục phổ thông").select_option(label="Tốt nghiệp trung học phổ thông")
    await cell.get_by_label("Trình độ chuyên môn").select_option(label="Đại học")
    spouse = await relative("Vợ (chồng)", "Trương Văn Nam", "1983")
    await spouse.get_by_label("Có quốc tịch nước ngoài").check()
    await expect(spouse.get_by_label("Có quốc tịch nước ngoài")).to_be_checked()
    father_in_law = await relative("Cha vợ (chồng)", "Trương Văn Lâm", "1955")
    await father_in_law.get_by_label("Là đảng viên", exact=True).check()
    await father_in_law.get_by_label("Số CCCD của người thân là đảng viên").fill("001055000099")
    await father_in_law.get_by_label("Đã khai đầy đủ trong lý lịch đảng viên của mình").check()
    for n in range(5):
        if n:
            await cell.get_by_role("button", name="Thêm con").click()
        child = await relative(f"Con thứ {n + 1}", f"Trương Minh Con {n + 1}", str(2005 + n))
        if n == 0:
            await child.get_by_label("Đã thành niên và có đủ năng lực hành vi dân sự").check()
    await expect(_group(cell, "Vợ (chồng)").get_by_label("Họ và tên")).to_have_value("Trương Văn Nam")  # kept through each "Thêm"
    await expect(_group(cell, "Vợ (chồng)").get_by_label("Có quốc tịch nước ngoài")).to_be_checked()
    await screenshot(cell, "ly-lich-nam-con")
    await cell.get_by_role("button", name="Ghi vào hồ sơ").click()
    await recorded(cell, "Khai lý lịch người xin vào Đảng")
    declared = {e.event_type: e.data for e in await world.store("dossiers").read_stream(f"dossier-{dossier}")}["PersonalHistoryDeclared"]
    by_relation = {r["relation"]: r for r in declared["relatives"]}
    assert [r["full_name"] for r in declared["relatives"] if r["relation"] == "child"] == [f"Trương Minh Con {n}" for n in range(1, 6)]
    assert by_relation["spouse"]["foreign_national"] is True, str(by_relation["father_in_law"])
    assert (by_relation["father_in_law"]["member_citizen_id"], by_relation["father_in_law"]["fully_declared"]) == ("001055000099", True)

    case = await _eventually(world, "canbo.a", "verification", "case", dossier, lambda c: len(c["subjects"]) >= 4)
    relations = {s["relation"] for s in case["subjects"]}
    assert {"spouse", "father_in_law", "child"} <= relations, relations  # an adult child and the in-laws are verified

    await open_act(cell, world, dossier)
    await cell.locator(".column-side").get_by_role("link", name="Đính chính lý lịch người xin vào Đảng").click()
    # The correction starts from the history as it stands: each relative in their row, kept.
    kept = _group(cell, "Cha vợ (chồng)").get_by_label("Người thân đã khai")
    await expect(kept.locator("option:checked")).to_have_text("Cha vợ (chồng) đã khai (chưa gửi yêu cầu)")
    await expect(cell.get_by_label("Ngày sinh")).to_have_value("12/03/1985")
    await expect(cell.get_by_label("Trình độ chuyên môn").locator("option:checked")).to_have_text("Đại học")
    await expect(_group(cell, "Vợ (chồng)").get_by_label("Có quốc tịch nước ngoài")).to_be_checked()
    await expect(_group(cell, "Con thứ 5").get_by_label("Họ và tên")).to_have_value("Trương Minh Con 5")
    await expect(_group(cell, "Con thứ 1").get_by_label("Đã thành niên và có đủ năng lực hành vi dân sự")).to_be_checked()
    await _group(cell, "Cha vợ (chồng)").get_by_label("Họ và tên").fill("Trương Văn Lâm Hải")  # the only change: a misspelt name
    await cell.get_by_label("Lý do đính chính").fill("Ghi sai tên cha chồng.")
    await cell.get_by_role("button", name="Ghi vào hồ sơ").click()
    await recorded(cell, "Đính chính lý lịch người xin vào Đảng")
    await expect(cell.locator("#dien-bien ~ table")).to_contain_text("Đính chính lý lịch")
    history = {e.event_type: e.data for e in await world.store("dossiers").read_stream(f"dossier-{dossier}")}
    corrected = history["PersonalHistoryCorrected"]
    changed = {k: v for k, v in corrected.items() if declared.get(k) != v}
    assert set(changed) == {"relatives", "qualifications", "corrected_on", "reason"}, changed  # the applicant as declared
    before = {r["subject_id"]: r for r in declared["relatives"]}
    after = {r["subject_id"]: r for r in corrected["relatives"]}
    assert after.keys() == before.keys(), (before, after)  # the same people, their verification kept
    assert {k for k in after if after[k] != before[k]} == {by_relation["father_in_law"]["subject_id"]}
    assert after[by_relation["father_in_law"]["subject_id"]]["full_name"] == "Trương Văn Lâm Hải"


async def test_the_partial_committee_appraises_and_a_second_appraisal_is_refused_in_words(
    signed_in_page: Opener, world: World, seeded: None
) -> None:
    members = list(PARTIAL_MEMBERS)
    dossier = await prepare_certified(world, "Lý Thị Cúc", "001095000064", ready=True, cell=PARTIAL_CELL, preparer="canbo.a",
                                      introducers=(members[0], members[1]))
    await _eventually(world, "canbo.a", "voting", "case", dossier)
    await _ok(await world.command("canbo.a", "voting", "record_cell_resolution", {
        "dossier_ids": [dossier], "cell": PARTIAL_CELL, "meeting_on": (today() - timedelta(days=2)).isoformat(),
        "ballots": [{"citizen_id": c, "choice": "agree"} for c in members],
    }))
    await _eventually(world, "canbo.a", "dossiers", "dossier", dossier, lambda d: d["step"] == "awaiting_decision")
    commune = await signed_in_page("canbo.a")
    await open_act(commune, world, dossier)
    await commune.locator(".column-side").get_by_role("link", name="Ghi ý kiến thẩm định của đảng ủy bộ phận").click()
    await expect(commune.get_by_label("Đảng ủy bộ phận thẩm định")).to_have_value("DB-A")  # the one above the cell, filled in
    await commune.get_by_label("Ý kiến thẩm định").fill("Đủ điều kiện, đề nghị kết nạp.")
    await commune.get_by_role("button", name="Ghi vào hồ sơ").click()
    await recorded(commune, "Ghi ý kiến thẩm định của đảng ủy bộ phận")

    await open_act(commune, world, dossier, "tham-dinh")
    await commune.get_by_label("Ý kiến thẩm định").fill("Ý kiến thứ hai.")
    await commune.get_by_role("button", name="Ghi vào hồ sơ").click()
    warning = await _conflict(commune)
    await expect(warning).to_contain_text("Đảng ủy bộ phận đã thẩm định hồ sơ này.")


async def test_the_standing_committee_extends_the_decision_deadline_once(signed_in_page: Opener, world: World, seeded: None) -> None:
    dossier = await prepare_certified(world, "Tạ Văn Đức", "001095000065", ready=True)
    await to_decision(world, dossier)
    standing = await signed_in_page("thuongvu")
    await open_act(standing, world, dossier)
    decision = standing.locator(".task", has_text="Quyết định kết nạp")
    await expect(decision).to_contain_text("Hạn ")
    before = await decision.inner_text()
    await standing.locator(".column-side").get_by_role("link", name="Gia hạn thời gian ra quyết định kết nạp").click()
    await expect(standing.get_by_label("Cấp ủy ra quyết định")).to_have_value("T01")
    await standing.get_by_label("Số ngày làm việc gia hạn").fill("20")
    await standing.get_by_role("button", name="Ghi vào hồ sơ").click()
    await recorded(standing, "Gia hạn thời gian ra quyết định kết nạp")
    await expect(standing.locator("#dien-bien ~ table")).to_contain_text("Ghi gia hạn thời gian quyết định")
    await expect(decision).not_to_have_text(before)  # the deadline shown moved on
    await screenshot(standing, "gia-han")

    await open_act(standing, world, dossier, "gia-han-quyet-dinh")
    await standing.get_by_label("Số ngày làm việc gia hạn").fill("5")
    await standing.get_by_role("button", name="Ghi vào hồ sơ").click()
    await expect(standing.locator(".error-summary")).to_contain_text("quy định DECISION_60WD")
    await expect(standing.get_by_label("Số ngày làm việc gia hạn")).to_have_value("5")  # kept as typed


async def test_the_standing_committee_removes_a_probationary_members_name(signed_in_page: Opener, world: World, seeded: None) -> None:
    dossier = await decided_long_ago(world, "Lưu Văn Phúc", "001095000066", 60)
    await _ok(await world.command("bithu.a1", "dossiers", "record_ceremony", {
        "dossier_id": dossier, "held_on": (today() - timedelta(days=38)).isoformat(), "helper_citizen_id": HELPERS["CB-A1"],
    }))
    await _eventually(world, "thuongvu", "voting", "case", dossier, lambda c: bool(c.get("ceremony_on")))
    standing = await signed_in_page("thuongvu")
    await open_act(standing, world, dossier)
    await standing.locator(".column-side").get_by_role("link", name="Ghi quyết định xóa tên khỏi danh sách đảng viên dự bị").click()
    await expect(standing.get_by_label("Cấp ủy ra quyết định")).to_have_value("T01")
    await standing.get_by_label("Lý do").fill("Vi phạm tư cách đảng viên trong thời kỳ dự bị.")
    await standing.get_by_role("button", name="Xem lại trước khi ghi").click()
    await expect(standing.locator(".check-answers")).to_contain_text("Vi phạm tư cách đảng viên trong thời kỳ dự bị.")
    await standing.get_by_role("button", name="Xác nhận và ghi").click()
    await recorded(standing, "Ghi quyết định xóa tên khỏi danh sách đảng viên dự bị")
    await step_shown(standing, "Đã xóa tên")
    await expect(standing.locator(".column-side")).to_contain_text("hồ sơ đã kết thúc")
    await expect(standing.locator("#dien-bien ~ table")).to_contain_text("Xóa tên khỏi danh sách đảng viên dự bị")


async def test_a_ceremony_after_its_deadline_is_flagged_unless_the_committee_above_agreed(
    signed_in_page: Opener, world: World, seeded: None
) -> None:
    """The decision reached the cell 63 days ago, more than 30 working days: held today without
    the agreement, the ceremony is recorded and flagged CEREMONY_30WD; with the committee above's
    agreement (recorded on its page) and the box ticked, it is not."""
    late = await decided_long_ago(world, "Cao Văn Hùng", "001095000067", 80)
    agreed = await decided_long_ago(world, "Cao Thị Huệ", "001095000068", 80)
    cell = await signed_in_page("bithu.a1")

    await open_act(cell, world, late)
    side = cell.locator(".column-side")
    await expect(side.get_by_role("heading", level=3).first).to_have_text("Ghi lễ kết nạp")
    await side.get_by_label("Số CCCD của đảng viên chính thức được phân công giúp đỡ").fill(HELPERS["CB-A1"])
    await side.get_by_role("button", name="Ghi vào hồ sơ").click()
    await recorded(cell, "Ghi lễ kết nạp")
    flags = cell.get_by_role("alert").filter(has_text="Vi phạm quy định được ghi nhận")
    await expect(flags).to_contain_text("quy định CEREMONY_30WD")
    await screenshot(cell, "le-ket-nap-qua-han")

    standing = await signed_in_page("thuongvu")
    await open_act(standing, world, agreed)
    agreement = standing.locator(".column-side")
    await expect(agreement.get_by_role("heading", level=3).first).to_have_text("Cấp ủy cấp trên đồng ý tổ chức lễ kết nạp quá hạn")
    await agreement.get_by_label("Cấp ủy đồng ý").select_option("T01")
    await agreement.get_by_role("button", name="Ghi vào hồ sơ").click()
    await recorded(standing, "Cấp ủy cấp trên đồng ý tổ chức lễ kết nạp quá hạn")

    await open_act(cell, world, agreed)
    await side.get_by_label("Số CCCD của đảng viên chính thức được phân công giúp đỡ").fill(HELPERS["CB-A1"])
    await side.get_by_label("Cấp ủy cấp trên đã đồng ý tổ chức quá 30 ngày làm việc").check()
    await side.get_by_role("button", name="Ghi vào hồ sơ").click()
    await recorded(cell, "Ghi lễ kết nạp")
    await step_shown(cell, "Đảng viên dự bị")
    await expect(cell.get_by_role("alert").filter(has_text="Vi phạm quy định được ghi nhận")).to_have_count(0)
