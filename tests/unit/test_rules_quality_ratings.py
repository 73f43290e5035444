"""The quality-rating scale: excellent ≥ 90, good 70–89, completed 50–69, not completed < 50 (domain.md §5)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketnap.domain.rules.quality_ratings import (
    SCALE_100,
    QualityClass,
    RatingBand,
    RatingScale,
    reference_day,
    scale_by_id,
    scale_for_year,
)


@given(st.integers(min_value=0, max_value=100))
def test_every_point_falls_in_the_class_of_domain_md(points: int) -> None:
    expected = (
        QualityClass.EXCELLENT if points >= 90 else QualityClass.GOOD if points >= 70
        else QualityClass.COMPLETED if points >= 50 else QualityClass.NOT_COMPLETED
    )
    assert SCALE_100.classify(points) is expected
    band = SCALE_100.band(expected)
    assert band.min_points <= points <= SCALE_100.max_points_of(expected)


@given(st.integers().filter(lambda p: not 0 <= p <= 100))
def test_points_outside_the_scale_are_not_classified(points: int) -> None:
    assert not SCALE_100.accepts(points)
    with pytest.raises(ValueError):
        SCALE_100.classify(points)


def test_each_class_has_its_vietnamese_label_and_range() -> None:
    assert [(b.quality.value, b.label, b.min_points, SCALE_100.max_points_of(b.quality)) for b in SCALE_100.bands] == [
        ("excellent", "Hoàn thành xuất sắc nhiệm vụ", 90, 100),
        ("good", "Hoàn thành tốt nhiệm vụ", 70, 89),
        ("completed", "Hoàn thành nhiệm vụ", 50, 69),
        ("not_completed", "Không hoàn thành nhiệm vụ", 0, 49),
    ]


def test_a_new_scale_is_a_data_change_from_its_first_year() -> None:
    stricter = RatingScale(
        id="test-2030", from_year=2030,
        bands=tuple(RatingBand(b.quality, b.label, b.min_points + 5 if b.min_points else 0) for b in SCALE_100.bands),
    )
    scales = (SCALE_100, stricter)
    assert scale_for_year(2029, scales) is SCALE_100 and scale_for_year(2030, scales) is stricter
    assert stricter.classify(90) is QualityClass.GOOD and SCALE_100.classify(90) is QualityClass.EXCELLENT
    assert scale_by_id("100") is SCALE_100
    with pytest.raises(KeyError):
        scale_by_id("khong-co")


def test_a_rating_made_early_the_next_year_belongs_to_the_last_day_of_its_year() -> None:
    assert reference_day(2025, date(2026, 1, 10)) == date(2025, 12, 31)
    assert reference_day(2025, date(2025, 12, 5)) == date(2025, 12, 5)
