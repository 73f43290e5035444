"""A dossier's whole road in a real browser (Debian's Chromium, driven by Playwright), each act
recorded by the role that does it, each in a browser of its own: the cell secretary prepares the
dossier and records the cell's vote, the commune's staff verify the history and record the
committee's resolution, the standing committee decides, the cell holds the ceremony. Then what
goes wrong: a 2/3 vote that fails, a decision refused for AUTHORITY (as the API refuses it), and
two browsers acting at once on one dossier."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.async_api import Page, expect

from tests.integration.gateway.webclient import WebClient, hidden_fields, visible_text
from tests.integration.gateway.world import HELPERS, World
from tests.web.acting import open_act, recorded, seed_staff, step_shown
from tests.web.conftest import Opener, screenshot
from tests.web.people import (
    COMMITTEE,
    INTRODUCERS,
    cell_a1_members,
    on_probation_long_ago,
    prepare_certified,
    to_decision,
    today,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

TODAY = f"{today():%d/%m/%Y}"


@pytest.fixture(scope="module")
async def seeded(world: World) -> None:
    await seed_staff(world)


async def _vote(page: Page, choices: dict[str, str]) -> None:
    for citizen_id, choice in choices.items():
        await page.get_by_label(f"CCCD {citizen_id}").select_option(label=choice)


async def _subjects(page: Page, world: World, dossier: str, slug: str) -> list[str]:
    """The verification subjects a form offers (the case opens once the history reaches it)."""
    for _ in range(100):
        await open_act(page, world, dossier, slug)
        values = await page.get_by_label("Người được thẩm tra").evaluate("s => [...s.options].map(o => o.value).filter(v => v)")
        if values:
            return values
        await page.wait_for_timeout(100)
    raise AssertionError("the verification case never opened")


async def test_one_dossier_from_opening_to_the_admission_decision_and_the_ceremony(signed_in_page: Opener, world: World, seeded: None) -> None:
    cell = await signed_in_page("bithu.a1")
    commune = await signed_in_page("canbo.a")
    standing = await signed_in_page("thuongvu")

    # The cell secretary opens the dossier and gathers the papers.
    await cell.goto(world.listener.url + "/ho-so/mo-moi")
    await cell.get_by_label("Chi bộ").select_option("CB-A1")
    await cell.get_by_label("Họ và tên quần chúng").fill("Phạm Thị Dung")
    await cell.get_by_label("Số CCCD của quần chúng").fill("001095000051")
    await cell.get_by_label("Số CCCD của đảng viên giúp đỡ").fill(HELPERS["CB-A1"])
    await cell.get_by_role("button", name="Mở hồ sơ").click()
    await recorded(cell, "Đưa vào danh sách cảm tình Đảng")
    dossier = re.search(r"/ho-so/([^/?]+)", cell.url).group(1)

    await open_act(cell, world, dossier, "giay-chung-nhan")
    await cell.get_by_label("Số giấy chứng nhận").fill("21/GCN")
    await cell.get_by_label("Ngày cấp").fill(f"{today() - timedelta(days=30):%d/%m/%Y}")
    await cell.get_by_label("Nơi cấp").fill("Trung tâm chính trị")
    await cell.get_by_role("button", name="Ghi vào hồ sơ").click()
    await recorded(cell, "Ghi giấy chứng nhận lớp bồi dưỡng nhận thức về Đảng")

    await open_act(cell, world, dossier, "don-xin-vao-dang")
    await cell.get_by_role("button", name="Ghi vào hồ sơ").click()
    await recorded(cell, "Nộp đơn xin vào Đảng")

    await open_act(cell, world, dossier, "ly-lich")
    await cell.get_by_label("Ngày sinh").fill("01/05/1990")
    await cell.get_by_label("Giới tính").select_option(label="Nữ")
    await cell.get_by_label("Dân tộc").fill("Kinh")
    await cell.get_by_label("Tôn giáo").fill("Công giáo")  # calls for the religious applicant's template
    await cell.get_by_label("Nghề nghiệp").fill("Giáo viên")
    await cell.get_by_label("Trình độ giáo dục phổ thông").select_option(label="Tốt nghiệp trung học phổ thông")
    await cell.get_by_label("Trình độ chuyên môn").select_option(label="Đại học")
    father = cell.locator("fieldset", has=cell.locator("legend", has_text="Cha đẻ"))
    await father.get_by_label("Họ và tên").fill("Phạm Văn Bình")
    await father.get_by_label("Năm sinh").fill("1962")
    await father.get_by_label("Nơi ở hoặc nơi làm việc hiện nay").fill("Thôn 2, xã A")
    await cell.get_by_role("button", name="Ghi vào hồ sơ").click()
    await recorded(cell, "Khai lý lịch người xin vào Đảng")

    await open_act(cell, world, dossier, "gioi-thieu")
    for legend, (citizen_id, name) in (("Người giới thiệu thứ nhất", (HELPERS["CB-A1"], "Đảng viên Giúp Đỡ")),
                                       ("Người giới thiệu thứ hai", INTRODUCERS["CB-A1"])):
        group = cell.locator("fieldset", has=cell.locator("legend", has_text=legend))
        await group.get_by_label("Họ và tên người giới thiệu").fill(name)
        await group.get_by_label("Số CCCD của người giới thiệu").fill(citizen_id)
        await group.get_by_label("Ngày giới thiệu").fill(TODAY)
        await group.get_by_label("Cùng công tác, học tập, sinh sống với người vào Đảng từ ngày").fill("01/01/2015")
    await cell.get_by_role("button", name="Ghi vào hồ sơ").click()
    await recorded(cell, "Ghi người giới thiệu")

    await open_act(cell, world, dossier, "nhan-xet")
    work = cell.locator("fieldset", has=cell.locator("legend", has_text="Đoàn thể nơi làm việc"))
    await work.get_by_label("Ngày nhận xét").fill(TODAY)
    await work.get_by_label("Tóm tắt nhận xét").fill("Hoàn thành tốt nhiệm vụ.")
    await cell.get_by_role("button", name="Ghi vào hồ sơ").click()
    await recorded(cell, "Ghi nhận xét của đoàn thể và chi ủy nơi cư trú")

    # The commune's staff verify every subject, the special template among them, and certify.
    subjects = await _subjects(commune, world, dossier, "gui-yeu-cau-tham-tra")
    assert "applicant:religious" in subjects, subjects
    await expect(commune.get_by_label("Người được thẩm tra")).to_contain_text("mẫu thẩm tra riêng: người theo tôn giáo")
    for subject in subjects:
        await open_act(commune, world, dossier, "gui-yeu-cau-tham-tra")
        await commune.get_by_label("Người được thẩm tra").select_option(subject)
        await expect(commune.get_by_label("Gửi tới tổ chức đảng nơi người đó cư trú hoặc làm việc")).to_have_value("DU-A")
        await commune.get_by_role("button", name="Ghi vào hồ sơ").click()
        await recorded(commune, "Gửi yêu cầu thẩm tra lý lịch")
    for subject in subjects:
        await open_act(commune, world, dossier, "ket-qua-tham-tra")
        await commune.get_by_label("Người được thẩm tra").select_option(subject)
        await commune.get_by_label("Kết quả").select_option(label="Không có vấn đề")
        await commune.get_by_role("button", name="Ghi vào hồ sơ").click()
        await recorded(commune, "Ghi kết quả thẩm tra")
    verification = commune.locator("section", has=commune.get_by_role("heading", name="Thẩm tra lý lịch"))
    await expect(verification).to_contain_text("Người xin vào Đảng (mẫu thẩm tra riêng: người theo tôn giáo)")
    await expect(verification).not_to_contain_text("Chưa có")
    await screenshot(commune, "tham-tra")
    side = commune.locator(".column-side")
    await expect(side.get_by_role("heading", level=3).first).to_have_text("Chứng nhận lý lịch người xin vào Đảng")
    await side.get_by_role("button", name="Ghi vào hồ sơ").click()
    await recorded(commune, "Chứng nhận lý lịch người xin vào Đảng")
    await expect(commune.locator(".task", has_text="Thẩm tra, chứng nhận lý lịch")).to_contain_text("Đã xong")

    # The cell sends it to its meeting and records the vote: the denominator is shown first.
    await cell.goto(f"{world.listener.url}/ho-so/{dossier}")
    side = cell.locator(".column-side")
    await side.get_by_label("Ngày chi bộ họp xét (dự kiến)").fill(TODAY)
    await side.get_by_role("button", name="Chuyển hồ sơ").click()
    await recorded(cell, "Chuyển hồ sơ để chi bộ xét")
    await step_shown(cell, "Chờ chi bộ xét")
    await expect(side.get_by_role("heading", level=3).first).to_have_text("Ghi nghị quyết chi bộ đề nghị kết nạp")
    await expect(side.locator(".denominator")).to_contain_text("mẫu số biểu quyết là 4")
    await expect(side.locator(".denominator")).to_contain_text("Cần ít nhất 3 đảng viên tán thành")
    await _vote(side, {member: "Tán thành" for member in cell_a1_members()})
    await screenshot(cell, "bieu-quyet-chi-bo")
    await side.get_by_role("button", name="Xem lại trước khi ghi").click()
    check = side.locator(".check-answers")
    await expect(check.get_by_role("heading", name="Kiểm tra trước khi ghi")).to_be_focused()
    await expect(check).to_contain_text("Tán thành 4 trên mẫu số 4; cần ít nhất 3.")
    await expect(check).to_contain_text("Nghị quyết sẽ được thông qua.")
    await screenshot(cell, "kiem-tra-truoc-khi-ghi")
    await check.get_by_role("button", name="Xác nhận và ghi").click()
    await expect(cell.get_by_role("status").filter(has_text="Kết quả biểu quyết")).to_contain_text("được thông qua")
    await step_shown(cell, "Chờ quyết định kết nạp")

    # The grassroots committee's resolution, counted against all its members.
    await open_act(commune, world, dossier, "nghi-quyet-dang-uy")
    await expect(commune.locator(".denominator")).to_contain_text("Cấp ủy DU-A có 3 cấp ủy viên")
    await _vote(commune, {member: "Tán thành" for member in COMMITTEE["DU-A"]})
    await commune.get_by_role("button", name="Xem lại trước khi ghi").click()
    await commune.get_by_role("button", name="Xác nhận và ghi").click()
    await expect(commune.get_by_role("status").filter(has_text="Kết quả biểu quyết")).to_contain_text("được thông qua")
    await expect(commune.locator(".task", has_text="Nghị quyết đảng ủy cơ sở")).to_contain_text("Đã xong")

    # The standing committee of the province decides.
    await standing.goto(f"{world.listener.url}/ho-so/{dossier}")
    side = standing.locator(".column-side")
    await expect(side.get_by_role("heading", level=3).first).to_have_text("Ghi quyết định kết nạp của cấp có thẩm quyền")
    await expect(side.get_by_label("Cấp ủy ra quyết định")).to_have_value("T01")  # the competent committee, chosen for them
    await side.get_by_label("Số quyết định").fill("125-QĐ/TU")
    await side.get_by_role("button", name="Xem lại trước khi ghi").click()
    await expect(side.locator(".check-answers")).to_contain_text("125-QĐ/TU")
    await side.get_by_role("button", name="Xác nhận và ghi").click()
    await recorded(standing, "Ghi quyết định kết nạp của cấp có thẩm quyền")
    await step_shown(standing, "Chờ lễ kết nạp")

    # The cell receives the decision and holds the ceremony: probation begins.
    await cell.goto(f"{world.listener.url}/ho-so/{dossier}")
    side = cell.locator(".column-side")
    await expect(side.get_by_role("heading", level=3).first).to_have_text("Chi bộ nhận quyết định kết nạp")
    await side.get_by_role("button", name="Ghi vào hồ sơ").click()
    await recorded(cell, "Chi bộ nhận quyết định kết nạp")
    await expect(side.get_by_role("heading", level=3).first).to_have_text("Ghi lễ kết nạp")
    await side.get_by_label("Số CCCD của đảng viên chính thức được phân công giúp đỡ").fill(HELPERS["CB-A1"])
    await side.get_by_role("button", name="Ghi vào hồ sơ").click()
    await recorded(cell, "Ghi lễ kết nạp")
    await step_shown(cell, "Đảng viên dự bị")
    await expect(cell.locator(".task", has_text="Lễ kết nạp")).to_contain_text(f"ngày {TODAY}")
    await expect(cell.locator(".task", has_text="Quyết định kết nạp")).to_contain_text("Đã xong")
    await screenshot(cell, "ho-so-du-bi")

    # Probation: the member's history is filed; the recognition papers wait for the 12 months.
    await expect(side.get_by_role("heading", level=3).first).to_have_text("Ghi ngày nộp lý lịch đảng viên")
    await side.get_by_role("button", name="Ghi vào hồ sơ").click()
    await recorded(cell, "Ghi ngày nộp lý lịch đảng viên")
    await open_act(cell, world, dossier, "ho-so-cong-nhan")
    await cell.get_by_label("Ngày bản tự kiểm điểm (10-KNĐ)").fill(TODAY)
    await cell.get_by_role("button", name="Ghi vào hồ sơ").click()
    await expect(cell.locator(".error-summary")).to_contain_text("quy định RECOG_")
    await expect(cell.get_by_label("Ngày bản tự kiểm điểm (10-KNĐ)")).to_have_value(TODAY)


async def test_a_two_thirds_vote_that_fails_is_recorded_and_ends_the_dossier(signed_in_page: Opener, world: World, seeded: None) -> None:
    dossier = await prepare_certified(world, "Đỗ Văn Khải", "001095000052", ready=True)
    cell = await signed_in_page("bithu.a1")
    await cell.goto(f"{world.listener.url}/ho-so/{dossier}/nghi-quyet-chi-bo")
    unlabelled = await cell.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
               .filter(e => e.labels === null || e.labels.length === 0).map(e => e.name || e.id)"""
    )
    assert unlabelled == [], unlabelled  # every voter's choice has its label
    first, second, third, fourth = cell_a1_members()
    await _vote(cell, {first: "Tán thành", second: "Tán thành", third: "Không tán thành", fourth: "Không biểu quyết"})
    await cell.get_by_role("button", name="Xem lại trước khi ghi").click()
    await expect(cell.locator(".check-answers")).to_contain_text("Tán thành 2 trên mẫu số 4; cần ít nhất 3.")
    await expect(cell.locator(".check-answers")).to_contain_text("Nghị quyết sẽ không được thông qua (quy định CELL_2_3).")
    await cell.get_by_role("button", name="Xác nhận và ghi").click()
    outcome = cell.get_by_role("alert").filter(has_text="Kết quả biểu quyết")
    await expect(outcome).to_contain_text("không được thông qua")
    await expect(outcome).to_contain_text("Tán thành 2 trên mẫu số 4, cần ít nhất 3 (quy định CELL_2_3")
    await step_shown(cell, "Đã bị bác")
    await expect(cell.locator(".summary-list")).to_contain_text("quy định CELL_2_3")
    await screenshot(cell, "bieu-quyet-khong-dat")


