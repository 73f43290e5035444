"""The dossier page as a user review read it (issue 19): who recorded each act is named as a person
(or the system, for a service's own records), a verification request names the organisation it
went to, and a dossier waiting for its decision fits a phone's width."""

from __future__ import annotations

import uuid

import pytest
from playwright.async_api import Page

from ketnap.platform.bus import subjects
from tests.integration.gateway.world import HELPERS, World, new_citizen_id
from tests.web.acting import open_act, seed_staff
from tests.web.conftest import PHONE, Opener, screenshot
from tests.web.people import _eventually, prepare_certified, to_decision

WIDE = """[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().width) + ' ' + (e.textContent || '').slice(0, 60)).slice(0, 15)"""
"""What sticks out past a phone's width, for a failing test to say."""
pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture(scope="module")
async def seeded(world: World) -> None:
    await seed_staff(world)


@pytest.fixture(scope="module")
async def awaiting_decision(world: World, seeded: None) -> str:
    dossier = await prepare_certified(world, "Lò Thị Mai", "001095000071", ready=True)
    await _eventually(world, "bithu.a1", "voting", "case", dossier)  # the vote's case opens after the dossier is ready
    await to_decision(world, dossier)
    return dossier


async def _section(page: Page, heading: str) -> str:
    return await page.locator("section", has=page.get_by_role("heading", name=heading)).inner_text()


async def test_the_history_names_who_recorded_each_act_never_a_login(signed_in_page: Opener, world: World, awaiting_decision: str) -> None:
    page = await signed_in_page("thuongvu")
    await open_act(page, world, awaiting_decision)
    history = await _section(page, "Diễn biến hồ sơ")
    assert "Người dùng bithu.a1" in history, history  # the cell secretary's papers, by the display name
    # What the dossier recorded by itself after the cell's and the committee's votes: the event's actor
    # is the dossiers service's process manager, not the person who recorded the vote.
    assert "Hệ thống (tự động)" in history, history
    for internal in ("\tbithu.a1", "\tcanbo.a", "process_manager", "-service"):
        assert internal not in history, (internal, history)


async def test_an_act_the_demo_loader_recorded_names_the_role_it_acted_as(signed_in_page: Opener, world: World, seeded: None) -> None:
    """`ketnap demo` records its acts over the bus as `demo.<role>`, a name no user has."""
    reply = await world.request(subjects.command_subject(world.name("dossiers"), "open_dossier"), {
        "idempotency_key": str(uuid.uuid4()), "actor": "demo.cell_secretary", "scope": "CB-A1", "cell": "CB-A1",
        "citizen_id": new_citizen_id(), "full_name": "Hà Văn Mẫu", "opened_on": "2025-09-01", "helper_citizen_id": HELPERS["CB-A1"],
    })
    assert reply["ok"], reply
    page = await signed_in_page("bithu.a1")
    await open_act(page, world, reply["result"]["dossier_id"])
    history = await _section(page, "Diễn biến hồ sơ")
    assert "Bí thư chi bộ" in history and "demo." not in history, history


async def test_a_verification_request_names_the_organisation_it_was_sent_to(signed_in_page: Opener, world: World, awaiting_decision: str) -> None:
    page = await signed_in_page("thuongvu")
    await open_act(page, world, awaiting_decision)
    verification = await _section(page, "Thẩm tra lý lịch")
    assert "Gửi Tổ chức DU-A ngày" in verification, verification
    assert "Gửi DU-A" not in verification, verification
    # The cell's secretary reads the registry for the cell alone: a unit above it is shown by its code.
    secretary = await signed_in_page("bithu.a1")
    await open_act(secretary, world, awaiting_decision)
    assert "Gửi DU-A ngày" in await _section(secretary, "Thẩm tra lý lịch")


@pytest.mark.parametrize("login", ["thuongvu", "canbo.a"])
async def test_a_dossier_waiting_for_its_decision_fits_a_phone(signed_in_page: Opener, world: World, awaiting_decision: str, login: str) -> None:
    page = await signed_in_page(login)
    await page.set_viewport_size(PHONE)
    await open_act(page, world, awaiting_decision)
    wider = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wider <= 0, (login, wider, await page.evaluate(WIDE))
    await screenshot(page, f"ho-so-cho-quyet-dinh-dien-thoai-{login}")
