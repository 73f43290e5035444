"""What a personal read leaves on the gateway's log (domain.md §6): one event per answer that held
personal data, written before the answer leaves (api.record_read).

A query about one dossier (`dossier_id`) is a `PersonalHistoryRead` on that dossier's stream; a
search (`dossiers.search`), or a report whose rows name applicants, is one `PersonalDataSearched`
on the reader's stream naming the dossiers it showed, not one record per row, and never what was typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from ketnap.platform.events import DomainEvent
from ketnap.services.gateway import events as ev
from ketnap.services.gateway.scope import Principal, named_dossiers


def names_shown(reply: Mapping[str, Any]) -> list[str]:
    """The dossiers whose applicant an answer names: rows of its lists with a `full_name` (a search's
    dossiers, a report's rows for a role that may read names)."""
    result = reply.get("result")
    if not isinstance(result, Mapping):
        return []
    return [
        str(row["dossier_id"])
        for rows in result.values() if isinstance(rows, list)
        for row in rows if isinstance(row, Mapping) and "full_name" in row and "dossier_id" in row
    ]


def what_was_read(
    user: Principal, what: str, query: BaseModel, cells: Mapping[str, str], reply: Mapping[str, Any]
) -> tuple[str, DomainEvent]:
    """The stream and the event that record `user` reading the answer `reply` to `query` (`what` = `<service>.<query>`)."""
    dossiers = named_dossiers({name: getattr(query, name) for name in type(query).model_fields})
    if dossiers:
        dossier_id = dossiers[0]
        read = ev.PersonalHistoryRead(
            dossier_id=dossier_id, cell=cells[dossier_id], reader=user.login, reader_organisation=user.organisation, role=user.role,
            read=what,
        )
        return ev.reads_stream(dossier_id), read
    shown = names_shown(reply)
    searched = ev.PersonalDataSearched(
        reader=user.login, reader_organisation=user.organisation, role=user.role, read=what,
        organisation=str(getattr(query, "organisation", "") or user.organisation), dossier_ids=shown,
        by_name=bool(getattr(query, "name", None)), by_citizen_id=bool(getattr(query, "citizen_id", None)),
    )
    return ev.searches_stream(user.login), searched
