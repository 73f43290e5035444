"""The inspection pages name the system's parts in words, never by schema, subject or class name."""

from __future__ import annotations

from ketnap.services.gateway.web.system_words import SYSTEM, SystemWords, organisation_title, recorder

WORDS = SystemWords({"dossiers": "t_abc", "voting": "t_def", "reporting": "t_ghi"})


def test_a_log_is_named_by_its_service_or_by_the_linked_deployment_it_came_from() -> None:
    assert WORDS.log("t_abc") == "sổ Hồ sơ"
    assert WORDS.log("registry") == "sổ Tổ chức và đảng viên"  # a deployment's own names are the services' names
    assert WORDS.log("voting_at_tinh_a") == "sổ Biểu quyết và quyết định của đơn vị triển khai tinh-a"
    assert WORDS.log("t_zzz") == "sổ không thuộc hệ thống này"


def test_an_alarm_says_the_event_where_it_claimed_to_be_what_was_wrong_and_who_refused_it() -> None:
    alarm = {"subject": "ketnap.d1.evt.t_abc.DossierWithdrawn", "position": 3, "source": "t_abc", "kind": "broken_link",
             "consumer": "t_ghi.deadlines"}
    assert WORDS.alarm(alarm) == (
        "Tin «Rút hồ sơ» ở vị trí 3 của sổ Hồ sơ: đứt mắt xích (băm trước không khớp); dịch vụ Báo cáo không áp dụng tin này."
    )


def test_people_are_named_by_their_display_name_and_the_systems_own_records_as_the_system() -> None:
    names = {"quantri": "Người dùng quantri"}
    assert recorder(names, "quantri") == "Người dùng quantri"
    assert recorder(names, "operator") == recorder(names, "dossiers.process_manager") == recorder(names, "registry-service") == SYSTEM
    assert recorder(names, "he-thong-ngoai") == "he-thong-ngoai"  # a system sending through the operator, by the name it gave
    assert recorder(names, "demo.cell_secretary") == "Bí thư chi bộ"  # the demo's loader, acting as a role: the role's title
    assert recorder(names, "demo.organisation_board") == "Ban tổ chức"
    assert recorder(names, "demo.tester") == "demo.tester"  # no role by that name: the name it gave
    assert organisation_title("CB-A1", {"CB-A1": "Chi bộ A1"}) == "Chi bộ A1 (CB-A1)"
    assert organisation_title("*", {}) == "Toàn hệ thống"
    assert organisation_title("X-9", {}) == "X-9"


def test_the_command_line_lists_an_alarm_in_the_same_words_with_what_acknowledging_it_takes() -> None:
    """`ketnap alarms list`: the service and the alarm's number first (`ketnap alarms acknowledge`
    takes them), then the alarm as the inspection page says it, never a subject or a consumer."""
    from ketnap.operations.alarms import alarm_line

    alarm = {
        "id": 7, "subject": "ketnap.d1.evt.dossiers.DossierWithdrawn", "position": 3, "source": "dossiers", "kind": "gap",
        "consumer": "reporting.deadlines", "first_seen": "2025-03-01T02:00:00+00:00", "times": 2, "acknowledged_at": None,
        "acknowledged_by": None, "acknowledged_reason": None, "message": "Nhật ký dossiers, vị trí 3, kênh ketnap.d1.evt.dossiers...",
    }
    line = alarm_line("reporting", alarm)
    assert line.startswith("reporting #7: Tin «Rút hồ sơ» ở vị trí 3 của sổ Hồ sơ: thiếu sự kiện; dịch vụ Báo cáo không áp dụng tin này."), line
    assert "ketnap.d1" not in line and "reporting.deadlines" not in line
