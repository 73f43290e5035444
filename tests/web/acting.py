"""What the browser tests of a dossier's acts share: the people they sign in as, the page of an
act, and what the person sees once an act is recorded."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.integration.gateway.webclient import PASSWORD
from tests.integration.gateway.world import World
from tests.web.people import seed_people, seed_voters

STAFF = ("bithu.a1", "canbo.a", "thuongvu")
"""The cell's secretary, the commune's staff and the province's standing committee."""


async def seed_staff(world: World) -> None:
    """The staff signed in with a password, the cell's introducers and voters, DU-A's committee."""
    for login in STAFF:
        await world.set_password(login, PASSWORD)
    await seed_people(world)
    await seed_voters(world)


async def open_act(page: Page, world: World, dossier: str, slug: str = "") -> None:
    """The page of one act of the dossier (`slug`), or without one the dossier's own page."""
    await page.goto(f"{world.listener.url}/ho-so/{dossier}" + (f"/{slug}" if slug else ""))


async def recorded(page: Page, title: str) -> None:
    """The banner of the dossier page shown after an act is recorded."""
    await expect(page.get_by_role("status").first).to_contain_text(f"Đã ghi: {title}")


async def step_shown(page: Page, words: str) -> None:
    """The dossier's step (or its ending) as its summary shows it."""
    await expect(page.locator(".summary-list").first).to_contain_text(words)
