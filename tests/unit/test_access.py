"""The access table names only real commands and queries, and every command has someone to send it."""

from __future__ import annotations

import pytest

from ketnap.platform.settings import Settings
from ketnap.services import all_services
from ketnap.services.gateway.access import COMMANDS, QUERIES, SERVICE_TO_SERVICE_COMMANDS, Role, preferred_role


def _endpoints(kind: str) -> dict[tuple[str, str], object]:
    """Every endpoint of a linked deployment's services: the table names the federation service's too."""
    found = {}
    for service in all_services(Settings(deployment_id="tinh", lower_deployments=("xa-a",))):
        for endpoint in getattr(service, kind):
            found[(service.name, endpoint.subject.rsplit(".", 1)[-1])] = endpoint.model
    return found


def test_every_command_of_every_service_is_in_the_access_table() -> None:
    commands = {key for key in _endpoints("commands") if key[1] not in SERVICE_TO_SERVICE_COMMANDS}
    assert commands - set(COMMANDS) == set(), "a command nobody may send from outside"
    assert set(COMMANDS) - set(commands) == set(), "the table names a command no service has"


def test_the_table_names_only_queries_that_exist() -> None:
    assert set(QUERIES) - set(_endpoints("queries")) == set()


@pytest.mark.parametrize("key", sorted(COMMANDS))
def test_scope_fields_are_fields_of_the_command(key: tuple[str, str]) -> None:
    model = _endpoints("commands")[key]
    assert set(COMMANDS[key].scope_fields) <= set(model.model_fields)  # type: ignore[attr-defined]


@pytest.mark.parametrize("key", sorted(QUERIES))
def test_scope_fields_are_fields_of_the_query(key: tuple[str, str]) -> None:
    model = _endpoints("queries")[key]
    assert set(QUERIES[key].scope_fields) <= set(model.model_fields)  # type: ignore[attr-defined]


def test_an_inspector_writes_nothing() -> None:
    assert [key for key, access in COMMANDS.items() if Role.INSPECTOR in access.roles] == []


def test_only_the_standing_committee_issues_decisions() -> None:
    decisions = [k for k in COMMANDS if k[1].startswith("decide_")]
    assert decisions and {preferred_role(*k) for k in decisions} == {Role.STANDING_COMMITTEE}
    assert all(COMMANDS[k].roles == (Role.STANDING_COMMITTEE,) for k in decisions)
