"""The scope check keeps the registry's `authority` answers and the dossiers' cells, and asks again
only when the tree has moved or a dossier was transferred (services/gateway/directory.py): a
repeated request asks each service for its position alone, and a unit moved or a dossier
transferred a moment ago is judged as it is now, never on the kept answer.

Watched from outside: a plain subscription on a service's query subjects sees a copy of every
question the gateway sends it.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from ketnap.domain.calendar import today_in_vietnam
from ketnap.services.gateway.access import Role
from tests.integration.gateway.world import HELPERS, World, new_citizen_id

CELL = "CB-K"


async def add_user(world: World, login: str, role: Role, organisation: str) -> None:
    await world.operator("create_user", login=login, display_name=f"Người dùng {login}", role=role.value, organisation=organisation)
    world.tokens[login] = (await world.operator("issue_token", login=login))["result"]["token"]


class Questions:
    """The questions the gateway sends a service, by name: a plain subscription beside the
    service's queue group gets a copy of each."""

    def __init__(self, world: World, role: str) -> None:
        self.world, self.role = world, role
        self.subscription = None

    async def start(self) -> None:
        self.subscription = await self.world.nc.subscribe(f"{self.world.name(self.role)}.query.*")
        await self.world.nc.flush()

    async def since_last(self) -> Counter[str]:
        """Those sent since the last call. Each question was answered before the HTTP answer
        came, so its copy is on this connection before the reply to a flush."""
        await self.world.nc.flush()
        seen: Counter[str] = Counter()
        for _ in range(self.subscription.pending_msgs):
            seen[(await self.subscription.next_msg(timeout=30)).subject.rsplit(".", 1)[-1]] += 1
        return seen


@pytest.fixture
async def questions(world: World) -> AsyncIterator[Questions]:
    watched = Questions(world, "registry")
    await watched.start()
    yield watched
    await watched.subscription.unsubscribe()


@pytest.fixture
async def dossier_questions(world: World) -> AsyncIterator[Questions]:
    watched = Questions(world, "dossiers")
    await watched.start()
    yield watched
    await watched.subscription.unsubscribe()


async def roster(world: World, login: str):
    return await world.query(login, "registry", "roster", {"organisation": CELL, "on": today_in_vietnam().isoformat()})


async def test_a_kept_answer_is_used_until_the_tree_moves_and_never_after(world: World, questions: Questions) -> None:
    await world.registry("establish_organisation", code=CELL, name="Chi bộ K", kind="cell", parent="DU-A", effective_from="2005-01-01")
    await add_user(world, "canbo.k.a", Role.GRASSROOTS_STAFF, "DU-A")
    first = await roster(world, "canbo.k.a")
    assert first.status_code == 200, first.text
    await questions.since_last()

    again = await roster(world, "canbo.k.a")
    assert again.status_code == 200, again.text
    asked = await questions.since_last()
    assert asked["authority"] == 0, f"the kept answers were not used: {dict(asked)}"
    assert asked["tree_position"] >= 1, "the tree position is asked on every check"

    # Moved a moment ago, over NATS (not through this gateway): the next check sees it at once.
    await world.registry("move_organisation", code=CELL, parent="DU-B", effective_from=today_in_vietnam().isoformat())
    await questions.since_last()
    moved = await roster(world, "canbo.k.a")
    assert moved.status_code == 403, moved.text
    assert moved.json()["error"]["code"] == "forbidden"
    assert (await questions.since_last())["authority"] >= 1, "a moved tree is asked about again"
    assert (await roster(world, "canbo.b")).status_code == 200


async def test_a_kept_cell_is_used_until_a_dossier_is_transferred_and_never_after(world: World, dossier_questions: Questions) -> None:
    dossier_id = await world.open_dossier("bithu.a1", "CB-A1")

    async def read(login: str):
        return await world.query(login, "dossiers", "dossier", {"dossier_id": dossier_id})

    assert (await read("bithu.a1")).status_code == 200
    await dossier_questions.since_last()
    again = await read("bithu.a1")
    assert again.status_code == 200, again.text
    asked = await dossier_questions.since_last()
    assert asked["progress"] == 0, f"the kept cell was not used: {dict(asked)}"
    assert asked["cell_position"] >= 1 and asked["dossier"] == 1

    # Transferred a moment ago, over NATS (not through this gateway): the next check sees it at once.
    reply = await world.request(f"{world.name('dossiers')}.cmd.transfer", {
        "idempotency_key": str(uuid.uuid4()), "actor": "seed", "scope": "T01",
        "dossier_id": dossier_id, "on": today_in_vietnam().isoformat(), "to_cell": "CB-A2"})
    assert reply["ok"], reply
    await dossier_questions.since_last()
    moved = await read("bithu.a1")
    assert moved.status_code == 403, moved.text
    assert (await dossier_questions.since_last())["progress"] >= 1, "a transfer makes the cells asked about again"
    assert (await read("bithu.a2")).status_code == 200


async def test_a_dossier_opened_through_the_gateway_keeps_its_cell_until_it_is_transferred(world: World, dossier_questions: Questions) -> None:
    dossier_id = str(uuid.uuid4())
    opened = await world.command("bithu.a1", "dossiers", "open_dossier", {
        "dossier_id": dossier_id, "cell": "CB-A1", "citizen_id": new_citizen_id(), "full_name": "Nguyễn Thị Hoa",
        "opened_on": "2025-09-01", "helper_citizen_id": HELPERS["CB-A1"],
    })
    assert opened.status_code == 200, opened.text
    await dossier_questions.since_last()

    first = await world.query("bithu.a1", "dossiers", "dossier", {"dossier_id": dossier_id})
    assert first.status_code == 200, first.text
    asked = await dossier_questions.since_last()
    assert asked["progress"] == 0 and asked["cell_position"] >= 1, f"the cell the opening named was not kept: {dict(asked)}"

    reply = await world.request(f"{world.name('dossiers')}.cmd.transfer", {
        "idempotency_key": str(uuid.uuid4()), "actor": "seed", "scope": "T01",
        "dossier_id": dossier_id, "on": today_in_vietnam().isoformat(), "to_cell": "CB-A2"})
    assert reply["ok"], reply
    await dossier_questions.since_last()
    moved = await world.query("bithu.a1", "dossiers", "dossier", {"dossier_id": dossier_id})
    assert moved.status_code == 403, moved.text
    assert (await dossier_questions.since_last())["progress"] >= 1, "a transfer makes the cell asked about again"
