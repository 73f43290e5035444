"""Annual quality ratings (đánh giá, xếp loại chất lượng) of members and party organisations, from the
registry's `QualityRated` and `QualityRatingCorrected`: how many of each class, and their shares.

The registry classifies (shared/domain/rules/quality_ratings.py) and names the organisation rated, or the
cell the member belonged to that year; the tree on the rating's reference day (`reference_day`)
decides which organisations above it the rating counts for, as admissions count on their decision
date. A member's rating counts for their cell and every unit above it; an organisation's rating is
its own line's `rating` and counts among the organisations of every unit above it.

Members are kept under a pseudonymous key (`person_key`): no citizen id, no points in reporting.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

import asyncpg

from ketnap.domain.rules.quality_ratings import RatingScale, reference_day, scale_for_year
from ketnap.platform.bus.consumer import Unapplicable
from ketnap.platform.envelope import RecordedEvent
from ketnap.services.reporting.base import Inbound, ReportingProjection, on, parse, person_key
from ketnap.services.reporting.organisation_tree import Tree
from ketnap.services.reporting.periods import percent

MEMBER, ORGANISATION = "member", "organisation"


class Rated(Inbound):
    year: int
    subject: str
    citizen_id: str | None = None
    organisation: str
    classification: str
    rated_on: date


class Corrected(Inbound):
    year: int
    subject: str
    citizen_id: str | None = None
    organisation: str
    classification: str


def _subject_key(event: RecordedEvent, e: Rated | Corrected) -> str:
    if e.subject == ORGANISATION:
        return e.organisation
    if e.subject == MEMBER and e.citizen_id:
        return person_key(e.citizen_id)
    raise Unapplicable(f"{event.event_type} at position {event.position} does not fit reporting: subject without its key")


class QualityRatings(ReportingProjection):
    concern = "quality_ratings"
    roles = ("registry",)
    tables = {
        "quality_ratings": """
            year            integer NOT NULL,
            subject         text    NOT NULL,
            subject_key     text    NOT NULL,
            organisation    text    NOT NULL,
            classification  text    NOT NULL,
            rated_on        date    NOT NULL,
            corrections     integer NOT NULL DEFAULT 0,
            PRIMARY KEY (year, subject, subject_key)
        """,
    }

    @on("registry", "QualityRated")
    async def rated(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent) -> None:
        e = parse(Rated, event)
        await conn.execute(
            f"INSERT INTO {schema}.quality_ratings (year, subject, subject_key, organisation, classification, rated_on) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (year, subject, subject_key) DO UPDATE SET "
            "organisation = EXCLUDED.organisation, classification = EXCLUDED.classification, rated_on = EXCLUDED.rated_on",
            e.year, e.subject, _subject_key(event, e), e.organisation, e.classification, e.rated_on,
        )

    @on("registry", "QualityRatingCorrected")
    async def corrected(self, conn: asyncpg.Connection, schema: str, event: RecordedEvent) -> None:
        # The rating keeps its day: a correction changes the class, not where or when it counts.
        e = parse(Corrected, event)
        await conn.execute(
            f"UPDATE {schema}.quality_ratings SET classification = $4, corrections = corrections + 1 "
            "WHERE year = $1 AND subject = $2 AND subject_key = $3",
            e.year, e.subject, _subject_key(event, e), e.classification,
        )


# --- the report --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rating:
    subject: str
    organisation: str
    classification: str
    rated_on: date


async def ratings_of_year(conn: asyncpg.Connection, schema: str, year: int, on_day: date) -> list[Rating]:
    """The ratings of `year` made by `on_day` (a rating of 2025 is often made in January 2026)."""
    rows = await conn.fetch(
        f"SELECT subject, organisation, classification, rated_on FROM {schema}.quality_ratings "
        "WHERE year = $1 AND rated_on <= $2",
        year,
        on_day,
    )
    return [Rating(**dict(r)) for r in rows]


def _shares(counts: Counter[str], scale: RatingScale) -> dict:
    rated = sum(counts.values())
    by_class = [
        {"classification": band.quality.value, "label": band.label, "count": counts[band.quality.value],
         "percent": percent(counts[band.quality.value], rated)}
        for band in scale.bands
    ]
    return {"rated": rated, "by_class": by_class}


def ratings_report(tree: Tree, organisation: str, year: int, on_day: date, ratings: list[Rating]) -> dict:
    """Counts and shares per class for `organisation` and every unit of its subtree, each over its
    own subtree; members and organisations apart."""
    scale = scale_for_year(year)
    tree_day = min(on_day, date(year, 12, 31))
    members: dict[str, Counter[str]] = defaultdict(Counter)
    organisations: dict[str, Counter[str]] = defaultdict(Counter)
    own: dict[str, str] = {}
    depth_seen: dict[str, int] = {}
    for rating in ratings:
        chain = tree.chain_on(rating.organisation, reference_day(year, rating.rated_on))
        if organisation not in chain:
            continue
        counted = chain[: chain.index(organisation) + 1]
        for depth, unit in enumerate(reversed(counted)):
            depth_seen.setdefault(unit, depth)
        if rating.subject == MEMBER:
            for unit in counted:
                members[unit][rating.classification] += 1
        else:
            own[rating.organisation] = rating.classification
            for unit in counted[1:]:
                organisations[unit][rating.classification] += 1

    def line(code: str, depth: int) -> dict:
        quality = own.get(code)
        return {
            **tree.describe(code, tree_day),
            "depth": depth,
            "exists_on_status_day": tree.unit_on(code, tree_day) is not None,
            "rating": {"classification": quality, "label": scale.band(quality).label} if quality else None,
            "members": _shares(members[code], scale),
            "organisations": _shares(organisations[code], scale),
        }

    units = tree.depth_first(organisation, tree_day)
    listed = {code for code, _ in units}
    # Units that ended during the year (a merged commune) still show what was rated in them.
    units += sorted(((c, d) for c, d in depth_seen.items() if c not in listed), key=lambda item: (item[1], item[0]))
    return {
        **line(organisation, 0),
        "year": year,
        "on": on_day.isoformat(),
        "status_on": tree_day.isoformat(),
        "scale": [
            {"classification": band.quality.value, "label": band.label, "min_points": band.min_points,
             "max_points": scale.max_points_of(band.quality)}
            for band in scale.bands
        ],
        "units": [line(code, depth) for code, depth in units if code != organisation],
    }
