"""Jobs that take over dossiers begun on paper (tiếp nhận hồ sơ giấy), one code path for the web's
import page (`web/organisation/taking_over.py`) and the HTTP API (`paper_api.py`): a file's dossier
rows judged, or taken over, by `paper_dossiers.take_over_file` as the person who started the job.

Scope: a row is taken over only when the person may send `take_over_dossier` for its cell (the
access table's role and scope, `scope.authorise`), so a board takes over the dossiers of the cells
of its own subtree only; a row outside is that row's problem and the file is not written. The
row's later acts are then sent for that cell, as the operator's tool sends them: a decision made
on paper by the committee above the board is part of the dossier taken over, not an act of the
board's own.

A file of many rows takes minutes (each row is judged by three services, then written step by
step), longer than a request may wait: the work runs as a job of the gateway's process, and the
page or the API client asks for its progress until it is done. A job is its starter's own: another
login is told there is none. Jobs live in the process (a restart forgets them; importing the file
again continues where the writing stopped, paper_dossiers.py).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ketnap.domain.spreadsheet import Problem, column_header, headers_of, records_of
from ketnap.platform.commands import DomainError
from ketnap.platform.logging import get_logger
from ketnap.services.gateway.api import Gateway, validated, values_of
from ketnap.services.gateway.catalogue import Endpoint
from ketnap.services.gateway.paper_dossiers import PaperDossierRow, TakeOverResult, road, take_over_file
from ketnap.services.gateway.scope import Principal, authorise, refuse_role

log = get_logger(__name__)

DOSSIER_RECORDS = frozenset({"dossier", "relative"})
KEPT_JOBS = 50
"""Finished jobs kept for their readers (the oldest forgotten first): a page reloaded shows the result."""
STAGE_WORDS = {"judged": "Đã xét", "written": "Đã ghi"}


@dataclass
class Job:
    id: str
    login: str
    unit: str
    writing: bool
    file_name: str
    file: Any
    """What the starter sent the file as (the web keeps it in the page to write it after checking)."""
    raw: bytes = field(repr=False, default=b"")
    stage: str = "judged"
    done: int = 0
    total: int = 0
    rows: int = 0
    finished: bool = False
    problems: list[dict[str, Any]] = field(default_factory=list)
    dossiers: list[str] = field(default_factory=list)
    task: asyncio.Task[None] | None = field(repr=False, default=None)

    @property
    def progress(self) -> str:
        return f"{STAGE_WORDS[self.stage]} {self.done}/{self.total} hồ sơ"

    def state(self) -> dict[str, Any]:
        """The job as the API answers it: how far, and every problem (line, column, reason, code)."""
        judged = self.total if self.stage == "written" else self.done
        return {
            "job_id": self.id, "organisation": self.unit, "file_name": self.file_name, "dry_run": not self.writing,
            "finished": self.finished, "rows": self.rows, "total": self.total, "judged": judged,
            "written": self.done if self.stage == "written" else 0, "progress": self.progress,
            "problems": self.problems, "dossiers": self.dossiers,
        }


JOBS: dict[str, Job] = {}


def has_dossier_rows(raw: bytes, name: str) -> bool:
    records, _ = records_of(raw, name)
    return any(record.record in DOSSIER_RECORDS for record in records)


def has_registry_rows(raw: bytes, name: str) -> bool:
    records, problems = records_of(raw, name)
    return bool(problems) or any(record.record not in DOSSIER_RECORDS for record in records)


def job_of(job_id: str, login: str) -> Job | None:
    job = JOBS.get(job_id)
    return job if job is not None and job.login == login else None


def start(
    gateway: Gateway, principal: Principal, take_over: Endpoint, unit: str, file_name: str, raw: bytes, *,
    writing: bool, file: Any = None,
) -> Job:
    """The job started as `principal` (`take_over`: the access table's `dossiers.take_over_dossier`)."""
    job = Job(str(uuid.uuid4()), principal.login, unit, writing, file_name, file, raw)
    for old in [j for j in JOBS.values() if j.finished][: max(0, len(JOBS) - KEPT_JOBS + 1)]:
        JOBS.pop(old.id, None)
    JOBS[job.id] = job
    job.task = asyncio.get_running_loop().create_task(_run(gateway, principal, take_over, job))
    return job


async def _run(gateway: Gateway, principal: Principal, take_over: Endpoint, job: Job) -> None:
    def progress(stage: str, done: int, total: int) -> None:
        job.stage, job.done, job.total = stage, done, total

    headers = headers_of(records_of(job.raw, job.file_name)[0])
    try:
        result, job.rows = await take_over_file(
            gateway.nc, job.raw, job.file_name, actor=principal.login, scope=None, dry_run=not job.writing,
            services=gateway.names, progress=progress, permit=permitted(gateway, principal, take_over),
        )
    except Exception as error:  # the reader is told so; the log says what, never the file's content
        log.error("paper dossiers not taken over", error=type(error).__name__, writing=job.writing)
        result = TakeOverResult(problems=[Problem(0, "", "Lỗi hệ thống khi xét hồ sơ; chưa ghi gì thêm. Hãy nhập lại tệp sau.")])
    job.problems = [_shown(problem, headers) for problem in result.problems]
    job.dossiers = list(result.dossiers.values())
    job.finished = True
    log.info("paper dossiers judged" if not job.writing else "paper dossiers written", rows=job.rows,
             problems=len(job.problems), written=len(job.dossiers))


def _shown(problem: Problem, headers: dict[str, str]) -> dict[str, Any]:
    """A problem as a person reads it: the column as the spreadsheet heads it, the rule code apart."""
    return {
        "line": problem.line, "column": column_header(problem.field, headers) if problem.field else "",
        "reason": problem.reason, "code": problem.code.removeprefix("rule:"),
    }


def permitted(gateway: Gateway, principal: Principal, endpoint: Endpoint) -> Callable[[int, PaperDossierRow], Awaitable[Problem | None]]:
    """The access table's answer for `take_over_dossier` of the row's cell, as the API would give it."""

    async def permit(line: int, row: PaperDossierRow) -> Problem | None:
        opening = road(row)[0]
        try:
            if refusal := refuse_role(endpoint.access, principal.role, endpoint.what):
                raise refusal
            message = {**_plain(opening.body), "idempotency_key": str(uuid.uuid4()), "actor": principal.login,
                       "scope": principal.organisation}
            await authorise(principal, endpoint.access, values_of(validated(endpoint.model, message)), gateway.directory,
                            opens_dossier=True)
        except DomainError as refusal:
            return Problem(line, "organisation", refusal.message, refusal.code)
        return None

    return permit


def _plain(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in body.items()}
