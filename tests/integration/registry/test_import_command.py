"""The import as a registry command (what the web application's import page sends): a dry run lists
every row's problem, rows outside the sender's unit among them; a good file is written in one go,
by the person who sent it, and the same file again writes nothing."""

from __future__ import annotations

import io

from tests.integration.registry.conftest import Registry
from tests.integration.registry.files import district, write_csv


def csv_text(rows: list[dict[str, object]], tmp_path: object) -> str:
    path = write_csv(tmp_path / "file.csv", rows)  # type: ignore[operator]
    return path.read_text(encoding="utf-8")


async def test_a_dry_run_then_the_import_then_the_same_file_again(province: Registry, tmp_path: object) -> None:
    r = province
    await r.tree(H1="upper_committee:T01:2015-01-01", H2="upper_committee:T01:2015-01-01")
    rows = district("H1", communes=1, cells=2, members=4)
    text = csv_text(rows, tmp_path)
    head = await r.head()

    checked = await r.ok("import_records", organisation="H1", file_name="dong-anh.csv", content=text, dry_run=True)
    assert checked["result"]["problems"] == [] and not checked["result"]["written"]
    assert checked["result"]["counts"] == {"organisations": 4, "members": 8, "committees": 2, "localities": 3, "paper_admissions": 0}
    assert await r.head() == head

    outside = await r.ok("import_records", organisation="H2", file_name="dong-anh.csv", content=text, dry_run=True)
    assert outside["result"]["problems"][0] == {
        "line": 2, "field": "parent", "reason": "H1 không thuộc phạm vi quản lý (H2 và các tổ chức cấp dưới)",
    }

    bad = io.StringIO(text.replace("01/01/2015", "31/02/2015", 1).replace("D1.G1.C2,Chi bộ thôn 2,cell", "D1.G1.C2,Chi bộ thôn 2,xyz"))
    problems = (await r.ok("import_records", organisation="H1", file_name="x.csv", content=bad.getvalue(), dry_run=False))["result"]
    assert not problems["written"] and {(p["line"], p["field"]) for p in problems["problems"]} >= {(2, "effective_from")}
    assert len(problems["problems"]) >= 2 and all(p["reason"] for p in problems["problems"])
    assert await r.head() == head

    written = await r.ok("import_records", organisation="H1", file_name="dong-anh.csv", content=text, dry_run=False, key="import-1")
    assert written["result"]["written"] and written["result"]["events"] > 0
    log = [e async for batch in r.store.read_log(head) for e in batch]
    assert len(log) == written["result"]["events"] and {e.actor for e in log} == {"officer-1"}
    again = await r.ok("import_records", organisation="H1", file_name="dong-anh.csv", content=text, dry_run=False)
    assert again["result"]["problems"] and not again["result"]["written"]
    assert await r.head() == head + written["result"]["events"]
