"""A province and two communes as three deployments joined by NATS leaf nodes (issue #9).

Each side records only its own units; the province sees the communes' logs through sourced
streams, verified link by link, and the communes see the province's tree. Cutting the link leaves
both sides working; restoring it converges them; a commune that rewrites its past is caught above.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ketnap.platform.anchors import Anchor, latest_anchor, load_public_key
from ketnap.platform.eventstore import EventStore
from ketnap.platform.federation.links import kept_log_name
from tests.conftest import eventually
from tests.forgery import overwrite, with_data
from tests.integration.federation.linked import Deployment, linked_deployments
from tests.servers import Servers

PROVINCE, COMMUNES = "tinh", ["xa-a", "xa-b"]


@pytest.fixture(scope="module")
async def levels(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Deployment, list[Deployment]]]:
    async with linked_deployments(tmp_path_factory.mktemp("levels"), servers.postgres_url, PROVINCE, COMMUNES) as found:
        yield found


def officer(org: str) -> dict[str, str]:
    return {"actor": f"can-bo-{org.lower()}", "scope": org}


async def ok(reply: dict) -> dict:
    assert reply["ok"], reply
    return reply


async def establish(at: Deployment, code: str, kind: str, parent: str | None, by: str) -> None:
    await ok(await at.send("registry", "establish_organisation", {
        **officer(by), "code": code, "name": f"Tổ chức {code}", "kind": kind, "parent": parent, "effective_from": "2020-01-01",
    }))


async def quota(at: Deployment, organisation: str, quantity: int, by: str, year: str = "2026") -> None:
    await ok(await at.send("registry", "assign_quota", {
        **officer(by), "organisation": organisation, "period": year, "quantity": quantity, "assigned_by": by,
        # Decided before the year it is for (a decision date may not be in the future).
        "decision_date": f"{int(year) - 1}-12-01",
    }))


async def settled(*deployments: Deployment) -> None:
    """Every kept log holds its origin's whole log, and every consumer everywhere has applied it."""

    async def check() -> bool:
        for d in deployments:
            for kept in [k for s in d.services for k in s.kept_logs]:
                origin = next(x for x in deployments if kept.endswith("_at_" + x.id.replace("-", "_")))
                if await d.head(kept) < await origin.head(kept.split("_at_")[0]):
                    return False
            if not await d.caught_up():
                return False
        return True

    await eventually(check, timeout=240, interval=0.2)


@pytest.fixture(scope="module")
async def tree(levels: tuple[Deployment, list[Deployment]]) -> tuple[Deployment, list[Deployment]]:
    province, communes = levels
    await establish(province, "TU", "province", None, "TU")
    for commune in communes:
        code = commune.id.upper()
        await establish(province, code, "upper_committee", "TU", "TU")
        await quota(province, code, 10, "TU")
    await settled(province, *communes)  # each commune now knows the units above it
    for commune in communes:
        code = commune.id.upper()
        for n in (1, 2):
            await establish(commune, f"DB-{code}-{n}", "grassroots_committee", code, code)
            await quota(commune, f"DB-{code}-{n}", 3 + n, code)
    await settled(province, *communes)
    return province, communes


async def quota_report(at: Deployment, organisation: str, **extra: object) -> dict:
    return await at.ask("reporting", "quota", {"organisation": organisation, "year": 2026, **extra})


async def test_a_commune_builds_under_units_recorded_by_the_province(tree: tuple[Deployment, list[Deployment]]) -> None:
    province, communes = tree
    for commune in communes:
        code = commune.id.upper()
        unit = await commune.ask("registry", "organisation", {"code": f"DB-{code}-1", "on": "2026-03-01"})
        assert [a["code"] for a in unit["ancestors"]] == [code, "TU"]
        # The province's registry knows the commune's units through the kept log, as its own.
        above = await province.ask("registry", "organisation", {"code": f"DB-{code}-1", "on": "2026-03-01"})
        assert above["ancestors"] == unit["ancestors"]


async def test_the_province_report_rolls_up_each_commune_exactly(tree: tuple[Deployment, list[Deployment]]) -> None:
    province, communes = tree
    above = await quota_report(province, "TU")
    rows = {row["code"]: row for row in above["children"]}
    for commune in communes:
        code = commune.id.upper()
        own = await quota_report(commune, code)
        # The commune's own report and the province's view of the same commune are the same report.
        assert await quota_report(province, code) == own
        assert rows[code]["quota"] == own["quota"] == 10
        assert own["children_quota_total"] == 4 + 5
    assert above["children_quota_total"] == 10 * len(communes)


