"""The acts of the collective bodies (domain.md §2, steps 8–11 and 15–16): the cell's resolution,
the partial committee's appraisal, the grassroots committee's resolution, the competent
committee's decision and its extension, the cell's receipt of the decision and the delay of the
ceremony; for recognition the same votes and decision, and the name removal.

A vote lists the body's voters with the denominator and the votes needed before anything is
entered (`options="roster"`, `"committee"`); every vote and decision is checked ("check your
answers") before it is sent."""

from __future__ import annotations

from ketnap.services.dossiers.values import Step
from ketnap.services.gateway.web.forms import Act, Field

ORGANISATION_HINT = "Mã tổ chức đảng, ví dụ DU-A."
RECOGNISING = frozenset({Step.RECOGNITION})


def _voted(meeting: str = "Ngày họp") -> tuple[Field, ...]:
    return (Field("meeting_on", meeting, kind="date", today_by_default=True),)


def _ballots(options: str, label: str = "Biểu quyết của từng người") -> Field:
    return Field("ballots", label, kind="ballots", options=options)


def _decider() -> Field:
    return Field("decided_by", "Cấp ủy ra quyết định", kind="choice", options="committees",
                 hint="Cấp có thẩm quyền quyết định kết nạp đối với chi bộ của hồ sơ được chọn sẵn.")


def _vote(command: str, slug: str, title: str, body: str, lead: str, steps: frozenset[Step], road: str, order: int, done) -> Act:
    """A vote of a cell (`body="cell"`) or of the grassroots committee above it."""
    parts: tuple[Field, ...]
    if body == "cell":
        parts = (*_voted("Ngày chi bộ họp"), _ballots("roster", "Biểu quyết của từng đảng viên chính thức"))
    else:
        parts = (
            Field("organisation", "Đảng ủy cơ sở biểu quyết", options="grassroots", hint=ORGANISATION_HINT),
            *_voted("Ngày đảng ủy họp"), _ballots("committee", "Biểu quyết của từng cấp ủy viên"),
        )
    return Act(
        "voting", command, slug, title, parts, lead=lead, steps=steps, road=road, order=order, names_dossier="dossier_ids",
        cell_as="cell" if body == "cell" else None, confirm=True, submit="Xem lại trước khi ghi", done=done,
        follows=command == "record_cell_resolution",  # the dossier follows the cell's resolution, not the others
    )


