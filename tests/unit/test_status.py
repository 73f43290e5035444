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