async def test_the_link_down_both_sides_work_and_converge_when_it_returns(tree: tuple[Deployment, list[Deployment]]) -> None:
    province, communes = tree
    commune = communes[0]
    code = commune.id.upper()
    assert commune.proxy is not None
    await commune.proxy.cut()
    # Both sides keep accepting work while the link is down.
    for n in range(3, 8):
        await establish(commune, f"DB-{code}-{n}", "grassroots_committee", code, code)
        await quota(commune, f"DB-{code}-{n}", n, code)
    await quota(province, code, 12, "TU", year="2027")
    links = (await province.ask("federation", "links", {"origin": commune.id}))["links"]
    behind = {link["kept_log"]: link["kept_head"] for link in links}
    assert behind["registry_at_xa_a"] < await commune.head("registry")
    # Each side's `ketnap status` shows the link cut, with how far its copy goes, and fails.
    above = await eventually(lambda: shown_cut(province, "registry_at_xa_a"), timeout=60, interval=1)
    assert f"mới giữ đến vị trí {behind['registry_at_xa_a']}" in above
    await eventually(lambda: shown_cut(commune, "registry_at_tinh"), timeout=60, interval=1)
    await commune.proxy.restore()
    await settled(province, *communes)
    # Nothing lost, nothing doubled: the kept log is the commune's log, event for event.
    async with province.pool.acquire() as up, commune.pool.acquire() as down:  # type: ignore[union-attr]
        kept = await up.fetch("SELECT position, hash FROM registry_at_xa_a.events ORDER BY position")
        own = await down.fetch("SELECT position, hash FROM registry.events ORDER BY position")
    assert [tuple(r) for r in kept] == [tuple(r) for r in own]
    # The link shows as restored at its next contact, a few seconds after the copy caught up;
    # until then the province's report says it may be incomplete (and is otherwise the same).
    async def whole() -> dict | None:
        report = await quota_report(province, code)
        return None if "incomplete" in report else report

    assert await eventually(whole, timeout=60, interval=0.5) == await quota_report(commune, code)
    report_2027 = await commune.ask("reporting", "quota", {"organisation": code, "year": 2027})
    assert report_2027["quota"] == 12  # the province's decision reached the commune once the link returned
    for deployment in (province, *communes):
        await verify_projections(deployment)
    for deployment in (province, commune):
        status = await ketnap_cli(deployment, "status")
        assert "ĐỨT" not in status.stdout, status.stdout


async def shown_cut(at: Deployment, kept: str) -> str | None:
    """The line of `ketnap status` saying what `kept` misses, once it shows the link cut."""
    status = await ketnap_cli(at, "status")
    line = next((line for line in status.stdout.splitlines() if line.startswith(kept)), "")
    missing = next((line for line in status.stdout.splitlines() if "bị ĐỨT" in line and f" {kept} " in line), None)
    if "ĐỨT" not in line or missing is None:
        return None
    assert status.returncode == 1, status.stdout
    return missing


async def verify_projections(deployment: Deployment) -> None:
    from ketnap.platform import projections

    for service in deployment.services:
        for projection in service.projections:
            differences = await projections.verify(deployment.pool, projection)  # type: ignore[arg-type]
            assert differences == [], (deployment.id, projection.name, differences)


async def test_the_province_keeps_each_communes_signed_heads_with_its_logs(tree: tuple[Deployment, list[Deployment]]) -> None:
    """The level above keeps the anchors of the logs it keeps, out of the lower level's reach."""
    province, communes = tree
    assert province.nc is not None and province.pool is not None
    for commune in communes:
        kept = kept_log_name("registry", commune.id)

        async def signed_and_kept(c: Deployment = commune, log: str = kept) -> Anchor | None:
            anchor = await latest_anchor(province.nc.jetstream(), c.id, "registry")  # type: ignore[union-attr]
            return anchor if anchor and 0 < anchor.position <= await province.head(log) else None

        # After the cut of the test above (long enough to be shown cut), the anchors' sourcing
        # resumes only after the server's retry back-off: issue 24, "catch-up starts within seconds".
        anchor = await eventually(signed_and_kept, timeout=120, interval=0.5)
        key = load_public_key(commune.root / "keys" / commune.id / "registry.pub")
        assert key is not None and anchor.verified_by(key)
        assert await province.pool.fetchval(f"SELECT hash FROM {kept}.events WHERE position = $1", anchor.position) == anchor.hash


