"""Paging a long list on a page (the dossiers found, a unit's roster): the page asked in the address
(`?trang=3`) and the addresses of the other pages, keeping every other choice; the template's
`pagination` macro (`_macros.html`) draws the links from the answer's `paged` numbers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from ketnap.platform.paging import MAX_PAGE

PAGE_PARAM = "trang"


def asked_page(params: Mapping[str, str]) -> int:
    """The page in the address; the first for anything that is not a page number."""
    typed = params.get(PAGE_PARAM, "")
    return int(typed) if typed.isdigit() and 0 < int(typed) <= MAX_PAGE else 1


def addresses(path: str, params: Mapping[str, str]) -> Callable[..., str]:
    """`address(trang=2, ...)`: this page's address with those choices changed, the others kept."""
    kept = {k: v for k, v in params.items() if k != PAGE_PARAM and v}

    def address(**changes: Any) -> str:
        merged = {**kept, **{k: str(v) for k, v in changes.items() if v is not None}}
        return f"{path}?" + urlencode({k: v for k, v in merged.items() if v != ""})

    return address
