"""The form mechanism: what was typed becomes the command's body (dates, citizen ids, numbers,
choices, yes/no, nested lists), is kept as typed, and a refusal lands beside its field or at the top
with its rule code."""

from __future__ import annotations

from datetime import date

from ketnap.platform.commands import ErrorBody
from ketnap.services.gateway.web.acts import all_acts
from ketnap.services.gateway.web.forms import Act, Field, Group, Offer, blank, keeps_key, read, refused

ACT = Act(
    "dossiers", "record_introductions", "gioi-thieu", "Ghi người giới thiệu",
    (
        Group("Người thứ nhất", (
            Field("introducers.0.full_name", "Họ và tên"),
            Field("introducers.0.citizen_id", "Số CCCD", kind="citizen_id"),
            Field("introducers.0.introduced_on", "Ngày giới thiệu", kind="date"),
        )),
        Group("Người thứ hai", (
            Field("introducers.1.full_name", "Họ và tên"),
            Field("introducers.1.citizen_id", "Số CCCD", kind="citizen_id"),
        ), optional=True),
        Group("Quan hệ", (Field("relatives.0.relation", "Quan hệ", kind="fixed", fixed="father"),
                          Field("relatives.0.birth_year", "Năm sinh", kind="number")), optional=True),
        Field("union", "Đoàn thể", kind="choice", choices={"youth_union": "Đoàn Thanh niên"}, required=False),
        Field("replacement", "Thay thế", kind="yes_no", required=False),
        Field("recorded_on", "Ngày ghi", kind="date", today_by_default=True),
    ),
)


def test_what_was_typed_becomes_the_commands_body() -> None:
    state, body = read(ACT, {
        "idempotency_key": "9f1b7c1e-2d7a-4c55-8d0e-3b7b2f1f4a10", "expected_version": "3",
        "introducers.0.full_name": " Lý Văn Hùng ", "introducers.0.citizen_id": "0010 8000 0001", "introducers.0.introduced_on": "5/9/2025",
        "relatives.0.birth_year": "1.968", "union": "youth_union", "replacement": "yes", "recorded_on": "06/09/2025",
    })
    assert not state.has_errors, state.field_errors
    assert body == {
        "introducers": [{"full_name": "Lý Văn Hùng", "citizen_id": "001080000001", "introduced_on": "2025-09-05"}],
        "relatives": [{"relation": "father", "birth_year": 1968}],
        "union": "youth_union", "replacement": True, "recorded_on": "2025-09-06",
    }
    assert (state.key, state.expected_version) == ("9f1b7c1e-2d7a-4c55-8d0e-3b7b2f1f4a10", 3)


def test_an_empty_optional_group_is_left_out_and_a_started_one_is_checked() -> None:
    _, body = read(ACT, {"introducers.0.full_name": "A", "introducers.0.citizen_id": "001080000001", "introducers.0.introduced_on": "05/09/2025",
                         "recorded_on": "06/09/2025"})
    assert "relatives" not in body and len(body["introducers"]) == 1 and body["replacement"] is False
    state, _ = read(ACT, {"introducers.1.full_name": "B", "recorded_on": "06/09/2025"})
    assert state.field_errors["introducers.1.citizen_id"] == "Hãy nhập số cccd."
    assert state.field_errors["introducers.0.full_name"] == "Hãy nhập họ và tên."


def test_what_cannot_be_read_is_said_beside_its_field_and_kept_as_typed() -> None:
    state, _ = read(ACT, {"introducers.0.full_name": "A", "introducers.0.citizen_id": "12345", "introducers.0.introduced_on": "2025-09-05",
                          "union": "trade", "relatives.0.birth_year": "năm", "recorded_on": "06/09/2025"})
    assert state.field_errors == {
        "introducers.0.citizen_id": "Số CCCD gồm đúng 12 chữ số.",
        "introducers.0.introduced_on": "Ngày giới thiệu: Ngày phải viết dạng ngày/tháng/năm, ví dụ 05/09/2025.",
        "relatives.0.birth_year": "Năm sinh phải là một số nguyên.",
        "union": "Hãy chọn đoàn thể trong danh sách.",
    }
    assert state.values["introducers.0.introduced_on"] == "2025-09-05" and state.values["introducers.0.citizen_id"] == "12345"
    assert [target for target, _ in state.error_list()] == ["f-introducers-0-citizen-id", "f-introducers-0-introduced-on",
                                                             "f-relatives-0-birth-year", "f-union"]