ACTS = [
    _vote(
        "record_cell_resolution", "nghi-quyet-chi-bo", "Ghi nghị quyết chi bộ đề nghị kết nạp", "cell",
        "Mỗi lần biểu quyết một người (ONE_BY_ONE). Đảng viên dự bị không biểu quyết.",
        frozenset({Step.READY_FOR_CELL_VOTE}), "cell_resolution", 100,
        lambda d: bool((d.get("cell_vote") or {}).get("resolution")),
    ),
    Act(
        "voting", "record_appraisal", "tham-dinh", "Ghi ý kiến thẩm định của đảng ủy bộ phận",
        (
            Field("organisation", "Đảng ủy bộ phận thẩm định", options="partial", hint=ORGANISATION_HINT),
            Field("appraised_on", "Ngày thẩm định", kind="date", today_by_default=True),
            Field("opinion", "Ý kiến thẩm định", kind="long_text"),
        ),
        lead="Chỉ khi chi bộ trực thuộc một đảng bộ bộ phận (Mẫu 7-KNĐ).",
        steps=frozenset({Step.AWAITING_DECISION}), road="committee_resolution", order=115,
        done=lambda d: bool((d.get("voting_case") or {}).get("appraisal")) or bool((d.get("voting_case") or {}).get("grassroots_resolution")),
    ),
    _vote(
        "record_grassroots_resolution", "nghi-quyet-dang-uy", "Ghi nghị quyết đảng ủy cơ sở đề nghị kết nạp", "committee",
        "Cần ít nhất 2/3 tổng số cấp ủy viên tán thành (COMMITTEE_2_3).",
        frozenset({Step.AWAITING_DECISION}), "committee_resolution", 110,
        lambda d: ((d.get("voting_case") or {}).get("grassroots_resolution") or {}).get("outcome") == "adopted",
    ),
    Act(
        "voting", "decide_admission", "quyet-dinh-ket-nap", "Ghi quyết định kết nạp của cấp có thẩm quyền",
        (
            _decider(),
            Field("decision_date", "Ngày quyết định", kind="date", today_by_default=True),
            Field("admitted", "Quyết định kết nạp (bỏ chọn nếu quyết định không kết nạp)", kind="yes_no", required=False),
            Field("decision_number", "Số quyết định", required=False, hint="Ví dụ: 125-QĐ/TU. Bắt buộc khi kết nạp."),
            Field("reason", "Lý do không kết nạp", kind="long_text", required=False),
            _ballots("deciders", "Biểu quyết của từng cấp ủy viên (đảng ủy cơ sở được ủy quyền)"),
        ),
        lead="Trong 60 ngày làm việc từ ngày chi bộ có nghị quyết (DECISION_60WD); chỉ cấp có thẩm quyền với chi bộ này (AUTHORITY).",
        steps=frozenset({Step.AWAITING_DECISION}), road="decision", order=120, confirm=True, follows=True,
        rule_fields={"AUTHORITY": "decided_by", "COMMITTEE_2_3": "ballots"},
        defaults={"admitted": "yes"}, submit="Xem lại trước khi ghi",
        done=lambda d: bool((d.get("admission") or {}).get("decision_date")),
    ),
    Act(
        "voting", "extend_decision_deadline", "gia-han-quyet-dinh", "Gia hạn thời gian ra quyết định kết nạp",
        (
            _decider(),
            Field("on", "Ngày gia hạn", kind="date", today_by_default=True),
            Field("by_working_days", "Số ngày làm việc gia hạn", kind="number", hint="Một lần, không quá 30 ngày làm việc."),
        ),
        lead="Gia hạn một lần, tối đa 30 ngày làm việc (DECISION_60WD).",
        steps=frozenset({Step.AWAITING_DECISION}), road="decision", order=125, follows=True,
        rule_fields={"AUTHORITY": "decided_by", "DECISION_60WD": "by_working_days"},
        done=lambda d: bool((d.get("voting_case") or {}).get("extensions")),
    ),
    Act(
        "voting", "record_cell_notified", "chi-bo-nhan-quyet-dinh", "Chi bộ nhận quyết định kết nạp",
        (Field("received_on", "Ngày chi bộ nhận quyết định", kind="date", today_by_default=True),),
        lead="Lễ kết nạp trong 30 ngày làm việc từ ngày này (CEREMONY_30WD).",
        steps=frozenset({Step.AWAITING_CEREMONY}), road="ceremony", order=130, follows=True,
        done=lambda d: bool((d.get("admission") or {}).get("received_by_cell_on")),
    ),
    Act(
        "voting", "agree_ceremony_delay", "dong-y-lui-le-ket-nap", "Cấp ủy cấp trên đồng ý tổ chức lễ kết nạp quá hạn",
        (
            Field("agreed_by", "Cấp ủy đồng ý", kind="choice", options="committees"),
            Field("agreed_on", "Ngày đồng ý", kind="date", today_by_default=True),
        ),
        lead="Lễ kết nạp quá 30 ngày làm việc từ ngày chi bộ nhận quyết định cần cấp ủy cấp trên đồng ý (CEREMONY_30WD).",
        steps=frozenset({Step.AWAITING_CEREMONY}), road="ceremony", order=145,
        done=lambda d: bool((d.get("voting_case") or {}).get("ceremony_delay_agreed_by")),
    ),
    _vote(
        "record_recognition_cell_resolution", "nghi-quyet-chi-bo-cong-nhan", "Ghi nghị quyết chi bộ xét công nhận đảng viên chính thức",
        "cell", "Trong 30 ngày làm việc sau khi hết 12 tháng dự bị (RECOG_30WD); «tán thành» là công nhận.",
        RECOGNISING, "recognition", 200,
        lambda d: ((d.get("voting_case") or {}).get("recognition_cell_resolution") or {}).get("outcome") == "adopted",
    ),
    _vote(
        "record_recognition_grassroots_resolution", "nghi-quyet-dang-uy-cong-nhan", "Ghi nghị quyết đảng ủy cơ sở xét công nhận chính thức",
        "committee", "Cần ít nhất 2/3 tổng số cấp ủy viên tán thành (COMMITTEE_2_3).",
        RECOGNISING, "recognition", 210,
        lambda d: ((d.get("voting_case") or {}).get("recognition_grassroots_resolution") or {}).get("outcome") == "adopted",
    ),
    Act(
        "voting", "decide_recognition", "quyet-dinh-cong-nhan", "Ghi quyết định công nhận đảng viên chính thức",
        (
            _decider(),
            Field("decision_number", "Số quyết định"),
            Field("decision_date", "Ngày quyết định", kind="date", today_by_default=True),
            _ballots("deciders", "Biểu quyết của từng cấp ủy viên (đảng ủy cơ sở được ủy quyền)"),
        ),
        lead="Ngày chính thức là ngày lễ kết nạp cộng 12 tháng, dù quyết định ra ngày nào.",
        steps=RECOGNISING, road="recognition", order=220, confirm=True, follows=True, submit="Xem lại trước khi ghi",
        rule_fields={"AUTHORITY": "decided_by"},
        done=lambda d: bool(d.get("official")),
    ),
    Act(
        "voting", "decide_name_removal", "xoa-ten", "Ghi quyết định xóa tên khỏi danh sách đảng viên dự bị",
        (
            _decider(),
            Field("decision_date", "Ngày quyết định", kind="date", today_by_default=True),
            Field("reason", "Lý do", kind="long_text"),
            _ballots("deciders", "Biểu quyết của từng cấp ủy viên (đảng ủy cơ sở được ủy quyền)"),
        ),
        lead="Khi chi bộ ba lần biểu quyết không đạt, hoặc đảng viên dự bị không đủ tư cách (RECOG_3_FAILS).",
        steps=frozenset({Step.PROBATION, Step.RECOGNITION}), road="recognition", order=290, confirm=True, follows=True,
        submit="Xem lại trước khi ghi",
    ),
]
