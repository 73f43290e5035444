"""A command retried with the same Idempotency-Key gets its first answer, unchanged, whatever
happened since (services/gateway/answers.py): the status, the body and the command's `result`."""

from __future__ import annotations

import asyncio
import json

from ketnap.platform.bus import subjects
from ketnap.services.gateway.api import own_key
from tests.integration.gateway.world import HELPERS, World


async def test_a_dissolved_unit_retried_gets_the_first_200(world: World) -> None:
    await world.registry("establish_organisation", code="CB-TAN", name="Chi bộ tan", kind="cell", parent="DU-B",
                         effective_from="2005-01-01")
    body = {"code": "CB-TAN", "effective_from": "2025-06-30", "reason": "Sáp xếp lại"}
    first = await world.command("bantochuc", "registry", "dissolve_organisation", body, key="giai-the-cb-tan")
    assert first.status_code == 200, first.text
    head = await world.store("registry").head_position()
    again = await world.command("bantochuc", "registry", "dissolve_organisation", body, key="giai-the-cb-tan")
    assert again.status_code == 200 and again.json() == first.json(), again.text
    assert await world.store("registry").head_position() == head
    # A new key is a new command, judged on the state of now.
    other = await world.command("bantochuc", "registry", "dissolve_organisation", body, key="giai-the-cb-tan-2")
    assert other.status_code != 200


async def test_open_dossier_retried_after_a_transfer_gets_the_first_answer(world: World) -> None:
    body = {"cell": "CB-A1", "citizen_id": "001098012360", "full_name": "Vũ Thị Lan", "opened_on": "2025-09-01",
            "helper_citizen_id": HELPERS["CB-A1"]}
    first = await world.command("bithu.a1", "dossiers", "open_dossier", body, key="mo-ho-so-lan-01")
    assert first.status_code == 200, first.text
    dossier_id = first.json()["result"]["dossier_id"]
    moved = await world.command("canbo.a", "dossiers", "transfer", {"dossier_id": dossier_id, "on": "2025-09-10", "to_cell": "CB-A2"})
    assert moved.status_code == 200, moved.text
    # The dossier is no longer CB-A1's: a fresh request by its secretary would be 403.
    assert (await world.command("bithu.a1", "dossiers", "withdraw", {"dossier_id": dossier_id, "on": "2025-09-11"})).status_code == 403
    again = await world.command("bithu.a1", "dossiers", "open_dossier", body, key="mo-ho-so-lan-01")
    assert again.status_code == 200 and again.json() == first.json(), again.text


async def test_a_retry_after_the_service_died_between_commit_and_reply_gets_the_answer(world: World) -> None:
    """The command committed, but its answer never reached the gateway (the service died before
    replying; here the reply goes elsewhere and the service is then stopped and started again, as
    its supervisor does): the user's retry is answered from the service's log, result included."""
    key = "mo-ho-so-mat-tra-loi"
    body = {"cell": "CB-A1", "citizen_id": "001098012361", "full_name": "Hà Văn Tú", "opened_on": "2025-09-01",
            "helper_citizen_id": HELPERS["CB-A1"]}
    committed = json.loads((await world.nc.request(
        subjects.command_subject(world.name("dossiers"), "open_dossier"),
        json.dumps({**body, "idempotency_key": own_key("bithu.a1", key), "actor": "bithu.a1", "scope": "CB-A1"}).encode(), timeout=30,
    )).data)
    assert committed["ok"], committed
    await world.stop_service("dossiers")
    await world.start_service("dossiers")
    head = await world.store("dossiers").head_position()
    retried = await world.command("bithu.a1", "dossiers", "open_dossier", body, key=key)
    assert retried.status_code == 200, retried.text
    answer = retried.json()
    fields = ("stream_id", "event_ids", "result")
    assert [answer[f] for f in fields] == [committed[f] for f in fields]
    assert answer["result"]["dossier_id"]
    assert await world.store("dossiers").head_position() == head, "nothing written twice"
    # From now on the gateway keeps it too: the same answer again.
    assert (await world.command("bithu.a1", "dossiers", "open_dossier", body, key=key)).json() == answer


async def test_answers_are_kept_per_user_and_survive_a_restart_of_the_gateway(world: World) -> None:
    body = {"cell": "CB-A1", "citizen_id": "001098012362", "full_name": "Lý Thị Hằng", "opened_on": "2025-09-01",
            "helper_citizen_id": HELPERS["CB-A1"]}
    first = await world.command("bithu.a1", "dossiers", "open_dossier", body, key="mo-ho-so-hang-1")
    assert first.status_code == 200, first.text
    await world.stop_service("gateway")
    world.listener.ready.clear()
    await world.start_service("gateway")
    await asyncio.wait_for(world.listener.ready.wait(), 30)
    world.http.base_url = world.listener.url
    again = await world.command("bithu.a1", "dossiers", "open_dossier", body, key="mo-ho-so-hang-1")
    assert again.status_code == 200 and again.json() == first.json(), again.text
    kept = await world.store("gateway").read_stream(f"answer-{own_key('bithu.a1', 'mo-ho-so-hang-1')}")
    assert [e.event_type for e in kept] == ["AnswerKept"]


async def test_the_same_key_with_another_request_is_refused_not_answered_with_the_first(world: World) -> None:
    """A key names one command (IETF draft: 422). Answering a different body with the first answer
    would tell the user that a command they never sent was done."""
    body = {"cell": "CB-A1", "citizen_id": "001098012372", "full_name": "Lê Văn Cường", "opened_on": "2025-09-01",
            "helper_citizen_id": HELPERS["CB-A1"]}
    first = await world.command("bithu.a1", "dossiers", "open_dossier", body, key="mo-ho-so-cuong-01")
    assert first.status_code == 200, first.text
    head = await world.store("dossiers").head_position()
    # The same body with its keys in another order is the same request: the first answer.
    reordered = dict(reversed(list(body.items())))
    assert (await world.command("bithu.a1", "dossiers", "open_dossier", reordered, key="mo-ho-so-cuong-01")).json() == first.json()
    other = {**body, "citizen_id": "001098012373", "full_name": "Lê Văn Dũng"}
    refused = await world.command("bithu.a1", "dossiers", "open_dossier", other, key="mo-ho-so-cuong-01")
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["details"]["header"] == "Idempotency-Key" and "khóa mới" in error["message"]
    assert await world.store("dossiers").head_position() == head
    # Another route with the same key is another command too.
    elsewhere = await world.command("bithu.a1", "dossiers", "withdraw", {"dossier_id": first.json()["result"]["dossier_id"], "on": "2025-09-11"},
                                    key="mo-ho-so-cuong-01")
    assert elsewhere.status_code == 422 and elsewhere.json()["error"]["details"]["header"] == "Idempotency-Key", elsewhere.text
    assert await world.store("dossiers").head_position() == head