def test_a_services_refusal_lands_beside_its_field_or_at_the_top_with_the_rule() -> None:
    state = blank(ACT, date(2025, 9, 6))
    refused(state, ErrorBody(code="validation", message="Dữ liệu không hợp lệ", details={"problems": [
        {"field": "introducers.0.citizen_id", "problem": "value_error", "detail": "Value error, Số định danh cá nhân (CCCD) phải gồm đúng 12 chữ số"},
        {"field": "body", "problem": "missing", "detail": "Field required"},
    ]}))
    assert state.field_errors["introducers.0.citizen_id"] == "Số định danh cá nhân (CCCD) phải gồm đúng 12 chữ số."
    assert state.summary == ["Hãy nhập một trường."]
    dates = blank(ACT, date(2025, 9, 6))
    refused(dates, ErrorBody(code="validation", message="Ngày ghi nhận (01/09/2025) không được trước ...", details={"field": "recorded_on"}))
    assert dates.field_errors["recorded_on"].startswith("Ngày ghi nhận (01/09/2025)")
    rule = blank(ACT, date(2025, 9, 6))
    refused(rule, ErrorBody(code="rule:EDU_MIN", message="[EDU_MIN] Không đủ trình độ học vấn", details={
        "violations": [{"rule": "EDU_MIN", "message": "Không đủ trình độ học vấn"}, {"rule": "DOC_12M", "message": "Hồ sơ đã quá 12 tháng"}],
    }), {"EDU_MIN": "«Lý lịch»"})
    assert rule.rule == "EDU_MIN"
    assert rule.summary == ["Không đủ trình độ học vấn (quy định EDU_MIN, bước «Lý lịch»).", "Hồ sơ đã quá 12 tháng (quy định DOC_12M)."]
    # A rule's conflict (ONE_DOSSIER, HTTP 409) is shown like a rule's refusal: its message and code, not the bracketed text.
    taken = blank(ACT, date(2025, 9, 6))
    refused(taken, ErrorBody(code="conflict", message="[ONE_DOSSIER] Người này đã có một hồ sơ kết nạp đang mở",
                             details={"rule": "ONE_DOSSIER", "dossier_id": "x"}))
    assert taken.rule == "ONE_DOSSIER"
    assert taken.summary == ["Người này đã có một hồ sơ kết nạp đang mở (quy định ONE_DOSSIER)."]


def test_a_form_keeps_its_key_only_when_the_answer_may_still_come() -> None:
    assert keeps_key(ErrorBody(code="unavailable", message="")) and not keeps_key(ErrorBody(code="rule:INTRO_SET", message=""))
    fresh = blank(ACT, date(2025, 9, 6), 4)
    assert fresh.values["recorded_on"] == "06/09/2025" and fresh.expected_version == 4 and len(fresh.key) == 36
    assert read(ACT, {"idempotency_key": "<script>"})[0].key != "<script>"  # only a UUID is taken back


def test_every_declared_act_names_a_command_of_the_access_table_and_fields_of_its_model() -> None:
    from ketnap.services import all_services
    from ketnap.services.gateway.catalogue import catalogue

    models = {(e.service, e.name): e.model for e in catalogue(all_services()) if e.kind == "command"}
    for act in all_acts().values():
        assert act.key in models, act.key
        model = models[act.key]
        for f, _ in act.fields():
            top = f.name.split(".")[0]
            assert top in model.model_fields, (act.slug, f.name)
        if act.about_dossier:
            assert act.names_dossier in model.model_fields, (act.slug, act.names_dossier)
            assert act.cell_as is None or act.cell_as in model.model_fields, (act.slug, act.cell_as)
            if act.versioned:  # the version of what it changes: the dossier's, or its service's case
                assert "expected_version" in model.model_fields, act.slug


