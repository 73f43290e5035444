"""Registry commands over NATS: idempotency, concurrent conflicting changes, and bad input refused in
Vietnamese with nothing written."""

from __future__ import annotations

import asyncio
import unicodedata
from datetime import timedelta

from ketnap.domain.calendar import today_in_vietnam
from ketnap.services.registry.events import person_stream
from tests.integration.registry.conftest import Registry

AN = "001203004567"
NAME = "Nguyễn Thị Ánh Tuyết"


async def small_tree(r: Registry) -> None:
    await r.tree(
        H1="upper_committee:T01:2015-01-01",
        H2="upper_committee:H1:2016-01-01",
        G1="grassroots_committee:H1:2015-01-01",
        C1="cell:G1:2015-01-01",
    )


class TestIdempotency:
    async def test_the_same_key_twice_gives_the_same_reply_and_one_effect(self, province: Registry) -> None:
        r = province
        await small_tree(r)
        fields = dict(citizen_id=AN, full_name=NAME, organisation="C1", kind="official", effective_from="2016-01-01")
        first = await r.command("register_member", key="register-an-0001", **fields)
        head = await r.head()
        again = await r.command("register_member", key="register-an-0001", **fields)
        assert again == first and first["ok"] and first["stream_id"] == person_stream(AN)
        assert await r.head() == head
        # A retry after the record moved on still gets its first answer, not a refusal.
        await r.ok("change_member_status", citizen_id=AN, status="exempted", effective_from="2024-01-01")
        assert await r.command("register_member", key="register-an-0001", **fields) == first
        assert [e.event_type for e in await r.store.read_stream(person_stream(AN))] == ["MemberJoined", "MemberStatusChanged"]


class TestConcurrency:
    async def test_two_officers_renaming_the_same_version_get_one_success_and_one_conflict(self, province: Registry) -> None:
        r = province
        await small_tree(r)
        version = (await r.answer("organisation", code="C1", on="2020-01-01"))["version"]
        replies = await asyncio.gather(*(
            r.command("rename_organisation", code="C1", name=name, effective_from="2020-01-01", expected_version=version)
            for name in ("Chi bộ thôn Đông", "Chi bộ thôn Tây")
        ))
        assert sorted(reply["ok"] for reply in replies) == [False, True]
        (loser,) = [reply for reply in replies if not reply["ok"]]
        assert loser["error"]["code"] == "conflict" and "người khác cập nhật" in loser["error"]["message"]
        (winner,) = [reply for reply in replies if reply["ok"]]
        renamed = await r.answer("organisation", code="C1", on="2020-01-01")
        assert renamed["version"] == version + 1 and winner["stream_version"] == version + 1

    async def test_the_same_change_by_two_people_at_once_gives_the_loser_a_conflict_whichever_check_stops_it(
        self, province: Registry
    ) -> None:
        """Without a version seen: the store's version check or the record already showing the
        change stops the second; both are the same `conflict`."""
        r = province
        await small_tree(r)
        for round_ in range(4):
            code = f"C9{round_}"
            await r.tree(**{code: "cell:G1:2015-01-01"})
            renames = await asyncio.gather(*(
                r.command("rename_organisation", code=code, name="Chi bộ thôn Bắc", effective_from="2020-01-01") for _ in range(2)
            ))
            dissolutions = await asyncio.gather(*(
                r.command("dissolve_organisation", code=code, effective_from="2024-01-01", reason="Sáp xếp lại") for _ in range(2)
            ))
            for replies in (renames, dissolutions):
                assert sorted(reply["ok"] for reply in replies) == [False, True], replies
                (loser,) = [reply for reply in replies if not reply["ok"]]
                assert loser["error"]["code"] == "conflict", loser

    async def test_registering_one_person_or_one_code_at_once_succeeds_once(self, province: Registry) -> None:
        r = province
        await small_tree(r)
        members = await asyncio.gather(*(
            r.command("register_member", citizen_id=AN, full_name=NAME, organisation="C1", kind="official",
                      effective_from="2016-01-01")
            for _ in range(5)
        ))
        units = await asyncio.gather(*(
            r.command("establish_organisation", code="C9", name=f"Chi bộ {i}", kind="cell", parent="G1",
                      effective_from="2020-01-01")
            for i in range(5)
        ))
        for replies in (members, units):
            assert [reply["ok"] for reply in replies].count(True) == 1
            assert {reply["error"]["code"] for reply in replies if not reply["ok"]} == {"conflict"}
        assert len(await r.store.read_stream(person_stream(AN))) == 1
        assert len(await r.store.read_stream("organisation-C9")) == 1


