"""How the adapter reads the registry's `membership` replies (shapes of services/registry/queries.py)."""

from __future__ import annotations

import pytest

from ketnap.platform.commands import InvalidInput
from ketnap.services.verification.registry_client import Membership


def test_a_member_with_kind_and_status() -> None:
    body = {"ok": True, "result": {"member": True, "kind": "probationary", "status": "active", "since": "2025-06-01",
                                   "unit": "CB-01", "temporary": False, "organisation": "DU-01"}}
    assert Membership.from_reply(body) == Membership(member=True, kind="probationary", status="active", organisation="DU-01")


def test_not_a_member() -> None:
    body = {"ok": True, "result": {"member": False, "kind": None, "status": None, "since": None, "unit": None, "temporary": False}}
    assert Membership.from_reply(body) == Membership(member=False)


def test_an_unknown_organisation_is_not_found() -> None:
    body = {"ok": False, "error": {"code": "not_found", "message": "Không có tổ chức", "details": {}}}
    assert Membership.from_reply(body) == Membership(member=False, organisation_known=False)


def test_any_other_refusal_is_passed_on_as_a_validation_error() -> None:
    body = {"ok": False, "error": {"code": "validation", "message": "Dữ liệu không hợp lệ ở trường: citizen_id", "details": {}}}
    with pytest.raises(InvalidInput) as refused:
        Membership.from_reply(body)
    assert "citizen_id" in refused.value.message and refused.value.details["registry_error"] == "validation"
