"""Users and tokens: managed by administrators through the API within their subtree, and by the
operator with `ketnap users ...` over NATS. A token works the moment it is issued and stops the
moment it is revoked."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from nats.aio.msg import Msg

from tests.integration.gateway.world import World
from tests.integration.harness import run_cli


async def test_an_administrator_creates_a_user_and_a_token_that_works_at_once(world: World) -> None:
    created = await world.command("quantri", "gateway", "create_user", {
        "login": "Bithu.B1", "display_name": "Bí thư  chi bộ B1", "role": "cell_secretary", "organisation": "CB-B1",
    })
    assert created.status_code == 200, created.text
    assert created.json()["result"] == {"login": "bithu.b1"}
    issued = await world.command("quantri", "gateway", "issue_token", {"login": "bithu.b1", "label": "điện thoại"})
    assert issued.status_code == 200, issued.text
    result = issued.json()["result"]
    assert result["token"].startswith(f"ketnap.{result['token_id']}.")
    world.tokens["bithu.b1"] = result["token"]
    assert (await world.query("bithu.b1", "voting", "deadlines", {})).status_code == 200
    # Only the hash is on the log.
    (event,) = await world.store("gateway").read_stream(f"token-{result['token_id']}")
    assert result["token"] not in str(event.data) and len(event.data["secret_sha256"]) == 64

    revoked = await world.command("quantri", "gateway", "revoke_token", {"token_id": result["token_id"]})
    assert revoked.status_code == 200, revoked.text
    assert (await world.query("bithu.b1", "voting", "deadlines", {})).status_code == 401


async def test_an_administrator_acts_only_on_users_of_their_subtree(world: World) -> None:
    before = await world.heads()
    outside = await world.command("quantri.b", "gateway", "create_user", {
        "login": "lan.a", "display_name": "Lan", "role": "cell_secretary", "organisation": "CB-A1",
    })
    assert outside.status_code == 403, outside.text
    assert (await world.command("quantri.b", "gateway", "issue_token", {"login": "bithu.a1"})).status_code == 403
    assert (await world.command("quantri.b", "gateway", "disable_user", {"login": "bithu.a1"})).status_code == 403
    assert await world.heads() == before
    taken = await world.command("quantri", "gateway", "create_user", {
        "login": "bithu.a1", "display_name": "Trùng", "role": "cell_secretary", "organisation": "CB-A1",
    })
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "conflict"


async def test_users_are_listed_within_the_readers_subtree(world: World) -> None:
    response = await world.query("quantri.b", "gateway", "users", {})
    assert response.status_code == 200, response.text
    listed = {u["login"]: u for u in response.json()["result"]["users"]}
    assert {"canbo.b", "quantri.b"} <= set(listed) and "bithu.a1" not in listed
    assert listed["canbo.b"]["role_title"] == "Cán bộ đảng ủy cơ sở" and len(listed["canbo.b"]["tokens"]) == 1
    assert "secret_sha256" not in response.text and world.tokens["canbo.b"] not in response.text
    everyone = await world.query("kiemtra", "gateway", "users", {"organisation": "T01"})
    assert {"bithu.a1", "canbo.b"} <= {u["login"] for u in everyone.json()["result"]["users"]}
    assert (await world.query("quantri.b", "gateway", "users", {"organisation": "T01"})).status_code == 403
    assert (await world.query("bithu.a1", "gateway", "users", {})).status_code == 403


@asynccontextmanager
async def forwarded(world: World) -> AsyncIterator[None]:
    """The CLI asks `gateway.*`; the tests' gateway answers `<schema>.*`."""

    async def forward(message: Msg) -> None:
        subject = world.name("gateway") + message.subject.removeprefix("gateway")
        reply = await world.nc.request(subject, message.data, timeout=30)
        await message.respond(reply.data)

    subscriptions = [await world.nc.subscribe(s, cb=forward) for s in ("gateway.cmd.>", "gateway.query.>")]
    try:
        yield
    finally:
        for subscription in subscriptions:
            await subscription.unsubscribe()


