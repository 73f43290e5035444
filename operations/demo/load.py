"""`ketnap demo`: load the demo plan into a running stack, with progress, and say what to try next.

It refuses, politely, when the registry already holds organisations (real data must not be mixed
with the demo's) unless forced; forcing is also how a load cut short is finished: the plan's keys
make every act already recorded a no-op.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date

import asyncpg
import nats
import nats.errors

from ketnap.domain.calendar import today_in_vietnam
from ketnap.operations.demo.client import bus_actors
from ketnap.operations.demo.driver import Driver, Progress, ScenarioError
from ketnap.operations.demo.plan import Plan, build_plan
from ketnap.operations.demo.web_users import DEMO_PASSWORD, add_demo_users
from ketnap.operations.terminal import Steps, steps
from ketnap.platform.bus import subjects
from ketnap.services.gateway.access import ROLE_TITLES

REGISTRY_SCHEMA = "registry"


async def registry_holds_organisations(database_url: str, schema: str = REGISTRY_SCHEMA) -> bool:
    """Whether the registry's log has recorded any organisation (an operator's check, like `import`)."""
    conn = await asyncpg.connect(database_url)
    try:
        return bool(await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {schema}.events WHERE event_type = 'OrganisationEstablished')"))
    finally:
        await conn.close()


async def load(nats_url: str, plan: Plan, progress: Callable[[Progress], None]) -> None:
    nc = await nats.connect(nats_url, name="ketnap-demo", max_reconnect_attempts=3, inbox_prefix=subjects.inbox_prefix(nats_url))
    try:
        await Driver(plan, bus_actors(nc), progress=progress).run()
    finally:
        await nc.drain()


def next_steps(plan: Plan) -> list[str]:
    province, year = plan.province, plan.reference.year
    first = plan.dossiers[0].dossier_id
    return [
        f"  ketnap report quota --org {province} --year {year}",
        f"  ketnap report quota --org {plan.communes[0]} --term 2025-2030",
        f"  ketnap report stats --org {province} --year {year}",
        f"  ketnap report pipeline --org {province}",
        f"  ketnap report classes --org {province} --year {year}",
        f"  ketnap report white-zones --org {province}",
        f"  ketnap report overdue --org {province} --all",
        f"  ketnap audit history {first}",
    ]


PHASES = {"registry": "Sổ đăng ký: tổ chức, đảng viên, cấp ủy, địa bàn, chỉ tiêu, lớp học", "dossiers": "Hồ sơ kết nạp"}


def _shown_on(step: Steps) -> Callable[[Progress], None]:
    """The driver's progress as the CLI's shared progress bar: one step per phase, counted."""
    phase = ""

    def progress(done: Progress) -> None:
        nonlocal phase
        if done.phase != phase:
            phase = done.phase
            step(PHASES[phase])
        step.reached(done.done, done.total, done.text)

    return progress


def run_demo(
    nats_url: str, database_url: str, *, force: bool, applicants: int, on: str | None, echo: Callable[..., None],
    web_url: str | None = None,
) -> int:
    """Load the demo and its web users; the exit code of `ketnap demo`. `web_url`: where the web
    application answers, to say so."""
    today = today_in_vietnam()
    try:
        reference = date.fromisoformat(on) if on else today
    except ValueError:
        echo("Ngày tham chiếu viết dạng YYYY-MM-DD, ví dụ 2026-11-22.", err=True)
        return 2
    if reference > today:
        echo("Ngày tham chiếu không được sau hôm nay: các việc đã ghi phải ở quá khứ.", err=True)
        return 2
    try:
        plan = build_plan(applicants, reference)
    except ValueError as error:
        echo(str(error), err=True)
        return 2
    try:
        occupied = asyncio.run(registry_holds_organisations(database_url))
    except (asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError):
        echo("Cơ sở dữ liệu chưa được khởi tạo: hãy chạy `make run` (hoặc `ketnap up`, `ketnap bootstrap`) trước.", err=True)
        return 2
    except (OSError, asyncpg.PostgresError) as error:
        echo(f"Không kết nối được cơ sở dữ liệu ({type(error).__name__}); hệ thống đã chạy chưa?", err=True)
        return 2
    if occupied and not force:
        echo(
            "Sổ đăng ký đã có tổ chức đảng, nên không nạp dữ liệu mẫu để khỏi lẫn với dữ liệu đang dùng.\n"
            "Nếu đây là dữ liệu mẫu nạp dở (hoặc bạn vẫn muốn nạp), chạy lại với --force"
            f"{'' if on else f' --on {reference.isoformat()}'}: việc đã ghi sẽ không bị ghi lại.",
            err=True,
        )
        return 1
    echo(f"Nạp dữ liệu mẫu với ngày tham chiếu {reference:%d/%m/%Y}: {len(plan.dossiers)} hồ sơ.", err=True)
    try:
        with steps() as step:
            asyncio.run(load(nats_url, plan, _shown_on(step)))
    except ScenarioError as error:
        echo(f"Dừng lại: {error}", err=True)
        echo(f"Sửa xong, chạy lại `ketnap demo --force --on {reference.isoformat()}` để nạp tiếp (không ghi trùng).", err=True)
        return 1
    except (OSError, nats.errors.Error) as error:
        echo(f"Không kết nối được NATS ({type(error).__name__}); hệ thống đã chạy chưa (`make run`)?", err=True)
        return 1
    cells = sum(1 for u in plan.units if u.kind in ("cell", "grassroots_cell"))
    echo(
        f"Đã nạp: {plan.tree.name(plan.province)} ({plan.province}), {len(plan.communes)} đảng bộ xã, phường, {cells} chi bộ, "
        f"{len(plan.members)} đảng viên, {len(plan.dossiers)} hồ sơ ở nhiều bước."
    )
    made = asyncio.run(add_demo_users(nats_url, plan))
    echo("")
    echo(f"Ứng dụng web: {web_url or 'địa chỉ `make run` in ra'}: đăng nhập bằng một trong các tài khoản mẫu, mật khẩu {DEMO_PASSWORD}")
    for user, answer in made:
        state = "" if answer.ok else f"  (chưa tạo được: {answer.text})"
        echo(f"  {user.login:<10} {ROLE_TITLES[user.role]:<22} {plan.tree.name(user.organisation)} ({user.organisation}){state}")
    echo("")
    echo("Thử xem trên dòng lệnh:")
    for line in next_steps(plan):
        echo(line)
    echo(f"Nạp lại cùng dữ liệu (không ghi trùng): ketnap demo --force --on {reference.isoformat()}")
    return 0