async def test_a_decision_by_a_committee_without_authority_is_refused_as_the_api_refuses_it(
    signed_in_page: Opener, world: World, seeded: None
) -> None:
    dossier = await prepare_certified(world, "Vũ Thị Hằng", "001095000053", ready=True)
    await to_decision(world, dossier)
    standing = await signed_in_page("thuongvu")
    await standing.goto(f"{world.listener.url}/ho-so/{dossier}/quyet-dinh-ket-nap")
    await standing.get_by_label("Cấp ủy ra quyết định").select_option("DU-A")  # not authorised to admit
    await standing.get_by_label("Số quyết định").fill("7-QĐ/ĐU")
    await standing.get_by_role("button", name="Xem lại trước khi ghi").click()
    await standing.get_by_role("button", name="Xác nhận và ghi").click()
    summary = standing.locator(".error-summary")
    await expect(summary).to_contain_text("quy định AUTHORITY")
    await expect(summary).to_be_focused()
    decider = standing.locator(".field", has=standing.get_by_label("Cấp ủy ra quyết định"))
    await expect(decider.locator(".field-error")).to_contain_text("quy định AUTHORITY")  # beside the field it judges
    await expect(standing.get_by_label("Cấp ủy ra quyết định")).to_have_value("DU-A")  # kept as typed
    await expect(standing.get_by_label("Số quyết định")).to_have_value("7-QĐ/ĐU")
    await screenshot(standing, "tu-choi-authority")
    api = await world.command("thuongvu", "voting", "decide_admission", {
        "dossier_id": dossier, "decided_by": "DU-A", "decision_date": today().isoformat(), "admitted": True, "decision_number": "7-QĐ/ĐU",
    })
    assert api.status_code == 422 and api.json()["error"]["code"] == "rule:AUTHORITY", api.text
    progress = await world.query("thuongvu", "dossiers", "progress", {"dossier_id": dossier})
    assert progress.json()["result"]["step"] == "awaiting_decision"  # nothing recorded


