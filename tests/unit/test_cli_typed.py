"""The `ketnap` command reads what people type the way they write it: roles by their Vietnamese
title, dates as dd/mm/yyyy, organisation codes in any case (issue 22)."""

from __future__ import annotations

from datetime import date

import pytest
from typer.testing import CliRunner

from ketnap.operations.cli import _fields, app
from ketnap.operations.typed import Refused, day, day_option, organisation_option, role, role_option
from ketnap.services.gateway.access import ROLE_TITLES, Role


@pytest.mark.parametrize("typed", ["Bí thư chi bộ", "bí  thư CHI BỘ", "bi thu chi bo", "cell_secretary", "Cell Secretary"])
def test_a_role_by_its_vietnamese_title_or_its_code(typed: str) -> None:
    assert role(typed) is Role.CELL_SECRETARY
    assert role_option(typed) == "cell_secretary"


def test_every_role_by_its_title() -> None:
    assert {role(title) for title in ROLE_TITLES.values()} == set(Role)
    assert role("can bo dang uy co so") is Role.GRASSROOTS_STAFF


def test_an_unknown_role_is_refused_naming_the_titles() -> None:
    with pytest.raises(Refused) as refusal:
        role("vua")
    assert "Vai trò không hợp lệ: «vua»" in refusal.value.message and "Bí thư chi bộ" in refusal.value.message


@pytest.mark.parametrize(("typed", "meant"), [("05/09/2025", date(2025, 9, 5)), ("5/9/2025", date(2025, 9, 5)), ("5.9.2025", date(2025, 9, 5)),
                                             ("2025-09-05", date(2025, 9, 5))])
def test_a_date_as_people_write_it_or_as_iso(typed: str, meant: date) -> None:
    assert day(typed) == meant
    assert day_option(typed) == "2025-09-05"


@pytest.mark.parametrize(("typed", "said"), [("31/02/2025", "Không có ngày 31/02/2025"), ("2025-02-31", "Không có ngày 2025-02-31"),
                                             ("hôm qua", "ngày/tháng/năm")])
def test_a_date_that_is_not_one_is_refused_saying_how_to_write_it(typed: str, said: str) -> None:
    with pytest.raises(Refused) as refusal:
        day(typed)
    assert said in refusal.value.message


def test_organisation_codes_in_any_case() -> None:
    assert organisation_option(" tu-ls ") == "TU-LS"
    assert organisation_option(None) is None


def test_api_fields_take_dates_as_people_write_them_and_send_iso() -> None:
    assert _fields(["on=20/11/2026", "expected_version=7", "citizen_id=001203004005"], None) == {
        "on": "2026-11-20", "expected_version": 7, "citizen_id": "001203004005"}


def test_the_command_line_refuses_a_bad_date_before_anything_runs() -> None:
    done = CliRunner().invoke(app, ["report", "quota", "--org", "tu-ls", "--as-of", "31/02/2025"], env={"COLUMNS": "100"})
    assert done.exit_code == 2
    assert "'--as-of': Không có ngày 31/02/2025 trong lịch." in done.output


def test_the_command_line_refuses_an_unknown_role_before_anything_runs() -> None:
    done = CliRunner().invoke(app, ["users", "add", "x.y", "--role", "vua", "--org", "CB-A1"], env={"COLUMNS": "200"})
    assert done.exit_code == 2
    assert "Vai trò không hợp lệ: «vua»" in done.output
