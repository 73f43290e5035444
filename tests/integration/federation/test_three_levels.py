"""Three levels (issue #24): a province, a district-level deployment below it and a commune below
that. The middle deployment passes up what it keeps from the commune, verified, so the province
keeps and verifies the commune's logs too and its report of the commune's units is the commune's
own; a cut at either link delays that and loses or doubles nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import eventually
from tests.integration.federation.linked import Deployment, chained_deployments
from tests.integration.federation.test_linked_deployments import establish, ok, quota, quota_report, settled, verify_projections
from tests.servers import Servers

TOP, MIDDLE, BOTTOM = "tinh", "huyen", "xa"


@pytest.fixture(scope="module")
async def chain(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[list[Deployment]]:
    async with chained_deployments(tmp_path_factory.mktemp("three"), servers.postgres_url, [TOP, MIDDLE, BOTTOM]) as found:
        await build_tree(found)
        yield found


async def build_tree(chain: list[Deployment]) -> None:
    """Each level records its own units: the province the district, the district the commune's
    committee, the commune its cell, a helper, two dossiers in progress and one admission."""
    top, middle, bottom = chain
    await establish(top, "TU", "province", None, "TU")
    await establish(top, "HUYEN", "upper_committee", "TU", "TU")
    await quota(top, "HUYEN", 10, "TU")
    await settled(*chain)
    await establish(middle, "DU-XA", "grassroots_committee", "HUYEN", "HUYEN")
    await quota(middle, "DU-XA", 4, "HUYEN")
    await settled(*chain)
    await establish(bottom, "CB-XA", "cell", "DU-XA", "DU-XA")
    await ok(await bottom.send("registry", "register_member", {
        "actor": "can-bo-du-xa", "scope": "DU-XA", "citizen_id": HELPER, "full_name": "Đảng viên Giúp Đỡ",
        "organisation": "CB-XA", "kind": "official", "effective_from": "2020-06-01",
    }))
    for _ in range(2):
        await open_dossier(bottom)
    await admit_on_paper(bottom)
    await settled(*chain)


HELPER = "001900000001"


def citizen() -> str:
    return f"0019{uuid.uuid4().int % 10**8:08d}"


async def open_dossier(at: Deployment) -> None:
    await ok(await at.send("dossiers", "open_dossier", {
        "actor": "can-bo-cb-xa", "scope": "CB-XA", "cell": "CB-XA", "citizen_id": citizen(), "full_name": "Quần Chúng Ưu Tú",
        "opened_on": "2026-02-02", "helper_citizen_id": HELPER,
    }))


async def admit_on_paper(at: Deployment) -> None:
    await ok(await at.send("registry", "record_paper_admission", {
        "actor": "can-bo-du-xa", "scope": "DU-XA", "citizen_id": citizen(), "full_name": "Người Được Kết Nạp",
        "organisation": "CB-XA", "decided_by": "DU-XA", "decision_number": "5-QĐ/ĐU", "decision_date": "2026-03-02",
    }))


async def rolls_up(top: Deployment, middle: Deployment, bottom: Deployment) -> None:
    """Every level's report of the commune's unit is the commune's own, and the province's total
    counts it: the top equals the sum below."""
    own = await quota_report(bottom, "DU-XA")
    assert await quota_report(middle, "DU-XA") == own
    assert await quota_report(top, "DU-XA") == own
    above = await quota_report(top, "HUYEN")
    assert above == await quota_report(middle, "HUYEN")
    assert (above["achieved"], above["in_progress"]) == (own["achieved"], own["in_progress"]), (above, own)


async def test_a_report_over_a_lower_deployment_never_heard_from_says_so(servers: Servers, tmp_path: Path) -> None:
    """A province whose commune never joined: its report says what it cannot count, rather than 0.
    (First in the module: it runs before the three levels start, so the database is not crowded.)"""
    alone = Deployment("tinh-mot", tmp_path / "tinh-mot", servers.postgres_url, lowers=["xa-vang"])
    try:
        await alone.start_nats()
        await alone.start()
        await establish(alone, "TU-MOT", "province", None, "TU-MOT")
        await eventually(alone.caught_up, timeout=60, interval=0.2)
        report = await quota_report(alone, "TU-MOT")
        assert report["incomplete"]["deployments"] == [{"deployment": "xa-vang", "reason": "never_heard"}]
        assert report["incomplete"]["note"].startswith("Báo cáo có thể chưa đầy đủ: chưa nhận được gì từ xa-vang")
    finally:
        await alone.close()


async def test_the_province_keeps_and_verifies_the_communes_logs_through_the_middle(chain: list[Deployment]) -> None:
    top, middle, bottom = chain
    for log in ("registry", "dossiers"):
        async with top.pool.acquire() as up, bottom.pool.acquire() as down:  # type: ignore[union-attr]
            kept = await up.fetch(f"SELECT position, hash FROM {log}_at_xa.events ORDER BY position")
            own = await down.fetch(f"SELECT position, hash FROM {log}.events ORDER BY position")
        assert [tuple(r) for r in kept] == [tuple(r) for r in own] and own
    links = {link["kept_log"]: link for link in (await top.ask("federation", "links", {"origin": BOTTOM}))["links"]}
    assert links["dossiers_at_xa"]["alarms"] == 0 and not links["dossiers_at_xa"]["cut"]
    report = await quota_report(top, "DU-XA")
    assert (report["achieved"], report["in_progress"]["total"]) == (1, 2), report
    await rolls_up(top, middle, bottom)


@pytest.mark.parametrize("cut", [BOTTOM, MIDDLE])
async def test_a_cut_at_either_link_converges_when_it_returns(chain: list[Deployment], cut: str) -> None:
    await cut_converges(chain, cut)


async def cut_converges(chain: list[Deployment], cut: str) -> None:
    """The link joining `cut` to the level above cut while the commune works; the province shows
    it cut and its report says what it may miss; restored, every level converges, top = below."""
    top, middle, bottom = chain
    lower = bottom if cut == BOTTOM else middle
    assert lower.proxy is not None
    before = await quota_report(top, "DU-XA")
    await lower.proxy.cut()
    try:
        await open_dossier(bottom)
        await admit_on_paper(bottom)
        # Nothing reaches the province while a link on the way is cut; the province sees that
        # link cut (the one further down too, told by the middle) and its report says it may miss
        # what the commune recorded since, instead of passing the old figures for whole ones.
        await eventually(lambda: middle_has(middle, bottom) if cut == MIDDLE else true(), timeout=120, interval=0.5)
        shown = await eventually(lambda: shown_cut(top), timeout=120, interval=0.5)
        assert shown["cut_between"] == [MIDDLE, BOTTOM] if cut == BOTTOM else "cut_between" not in shown, shown
        report = await quota_report(top, "DU-XA")
        missing = report.pop("incomplete")
        assert {"deployment": BOTTOM, "reason": "cut"} in missing["deployments"], missing
        assert "đường nối tới xa đang bị đứt" in missing["note"], missing
        assert report == before
    finally:
        await lower.proxy.restore()
    await settled(*chain)
    # The kept logs may be whole (a gap is filled by a request) a moment before the restarted
    # sourcing is heard from again; until then the link still shows cut, and the report says so.
    await eventually(lambda: whole(top), timeout=120, interval=0.5)
    after = await quota_report(top, "DU-XA")
    assert (after["achieved"], after["in_progress"]["total"]) == (before["achieved"] + 1, before["in_progress"]["total"] + 1)
    await rolls_up(top, middle, bottom)
    for deployment in chain:
        await verify_projections(deployment)


async def shown_cut(top: Deployment) -> dict | None:
    links = (await top.ask("federation", "links", {"origin": BOTTOM}))["links"]
    state = next(link for link in links if link["kept_log"] == "dossiers_at_xa")
    return state if state["cut"] else None


async def whole(top: Deployment) -> bool:
    return "incomplete" not in await quota_report(top, "DU-XA")


async def middle_has(middle: Deployment, bottom: Deployment) -> bool:
    return await middle.head("registry_at_xa") == await bottom.head("registry")


async def true() -> bool:
    return True
