"""What `ketnap status` reports: servers, services answering, log heads, relay lag, dead letters
unacknowledged integrity alarms, cut links and links that could not be read in time; the deployment
is healthy only without any of them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import nats
import nats.errors

from ketnap.operations.terminal import rendered, rich_table
from ketnap.platform import alarms
from ketnap.platform.bus import subjects
from ketnap.platform.bus.relay import relay_state
from ketnap.platform.federation.links import on_the_way
from ketnap.platform.service import Service
from ketnap.platform.settings import Settings
from ketnap.services.reporting.export import Table, Value


@dataclass
class ServiceStatus:
    name: str
    answering: bool
    head: int | None = None
    relay_lag: int | None = None
    dead_letters: int = 0
    alarms: int = 0
    """Integrity alarms not acknowledged yet (`ketnap alarms list`)."""


@dataclass
class StatusReport:
    nats_url: str
    nats_up: bool
    database_up: bool
    services: list[ServiceStatus] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    """Each log kept from a linked deployment (the federation service's `links` query)."""
    links_unknown: str | None = None
    """Why the links of a linked deployment could not be read (no answer within LINKS_TIMEOUT_SECONDS):
    unknown links are shown as such and make the deployment unhealthy, never an empty section."""

    @property
    def healthy(self) -> bool:
        return (
            self.nats_up and self.database_up and all(s.answering for s in self.services)
            and not any(s.dead_letters or s.alarms for s in self.services)
            and not any(link["alarms"] or link.get("cut") for link in self.links)
            and self.links_unknown is None
        )


async def collect_status(
    nats_url: str, database_url: str, settings: Settings | None = None, services: Sequence[Service] | None = None
) -> StatusReport:
    """The state of `services` (default: the deployment's, `all_services`)."""
    from ketnap.services import all_services

    services = all_services(settings) if services is None else services
    report = StatusReport(nats_url, nats_up=False, database_up=False)
    nc = None
    try:
        nc = await nats.connect(
            nats_url, connect_timeout=2, max_reconnect_attempts=0, allow_reconnect=False, inbox_prefix=subjects.inbox_prefix(nats_url)
        )
        report.nats_up = True
    except Exception:  # noqa: BLE001 - reported as down
        pass
    conn = None
    try:
        conn = await asyncpg.connect(database_url, timeout=3)
        report.database_up = True
    except Exception:  # noqa: BLE001
        pass
    try:
        for name, owns_log in [(s.name, s.owns_log) for s in services]:
            status = ServiceStatus(name, answering=False)
            if nc is not None:
                try:
                    await nc.request(subjects.status_subject(name), b"{}", timeout=1.5)
                    status.answering = True
                except Exception:  # noqa: BLE001 - not answering
                    pass
            if conn is not None:
                if owns_log:
                    state = await relay_state(conn, name)
                    status.head, status.relay_lag = state.head, state.lag
                status.dead_letters = await conn.fetchval(f"SELECT count(*) FROM {name}.dead_letters")
                status.alarms = await alarms.unacknowledged(conn, name)
            report.services.append(status)
        if any(s.name == "federation" for s in services):
            # A linked deployment (only it runs the federation service) must show its links.
            report.links, report.links_unknown = await _links(nc)
    finally:
        if nc is not None:
            await nc.close()
        if conn is not None:
            await conn.close()
    return report


LINKS_TIMEOUT_SECONDS = 3.0
"""How long `ketnap status` waits for the federation service's `links` answer."""


async def _links(nc: nats.aio.client.Client | None) -> tuple[list[dict[str, Any]], str | None]:
    """The links, or why they are unknown (said in the status, never shown as no links)."""
    if nc is None:
        return [], "không kết nối được NATS"
    try:
        reply = await nc.request(subjects.query_subject("federation", "links"), b"{}", timeout=LINKS_TIMEOUT_SECONDS)
    except nats.errors.NoRespondersError:
        return [], "dịch vụ federation không chạy"
    except (nats.errors.TimeoutError, TimeoutError):
        return [], f"dịch vụ federation không trả lời trong {LINKS_TIMEOUT_SECONDS:g} giây"
    body = json.loads(reply.data)
    if not body.get("ok"):
        return [], "dịch vụ federation báo lỗi: " + str((body.get("error") or {}).get("message", "không rõ"))
    return body["result"]["links"], None


def _link_row(link: dict[str, Any]) -> list[Value]:
    lag = on_the_way(link)
    contact = "-" if link["last_contact_seconds"] is None else f"{link['last_contact_seconds']} s"
    if link.get("cut"):
        contact = f"ĐỨT {contact}"
    direction = "từ dưới" if link["direction"] == "up" else "từ trên"
    return [link["kept_log"], link["origin"], direction, link["kept_head"], lag, contact, link["alarms"]]


def _cut_line(link: dict[str, Any]) -> str:
    """What is known to be missing over a cut link: what was already on the way at the last contact,
    and everything the origin recorded since (its count is unknown until the link returns)."""
    known = on_the_way(link) or 0
    # A log passed up by a lower deployment: the cut may be further down, between it and the origin.
    between = link.get("cut_between")
    where = f"giữa {between[0]} và {between[1]}" if between else f"với {link['origin']}"
    return (
        f"Liên kết {where} bị ĐỨT: không liên lạc được {link['last_contact_seconds']} s; {link['kept_log']} mới giữ"
        f" đến vị trí {link['kept_head']}, còn thiếu {known} sự kiện đã biết là đang trên đường, cùng mọi sự kiện"
        f" {link['origin']} ghi sau lần liên lạc cuối."
    )


def render_status(report: StatusReport, width: int | None = None) -> str:
    """The status as text that fits `width` (default: the terminal's): long cells wrap."""
    yes_no = {True: "đang chạy", False: "KHÔNG chạy"}
    servers = Table("", ["máy chủ", "địa chỉ", "trạng thái"], [
        ["NATS", report.nats_url, yes_no[report.nats_up]], ["PostgreSQL", None, yes_no[report.database_up]],
    ])
    services = Table("", ["dịch vụ", "trả lời", "đầu nhật ký", "relay trễ", "thư chết", "cảnh báo"], [
        [s.name, "có" if s.answering else "KHÔNG", s.head, s.relay_lag, s.dead_letters, s.alarms] for s in report.services
    ])
    shown: list[object] = [rich_table(servers, empty="-"), "", rich_table(services, empty="-")]
    if report.links_unknown:
        shown += ["", f"Liên kết với các đơn vị triển khai khác: KHÔNG BIẾT ({report.links_unknown})."]
    if report.links:
        links = Table("", ["nhật ký giữ", "từ", "chiều", "đã giữ", "còn chờ", "liên lạc", "cảnh báo"],
                      [_link_row(link) for link in report.links])
        if any(link.get("source_error") for link in report.links):  # the column only when a link has one
            links.headers.append("lỗi")
            for row, link in zip(links.rows, report.links, strict=True):
                row.append(link.get("source_error"))
        shown += ["", "Liên kết với các đơn vị triển khai khác:", rich_table(links, empty="-")]
        if cut := [link for link in report.links if link.get("cut")]:
            shown += ["", *(_cut_line(link) for link in cut)]
    if any(s.dead_letters for s in report.services):
        shown += ["", "Có thư chết: sự kiện không áp dụng được, xem bảng dead_letters của dịch vụ."]
    if any(s.alarms for s in report.services):
        shown += ["", "Có cảnh báo toàn vẹn chưa xác nhận: xem `ketnap alarms list`, xác nhận bằng `ketnap alarms acknowledge`."]
    return rendered(*shown, width=width)
