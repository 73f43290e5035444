"""The registry's tree and the dossiers' cells, asked over NATS for every check (scope.Directory).

`registry.query.authority` {code, on: today} -> {chain: [code] nearest first, ended: {on} | null};
`dossiers.query.progress` {dossier_id} -> {cell, ...} (the dossier's place without its papers or
history: the smallest answer that names its cell). Everything the gateway assumes about those
replies is here. Nothing is cached: the answer is the tree and the dossier as they are now.
"""

from __future__ import annotations

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


class BusDirectory:
    def __init__(self, nc: NatsClient, registry: str, dossiers: str, today: Callable[[], date], timeout: float = 10.0) -> None:
        self.nc, self.registry, self.dossiers, self.today, self.timeout = nc, registry, dossiers, today, timeout

    async def authority(self, code: str) -> Standing:
        reply = await requests.query(
            self.nc, self.registry, "authority", {"code": code, "on": self.today().isoformat()}, timeout=self.timeout,
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
