"""The registry's tree and the dossiers' cells, as they are now, for every check (scope.Directory).

`registry.query.authority` {code, on: today} -> {chain: [code] nearest first, ended: {on} | null};
`registry.query.tree_position` {} -> {positions: {log: position}} (where the tree last changed);
`dossiers.query.progress` {dossier_id} -> {cell, ...} (the dossier's place without its papers or
history: the smallest answer that names its cell). Everything the gateway assumes about those
replies is here.

The registry's `authority` answers are kept (`KeptStandings`), each with the tree position asked
before it, and used again only while the registry says the tree has not moved since: each check
asks the registry one small question (`tree_position`, shared by the checks that start before it
is sent) instead of one query per unit it names, which walks the tree in SQL (issue 21). A
change in the tree committed before a check starts is therefore always seen by it, as when
every unit was asked about. The dossier's cell is asked every time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from typing import Any

from nats.aio.client import Client as NatsClient

from ketnap.platform.bus import requests
from ketnap.platform.commands import DomainError, NotFound
from ketnap.services.gateway.scope import Standing


class Refused(DomainError):
    """Another service's refusal, passed on to the user as it came (code, message, details)."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(str(error.get("message") or "Yêu cầu bị từ chối."), **(error.get("details") or {}))
        self.code = str(error.get("code") or "internal")


def result_of(reply: dict[str, Any]) -> dict[str, Any]:
    if reply.get("ok"):
        return reply.get("result") or {}
    raise Refused(reply.get("error") or {})


TreePosition = dict[str, int]
"""Per log the registry's tree is built from, the position of its latest tree event."""


class KeptStandings:
    """`authority` answers by unit and day, each with the tree position asked before the answer."""

    MAX_ENTRIES = 10_000

    def __init__(self) -> None:
        self._kept: dict[tuple[str, date], tuple[TreePosition, Standing]] = {}
        self.used = 0
        """How many answers were given from here (tests prove the path is taken)."""

    def current(self, code: str, on: date, position: TreePosition) -> Standing | None:
        kept = self._kept.get((code, on))
        if kept is None or kept[0] != position:
            return None
        self.used += 1
        return kept[1]

    def keep(self, code: str, on: date, position: TreePosition, standing: Standing) -> None:
        if len(self._kept) >= self.MAX_ENTRIES:
            self._kept.clear()
        self._kept[(code, on)] = (position, standing)


class BusDirectory:
    def __init__(
        self, nc: NatsClient, registry: str, dossiers: str, today: Callable[[], date], timeout: float = 10.0,
        kept: KeptStandings | None = None,
    ) -> None:
        self.nc, self.registry, self.dossiers, self.today, self.timeout = nc, registry, dossiers, today, timeout
        self.kept = kept or KeptStandings()
        self._unsent: asyncio.Future[TreePosition] | None = None

    def _tree_position(self) -> asyncio.Future[TreePosition]:
        """The registry's tree position, asked after this call: calls made before the question
        leaves share it (their checks started before it, so its answer is current for each)."""
        if self._unsent is None:
            self._unsent = asyncio.get_running_loop().create_future()
            asyncio.ensure_future(self._ask_tree_position(self._unsent))
        return self._unsent

    async def _ask_tree_position(self, answer: asyncio.Future[TreePosition]) -> None:
        self._unsent = None  # from here on the question is on its way: a later check asks anew
        try:
            reply = await requests.query(
                self.nc, self.registry, "tree_position", {}, timeout=self.timeout,
                unavailable_message="Không liên lạc được với sổ đăng ký tổ chức để kiểm tra phạm vi; chưa có gì được ghi, hãy thử lại sau.",
            )
            positions = result_of(reply)["positions"]
            answer.set_result({str(log): int(position) for log, position in positions.items()})
        except Exception as error:  # noqa: BLE001 - every check waiting on it fails as its own question would
            answer.set_exception(error)

    async def authority(self, code: str) -> Standing:
        today = self.today()
        position = await asyncio.shield(self._tree_position())
        if (standing := self.kept.current(code, today, position)) is not None:
            return standing
        standing = await self._ask_authority(code, today)
        self.kept.keep(code, today, position, standing)  # the position before the question: a change meanwhile is asked again
        return standing

    async def _ask_authority(self, code: str, today: date) -> Standing:
        reply = await requests.query(
            self.nc, self.registry, "authority", {"code": code, "on": today.isoformat()}, timeout=self.timeout,
            unavailable_message="Không liên lạc được với sổ đăng ký tổ chức để kiểm tra phạm vi; chưa có gì được ghi, hãy thử lại sau.",
        )
        error = reply.get("error") or {}
        if error.get("code") == "not_found":
            details = {"organisation": code, **(error.get("details") or {})}  # `close`: codes that look alike
            raise NotFound(str(error.get("message") or f"Không có tổ chức {code}."), **details)
        found = result_of(reply)
        ended = (found.get("ended") or {}).get("on")
        return Standing(tuple(str(c) for c in found["chain"]), date.fromisoformat(ended) if ended else None)

    async def dossier_cell(self, dossier_id: str) -> str | None:
        reply = await requests.query(
            self.nc, self.dossiers, "progress", {"dossier_id": dossier_id}, timeout=self.timeout,
            unavailable_message="Không liên lạc được với dịch vụ hồ sơ để kiểm tra phạm vi; chưa có gì được ghi, hãy thử lại sau.",
        )
        if not reply.get("ok") and (reply.get("error") or {}).get("code") == "not_found":
            return None
        return str(result_of(reply)["cell"])