async def test_two_browsers_acting_at_once_on_one_dossier_one_is_told_who_acted_first(
    signed_in_page: Opener, world: World, seeded: None
) -> None:
    dossier = await prepare_certified(world, "Lê Văn Minh", "001095000054")
    first = await signed_in_page("bithu.a1")
    second = await signed_in_page("canbo.a")
    for page in (first, second):
        await page.goto(f"{world.listener.url}/ho-so/{dossier}")
        side = page.locator(".column-side")
        await expect(side.get_by_role("heading", level=3).first).to_have_text("Chuyển hồ sơ để chi bộ xét")
        await side.get_by_label("Ngày chi bộ họp xét (dự kiến)").fill(TODAY)
    await first.locator(".column-side").get_by_role("button", name="Chuyển hồ sơ").click()
    await recorded(first, "Chuyển hồ sơ để chi bộ xét")
    await second.locator(".column-side").get_by_role("button", name="Chuyển hồ sơ").click()
    warning = second.get_by_role("alert").filter(has_text="Hồ sơ vừa được người khác cập nhật")
    await expect(warning).to_contain_text("chưa được ghi")
    await expect(warning).to_contain_text("Người dùng bithu.a1")
    await step_shown(second, "Chờ chi bộ xét")  # reloaded: the dossier as it is now
    await expect(second.locator(".column-side").get_by_role("heading", level=3).first).to_have_text("Ghi nghị quyết chi bộ đề nghị kết nạp")
    await screenshot(second, "xung-dot")


