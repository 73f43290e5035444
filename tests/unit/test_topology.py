"""Topology files (`ketnap up --topology`): what is accepted, every mistake refused in words, the
order deployments start in and the settings each one runs with."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from ketnap.operations.topology import Topology, TopologyError
from ketnap.platform.federation.links import Links
from ketnap.platform.settings import Settings

ROOT = Path(__file__).resolve().parents[2]

GOOD = """
data_dir = "data"

[[deployment]]
id = "xa-a"
root = "XA-A"
upper = "tinh-ls"
nats_port = 14301
nats_monitor_port = 18301
postgres_port = 15501
gateway_port = 8101

[[deployment]]
id = "tinh-ls"
root = "TU-LS"
nats_port = 14300
nats_monitor_port = 18300
leaf_port = 17300
postgres_port = 15500
gateway_port = 8100

[[deployment]]
id = "xa-b"
upper = "tinh-ls"
nats_port = 14302
nats_monitor_port = 18302
postgres_port = 15502
gateway_port = 8102
leaf_url = "nats-leaf://127.0.0.1:17399"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "topology.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_loads_with_its_data_folder_beside_it(tmp_path: Path) -> None:
    topology = Topology.load(write(tmp_path, GOOD))
    assert topology.data_dir == (tmp_path / "data").resolve()
    assert [d.id for d in topology.deployment] == ["xa-a", "tinh-ls", "xa-b"], "the file's order is kept as written"
    assert topology.get("tinh-ls").root == "TU-LS"
    assert topology.lowers_of("tinh-ls") == ("xa-a", "xa-b")


def test_the_example_in_deploy_is_valid() -> None:
    topology = Topology.load(ROOT / "deploy" / "topology.example.toml")
    assert [d.id for d in topology.deployments] == ["tinh-ls", "xa-a", "xa-b"]
    assert topology.data_dir == (ROOT / ".ketnap-topology").resolve()


def test_without_data_dir_the_data_goes_beside_the_file(tmp_path: Path) -> None:
    text = GOOD.replace('data_dir = "data"\n', "")
    assert Topology.load(write(tmp_path, text)).data_dir == (tmp_path / ".ketnap-topology").resolve()


def test_deployments_start_upper_before_lower_whatever_the_file_order(tmp_path: Path) -> None:
    text = """
[[deployment]]
id = "thon-1"
upper = "xa-a"
nats_port = 1001
nats_monitor_port = 1002
postgres_port = 1003
gateway_port = 1004

[[deployment]]
id = "xa-a"
upper = "tinh"
leaf_port = 1005
nats_port = 1006
nats_monitor_port = 1007
postgres_port = 1008
gateway_port = 1009

[[deployment]]
id = "tinh"
leaf_port = 1010
nats_port = 1011
nats_monitor_port = 1012
postgres_port = 1013
gateway_port = 1014
"""
    topology = Topology.load(write(tmp_path, text))
    assert [d.id for d in topology.deployments] == ["tinh", "xa-a", "thon-1"]
    middle = topology.settings_for("xa-a", Settings())
    assert (middle.upper_deployment, middle.lower_deployments) == ("tinh", ("thon-1",))
    assert (middle.leaf_port, middle.upper_leaf_url) == (1005, "nats-leaf://127.0.0.1:1010")


def test_settings_for_sets_what_makes_one_deployment_and_keeps_the_rest(tmp_path: Path) -> None:
    topology = Topology.load(write(tmp_path, GOOD))
    base = Settings(log_format="json", log_level="debug", nats_url="nats://elsewhere:4222", database_url="postgresql://x/y")

    upper = topology.settings_for("tinh-ls", base)
    assert upper.deployment_id == "tinh-ls"
    assert (upper.upper_deployment, upper.lower_deployments) == (None, ("xa-a", "xa-b"))
    assert (upper.leaf_port, upper.upper_leaf_url) == (17300, None)
    assert (upper.nats_port, upper.nats_monitor_port, upper.postgres_port, upper.gateway_port) == (14300, 18300, 15500, 8100)
    assert upper.data_dir == (tmp_path / "data" / "tinh-ls").resolve()
    assert upper.federated and "federation" in upper.services
    # Each deployment runs its own embedded servers: no external URL is shared by all of them.
    assert (upper.nats_url, upper.database_url) == (None, None)
    assert (upper.log_format, upper.log_level) == ("json", "debug")

    lower = topology.settings_for("xa-a", base)
    assert (lower.upper_deployment, lower.lower_deployments) == ("tinh-ls", ())
    assert (lower.leaf_port, lower.upper_leaf_url) == (None, "nats-leaf://127.0.0.1:17300")
    assert lower.data_dir == (tmp_path / "data" / "xa-a").resolve()

    proxied = topology.settings_for("xa-b", base)
    assert proxied.upper_leaf_url == "nats-leaf://127.0.0.1:17399", "leaf_url overrides the upper's leaf_port"

    assert base.deployment_id == "local" and base.nats_url == "nats://elsewhere:4222", "base is not changed"