def test_an_act_sends_the_version_of_what_it_changes_as_the_page_showed_it() -> None:
    facts = {"stream_version": 12, "verification_case": {"version": 5}, "voting_case": None}
    acts = all_acts()
    assert acts["chuyen-chi-bo-xet"].seen_version(facts) == 12  # the dossier's own
    assert acts["ket-qua-tham-tra"].seen_version(facts) == 5  # the verification case's
    assert acts["nghi-quyet-chi-bo"].seen_version(facts) is None  # no voting case yet: nothing to compare
    assert acts["nghi-quyet-chi-bo"].seen_version({**facts, "voting_case": {"version": 2}}) == 2
    assert VOTE.seen_version(facts) is None  # not versioned


VOTE = Act(
    "voting", "record_cell_resolution", "nghi-quyet-chi-bo", "Ghi nghị quyết chi bộ",
    (Field("meeting_on", "Ngày họp", kind="date"), Field("ballots", "Biểu quyết", kind="ballots", options="roster")),
    names_dossier="dossier_ids", cell_as="cell", versioned=False, confirm=True,
)
VOTERS = {"roster": Offer({"001080000001": "Đảng viên 1", "001080000002": "Đảng viên 2", "001080000003": "Đảng viên 3"},
                          denominator=3, required=2, rule="CELL_2_3")}


def test_a_vote_sends_one_ballot_per_member_present_and_leaves_the_absent_out() -> None:
    offers = {"ballots": VOTERS["roster"]}
    state, body = read(VOTE, {"meeting_on": "02/03/2025", "ballots.001080000001": "agree", "ballots.001080000002": "disagree",
                              "ballots.001080000003": "absent", "ballots.999999999999": "agree"}, offers)
    assert not state.has_errors
    assert body == {"meeting_on": "2025-03-02", "ballots": [{"citizen_id": "001080000001", "choice": "agree"},
                                                          {"citizen_id": "001080000002", "choice": "disagree"}]}
    assert state.count(VOTE.field_named("ballots"), "agree") == 1
    assert ("Biểu quyết", "Tán thành: 1; Không tán thành: 1; Không biểu quyết: 0; Vắng mặt: 1") in state.answers()


def test_a_vote_with_a_member_left_unanswered_is_not_sent_and_says_how_many() -> None:
    state, body = read(VOTE, {"meeting_on": "02/03/2025", "ballots.001080000001": "agree"}, {"ballots": VOTERS["roster"]})
    assert "ballots" not in body
    assert state.field_errors["ballots"].startswith("Hãy ghi biểu quyết của cả 2 đảng viên còn trống")
    assert state.ballot(VOTE.field_named("ballots"), "001080000001") == "agree"  # kept as typed


def test_a_body_without_voters_to_list_sends_no_ballots() -> None:
    state, body = read(VOTE, {"meeting_on": "02/03/2025"}, {"ballots": Offer()})
    assert not state.has_errors and "ballots" not in body and not state.shown(VOTE.field_named("ballots"))


def test_a_preselected_offer_is_the_value_first_shown() -> None:
    act = Act("verification", "certify_history", "chung-nhan", "Chứng nhận", (Field("certified_by", "Đảng ủy", options="grassroots"),))
    assert blank(act, date(2025, 3, 2), offers={"certified_by": Offer(preselect="DU-A")}).values["certified_by"] == "DU-A"


def test_a_rules_refusal_is_shown_beside_the_field_it_judges_too() -> None:
    act = Act("voting", "decide_admission", "quyet-dinh", "Quyết định", (Field("decided_by", "Cấp ủy ra quyết định"),),
              rule_fields={"AUTHORITY": "decided_by"})
    state, _ = read(act, {"decided_by": "DU-A"})
    refused(state, ErrorBody(code="rule:AUTHORITY", message="[AUTHORITY] Không có thẩm quyền"))
    assert state.summary == ["Không có thẩm quyền (quy định AUTHORITY)."]
    assert state.field_errors["decided_by"] == "Không có thẩm quyền (quy định AUTHORITY)."
    assert state.values["decided_by"] == "DU-A"


