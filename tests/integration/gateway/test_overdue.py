"""`verification.overdue` through the API covers the reader's subtree, like every other report: a
grassroots (commune) committee and the province see the requests of every cell below them."""

from __future__ import annotations

from tests.conftest import eventually
from tests.integration.gateway.test_personal_reads import declared_dossier
from tests.integration.gateway.world import World


async def test_a_commune_board_sees_the_overdue_requests_of_every_cell_below_it(world: World) -> None:
    dossier_id = await declared_dossier(world)

    async def request_sent() -> bool:
        sent = await world.command("canbo.a", "verification", "send_request", {
            "dossier_id": dossier_id, "subject_id": "applicant", "sent_to": "UB-XA", "sent_on": "2025-10-13", "sent_by": "DU-A"})
        return sent.status_code == 200

    await eventually(request_sent)  # the case opens once the verification service has read the declaration

    async def overdue(login: str, **body: str) -> list[str]:
        answer = await world.query(login, "verification", "overdue", {"on": "2026-06-01", **body})
        assert answer.status_code == 200, answer.text
        return [item["dossier_id"] for item in answer.json()["result"]["items"]]

    async def listed() -> bool:
        return dossier_id in await overdue("canbo.a")

    await eventually(listed)
    assert dossier_id in await overdue("canbo.a", cell="DU-A")
    assert dossier_id in await overdue("bantochuc")
    assert dossier_id in await overdue("bithu.a1")
    assert dossier_id not in await overdue("canbo.b")
    assert dossier_id not in await overdue("bithu.a2")
