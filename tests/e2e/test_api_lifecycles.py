"""The whole system as separate processes (`ketnap up`), driven through the HTTP API only: fifty
applicants of a realistic province pushed along every path by users with tokens and roles, with
the dossiers and voting services killed (SIGKILL) mid-way and restarted by `ketnap up`. Every report,
read through the API, equals the figures computed from the plan; every projection equals its
rebuild; nothing is lost or counted twice."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from collections import Counter
from datetime import date
from typing import Any

import asyncpg
import nats
import pytest
from nats.aio.client import Client as NatsClient

from ketnap.operations.apiclient import ApiClient
from ketnap.operations.demo.driver import Driver
from ketnap.operations.demo.http_actors import HttpActors
from ketnap.operations.demo.plan import Plan, build_plan
from ketnap.operations.demo.progress import Progress
from ketnap.operations.demo.schedule import Path as DossierPath
from ketnap.platform.bus import requests
from ketnap.services import all_services
from ketnap.services.gateway.access import Role
from tests.conftest import eventually
from tests.e2e.up import Up
from tests.integration.demo import test_scenario as report_checks
from tests.integration.harness import consumers_caught_up

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]

APPLICANTS = 50
KILLED = ("dossiers", "voting")
"""A process manager and a service that decides, each killed while dossiers are in flight."""


REFORM = date(2025, 7, 1)
"""The district (HU-CL) was dissolved the day before: the gateway finds no such unit in later periods."""


class ApiView:
    """What the report checks of the demo tests read: the plan, and a report (here through the API)."""

    def __init__(self, plan: Plan, reader: ApiClient, nc: NatsClient) -> None:
        self.plan = plan
        self.reader = reader
        self.nc = nc
        self.refused: list[tuple[str, dict[str, Any]]] = []

    async def report(self, name: str, **fields: Any) -> dict[str, Any]:
        reply = await self.reader.query("reporting", name, fields)
        if not reply["ok"] and reply["error"]["code"] == "not_found" and self._after_the_district(fields):
            # The API refuses to name a unit that did not exist in the period (scope cannot be
            # judged on a unit that is not there); the service's own figures are still compared.
            self.refused.append((name, fields))
            reply = await requests.query(self.nc, "reporting", name, fields, timeout=120)
        assert reply["ok"], (name, fields, reply.get("error"))
        return reply["result"]

    @staticmethod
    def _after_the_district(fields: dict[str, Any]) -> bool:
        term = fields.get("term")
        first_year = fields.get("year") or (int(term[:4]) if term else date.today().year)
        return fields.get("organisation") == "HU-CL" and date(first_year, 1, 1) >= REFORM


async def settled(database_url: str) -> bool:
    """Every consumer of every service has applied its source log up to that log's head."""
    conn = await asyncpg.connect(database_url)
    try:
        return await consumers_caught_up(conn, all_services())
    finally:
        await conn.close()


def first_administrator(stack: Up, province: str) -> str:
    """`ketnap users add` and `ketnap users token`, as the operator does on a new deployment."""
    added = stack.ketnap("users", "add", "quantri", "--role", "administrator", "--org", province, "--name", "Quản trị tỉnh")
    assert added.returncode == 0, added.stdout + added.stderr
    issued = stack.ketnap("users", "token", "quantri")
    assert issued.returncode == 0, issued.stdout + issued.stderr
    (token,) = re.findall(r"ketnap\.[0-9a-f]{16}\.\S+", issued.stdout)
    return token


async def test_fifty_applicants_through_the_api_with_services_killed_midway(stack: Up) -> None:
    stack.start(timeout=180)
    state = stack.state()
    api = f"http://127.0.0.1:{stack.env['KETNAP_GATEWAY_PORT']}"
    database_url = state["database_url"]
    plan = build_plan(APPLICANTS)

    admin = ApiClient(api, first_administrator(stack, plan.province))
    nc = await nats.connect(state["nats_url"])
    actors = HttpActors(api, nc)
    progress: list[Progress] = []
    killed: dict[str, int] = {}

    def watch(step: Progress) -> None:
        progress.append(step)
        # Mid-way through the dossiers, with others in flight: kill -9, no warning.
        if step.phase == "dossiers" and step.done >= APPLICANTS // 3 and not killed:
            for name in KILLED:
                killed[name] = stack.state()["services"][name]
                os.kill(killed[name], signal.SIGKILL)

    try:
        # Each read of a dossier is recorded (a personal history): poll it gently.
        await Driver(plan, actors, progress=watch, wait_timeout=180, poll_seconds=0.5).run()
        assert killed, "the services were killed while the plan was being driven"
        restarted = stack.state()["services"]
        assert all(restarted[name] != pid for name, pid in killed.items()), "ketnap up restarted the killed services"
        assert progress[-1].text == f"{APPLICANTS}/{APPLICANTS} hồ sơ"
        await eventually(lambda: settled(database_url), timeout=120)

        # Every report through the API, read by the province's inspector, equals the plan's figures.
        view = ApiView(plan, actors(Role.INSPECTOR, plan.province), nc)
        await report_checks.test_quota_per_organisation_year_and_term(view)
        await report_checks.test_new_member_statistics(view)
        await report_checks.test_pipeline_steps_time_endings_and_rejections(view)
        await report_checks.test_classes_and_attendees(view)
        await report_checks.test_white_zones(view)
        await report_checks.test_open_and_overdue_deadlines(view)
        await report_checks.test_audit_history_of_a_dossier_on_each_kind_of_path(view)
        assert set(Counter(d.path for d in plan.dossiers)) == set(DossierPath)
        assert {fields.get("year") for _, fields in view.refused} <= {2026, None}, view.refused

        # The administrator made at the command line works through the API, in scope.
        users = await admin.query("gateway", "users", {})
        assert users["ok"] and {u["login"] for u in users["result"]["users"]} >= {"quantri"}

        # The CLI, as a user with a token: reports as tables within their scope; a refused write says why.
        inspector = actors.tokens["demo.inspector." + plan.province.lower()]
        as_inspector = {"KETNAP_TOKEN": inspector, "KETNAP_API_URL": api}
        table = await asyncio.to_thread(stack.ketnap_as, as_inspector, "report", "quota", "--org", plan.province, "--term", "2025-2030")
        assert table.returncode == 0 and plan.province in table.stdout, table.stdout + table.stderr
        generic = await asyncio.to_thread(stack.ketnap_as, as_inspector, "api", "ask", "reporting", "pipeline", f"organisation={plan.province}")
        assert generic.returncode == 0 and plan.province in generic.stdout, generic.stdout + generic.stderr
        dossier = plan.dossiers[0].dossier_id
        refused = await asyncio.to_thread(stack.ketnap_as, as_inspector, "api", "send", "dossiers", "withdraw", f"dossier_id={dossier}", "on=2026-11-20")
        assert refused.returncode == 1 and "Lỗi (forbidden)" in refused.stderr and "Ủy ban kiểm tra" in refused.stderr, refused.stderr
    finally:
        await actors.aclose()
        await admin.aclose()
        await nc.close()

    # The live projections equal their rebuild from the logs: nothing lost, nothing counted twice.
    verified = await asyncio.to_thread(stack.ketnap, "projections", "rebuild", "--verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    audit = await asyncio.to_thread(stack.ketnap, "audit", "verify")
    assert audit.returncode == 0, audit.stdout + audit.stderr