async def test_a_commune_that_rewrites_its_past_is_caught_above(tree: tuple[Deployment, list[Deployment]], tmp_path: Path) -> None:
    province, communes = tree
    commune = communes[1]
    code = commune.id.upper()
    store = EventStore(commune.pool, "registry")  # type: ignore[arg-type]
    events = [e for batch in [b async for b in store.read_log(0)] for e in batch]
    target = next(e for e in events if e.event_type == "QuotaAssigned")
    # An insider with full access lowers a quota and re-hashes everything after it, so the
    # commune's own chain still verifies; then the commune works on as usual.
    async with commune.pool.acquire() as conn:  # type: ignore[union-attr]
        await overwrite(conn, "registry", with_data(events, target.position, {**target.data, "quantity": 0}))
    await establish(commune, f"DB-{code}-9", "grassroots_committee", code, code)
    new_position = await commune.head("registry")

    async def alarm() -> list:
        # The keepers' refusals are the federation service's integrity alarms, as any consumer's.
        items = (await province.ask("federation", "integrity_alarms", {}))["items"]
        return [a for a in items if a["source"] == kept_log_name("registry", commune.id) and a["consumer"] == "federation"]

    found = await eventually(alarm, timeout=30)
    assert [(a["source"], a["position"], a["kind"]) for a in found] == [("registry_at_xa_b", new_position, "broken_link")]
    assert commune.id in found[0]["message"] and str(new_position) in found[0]["message"]
    assert await province.head("registry_at_xa_b") == new_position - 1  # nothing after the break is kept
    result = await ketnap_cli(province, "audit", "verify", "--deployment", commune.id)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"vị trí {new_position}" in result.stdout and "đứt mắt xích" in result.stdout
    intact = await ketnap_cli(province, "audit", "verify", "--deployment", communes[0].id)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    status = await ketnap_cli(province, "status")
    assert status.returncode == 1, status.stdout  # answering, but a link has an alarm
    # The keeper's alarm; the commune's own check may have seen the rewrite too and told it up.
    line = next(line for line in status.stdout.splitlines() if line.startswith("registry_at_xa_b"))
    assert int(line.split()[-1]) >= 1, status.stdout
    federation = next(line for line in status.stdout.splitlines() if line.startswith("federation "))
    assert int(federation.split()[-1]) >= 1, status.stdout  # counted with every service's integrity alarms
    listed = await ketnap_cli(province, "alarms", "list")
    assert re.search(
        rf"^federation #{found[0]['id']}: (Tin «[^»]+»|Một tin) ở vị trí {new_position} của sổ Tổ chức và đảng viên của đơn vị triển khai xa-b",
        listed.stdout, re.MULTILINE,
    ), listed.stdout


async def test_an_event_edited_in_place_below_reaches_the_province_as_an_alarm(tree: tuple[Deployment, list[Deployment]]) -> None:
    province, communes = tree
    commune = communes[0]
    store = EventStore(commune.pool, "registry")  # type: ignore[arg-type]
    events = [e for batch in [b async for b in store.read_log(0)] for e in batch]
    target = next(e for e in events if e.event_type == "QuotaAssigned")
    # An insider changes a quota in the commune's database and leaves every hash as it was: the
    # province's copy is intact, the commune's streams carry the old event, nothing travels.
    async with commune.pool.acquire() as conn:  # type: ignore[union-attr]
        await overwrite(conn, "registry", [dataclasses.replace(target, data={**target.data, "quantity": 0})])

    async def raised(at: Deployment, service: str, consumer: str) -> list:
        return [a for a in (await at.ask(service, "integrity_alarms", {}))["items"] if a["consumer"] == consumer]

    # The commune's registry finds it by itself, without an operator running `audit verify`...
    (below,) = await eventually(lambda: raised(commune, "registry", "registry.chain_check"), timeout=60)
    assert (below["source"], below["position"], below["kind"]) == ("registry", target.position, "altered")
    status = await ketnap_cli(commune, "status")
    assert status.returncode == 1, status.stdout
    # ... and the province shows it beside its own, on the link of that log.
    (above,) = await eventually(lambda: raised(province, "federation", f"registry.chain_check@{commune.id}"), timeout=60)
    assert (above["source"], above["position"], above["kind"]) == (kept_log_name("registry", commune.id), target.position, "altered")
    status = await ketnap_cli(province, "status")
    assert status.returncode == 1, status.stdout
    line = next(line for line in status.stdout.splitlines() if line.startswith(kept_log_name("registry", commune.id)))
    assert line.split()[-1] == "1", status.stdout
    listed = await ketnap_cli(province, "alarms", "list")
    assert f"ở vị trí {target.position} của sổ Tổ chức và đảng viên của đơn vị triển khai xa-a: nội dung không khớp mã băm" in listed.stdout
    # Acknowledged above with a reason (what the operator found), it no longer counts there.
    acknowledged = await ketnap_cli(province, "alarms", "acknowledge", "federation", str(above["id"]), "--ly-do", "Đã báo xã khôi phục")
    assert acknowledged.returncode == 0, acknowledged.stdout + acknowledged.stderr
    assert await raised(province, "federation", f"registry.chain_check@{commune.id}") == []


async def ketnap_cli(at: Deployment, *args: str) -> subprocess.CompletedProcess[str]:
    """The operator's command, in a thread: the deployments' services run on this test's loop."""
    assert at.settings is not None
    env = dict(os.environ, DATABASE_URL=at.settings.database_url or "", NATS_URL=at.settings.nats_url or "",
               KETNAP_DEPLOYMENT=at.id, KETNAP_LOWERS=",".join(at.lowers), KETNAP_UPPER=at.upper.id if at.upper else "")
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "ketnap.operations.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )
