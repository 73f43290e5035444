"""The `ketnap` command: run the stack, see its state, verify the audit trail, rebuild projections."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Annotated

import asyncpg
import typer

from shared.settings import Settings

app = typer.Typer(help="Ketnap: quản lý công tác kết nạp đảng viên.", no_args_is_help=True, add_completion=False)
audit_app = typer.Typer(help="Kiểm tra nhật ký (chuỗi băm).", no_args_is_help=True)
projections_app = typer.Typer(help="Dựng lại các bảng báo cáo từ nhật ký.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(projections_app, name="projections")


def _settings() -> Settings:
    from shared.logging import configure_logging

    settings = Settings.from_env()
    configure_logging(settings.log_format, "warning")
    return settings


def _connection_urls(settings: Settings) -> tuple[str, str]:
    """NATS and database URLs: from the environment, else from the running `ketnap up`."""
    if settings.uses_external_servers:
        return settings.nats_url or "", settings.database_url or ""
    from shared.stack import state_file

    path = state_file(settings.data_dir)
    if not path.exists():
        typer.echo("Ketnap chưa chạy (không thấy phiên `ketnap up`); đặt NATS_URL và DATABASE_URL hoặc chạy `make run`.", err=True)
        raise typer.Exit(2)
    state = json.loads(path.read_text())
    return state["nats_url"], state["database_url"]


@app.command()
def up(
    service: Annotated[list[str] | None, typer.Option("--service", help="Chỉ chạy các dịch vụ này")] = None,
) -> None:
    """Khởi động máy chủ nhúng (NATS, PostgreSQL) và mọi dịch vụ; Ctrl-C để dừng."""
    from services import all_services
    from shared.logging import configure_logging
    from shared.stack import up as run_up

    settings = Settings.from_env()
    configure_logging(settings.log_format, settings.log_level)
    names = service or [s.name for s in all_services()]
    raise typer.Exit(run_up(settings, names))


@app.command()
def bootstrap() -> None:
    """Tạo schema, luồng JetStream và consumer trên máy chủ có sẵn (NATS_URL, DATABASE_URL)."""
    from services import all_services
    from shared.bootstrap import bootstrap as run_bootstrap

    settings = _settings()
    if not settings.uses_external_servers:
        typer.echo("Cần NATS_URL và DATABASE_URL (ketnap up tự làm bước này cho máy chủ nhúng).", err=True)
        raise typer.Exit(2)
    asyncio.run(run_bootstrap(settings, all_services()))
    typer.echo("Đã khởi tạo.")


@app.command()
def status() -> None:
    """Máy chủ và dịch vụ nào đang chạy, đầu nhật ký và độ trễ relay của từng dịch vụ."""
    from shared.status import collect_status, render_status

    settings = _settings()
    nats_url, database_url = _connection_urls(settings)
    report = asyncio.run(collect_status(nats_url, database_url))
    typer.echo(render_status(report))
    raise typer.Exit(0 if report.healthy else 1)


@audit_app.command("verify")
def audit_verify(
    service: Annotated[str | None, typer.Option("--service", help="Chỉ kiểm tra nhật ký của dịch vụ này")] = None,
) -> None:
    """Tính lại mọi chuỗi băm; mã thoát 1 và vị trí hỏng đầu tiên nếu nhật ký bị sửa."""
    from shared.audit import logs_in_database, verify_chain

    settings = _settings()
    _, database_url = _connection_urls(settings)

    async def run() -> bool:
        conn = await asyncpg.connect(database_url)
        intact = True
        try:
            names = await logs_in_database(conn)
            if service:
                if service not in names:
                    typer.echo(f"Không có nhật ký của dịch vụ '{service}'. Có: {', '.join(names)}", err=True)
                    raise typer.Exit(2)
                names = [service]
            for name in names:
                report = await verify_chain(conn, name)
                if report.intact:
                    typer.echo(f"{name}: nguyên vẹn, {report.events} sự kiện (vị trí 1..{report.head})")
                else:
                    intact = False
                    typer.echo(
                        f"{name}: HỎNG tại vị trí {report.broken_at}: {report.problem} "
                        f"(đã kiểm {report.events} sự kiện trước đó)"
                    )
        finally:
            await conn.close()
        return intact

    raise typer.Exit(0 if asyncio.run(run()) else 1)


@projections_app.command("rebuild")
def projections_rebuild(
    verify: Annotated[bool, typer.Option("--verify", help="Dựng vào schema bóng và so từng dòng với bảng đang chạy")] = False,
    name: Annotated[str | None, typer.Option("--name", help="Chỉ projection này")] = None,
) -> None:
    """Dựng lại projection từ nhật ký (hoặc --verify: so sánh, không thay đổi gì)."""
    from services import all_services
    from shared import projections

    settings = _settings()
    _, database_url = _connection_urls(settings)
    chosen = [p for s in all_services() for p in s.projections if name in (None, p.name)]
    if not chosen:
        typer.echo(f"Không có projection '{name}'." if name else "Chưa có projection nào.", err=True)
        raise typer.Exit(2)

    def progress(projection: str, count: int) -> None:
        typer.echo(f"  {projection}: {count} sự kiện", err=True)

    async def run() -> bool:
        pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
        same = True
        try:
            for projection in chosen:
                if verify:
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
                else:
                    reached = await projections.rebuild(pool, projection, progress)
                    typer.echo(f"{projection.name}: đã dựng lại tới {reached}")
        finally:
            await pool.close()
        return same

    raise typer.Exit(0 if asyncio.run(run()) else 1)


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
