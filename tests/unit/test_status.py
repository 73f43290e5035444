"""`ketnap status` is healthy only while no service holds a dead letter or an unacknowledged alarm."""

from __future__ import annotations

from pathlib import Path

import pytest

from ketnap.operations.status import ServiceStatus, StatusReport, render_status


def report(**counts: int) -> StatusReport:
    return StatusReport("nats://x", nats_up=True, database_up=True, services=[ServiceStatus("dossiers", answering=True, **counts)])


def test_a_deployment_with_nothing_pending_is_healthy() -> None:
    assert report().healthy


@pytest.mark.parametrize(("counts", "hint"), [({"dead_letters": 1}, "thư chết"), ({"alarms": 2}, "ketnap alarms list")])
def test_a_dead_letter_or_an_unacknowledged_alarm_makes_it_unhealthy_and_says_where_to_look(counts: dict[str, int], hint: str) -> None:
    found = report(**counts)
    assert not found.healthy
    assert hint in render_status(found).splitlines()[-1]


def linked(**state: object) -> StatusReport:
    link = {
        "kept_log": "registry_at_xa_a", "origin": "xa-a", "service": "registry", "direction": "up", "kept_head": 42, "alarms": 0,
        "source_lag": 3, "waiting": 2, "last_contact_seconds": 0.4, "source_error": None, "cut": False, **state,
    }
    found = report()
    found.links = [link]
    return found


def test_a_live_link_is_healthy_and_not_shown_cut() -> None:
    found = linked()
    assert found.healthy
    assert "ĐỨT" not in render_status(found)


def test_a_cut_link_makes_it_unhealthy_and_says_what_is_missing() -> None:
    found = linked(cut=True, last_contact_seconds=45.2)
    assert not found.healthy
    text = render_status(found)
    assert "ĐỨT 45.2 s" in next(line for line in text.splitlines() if line.startswith("registry_at_xa_a"))
    last = text.splitlines()[-1]
    assert "xa-a" in last and "vị trí 42" in last and "còn thiếu 5 sự kiện" in last


def test_a_log_passed_up_over_a_link_cut_further_down_says_where_it_is_cut() -> None:
    found = linked(kept_log="registry_at_xa_c", origin="xa-c", cut=True, cut_between=["huyen-a", "xa-c"], last_contact_seconds=31.0)
    assert not found.healthy
    last = render_status(found, width=400).splitlines()[-1]
    assert last.startswith("Liên kết giữa huyen-a và xa-c bị ĐỨT") and "vị trí 42" in last


def test_links_that_could_not_be_read_make_it_unhealthy_and_are_said_unknown_not_hidden() -> None:
    found = report()
    found.links_unknown = "dịch vụ federation không trả lời trong 3 giây"
    assert not found.healthy
    assert "Liên kết với các đơn vị triển khai khác: KHÔNG BIẾT (dịch vụ federation không trả lời trong 3 giây)." in render_status(found)


def _link(log: str, origin: str, head: int, on_the_way: int, contact: float, cut: bool = False, between: list[str] | None = None) -> dict:
    state = {
        "kept_log": log, "origin": origin, "service": log.split("_at_")[0], "direction": "up", "kept_head": head, "alarms": 0,
        "source_lag": on_the_way, "waiting": 0, "last_contact_seconds": contact, "source_error": None, "cut": cut,
    }
    return {**state, "cut_between": between} if between else state


def test_the_cut_link_shown_to_operators_in_the_federation_doc_is_what_status_prints() -> None:
    """docs/federation.md, "For operators": a province keeping a district (huyen-a) and a commune
    (xa-b) directly and a commune further down (xa-c, through huyen-a); xa-b's link is cut, and
    huyen-a's link to xa-c. The block there is this report as `render_status` prints it."""
    report = StatusReport(
        "nats://127.0.0.1:14222", True, True,
        services=[ServiceStatus("dossiers", True, 412, 0), ServiceStatus("federation", True)],
        links=[
            _link("dossiers_at_huyen_a", "huyen-a", 120, 0, 0.8),
            _link("dossiers_at_xa_b", "xa-b", 96, 2, 61.0, cut=True),
            _link("dossiers_at_xa_c", "xa-c", 230, 3, 47.2, cut=True, between=["huyen-a", "xa-c"]),
        ],
    )
    doc = (Path(__file__).resolve().parents[2] / "docs" / "federation.md").read_text(encoding="utf-8")
    section = doc.split("## For operators", 1)[1]
    shown = section.split("```text\n", 1)[1].split("\n```", 1)[0]
    assert not report.healthy
    assert shown == render_status(report, width=100).rstrip("\n")
