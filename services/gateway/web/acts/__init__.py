"""The acts of the web application: every `Act` declared in a module of this package (`ACTS = [...]`).

A new act is a declaration in a module here (an existing one, or a new one for another part of the
road); the dossier page offers it to the roles the access table allows, at the steps it names.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from ketnap.services.gateway.web.forms import Act


@cache
def all_acts() -> dict[str, Act]:
    """Every act by its slug, in the order the dossier page offers them."""
    found: list[Act] = []
    for module in pkgutil.iter_modules(__path__):
        found += getattr(importlib.import_module(f"{__name__}.{module.name}"), "ACTS", [])
    slugs = [a.slug for a in found]
    if len(slugs) != len(set(slugs)):
        raise ValueError(f"two acts share a slug: {sorted(s for s in slugs if slugs.count(s) > 1)}")
    return {a.slug: a for a in sorted(found, key=lambda a: a.order)}
