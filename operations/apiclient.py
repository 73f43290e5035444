"""Talking to the gateway's HTTP API as one user: the CLI, the demo and the end-to-end tests do.

Routes (docs/gateway.md): `POST /api/v1/{service}/commands/{name}` with an `Idempotency-Key`
header, and `POST /api/v1/{service}/queries/{name}`, both with `Authorization: Bearer <token>`.
Every answer is the service's typed reply (`{"ok": ..., ...}`); the HTTP status only repeats it.
"""

from __future__ import annotations

from typing import Any

import httpx

from ketnap.platform import tracing
from ketnap.platform.commands import ErrorBody

API_PREFIX = "/api/v1"
DEFAULT_TIMEOUT_SECONDS = 300.0
"""A report as of a past date rebuilds its projections first: it may take a while."""


class ApiClient:
    """One user's session with the API; share one per user, it keeps its connections open."""

    def __init__(self, base_url: str, token: str, *, timeout: float = DEFAULT_TIMEOUT_SECONDS, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            transport=transport,
        )

    async def command(self, service: str, name: str, body: dict[str, Any], *, key: str) -> dict[str, Any]:
        return await self._post(f"{API_PREFIX}/{service}/commands/{name}", body, {"Idempotency-Key": key})

    async def query(self, service: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self._post(f"{API_PREFIX}/{service}/queries/{name}", body, {})

    async def _post(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        try:
            # The caller's trace (a traced `ketnap api` command) goes on through the gateway.
            response = await self._http.post(path, json=body, headers=tracing.inject(dict(headers)))
        except httpx.TransportError as error:
            return _unavailable(f"Không kết nối được với máy chủ API ({type(error).__name__}); hãy thử lại sau.")
        try:
            answer = response.json()
        except ValueError:
            return _unavailable(f"Máy chủ API trả lời không hợp lệ (HTTP {response.status_code}).")
        if not isinstance(answer, dict) or "ok" not in answer:
            return _unavailable(f"Máy chủ API trả lời không hợp lệ (HTTP {response.status_code}).")
        return answer

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "ApiClient":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()


def _unavailable(message: str) -> dict[str, Any]:
    return {"ok": False, "error": ErrorBody(code="unavailable", message=message).model_dump()}
