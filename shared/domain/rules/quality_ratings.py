"""Annual quality ratings (đánh giá, xếp loại chất lượng hằng năm) of members and party organisations:
the class a number of points falls in.

domain.md §5: excellent ≥ 90 points, good 70–89, completed 50–69, not completed < 50. The
thresholds live in one `RatingScale`, so a new scale is a data change: each rating records the
scale it was classified under (`RatingScale.id`), and a rating classified under an older scale
keeps its class.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class QualityClass(StrEnum):
    """The four classes of an annual rating, best first."""

    EXCELLENT = "excellent"
    GOOD = "good"
    COMPLETED = "completed"
    NOT_COMPLETED = "not_completed"


@dataclass(frozen=True, slots=True)
class RatingBand:
    quality: QualityClass
    label: str
    """The class as users read it in reports."""
    min_points: int
    """The lowest number of points in the class (inclusive)."""


@dataclass(frozen=True, slots=True)
class RatingScale:
    id: str
    from_year: int
    """The first year rated under this scale."""
    bands: tuple[RatingBand, ...]
    """Best first; the last band's `min_points` is the scale's lowest."""
    max_points: int = 100

    @property
    def min_points(self) -> int:
        return self.bands[-1].min_points

    def accepts(self, points: int) -> bool:
        return self.min_points <= points <= self.max_points

    def classify(self, points: int) -> QualityClass:
        """The class of `points`; ValueError outside the scale (callers refuse such input first)."""
        if not self.accepts(points):
            raise ValueError(f"points outside {self.min_points}..{self.max_points}")
        return next(band.quality for band in self.bands if points >= band.min_points)

    def band(self, quality: QualityClass | str) -> RatingBand:
        return next(band for band in self.bands if band.quality == quality)

    def max_points_of(self, quality: QualityClass | str) -> int:
        """The highest number of points in the class: one below the next better class's lowest."""
        index = [band.quality for band in self.bands].index(QualityClass(quality))
        return self.max_points if index == 0 else self.bands[index - 1].min_points - 1


SCALE_100 = RatingScale(
    id="100",
    from_year=1930,
    bands=(
        RatingBand(QualityClass.EXCELLENT, "Hoàn thành xuất sắc nhiệm vụ", 90),
        RatingBand(QualityClass.GOOD, "Hoàn thành tốt nhiệm vụ", 70),
        RatingBand(QualityClass.COMPLETED, "Hoàn thành nhiệm vụ", 50),
        RatingBand(QualityClass.NOT_COMPLETED, "Không hoàn thành nhiệm vụ", 0),
    ),
)

RATING_SCALES: tuple[RatingScale, ...] = (SCALE_100,)
"""Every scale, oldest first; a new one is added with the first year it rates."""


def scale_for_year(year: int, scales: Sequence[RatingScale] = RATING_SCALES) -> RatingScale:
    """The scale a rating of `year` is classified under: the latest one starting on or before it."""
    usable = [scale for scale in scales if scale.from_year <= year]
    return max(usable, key=lambda scale: scale.from_year) if usable else scales[0]


def scale_by_id(scale_id: str, scales: Sequence[RatingScale] = RATING_SCALES) -> RatingScale:
    """The scale a rating recorded; KeyError if unknown."""
    for scale in scales:
        if scale.id == scale_id:
            return scale
    raise KeyError(scale_id)


def reference_day(year: int, rated_on: date) -> date:
    """The day whose tree and rosters a rating of `year` belongs to: the rating day, or the year's
    last day for a rating made early the next year (a member who moved in January is still rated
    by the cell they worked in that year)."""
    return min(rated_on, date(year, 12, 31))
