"""The one question the registry asks the dossiers service, over NATS request/reply:
`<dossiers>.query.open_dossiers` {organisation} -> {organisation, open}: how many dossiers not
ended are attached to the unit now (DISSOLVE_EMPTY). Asked in the tree's turn (platform
turns.TREE), which the dossiers service also takes to open or move a dossier, so the answer stays
true until the dissolution is appended."""

from __future__ import annotations

from ketnap.platform.bus import requests
from ketnap.platform.commands import Unavailable
from ketnap.platform.service import ServiceContext

UNAVAILABLE = "Không liên lạc được với dịch vụ hồ sơ để biết tổ chức còn hồ sơ kết nạp đang mở không; chưa có gì được ghi, hãy thử lại sau."


async def open_dossiers_in(ctx: ServiceContext, dossiers: str, code: str) -> int:
    body = await requests.query(ctx.nc, dossiers, "open_dossiers", {"organisation": code}, unavailable_message=UNAVAILABLE)
    if not body.get("ok"):  # any refusal here is the service's trouble, not the officer's input
        raise Unavailable(UNAVAILABLE, dossiers_error=(body.get("error") or {}).get("code"))
    return int(body["result"]["open"])