async def test_a_vote_confirmed_twice_is_recorded_once_and_a_role_the_api_refuses_is_refused_alike(world: World, seeded: None) -> None:
    """As plain HTML forms (no JavaScript): "check your answers" records nothing, the confirmation
    carries the form's one key (a double click records one vote), and a cell secretary's decision
    is refused by the page as by the API."""
    dossier = await prepare_certified(world, "Trịnh Văn Quang", "001095000055", ready=True)
    client = WebClient(world)
    try:
        await client.sign_in("bithu.a1")
        form = await client.form(f"/ho-so/{dossier}/nghi-quyet-chi-bo")
        typed = {**form, "meeting_on": TODAY, **{f"ballots.{member}": "agree" for member in cell_a1_members()}}
        before = await world.heads()
        check = await client.post(f"/ho-so/{dossier}/nghi-quyet-chi-bo", typed)
        assert check.status_code == 200 and "Kiểm tra trước khi ghi" in visible_text(check.text)
        assert "Tán thành 4 trên mẫu số 4; cần ít nhất 3." in visible_text(check.text)
        assert {k: v for k, v in (await world.heads()).items() if k != "gateway"} == {k: v for k, v in before.items() if k != "gateway"}
        confirmed = {**hidden_fields(check.text), "xac_nhan": "yes"}
        assert confirmed["idempotency_key"] == form["idempotency_key"]
        answers = [await client.post(f"/ho-so/{dossier}/nghi-quyet-chi-bo", confirmed) for _ in range(2)]
        assert [a.status_code for a in answers] == [303, 303], [visible_text(a.text) for a in answers]
        assert "ket-qua=adopted" in answers[0].headers["location"]
        held = [e for e in await world.store("voting").read_stream(f"voting-{dossier}") if e.event_type == "VoteHeld"]
        assert len(held) == 1

        page = await client.post(f"/ho-so/{dossier}/quyet-dinh-ket-nap", {
            **form, "decided_by": "T01", "decision_date": TODAY, "admitted": "yes", "decision_number": "1-QĐ/TU", "xac_nhan": "yes",
        })
        api = await world.command("bithu.a1", "voting", "decide_admission", {
            "dossier_id": dossier, "decided_by": "T01", "decision_date": today().isoformat(), "admitted": True, "decision_number": "1-QĐ/TU",
        })
        assert (page.status_code, api.status_code) == (403, 403), visible_text(page.text)
    finally:
        await client.close()


