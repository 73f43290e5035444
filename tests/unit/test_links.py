"""Which logs a deployment keeps, and the names they go by, follow from its links alone."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ketnap.platform.federation.links import DOWNWARD, UPWARD, Links, kept_log_name
from ketnap.platform.settings import Settings


def test_a_province_keeps_every_commune_log_but_the_gateways() -> None:
    links = Links("tinh-ls", None, ("xa-a", "xa-b"))
    assert links.logs_of("dossiers") == ("dossiers", "dossiers_at_xa_a", "dossiers_at_xa_b")
    assert links.logs_of("gateway") == ("gateway",)
    assert {k.name for k in links.kept} == {kept_log_name(s, d) for s in UPWARD for d in ("xa-a", "xa-b")}
    assert {k.direction for k in links.kept} == {"up"}


def test_a_commune_keeps_the_tree_and_the_decisions_of_the_level_above() -> None:
    links = Links("xa-a", "tinh-ls")
    assert [k.name for k in links.kept] == [f"{s}_at_tinh_ls" for s in DOWNWARD]
    assert links.logs_of("voting") == ("voting", "voting_at_tinh_ls")
    assert links.logs_of("dossiers") == ("dossiers",)
    assert links.kept_log("voting_at_tinh_ls").origin == "tinh-ls"  # type: ignore[union-attr]


def test_a_deployment_without_links_keeps_nothing() -> None:
    settings = Settings()
    assert not settings.federated and "federation" not in settings.services
    assert Links.of(settings).kept == ()


def test_links_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETNAP_DEPLOYMENT", "tinh-ls")
    monkeypatch.setenv("KETNAP_LOWERS", "xa-a, xa-b")
    settings = Settings.from_env()
    assert settings.lower_deployments == ("xa-a", "xa-b") and settings.federated
    assert settings.services[-1] == "federation"


@pytest.mark.parametrize("bad", ["Tinh", "xa_a", "1xa", "xa.a", "xa a", ""])
def test_a_deployment_id_must_also_be_a_jetstream_domain_and_a_name_in_sql(bad: str) -> None:
    with pytest.raises(ValidationError):
        Settings(deployment_id=bad)
    with pytest.raises(ValidationError):
        Settings(lower_deployments=(bad,))


def test_a_province_keeps_what_its_lower_deployment_keeps_from_further_below() -> None:
    links = Links("tinh-ls", None, ("huyen-a",), (("xa-c", "huyen-a"),))
    assert links.below == ("huyen-a", "xa-c")
    assert links.logs_of("dossiers") == ("dossiers", "dossiers_at_huyen_a", "dossiers_at_xa_c")
    passed_up = links.kept_log("dossiers_at_xa_c")
    assert passed_up is not None and (passed_up.origin, passed_up.through, passed_up.name_there) == ("xa-c", "huyen-a", "dossiers_at_xa_c")
    direct = links.kept_log("dossiers_at_huyen_a")
    assert direct is not None and (direct.through, direct.name_there) == ("huyen-a", "dossiers")


def test_deployments_further_below_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETNAP_DEPLOYMENT", "tinh-ls")
    monkeypatch.setenv("KETNAP_LOWERS", "huyen-a")
    monkeypatch.setenv("KETNAP_FURTHER_BELOW", "xa-c@huyen-a, xa-d@huyen-a")
    assert Settings.from_env().further_below == (("xa-c", "huyen-a"), ("xa-d", "huyen-a"))


def test_a_deployment_further_below_comes_through_one_directly_below() -> None:
    with pytest.raises(ValidationError):
        Settings(deployment_id="tinh-ls", lower_deployments=("huyen-a",), further_below=(("xa-c", "huyen-b"),))
