"""Kiểm tra · toàn vẹn nhật ký: an inspector runs `audit verify` from the page. Each service checks
its own log (its `verify_log` query, `ketnap.platform.logcheck`) part by part, so every request
is short and the page shows how far each log is checked; the last part holds the log against its
JetStream stream, its newest signed head and its readers, as `ketnap audit verify` does.

The check runs in the gateway as a background task of the person who started it; the page polls
it (htmx, every second) until every log has its answer. Only that person sees it.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import Response

from ketnap.platform.commands import DomainError
from ketnap.platform.envelope import GENESIS_HASH
from ketnap.platform.logcheck import RELAY, read_beyond
from ketnap.platform.logging import get_logger
from ketnap.services.gateway.access import VERIFIED_LOGS
from ketnap.services.gateway.web.page import SignedIn, Web, error_page, pages, redirect, render, signed_in, web_of
from ketnap.services.gateway.web.pages.inspection import INSPECTION_PATH, may_check_logs
from ketnap.services.gateway.web.system_words import SERVICE_TITLES, SystemWords

router = pages()
log = get_logger(__name__)

CHECK_PATH = INSPECTION_PATH + "/nhat-ky"
PART = 100_000
"""Positions one request walks: a few seconds at most, well inside the gateway's request timeout."""
KEPT_CHECKS = 50
"""Finished checks kept for their pages; the oldest go first."""

UNSAID = "nhật ký không còn như khi được ghi"
"""What the page says of a broken log whose answer names no problem (each finding is otherwise
said by `ketnap.platform.logcheck` itself)."""


@dataclass
class LogResult:
    service: str
    title: str
    state: str = "waiting"  # waiting, running, intact, broken, silent
    head: int = 0
    checked: int = 0
    answer: dict[str, Any] = field(default_factory=dict)
    message: str = ""

    @property
    def percent(self) -> int:
        return 100 if self.state in ("intact", "broken") else (self.checked * 100 // self.head if self.head else 0)

    @property
    def problem(self) -> str:
        return self.answer.get("problem") or UNSAID


@dataclass
class Check:
    id: str
    owner: str
    started_at: datetime
    logs: list[LogResult]
    task: asyncio.Task[None] | None = None

    @property
    def finished(self) -> bool:
        return all(log.state not in ("waiting", "running") for log in self.logs)

    @property
    def broken(self) -> list[LogResult]:
        return [log for log in self.logs if log.state == "broken"]


_checks: dict[str, Check] = {}


async def _check_log(web: Web, who: SignedIn, result: LogResult) -> None:
    result.state = "running"
    after, previous_hash = 0, GENESIS_HASH
    try:
        while True:
            answer = await web.ask(who, result.service, "verify_log", after=after, previous_hash=previous_hash, limit=PART)
            result.head, result.checked = answer["head"], answer["checked_to"]
            if answer["done"]:
                break
            after, previous_hash = answer["checked_to"], answer["hash"]
    except DomainError as refusal:
        result.state, result.message = "silent", refusal.message
        return
    if answer.get("reader") and answer.get("broken_at") is not None:
        # The service names the reader by its consumer's name; the inspector reads the service's title.
        reader = "bộ chuyển tiếp" if answer["reader"] == RELAY else SystemWords(web.gateway.names).part(answer["reader"])
        answer = {**answer, "problem": read_beyond(answer["broken_at"], answer["read_to"], reader)}
    result.answer = answer
    result.state = "intact" if answer["broken_at"] is None and answer["signature_valid"] else "broken"


async def _run(web: Web, who: SignedIn, check: Check) -> None:
    for result in check.logs:
        try:
            await _check_log(web, who, result)
        except Exception as error:  # noqa: BLE001 - one log's failure is shown on it; the others are still checked
            log.error("log check failed", service=result.service, error=type(error).__name__)
            result.state, result.message = "silent", "Lỗi ngoài ý muốn khi kiểm nhật ký này."


@router.post(CHECK_PATH)
async def start(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    web = web_of(request)
    if not may_check_logs(web, who):
        return await error_page(request, 403, "Vai trò của bạn không được kiểm tra toàn vẹn nhật ký.", who)
    check = Check(str(uuid.uuid4()), who.principal.login, datetime.now(UTC), [LogResult(s, SERVICE_TITLES[s]) for s in VERIFIED_LOGS])
    check.task = asyncio.create_task(_run(web, who, check), name=f"log-check-{check.id}")
    _checks[check.id] = check
    for old in [c for c in _checks.values() if c.finished][:-KEPT_CHECKS]:
        _checks.pop(old.id, None)
    return redirect(request, f"{CHECK_PATH}/{check.id}")


@router.get(CHECK_PATH + "/{check_id}")
async def progress(request: Request, check_id: str, who: SignedIn = Depends(signed_in)) -> Response:
    check = _checks.get(check_id)
    if check is None or check.owner != who.principal.login:
        return await error_page(request, 404, "Lần kiểm tra này không có, hoặc không phải do bạn chạy: hãy chạy lại từ trang Kiểm tra.", who)
    return await render(request, who, "inspection_verify.html", check=check)