async def test_a_dossier_paused_for_screening_resumed_and_withdrawn(signed_in_page: Opener, world: World, seeded: None) -> None:
    """The endings are reachable from the dossier page by the roles that may do them: the commune
    pauses the dossier for screening (then only resuming is offered) and resumes it; the cell
    records the applicant's withdrawal after checking its answers."""
    dossier = await prepare_certified(world, "Hoàng Thị Oanh", "001095000056")
    commune = await signed_in_page("canbo.a")
    await commune.goto(f"{world.listener.url}/ho-so/{dossier}")
    await commune.locator(".column-side").get_by_role("link", name="Để lại sưu tra").click()
    await commune.get_by_role("button", name="Ghi vào hồ sơ").click()
    await recorded(commune, "Để lại sưu tra")
    side = commune.locator(".column-side")
    await expect(side.get_by_role("link")).to_have_text(["Tiếp tục hồ sơ sau sưu tra"])  # nothing else while paused
    await side.get_by_role("link", name="Tiếp tục hồ sơ sau sưu tra").click()
    await commune.get_by_role("button", name="Ghi vào hồ sơ").click()
    await recorded(commune, "Tiếp tục hồ sơ sau sưu tra")

    cell = await signed_in_page("bithu.a1")
    await cell.goto(f"{world.listener.url}/ho-so/{dossier}")
    await cell.locator(".column-side").get_by_role("link", name="Ghi việc người vào Đảng rút hồ sơ").click()
    await cell.get_by_role("button", name="Xem lại trước khi ghi").click()
    answer = cell.locator(".check-answers .summary-list > div", has_text="Ngày rút hồ sơ")
    await expect(answer.locator("dd")).to_have_text(TODAY)
    await cell.get_by_role("button", name="Xác nhận và ghi").click()
    await recorded(cell, "Ghi việc người vào Đảng rút hồ sơ")
    await step_shown(cell, "Đã rút hồ sơ")
    await expect(cell.locator(".column-side")).to_contain_text("hồ sơ đã kết thúc")


