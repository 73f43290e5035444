"""A command retried with the same Idempotency-Key gets its first answer, unchanged, whatever
happened since (services/gateway/answers.py): the status, the body and the command's `result`."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from ketnap.platform.bus import subjects
from ketnap.platform.envelope import EventMetadata
from ketnap.services.gateway import answers
from ketnap.services.gateway import events as ev
from ketnap.services.gateway.answers import request_digest
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
    gateway = world.store("gateway")
    kept = await gateway.pool.fetch(f"SELECT route FROM {gateway.schema}.kept_answers WHERE owned_key = $1", own_key("bithu.a1", "mo-ho-so-hang-1"))
    assert [row["route"] for row in kept] == ["dossiers.open_dossier"]
    # An answer is not a domain event: the gateway's log holds none.
    assert await gateway.read_stream(f"answer-{own_key('bithu.a1', 'mo-ho-so-hang-1')}") == []


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


async def test_an_answer_is_given_for_7_days_then_the_key_is_forgotten(world: World) -> None:
    gateway = world.store("gateway")
    owned, request = own_key("bithu.a1", "bay-ngay"), request_digest("dossiers.withdraw", {"dossier_id": "x"})
    kept_at = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    first = {"ok": True, "result": {"lan": 1}}
    await answers.keep_answer(gateway.pool, gateway.schema, owned, "dossiers.withdraw", request, 200, first, kept_at)
    six_days = kept_at + timedelta(days=6, hours=23)
    assert await answers.kept_answer(gateway.pool, gateway.schema, owned, request, six_days) == (200, first)
    # A second answer within the 7 days (two requests raced) does not replace the first.
    await answers.keep_answer(gateway.pool, gateway.schema, owned, "dossiers.withdraw", request, 200, {"ok": True}, six_days)
    assert await answers.kept_answer(gateway.pool, gateway.schema, owned, request, six_days) == (200, first)
    eight_days = kept_at + timedelta(days=8)
    assert await answers.kept_answer(gateway.pool, gateway.schema, owned, request, eight_days) is None
    # Past them the key is free: another request with it is decided afresh and kept in its place.
    other, second = request_digest("dossiers.withdraw", {"dossier_id": "y"}), {"ok": True, "result": {"lan": 2}}
    await answers.keep_answer(gateway.pool, gateway.schema, owned, "dossiers.withdraw", other, 200, second, eight_days)
    assert await answers.kept_answer(gateway.pool, gateway.schema, owned, other, eight_days) == (200, second)
    assert await answers.forget_expired(gateway.pool, gateway.schema, eight_days + timedelta(days=7)) >= 1
    assert await answers.kept_answer(gateway.pool, gateway.schema, owned, other, eight_days) is None


async def test_answers_an_earlier_version_kept_in_the_log_are_given_after_the_upgrade(world: World) -> None:
    """Before the table, each answer was an `AnswerKept` event of the gateway's log; the bootstrap
    copies the last 7 days' into the table, so a retry across the upgrade still gets its answer."""
    gateway = world.store("gateway")
    body = {"dossier_id": "0d5e7c1a-0000-4000-8000-000000000001", "on": "2025-09-11"}
    owned = own_key("bithu.a1", "truoc-nang-cap")
    answer = {"ok": True, "stream_id": "dossier-cu", "result": {"tu": "so-nhat-ky"}}
    kept = ev.AnswerKept(route="dossiers.withdraw", status=200, body=answer, request=request_digest("dossiers.withdraw", body))
    await gateway.append(ev.answer_stream(owned), 0, [kept.to_new_event()], EventMetadata(actor="bithu.a1", organisation="CB-A1"))
    upgrade = answers.copy_from_log(gateway.schema)
    await world.pool.execute(upgrade)
    await world.pool.execute(upgrade)  # the bootstrap runs it at every start
    retried = await world.command("bithu.a1", "dossiers", "withdraw", body, key="truoc-nang-cap")
    assert retried.status_code == 200 and retried.json() == answer, retried.text
