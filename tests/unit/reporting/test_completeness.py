"""A report above says which deployments below it cannot count in full, and why."""

from __future__ import annotations

from typing import Any

from ketnap.services.reporting.completeness import gaps, note


def link(origin: str, **state: Any) -> dict[str, Any]:
    return {"origin": origin, "direction": "up", "kept_head": 5, "last_contact_seconds": 0.4, "alarms": 0, "cut": False, **state}


def test_live_links_leave_nothing_out() -> None:
    assert gaps([link("xa-a"), link("xa-a"), link("tinh", direction="down", cut=True)], ["xa-a"]) == []


def test_never_heard_from_refused_and_cut_are_each_said_worst_first() -> None:
    links = [
        link("xa-a", cut=True), link("xa-a", kept_head=0, last_contact_seconds=None),
        link("xa-b", cut=True), link("xa-c", alarms=1, cut=True), link("xa-d"),
    ]
    missing = gaps(links, ["xa-a", "xa-b", "xa-c", "xa-d"])
    assert missing == [
        {"deployment": "xa-a", "reason": "never_heard"}, {"deployment": "xa-b", "reason": "cut"},
        {"deployment": "xa-c", "reason": "refused"},
    ]
    said = note(missing)
    assert said.startswith("Báo cáo có thể chưa đầy đủ: chưa nhận được gì từ xa-a")
    assert "đường nối tới xa-b đang bị đứt" in said and "never_heard" not in said