async def test_recognition_after_twelve_months_of_probation(signed_in_page: Opener, world: World, seeded: None) -> None:
    """Probation's papers, the recognition votes of the cell and the committee, the decision: each
    by its role, in the browser; the official date is the ceremony's plus 12 months."""
    dossier = await on_probation_long_ago(world, "Ngô Thị Phương", "001095000057")
    cell = await signed_in_page("bithu.a1")
    await cell.goto(f"{world.listener.url}/ho-so/{dossier}")
    side = cell.locator(".column-side")
    await expect(side.get_by_role("heading", level=3).first).to_have_text("Ghi hồ sơ xét công nhận đảng viên chính thức")
    reviewed = f"{today() - timedelta(days=5):%d/%m/%Y}"
    for label in ("Ngày bản tự kiểm điểm (10-KNĐ)", "Ngày nhận xét của đảng viên giúp đỡ (11-KNĐ)",
                  "Ngày ý kiến của đoàn thể, chi ủy nơi cư trú (12-KNĐ)"):
        await side.get_by_label(label).fill(reviewed)
    await side.get_by_role("button", name="Ghi vào hồ sơ").click()
    await recorded(cell, "Ghi hồ sơ xét công nhận đảng viên chính thức")
    await step_shown(cell, "Chờ công nhận chính thức")

    await expect(side.get_by_role("heading", level=3).first).to_have_text("Ghi nghị quyết chi bộ xét công nhận đảng viên chính thức")
    await expect(side.locator(".denominator")).to_contain_text("mẫu số biểu quyết là 4")
    await _vote(side, {member: "Tán thành" for member in cell_a1_members()})
    await side.get_by_role("button", name="Xem lại trước khi ghi").click()
    await side.get_by_role("button", name="Xác nhận và ghi").click()
    await expect(cell.get_by_role("status").filter(has_text="Kết quả biểu quyết")).to_contain_text("được thông qua")

    commune = await signed_in_page("canbo.a")
    await open_act(commune, world, dossier, "nghi-quyet-dang-uy-cong-nhan")
    await _vote(commune, {member: "Tán thành" for member in COMMITTEE["DU-A"]})
    await commune.get_by_role("button", name="Xem lại trước khi ghi").click()
    await commune.get_by_role("button", name="Xác nhận và ghi").click()
    await expect(commune.get_by_role("status").filter(has_text="Kết quả biểu quyết")).to_contain_text("được thông qua")

    standing = await signed_in_page("thuongvu")
    await standing.goto(f"{world.listener.url}/ho-so/{dossier}")
    side = standing.locator(".column-side")
    await expect(side.get_by_role("heading", level=3).first).to_have_text("Ghi quyết định công nhận đảng viên chính thức")
    await side.get_by_label("Số quyết định").fill("301-QĐ/TU")
    await side.get_by_role("button", name="Xem lại trước khi ghi").click()
    await side.get_by_role("button", name="Xác nhận và ghi").click()
    await recorded(standing, "Ghi quyết định công nhận đảng viên chính thức")
    await step_shown(standing, "Đảng viên chính thức")
    await expect(standing.locator(".task", has_text="Công nhận đảng viên chính thức")).to_contain_text("Đã xong")
    await screenshot(standing, "dang-vien-chinh-thuc")


