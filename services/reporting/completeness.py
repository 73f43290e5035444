"""Whether a report can be complete: in a deployment that keeps the logs of those below it, a
report counts their dossiers only as far as their logs are kept here. A lower deployment never
heard from, a cut link, or a kept log stopped at a refused event leaves part of the tree uncounted;
the report then says so (`incomplete`, with a note in Vietnamese) rather than showing a 0 that
looks like a fact.

Which units a lower deployment records is known only from its logs, so the note names the
deployments, whatever unit the report is about. What is merely on its way over a live link
(seconds behind) is not called incomplete: it is how a link works.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ketnap.platform.bus import requests
from ketnap.platform.commands import Unavailable
from ketnap.platform.service import ServiceContext

FEDERATION = "federation"
ASK_TIMEOUT_SECONDS = 3.0

NEVER_HEARD = "never_heard"
CUT = "cut"
REFUSED = "refused"
UNKNOWN = "unknown"

_WORDS = {
    NEVER_HEARD: "chưa nhận được gì từ {d} (chưa từng liên lạc được)",
    CUT: "đường nối tới {d} đang bị đứt: những gì ghi ở đó sau lần liên lạc cuối chưa được tính",
    REFUSED: "nhật ký nhận từ {d} dừng ở một sự kiện bị từ chối (có cảnh báo toàn vẹn): những gì sau đó chưa được tính",
    UNKNOWN: "không biết tình trạng đường nối tới {d} (dịch vụ liên kết không trả lời)",
}


def gaps(links: Sequence[dict[str, Any]], below: Sequence[str]) -> list[dict[str, str]]:
    """Each deployment below whose logs are not kept in full here, with why (the first reason
    found among its logs, worst first), from the federation service's `links` answer."""
    found: dict[str, str] = {}
    for link in links:
        if link.get("direction") != "up" or link["origin"] not in below:
            continue
        if link["last_contact_seconds"] is None and not link["kept_head"]:
            reason = NEVER_HEARD
        elif link["alarms"]:
            reason = REFUSED
        elif link["cut"]:
            reason = CUT
        else:
            continue
        current = found.get(link["origin"])
        if current is None or _ORDER.index(reason) < _ORDER.index(current):
            found[link["origin"]] = reason
    return [{"deployment": d, "reason": found[d]} for d in below if d in found]


_ORDER = (NEVER_HEARD, REFUSED, CUT, UNKNOWN)


def note(missing: Sequence[dict[str, str]]) -> str:
    parts = "; ".join(_WORDS[m["reason"]].format(d=m["deployment"]) for m in missing)
    return f"Báo cáo có thể chưa đầy đủ: {parts}. Các số liệu của những đơn vị do nơi đó ghi có thể thiếu."


async def incomplete(ctx: ServiceContext, below: Sequence[str]) -> dict[str, Any] | None:
    """None when every deployment below is kept in full as far as known; otherwise what is missing
    and a note to show beside the report."""
    if not below:
        return None
    try:
        reply = await requests.query(ctx.nc, FEDERATION, "links", {}, timeout=ASK_TIMEOUT_SECONDS)
        missing = gaps(reply["result"]["links"], below) if reply.get("ok") else [{"deployment": d, "reason": UNKNOWN} for d in below]
    except Unavailable:
        missing = [{"deployment": d, "reason": UNKNOWN} for d in below]
    if not missing:
        return None
    return {"deployments": missing, "note": note(missing)}
