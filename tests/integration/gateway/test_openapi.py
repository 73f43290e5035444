"""The API documents itself from the services' own models: one route per command and query."""

from __future__ import annotations

import re

from ketnap.services.gateway.access import GATEWAY_JOBS
from ketnap.services.gateway.catalogue import FILLED_BY_GATEWAY
from tests.integration.gateway.world import COMMANDS, QUERIES, World


async def test_openapi_lists_every_command_and_query_with_its_body(world: World) -> None:
    response = await world.http.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    paths, schemas = document["paths"], document["components"]["schemas"]
    expected = {f"/api/v1/{s}/commands/{n}" for s, n in COMMANDS} | {f"/api/v1/{s}/queries/{n}" for s, n in QUERIES}
    assert expected <= set(paths)
    jobs = {"/api/v1/gateway/commands/take_over_paper_dossiers", "/api/v1/gateway/queries/paper_take_over"}
    assert set(GATEWAY_JOBS) == {("gateway", "take_over_paper_dossiers"), ("gateway", "paper_take_over")}
    assert {p for p in paths if p.startswith("/api/")} == expected | jobs  # the gateway's own paper take-over job besides
    take_over = paths["/api/v1/gateway/commands/take_over_paper_dossiers"]["post"]
    assert {"202", "401", "403", "422"} <= set(take_over["responses"]) and take_over["security"] == [{"token": []}]
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in take_over["parameters"])
    assert {"file_name", "content", "dry_run"} <= set(schemas["gateway.command.take_over_paper_dossiers"]["properties"])
    assert "job_id" in schemas["gateway.query.paper_take_over"]["required"]
    for (service, name) in COMMANDS:
        operation = paths[f"/api/v1/{service}/commands/{name}"]["post"]
        body = schemas[f"{service}.command.{name}"]
        assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"] == f"#/components/schemas/{service}.command.{name}"
        assert not set(FILLED_BY_GATEWAY) & set(body.get("properties", {})), (service, name)
        assert body["additionalProperties"] is False, (service, name)
        assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" and p["required"] for p in operation["parameters"])
        assert {"200", "401", "403", "409", "422", "503"} <= set(operation["responses"])
    for (service, name) in QUERIES:
        assert f"{service}.query.{name}" in schemas
    # Every reference resolves: the body schemas' nested models are there too.
    referred = set(re.findall(r'"#/components/schemas/([^"]+)"', response.text))
    assert referred <= set(schemas)
    assert paths["/api/v1/dossiers/commands/open_dossier"]["post"]["security"] == [{"token": []}]
    assert "cell" in schemas["dossiers.command.open_dossier"]["required"]


async def test_the_interactive_documentation_is_served(world: World) -> None:
    response = await world.http.get("/docs")
    assert response.status_code == 200 and "swagger" in response.text.lower()
