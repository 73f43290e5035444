"""`ketnap status` is healthy only while no service holds a dead letter or an unacknowledged alarm."""

from __future__ import annotations

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
