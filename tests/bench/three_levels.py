"""Three levels (issue #24), in one process: a province, a middle deployment and a commune started
by `tests.integration.federation.linked.chained_deployments`, each link through a `LinkProxy`.

For a cut at each link in turn: the link cut, a few units established in the commune (each with
its quota), the link restored; the seconds from the restore until the province's report of the
commune's unit equals the commune's own, beside the baseline of the same run: raw JetStream
sourcing of as many messages across the same leaf link after the same kind of outage (a stream
created while the link is down, so nats-server alone waits out its source retry backoff).

Nothing is asserted beyond the convergence itself.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ketnap.platform.bus import requests
from ketnap.platform.envelope import RecordedEvent, to_wire
from ketnap.platform.eventstore import EventStore
from tests.bench.federation import _raw_sourcing, _until
from tests.bench.reporting import Measured
from tests.integration.federation.linked import Deployment, chained_deployments
from tests.servers import real_servers

TOP, MIDDLE, BOTTOM = "tinh", "huyen", "xa"
UNIT = "DU-XA"


def progress(text: str) -> None:
    print(f"  ... {text}", file=sys.stderr, flush=True)


async def three_level_figures(root: Path, changes: int) -> list[Measured]:
    with real_servers(root / "servers") as servers:
        progress(f"starting {TOP} above {MIDDLE} above {BOTTOM} in this process, every service of each")
        async with chained_deployments(root / "levels", servers.postgres_url, [TOP, MIDDLE, BOTTOM]) as chain:
            top, middle, bottom = chain
            await _tree(top, middle, bottom)
            figures = []
            for lower, name in ((bottom, f"{BOTTOM}↔{MIDDLE}"), (middle, f"{MIDDLE}↔{TOP}")):
                figures.append(await _converge_after_cut(chain, lower, name, changes))
            return figures


async def _ok(reply: dict) -> None:
    assert reply["ok"], reply


async def _establish(at: Deployment, code: str, kind: str, parent: str | None, by: str) -> None:
    await _ok(await at.send("registry", "establish_organisation", {
        "actor": "bench", "scope": by, "code": code, "name": code, "kind": kind, "parent": parent, "effective_from": "2020-01-01",
    }))


async def _report(at: Deployment) -> dict:
    return await at.ask("reporting", "quota", {"organisation": UNIT, "year": 2026})


async def _same_report(at: Deployment, bottom: Deployment) -> bool:
    return await _report(at) == await _report(bottom)


async def _tree(top: Deployment, middle: Deployment, bottom: Deployment) -> None:
    await _establish(top, "TU", "province", None, "TU")
    await _establish(top, "HUYEN", "upper_committee", "TU", "TU")
    await _until(lambda: _knows(middle, "HUYEN"), every=0.1, timeout=300)
    await _establish(middle, UNIT, "grassroots_committee", "HUYEN", "HUYEN")
    await _until(lambda: _knows(bottom, UNIT), every=0.1, timeout=300)
    await _until(lambda: _same_report(top, bottom), every=0.1, timeout=300)


async def _knows(at: Deployment, code: str) -> bool:
    reply = await requests.query(at.nc, "registry", "organisation", {"code": code, "on": "2026-03-01"}, timeout=5)  # type: ignore[arg-type]
    return bool(reply["ok"])


async def _converge_after_cut(chain: list[Deployment], lower: Deployment, name: str, changes: int) -> Measured:
    top, _, bottom = chain
    assert lower.proxy is not None
    await lower.proxy.cut()
    progress(f"link {name} cut; {changes} units with their quota established in {BOTTOM}")
    for n in range(changes):
        code = f"CB-{name[:2].upper()}-{n}"
        await _establish(bottom, code, "cell", UNIT, UNIT)
        await _ok(await bottom.send("registry", "assign_quota", {
            "actor": "bench", "scope": UNIT, "organisation": code, "period": "2026", "quantity": 1, "assigned_by": UNIT,
            "decision_date": "2025-12-01",
        }))
    await _until(lambda: _published(bottom), every=0.1, timeout=300)
    await lower.proxy.restore()
    restored = time.perf_counter()
    await _until(lambda: _same_report(top, bottom), every=0.05, timeout=600)
    seconds = time.perf_counter() - restored
    progress(f"{TOP}'s report equals {BOTTOM}'s {seconds:.1f} s after the restore of {name}")
    sample = await _any_event(bottom)
    moved = 2 * changes
    _, raw_first = await _raw_sourcing(
        lower.upper, lower, moved, to_wire(sample, "registry", lower.id), domain=lower.id,  # type: ignore[arg-type]
    )
    return Measured(
        f"cut {name}: restore → {TOP} report = {BOTTOM}'s", seconds, "s", raw_first,
        f"baseline: raw JetStream sourcing across the same link, restore → first of {moved} msgs (nats-server's retry backoff)",
    )


async def _published(deployment: Deployment) -> bool:
    from ketnap.platform.bus.relay import relay_state

    async with deployment.pool.acquire() as conn:  # type: ignore[union-attr]
        return (await relay_state(conn, "registry")).lag == 0


async def _any_event(deployment: Deployment) -> RecordedEvent:
    store = EventStore(deployment.pool, "registry")  # type: ignore[arg-type]
    async for batch in store.read_log(0, batch_size=1):
        return batch[0]
    raise LookupError("empty log")


__all__ = ["three_level_figures"]
