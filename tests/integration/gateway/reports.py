"""Asking reporting through the API, and waiting until the projections have caught up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.conftest import eventually
from tests.integration.gateway.world import World


async def report(world: World, name: str, login: str = "bantochuc", **body: Any) -> dict[str, Any]:
    response = await world.query(login, "reporting", name, body)
    assert response.status_code == 200, response.text
    return response.json()["result"]


async def report_when(world: World, name: str, ready: Callable[[dict[str, Any]], bool], login: str = "bantochuc", **body: Any) -> dict[str, Any]:
    """The report once `ready` holds of it (the projections follow the logs)."""

    async def check() -> dict[str, Any] | None:
        result = await report(world, name, login, **body)
        return result if ready(result) else None

    return await eventually(check)
