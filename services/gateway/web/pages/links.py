"""Liên kết: each log this deployment keeps from a linked deployment (the one above, those below),
from the federation service's `links` query, the same state `ketnap status` prints: how far the copy
here goes, what is known to be on the way, when the origin was last heard from, whether the link is
cut and what is then known to be missing, and how many messages were refused (integrity alarms).

Read through `Web.ask`, so the access table decides who sees it (administrator, inspector). A
deployment linked to none runs no federation service: the page says so.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from fastapi.responses import Response

from ketnap.platform.commands import DomainError, Forbidden
from ketnap.platform.federation.links import on_the_way
from ketnap.services.gateway.access import QUERIES
from ketnap.services.gateway.web.page import SignedIn, Web, pages, render, signed_in, web_of
from ketnap.services.gateway.web.system_words import SystemWords

router = pages()

LINKS_PATH = "/kiem-tra/lien-ket"
LINKS = ("federation", "links")


def _linked(web: Web) -> bool:
    """Linked deployments route the federation service's query (`access.LINKED_ONLY`)."""
    return ("query", *LINKS) in web.endpoints


def may_read_links(web: Web, who: SignedIn) -> bool:
    """The deployment is linked and the person's role may read its links."""
    return _linked(web) and web.may(who, "query", *LINKS)


def link_row(link: dict[str, Any], words: SystemWords) -> dict[str, Any]:
    """One kept log as the page shows it: in words, with what is known to be missing when cut."""
    return {
        **link,
        "log_title": words.log(link["kept_log"]),
        "direction_title": "đơn vị cấp dưới" if link["direction"] == "up" else "đơn vị cấp trên",
        "on_the_way": on_the_way(link),
        "heard": link["last_contact_seconds"] is not None,
    }


@router.get(LINKS_PATH)
async def links_page(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    web = web_of(request)
    if who.principal.role not in QUERIES[LINKS].roles:  # the access table's word, linked or not
        raise Forbidden("Vai trò của bạn không được xem liên kết với các đơn vị triển khai khác.")
    if not _linked(web):
        return await render(request, who, "links.html", linked=False, links=[], silent=False)
    try:
        result = await web.ask(who, *LINKS)
    except DomainError as refusal:
        if refusal.code != "unavailable":
            raise
        return await render(request, who, "links.html", linked=True, links=[], silent=True)
    words = SystemWords(web.gateway.names)
    rows = [link_row(link, words) for link in result.get("links", [])]
    return await render(request, who, "links.html", linked=True, links=rows, silent=False, cut=cut_by_origin(rows))


def cut_by_origin(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The cut links, one warning per deployment: all its logs come over the same line."""
    found: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row.get("cut"):
            found.setdefault(row["origin"], []).append(row)
    return found