class TestBadInput:
    async def refused(self, r: Registry, command: str, error: str, /, **fields: object) -> str:
        head = await r.head()
        reply = await r.command(command, **fields)
        assert reply["ok"] is False and reply["error"]["code"] == error, reply
        assert await r.head() == head, "a refused command wrote nothing"
        return reply["error"]["message"]

    async def test_an_unknown_parent(self, province: Registry) -> None:
        r = province
        await small_tree(r)
        message = await self.refused(r, "establish_organisation", "validation", code="C2", name="Chi bộ 2", kind="cell",
                                     parent="G9", effective_from="2020-01-01")
        assert message == "Tổ chức cấp trên G9 không tồn tại vào ngày 01/01/2020."
        early = await self.refused(r, "establish_organisation", "validation", code="C2", name="Chi bộ 2", kind="cell",
                                   parent="G1", effective_from="2014-12-31")
        assert early == "Tổ chức cấp trên G1 không tồn tại vào ngày 31/12/2014."
        wrong_kind = await self.refused(r, "establish_organisation", "validation", code="C2", name="Chi bộ 2",
                                        kind="cell", parent="H1", effective_from="2020-01-01")
        assert wrong_kind == "Chi bộ không thể trực thuộc cấp ủy cấp trên cơ sở."

    async def test_a_cycle_in_the_tree(self, province: Registry) -> None:
        r = province
        await small_tree(r)
        message = await self.refused(r, "move_organisation", "validation", code="H1", parent="H2", effective_from="2020-01-01")
        assert message == (
            "Không thể đặt H1 trực thuộc H2: H2 nằm trong chính cây tổ chức của H1 (từ ngày 01/01/2020), "
            "cây sẽ thành vòng lặp."
        )
        itself = await self.refused(r, "move_organisation", "validation", code="H1", parent="H1", effective_from="2020-01-01")
        assert "vòng lặp" in itself
        # H2 moves out from under H1 in 2022 (recorded first): H1 may then go under H2, not before.
        await r.ok("move_organisation", code="H2", parent="T01", effective_from="2022-01-01")
        assert "vòng lặp" in await self.refused(r, "move_organisation", "validation", code="H1", parent="H2",
                                                effective_from="2021-06-01")
        await r.ok("move_organisation", code="H1", parent="H2", effective_from="2022-01-01")

    async def test_a_malformed_citizen_id(self, province: Registry) -> None:
        r = province
        await small_tree(r)
        for bad in ("00120300456", "00120300456X", "0012 0300 4567", 1203004567):
            head = await r.head()
            reply = await r.command("register_member", citizen_id=bad, full_name=NAME, organisation="C1", kind="official",
                                    effective_from="2016-01-01")
            assert reply["error"]["code"] == "validation"
            assert reply["error"]["message"] == "Dữ liệu không hợp lệ ở trường: «số CCCD»"
            (problem,) = reply["error"]["details"]["problems"]
            assert "12 chữ số" in problem["detail"]
            assert await r.head() == head
        roster = await r.query("roster", organisation="C1", on="2020-01-01", absent=["123"])
        assert roster["error"]["code"] == "validation" and roster["error"]["message"] == "Dữ liệu không hợp lệ ở trường: «người vắng mặt» ở mục 1"

    async def test_a_duplicate_member_and_an_nfd_name_equal_to_an_nfc_one(self, province: Registry) -> None:
        r = province
        await small_tree(r)
        await r.ok("register_member", citizen_id=AN, full_name=NAME, organisation="C1", kind="official",
                   effective_from="2016-01-01")
        message = await self.refused(r, "register_member", "conflict", citizen_id=AN, full_name=NAME, organisation="C1",
                                     kind="official", effective_from="2017-01-01")
        assert message == "Người này đã là đảng viên (số CCCD đã có trong sổ, đang sinh hoạt tại C1)."
        typed_in_nfd = "  " + unicodedata.normalize("NFD", NAME).replace(" ", "   ") + " "
        assert typed_in_nfd != NAME
        assert await self.refused(r, "register_member", "conflict", citizen_id=AN, full_name=typed_in_nfd,
                                  organisation="C1", kind="official", effective_from="2017-01-01") == message
        await r.ok("register_member", citizen_id="001203004568", full_name=typed_in_nfd, organisation="C1",
                   kind="official", effective_from="2017-01-01")
        assert (await r.answer("member", citizen_id="001203004568", on="2017-01-01"))["full_name"] == NAME

    async def test_a_former_member_is_answered_with_the_day_they_left(self, province: Registry) -> None:
        """READMIT: dossiers opens a former member only as a re-admission, from the day the registry says they left."""
        r = province
        await small_tree(r)
        await r.ok("register_member", citizen_id="001203004599", full_name=NAME, organisation="C1", kind="official",
                   effective_from="2016-01-01")
        await r.ok("change_member_status", citizen_id="001203004599", status="suspended", effective_from="2019-01-01", reason="Kỷ luật")
        await r.ok("remove_member_name", citizen_id="001203004599", effective_from="2020-05-04", reason="Vi phạm tư cách đảng viên")
        during = await r.answer("member", citizen_id="001203004599", on="2020-05-03")
        after = await r.answer("member", citizen_id="001203004599", on="2021-01-01")
        assert (during["member"], during["left_on"]) == (True, None)
        assert (after["member"], after["left_on"]) == (False, "2020-05-04")

    async def test_an_actor_outside_the_unit_and_a_bad_date(self, province: Registry) -> None:
        r = province
        await small_tree(r)
        await r.tree(G2="grassroots_committee:H1:2015-01-01")
        message = await self.refused(r, "rename_organisation", "forbidden", scope="G2", code="C1", name="Chi bộ A",
                                     effective_from="2020-01-01")
        assert message == "Người dùng của G2 không có quyền với tổ chức C1 (không thuộc phạm vi quản lý)."
        await r.ok("rename_organisation", scope="G1", code="C1", name="Chi bộ A", effective_from="2020-01-01")
        backdated = await self.refused(r, "rename_organisation", "validation", code="C1", name="Chi bộ B",
                                       effective_from="2019-01-01")
        assert backdated.startswith("Ngày hiệu lực 01/01/2019 trước lần thay đổi gần nhất (01/01/2020)")
        not_a_date = await self.refused(r, "rename_organisation", "validation", code="C1", name="Chi bộ B",
                                        effective_from="31/02/2020")
        assert not_a_date == "Dữ liệu không hợp lệ ở trường: «ngày hiệu lực»"
        assert await self.refused(r, "rename_organisation", "not_found", code="C7", name="Chi bộ B",
                                  effective_from="2020-01-01") == "Không tìm thấy tổ chức đảng C7."


