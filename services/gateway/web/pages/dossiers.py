"""Danh sách hồ sơ: find a dossier by name (without accents too) or CCCD, filter by cell, step,
year opened and overdue, sort, page through; "Mở hồ sơ" opens one. One `dossiers.search` per
page shown, recorded by the gateway as one personal read."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import Response

from ketnap.services.dossiers.values import Step
from ketnap.services.gateway.access import QUERIES
from ketnap.services.gateway.web.options import cells
from ketnap.services.gateway.web.page import MenuItem, SignedIn, pages, render, signed_in, web_of
from ketnap.services.gateway.web.paging import addresses, asked_page
from ketnap.services.gateway.web.vietnamese import STEP_TITLES

router = pages()
MENU = [MenuItem("Hồ sơ", "/ho-so", roles=QUERIES[("dossiers", "search")].roles, order=20)]

PAGE_SIZE = 20
SORTS = {"ten": "name", "ngay-vao": "opened_on", "buoc": "step", "han": "due_on"}
STATUSES = {"dang-xu-ly": "open", "da-ket-thuc": "closed", "tat-ca": "all"}
STEP_SLUGS = {step.value.replace("_", "-"): step for step in Step}


@router.get("/ho-so")
async def dossiers_page(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    web = web_of(request)
    params = request.query_params
    # A name pasted from another program may carry control characters (a NUL the database refuses,
    # a tab): each is a space, as the person sees it.
    typed = " ".join("".join(c if c.isprintable() else " " for c in params.get("q", "")).split())
    cell_choices = await cells(web, who)
    chosen_cell = params.get("chi-bo", "")
    step = STEP_SLUGS.get(params.get("buoc", ""))
    year = params.get("nam", "").strip()
    overdue = params.get("qua-han") == "co"
    status = params.get("trang-thai", "dang-xu-ly") if params.get("trang-thai") in STATUSES else "dang-xu-ly"
    sort = params.get("sap-xep", "ngay-vao") if params.get("sap-xep") in SORTS else "ngay-vao"
    descending = params.get("chieu") == "giam"
    page = asked_page(params)

    problems: dict[str, str] = {}
    query: dict[str, Any] = {
        "organisation": chosen_cell if chosen_cell in cell_choices else who.principal.organisation,
        "status": STATUSES[status], "sort": SORTS[sort], "descending": descending, "page": page, "page_size": PAGE_SIZE,
    }
    digits = re.sub(r"[\s.]", "", typed)
    if digits.isdigit():
        if len(digits) == 12:
            query["citizen_id"] = digits
        else:
            problems["q"] = "Số CCCD gồm đúng 12 chữ số; để tìm theo tên, hãy gõ họ tên."
    elif typed:
        query["name"] = typed[:100]
    if step:
        query["steps"] = [step.value]
    if year:
        if year.isdigit() and 1900 <= int(year) <= 2200:
            query["year"] = int(year)
        else:
            problems["nam"] = "Năm viết bằng 4 chữ số, ví dụ 2025."
    if overdue:
        query["overdue"] = True

    found = None if problems else await web.ask(who, "dossiers", "search", **query)
    return await render(
        request, who, "dossiers.html", found=found, typed=typed, problems=problems, cell_choices=cell_choices, chosen_cell=chosen_cell,
        step=step.value.replace("_", "-") if step else "", steps={s.value.replace("_", "-"): STEP_TITLES[s] for s in Step},
        year=year, overdue=overdue, status=status, sort=sort, descending=descending, address=addresses("/ho-so", params),
        may_open=web.may(who, "command", "dossiers", "open_dossier"),
    )
