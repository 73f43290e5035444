"""The routes come from the access table and the services' own models."""

from __future__ import annotations

from pathlib import Path

from ketnap.operations.terminal import rendered, rich_table
from ketnap.operations.users import users_table
from ketnap.platform.settings import Settings
from ketnap.services import all_services
from ketnap.services.gateway.access import COMMANDS, LINKED_ONLY, QUERIES
from ketnap.services.gateway.api import own_key
from ketnap.services.gateway.catalogue import FILLED_BY_GATEWAY, catalogue


def test_every_entry_of_the_table_has_a_route_with_the_services_model() -> None:
    routes = catalogue(all_services())
    assert [r.key for r in routes if r.kind == "command"] == [key for key in COMMANDS if key[0] not in LINKED_ONLY]
    assert [r.key for r in routes if r.kind == "query"] == [key for key in QUERIES if key[0] not in LINKED_ONLY]
    assert len({r.path for r in routes}) == len(routes)
    open_dossier = next(r for r in routes if r.key == ("dossiers", "open_dossier"))
    assert open_dossier.path == "/api/v1/dossiers/commands/open_dossier"
    assert open_dossier.model.__name__ == "OpenDossier"


def test_a_linked_deployment_also_routes_what_only_linked_deployments_answer() -> None:
    linked = catalogue(all_services(Settings(deployment_id="tinh", lower_deployments=("xa-a",))))
    assert [r.key for r in linked if r.kind == "query"] == list(QUERIES)
    assert [r.key for r in linked if r.kind == "command"] == list(COMMANDS)
    # The federation service's integrity alarms (of the logs it keeps, and those told from below) too.
    assert {("federation", "integrity_alarms"), ("federation", "acknowledge_alarm")} <= {r.key for r in linked}
    links = next(r for r in linked if r.key == ("federation", "links"))
    assert links.path == "/api/v1/federation/queries/links"


def test_a_commands_body_is_its_model_less_what_the_gateway_fills() -> None:
    for route in catalogue(all_services()):
        body, referred = route.body_schema()
        if route.kind == "command":
            assert not set(FILLED_BY_GATEWAY) & set(body["properties"]), route.key
            assert not set(FILLED_BY_GATEWAY) & set(body.get("required", [])), route.key
        assert all(name.startswith(f"{route.service}.") for name in referred)
        assert route.access.roles and "Vai trò được phép" in route.description()


def test_idempotency_keys_belong_to_their_user() -> None:
    assert own_key("bithu.a1", "k-12345678") == own_key("bithu.a1", "k-12345678")
    assert own_key("bithu.a1", "k-12345678") != own_key("bithu.a2", "k-12345678")
    assert 8 <= len(own_key("a" * 64, "k" * 128)) <= 128


def test_the_users_table_is_readable() -> None:
    text = rendered(rich_table(users_table([
        {"login": "bithu.a1", "display_name": "Nguyễn Văn A", "role_title": "Bí thư chi bộ", "organisation": "CB-A1",
         "disabled": False, "tokens": [{"token_id": "0123456789abcdef", "label": "điện thoại"}]},
        {"login": "kiemtra", "display_name": "Lê B", "role_title": "Ủy ban kiểm tra", "organisation": "T01", "disabled": True, "tokens": []},
    ])), width=100)
    lines = text.splitlines()
    assert lines[0].startswith("Tên đăng nhập  Họ tên") and set(lines[1]) == {"─"}
    assert lines[2].startswith("bithu.a1       Nguyễn Văn A") and lines[2].endswith("0123456789abcdef (điện thoại)")
    assert "đã khóa" in lines[3] and max(len(line) for line in lines) <= 100


def test_the_documentation_lists_every_route_of_the_table() -> None:
    text = (Path(__file__).resolve().parents[3] / "docs" / "gateway.md").read_text()
    missing = [f"{s}.{n}" for s, n in [*COMMANDS, *QUERIES] if f"| `{s}.{n}` |" not in text]
    assert missing == [], "docs/gateway.md: regenerate the roles table from services/gateway/access.py"
