"""Every help page of the `ketnap` command speaks Vietnamese, typer's own words included (issue 22)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer.main
from typer.testing import CliRunner

from ketnap.operations.cli import app

ENGLISH = ("Show this message", "Usage:", "Options", "Arguments", "Commands", "[required]", "[default:", "<str>", "<int", "<bool>",
           "[OPTIONS]", "COMMAND [ARGS]")


def command_paths(command: object, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from command_paths(sub, (*path, name))


def test_every_help_page_is_in_vietnamese() -> None:
    paths = list(command_paths(typer.main.get_command(app)))
    assert len(paths) > 30
    for path in paths:
        done = CliRunner().invoke(app, [*path, "--help"], prog_name="ketnap", env={"COLUMNS": "100"})
        assert done.exit_code == 0, (path, done.output)
        assert "Cách dùng: ketnap" in done.output and "Hiện hướng dẫn này rồi thoát." in done.output, path
        english = [word for word in ENGLISH if word in done.output]
        assert english == [], f"ketnap {' '.join(path)} --help still says {english}"


def test_type_tags_are_vietnamese_and_flags_have_none() -> None:
    done = CliRunner().invoke(app, ["demo", "--help"], env={"COLUMNS": "100"})
    assert "<số>" in done.output and "<ngày>" in done.output and "Tùy chọn" in done.output


def test_a_refusal_is_in_vietnamese() -> None:
    done = CliRunner().invoke(app, ["report", "quota", "--org", "TU-LS", "--as-of", "hôm qua"], prog_name="ketnap", env={"COLUMNS": "100"})
    assert done.exit_code == 2
    assert "Lỗi" in done.output and "Xem 'ketnap report quota --help' để biết cách dùng." in done.output
    assert "Error" not in done.output and "Try" not in done.output


@pytest.mark.parametrize(("words", "said"), [
    (["users", "add", "x"], "Thiếu '--role'."),
    (["users", "add", "x", "--rol", "a"], "Không có tùy chọn --rol. Có phải là --org, --role?"),
    (["report", "quot"], "Không có lệnh 'quot'. Có phải là quota?"),
    (["demo", "extra"], "Thừa tham số: extra."),
    (["demo", "--applicants", "1000"], "'--applicants': giá trị không hợp lệ (xem --help)."),
])
def test_usage_errors_are_in_vietnamese(words: list[str], said: str) -> None:
    done = CliRunner().invoke(app, words, prog_name="ketnap", env={"COLUMNS": "200"})
    assert done.exit_code == 2
    assert said in done.output
