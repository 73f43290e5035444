"""The one place this service asks the registry something: is this person a party member on a date.

`registry.query.membership` {citizen_id, organisation, on} is the registry's query (docs/registry.md).
Everything this service knows about its reply shape is in `Membership.from_reply`, so a change
of the registry's contract is a change here only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from nats.aio.client import Client as NatsClient

from ketnap.platform.bus import requests
from ketnap.platform.commands import InvalidInput, NotFound, Unavailable


@dataclass(frozen=True)
class Membership:
    """What the registry says of one person in one organisation on one date."""

    member: bool
    kind: str | None = None
    """`official` or `probationary` when a member."""
    status: str | None = None
    """`active`, `transferred_out`, `exempted`, `suspended` when the registry says."""
    organisation_known: bool = True
    """False when the registry has no such organisation on that date."""
    organisation: str | None = None
    """The organisation asked, as the registry stores its code (it may have been typed in another case)."""

    @classmethod
    def from_reply(cls, body: dict[str, Any]) -> "Membership":
        """Read the registry's typed reply (`ketnap.platform.commands.Reply` shape)."""
        if not body.get("ok"):
            error = body.get("error") or {}
            if error.get("code") == "not_found":
                # docs/registry.md: the organisation does not exist on that date.
                return cls(member=False, organisation_known=False)
            if error.get("code") == "unavailable":  # its database is down: try again, not the officer's input
                raise Unavailable(str(error.get("message") or "Sổ đăng ký tạm thời không trả lời; hãy thử lại sau."))
            raise InvalidInput(
                "Sổ đăng ký đảng viên từ chối câu hỏi đối chiếu: " + str(error.get("message") or "không rõ lý do"),
                registry_error=error.get("code"),
            )
        result = body.get("result") or {}
        return cls(
            member=bool(result.get("member")), kind=result.get("kind"), status=result.get("status"), organisation=result.get("organisation"),
        )


class RegistryClient:
    def __init__(self, nc: NatsClient, service: str = "registry", timeout: float = 5.0) -> None:
        self.nc = nc
        self.service = service
        self.timeout = timeout

    async def membership(self, citizen_id: str, organisation: str, on: date) -> Membership:
        request = {"citizen_id": citizen_id, "organisation": organisation, "on": on.isoformat()}
        body = await requests.query(
            self.nc, self.service, "membership", request, timeout=self.timeout,
            unavailable_message="Không liên lạc được với sổ đăng ký đảng viên để đối chiếu; chưa có gì được ghi, hãy thử lại sau.",
        )
        return Membership.from_reply(body)

    async def subtree(self, code: str, on: date) -> list[str]:
        """The unit and every unit below it on `on` (a cell: itself)."""
        body = await requests.query(
            self.nc, self.service, "subtree", {"code": code, "on": on.isoformat()}, timeout=self.timeout,
            unavailable_message="Không liên lạc được với sổ đăng ký tổ chức; hãy thử lại sau.",
        )
        if not body.get("ok"):
            error = body.get("error") or {}
            if error.get("code") == "not_found":
                raise NotFound(str(error.get("message") or f"Không có tổ chức {code}."), organisation=code)
            raise Unavailable("Sổ đăng ký tổ chức không trả lời được; hãy thử lại sau.", registry_error=error.get("code"))
        return [str(unit["code"]) for unit in (body.get("result") or {}).get("organisations") or []]
