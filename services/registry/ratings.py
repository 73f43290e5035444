"""One subject's annual quality rating (đánh giá, xếp loại chất lượng hằng năm): a member or an
organisation, for one year. One stream per subject and year, so a second rating of the same year
is refused; changing it is a correction, always with a reason, and the earlier figure stays.

Pure: who the member belonged to and whether the organisation existed on the rating's reference
day (`ketnap.domain.rules.quality_ratings.reference_day`) are resolved by the handler from the read model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from ketnap.domain.rules.quality_ratings import RatingScale, scale_by_id
from ketnap.services.registry import errors
from ketnap.services.registry.events import Event, QualityRated, QualityRatingCorrected, rating_stream
from ketnap.services.registry.values import RatingSubject


@dataclass
class QualityRating:
    year: int
    subject: RatingSubject
    key: str
    """The member's citizen id, or the organisation's code."""
    version: int = 0
    organisation: str = ""
    points: int | None = None
    scale: str | None = None
    rated_on: date | None = None
    last_change: date | None = None

    @property
    def stream_id(self) -> str:
        return rating_stream(self.year, self.subject, self.key)

    @classmethod
    def from_history(cls, year: int, subject: RatingSubject, key: str, events: Iterable[Event]) -> "QualityRating":
        rating = cls(year, subject, key)
        for event in events:
            rating.apply(event)
        return rating

    def apply(self, event: Event) -> None:
        self.version += 1
        match event:
            case QualityRated():
                self.organisation, self.points, self.scale = event.organisation, event.points, event.scale
                self.rated_on = self.last_change = event.rated_on
            case QualityRatingCorrected():
                self.points, self.last_change = event.points, event.corrected_on

    def _check_points(self, points: int, scale: RatingScale) -> None:
        if not scale.accepts(points):
            raise errors.PointsOutOfScale(scale.min_points, scale.max_points)

    def rate(
        self, *, organisation: str, points: int, rated_on: date, scale: RatingScale, decision_number: str | None = None
    ) -> list[Event]:
        """The year's rating, classified by `scale`; `organisation` is the member's cell that year,
        or the rated organisation itself."""
        if self.version:
            raise errors.AlreadyRated(self.year, self.subject, self.key)
        self._check_points(points, scale)
        if rated_on < date(self.year, 1, 1):
            raise errors.RatedBeforeTheYear(self.year)
        return [
            QualityRated(
                year=self.year, subject=self.subject, citizen_id=self.key if self.subject is RatingSubject.MEMBER else None,
                organisation=organisation, points=points, classification=scale.classify(points), scale=scale.id,
                rated_on=rated_on, decision_number=decision_number,
            )
        ]

    def correct(self, *, points: int, corrected_on: date, reason: str, decision_number: str | None = None) -> list[Event]:
        """Điều chỉnh kết quả xếp loại, under the scale the rating was made with."""
        if not self.version or self.points is None or self.scale is None:
            raise errors.NotRated(self.year, self.subject, self.key)
        scale = scale_by_id(self.scale)
        self._check_points(points, scale)
        assert self.last_change is not None
        if corrected_on < self.last_change:
            raise errors.EffectiveDateTooEarly(corrected_on, self.last_change)
        if points == self.points:
            raise errors.NothingToChange("số điểm giống kết quả đã ghi")
        return [
            QualityRatingCorrected(
                year=self.year, subject=self.subject, citizen_id=self.key if self.subject is RatingSubject.MEMBER else None,
                organisation=self.organisation, points=points, previous_points=self.points,
                classification=scale.classify(points), previous_classification=scale.classify(self.points),
                scale=scale.id, corrected_on=corrected_on, reason=reason, decision_number=decision_number,
            )
        ]