def test_a_single_deployment_is_not_federated(tmp_path: Path) -> None:
    text = '[[deployment]]\nid = "mot"\nnats_port = 1\nnats_monitor_port = 2\npostgres_port = 3\ngateway_port = 4\n'
    settings = Topology.load(write(tmp_path, text)).settings_for("mot", Settings())
    assert not settings.federated and settings.upper_leaf_url is None


def _without(text: str, line: str) -> str:
    assert line in text
    return text.replace(line, "", 1)


# Each mistake a person could make, and (part of) what they are told.
BROKEN = {
    "bad-id": (lambda t: t.replace('id = "xa-b"', 'id = "Xa_B"'), "id 'Xa_B' không hợp lệ"),
    "id-too-long": (lambda t: t.replace('id = "xa-b"', f'id = "x{"a" * 31}"'), "không hợp lệ"),
    "duplicate-id": (lambda t: t.replace('id = "xa-b"', 'id = "xa-a"'), "id 'xa-a' bị khai báo hai lần"),
    "unknown-upper": (lambda t: t.replace('upper = "tinh-ls"\nnats_port = 14302', 'upper = "tinh-x"\nnats_port = 14302'),
                      "xa-b: upper = 'tinh-x' không phải id của đơn vị nào"),
    "cycle": (lambda t: t.replace('root = "TU-LS"', 'root = "TU-LS"\nupper = "xa-a"').replace(
        'nats_port = 14301', 'nats_port = 14301\nleaf_port = 17301'), "vòng lặp cấp trên: "),
    "self-upper": (lambda t: t.replace('root = "TU-LS"', 'root = "TU-LS"\nupper = "tinh-ls"'),
                   "vòng lặp cấp trên: tinh-ls → tinh-ls"),
    "duplicate-port": (lambda t: t.replace("gateway_port = 8102", "gateway_port = 15501"),
                       "xa-b.gateway_port = 15501: cổng này đã dùng cho xa-a.postgres_port"),
    "nats-default-port": (lambda t: t.replace("nats_port = 14300", "nats_port = 4222"), "tinh-ls.nats_port = 4222: cổng mặc định của NATS"),
    "postgres-default-port": (lambda t: t.replace("postgres_port = 15502", "postgres_port = 5432"), "cổng mặc định của PostgreSQL"),
    "upper-without-leaf-port": (lambda t: _without(t, "leaf_port = 17300\n"), "tinh-ls: là cấp trên của xa-a nên cần leaf_port"),
    "leaf-url-without-upper": (lambda t: t.replace('root = "TU-LS"', 'root = "TU-LS"\nleaf_url = "nats-leaf://x:1"'),
                               "tinh-ls: có leaf_url nhưng không có upper"),
    "missing-port": (lambda t: _without(t, "gateway_port = 8101\n"), "[[deployment]] thứ 1 (xa-a), khóa gateway_port: thiếu"),
    "typo-key": (lambda t: t.replace('upper = "tinh-ls"\nnats_port = 14301', 'uper = "tinh-ls"\nnats_port = 14301'),
                 "khóa uper: khóa không được phép"),
    "port-not-a-number": (lambda t: t.replace("nats_port = 14300", 'nats_port = "cổng"'), "khóa nats_port: phải là số nguyên"),
    "port-out-of-range": (lambda t: t.replace("nats_port = 14300", "nats_port = 70000"), "cổng phải từ 1 đến 65535"),
    "unknown-top-level-key": (lambda t: "data_folder = 'x'\n" + t, "khóa data_folder: khóa không được phép"),
    "no-deployment": (lambda t: 'data_dir = "x"\n', "không có đơn vị triển khai nào"),
    "not-toml": (lambda t: t.replace('id = "xa-a"', 'id = xa-a'), "không đúng cú pháp TOML"),
}


