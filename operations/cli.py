"""The `ketnap` command: run the stack, see its state, verify the audit trail, rebuild projections."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from typing import Annotated

import typer

from ketnap.operations.typed import DAY, DAY_HINT, day, day_option, organisation_option, role_option
from ketnap.operations.vietnamese_help import VietnameseCommand, VietnameseGroup
from ketnap.platform.eventstore.pool import create_pool
from ketnap.platform.settings import Settings
from ketnap.services.gateway.access import ROLE_TITLES

app = typer.Typer(cls=VietnameseGroup, help="Ketnap: quản lý công tác kết nạp đảng viên.", no_args_is_help=True, add_completion=False)
audit_app = typer.Typer(cls=VietnameseGroup, help="Kiểm tra nhật ký (chuỗi băm).", no_args_is_help=True)
projections_app = typer.Typer(cls=VietnameseGroup, help="Dựng lại các bảng báo cáo từ nhật ký.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(projections_app, name="projections")
registry_app = typer.Typer(cls=VietnameseGroup, help="Sổ đăng ký: tổ chức, đảng viên, cấp ủy, địa bàn.", no_args_is_help=True)
app.add_typer(registry_app, name="registry")


def _settings() -> Settings:
    from ketnap.platform.logging import configure_logging

    settings = Settings.from_env()
    configure_logging(settings.log_format, "warning")
    return _with_running_links(settings)


def _with_running_links(settings: Settings) -> Settings:
    """One deployment of `ketnap up --topology`, pointed at by KETNAP_DATA_DIR alone: its links
    (which logs it keeps, so which projections and services it has) come from its state file."""
    if settings.federated or settings.uses_external_servers:
        return settings  # before the stack's import: a command pointed at servers starts without the runtime
    from ketnap.operations.stack import state_file

    path = state_file(settings.data_dir)
    if not path.exists():
        return settings
    links = json.loads(path.read_text()).get("links")
    if not links:
        return settings
    return settings.model_copy(
        update={"deployment_id": links["deployment"], "upper_deployment": links["upper"], "lower_deployments": tuple(links["lowers"]),
                "further_below": tuple(tuple(pair) for pair in links.get("further_below", []))}
    )


def _connection_urls(settings: Settings) -> tuple[str, str]:
    """NATS and database URLs: from the environment, else from the running `ketnap up`."""
    if settings.uses_external_servers:
        return settings.nats_url or "", settings.database_url or ""
    from ketnap.operations.stack import state_file

    path = state_file(settings.data_dir)
    if not path.exists():
        typer.echo("Ketnap chưa chạy (không thấy phiên `ketnap up`); đặt NATS_URL và DATABASE_URL hoặc chạy `make run`.", err=True)
        raise typer.Exit(2)
    state = json.loads(path.read_text())
    return state["nats_url"], state["database_url"]


@app.command(cls=VietnameseCommand)
def up(
    service: Annotated[list[str] | None, typer.Option("--service", help="Chỉ chạy các dịch vụ này")] = None,
    topology: Annotated[
        str | None,
        typer.Option("--topology", metavar="TỆP", help="Chạy mọi đơn vị triển khai khai báo trong tệp TOML này (xem docs/federation.md)"),
    ] = None,
) -> None:
    """Khởi động máy chủ nhúng (NATS, PostgreSQL) và mọi dịch vụ; Ctrl-C để dừng."""
    from ketnap.operations.stack import up as run_up
    from ketnap.operations.stack import up_topology
    from ketnap.platform.logging import configure_logging

    settings = Settings.from_env()
    configure_logging(settings.log_format, settings.log_level)
    if topology is not None:
        if service:
            typer.echo("--service và --topology không dùng cùng nhau: mỗi đơn vị chạy đủ dịch vụ của nó.", err=True)
            raise typer.Exit(2)
        from pathlib import Path

        raise typer.Exit(up_topology(Path(topology), settings))
    raise typer.Exit(run_up(settings, service or list(settings.services)))


@app.command(cls=VietnameseCommand)
def bootstrap() -> None:
    """Tạo schema, luồng JetStream và consumer trên máy chủ có sẵn (NATS_URL, DATABASE_URL)."""
    from ketnap.operations.bootstrap import bootstrap as run_bootstrap
    from ketnap.services import all_services

    settings = _settings()
    if not settings.uses_external_servers:
        typer.echo("Cần NATS_URL và DATABASE_URL (ketnap up tự làm bước này cho máy chủ nhúng).", err=True)
        raise typer.Exit(2)
    asyncio.run(run_bootstrap(settings, all_services(settings)))
    typer.echo("Đã khởi tạo.")


@app.command(cls=VietnameseCommand)
def status() -> None:
    """Máy chủ và dịch vụ nào đang chạy, đầu nhật ký và độ trễ relay của từng dịch vụ."""
    from ketnap.operations.status import collect_status, render_status

    settings = _settings()
    nats_url, database_url = _connection_urls(settings)
    report = asyncio.run(collect_status(nats_url, database_url, settings))
    typer.echo(render_status(report))
    raise typer.Exit(0 if report.healthy else 1)


@app.command(cls=VietnameseCommand)
def health() -> None:
    """Kiểm tra sức khỏe của container dịch vụ: mã thoát 0 khi dịch vụ vừa chạm tệp nhịp tim
    (KETNAP_HEARTBEAT_FILE), tức là còn kết nối được NATS và PostgreSQL."""
    from ketnap.platform.heartbeat import STALE_AFTER_SECONDS, fresh

    settings = Settings.from_env()
    if settings.heartbeat_file is None:
        typer.echo("Chưa đặt KETNAP_HEARTBEAT_FILE.", err=True)
        raise typer.Exit(2)
    if not fresh(settings.heartbeat_file):
        typer.echo(f"Dịch vụ không có nhịp tim trong {STALE_AFTER_SECONDS:.0f} giây qua ({settings.heartbeat_file}).", err=True)
        raise typer.Exit(1)


@audit_app.command("verify", cls=VietnameseCommand)
def audit_verify(
    service: Annotated[str | None, typer.Option("--service", help="Chỉ kiểm tra nhật ký của dịch vụ này")] = None,
    deployment: Annotated[
        str | None, typer.Option("--deployment", help="Kiểm tra các nhật ký nhận từ đơn vị triển khai này và các cảnh báo về nó")
    ] = None,
    wait: Annotated[float, typer.Option("--wait", help="Chờ relay đẩy nốt phần đuôi mới ghi (giây) trước khi so với luồng")] = 5.0,
) -> None:
    """Tính lại mọi chuỗi băm, so từng vị trí với luồng JetStream và đầu nhật ký đã ký; mã thoát 1
    và vị trí sai đầu tiên nếu nhật ký bị sửa."""
    from ketnap.operations.audit import NothingToVerify, verify_logs
    from ketnap.operations.terminal import steps

    settings = _settings()
    nats_url, database_url = _connection_urls(settings)
    try:
        with steps() as step:
            lines = asyncio.run(verify_logs(settings, nats_url, database_url, service=service, deployment=deployment, wait=wait, steps=step))
    except NothingToVerify as refusal:
        typer.echo(str(refusal), err=True)
        raise typer.Exit(2) from None
    for line in lines:
        typer.echo(line.text)
    raise typer.Exit(0 if all(line.intact for line in lines) else 1)


@projections_app.command("rebuild", cls=VietnameseCommand)
def projections_rebuild(
    verify: Annotated[bool, typer.Option("--verify", help="Dựng vào schema bóng và so từng dòng với bảng đang chạy")] = False,
    name: Annotated[str | None, typer.Option("--name", help="Chỉ projection này")] = None,
) -> None:
    """Dựng lại projection từ nhật ký (hoặc --verify: so sánh, không thay đổi gì)."""
    from ketnap.operations.terminal import Steps, steps
    from ketnap.platform import projections
    from ketnap.services import all_services

    settings = _settings()
    _, database_url = _connection_urls(settings)
    groups = [[p for p in s.projections if name in (None, p.name)] for s in all_services(settings)]
    groups = [group for group in groups if group]
    chosen = [p for group in groups for p in group]
    if not chosen:
        typer.echo(f"Không có projection '{name}'." if name else "Chưa có projection nào.", err=True)
        raise typer.Exit(2)

    async def run(step: Steps) -> bool:
        def progress(projection: str, count: int) -> None:
            step.note(f"{projection}: {count} sự kiện")

        pool = await create_pool(database_url, min_size=1, max_size=4)
        same = True
        try:
            if not verify:
                for group in groups:
                    # A service's projections together: each log they read is read once.
                    step(f"Dựng lại {', '.join(p.name for p in group)}")
                    for projection, reached in zip(group, await projections.rebuild_many(pool, group, progress), strict=True):
                        typer.echo(f"{projection.name}: đã dựng lại tới {reached}")
                return same
            for projection in chosen:
                step(f"So sánh {projection.name}")
                differences = await projections.verify(pool, projection, progress)
                if not differences:
                    typer.echo(f"{projection.name}: khớp với bản dựng lại")
                for difference in differences:
                    same = False
                    typer.echo(f"{projection.name}: bảng {difference.table} KHÁC bản dựng lại")
                    for row in difference.only_in_live:
                        typer.echo(f"    chỉ có ở bảng đang chạy: {row}")
                    for row in difference.only_in_rebuild:
                        typer.echo(f"    chỉ có ở bản dựng lại:   {row}")
        finally:
            await pool.close()
        return same

    with steps(len(chosen) if verify else len(groups)) as step:
        same = asyncio.run(run(step))
    raise typer.Exit(0 if same else 1)


@app.command(cls=VietnameseCommand)
def backup(
    folder: Annotated[str, typer.Argument(metavar="THƯ_MỤC", help="Thư mục mới hoặc trống để ghi bản sao lưu")],
) -> None:
    """Sao lưu nhất quán nhật ký của mọi dịch vụ và tài khoản người dùng (pg_dump), kèm đầu nhật ký đã ký."""
    from pathlib import Path

    from ketnap.operations.backup import BackupRefused, backup_steps, schemas_of
    from ketnap.operations.backup import backup as run_backup
    from ketnap.operations.terminal import steps
    from ketnap.services import all_services

    settings = _settings()
    nats_url, database_url = _connection_urls(settings)
    schemas = schemas_of(all_services(settings))
    try:
        with steps(backup_steps(len(schemas))) as step:
            manifest = asyncio.run(run_backup(database_url, nats_url, settings.deployment_id, schemas, Path(folder), step))
    except BackupRefused as refusal:
        typer.echo(str(refusal), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Đã sao lưu {len(manifest.logs)} nhật ký ({len(manifest.anchors)} đầu đã ký) vào {folder}.")


@app.command(cls=VietnameseCommand)
def restore(
    folder: Annotated[str, typer.Argument(metavar="THƯ_MỤC", help="Thư mục bản sao lưu (`ketnap backup`)")],
) -> None:
    """Khôi phục bản sao lưu vào một hệ thống mới khởi tạo, chưa có sự kiện: kiểm mọi chuỗi băm
    (từ chối bản bị sửa), dựng lại mọi bảng báo cáo."""
    from pathlib import Path

    from ketnap.operations.backup import BackupRefused, Manifest, restore_steps
    from ketnap.operations.backup import restore as run_restore
    from ketnap.operations.terminal import steps
    from ketnap.services import all_services

    settings = _settings()
    nats_url, database_url = _connection_urls(settings)
    services = all_services(settings)
    try:
        manifest = Manifest.read(Path(folder))
        with steps(restore_steps(manifest, services, manifest.deployment == settings.deployment_id)) as step:
            lines = asyncio.run(run_restore(Path(folder), database_url, nats_url, settings, services, step))
    except BackupRefused as refusal:
        typer.echo(str(refusal), err=True)
        raise typer.Exit(1) from None
    for line in lines:
        typer.echo(line)
    typer.echo(f"Đã khôi phục bản sao lưu ngày {manifest.created_at.astimezone():%d/%m/%Y %H:%M}. Chạy `ketnap audit verify` sau khi các dịch vụ chạy lại.")


@registry_app.command("import", cls=VietnameseCommand)
def registry_import(
    file: Annotated[str, typer.Argument(help="Tệp CSV, JSON hoặc Excel .xlsx (xem docs/registry.md)")],
    actor: Annotated[str, typer.Option("--actor", help="Người nhập, ghi vào nhật ký")] = "import",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Chỉ kiểm tra, không ghi")] = False,
) -> None:
    """Nhập một tổ chức có sẵn (cây, đảng viên, cấp ủy, địa bàn): tất cả hoặc không gì cả; rồi tiếp nhận
    các hồ sơ đang làm trên giấy (dòng «hồ sơ đang làm»): mọi hồ sơ được các dịch vụ xét trọn các bước trước,
    chỉ ghi khi không hồ sơ nào bị từ chối; nhập lại cùng tệp sau khi bị gián đoạn thì ghi tiếp."""
    from pathlib import Path

    from ketnap.domain.spreadsheet import headers_of
    from ketnap.operations.terminal import steps
    from ketnap.services.registry.importer import import_file, read_records, render_problems

    settings = _settings()
    nats_url, database_url = _connection_urls(settings)

    async def run() -> bool:
        pool = await create_pool(database_url, min_size=1, max_size=4)
        try:
            with steps() as step:
                result = await import_file(pool, Path(file), actor=actor, dry_run=dry_run, progress=step, dossiers_taken_over=True)
        finally:
            await pool.close()
        headers = headers_of(read_records(Path(file))[0])  # problems named by the file's own column headers
        for line in render_problems(result.problems, headers):
            typer.echo(line)
        labels = {
            "organisations": "tổ chức", "members": "đảng viên", "paper_admissions": "đảng viên kết nạp trên giấy",
            "committees": "cấp ủy viên", "localities": "địa bàn",
        }
        counts = ", ".join(f"{n} {labels.get(kind, kind)}" for kind, n in result.counts.items())
        if result.problems:
            typer.echo(f"Có {len(result.problems)} lỗi; không nhập gì.")
        elif result.written:
            typer.echo(f"Đã nhập: {counts} ({result.events} sự kiện).")
        else:
            typer.echo(f"Tệp hợp lệ: {counts} ({result.events} sự kiện); chưa ghi (--dry-run).")
        if result.problems and not dry_run:
            return False
        return await take_over_dossiers() and not result.problems

    async def take_over_dossiers() -> bool:
        """The dossiers in progress of the file, after its registry rows (their cells and helpers):
        every row judged end to end by the services, written only when none is refused."""
        import nats

        from ketnap.domain.spreadsheet import headers_of, records_of
        from ketnap.platform.bus import subjects
        from ketnap.services.gateway.paper_dossiers import take_over_file

        raw = Path(file).read_bytes()
        nc = await nats.connect(nats_url, name="ketnap-cli", inbox_prefix=subjects.inbox_prefix(nats_url))
        stages = {"judged": ("Xét các hồ sơ đang làm qua các dịch vụ...", "hồ sơ đã xét"),
                  "written": ("Ghi các hồ sơ đang làm...", "hồ sơ đã ghi")}
        try:
            with steps() as step:
                begun: set[str] = set()

                def progress(stage: str, done: int, total: int) -> None:
                    title, unit = stages[stage]
                    if stage not in begun:
                        begun.add(stage)
                        step(title)
                    step.reached(done, total, f"{done}/{total} {unit}")

                taken, count = await take_over_file(nc, raw, Path(file).name, actor=actor, scope=None, dry_run=dry_run,
                                                    progress=progress)
        finally:
            await nc.drain()
        if not count:
            return True
        for line in render_problems(taken.problems, headers_of(records_of(raw, Path(file).name)[0])):
            typer.echo(line)
        done = len(taken.dossiers)
        if dry_run:
            typer.echo(f"Hồ sơ đang làm: {count} dòng, {len(taken.problems)} lỗi; chưa tiếp nhận (--dry-run).")
        elif taken.problems and not done:
            typer.echo(f"Hồ sơ đang làm: {count} dòng, {len(taken.problems)} lỗi; không tiếp nhận hồ sơ nào.")
        else:
            typer.echo(f"Đã tiếp nhận {done}/{count} hồ sơ đang làm từ hồ sơ giấy.")
        return not taken.problems

    raise typer.Exit(0 if asyncio.run(run()) else 1)


# --- reports: asked of the reporting service over NATS, shown as tables, exported ------------------

report_app = typer.Typer(cls=VietnameseGroup, help="Báo cáo: chỉ tiêu, đảng viên mới, tiến độ, thời hạn, xếp loại chất lượng (xuất CSV, XLSX).", no_args_is_help=True)
app.add_typer(report_app, name="report")
_Org = Annotated[str, typer.Option("--org", help="Mã tổ chức đảng (chữ hoa hay thường đều được)", callback=organisation_option)]
_Year = Annotated[int | None, typer.Option("--year", help="Năm báo cáo, ví dụ 2025")]
_Term = Annotated[str | None, typer.Option("--term", help="Nhiệm kỳ, ví dụ 2020-2025")]
_AsOf = Annotated[str | None, typer.Option("--as-of", metavar=DAY, help=f"Báo cáo tại một ngày đã qua, {DAY_HINT}", callback=day_option)]
_On = Annotated[str | None, typer.Option(
    "--on", metavar=DAY, help=f"Ngày mà báo cáo nói về (cây tổ chức, đảng viên, địa bàn, hồ sơ như ngày đó), {DAY_HINT}; mặc định hôm nay",
    callback=day_option,
)]
_AsRecorded = Annotated[str | None, typer.Option(
    "--as-recorded", metavar=DAY, help=f"Chỉ tính những gì đã ghi tới hết ngày này, {DAY_HINT}; mặc định mọi điều đã ghi",
    callback=day_option,
)]
_Csv = Annotated[str | None, typer.Option("--csv", help="Xuất ra tệp CSV")]
_Xlsx = Annotated[str | None, typer.Option("--xlsx", help="Xuất ra tệp XLSX")]


def _days(as_of: str | None, on: str | None, as_recorded: str | None) -> dict[str, str | None]:
    """The report's days as the API takes them: `on` (the day it is about) apart from `as_recorded`
    (what had been recorded by then); `--as-of` is both at once."""
    return {"as_of": as_of, "on": on, "as_recorded": as_recorded}


def _report(name: str, body: dict, csv: str | None, xlsx: str | None) -> None:
    from pathlib import Path

    from ketnap.operations.reports import report
    from ketnap.operations.terminal import print_tables

    api = _api_session()
    nats_url = "" if api else _connection_urls(_settings())[0]
    answer = asyncio.run(
        report(nats_url, name, body, csv_path=Path(csv) if csv else None, xlsx_path=Path(xlsx) if xlsx else None, api=api)
    )
    if answer.text:
        typer.echo(answer.text, err=not answer.ok)
    print_tables(answer.tables)
    if answer.after:
        typer.echo("\n" + answer.after)
    raise typer.Exit(0 if answer.ok else 1)


def _api_session() -> tuple[str, str] | None:
    """(API address, token) when the user has a token (`KETNAP_TOKEN`): their reads and writes
    then go through the API, within their role and scope. Without one, the operator's CLI talks
    to the running stack directly."""
    import os

    token = os.environ.get("KETNAP_TOKEN")
    if not token:
        return None
    settings = Settings.from_env()
    return os.environ.get("KETNAP_API_URL", f"http://{settings.gateway_host}:{settings.gateway_port}"), token


@report_app.command("quota", cls=VietnameseCommand)
def report_quota(org: _Org, year: _Year = None, term: _Term = None, as_of: _AsOf = None, on: _On = None, as_recorded: _AsRecorded = None,
                 csv: _Csv = None, xlsx: _Xlsx = None) -> None:
    """Chỉ tiêu và kết quả kết nạp của tổ chức và từng tổ chức trực thuộc, kèm hồ sơ đang xử lý."""
    _report("quota", {"organisation": org, "year": year, "term": term, **_days(as_of, on, as_recorded)}, csv, xlsx)


@report_app.command("stats", cls=VietnameseCommand)
def report_stats(
    org: _Org, year: _Year = None, term: _Term = None,
    by_unit: Annotated[bool, typer.Option("--by-unit", help="Biểu thống kê: một dòng cho mỗi tổ chức trong phạm vi")] = False,
    as_of: _AsOf = None, on: _On = None, as_recorded: _AsRecorded = None, csv: _Csv = None, xlsx: _Xlsx = None,
) -> None:
    """Đảng viên mới theo giới tính, dân tộc, tôn giáo, đoàn viên, nghề nghiệp, độ tuổi, trình độ."""
    _report("stats_by_unit" if by_unit else "stats", {"organisation": org, "year": year, "term": term, **_days(as_of, on, as_recorded)}, csv, xlsx)


@report_app.command("pipeline", cls=VietnameseCommand)
def report_pipeline(org: _Org, year: _Year = None, term: _Term = None, as_of: _AsOf = None, on: _On = None, as_recorded: _AsRecorded = None,
                    csv: _Csv = None, xlsx: _Xlsx = None) -> None:
    """Hồ sơ theo từng bước, thời gian mỗi bước, hồ sơ bị bác theo mã quy định."""
    _report("pipeline", {"organisation": org, "year": year, "term": term, **_days(as_of, on, as_recorded)}, csv, xlsx)


@report_app.command("classes", cls=VietnameseCommand)
def report_classes(org: _Org, year: _Year = None, term: _Term = None, as_of: _AsOf = None, on: _On = None, as_recorded: _AsRecorded = None,
                   csv: _Csv = None, xlsx: _Xlsx = None) -> None:
    """Lớp bồi dưỡng nhận thức về Đảng và lớp đảng viên mới, số học viên."""
    _report("classes", {"organisation": org, "year": year, "term": term, **_days(as_of, on, as_recorded)}, csv, xlsx)


@report_app.command("white-zones", cls=VietnameseCommand)
def report_white_zones(
    org: _Org,
    years: Annotated[int, typer.Option("--years", help="Chi bộ không kết nạp được đảng viên trong bao nhiêu năm")] = 3,
    as_of: _AsOf = None, on: _On = None, as_recorded: _AsRecorded = None, csv: _Csv = None, xlsx: _Xlsx = None,
) -> None:
    """Địa bàn chưa có chi bộ hoặc đảng viên; chi bộ nhiều năm không kết nạp được đảng viên."""
    _report("white_zones", {"organisation": org, "years": years, **_days(as_of, on, as_recorded)}, csv, xlsx)


@report_app.command("several-dossiers", cls=VietnameseCommand)
def report_several_dossiers(org: _Org, as_of: _AsOf = None, on: _On = None, as_recorded: _AsRecorded = None,
                            csv: _Csv = None, xlsx: _Xlsx = None) -> None:
    """Người có hồ sơ đang mở ở hơn một nơi cùng lúc (ở cấp giữ nhật ký của nhiều cơ sở)."""
    _report("several_dossiers", {"organisation": org, **_days(as_of, on, as_recorded)}, csv, xlsx)


@report_app.command("overdue", cls=VietnameseCommand)
def report_overdue(
    org: _Org,
    all_open: Annotated[bool, typer.Option("--all", help="Mọi thời hạn đang mở, không chỉ quá hạn")] = False,
    as_of: _AsOf = None, on: _On = None, as_recorded: _AsRecorded = None, csv: _Csv = None, xlsx: _Xlsx = None,
) -> None:
    """Thời hạn quá hạn (quyết định, lễ kết nạp, lý lịch đảng viên, xét chính thức) theo tổ chức."""
    _report("deadlines", {"organisation": org, "overdue_only": not all_open, **_days(as_of, on, as_recorded)}, csv, xlsx)


@report_app.command("ratings", cls=VietnameseCommand)
def report_ratings(
    org: _Org,
    year: Annotated[int, typer.Option("--year", help="Năm được đánh giá, xếp loại, ví dụ 2025")],
    as_of: _AsOf = None, on: _On = None, as_recorded: _AsRecorded = None, csv: _Csv = None, xlsx: _Xlsx = None,
) -> None:
    """Xếp loại chất lượng đảng viên và tổ chức đảng trong năm: số lượng, tỷ lệ từng loại, theo tổ chức."""
    _report("ratings", {"organisation": org, "year": year, **_days(as_of, on, as_recorded)}, csv, xlsx)


@audit_app.command("history", cls=VietnameseCommand)
def audit_history(
    dossier: Annotated[str, typer.Argument(help="Mã hồ sơ")], as_of: _AsOf = None, csv: _Csv = None, xlsx: _Xlsx = None
) -> None:
    """Diễn biến một hồ sơ qua mọi dịch vụ: việc gì, ngày nào, ai ghi, tổ chức nào, vị trí và mã băm."""
    _report("audit_history", {"dossier_id": dossier, "as_of": as_of}, csv, xlsx)


# --- users: the gateway's users and tokens, asked of the running gateway over NATS -----------------

users_app = typer.Typer(cls=VietnameseGroup, help="Người dùng và mã truy cập của API (cổng gateway).", no_args_is_help=True)
app.add_typer(users_app, name="users")


def _users(work) -> None:
    nats_url, _ = _connection_urls(_settings())
    answer = asyncio.run(work(nats_url))
    typer.echo(answer.text, err=not answer.ok)
    raise typer.Exit(0 if answer.ok else 1)


@users_app.command("add", cls=VietnameseCommand)
def users_add(
    login: Annotated[str, typer.Argument(help="Tên đăng nhập (chữ thường không dấu, số, . _ -)")],
    role: Annotated[str, typer.Option("--role", help=f"Vai trò: {', '.join(ROLE_TITLES.values())}", callback=role_option)],
    org: Annotated[
        str, typer.Option("--org", help="Mã tổ chức của người dùng: họ làm việc trong tổ chức này và các cấp dưới", callback=organisation_option)
    ],
    name: Annotated[str | None, typer.Option("--name", help="Họ tên hiển thị")] = None,
    password: Annotated[bool, typer.Option("--password", help="Hỏi và đặt mật khẩu đăng nhập ứng dụng web")] = False,
) -> None:
    """Tạo người dùng với vai trò và tổ chức (--password: đặt luôn mật khẩu đăng nhập ứng dụng web)."""
    from ketnap.services.gateway import client
    from ketnap.services.gateway.access import Role

    chosen = Role(role)
    password_hash = _new_password_hash(login) if password else None
    _users(lambda url: client.add_user(url, login, chosen, org, name, password_hash=password_hash))


def _new_password_hash(login: str) -> str:
    """Asks for a password twice (hidden; read from standard input when it is not a terminal) and
    hashes it here: the password itself never leaves this process."""
    from ketnap.services.gateway.passwords import hash_password, policy_problem

    typed = typer.prompt("Mật khẩu", hide_input=True, confirmation_prompt="Nhập lại mật khẩu")
    if problem := policy_problem(typed, login.strip().lower()):
        typer.echo(problem, err=True)
        raise typer.Exit(2)
    return hash_password(typed)


@users_app.command("password", cls=VietnameseCommand)
def users_password(login: Annotated[str, typer.Argument(help="Tên đăng nhập")]) -> None:
    """Đặt (hoặc đổi) mật khẩu đăng nhập ứng dụng web; các phiên đăng nhập bằng mật khẩu cũ kết thúc."""
    from ketnap.services.gateway import client

    password_hash = _new_password_hash(login)
    _users(lambda url: client.set_password(url, login, password_hash))


@users_app.command("token", cls=VietnameseCommand)
def users_token(
    login: Annotated[str, typer.Argument(help="Tên đăng nhập")],
    label: Annotated[str | None, typer.Option("--label", help="Ghi chú: mã dùng ở đâu")] = None,
    days: Annotated[int | None, typer.Option("--days", help="Hết hạn sau số ngày này (mặc định: không hết hạn)")] = None,
) -> None:
    """Cấp mã truy cập cho người dùng; mã chỉ hiện một lần."""
    from ketnap.services.gateway import client

    _users(lambda url: client.issue_token(url, login, label, days))


@users_app.command("revoke", cls=VietnameseCommand)
def users_revoke(token_id: Annotated[str, typer.Argument(help="Mã số của mã truy cập (xem ketnap users list)")]) -> None:
    """Thu hồi một mã truy cập: nó thôi hiệu lực ngay."""
    from ketnap.services.gateway import client

    _users(lambda url: client.revoke_token(url, token_id))


@users_app.command("disable", cls=VietnameseCommand)
def users_disable(
    login: Annotated[str, typer.Argument(help="Tên đăng nhập")],
    reason: Annotated[str | None, typer.Option("--reason", help="Lý do")] = None,
) -> None:
    """Khóa người dùng: mọi mã truy cập của họ thôi hiệu lực ngay."""
    from ketnap.services.gateway import client

    _users(lambda url: client.disable_user(url, login, reason))


@users_app.command("list", cls=VietnameseCommand)
def users_list(
    org: Annotated[str | None, typer.Option("--org", help="Chỉ người dùng của tổ chức này và cấp dưới", callback=organisation_option)] = None,
    all_users: Annotated[bool, typer.Option("--all", help="Cả người dùng đã bị khóa")] = False,
) -> None:
    """Danh sách người dùng, vai trò, tổ chức và mã truy cập còn hiệu lực."""
    from ketnap.operations.terminal import console, rich_table
    from ketnap.operations.users import users_table
    from ketnap.services.gateway import client

    nats_url, _ = _connection_urls(_settings())
    answer = asyncio.run(client.list_users(nats_url, org, all_users))
    if answer.users:
        console().print(rich_table(users_table(answer.users)))
        typer.echo()
    typer.echo(answer.text, err=not answer.ok)
    raise typer.Exit(0 if answer.ok else 1)


# --- alarms: the integrity alarms of every service, over NATS --------------------------------------

alarms_app = typer.Typer(cls=VietnameseGroup, help="Cảnh báo toàn vẹn: tin trên kênh sự kiện không phải mắt xích kế tiếp của nhật ký nguồn.", no_args_is_help=True)
app.add_typer(alarms_app, name="alarms")


@alarms_app.command("list", cls=VietnameseCommand)
def alarms_list(
    all_alarms: Annotated[bool, typer.Option("--all", help="Cả các cảnh báo đã xác nhận")] = False,
) -> None:
    """Các cảnh báo toàn vẹn chưa xác nhận của mọi dịch vụ (mã thoát 1 khi còn cảnh báo chưa xác nhận)."""
    from ketnap.operations.alarms import alarm_line, list_alarms
    from ketnap.services import all_services

    settings = _settings()
    nats_url, _ = _connection_urls(settings)
    found, silent = asyncio.run(list_alarms(nats_url, [s.name for s in all_services(settings)], include_acknowledged=all_alarms))
    for service, alarm in found:
        typer.echo(alarm_line(service, alarm))
    for service in silent:
        typer.echo(f"Dịch vụ {service} không trả lời: chưa biết cảnh báo của nó.", err=True)
    if not found and not silent:
        typer.echo("Không có cảnh báo toàn vẹn nào." if all_alarms else "Không có cảnh báo toàn vẹn nào chưa xác nhận.")
    raise typer.Exit(1 if silent or any(a["acknowledged_at"] is None for _, a in found) else 0)


@alarms_app.command("acknowledge", cls=VietnameseCommand)
def alarms_acknowledge(
    service: Annotated[str, typer.Argument(help="Dịch vụ có cảnh báo (cột đầu của ketnap alarms list)")],
    alarm_id: Annotated[int, typer.Argument(help="Số của cảnh báo (sau dấu #)", min=1)],
    reason: Annotated[str | None, typer.Option("--ly-do", help="Lý do xác nhận: đã xem xét những gì")] = None,
) -> None:
    """Xác nhận đã xem xét một cảnh báo toàn vẹn; ghi người xác nhận, thời điểm và lý do."""
    from ketnap.operations.alarms import acknowledge

    nats_url, _ = _connection_urls(_settings())
    ok, text = asyncio.run(acknowledge(nats_url, service, alarm_id, reason))
    typer.echo(text, err=not ok)
    raise typer.Exit(0 if ok else 1)


# --- demo: a small organisation with dossiers at every step, loaded through the services ---------


@app.command(cls=VietnameseCommand)
def demo(
    force: Annotated[bool, typer.Option("--force", help="Nạp cả khi sổ đăng ký đã có tổ chức, hoặc nạp tiếp lần bị gián đoạn")] = False,
    applicants: Annotated[int, typer.Option("--applicants", min=1, max=500, help="Số hồ sơ mẫu")] = 12,
    on: Annotated[str | None, typer.Option("--on", metavar=DAY, help=f"Ngày tham chiếu của dữ liệu mẫu, {DAY_HINT}; mặc định hôm nay", callback=day_option)] = None,
) -> None:
    """Nạp tổ chức mẫu (tỉnh, xã, chi bộ, đảng viên) và hồ sơ ở nhiều bước qua các dịch vụ để xem báo cáo ngay."""
    from ketnap.operations.demo.load import run_demo

    settings = _settings()
    nats_url, database_url = _connection_urls(settings)
    web_url = f"http://{settings.gateway_host if settings.gateway_host not in ('0.0.0.0', '::') else '127.0.0.1'}:{settings.gateway_port}"
    raise typer.Exit(run_demo(nats_url, database_url, force=force, applicants=applicants, on=on, echo=typer.echo, web_url=web_url))


# --- api: any command or query of the HTTP API, as the user whose token is in KETNAP_TOKEN ---------

api_app = typer.Typer(
    cls=VietnameseGroup,
    help="Gửi lệnh hoặc hỏi qua API với mã truy cập trong KETNAP_TOKEN (địa chỉ: KETNAP_API_URL). Danh sách lệnh: /docs.",
    no_args_is_help=True,
)
app.add_typer(api_app, name="api")
_Fields = Annotated[
    list[str] | None, typer.Argument(help="TRƯỜNG=GIÁ_TRỊ; giá trị JSON ([..], {..}, số, true) được hiểu như JSON, ngày dd/mm/yyyy đổi sang ISO")
]


def _fields(pairs: list[str] | None, json_file: str | None) -> dict:
    from pathlib import Path

    body: dict = json.loads(Path(json_file).read_text(encoding="utf-8")) if json_file else {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep:
            typer.echo(f"Cần dạng TRƯỜNG=GIÁ_TRỊ: {pair}", err=True)
            raise typer.Exit(2)
        if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", value):
            value = day(value).isoformat()  # people write dd/mm/yyyy; the API takes ISO
        try:
            # Short numbers are numbers; a 12-digit citizen id stays text.
            as_json = value[:1] in "[{" or value in ("true", "false", "null") or (value.isdigit() and len(value) <= 9)
            body[name] = json.loads(value) if as_json else value
        except json.JSONDecodeError:
            body[name] = value
    return body


def _api_call(kind: str, service: str, name: str, body: dict, key: str | None) -> None:
    import uuid

    from ketnap.operations.apiclient import ApiClient

    session = _api_session()
    if session is None:
        typer.echo("Cần mã truy cập: đặt KETNAP_TOKEN (cấp bằng `ketnap users token TÊN`).", err=True)
        raise typer.Exit(2)

    async def call() -> dict:
        async with ApiClient(*session) as client:
            if kind == "command":
                return await client.command(service, name, body, key=key or str(uuid.uuid4()))
            return await client.query(service, name, body)

    reply = asyncio.run(call())
    if not reply.get("ok"):
        error = reply.get("error") or {}
        typer.echo(f"Lỗi ({error.get('code', '?')}): {error.get('message', 'không rõ')}", err=True)
        raise typer.Exit(1)
    if kind == "query" and service == "reporting":
        from ketnap.operations.terminal import print_tables
        from ketnap.services.reporting.export import TABLES, exported

        if name in TABLES:
            print_tables(exported(name, reply["result"]))
            return
    shown = reply.get("result") if kind == "query" else {k: reply.get(k) for k in ("stream_id", "stream_version", "result")}
    typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))


@api_app.command("send", cls=VietnameseCommand)
def api_send(
    service: Annotated[str, typer.Argument(help="registry, dossiers, verification, voting, gateway")],
    command: Annotated[str, typer.Argument(help="tên lệnh, ví dụ open_dossier")],
    fields: _Fields = None,
    json_file: Annotated[str | None, typer.Option("--json", help="Tệp JSON chứa thân lệnh")] = None,
    key: Annotated[str | None, typer.Option("--key", help="Khóa chống trùng lặp (gửi lại với cùng khóa không ghi hai lần)")] = None,
) -> None:
    """Gửi một lệnh qua API, ví dụ: ketnap api send dossiers withdraw dossier_id=... expected_version=7 on=20/11/2026."""
    _api_call("command", service, command, _fields(fields, json_file), key)


@api_app.command("ask", cls=VietnameseCommand)
def api_ask(
    service: Annotated[str, typer.Argument(help="registry, dossiers, verification, voting, reporting, gateway")],
    query: Annotated[str, typer.Argument(help="tên câu hỏi, ví dụ dossier, quota")],
    fields: _Fields = None,
) -> None:
    """Hỏi qua API; báo cáo hiện thành bảng. Ví dụ: ketnap api ask reporting quota organisation=TU-LS term=2025-2030."""
    _api_call("query", service, query, _fields(fields, None), None)


def main(args: list[str] | None = None) -> None:
    """The `ketnap` command; traced when the OTEL_* variables say so (ketnap.operations.traced)."""
    from ketnap.operations.traced import traced

    words = sys.argv[1:] if args is None else args
    with traced(lambda: typer.main.get_command(app), words):
        app(args=words)


if __name__ == "__main__":
    sys.exit(main())
