"""A cell dissolved while a dossier is opened in it or moved into it (issue 18), with the real
registry and dossiers services: the dossiers service attaches a dossier to a unit in the registry's
tree turn (platform turns.TREE), in which the registry asks it for the unit's open dossiers before
dissolving (DISSOLVE_EMPTY). Of the two acts one wins and the other is refused naming why; never an
open dossier in a dissolved cell, over rounds in both orders of sending."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from ketnap.platform.bus import subjects
from tests.integration.dossiers.registry import RealRegistry
from tests.integration.dossiers.stack import CELL, HELPER, Stack

ROUNDS = 6
GONE = "Tổ chức {cell} không còn tồn tại (đã giải thể, sáp nhập hoặc chia tách): không thể gắn hồ sơ vào tổ chức này."


async def _cell_with_a_helper_who_left(registry: RealRegistry, cell: str, helper: str) -> None:
    """A cell whose only member, official there when the dossier is opened, moved on before the
    dissolution's date: nothing but a dossier can keep it from being dissolved."""
    await registry.ok("establish_organisation", code=cell, name=f"Chi bộ {cell}", kind="cell", parent="DU-HT", effective_from="2005-01-01")
    await registry.ok("register_member", citizen_id=helper, full_name="Ngô Văn Giúp", organisation=cell, kind="official",
                      effective_from="2010-01-01")
    await registry.ok("transfer_member", citizen_id=helper, transfer="official", to_organisation=CELL, effective_from="2025-10-01")


async def _open_in(stack: Stack, cell: str) -> int:
    reply = await stack.nc.request(subjects.query_subject(stack.name, "open_dossiers"), json.dumps({"organisation": cell}).encode(), timeout=10)
    return int(json.loads(reply.data)["result"]["open"])


def _dissolution(registry: RealRegistry, cell: str) -> Any:
    return registry.ask("dissolve_organisation", code=cell, effective_from="2025-12-01", reason="Sáp xếp lại")


def _one_won(dissolved: dict[str, Any], attached: dict[str, Any], cell: str, field: str) -> bool:
    """Exactly one succeeded; the loser names why. True when the dissolution won."""
    assert [dissolved["ok"], attached["ok"]].count(True) == 1, (dissolved, attached)
    if dissolved["ok"]:
        error = attached["error"]
        assert (error["code"], error["message"], error["details"]["field"]) == ("validation", GONE.format(cell=cell), field), error
        return True
    error = dissolved["error"]
    assert error["code"] == "rule:DISSOLVE_EMPTY" and error["details"]["open_dossiers"] == 1, error
    assert error["message"] == f"[DISSOLVE_EMPTY] Tổ chức {cell} còn 1 hồ sơ kết nạp đang mở; hãy chuyển đi hoặc sáp nhập trước khi giải thể."
    return False


async def test_DISSOLVE_EMPTY_a_dissolution_and_a_dossier_opened_in_the_cell_at_once_one_wins(stack: Stack, registry: RealRegistry) -> None:
    outcomes = []
    async with stack.dossiers_running():
        for n in range(ROUNDS):
            cell, helper = f"CR{n}", f"00108100{n:04d}"
            await _cell_with_a_helper_who_left(registry, cell, helper)
            opening = stack.ask("open_dossier", cell=cell, citizen_id=f"00109820{n:04d}", full_name="Phan Văn Đua",
                                opened_on="2025-09-01", helper_citizen_id=helper)
            if n % 2:
                opened, dissolved = await asyncio.gather(opening, _dissolution(registry, cell))
            else:
                dissolved, opened = await asyncio.gather(_dissolution(registry, cell), opening)
            outcomes.append(_one_won(dissolved, opened, cell, "cell"))
            assert await _open_in(stack, cell) == (0 if dissolved["ok"] else 1)
    assert len(outcomes) == ROUNDS


async def test_DISSOLVE_EMPTY_a_dissolution_and_a_dossier_moved_into_the_cell_at_once_one_wins(stack: Stack, registry: RealRegistry) -> None:
    async with stack.dossiers_running():
        for n in range(ROUNDS):
            cell, helper = f"CT{n}", f"00108200{n:04d}"
            await _cell_with_a_helper_who_left(registry, cell, helper)
            opened = await stack.ok("open_dossier", cell=CELL, citizen_id=f"00109830{n:04d}", full_name="Trịnh Thị Chuyển",
                                    opened_on="2025-09-01", helper_citizen_id=HELPER)
            moving = stack.ask("transfer", dossier_id=opened["result"]["dossier_id"], on="2025-11-01", to_cell=cell)
            if n % 2:
                moved, dissolved = await asyncio.gather(moving, _dissolution(registry, cell))
            else:
                dissolved, moved = await asyncio.gather(_dissolution(registry, cell), moving)
            _one_won(dissolved, moved, cell, "to_cell")
            assert await _open_in(stack, cell) == (0 if dissolved["ok"] else 1)