def test_a_correction_keeps_each_declared_relative_and_a_child_says_whether_an_adult() -> None:
    """What the history's correction form sends is what the dossiers service's command accepts:
    the relatives chosen again keep their ids, an adult child says so, the empty groups are left out."""
    from ketnap.services.dossiers.commands import CorrectPersonalHistory

    act = all_acts()["dinh-chinh-ly-lich"]
    in_law, child = act.field_named("relatives.5.subject_id"), act.field_named("relatives.7.subject_id")
    assert in_law is not None and child is not None and act.field_named("relatives.7.adult_with_full_capacity") is not None
    offers = {in_law.name: Offer({"father_in_law-1": "Cha vợ (chồng) đã khai"}), child.name: Offer({"child-1": "Con đã khai"})}
    typed = {
        "applicant.birth_date": "12/03/1985", "applicant.gender": "female", "applicant.ethnicity": "Kinh", "applicant.religion": "Không",
        "applicant.occupation": "Kế toán", "qualifications.general_education": "upper_secondary",
        "qualifications.professional_qualification": "university", "qualifications.youth_union_exists": "yes",
        "relatives.5.subject_id": "father_in_law-1", "relatives.5.full_name": "Trương Văn Lâm Hải", "relatives.5.birth_year": "1955",
        "relatives.5.residence_or_work": "Thôn 3", "relatives.7.subject_id": "child-1", "relatives.7.full_name": "Trương Minh Khôi",
        "relatives.7.birth_year": "2005", "relatives.7.residence_or_work": "Thôn 3", "relatives.7.adult_with_full_capacity": "yes",
        "corrected_on": "06/09/2025", "reason": "Ghi sai tên cha chồng.",
    }
    state, body = read(act, typed, offers)
    assert not state.has_errors, state.field_errors
    assert [(r["relation"], r["subject_id"], r.get("adult_with_full_capacity")) for r in body["relatives"]] == [
        ("father_in_law", "father_in_law-1", None), ("child", "child-1", True)]
    CorrectPersonalHistory.model_validate({
        **body, "dossier_id": "0b8f7a52-6c1e-4d8e-9a57-2f0e6f3c9d41", "idempotency_key": "khoa-dinh-chinh", "actor": "bithu.a1", "scope": "CB-A1",
    })


HISTORY = {
    "applicant": {"birth_date": "1985-03-12", "gender": "female", "ethnicity": "Kinh", "religion": "Không", "occupation": "Kế toán",
                  "police_officer": False, "private_business_owner": True},
    "qualifications": {"general_education": "upper_secondary", "professional_qualification": "university", "youth_union_member": False,
                       "youth_union_exists": True, "area_exemption": None, "village_elder_or_head": False},
    "family_planning_case": False,
    "relatives": [
        {"subject_id": "spouse-1", "relation": "spouse", "full_name": "Trương Văn Nam", "birth_year": 1983, "residence_or_work": "Thôn 3",
         "responding_organisation": "DU-B", "is_party_member": False, "member_citizen_id": None, "fully_declared": False,
         "foreign_national": True, "adult_with_full_capacity": None},
        *({"subject_id": f"guardian-{n}", "relation": "guardian", "full_name": f"Người nuôi {n}", "birth_year": 1950 + n,
           "residence_or_work": "Thôn 1", "responding_organisation": None, "is_party_member": False, "member_citizen_id": None,
           "fully_declared": False, "foreign_national": False, "adult_with_full_capacity": None} for n in (1, 2)),
        {"subject_id": "father_in_law-1", "relation": "father_in_law", "full_name": "Trương Văn Lâm", "birth_year": 1955,
         "residence_or_work": "Thôn 3", "responding_organisation": None, "is_party_member": True, "member_citizen_id": "001055000099",
         "fully_declared": True, "foreign_national": False, "adult_with_full_capacity": None},
        *({"subject_id": f"child-{n}", "relation": "child", "full_name": f"Con {n}", "birth_year": 2004 + n, "residence_or_work": "Thôn 3",
           "responding_organisation": None, "is_party_member": False, "member_citizen_id": None, "fully_declared": False,
           "foreign_national": False, "adult_with_full_capacity": n == 1} for n in range(1, 6)),
    ],
}