class TestActsAreNotInTheFuture:
    async def test_a_decision_an_admission_a_class_or_a_rating_dated_after_today_is_refused_naming_the_field(
        self, province: Registry
    ) -> None:
        r = province
        await small_tree(r)
        tomorrow = (today_in_vietnam() + timedelta(days=1)).isoformat()
        head = await r.head()
        refused = {
            "admitted_on": await r.command("register_member", citizen_id=AN, full_name=NAME, organisation="C1", kind="probationary",
                                           effective_from="2024-01-01", admitted_on=tomorrow),
            "decision_date": await r.command("assign_quota", organisation="G1", period="2026", quantity=5, assigned_by="H1",
                                             decision_date=tomorrow),
            "start_date": await r.command("record_class", class_id="LOP-1", kind="awareness", organiser="G1", start_date=tomorrow,
                                          end_date=tomorrow, attendees=[{"citizen_id": AN, "full_name": NAME}]),
        }
        for field, reply in refused.items():
            assert reply["error"]["code"] == "validation", reply
            assert field in str(reply["error"]["details"]) and "không được sau ngày hôm nay" in str(reply["error"]["details"]), reply
        assert await r.head() == head
        # A unit may be established from a day still to come (a decision taking effect later).
        await r.ok("establish_organisation", code="C2", name="Chi bộ 2", kind="cell", parent="G1", effective_from=tomorrow)
