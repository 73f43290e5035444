"""Generated import files: an existing district with its communes, cells, members, committees, localities."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path
from typing import Any

COLUMNS = [
    "record", "code", "name", "kind", "parent", "effective_from", "citizen_id", "full_name", "organisation",
    "status", "admitted_on", "official_since", "role", "covered_by", "authority_decision_number",
    "authority_decision_date",
]

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"]
GIVEN = ["Văn An", "Thị Bình", "Minh Châu", "Quốc Dũng", "Thu Hà", "Đức Huy", "Ngọc Lan", "Hữu Phước"]


def citizen(n: int) -> str:
    return f"0012{n:08d}"


def district(root: str, *, communes: int = 4, cells: int = 5, members: int = 10, seed: int = 7) -> list[dict[str, Any]]:
    """Rows of one district under `root`: about communes * cells * (members + 1) rows."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = [
        {"record": "organisation", "code": "D1", "name": "Huyện ủy Đông Anh", "kind": "upper_committee", "parent": root,
         "effective_from": "01/01/2015"},
    ]
    n = 0
    for g in range(1, communes + 1):
        commune = f"D1.G{g}"
        rows.append({
            "record": "organisation", "code": commune, "name": f"Đảng bộ xã số {g}", "kind": "đảng bộ cơ sở",
            "parent": "D1", "effective_from": "2015-01-01",
            **({"authority_decision_number": f"{g}-QĐ/HU", "authority_decision_date": "2020-05-04"} if g == 1 else {}),
        })
        for c in range(1, cells + 1):
            cell = f"{commune}.C{c}"
            rows.append({"record": "organisation", "code": cell, "name": f"Chi bộ thôn {c}", "kind": "cell",
                         "parent": commune, "effective_from": "2015-01-01"})
            rows.append({"record": "locality", "code": f"{cell}.L", "name": f"Thôn {c} xã {g}", "kind": "thôn",
                         "organisation": commune, "covered_by": cell, "effective_from": "2015-01-01"})
            for m in range(members):
                n += 1
                probationary = m == members - 1
                rows.append({
                    "record": "member", "citizen_id": citizen(n), "full_name": f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}",
                    "organisation": cell, "kind": "dự bị" if probationary else "chính thức",
                    "status": "exempted" if m == 0 else "active", "effective_from": "2016-03-01",
                    "admitted_on": "2025-01-10" if probationary else "2010-03-01",
                    **({} if probationary else {"official_since": "2011-03-01"}),
                })
            rows.append({"record": "committee", "organisation": commune, "citizen_id": citizen(n - 1), "role": "ủy viên",
                         "effective_from": "2020-10-01"})
        rows.append({"record": "locality", "code": f"{commune}.L0", "name": f"Tổ dân phố xã {g}", "kind": "tổ dân phố",
                     "organisation": commune, "effective_from": "2018-01-01"})
    return rows


def write_csv(path: Path, rows: list[dict[str, Any]], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, COLUMNS, delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_json(path: Path, rows: list[dict[str, Any]]) -> Path:
    sections = {"organisation": "organisations", "member": "members", "committee": "committees", "locality": "localities"}
    body: dict[str, list[dict[str, Any]]] = {name: [] for name in sections.values()}
    for row in rows:
        body[sections[row["record"]]].append({k: v for k, v in row.items() if k != "record"})
    path.write_text(json.dumps(body, ensure_ascii=False, indent=2), encoding="utf-8")
    return path