@pytest.mark.parametrize(("breakage", "message"), BROKEN.values(), ids=BROKEN.keys())
def test_each_mistake_is_refused_with_a_clear_vietnamese_message(tmp_path: Path, breakage, message: str) -> None:  # noqa: ANN001
    text = breakage(GOOD)
    assert text != GOOD
    with pytest.raises(TopologyError) as refused:
        Topology.load(write(tmp_path, text))
    assert message in str(refused.value), str(refused.value)
    assert isinstance(refused.value, ValueError)


def test_every_mistake_is_reported_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("nats_port = 14300", "nats_port = 4222").replace('id = "xa-b"', 'id = "xa-a"')
    with pytest.raises(TopologyError) as refused:
        Topology.load(write(tmp_path, text))
    assert "4222" in str(refused.value) and "hai lần" in str(refused.value)


def test_a_missing_file_is_refused_in_words(tmp_path: Path) -> None:
    with pytest.raises(TopologyError, match="Không đọc được tệp cấu trúc"):
        Topology.load(tmp_path / "nowhere.toml")


def test_a_cycle_is_named_along_its_links(tmp_path: Path) -> None:
    text = """
[[deployment]]
id = "a"
upper = "b"
leaf_port = 1
nats_port = 2
nats_monitor_port = 3
postgres_port = 4
gateway_port = 5

[[deployment]]
id = "b"
upper = "a"
leaf_port = 6
nats_port = 7
nats_monitor_port = 8
postgres_port = 9
gateway_port = 10
"""
    with pytest.raises(TopologyError) as refused:
        Topology.load(write(tmp_path, text))
    assert str(refused.value).count("vòng lặp") == 1, "one loop, reported once"
    assert "a → b → a" in str(refused.value)


def test_each_level_gets_its_nats_config_and_a_single_deployment_keeps_its_own(tmp_path: Path) -> None:
    from ketnap.operations.embedded import LEAF_LOCAL_SUBJECTS, EmbeddedNats

    single = EmbeddedNats(tmp_path, 1, 2).config_text()
    assert "domain" not in single and "leafnodes" not in single
    # A middle level: one leafnodes block with both ends (nats-server keeps only the last block).
    middle = EmbeddedNats(tmp_path, 1, 2, domain="huyen-a", leaf_port=3, upper_leaf_url="nats-leaf://127.0.0.1:4").config_text()
    assert middle.count("leafnodes {") == 1 and middle.count("jetstream {") == 1
    assert 'domain: "huyen-a"' in middle and "listen: 127.0.0.1:3" in middle
    assert 'url: "nats-leaf://127.0.0.1:4"' in middle
    denied = ", ".join(f'"{s}"' for s in LEAF_LOCAL_SUBJECTS)
    assert f"deny_imports: [{denied}]" in middle and f"deny_exports: [{denied}]" in middle
    assert "federation.>" in LEAF_LOCAL_SUBJECTS and not any(s.startswith(("ketnap.", "$JS", "_INBOX")) for s in LEAF_LOCAL_SUBJECTS)


THREE_LEVELS = """
[[deployment]]
id = "tinh-ls"
nats_port = 14300
nats_monitor_port = 18300
leaf_port = 17300
postgres_port = 15500
gateway_port = 8100

[[deployment]]
id = "huyen-a"
upper = "tinh-ls"
nats_port = 14301
nats_monitor_port = 18301
leaf_port = 17301
postgres_port = 15501
gateway_port = 8101

[[deployment]]
id = "xa-c"
upper = "huyen-a"
nats_port = 14302
nats_monitor_port = 18302
postgres_port = 15502
gateway_port = 8102
"""


def test_two_levels_have_nothing_further_below() -> None:
    topology = Topology.parse(tomllib.loads(GOOD))
    assert [topology.further_below(d.id) for d in topology.deployments] == [(), (), ()]


def test_three_levels_keep_the_bottom_at_the_top_through_the_middle() -> None:
    topology = Topology.parse(tomllib.loads(THREE_LEVELS))
    top = topology.settings_for("tinh-ls", Settings())
    assert (top.lower_deployments, top.further_below) == (("huyen-a",), (("xa-c", "huyen-a"),))
    assert topology.settings_for("huyen-a", Settings()).further_below == ()
    assert {k.name for k in Links.of(top).kept} >= {"dossiers_at_huyen_a", "dossiers_at_xa_c"}
