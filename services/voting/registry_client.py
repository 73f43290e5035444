"""The one place this service asks the registry: rosters, committees, the tree and admission authority, as of a date.

Queries `registry.query.roster`, `committee`, `organisation`, `competent_authority` and `established_here`
(docs/registry.md). Everything this service knows about their reply shapes is in the `_read_*`
functions, so a change of the registry's contract is a change here only.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from nats.aio.client import Client as NatsClient

from ketnap.platform.bus import requests
from ketnap.platform.commands import InvalidInput, NotFound
from ketnap.services.voting.roster import Chain, Competence, Membership, MemberStatus, Organisation, OrganisationKind, RosterMember

MAX_TREE_DEPTH = 16
"""Cell → partial → grassroots → upper → province → central is six; far more is a broken tree."""


class RegistryClient:
    def __init__(self, nc: NatsClient, service: str = "registry", timeout: float = 5.0) -> None:
        self.nc = nc
        self.service = service
        self.timeout = timeout

    async def _ask(self, query: str, request: dict[str, Any]) -> dict[str, Any]:
        body = await requests.query(
            self.nc, self.service, query, request, timeout=self.timeout,
            unavailable_message="Không liên lạc được với sổ đăng ký đảng viên; chưa có gì được ghi, hãy thử lại sau.",
        )
        if not body.get("ok"):
            error = body.get("error") or {}
            message = str(error.get("message") or "không rõ lý do")
            if error.get("code") == "not_found":
                raise NotFound(f"Sổ đăng ký: {message}", registry_query=query)
            raise InvalidInput(f"Sổ đăng ký từ chối câu hỏi: {message}", registry_query=query, registry_error=error.get("code"))
        return body.get("result") or {}

    async def roster(self, organisation: str, on: date) -> list[RosterMember]:
        """The party members of `organisation` on `on`, official and probationary, with their status."""
        result = await self._ask("roster", {"organisation": organisation, "on": on.isoformat()})
        return [_read_member(m) for m in result.get("members", [])]

    async def committee(self, organisation: str, on: date) -> list[str]:
        """The citizen ids of the committee members (cấp ủy viên) of `organisation` on `on`."""
        result = await self._ask("committee", {"organisation": organisation, "on": on.isoformat()})
        return [m["citizen_id"] if isinstance(m, dict) else str(m) for m in result.get("members", [])]

    async def chain(self, cell: str, on: date) -> Chain:
        """The cell and every ancestor on `on`, nearest first (one `organisation` query: it lists the ancestors)."""
        result = await self._ask("organisation", {"code": cell, "on": on.isoformat()})
        return _read_chain(result)

    async def established_here(self, codes: list[str]) -> set[str]:
        """Which of these units this deployment's own registry log established (the others came
        through a registry log kept from a linked deployment)."""
        result = await self._ask("established_here", {"codes": codes})
        return {str(code) for code in result.get("codes", [])}

    async def competent_authority(self, cell: str, on: date) -> Competence:
        """The organisation with admission authority over `cell` on `on`."""
        result = await self._ask("competent_authority", {"organisation": cell, "on": on.isoformat()})
        return _read_competence(result)


_STATUSES = {
    # The registry says `transferred_out` for a temporary transfer (its member stays on the home roster).
    "transferred_out": MemberStatus.TEMPORARILY_TRANSFERRED_OUT,
}


def _read_member(body: dict[str, Any]) -> RosterMember:
    status = str(body.get("status") or "active")
    return RosterMember(
        citizen_id=str(body["citizen_id"]),
        membership=Membership(body["kind"]),
        status=_STATUSES.get(status) or MemberStatus(status),
    )


def _read_chain(body: dict[str, Any]) -> Chain:
    listed = [body, *body.get("ancestors", [])]
    if len(listed) > MAX_TREE_DEPTH:
        raise InvalidInput("Cây tổ chức trong sổ đăng ký sâu bất thường.", organisation=body.get("code"))
    units = tuple(
        Organisation(
            code=str(unit["code"]),
            kind=OrganisationKind(unit["kind"]),
            parent=str(listed[i + 1]["code"]) if i + 1 < len(listed) else None,
        )
        for i, unit in enumerate(listed)
    )
    return Chain(units)


def _read_competence(body: dict[str, Any]) -> Competence:
    return Competence(organisation=str(body["organisation"]), kind=OrganisationKind(body["kind"]))