async def ketnap(world: World, *args: str) -> tuple[int, str]:
    env = dict(os.environ, DATABASE_URL=world.database_url, NATS_URL=world.nats_url)
    code, output, _ = await run_cli(env, "users", *args, errors_in_output=True)
    return code, output


async def test_the_operator_manages_users_with_the_cli(world: World) -> None:
    async with forwarded(world):
        code, output = await ketnap(world, "add", "ttb.admin", "--role", "administrator", "--org", "DU-B", "--name", "Trần Thị Bích")
        assert code == 0 and "Đã tạo người dùng ttb.admin (Quản trị hệ thống, DU-B)" in output, output
        code, output = await ketnap(world, "token", "ttb.admin", "--label", "máy văn phòng")
        assert code == 0 and "Chỉ hiện MỘT lần" in output, output
        token = next(line.strip() for line in output.splitlines() if line.strip().startswith("ketnap."))
        token_id = token.split(".")[1]
        world.tokens["ttb.admin"] = token
        assert (await world.query("ttb.admin", "gateway", "users", {})).status_code == 200

        code, output = await ketnap(world, "list", "--org", "DU-B")
        assert code == 0, output
        lines = output.splitlines()
        assert lines[0].split()[:3] == ["Tên", "đăng", "nhập"] and set(lines[1]) <= {"─", " "}
        row = next(line for line in lines if line.startswith("ttb.admin"))
        assert "Trần Thị Bích" in row and "Quản trị hệ thống" in row and f"{token_id} (máy văn phòng)" in row
        assert "bithu.a1" not in output

        code, output = await ketnap(world, "revoke", token_id)
        assert code == 0 and f"Đã thu hồi mã truy cập {token_id}." in output, output
        assert (await world.query("ttb.admin", "gateway", "users", {})).status_code == 401

        code, output = await ketnap(world, "disable", "ttb.admin", "--reason", "chuyển công tác")
        assert code == 0, output
        code, output = await ketnap(world, "list", "--org", "DU-B")
        assert "ttb.admin" not in output
        code, output = await ketnap(world, "list", "--org", "DU-B", "--all")
        assert "đã khóa" in next(line for line in output.splitlines() if line.startswith("ttb.admin"))

        code, output = await ketnap(world, "add", "x.y", "--role", "vua", "--org", "DU-B")
        assert code == 2 and "Vai trò không hợp lệ" in output
        code, output = await ketnap(world, "token", "khong.co")
        assert code == 1 and "Lỗi (not_found): Không có người dùng khong.co." in output


async def test_an_unknown_organisation_is_refused_naming_the_codes_close_to_it(world: World) -> None:
    """Only on an empty deployment may the operator name a unit the registry does not know (its first
    administrator founds it: tests/e2e/test_api_lifecycles.py); here the tree exists."""
    refused = await world.operator_reply("create_user", login="nham.to", display_name="Nhầm Tổ", role="cell_secretary",
                                         organisation="CB-A3")
    assert refused["error"]["code"] == "not_found", refused
    assert refused["error"]["message"] == "Không có tổ chức đảng CB-A3. Mã gần giống: CB-A2, CB-A1, CB-B1.", refused
    assert refused["error"]["details"]["close"] == ["CB-A2", "CB-A1", "CB-B1"]
    async with forwarded(world):
        code, output = await ketnap(world, "add", "nham.to", "--role", "cell_secretary", "--org", "CB-NOPE")
    assert code == 1 and "Lỗi (not_found): Không có tổ chức đảng CB-NOPE." in output, output
    # An administrator may not do it either, since it does not cover an unknown unit.
    by_admin = await world.command("quantri", "gateway", "create_user", {
        "login": "ai.do", "display_name": "Ai Đó", "role": "inspector", "organisation": "T77",
    })
    assert by_admin.status_code == 404 and by_admin.json()["error"]["code"] == "not_found"
