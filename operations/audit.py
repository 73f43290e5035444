"""`ketnap audit verify`: check each log of this database against its own hash chain and against
the copies kept outside its database (its JetStream stream, its signed heads), and name the first
wrong position; how a log is checked is `ketnap.platform.logcheck`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncpg
import nats
from nats.js import JetStreamContext

from ketnap.platform import alarms
from ketnap.platform.anchors import latest_anchor, load_public_key
from ketnap.platform.bus import subjects
from ketnap.platform.logcheck import verify_chain, wait_for_relay
from ketnap.platform.settings import Settings

if TYPE_CHECKING:
    from ketnap.operations.terminal import Steps


async def logs_in_database(conn: asyncpg.Connection) -> list[str]:
    """Every schema holding an event log, so `audit verify` checks logs it was not told about too."""
    rows = await conn.fetch(
        "SELECT table_schema FROM information_schema.tables WHERE table_name = 'events' "
        "AND table_schema NOT LIKE '%\\_shadow' ORDER BY table_schema"
    )
    return [r["table_schema"] for r in rows]


def kept_logs_of(logs: list[str], deployment: str) -> list[str]:
    """The logs kept here from `deployment` (`ketnap.platform.federation.links` names them)."""
    from ketnap.platform.federation.links import DOWNWARD, UPWARD, kept_log_name

    names = {kept_log_name(service, deployment) for service in (*UPWARD, *DOWNWARD)}
    return [name for name in logs if name in names]


def origin_of(log: str, deployment: str) -> tuple[str, str]:
    """(deployment, service) whose signed heads vouch for `log`: this deployment's own service,
    or the origin of a kept log (deployment ids have hyphens where kept log names have `_`)."""
    from ketnap.platform.federation.links import DOWNWARD, UPWARD, kept_log_name

    for service in (*UPWARD, *DOWNWARD):
        prefix = kept_log_name(service, "")
        if log.startswith(prefix) and log != prefix:
            return log[len(prefix):].replace("_", "-"), service
    return deployment, log


async def linked_alarms(conn: asyncpg.Connection, deployment: str) -> list[str]:
    """What the federation service refused from `deployment` and no operator acknowledged yet,
    as sentences for an operator (its integrity alarms on the logs kept from there)."""
    if not await conn.fetchval("SELECT to_regclass('federation.integrity_alarms') IS NOT NULL"):
        return []
    from ketnap.platform.federation.links import DOWNWARD, UPWARD, kept_log_name

    kept = {kept_log_name(service, deployment) for service in (*UPWARD, *DOWNWARD)}
    return [a.describe() for a in await alarms.listed(conn, "federation") if a.source in kept]


class NothingToVerify(Exception):
    """The logs asked for are not here (the message says which there are, in Vietnamese)."""


@dataclass(frozen=True)
class Line:
    text: str
    intact: bool = True


async def verify_logs(
    settings: Settings, nats_url: str, database_url: str, *, service: str | None = None, deployment: str | None = None,
    wait: float = 5.0, steps: Steps | None = None,
) -> list[Line]:
    """Every log of this database (or the one named, or those kept from `deployment`), each
    against its chain, its stream and its newest signed head; one line per log and per alarm."""
    conn = await asyncpg.connect(database_url)
    nc = None
    lines: list[Line] = []
    try:
        names = await logs_in_database(conn)
        if service:
            if service not in names:
                raise NothingToVerify(f"Không có nhật ký của dịch vụ '{service}'. Có: {', '.join(names)}")
            names = [service]
        if deployment:
            names = kept_logs_of(names, deployment)
            if not names:
                raise NothingToVerify(f"Đơn vị triển khai này không giữ nhật ký nào của '{deployment}'.")
        try:
            nc = await nats.connect(
                nats_url, name="ketnap-audit", connect_timeout=3, max_reconnect_attempts=0, inbox_prefix=subjects.inbox_prefix(nats_url)
            )
        except Exception as error:  # noqa: BLE001 - the chain is still checked; the line says what was not
            lines.append(Line(f"Không kết nối được NATS ({type(error).__name__}): không so được với luồng và đầu đã ký.", False))
        js = nc.jetstream() if nc else None
        if steps is not None:
            steps.total(len(names))
        for name in names:
            if steps is not None:
                steps(f"Kiểm tra {name}")
            lines.extend(await _verify_one(conn, js, settings, name, wait, database_url))
        if deployment:
            for alarm in await linked_alarms(conn, deployment):
                lines.append(Line(f"CẢNH BÁO: {alarm}", False))
    finally:
        if nc is not None:
            await nc.close()
        await conn.close()
    return lines


async def _verify_one(
    conn: asyncpg.Connection, js: JetStreamContext | None, settings: Settings, name: str, wait: float, database_url: str
) -> list[Line]:
    lines: list[Line] = []
    anchor = None
    if js is not None:
        origin, origin_service = origin_of(name, settings.deployment_id)
        found = await latest_anchor(js, origin, origin_service)
        if found is not None:
            key_file = settings.public_key_file(origin, origin_service)
            key = load_public_key(key_file)
            if key is None:
                lines.append(Line(f"{name}: không có khóa công khai {key_file} để kiểm chữ ký đầu nhật ký; bỏ qua đầu đã ký."))
            elif not found.verified_by(key):
                lines.append(Line(f"{name}: HỎNG: chữ ký đầu nhật ký (vị trí {found.position}) không hợp lệ.", False))
            else:
                anchor = found
        await wait_for_relay(conn, name, wait)
    report = await verify_chain(conn, name, js=js, deployment=settings.deployment_id, anchor=anchor, database_url=database_url)
    copies = f"; {report.compared_with_stream} vị trí khớp luồng"
    if report.anchor is not None:
        copies += f", khớp đầu đã ký tại vị trí {report.anchor.position}"
    if report.intact:
        lines.append(Line(f"{name}: nguyên vẹn, {report.events} sự kiện (vị trí 1..{report.head}){copies}"))
    else:
        lines.append(Line(
            f"{name}: HỎNG tại vị trí {report.broken_at}: {report.problem} (đã kiểm {report.events} sự kiện trước đó)", False
        ))
    return lines
