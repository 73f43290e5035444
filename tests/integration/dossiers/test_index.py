"""Finding a dossier: the dossier index (a projection of the dossiers log) and `search` over it, on a
real PostgreSQL: names without accents or case, CCCD, cells, steps, year opened, overdue, sorting
and pages; the live index equals its rebuild."""

from __future__ import annotations

from datetime import date

import asyncpg
import pytest

from ketnap.platform import projections
from ketnap.platform.envelope import EventMetadata
from ketnap.platform.eventstore import EventStore
from ketnap.services.dossiers import events as ev
from ketnap.services.dossiers.index import DossierIndex, SearchQuery, search

TODAY = date(2026, 3, 2)
CELLS = ["CB-1", "CB-2"]

PEOPLE = [
    # dossier id, cell, name, citizen id, opened on
    ("d-an", "CB-1", "Nguyễn Văn An", "001099000001", date(2025, 9, 1)),
    ("d-anh", "CB-1", "Nguyễn Văn Anh", "001099000002", date(2024, 5, 6)),
    ("d-binh", "CB-2", "Đặng Thị Bình", "001099000003", date(2025, 1, 15)),
    ("d-khac", "CB-9", "Nguyễn Văn An", "001099000004", date(2025, 2, 1)),
]


async def _record(store: EventStore) -> None:
    for dossier_id, cell, name, citizen_id, opened_on in PEOPLE:
        opened = ev.DossierOpened(
            dossier_id=dossier_id, cell=cell, citizen_id=citizen_id, full_name=name, opened_on=opened_on, helper_citizen_id="001080000001"
        )
        await store.append(ev.stream_id(dossier_id), 0, [opened.to_new_event()], EventMetadata(actor="test", organisation=cell))
    # Anh's cell adopted a resolution long ago: the decision is overdue (DECISION_60WD).
    resolution = ev.CellResolutionRecorded(
        dossier_id="d-anh", adopted=True, meeting_on=date(2025, 6, 2), agree=5, disagree=0, denominator=5, rule_set="2025-03"
    )
    await store.append(ev.stream_id("d-anh"), 1, [resolution.to_new_event()], EventMetadata(actor="test", organisation="CB-1"))


@pytest.fixture
async def index(pool: asyncpg.Pool, schema: str, store: EventStore) -> DossierIndex:
    await _record(store)
    built = DossierIndex(schema)
    async with pool.acquire() as conn:
        await projections.create_tables(conn, built, schema)
    await built.catch_up(pool, store)
    return built


async def _found(pool: asyncpg.Pool, schema: str, **query: object) -> list[str]:
    answer = await search(pool, schema, CELLS, SearchQuery(organisation="DU", **query), TODAY)  # type: ignore[arg-type]
    return [d["dossier_id"] for d in answer["dossiers"]]


async def test_a_name_typed_without_accents_or_capitals_finds_the_applicant(pool: asyncpg.Pool, schema: str, index: DossierIndex) -> None:
    assert set(await _found(pool, schema, name="nguyen van an")) == {"d-an", "d-anh"}  # each word begins a word of the name
    assert await _found(pool, schema, name="NGUYỄN VĂN AN", sort="name") == ["d-an", "d-anh"]
    assert await _found(pool, schema, name="dang binh") == ["d-binh"]  # đ is d
    assert await _found(pool, schema, name="an nguyen van") != []  # any order
    assert await _found(pool, schema, name="guyen") == []  # a word's beginning, not its middle
    assert await _found(pool, schema, name="an (") == []  # typed punctuation is text, not a pattern


async def test_a_citizen_id_finds_exactly_one_and_only_within_the_cells_asked(pool: asyncpg.Pool, schema: str, index: DossierIndex) -> None:
    assert await _found(pool, schema, citizen_id="001099000003") == ["d-binh"]
    assert await _found(pool, schema, citizen_id="001099000004") == []  # CB-9 is not among the cells searched


async def test_step_year_overdue_status_sorting_and_pages(pool: asyncpg.Pool, schema: str, index: DossierIndex) -> None:
    assert await _found(pool, schema, steps=["awaiting_decision"]) == ["d-anh"]
    assert await _found(pool, schema, year=2025, sort="opened_on") == ["d-binh", "d-an"]
    assert await _found(pool, schema, overdue=True) == ["d-anh"]
    assert await _found(pool, schema, status="closed") == []
    assert await _found(pool, schema, sort="opened_on", descending=True) == ["d-an", "d-binh", "d-anh"]
    first = await search(pool, schema, CELLS, SearchQuery(organisation="DU", page_size=2, sort="name"), TODAY)
    second = await search(pool, schema, CELLS, SearchQuery(organisation="DU", page_size=2, page=2, sort="name"), TODAY)
    assert (first["total"], first["pages"], second["page"]) == (3, 2, 2)
    assert [d["dossier_id"] for d in first["dossiers"] + second["dossiers"]] == ["d-binh", "d-an", "d-anh"]
    row = next(d for d in first["dossiers"] + second["dossiers"] if d["dossier_id"] == "d-anh")
    assert row["next_deadline"]["rule"] == "DECISION_60WD" and row["next_deadline"]["overdue"] is True
    assert (row["step"], row["full_name"], row["citizen_id"]) == ("awaiting_decision", "Nguyễn Văn Anh", "001099000002")


async def test_the_live_index_equals_its_rebuild(pool: asyncpg.Pool, schema: str, index: DossierIndex) -> None:
    assert await projections.verify(pool, index) == []


class RolledBack(Exception):
    pass


async def test_an_event_applied_again_after_its_transaction_rolled_back_counts_once(
    pool: asyncpg.Pool, schema: str, store: EventStore, index: DossierIndex
) -> None:
    # The index applies each event to the dossier it kept from the event before; a consumer whose
    # transaction rolls back applies the same event again, which must not be applied twice.
    certificate = ev.ClassCertificateRecorded(dossier_id="d-an", certificate_number="GCN-1", issued_on=date(2025, 9, 20), issued_by="TT")
    await store.append(ev.stream_id("d-an"), 1, [certificate.to_new_event()], EventMetadata(actor="test", organisation="CB-1"))
    recorded = (await store.read_stream(ev.stream_id("d-an")))[-1]
    with pytest.raises(RolledBack):
        async with pool.acquire() as conn, conn.transaction():
            await index.apply(conn, schema, recorded, schema)
            raise RolledBack
    async with pool.acquire() as conn, conn.transaction():
        await index.apply(conn, schema, recorded, schema)
    assert await pool.fetchval(f"SELECT version FROM {schema}.dossier_index WHERE dossier_id = 'd-an'") == 2
    # The consumer's checkpoint is still before it: caught up, it is applied a third time, still once in effect.
    await index.catch_up(pool, store)
    assert await pool.fetchval(f"SELECT version FROM {schema}.dossier_index WHERE dossier_id = 'd-an'") == 2
    assert await projections.verify(pool, index) == []
