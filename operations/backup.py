"""`ketnap backup` and `ketnap restore`: a province's logs kept somewhere else, and put back.

A backup is a folder: `database.sql`, one `pg_dump` of every service's schema (data only, one
snapshot, so the logs agree with each other and with the checkpoints of the consumers that read
them), and `manifest.json` with the signed heads of the logs (the newest anchors) taken just
before the dump, so each vouches for a prefix of what was dumped.

A restore goes into an empty deployment (bootstrapped, no event in any log), then checks every
chain against itself and against the signed heads, rebuilds every projection from the logs, and
lets the relays publish the logs again to this deployment's streams. A backup whose chains do not
verify is refused and what it wrote is taken out again: the deployment stays empty.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import asyncpg
import nats

from ketnap.operations.audit import origin_of
from ketnap.operations.embedded import postgres_client
from ketnap.platform import projections
from ketnap.platform.anchors import Anchor, ensure_anchor_stream, latest_anchor, load_public_key
from ketnap.platform.bus import subjects
from ketnap.platform.eventstore.pool import create_pool
from ketnap.platform.eventstore.schema import checked_identifier
from ketnap.platform.logcheck import verify_chain
from ketnap.platform.service import Service
from ketnap.platform.settings import Settings

FORMAT = 1
DUMP = "database.sql"
MANIFEST = "manifest.json"

Step = Callable[[str], None]
"""Called before each step of a backup or restore with what it is about to do (Vietnamese)."""


def _quiet(_: str) -> None:
    pass


class BackupRefused(Exception):
    """The backup or the restore cannot go on; the message says why, in Vietnamese."""


@dataclass(frozen=True)
class Manifest:
    deployment: str
    created_at: datetime
    schemas: tuple[str, ...]
    """Every schema in the dump, the logs among them."""
    logs: tuple[str, ...]
    anchors: dict[str, Anchor]
    """log -> its newest signed head when the backup was taken (a log never signed has none)."""

    def to_json(self) -> str:
        return json.dumps({
            "format": FORMAT, "deployment": self.deployment, "created_at": self.created_at.isoformat(),
            "schemas": list(self.schemas), "logs": list(self.logs),
            "anchors": {log: json.loads(anchor.to_json()) for log, anchor in self.anchors.items()},
        }, indent=2, ensure_ascii=False)

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        if not path.exists() or not (folder / DUMP).exists():
            raise BackupRefused(f"{folder} không phải bản sao lưu của Ketnap (thiếu {MANIFEST} hoặc {DUMP}).")
        body = json.loads(path.read_text())
        if body.get("format") != FORMAT:
            raise BackupRefused(f"Bản sao lưu dạng {body.get('format')}; phiên bản này chỉ đọc dạng {FORMAT}.")
        return cls(
            body["deployment"], datetime.fromisoformat(body["created_at"]),
            tuple(checked_identifier(s) for s in body["schemas"]), tuple(checked_identifier(s) for s in body["logs"]),
            {log: Anchor.from_json(json.dumps(a).encode()) for log, a in body["anchors"].items()},
        )


def schemas_of(services: list[Service]) -> list[str]:
    """The schemas of a deployment's services: their own, and the logs kept from other deployments."""
    return list(dict.fromkeys([*(s.name for s in services), *(k for s in services for k in s.kept_logs)]))


async def _present(conn: asyncpg.Connection, schemas: list[str]) -> tuple[list[str], list[str]]:
    """(schemas that exist, those of them holding an event log)."""
    found = {r["nspname"] for r in await conn.fetch("SELECT nspname FROM pg_namespace WHERE nspname = any($1::text[])", schemas)}
    logs = {r["table_schema"] for r in await conn.fetch(
        "SELECT table_schema FROM information_schema.tables WHERE table_name = 'events' AND table_schema = any($1::text[])", schemas
    )}
    return [s for s in schemas if s in found], [s for s in schemas if s in logs]