def test_a_correction_starts_from_the_history_as_it_stands_and_sends_it_back_unchanged() -> None:
    """The form filled from `dossiers.personal_history` sends the same history: every relative in
    their row with their id (two guardians; five children: more than the four rows a form once had), the
    responding organisation carried along unseen; a staffer changes one field, not all."""
    from ketnap.services.dossiers.commands import CorrectPersonalHistory
    from ketnap.services.gateway.web.acts.preparation import history_values

    act = all_acts()["dinh-chinh-ly-lich"]
    ids = [r["subject_id"] for r in HISTORY["relatives"]]
    offers = {f.name: Offer({i: i for i in ids}) for f, _ in act.fields() if f.leaf == "subject_id"}
    state = blank(act, date(2025, 9, 6), offers=offers, values=history_values(HISTORY))
    assert state.values["applicant.birth_date"] == "12/03/1985" and state.values["applicant.private_business_owner"] == "yes"
    assert state.rows == {"con": 5}  # every child shown, one more with "Thêm con"
    children = act.row_groups("con")
    assert [state.row_shown(g) for g in children[:6]] == [True] * 5 + [False]
    assert state.adds_after(children[4]) == "Thêm con" and state.adds_after(children[3]) == ""
    typed = {**state.values, "reason": "Ghi sai tên cha chồng.", "relatives.5.full_name": "Trương Văn Lâm Hải"}
    read_back, body = read(act, typed, offers)
    assert not read_back.has_errors, read_back.field_errors
    sent = {r["subject_id"]: r for r in body["relatives"]}
    declared = {r["subject_id"]: {k: v for k, v in r.items() if v is not None} for r in HISTORY["relatives"]}
    assert sent.keys() == declared.keys()
    assert {i for i in sent if sent[i] != declared[i]} == {"father_in_law-1"}, [(sent[i], declared[i]) for i in sent if sent[i] != declared[i]]
    assert body["applicant"] == HISTORY["applicant"] and body["family_planning_case"] is False
    CorrectPersonalHistory.model_validate({
        **body, "dossier_id": "0b8f7a52-6c1e-4d8e-9a57-2f0e6f3c9d41", "idempotency_key": "khoa-dinh-chinh", "actor": "bithu.a1", "scope": "CB-A1",
    })


def test_a_list_shows_one_row_more_for_each_thêm_and_the_rows_filled() -> None:
    act = all_acts()["ly-lich"]
    assert blank(act, date(2025, 9, 6)).rows == {"con": 1}
    state, _ = read(act, {"so_hang.con": "2", "relatives.10.full_name": "Con thứ tư"})  # the 4th child's row (index 7 + 3)
    assert state.rows == {"con": 4}
    state.add_row("con")
    assert state.rows == {"con": 5}


def test_an_overdue_reply_reminds_by_the_units_names() -> None:
    from ketnap.services.gateway.web.pages.home import reminder

    item = {"relation": "father", "sent_to": "DU-B", "sent_by": "DU-A", "sent_on": "2025-07-01", "reply_due_on": "2025-08-12",
            "working_days_waiting": 35}
    assert reminder(item, {"DU-A": "Đảng ủy xã A", "DU-B": "Đảng ủy xã B"}) == (
        "Yêu cầu thẩm tra lý lịch (cha đẻ) gửi Đảng ủy xã B ngày 01/07/2025 đã 35 ngày làm việc chưa có trả lời "
        "(hạn trả lời 12/08/2025). Đề nghị Đảng ủy xã A đôn đốc Đảng ủy xã B trả lời."
    )
    assert "Công an tỉnh X" in reminder({**item, "sent_to": "Công an tỉnh X", "sent_by": None}, {})  # free text, as recorded
