"""Giấy tờ in: the papers of a dossier (Mẫu 6, 8, 9, 13, 15, 16-KNĐ) and a unit's register of
probationary members (Mẫu 18-KNĐ), each as a print view and an editable DOCX file.

Built from the dossier's own records through the gateway's queries as the person asking (the
access table, the scope, and one recorded personal read per dossier read): a paper shows nothing
the person could not read on the dossier's page. Their addresses are their own (/giay-to/...), so
no other page's route (/ho-so/<id>/<act>) takes them.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import Response

from ketnap.platform.commands import DomainError, NotFound
from ketnap.services.dossiers.values import Step
from ketnap.services.gateway.web.page import SignedIn, Web, pages, render, signed_in, web_of
from ketnap.services.gateway.web.papers.content import DOSSIER_PAPERS, Facts, Paper, register
from ketnap.services.gateway.web.papers.docx import MEDIA_TYPE, docx_bytes, lines_of

router = pages()

ADMITTED_STEPS = (Step.AWAITING_CEREMONY, Step.PROBATION, Step.RECOGNITION, Step.OFFICIAL, Step.NAME_REMOVED)
"""The dossiers whose person was admitted: the rows of the register of probationary members."""
SEARCH_PAGE = 100


async def facts_of(web: Web, who: SignedIn, dossier_id: str) -> Facts:
    dossier = await web.ask(who, "dossiers", "dossier", dossier_id=dossier_id)
    case = await web.ask_or_none(who, "voting", "case", dossier_id=dossier_id)
    facts = Facts(dossier, case)
    units = {}
    for code in sorted(facts.codes()):
        found = await _unit(web, who, code)
        if found is not None:
            units[code] = found
    return Facts(dossier, case, units)


async def _unit(web: Web, who: SignedIn, code: str, on: date | None = None) -> dict[str, Any] | None:
    """A unit as the person may read it; None when it lies outside their subtree (a committee above
    a cell secretary: its name then comes from the cell's chain of ancestors)."""
    try:
        return await web.ask(who, "registry", "organisation", code=code, on=(on or web.today()).isoformat())
    except DomainError as refusal:  # the scope check refuses before asking; the registry answers not_found
        if refusal.code in ("forbidden", "not_found"):
            return None
        raise


def _paper(facts: Facts, slug: str) -> Paper:
    entry = DOSSIER_PAPERS.get(slug)
    if entry is None:
        raise NotFound("Không có mẫu giấy tờ này.")
    paper = entry[1](facts)
    if paper is None:
        raise NotFound(f"Hồ sơ chưa có việc để lập {entry[0]}.")
    return paper


def docx_response(paper: Paper, name: str) -> Response:
    file_name = f"{paper.file_name}-{name}.docx"
    return Response(docx_bytes(paper), media_type=MEDIA_TYPE, headers={
        "Content-Disposition": f"attachment; filename=\"{paper.file_name}.docx\"; filename*=UTF-8''{quote(file_name)}",
        "Cache-Control": "no-store",
    })


@router.get("/giay-to/ho-so/{dossier_id}")
async def dossier_papers(request: Request, dossier_id: str, who: SignedIn = Depends(signed_in)) -> Response:
    facts = await facts_of(web_of(request), who, dossier_id)
    papers = [(slug, title, build(facts) is not None) for slug, (title, build) in DOSSIER_PAPERS.items()]
    return await render(request, who, "papers.html", dossier=facts.dossier, papers=papers)


@router.get("/giay-to/ho-so/{dossier_id}/{slug}.docx")
async def dossier_paper_file(request: Request, dossier_id: str, slug: str, who: SignedIn = Depends(signed_in)) -> Response:
    facts = await facts_of(web_of(request), who, dossier_id)
    return docx_response(_paper(facts, slug), dossier_id)


@router.get("/giay-to/ho-so/{dossier_id}/{slug}")
async def dossier_paper(request: Request, dossier_id: str, slug: str, who: SignedIn = Depends(signed_in)) -> Response:
    facts = await facts_of(web_of(request), who, dossier_id)
    paper = _paper(facts, slug)
    return await render(request, who, "paper.html", paper=paper, lines=lines_of(paper), download=f"{request.url.path}.docx",
                        back=f"/giay-to/ho-so/{dossier_id}")


# --- Mẫu 18-KNĐ ------------------------------------------------------------------------------------------


async def register_of(web: Web, who: SignedIn, code: str) -> Paper:
    today = web.today()
    unit = await web.ask(who, "registry", "organisation", code=code, on=today.isoformat())
    subtree = await web.ask(who, "registry", "subtree", code=code, on=today.isoformat())
    cells = {o["code"]: o["name"] for o in subtree.get("organisations", [])}
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        found = await web.ask(who, "dossiers", "search", organisation=code, steps=[s.value for s in ADMITTED_STEPS], status="all",
                              page=page, page_size=SEARCH_PAGE, sort="name")
        rows += found.get("dossiers", [])
        if page >= int(found.get("pages") or 1):
            break
        page += 1
    dossiers = [await web.ask(who, "dossiers", "dossier", dossier_id=row["dossier_id"]) for row in rows]
    return register(unit, dossiers, cells, today)


@router.get("/giay-to/to-chuc/{code}/mau-18-knd.docx")
async def register_file(request: Request, code: str, who: SignedIn = Depends(signed_in)) -> Response:
    return docx_response(await register_of(web_of(request), who, code), code)


@router.get("/giay-to/to-chuc/{code}/mau-18-knd")
async def register_page(request: Request, code: str, who: SignedIn = Depends(signed_in)) -> Response:
    paper = await register_of(web_of(request), who, code)
    return await render(request, who, "paper.html", paper=paper, lines=lines_of(paper), download=f"{request.url.path}.docx",
                        back=f"/to-chuc/{code}")
