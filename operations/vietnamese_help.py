"""The `ketnap` command's own words in Vietnamese: typer writes its help and errors in English
("Show this message and exit.", "Options", `<str>`, "Usage:"), and lets an application change
them only through its rich_utils texts and the command classes it is given (`cls=`). Every Typer
of cli.py is built with `cls=VietnameseGroup`, every command with `cls=VietnameseCommand`."""

from __future__ import annotations

from difflib import get_close_matches
from typing import Any

import typer.rich_utils as texts

# typer exports none of click's usage errors it vendors; tests/unit/test_cli_help.py fails when an upgrade moves them.
from typer._click.exceptions import BadParameter, MissingParameter, NoSuchOption, UsageError
from typer.core import TyperCommand, TyperGroup

texts.ARGUMENTS_PANEL_TITLE = "Tham số"
texts.OPTIONS_PANEL_TITLE = "Tùy chọn"
texts.COMMANDS_PANEL_TITLE = "Lệnh"
texts.ERRORS_PANEL_TITLE = "Lỗi"
texts.ABORTED_TEXT = "Đã dừng."
texts.DEFAULT_STRING = "[mặc định: {}]"
texts.ENVVAR_STRING = "[biến môi trường: {}]"
texts.REQUIRED_LONG_STRING = "[bắt buộc]"
texts.DEPRECATED_STRING = "(không còn dùng) "
texts.RICH_HELP = "Xem [blue]'{command_path} {help_option}'[/] để biết cách dùng."

HELP_OPTION = "Hiện hướng dẫn này rồi thoát."
USAGE = "Cách dùng: "
OPTIONS_METAVAR = "[TÙY_CHỌN]"
SUBCOMMAND_METAVAR = "LỆNH [THAM_SỐ]..."

TYPE_NAMES = {"str": "chữ", "int": "số", "float": "số", "int range": "số", "float range": "số", "path": "đường dẫn"}
"""typer's type tags (`<str>`, `<int range>`) as a person reads them; a flag (`<bool>`) has none."""


def _type_tag(english: str | None) -> str | None:
    if english is None or not english.startswith("<"):
        return english  # a metavar the command chose (THƯ_MỤC) stays
    inner = english.strip("<>.")
    if inner == "bool":
        return ""
    many = inner.startswith("list[") or english.endswith("...")
    inner = inner.removeprefix("list[").removesuffix("]")
    return f"<{TYPE_NAMES.get(inner, inner)}>" + ("..." if many else "")


def _vietnamese_params(command: Any) -> None:
    for param in command.params:
        english = param.display_type_rich  # typer offers no hook for these tags: wrap the bound method
        param.display_type_rich = lambda ctx, english=english: _type_tag(english(ctx))


class _Vietnamese:
    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None and option.help != HELP_OPTION:
            option.help = HELP_OPTION
            option.metavar = ""
        return option

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """click's usage errors that a person meets most (a required option left out, an option
        mistyped, a word too many), said in Vietnamese; the exit code stays 2."""
        try:
            return super().parse_args(ctx, args)  # type: ignore[misc]
        except MissingParameter as missing:
            hint = missing.param.get_error_hint() if missing.param is not None else missing.param_hint
            raise UsageError(f"Thiếu {hint}.", ctx) from None
        except NoSuchOption as unknown:
            near = f" Có phải là {', '.join(sorted(unknown.possibilities))}?" if unknown.possibilities else ""
            raise UsageError(f"Không có tùy chọn {unknown.option_name}.{near}", ctx) from None
        except BadParameter as refusal:
            if type(refusal) is not BadParameter:  # ours (operations/typed.py) are Vietnamese already
                raise
            hint = refusal.param.get_error_hint() if refusal.param is not None else refusal.param_hint
            raise UsageError(f"{hint}: giá trị không hợp lệ (xem --help).", ctx) from None
        except UsageError as refusal:
            extra = "Got unexpected extra argument(s) ("
            if refusal.message.startswith(extra):
                raise UsageError(f"Thừa tham số: {refusal.message.removeprefix(extra).removesuffix(')')}.", ctx) from None
            raise

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), prefix=USAGE)  # type: ignore[attr-defined]


class VietnameseCommand(_Vietnamese, TyperCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options_metavar = OPTIONS_METAVAR
        _vietnamese_params(self)


class VietnameseGroup(_Vietnamese, TyperGroup):
    command_class = VietnameseCommand

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options_metavar = OPTIONS_METAVAR
        self.subcommand_metavar = SUBCOMMAND_METAVAR
        _vietnamese_params(self)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except UsageError as refusal:
            if not refusal.message.startswith("No such command") or not args:
                raise
            near = get_close_matches(args[0], list(self.commands))
            raise UsageError(f"Không có lệnh '{args[0]}'." + (f" Có phải là {', '.join(near)}?" if near else ""), ctx) from None
