"""Each role may send exactly what ketnap.services.gateway.access allows: everyone else gets 403 before anything is
read from the body or sent to a service."""

from __future__ import annotations

import asyncio

from ketnap.services.gateway.access import Role
from tests.conftest import eventually
from tests.integration.gateway.world import BY_ROLE_AT_TOP, COMMANDS, QUERIES, World


def _refused_for_role(response) -> bool:  # noqa: ANN001
    body = response.json()
    return response.status_code == 403 and body["error"]["code"] == "forbidden" and "allowed" in body["error"]["details"]


async def test_every_role_is_allowed_and_refused_as_the_table_says(world: World) -> None:
    before = await world.heads()
    for role, login in BY_ROLE_AT_TOP.items():
        # An empty body: an allowed role gets past the role check, to the body's validation.
        commands = await asyncio.gather(*(world.command(login, s, n, {}) for s, n in COMMANDS))
        for ((service, name), access), response in zip(COMMANDS.items(), commands, strict=True):
            assert _refused_for_role(response) == (role not in access.roles), (role, service, name, response.text)
            if role in access.roles:
                assert response.status_code == 422, (role, service, name, response.text)
            else:
                assert "không được thực hiện" in response.json()["error"]["message"]
        queries = await asyncio.gather(*(world.query(login, s, n, {}) for s, n in QUERIES))
        for ((service, name), access), response in zip(QUERIES.items(), queries, strict=True):
            assert _refused_for_role(response) == (role not in access.roles), (role, service, name, response.text)
    # An empty search is a valid one (the user's own subtree): each answered is one personal read.
    searched = sum(1 for role in BY_ROLE_AT_TOP if role in QUERIES[("dossiers", "search")].roles)
    after = await world.heads()
    assert {**after, "gateway": after["gateway"] - searched} == before, "a refused or invalid request wrote something"


async def test_an_inspector_reads_the_audit_history_but_writes_nothing(world: World) -> None:
    dossier_id = await world.open_dossier("bithu.a1", "CB-A1")

    async def history_shown():  # noqa: ANN202 - reporting's audit timeline follows the logs a moment later
        response = await world.query("kiemtra", "reporting", "audit_history", {"dossier_id": dossier_id})
        return response if response.status_code == 200 else None

    history = await eventually(history_shown)
    assert history.json()["ok"], history.text
    before = await world.heads()
    for (service, name) in COMMANDS:
        response = await world.command("kiemtra", service, name, {"dossier_id": dossier_id})
        assert response.status_code == 403 and response.json()["error"]["message"].startswith("Vai trò Ủy ban kiểm tra"), response.text
    assert await world.heads() == before


async def test_only_the_administrator_manages_users(world: World) -> None:
    for role, login in BY_ROLE_AT_TOP.items():
        response = await world.command(login, "gateway", "disable_user", {"login": "bithu.a2"})
        assert (response.status_code == 403) == (role is not Role.ADMINISTRATOR), (role, response.text)
    assert (await world.query("bithu.a2", "dossiers", "dossier", {"dossier_id": "x"})).status_code == 401