def _run(tool: str, args: list[str], database_url: str) -> None:
    """Run a PostgreSQL client on `database_url`; its password goes through the environment, not
    the command line, where any user of the machine could read it."""
    parts = urlsplit(database_url)
    env = dict(os.environ)
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", "@", 1))
    command = [str(postgres_client(tool)), *args, f"--dbname={urlunsplit(parts)}"]
    result = subprocess.run(command, check=False, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise BackupRefused(f"{tool} thất bại (mã {result.returncode}): {result.stderr.strip()[-2000:]}")


async def backup(database_url: str, nats_url: str, deployment: str, schemas: list[str], folder: Path, step: Step = _quiet) -> Manifest:
    """Write a backup of `schemas` into `folder` (new or empty)."""
    if folder.exists() and any(folder.iterdir()):
        raise BackupRefused(f"Thư mục {folder} đã có dữ liệu; chọn một thư mục mới để không ghi đè bản sao lưu cũ.")
    conn = await asyncpg.connect(database_url)
    try:
        schemas, logs = await _present(conn, schemas)
    finally:
        await conn.close()
    if not logs:
        raise BackupRefused("Không có nhật ký nào để sao lưu: hệ thống chưa được khởi tạo?")
    anchors: dict[str, Anchor] = {}
    nc = await nats.connect(nats_url, name="ketnap-backup", connect_timeout=3, max_reconnect_attempts=0,
                            inbox_prefix=subjects.inbox_prefix(nats_url))
    try:
        js = nc.jetstream()
        for log in logs:
            step(f"Đầu nhật ký đã ký: {log}")
            # Read before the dump: each signed head then names a position the dump holds.
            origin, service = origin_of(log, deployment)
            if (anchor := await latest_anchor(js, origin, service)) is not None:
                anchors[log] = anchor
    finally:
        await nc.close()
    folder.mkdir(parents=True, exist_ok=True)
    step(f"pg_dump: {len(schemas)} schema")
    _run("pg_dump", [
        "--data-only", "--format=plain", "--no-owner", "--no-privileges", f"--file={folder / DUMP}",
        # The relays' checkpoints say what was published to *these* streams; a restored deployment
        # publishes its logs again from the start.
        *(f"--exclude-table-data={s}.relay_checkpoint" for s in schemas),
        *(f"--schema={s}" for s in schemas),
    ], database_url)
    manifest = Manifest(deployment, datetime.now(UTC), tuple(schemas), tuple(logs), anchors)
    (folder / MANIFEST).write_text(manifest.to_json())
    return manifest


async def _tables(conn: asyncpg.Connection, schemas: tuple[str, ...]) -> list[tuple[str, str]]:
    rows = await conn.fetch(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema = any($1::text[]) AND table_type = 'BASE TABLE' ORDER BY 1, 2", list(schemas)
    )
    return [(r["table_schema"], r["table_name"]) for r in rows]


async def _empty(conn: asyncpg.Connection, manifest: Manifest) -> None:
    """Take out what a refused restore wrote. The log tables refuse TRUNCATE through a trigger;
    their owner (the role restoring) switches it off for this one statement, in one transaction."""
    async with conn.transaction():
        for schema, table in await _tables(conn, manifest.schemas):
            if table == "events":
                await conn.execute(f"ALTER TABLE {schema}.events DISABLE TRIGGER events_refuse_truncate")
                await conn.execute(f"TRUNCATE {schema}.events")
                await conn.execute(f"ALTER TABLE {schema}.events ENABLE TRIGGER events_refuse_truncate")
            else:
                await conn.execute(f"TRUNCATE {schema}.{table}")


async def _check_target(conn: asyncpg.Connection, manifest: Manifest) -> None:
    present, logs = await _present(conn, list(manifest.schemas))
    if missing := [s for s in manifest.schemas if s not in present] + [s for s in manifest.logs if s not in logs]:
        raise BackupRefused(f"Chưa khởi tạo các schema {', '.join(dict.fromkeys(missing))}: chạy `ketnap bootstrap` (hoặc `ketnap up`) trước.")
    for log in manifest.logs:
        if await conn.fetchval(f"SELECT exists(SELECT 1 FROM {log}.events)"):
            raise BackupRefused(f"Đơn vị triển khai này không trống (nhật ký {log} đã có sự kiện): chỉ khôi phục vào một hệ thống mới.")


async def _verified_anchor(settings: Settings, log: str, anchor: Anchor | None) -> tuple[Anchor | None, str | None]:
    """(the signed head to hold the log against, a note when there is none to trust)."""
    if anchor is None:
        return None, f"{log}: bản sao lưu không có đầu nhật ký đã ký; chỉ kiểm chuỗi băm."
    key_file = settings.public_key_file(anchor.deployment, anchor.service)
    key = load_public_key(key_file)
    if key is None:
        return None, f"{log}: không có khóa công khai {key_file}; chỉ kiểm chuỗi băm."
    if not anchor.verified_by(key):
        raise BackupRefused(f"{log}: chữ ký đầu nhật ký (vị trí {anchor.position}) trong bản sao lưu không hợp lệ; không khôi phục.")
    return anchor, None


async def restore(folder: Path, database_url: str, nats_url: str, settings: Settings, services: list[Service], step: Step = _quiet) -> list[str]:
    """Restore the backup in `folder` into the empty deployment at `database_url`; the lines say
    what was checked. Raises BackupRefused, leaving the deployment empty, when a chain is broken."""
    manifest = Manifest.read(folder)
    conn = await asyncpg.connect(database_url)
    try:
        step("Kiểm tra hệ thống đích trống")
        await _check_target(conn, manifest)
        await _empty(conn, manifest)  # bootstrap may have written bookkeeping rows
        step("psql: nạp bản sao lưu")
        _run("psql", ["--quiet", "--no-psqlrc", "--single-transaction", "--set=ON_ERROR_STOP=1", f"--file={folder / DUMP}"], database_url)
        lines: list[str] = []
        try:
            for log in manifest.logs:
                step(f"Kiểm chuỗi băm: {log}")
                anchor, note = await _verified_anchor(settings, log, manifest.anchors.get(log))
                if note:
                    lines.append(note)
                report = await verify_chain(conn, log, anchor=anchor)
                if not report.intact:
                    raise BackupRefused(
                        f"{log}: HỎNG tại vị trí {report.broken_at}: {report.problem}. Bản sao lưu bị sửa hoặc hỏng; không khôi phục."
                    )
                signed = f", khớp đầu đã ký tại vị trí {anchor.position}" if anchor else ""
                lines.append(f"{log}: nguyên vẹn, {report.events} sự kiện{signed}")
        except BackupRefused:
            await _empty(conn, manifest)
            raise
    finally:
        await conn.close()
    pool = await create_pool(database_url, min_size=1, max_size=4)
    try:
        for service in services:
            if service.projections:
                # A service's projections together: each log they read is read once.
                step(f"Dựng lại {', '.join(p.name for p in service.projections)}")
                await projections.rebuild_many(pool, service.projections)
    finally:
        await pool.close()
    if manifest.deployment == settings.deployment_id and manifest.anchors:
        step("Đăng lại đầu nhật ký đã ký")
        await _republish(nats_url, settings.deployment_id, manifest)
    return lines


async def _republish(nats_url: str, deployment: str, manifest: Manifest) -> None:
    """The signed heads go back into this deployment's anchor stream: `audit verify` holds the
    restored logs against them, and each service signs its next head only if it extends them."""
    nc = await nats.connect(nats_url, name="ketnap-restore", connect_timeout=3, max_reconnect_attempts=0,
                            inbox_prefix=subjects.inbox_prefix(nats_url))
    try:
        js = nc.jetstream()
        await ensure_anchor_stream(js, deployment)
        for anchor in manifest.anchors.values():
            if anchor.deployment == deployment:
                await js.publish(subjects.anchor_subject(deployment, anchor.service), anchor.to_json(), stream=subjects.anchor_stream(deployment))
    finally:
        await nc.close()


def backup_steps(logs: int) -> int:
    return logs + 1


def restore_steps(manifest: Manifest, services: list[Service], republish: bool) -> int:
    return 2 + len(manifest.logs) + sum(1 for s in services if s.projections) + int(republish)
