"""The registry's tree and the dossiers' cells, as they are now, for every check (scope.Directory).

`registry.query.authority` {code, on: today} -> {chain: [code] nearest first, ended: {on} | null};
`dossiers.query.progress` {dossier_id} -> {cell, ...} (the dossier's place without its papers or
history: the smallest answer that names its cell); `registry.query.tree_position` and
`dossiers.query.cell_position` {} -> {positions: {log: position}} (where the tree last changed,
where a dossier last changed cell). Everything the gateway assumes about those replies is here.

Both answers are kept (`Kept`), each with the position asked before it, and used again only while
the service says that position has not moved since: each check asks the registry and the dossiers
service one small question each (shared by the checks that start before it is sent) instead of
one query per unit it names, which walks the tree in SQL, and one per dossier, which replays it
(issue 21). A change in the tree or a transfer committed before a check starts is therefore
always seen by it, whoever made it (this gateway, the operator over NATS, a linked deployment's
log), as when everything was asked every time.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import date
from typing import Any, Generic, TypeVar

from nats.aio.client import Client as NatsClient

from ketnap.platform.asking import AskedAfter
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


Position = dict[str, int]
"""Per log, the position of its latest event of the kind an answer depends on (tree changes in
the registry's logs, transfers in the dossiers log)."""

_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V")


class Kept(Generic[_K, _V]):
    """Answers by question, each with the position asked before it: used while that is the position now."""

    MAX_ENTRIES = 10_000

    def __init__(self) -> None:
        self._kept: dict[_K, tuple[Position, _V]] = {}
        self.used = 0
        """How many answers were given from here."""

    def current(self, key: _K, position: Position) -> _V | None:
        kept = self._kept.get(key)
        if kept is None or kept[0] != position:
            return None
        self.used += 1
        return kept[1]

    def keep(self, key: _K, position: Position, answer: _V) -> None:
        if len(self._kept) >= self.MAX_ENTRIES:
            self._kept.clear()
        self._kept[key] = (position, answer)

    def position_of(self, key: _K) -> Position | None:
        kept = self._kept.get(key)
        return kept[0] if kept is not None else None

    def forget(self, key: _K) -> None:
        self._kept.pop(key, None)


def fresh_position(nc: NatsClient, service: str, name: str, unavailable: str, timeout: float) -> AskedAfter[Position]:
    """A service's `<service>.query.<name>` -> {positions: {log: position}}, asked after each call:
    calls made before the question leaves share it (their checks started before it, so its answer
    is current for each of them); a call made after asks anew."""

    async def ask() -> Position:
        reply = await requests.query(nc, service, name, {}, timeout=timeout, unavailable_message=unavailable)
        return {str(log): int(position) for log, position in result_of(reply)["positions"].items()}

    return AskedAfter(ask)


TREE_UNAVAILABLE = "Không liên lạc được với sổ đăng ký tổ chức để kiểm tra phạm vi; chưa có gì được ghi, hãy thử lại sau."
DOSSIERS_UNAVAILABLE = "Không liên lạc được với dịch vụ hồ sơ để kiểm tra phạm vi; chưa có gì được ghi, hãy thử lại sau."


class BusDirectory:
    def __init__(self, nc: NatsClient, registry: str, dossiers: str, today: Callable[[], date], timeout: float = 10.0) -> None:
        self.nc, self.registry, self.dossiers, self.today, self.timeout = nc, registry, dossiers, today, timeout
        self.standings: Kept[tuple[str, date], Standing] = Kept()
        self.cells: Kept[str, str] = Kept()
        self.unopened: Kept[str, None] = Kept()
        """Dossiers found not there yet, each with the position asked before: see `opened`."""
        self.tree_position = fresh_position(nc, registry, "tree_position", TREE_UNAVAILABLE, timeout)
        self.cell_position = fresh_position(nc, dossiers, "cell_position", DOSSIERS_UNAVAILABLE, timeout)

    async def authority(self, code: str) -> Standing:
        today = self.today()
        position = await self.tree_position()
        if (standing := self.standings.current((code, today), position)) is not None:
            return standing
        standing = await self._ask_authority(code, today)
        self.standings.keep((code, today), position, standing)  # the position before the question: a change meanwhile is asked again
        return standing

    async def dossier_cell(self, dossier_id: str) -> str | None:
        position = await self.cell_position()
        if (cell := self.cells.current(dossier_id, position)) is not None:
            return cell
        cell = await self._ask_cell(dossier_id)
        if cell is not None:  # a dossier not there yet may be opened any moment: asked until it is
            self.cells.keep(dossier_id, position, cell)
        if cell is None:
            self.unopened.keep(dossier_id, position, None)
        else:
            self.unopened.forget(dossier_id)
        return cell

    def opened(self, dossier_id: str, cell: str) -> None:
        """The dossier this gateway's check found not there yet has just been opened in `cell`: its
        cell is kept with the position asked before that check, which any transfer of it (committed
        after its opening, so after that question) moves on. Its next command then asks only the
        position, not its cell (`dossiers.query.progress`, a replay of its stream; issue 21)."""
        if (position := self.unopened.position_of(dossier_id)) is not None:
            self.unopened.forget(dossier_id)
            self.cells.keep(dossier_id, position, cell)

    async def _ask_authority(self, code: str, today: date) -> Standing:
        reply = await requests.query(
            self.nc, self.registry, "authority", {"code": code, "on": today.isoformat()}, timeout=self.timeout,
            unavailable_message=TREE_UNAVAILABLE,
        )
        error = reply.get("error") or {}
        if error.get("code") == "not_found":
            details = {"organisation": code, **(error.get("details") or {})}  # `close`: codes that look alike
            raise NotFound(str(error.get("message") or f"Không có tổ chức {code}."), **details)
        found = result_of(reply)
        ended = (found.get("ended") or {}).get("on")
        return Standing(tuple(str(c) for c in found["chain"]), date.fromisoformat(ended) if ended else None, str(found.get("code") or code))

    async def _ask_cell(self, dossier_id: str) -> str | None:
        reply = await requests.query(
            self.nc, self.dossiers, "progress", {"dossier_id": dossier_id}, timeout=self.timeout, unavailable_message=DOSSIERS_UNAVAILABLE,
        )
        if not reply.get("ok") and (reply.get("error") or {}).get("code") == "not_found":
            return None
        return str(result_of(reply)["cell"])
