"""One way to page a long list (the dossiers found, a unit's roster): the page asked and the numbers
a page shows of where it is (trang 3/12), the same in every answer."""

from __future__ import annotations

from typing import Any

MAX_PAGE = 100_000
"""The last page a query may ask for: a bookmarked page past the end is answered empty, with the count."""


def paged(total: int, page: int, page_size: int) -> dict[str, Any]:
    """What an answer says of its page: how many in all, which page of how many, and its size."""
    return {"total": total, "page": page, "page_size": page_size, "pages": max(1, -(-total // page_size))}
