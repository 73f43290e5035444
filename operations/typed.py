"""What a person types on the `ketnap` command line, read the way they write it: a role by its
Vietnamese title ("Bí thư chi bộ", with or without accents) or its code, a date as dd/mm/yyyy
(the API and the services keep ISO), an organisation code in any case. Each reader is a typer
callback; a refusal names the option and says how to write it, in Vietnamese."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import typer

from ketnap.services.gateway.access import ROLE_TITLES, Role
from ketnap.services.gateway.web.vietnamese import DATE_FORMAT_HINT, NotADate, typed_date


class Refused(typer.BadParameter):
    """click's "Invalid value for '--on': ...", in Vietnamese: the option, then what is wrong."""

    def format_message(self) -> str:
        hint = self.param_hint or (self.param.get_error_hint() if self.param is not None else None)
        return f"{hint}: {self.message}" if hint else self.message


def _plain(text: str) -> str:
    """Lower case, no accents, single spaces: "Bí  thư Chi bộ" and "bi thu chi bo" are one role."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().replace("_", " ").split())


_ROLES: dict[str, Role] = {_plain(name): role for role in Role for name in (role.value, ROLE_TITLES[role])}


def role(text: str) -> Role:
    """A role by its title or its code."""
    found = _ROLES.get(_plain(text))
    if found is None:
        raise Refused(f"Vai trò không hợp lệ: «{text}». Chọn một trong: {', '.join(ROLE_TITLES.values())}.")
    return found


def role_option(text: str | None) -> str | None:
    """The --role callback: the role's code, which the gateway's commands take."""
    return None if text is None else role(text).value


def day(text: str) -> date:
    """A date as people write it (05/09/2025, also 5.9.2025) or as ISO (2025-09-05)."""
    if re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", text):
        try:
            return date.fromisoformat(text.strip())
        except ValueError:
            raise Refused(f"Không có ngày {text.strip()} trong lịch.") from None
    try:
        return typed_date(text)
    except NotADate as problem:
        raise Refused(str(problem)) from None


def day_option(text: str | None) -> str | None:
    """The callback of a date option: ISO, which the services take."""
    return None if text is None else day(text).isoformat()


def organisation_option(text: str | None) -> str | None:
    """Organisation codes are written in capitals (TU-LS, CB-A1); `tu-ls` is the same code."""
    return None if text is None else text.strip().upper()


DAY = "<ngày>"
DAY_HINT = f"ngày/tháng/năm ({DATE_FORMAT_HINT.split(', ', 1)[-1]})"
