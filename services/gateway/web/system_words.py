"""The system's own parts in words, for the inspection pages and `ketnap alarms list`: which service's log (or which linked
deployment's), which part received a message, what an event on the bus was, who recorded it and in
which organisation. Internal names (schemas, subjects, consumers, event classes) never reach the
screen: an inspector reads "sổ Hồ sơ", "Rút hồ sơ", "Chi bộ A1 (CB-A1)".

A service's name in the table may differ from the name its log and subjects use (tests run several
deployments side by side): `Gateway.names` says which is which.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ketnap.platform.alarms import KIND_TEXT
from ketnap.platform.federation.links import DOWNWARD, UPWARD
from ketnap.services.gateway.access import Role
from ketnap.services.gateway.accounts import load_user
from ketnap.services.gateway.scope import OPERATOR, WHOLE_DEPLOYMENT
from ketnap.services.gateway.web.vietnamese import event_title, role_title

if TYPE_CHECKING:  # the words serve the command line too (`ketnap alarms list`), without the web's pages
    from ketnap.services.gateway.web.page import Web

SERVICE_TITLES = {
    "registry": "Tổ chức và đảng viên", "dossiers": "Hồ sơ", "verification": "Thẩm tra lý lịch", "voting": "Biểu quyết và quyết định",
    "reporting": "Báo cáo", "gateway": "Cổng truy cập", "federation": "Liên kết đơn vị triển khai",
}
"""The services as a person names them."""

KEPT = "_at_"
"""`ketnap.platform.federation.links.kept_log_name`: `<service>_at_<deployment>`."""


class SystemWords:
    """Names in words for one gateway's services (`names`: table name -> the name its logs use)."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self._role_of = {used: role for role, used in names.items()}

    def service(self, name: str) -> str | None:
        """The service a log, consumer or actor name belongs to, by its table name; None: none of ours."""
        if name in self._role_of:
            return self._role_of[name]
        return name if name in SERVICE_TITLES else None

    def log(self, log: str) -> str:
        """`sổ Hồ sơ`; a log kept from a linked deployment: `sổ Hồ sơ của đơn vị triển khai tinh-a`."""
        if (role := self.service(log)) is not None:
            return f"sổ {SERVICE_TITLES[role]}"
        kept_service, _, origin = log.partition(KEPT)
        if origin and kept_service in (*UPWARD, *DOWNWARD):
            return f"sổ {SERVICE_TITLES[kept_service]} của đơn vị triển khai {origin.replace('_', '-')}"
        return "sổ không thuộc hệ thống này"

    def part(self, consumer: str) -> str:
        """Who received a message: consumers are named `<service>.<what it keeps>`."""
        role = self.service(consumer.split(".", 1)[0])
        return f"dịch vụ {SERVICE_TITLES[role]}" if role else "một bên nhận không rõ"

    def alarm(self, alarm: Mapping[str, Any]) -> str:
        """What an integrity alarm says: the event, where it claimed to be, what was wrong, who refused it."""
        event = event_title(alarm["subject"].rsplit(".", 1)[-1]) if ".evt." in alarm["subject"] else "Một tin"
        return (
            f"Tin «{event}» ở vị trí {alarm['position']} của {self.log(alarm['source'])}: "
            f"{KIND_TEXT.get(alarm['kind'], 'không phải mắt xích kế tiếp')}; {self.part(alarm['consumer'])} không áp dụng tin này."
        )


SYSTEM = "Hệ thống (tự động)"
"""Who recorded what a service recorded by itself (a process manager following another service)."""


async def display_names(web: Web, logins: set[str]) -> dict[str, str]:
    """The display names of the users who recorded acts; a service's own records have none."""
    found = {}
    for login in sorted(filter(None, logins)):
        user = await load_user(web.gateway.store, login)
        if user is not None:
            found[login] = user.display_name
    return found


async def people(web: Web, logins: set[str], units: Mapping[str, str]) -> dict[str, str]:
    """Who the users who acted are, for an inspector: name, role and unit in words
    (`Bí thư A1 (Bí thư chi bộ, Chi bộ A1 (CB-A1))`), never a login's role or unit code alone.
    `units`: the unit names known to the reader (`organisation_title`)."""
    found = {}
    for login in sorted(filter(None, logins)):
        user = await load_user(web.gateway.store, login)
        if user is not None:
            found[login] = f"{user.display_name} ({role_title(user.role)}, {organisation_title(user.organisation, units)})"
    return found


ROLE_NAMES = frozenset(role.value for role in Role)


def recorder(names: Mapping[str, str], actor: Any) -> str:
    """A user's name (`display_names`); a service's own record (its process manager, a consumer
    following another service's log) is the system's; a system acting as a role over the
    operator's connection (`demo.cell_secretary`: the demo's loader, `operations/demo/client.py`)
    by the role's title, its internal name never on screen; any other actor (a system sending
    through the operator's connection) by the name it gave."""
    actor = str(actor or "")
    if actor in names:
        return names[actor]
    automatic = not actor or actor == OPERATOR or actor.endswith((".process_manager", "-service"))
    if automatic:
        return SYSTEM
    if actor in ROLE_NAMES:  # a role's code as the actor: its title
        return role_title(actor)
    system, _, role = actor.partition(".")
    return role_title(role) if system and role in ROLE_NAMES else actor


def organisation_title(code: str | None, names: Mapping[str, str]) -> str:
    """`Chi bộ A1 (CB-A1)` when the unit's name is known; the whole deployment's scope in words."""
    if not code:
        return ""
    if code == WHOLE_DEPLOYMENT:
        return "Toàn hệ thống"
    return f"{names[code]} ({code})" if code in names else code
