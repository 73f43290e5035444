"""People with dossiers open in more than one place at once (issue 18, "one person, one dossier").

Within one deployment the dossiers service keeps one open dossier per citizen id (ONE_DOSSIER). A
level above keeps the logs of several deployments, so only there can one person be found with
dossiers open in two communes at once. This projection keeps, for every dossier, the person's
pseudonymous key (`base.person_key`: reporting's tables hold no citizen ids); the report
`several_dossiers` lists the people whose open dossiers, on the day, are more than one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

import asyncpg

from ketnap.platform.envelope import RecordedEvent
from ketnap.services.reporting.base import Inbound, ReportingProjection, on, parse, person_key
from ketnap.services.reporting.organisation_tree import Tree
from ketnap.services.reporting.pipeline import OPEN_STEPS, STEPS, InProgress


class Opened(Inbound):
    dossier_id: str
    citizen_id: str


class DossierPeople(ReportingProjection):
    concern = "people"
    roles = ("dossiers",)
    tables = {
        "dossier_people": """
            dossier_id  text PRIMARY KEY,
            person      text NOT NULL
        """,
    }

    @on("dossiers", "DossierOpened")
    async def opened(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent) -> None:
        e = parse(Opened, event)
        await conn.execute(
            f"INSERT INTO {schema}.dossier_people (dossier_id, person) VALUES ($1, $2) ON CONFLICT (dossier_id) DO NOTHING",
            e.dossier_id, person_key(e.citizen_id),
        )


async def people_of(conn: asyncpg.Connection, schema: str, dossier_ids: Iterable[str]) -> dict[str, str]:
    rows = await conn.fetch(
        f"SELECT dossier_id, person FROM {schema}.dossier_people WHERE dossier_id = ANY($1::text[])", sorted(set(dossier_ids))
    )
    return {r["dossier_id"]: r["person"] for r in rows}


def several_dossiers(tree: Tree, organisation: str, on_day: date, dossiers: Iterable[InProgress], people: dict[str, str]) -> dict:
    """The people with more than one dossier open on `on_day` in cells under `organisation`, each
    with the cells and steps of their dossiers. A person is shown by their dossiers, never by a key."""
    open_by_person: dict[str, list[InProgress]] = defaultdict(list)
    for dossier in dossiers:
        person = people.get(dossier.dossier_id)
        if person is None or dossier.step not in OPEN_STEPS or tree.attribute(organisation, dossier.cell, on_day) is None:
            continue
        open_by_person[person].append(dossier)
    groups = sorted((sorted(ds, key=lambda d: d.cell) for ds in open_by_person.values() if len(ds) > 1), key=lambda ds: ds[0].cell)
    return {
        **tree.describe(organisation, on_day),
        "status_on": on_day.isoformat(),
        "people": [
            {
                "dossiers": [
                    {"dossier_id": d.dossier_id, "cell": tree.describe(d.cell, on_day), "step": d.step, "step_label": STEPS[d.step]}
                    for d in group
                ]
            }
            for group in groups
        ],
    }
