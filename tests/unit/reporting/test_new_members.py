"""New members by age band at admission and by every other axis; facts not stated are "không rõ"."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketnap.domain.calendar import full_years
from ketnap.services.reporting.admissions import Admission
from ketnap.services.reporting.new_members import AGE_BANDS, Profile, age_band, categories, new_member_stats
from ketnap.services.reporting.organisation_tree import Tree, Unit
from ketnap.services.reporting.periods import year


@pytest.mark.parametrize(
    ("birth", "on", "band"),
    [
        (date(2007, 3, 15), date(2025, 3, 15), "18-30"),  # 18 on the birthday
        (date(2007, 3, 15), date(2025, 3, 14), "<18"),
        (date(1994, 6, 1), date(2025, 5, 31), "18-30"),  # still 30
        (date(1994, 6, 1), date(2025, 6, 1), "31-35"),
        (date(1990, 1, 1), date(2025, 12, 31), "31-35"),
        (date(1989, 1, 1), date(2025, 1, 1), "36-40"),
        (date(1980, 1, 1), date(2025, 1, 1), "41-45"),
        (date(1975, 1, 1), date(2025, 1, 1), "46-50"),
        (date(1970, 1, 1), date(2025, 1, 1), "51-55"),
        (date(1965, 1, 1), date(2025, 1, 1), "56-60"),
        (date(1964, 1, 2), date(2025, 1, 1), "56-60"),  # 60 and a day short of 61
        (date(1964, 1, 1), date(2025, 1, 1), ">60"),
        (date(2000, 2, 29), date(2031, 2, 28), "31-35"),  # born on 29/02: a year completes on 28/02
        (None, date(2025, 1, 1), "unknown"),
    ],
)
def test_age_bands(birth: date | None, on: date, band: str) -> None:
    assert age_band(birth, on) == band


@given(st.dates(min_value=date(1920, 1, 1), max_value=date(2010, 12, 31)), st.dates(min_value=date(2021, 1, 1), max_value=date(2030, 12, 31)))
def test_every_age_from_18_falls_in_exactly_the_band_of_its_completed_years(birth: date, on: date) -> None:
    age = full_years(birth, on)
    band = age_band(birth, on)
    if age < 18:
        assert band == "<18"
        return
    low, high = next((lo, hi) for label, lo, hi in AGE_BANDS if label == band)
    assert low <= age and (high is None or age <= high)


def test_categories_normalise_what_people_type() -> None:
    profile = Profile(
        birth_date=date(1995, 5, 1), gender="Nữ", ethnicity="KINH", religion="Không", occupation="Giáo viên",
        general_education="upper_secondary", professional_qualification="university", youth_union_member=True,
    )
    assert categories(profile, date(2025, 3, 10)) == {
        "gender": "female", "ethnic_minority": "no", "religion": "none", "youth_union": "yes", "occupation": "giáo viên",
        "age_band": "18-30", "general_education": "upper_secondary", "professional_qualification": "university",
    }
    other = categories(Profile(gender="male", ethnicity="Raglai", religion="Phật giáo", youth_union_member=False), date(2025, 1, 1))
    assert (other["gender"], other["ethnic_minority"], other["religion"], other["youth_union"]) == ("male", "yes", "phật giáo", "no")
    unknown = categories(Profile(), date(2025, 1, 1))
    assert set(unknown.values()) == {"unknown"}


def test_statistics_over_the_subtree_on_each_decision_date() -> None:
    start = date(2020, 1, 1)
    tree = Tree([Unit("H", "H", "upper_committee", None, start, None), Unit("C1", "C1", "cell", "H", start, None),
                 Unit("C2", "C2", "cell", "X", start, None)])

    def admitted(dossier: str, cell: str, on: date) -> Admission:
        return Admission(dossier, cell, "H", "1-QĐ", on, "2025-01")

    admissions = [admitted("a", "C1", date(2025, 2, 1)), admitted("b", "C1", date(2025, 3, 1)), admitted("c", "C2", date(2025, 3, 1)),
                  admitted("d", "C1", date(2024, 3, 1))]
    profiles = {"a": Profile(gender="female", general_education="primary"), "b": Profile(gender="male")}
    result = new_member_stats(tree, "H", year(2025), admissions, profiles)
    assert result["admitted"] == 2
    gender = next(a for a in result["axes"] if a["axis"] == "gender")
    assert [(v["value"], v["label"], v["count"], v["percent"]) for v in gender["values"]] == [("female", "nữ", 1, 50.0), ("male", "nam", 1, 50.0)]
    education = next(a for a in result["axes"] if a["axis"] == "general_education")
    assert [(v["value"], v["label"]) for v in education["values"]] == [("primary", "tiểu học"), ("unknown", "không rõ")]
    assert result["unknown"] == {
        "ethnic_minority": 2, "religion": 2, "youth_union": 2, "occupation": 2, "age_band": 2, "general_education": 1,
        "professional_qualification": 2,
    }
