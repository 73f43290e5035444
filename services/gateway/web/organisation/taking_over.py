"""Taking over dossiers begun on paper from the import page (tiếp nhận hồ sơ giấy): the file's
dossier rows judged ("Kiểm tra") or taken over ("Nhập") as the person signed in, by the gateway's
job (`ketnap.services.gateway.paper_jobs`, the one the HTTP API starts too): scope, progress, and
the job being the person's own are said there.
"""

from __future__ import annotations

from ketnap.services.gateway.paper_jobs import JOBS, Job, has_dossier_rows, has_registry_rows
from ketnap.services.gateway.paper_jobs import job_of as _job_of
from ketnap.services.gateway.paper_jobs import start as _start
from ketnap.services.gateway.web.organisation.spreadsheet import Upload
from ketnap.services.gateway.web.page import Web
from ketnap.services.gateway.web.session import SignedIn

__all__ = ["JOBS", "Job", "has_dossier_rows", "has_registry_rows", "job_of", "start"]


def job_of(job_id: str, who: SignedIn) -> Job | None:
    return _job_of(job_id, who.principal.login)


def start(web: Web, who: SignedIn, unit: str, file_name: str, file: Upload, *, writing: bool) -> Job:
    return _start(web.gateway, who.principal, web.endpoint("command", "dossiers", "take_over_dossier"), unit, file_name,
                  file.raw(), writing=writing, file=file)
