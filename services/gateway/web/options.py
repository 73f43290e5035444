"""Lists a form's choices are filled from for the person using it (`Field.options`): each a
function asking the services as that person, so the list never offers what their scope refuses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from ketnap.services.gateway.web.forms import Act
from ketnap.services.gateway.web.page import SignedIn, Web

CELL_KINDS = ("cell", "grassroots_cell")


async def cells(web: Web, who: SignedIn) -> dict[str, str]:
    """The cells (chi bộ) of the person's subtree today: "Chi bộ Thôn 1 (CB-01)"."""
    subtree = await web.ask(who, "registry", "subtree", code=who.principal.organisation, on=web.today().isoformat())
    return {o["code"]: f"{o['name']} ({o['code']})" for o in subtree.get("organisations", []) if o.get("kind") in CELL_KINDS}


PROVIDERS: dict[str, Callable[[Web, SignedIn], Awaitable[dict[str, str]]]] = {"cells": cells}


async def options_for(web: Web, who: SignedIn, act: Act) -> dict[str, Mapping[str, str]]:
    return {f.name: await PROVIDERS[f.options](web, who) for f, _ in act.fields() if f.options}
