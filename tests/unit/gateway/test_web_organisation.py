"""The organisation pages' declarations: each registry form names a command of the access table,
fields of its model and the field that takes the unit; the tree nests a subtree answer."""

from __future__ import annotations

from ketnap.services import all_services
from ketnap.services.gateway.catalogue import catalogue
from ketnap.services.gateway.web.acts import all_acts
from ketnap.services.gateway.web.organisation.acts import BY_SLUG, UNIT_ACTS
from ketnap.services.gateway.web.organisation.tree import branches


def test_every_unit_act_names_a_command_its_fields_and_the_field_that_takes_the_unit() -> None:
    models = {(e.service, e.name): e.model for e in catalogue(all_services()) if e.kind == "command"}
    assert len(BY_SLUG) == len(UNIT_ACTS)
    assert not set(BY_SLUG) & set(all_acts())  # one slug, one act
    for unit_act in UNIT_ACTS:
        act = unit_act.act
        assert act.key in models and not act.about_dossier, act.key
        model = models[act.key]
        assert unit_act.unit_field in model.model_fields, act.slug
        assert not unit_act.versioned or "expected_version" in model.model_fields, act.slug
        for f, _ in act.fields():
            assert f.name.split(".")[0] in model.model_fields, (act.slug, f.name)
            assert f.name != unit_act.unit_field, act.slug  # the page sends it, nobody types it


def test_a_subtree_answer_nests_under_its_root() -> None:
    rows = [
        {"code": "DU-A", "parent": "T01", "depth": 0}, {"code": "CB-1", "parent": "DU-A", "depth": 1},
        {"code": "BP-1", "parent": "DU-A", "depth": 1}, {"code": "CB-2", "parent": "BP-1", "depth": 2},
    ]
    root = branches(rows, "DU-A")
    assert root is not None and root.count == 4
    assert [c.unit["code"] for c in root.children] == ["CB-1", "BP-1"]
    assert [c.unit["code"] for c in root.children[1].children] == ["CB-2"]
    assert branches(rows, "T01") is None