async def test_a_disqualifying_finding_blocks_the_vote_until_the_competent_committee_decides(
    signed_in_page: Opener, world: World, seeded: None
) -> None:
    """The commune records a disqualifying reply (refused beside the note until it says why); the
    standing committee's decision after it is then the next act on the dossier, and lifts the block."""
    dossier = await prepare_certified(world, "Bùi Văn Sơn", "001095000058", unanswered="applicant")
    commune = await signed_in_page("canbo.a")
    await open_act(commune, world, dossier, "ket-qua-tham-tra")
    await commune.get_by_label("Người được thẩm tra").select_option("applicant")
    await commune.get_by_label("Kết quả").select_option(label="Không đủ điều kiện")
    await commune.get_by_role("button", name="Ghi vào hồ sơ").click()
    note = commune.locator(".field", has=commune.get_by_label("Nội dung"))
    await expect(note.locator(".field-error")).to_contain_text("phải ghi rõ nội dung")  # beside the field, nothing recorded
    await expect(commune.get_by_label("Kết quả")).to_have_value("disqualifying")
    await commune.get_by_label("Nội dung").fill("Vi phạm pháp luật chưa được xóa án tích.")
    await commune.get_by_role("button", name="Ghi vào hồ sơ").click()
    await recorded(commune, "Ghi kết quả thẩm tra")

    standing = await signed_in_page("thuongvu")
    for _ in range(50):  # the dossier learns of the block from verification
        await standing.goto(f"{world.listener.url}/ho-so/{dossier}")
        if await standing.locator(".column-side form").count():
            break
        await standing.wait_for_timeout(100)
    side = standing.locator(".column-side")
    await expect(side.get_by_role("heading", level=3).first).to_have_text("Quyết định sau kết quả thẩm tra không đủ điều kiện")
    await side.get_by_label("Quyết định", exact=True).select_option(label="Tiếp tục xét kết nạp")
    await side.get_by_role("button", name="Xem lại trước khi ghi").click()
    await side.get_by_role("button", name="Xác nhận và ghi").click()
    await recorded(standing, "Quyết định sau kết quả thẩm tra không đủ điều kiện")
    progress = await world.query("thuongvu", "dossiers", "dossier", {"dossier_id": dossier})
    assert progress.json()["result"]["papers"]["personal_history"]["cell_vote_blocked"] is False
