"""`ketnap demo` against the five services under their real names in a fresh database: it loads the
demo with progress and says what to try next; it refuses politely once the registry holds
organisations; with --force it finishes a load and writes nothing twice."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass

import asyncpg
import httpx
import nats
import pytest

from ketnap.operations.bootstrap import bootstrap_database
from ketnap.operations.demo.web_users import DEMO_PASSWORD, LOGINS
from ketnap.platform import alarms
from ketnap.platform.eventstore import EventStore
from ketnap.platform.service import Service
from ketnap.services.dossiers.service import build_service as build_dossiers
from ketnap.services.gateway.server import Listener
from ketnap.services.gateway.service import build_service as build_gateway
from ketnap.services.registry.service import build_service as build_registry
from ketnap.services.reporting.service import build_service as build_reporting
from ketnap.services.verification.service import build_service as build_verification
from ketnap.services.voting.service import build_service as build_voting
from tests.conftest import eventually, new_database, unique
from tests.integration.forgery import forged_withdrawal, publish
from tests.integration.gateway.webclient import csrf_of, visible_text
from tests.integration.harness import bootstrap_bus, run_cli, running
from tests.servers import Servers

pytestmark = pytest.mark.timeout(600)
LOGS = ("registry", "dossiers", "verification", "voting")


@dataclass
class Stack:
    env: dict[str, str]
    database_url: str
    web_url: str

    async def ketnap(self, *args: str) -> tuple[int, str]:
        code, output, _ = await run_cli(self.env, *args, timeout=400, errors_in_output=True)
        return code, output

    async def heads(self) -> dict[str, int]:
        conn = await asyncpg.connect(self.database_url)
        try:
            return {name: await conn.fetchval(f"SELECT coalesce(max(position), 0) FROM {name}.events") for name in LOGS}
        finally:
            await conn.close()


@pytest.fixture(scope="module")
async def stack(servers: Servers) -> AsyncIterator[Stack]:
    database_url = await new_database(servers.postgres_url, "ketnap_demo_")
    listener = Listener("127.0.0.1", 0)
    services: list[Service] = [
        build_registry(), build_dossiers(), build_verification(), build_voting(), build_reporting(), build_gateway(listener=listener),
    ]
    await bootstrap_database(database_url, services, create_roles=True)
    deployment = unique("d")
    async with AsyncExitStack() as exit_stack:
        nc = await nats.connect(servers.nats_url)
        exit_stack.push_async_callback(nc.drain)
        await bootstrap_bus(nc.jetstream(), deployment, services)
        for service in services:
            await exit_stack.enter_async_context(running(service, servers.nats_url, database_url, deployment))
        await asyncio.wait_for(listener.ready.wait(), 30)
        env = {**os.environ, "NATS_URL": servers.nats_url, "DATABASE_URL": database_url, "KETNAP_DEPLOYMENT": deployment}
        yield Stack(env, database_url, listener.url)


async def test_demo_loads_then_refuses_then_finishes_with_force_without_doubling(stack: Stack) -> None:
    code, out = await stack.ketnap("demo")
    assert code == 0, out
    assert "12/12 hồ sơ" in out and "Đã nạp: Tỉnh ủy Lạng Sơn (TU-LS)" in out
    assert "ketnap report quota --org TU-LS --year" in out and "ketnap audit history " in out
    loaded = await stack.heads()
    assert all(loaded.values())

    code, out = await stack.ketnap("demo")
    assert code == 1
    assert "Sổ đăng ký đã có tổ chức đảng" in out and "--force" in out
    assert await stack.heads() == loaded

    code, out = await stack.ketnap("demo", "--force")
    assert code == 0, out
    assert await stack.heads() == loaded


async def test_every_demo_user_signs_in_and_sees_real_dossiers(stack: Stack) -> None:
    code, out = await stack.ketnap("demo", "--force")
    assert code == 0, out
    assert f"mật khẩu {DEMO_PASSWORD}" in out and "chưa tạo được" not in out
    for login in LOGINS.values():
        async with httpx.AsyncClient(base_url=stack.web_url, timeout=60) as browser:
            page = await browser.get("/dang-nhap")
            signed = await browser.post("/dang-nhap", data={"csrf": csrf_of(page.text), "login": login, "password": DEMO_PASSWORD})
            assert signed.status_code == 303, (login, visible_text(signed.text))
            home = await browser.get("/viec-can-lam")
            assert home.status_code == 200, (login, visible_text(home.text))
            if login in ("bithu", "canbo", "bantochuc"):
                assert "/ho-so/" in home.text, login  # dossiers waiting on them, each a link
                listing = await browser.get("/ho-so?trang-thai=tat-ca")
                assert listing.status_code == 200 and "Mở hồ sơ" in listing.text, login


async def test_demo_refuses_a_reference_day_in_the_future(stack: Stack) -> None:
    code, out = await stack.ketnap("demo", "--force", "--on", "2999-01-01")
    assert code == 2 and "không được sau hôm nay" in out


async def test_status_exits_non_zero_while_an_integrity_alarm_is_unacknowledged(stack: Stack) -> None:
    code, out = await stack.ketnap("status")
    assert code == 0, out
    code, out = await stack.ketnap("alarms", "list")
    assert code == 0 and "Không có cảnh báo toàn vẹn nào chưa xác nhận" in out, out
    pool = await asyncpg.create_pool(stack.database_url, min_size=1, max_size=2)
    try:
        events = [e async for batch in EventStore(pool, "dossiers").read_log(0) for e in batch]
    finally:
        await pool.close()
    opened = next(e for e in events if e.event_type == "DossierOpened")
    nc = await nats.connect(stack.env["NATS_URL"])
    try:
        await publish(nc, stack.env["KETNAP_DEPLOYMENT"], "dossiers", forged_withdrawal(opened, 99, events[-1].position + 1))
    finally:
        await nc.close()

    async def listed() -> list[tuple[str, str]] | None:
        code, out = await stack.ketnap("alarms", "list")
        found = re.findall(r"^(\w+) #(\d+): Tin «Rút hồ sơ» ở vị trí " + str(events[-1].position + 1) + " của sổ Hồ sơ", out, re.MULTILINE)
        return found if code == 1 and {service for service, _ in found} >= {"dossiers", "verification", "voting", "reporting"} else None

    found = await eventually(listed, timeout=60)
    code, out = await stack.ketnap("status")
    assert code == 1 and "ketnap alarms list" in out, out
    for service, number in found:
        code, out = await stack.ketnap("alarms", "acknowledge", service, number, "--ly-do", "Tin giả mạo, đã đối chiếu sổ")
        assert code == 0 and "Đã xác nhận" in out, out
    code, out = await stack.ketnap("alarms", "acknowledge", "dossiers", "999999")
    assert code == 1 and "Không có cảnh báo số 999999" in out, out
    code, out = await stack.ketnap("status")
    assert code == 0, out
    code, out = await stack.ketnap("alarms", "list", "--all")
    assert code == 0 and out.count("đã xác nhận bởi operator") == len(found), out
    assert out.count("lý do: Tin giả mạo, đã đối chiếu sổ") == len(found), out
    # Each acknowledgement is an event in a log: the service's own, or the gateway's for reporting (it has none).
    pool = await asyncpg.create_pool(stack.database_url, min_size=1, max_size=2)
    try:
        for service, number in found:
            log, stream = ("gateway", alarms.alarm_stream(int(number), service)) if service == "reporting" else (service, alarms.alarm_stream(int(number)))
            (acknowledged,) = await EventStore(pool, log).read_stream(stream)
            assert (acknowledged.event_type, acknowledged.actor, acknowledged.data["reason"]) == (
                "IntegrityAlarmAcknowledged", "operator", "Tin giả mạo, đã đối chiếu sổ",
            ), (service, number)
    finally:
        await pool.close()
