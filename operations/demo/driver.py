"""The scenario driver: pushes a plan through the real services by their commands only, acting as the
person who normally sends each one (`ketnap.services.gateway.access.preferred_role`), in the order the services
require, and waiting where a service's consumer must move a dossier on.

Every command's idempotency key comes from the plan, so running the driver again after a crash
continues where it stopped and doubles nothing: an act already recorded answers ok with the same
ids. Every reply must be ok, or the rule refusal the plan expects. Logs name dossiers by number and
id, never a person.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from ketnap.operations.demo.client import Actors
from ketnap.operations.demo.dossier_run import DossierRun
from ketnap.operations.demo.plan import DossierPlan, Plan
from ketnap.operations.demo.progress import Progress, ScenarioError
from ketnap.operations.demo.registry_acts import Act, organisation_acts
from ketnap.platform.commands import Unavailable
from ketnap.platform.logging import get_logger
from ketnap.services.gateway.access import Role, preferred_role

log = get_logger(__name__)

RETRIES = 8
"""A request nobody answered (a service restarting takes a few seconds), or one that lost a race on
its stream, is sent again with its key."""


class Driver:
    def __init__(
        self, plan: Plan, actors: Actors, *, progress: Callable[[Progress], None] | None = None, concurrency: int = 6,
        wait_timeout: float = 90.0, poll_seconds: float = 0.1,
    ) -> None:
        self.plan = plan
        self.tree = plan.tree
        self.actors = actors
        self.progress = progress or (lambda _p: None)
        self.concurrency = concurrency
        self.wait_timeout = wait_timeout
        self.poll_seconds = poll_seconds

    async def run(self) -> None:
        await self.load_organisation()
        await self.drive_dossiers()

    # --- sending ----------------------------------------------------------------------------------

    async def send(
        self, service: str, name: str, body: dict[str, Any], *, key: str, at: str, on: date, what: str,
        role: Role | None = None, seat: str | None = None, expect: str | None = None,
    ) -> dict[str, Any]:
        """The command, as the person who normally sends it for unit `at` on `on`."""
        role = role or preferred_role(service, name)
        client = self.actors(role, seat or self.tree.holder(self.tree.seat(role, at, on), self.plan.reference))
        reply: dict[str, Any] = {}
        for attempt in range(RETRIES):
            try:
                reply = await client.command(service, name, body, key=self.plan.key(key))
                if (reply.get("error") or {}).get("code") == "unavailable":  # said by the gateway, over HTTP
                    raise Unavailable(str(reply["error"].get("message")))
            except Unavailable:
                if attempt == RETRIES - 1:
                    raise ScenarioError(f"{what}: dịch vụ {service} không trả lời lệnh {name}.") from None
                await asyncio.sleep(1 + attempt)
                continue
            if reply.get("ok") or (reply.get("error") or {}).get("code") != "conflict" or attempt == RETRIES - 1:
                break
            await asyncio.sleep(0.2 * (attempt + 1))  # another append won the stream: judged again
        if reply.get("ok"):
            return reply
        error = reply.get("error") or {}
        if expect is not None and error.get("code") == expect:
            return reply
        raise ScenarioError(
            f"{what}: lệnh {service}.{name} bị từ chối ({error.get('code')}): {error.get('message')}"
            + (f" — kế hoạch chờ {expect}" if expect else "")
        )

    async def query(self, service: str, name: str, body: dict[str, Any], *, at: str, on: date) -> dict[str, Any]:
        role = Role.CELL_SECRETARY if self.tree.kind(at) in ("cell", "grassroots_cell") else Role.ORGANISATION_BOARD
        return await self.actors(role, self.tree.holder(self.tree.seat(role, at, on), self.plan.reference)).query(service, name, body)

    async def wait(self, what: str, check: Callable[[], Awaitable[bool]]) -> None:
        """Poll until a service's consumer has done its part; a clear error when it never does."""
        deadline = asyncio.get_running_loop().time() + self.wait_timeout
        while not await check():
            if asyncio.get_running_loop().time() > deadline:
                raise ScenarioError(f"{what}: chưa thấy sau {self.wait_timeout:.0f} giây.")
            await asyncio.sleep(self.poll_seconds)

    # --- the organisation -------------------------------------------------------------------------

    async def load_organisation(self) -> None:
        """The registry: tree, reform, authorisation, rolls, committees, localities, quotas, classes."""
        tree_acts, rolls, the_rest = organisation_acts(self.plan)
        total, done = len(tree_acts) + len(rolls) + len(the_rest), 0

        async def act(item: Act) -> None:
            nonlocal done
            await self.send("registry", item.command, item.body, key=item.key, at=item.seat, on=self.plan.reference,
                            seat=item.seat, role=item.role, what=f"sổ đăng ký ({item.key})")
            done += 1
            self.progress(Progress("registry", done, total))

        # Each unit's changes go in date order; people are independent of each other.
        for item in tree_acts:
            await act(item)
        gate = asyncio.Semaphore(self.concurrency)

        async def gated(item: Act) -> None:
            async with gate:
                await act(item)

        await asyncio.gather(*(gated(item) for item in rolls))
        for item in the_rest:
            await act(item)
        log.info("demo organisation loaded", commands=total)

    # --- the dossiers -----------------------------------------------------------------------------

    async def drive_dossiers(self) -> None:
        gate = asyncio.Semaphore(self.concurrency)
        total, done = len(self.plan.dossiers), 0

        async def one(dossier: DossierPlan) -> None:
            nonlocal done
            async with gate:
                await DossierRun(self, dossier).run()
            done += 1
            self.progress(Progress("dossiers", done, total))

        results = await asyncio.gather(*(one(d) for d in self.plan.dossiers), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise failures[0]




__all__ = ["Driver", "Progress", "ScenarioError"]
