"""What `ketnap status` reports: servers, services answering, log heads, relay lag, dead letters."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg
import nats

from shared.bus import subjects
from shared.bus.relay import relay_state


@dataclass
class ServiceStatus:
    name: str
    answering: bool
    head: int | None = None
    relay_lag: int | None = None
    dead_letters: int = 0


@dataclass
class StatusReport:
    nats_url: str
    nats_up: bool
    database_up: bool
    services: list[ServiceStatus] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return self.nats_up and self.database_up and all(s.answering for s in self.services)


async def collect_status(nats_url: str, database_url: str) -> StatusReport:
    from services import all_services

    services = all_services()
    report = StatusReport(nats_url, nats_up=False, database_up=False)
    nc = None
    try:
        nc = await nats.connect(nats_url, connect_timeout=2, max_reconnect_attempts=0, allow_reconnect=False)
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
        for service in services:
            status = ServiceStatus(service.name, answering=False)
            if nc is not None:
                try:
                    await nc.request(subjects.status_subject(service.name), b"{}", timeout=1.5)
                    status.answering = True
                except Exception:  # noqa: BLE001 - not answering
                    pass
            if conn is not None:
                if service.owns_log:
                    state = await relay_state(conn, service.name)
                    status.head, status.relay_lag = state.head, state.lag
                status.dead_letters = await conn.fetchval(f"SELECT count(*) FROM {service.name}.dead_letters")
            report.services.append(status)
    finally:
        if nc is not None:
            await nc.close()
        if conn is not None:
            await conn.close()
    return report


def render_status(report: StatusReport) -> str:
    yes_no = {True: "đang chạy", False: "KHÔNG chạy"}
    lines = [
        f"NATS        {report.nats_url:<40} {yes_no[report.nats_up]}",
        f"PostgreSQL  {'':<40} {yes_no[report.database_up]}",
        "",
        f"{'dịch vụ':<14}{'trả lời':<10}{'đầu nhật ký':>12}{'relay trễ':>11}{'thư chết':>10}",
    ]
    for s in report.services:
        head = "-" if s.head is None else str(s.head)
        lag = "-" if s.relay_lag is None else str(s.relay_lag)
        lines.append(f"{s.name:<14}{'có' if s.answering else 'KHÔNG':<10}{head:>12}{lag:>11}{s.dead_letters:>10}")
    return "\n".join(lines)
