"""Asking the reporting service for a report over NATS, as the CLI (and any other client) does."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nats

from ketnap.operations.apiclient import ApiClient
from ketnap.platform.bus import requests, subjects
from ketnap.platform.commands import Unavailable
from ketnap.services.gateway.web.vietnamese import shown_date
from ketnap.services.reporting.export import Table, exported

TIMEOUT_SECONDS = 300.0
"""A report as of a past date rebuilds its projections from the logs first: it may take a while."""


@dataclass(frozen=True)
class Answer:
    """What to show: `text` (the refusal, or a note above the tables), the tables, then `after`."""

    ok: bool
    text: str
    tables: list[Table] = field(default_factory=list)
    after: str = ""


async def ask(nats_url: str, report: str, body: dict[str, Any], *, service: str = "reporting") -> dict[str, Any]:
    """The reply of `<service>.query.<report>`: {"ok": true, "result": ...} or {"ok": false, "error": ...}."""
    nc = await nats.connect(nats_url, name="ketnap-cli", inbox_prefix=subjects.inbox_prefix(nats_url))
    try:
        return await requests.query(
            nc, service, report, body, timeout=TIMEOUT_SECONDS, unavailable_message="Dịch vụ báo cáo không chạy hoặc không trả lời kịp."
        )
    except Unavailable as error:
        return {"ok": False, "error": error.body().model_dump()}
    finally:
        await nc.close()


async def report(
    nats_url: str,
    name: str,
    body: dict[str, Any],
    *,
    csv_path: Path | None = None,
    xlsx_path: Path | None = None,
    service: str = "reporting",
    api: tuple[str, str] | None = None,
) -> Answer:
    """Ask for a report, write the files asked for, and return the text to show. With `api`
    (address, token) the report is asked of the HTTP API as that user, within their scope;
    without, of the reporting service over NATS, as the operator."""
    body = {k: v for k, v in body.items() if v is not None}
    if api:
        async with ApiClient(*api) as client:
            reply = await client.query("reporting", name, body)
    else:
        reply = await ask(nats_url, name, body, service=service)
    if not reply.get("ok"):
        error = reply.get("error") or {}
        return Answer(False, f"Lỗi ({error.get('code', '?')}): {error.get('message', 'không rõ')}")
    tables = exported(name, reply["result"], csv_path=csv_path, xlsx_path=xlsx_path)
    # The result names the day it is about, not what had been recorded by then.
    text = f"Tính theo những gì đã ghi tới hết ngày {shown_date(body['as_recorded'])}." if body.get("as_recorded") else ""
    written = [str(p) for p in (csv_path, xlsx_path) if p]
    return Answer(True, text, tables, f"Đã ghi: {', '.join(written)}" if written else "")
