"""A subtree answer (`registry.subtree`: rows with parent and depth) as nested branches to show."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Branch:
    unit: Mapping[str, Any]
    children: list[Branch] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Units in this branch, itself included."""
        return 1 + sum(c.count for c in self.children)


def branches(rows: Sequence[Mapping[str, Any]], root: str) -> Branch | None:
    """The root's branch, children in the order given (the registry's order: by depth, then code)."""
    nodes = {str(r["code"]): Branch(r) for r in rows}
    for r in rows:
        parent = r.get("parent")
        if r["code"] != root and parent in nodes:
            nodes[str(parent)].children.append(nodes[str(r["code"])])
    return nodes.get(root)


def in_tree_order(rows: Sequence[Mapping[str, Any]], root: str) -> list[Mapping[str, Any]]:
    """The rows depth first from the root, each unit followed by its own branch: a list that reads
    as the tree (the registry's order, by depth then code, puts a commune's cells under the last
    commune). Rows outside the root's branch are left out."""
    found = branches(rows, root)
    ordered: list[Mapping[str, Any]] = []
    stack = [found] if found else []
    while stack:
        branch = stack.pop()
        ordered.append(branch.unit)
        stack.extend(reversed(branch.children))
    return ordered
