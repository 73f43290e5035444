"""`ketnap alarms`: the integrity alarms of every service (ketnap.platform.alarms), asked over NATS.

The operator acts as actor `operator` with scope `*`, as `ketnap users` does: NATS's accounts
decide who may send these (the gateway's access table decides it for people on the API).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import nats

from ketnap.platform.bus import requests
from ketnap.platform.commands import Unavailable
from ketnap.services.gateway.scope import OPERATOR, WHOLE_DEPLOYMENT
from ketnap.services.gateway.web.system_words import SystemWords
from ketnap.services.gateway.web.vietnamese import shown_moment


def alarm_line(service: str, alarm: dict[str, Any]) -> str:
    """One alarm in words, as the inspection page says it (`SystemWords.alarm`: the log, the event
    and the part that refused it, never a subject or a consumer's name); the line starts with the
    service's name and the alarm's number, what `ketnap alarms acknowledge` takes."""
    seen = f"lần đầu {shown_moment(alarm['first_seen'])}, {alarm['times']} lần"
    done = (
        f"; đã xác nhận bởi {alarm['acknowledged_by']} lúc {shown_moment(alarm['acknowledged_at'])}" if alarm["acknowledged_at"] else ""
    )
    why = f", lý do: {alarm['acknowledged_reason']}" if alarm.get("acknowledged_reason") else ""
    return f"{service} #{alarm['id']}: {SystemWords({}).alarm(alarm)} ({seen}{done}{why})"


async def list_alarms(
    nats_url: str, services: Sequence[str], *, include_acknowledged: bool = False
) -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
    """Each alarm with its service, and the services that did not answer."""
    nc = await nats.connect(nats_url, name="ketnap-cli")
    found: list[tuple[str, dict[str, Any]]] = []
    silent: list[str] = []
    try:
        for service in services:
            try:
                reply = await requests.query(nc, service, "integrity_alarms", {"include_acknowledged": include_acknowledged})
            except Unavailable:
                silent.append(service)
                continue
            if not reply.get("ok"):
                silent.append(service)
                continue
            found += [(service, a) for a in reply["result"]["items"]]
    finally:
        await nc.close()
    return found, silent


async def acknowledge(nats_url: str, service: str, alarm_id: int, reason: str | None = None) -> tuple[bool, str]:
    nc = await nats.connect(nats_url, name="ketnap-cli")
    body = {"idempotency_key": str(uuid.uuid4()), "actor": OPERATOR, "scope": WHOLE_DEPLOYMENT, "alarm_id": alarm_id, "reason": reason}
    try:
        reply = await requests.command(nc, service, "acknowledge_alarm", body, timeout=15)
    except Unavailable as error:
        return False, error.message
    finally:
        await nc.close()
    if not reply.get("ok"):
        error = reply.get("error") or {}
        return False, f"Lỗi ({error.get('code', '?')}): {error.get('message', 'không rõ')}"
    return True, "Đã xác nhận: " + alarm_line(service, reply["result"])
