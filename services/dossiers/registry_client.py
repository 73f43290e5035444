"""The one place the dossiers service asks the registry something, over NATS request/reply.

`<registry>.query.membership` {citizen_id, organisation, on} -> {member, kind, status, since, ...}:
is this person a member of that unit (or of a cell below it) on that day, official or
probationary, with which status. `<registry>.query.tenure` {citizen_id, organisation, on} ->
{months, since}: since when they have been in that unit without a break.
`<registry>.query.unit_kind` {code, on} -> {kind, code}: what a unit is on a date. Everything this service assumes about
the replies is in `_membership` and `_tenure`, so a change of the registry's contract
(docs/registry.md) is a change here only. Nothing personal is logged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import date
from typing import Any, Self, TypeVar

from nats.aio.client import Client as NatsClient

from ketnap.platform.bus import requests
from ketnap.platform.commands import InvalidInput, Unavailable

T = TypeVar("T")

UNAVAILABLE = "Không liên lạc được với sổ đăng ký đảng viên để đối chiếu; chưa có gì được ghi, hãy thử lại sau."


@dataclass(frozen=True, slots=True)
class Membership:
    member: bool
    kind: str | None = None
    """`official` or `probationary`."""
    status: str | None = None
    """`active`, `transferred_out`, `exempted`, `suspended` (docs/registry.md)."""

    @property
    def official(self) -> bool:
        """An official member (đảng viên chính thức) whose party activity is not suspended."""
        return self.member and self.kind == "official" and self.status != "suspended"

    @property
    def official_and_present(self) -> bool:
        """An official member active in the cell, who can be assigned to help someone there."""
        return self.official and self.status in (None, "active")


@dataclass(frozen=True, slots=True)
class PastMembership:
    left_on: date | None = None
    """The day the person left the party here (name removed)."""
    transferred_out_on: date | None = None
    """The day the membership here ended by a transfer to another deployment: still a member, elsewhere."""


@dataclass(frozen=True, slots=True)
class MemberRecord:
    member: bool
    """An official or probationary member anywhere in the deployment on the day asked."""
    past: PastMembership


@dataclass(frozen=True)
class Unit:
    code: str
    """As the registry stores it: what a dossier records, whatever case it was typed in."""
    kind: str


class AtOnce:
    """Questions sent together, their answers taken one by one in the order the rules check them,
    so a command waits for the slowest answer instead of the sum of all (issue 21: opening a
    dossier asks the registry five things). The refusal is the one the first failing check gives,
    as if asked one after another; questions whose answer is no longer needed are cancelled."""

    def __init__(self) -> None:
        self._asked: list[asyncio.Future[Any]] = []

    def __call__(self, question: Awaitable[T]) -> asyncio.Future[T]:
        asked = asyncio.ensure_future(question)
        self._asked.append(asked)
        return asked

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        for asked in self._asked:
            asked.cancel()
        # Taken so that a question that failed after its answer stopped mattering is not reported as lost.
        await asyncio.gather(*self._asked, return_exceptions=True)


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


class RegistryClient:
    def __init__(self, nc: NatsClient, service: str = "registry", timeout: float = 5.0) -> None:
        self.nc = nc
        self.service = service
        self.timeout = timeout

    async def membership(self, citizen_id: str, organisation: str, on: date) -> Membership:
        body = await self._ask("membership", {"citizen_id": citizen_id, "organisation": organisation, "on": on.isoformat()})
        result = _result(body)
        return Membership(member=bool(result.get("member")), kind=result.get("kind"), status=result.get("status"))

    async def member_record(self, citizen_id: str, on: date) -> MemberRecord:
        """What the registry's member file says of a person on `on`, in one question: whether they
        are a member anywhere in the deployment then (ALREADY_MEMBER) and how a past membership here
        ended (READMIT); a person the registry has never heard of is neither."""
        body = await self._ask("member", {"citizen_id": citizen_id, "on": on.isoformat()})
        if not body.get("ok") and (body.get("error") or {}).get("code") == "not_found":
            return MemberRecord(member=False, past=PastMembership())
        result = _result(body)
        past = PastMembership(left_on=_day(result.get("left_on")), transferred_out_on=_day(result.get("transferred_out_on")))
        return MemberRecord(member=bool(result.get("member")), past=past)

    async def in_unit_since(self, citizen_id: str, organisation: str, on: date) -> date | None:
        """Since when the person has been in the unit without a break, as of `on`; None if not there."""
        body = await self._ask("tenure", {"citizen_id": citizen_id, "organisation": organisation, "on": on.isoformat()})
        since = _result(body).get("since")
        return date.fromisoformat(since) if since else None

    async def unit(self, code: str, on: date) -> Unit:
        """A unit on a date, its code as the registry stores it (typed in any case: ORG_CODE_UNIQUE)
        and its kind (`cell`, `grassroots_cell`, ...); a unit unknown then is input to fix. Asked by
        `unit_kind`, which reads nothing else (`organisation` takes twice the statements: issue 21)."""
        result = _result(await self._ask("unit_kind", {"code": code, "on": on.isoformat()}))
        return Unit(code=str(result.get("code") or code), kind=str(result.get("kind")))

    async def subtree(self, code: str, on: date) -> list[str]:
        """The unit and every unit below it on a date: where a search over a unit looks."""
        return [str(o["code"]) for o in _result(await self._ask("subtree", {"code": code, "on": on.isoformat()})).get("organisations", [])]

    async def _ask(self, query: str, request: dict[str, Any]) -> dict[str, Any]:
        return await requests.query(self.nc, self.service, query, request, timeout=self.timeout, unavailable_message=UNAVAILABLE)


def _result(body: dict[str, Any]) -> dict[str, Any]:
    """The reply's result. The registry answers an unknown person as "not a member"; its refusals
    (`not_found`: no such organisation on that date; `validation`) are the officer's input to fix."""
    if body.get("ok"):
        return body.get("result") or {}
    error = body.get("error") or {}
    if error.get("code") == "unavailable":  # its database is down: try again, not the officer's input
        raise Unavailable(str(error.get("message") or UNAVAILABLE))
    raise InvalidInput(
        "Sổ đăng ký đảng viên: " + str(error.get("message") or "không trả lời được câu hỏi đối chiếu"),
        registry_error=error.get("code"),
    )
