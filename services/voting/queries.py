"""What the voting service answers: one dossier's chain, and deadline flags for a dossier or an organisation."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from ketnap.domain.calendar import today_in_vietnam
from ketnap.platform.commands import InvalidInput, NotFound
from ketnap.platform.vietnamese import vn_date
from ketnap.services.voting.case_index import CaseIndex
from ketnap.services.voting.case_log import CaseLog
from ketnap.services.voting.commands import CaseQuery, DeadlinesQuery
from ketnap.services.voting.deadlines import deadlines_of
from ketnap.services.voting.handlers import load
from ketnap.services.voting.registry_client import RegistryClient
from ketnap.services.voting.roster import Chain


async def case(cases: CaseLog, query: CaseQuery) -> dict[str, Any]:
    found = await load(cases, query.dossier_id)
    if not found.opened:
        raise NotFound("Chưa có hồ sơ nào sẵn sàng để chi bộ xét với mã này.", dossier_id=query.dossier_id)
    return {**found.summary(), "history": await cases.history(query.dossier_id)}


async def deadlines(cases: CaseLog, pool: asyncpg.Pool, registry: RegistryClient, query: DeadlinesQuery) -> dict[str, Any]:
    """DECISION_60WD, CEREMONY_30WD, RECOG_30WD (and the recognition decision): for a dossier every
    deadline reached, kept or not; for an organisation the open ones of every chain under it."""
    if (query.dossier_id is None) == (query.organisation is None):
        raise InvalidInput("Cần đúng một trong hai: mã hồ sơ hoặc mã tổ chức.")
    on = query.on or today_in_vietnam()
    try:
        if query.dossier_id is not None:
            found = await load(cases, query.dossier_id)
            if not found.opened:
                raise NotFound("Chưa có hồ sơ nào sẵn sàng để chi bộ xét với mã này.", dossier_id=query.dossier_id)
            return {
                "dossier_id": query.dossier_id,
                "on": on.isoformat(),
                "deadlines": [d.to_json() for d in deadlines_of(found, on)],
            }
        assert query.organisation is not None
        async with pool.acquire() as conn:
            open_cases = await CaseIndex.open_cases(conn, cases.store.schema)
        chains: dict[str, Chain | None] = {}
        flagged: list[dict[str, Any]] = []
        for dossier_id, cell in open_cases:
            if cell not in chains:
                chains[cell] = await _chain_or_none(registry, cell, on)
            chain = chains[cell]
            if cell != query.organisation and (chain is None or query.organisation not in chain):
                continue
            for deadline in deadlines_of(await load(cases, dossier_id), on):
                if deadline.open:
                    flagged.append(deadline.to_json())
        flagged.sort(key=lambda d: (d["due_on"], d["dossier_id"]))
        return {"organisation": query.organisation, "on": on.isoformat(), "deadlines": flagged}
    except (ValueError, LookupError) as error:  # a year the holiday calendar or the rule sets do not cover
        raise InvalidInput(f"Không tính được thời hạn cho ngày {vn_date(on)}: {error}") from error


async def _chain_or_none(registry: RegistryClient, cell: str, on: date) -> Chain | None:
    try:
        return await registry.chain(cell, on)
    except NotFound:
        return None  # a cell that no longer exists on that day is under no organisation
