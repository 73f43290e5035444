"""New members by age band at admission and by every other axis; facts not stated are "không rõ"."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketnap.domain.calendar import full_years
from ketnap.services.reporting.admissions import Admission
from ketnap.services.reporting.new_members import (
    AGE_BANDS,
    Profile,
    age_band,
    categories,
    form_figures,
    new_member_stats,
    new_member_stats_by_unit,
)
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


def test_every_unit_of_the_subtree_at_once_each_counting_what_sat_under_it_on_the_decision_date() -> None:
    """H has communes X1 and X2; cell C2 moved from X1 to X2 on 01/06/2025; commune X3 merged into
    X2 on 01/09/2025 and keeps, after the tree's units, what was admitted in it."""
    start, moved, merged = date(2020, 1, 1), date(2025, 6, 1), date(2025, 9, 1)
    tree = Tree([
        Unit("H", "H", "upper_committee", None, start, None), Unit("X1", "Xã 1", "grassroots_committee", "H", start, None),
        Unit("X2", "Xã 2", "grassroots_committee", "H", start, None), Unit("X3", "Xã 3", "grassroots_committee", "H", start, merged),
        Unit("C1", "C1", "cell", "X1", start, None), Unit("C2", "C2", "cell", "X1", start, moved),
        Unit("C2", "C2", "cell", "X2", moved, None), Unit("C3", "C3", "cell", "X3", start, merged),
        Unit("C3", "C3", "cell", "X2", merged, None),
    ])
    admissions = [Admission(d, cell, "H", "1-QĐ", on, "2025-07") for d, cell, on in [
        ("a", "C1", date(2025, 2, 1)), ("b", "C2", date(2025, 3, 1)), ("c", "C2", date(2025, 7, 1)), ("d", "C3", date(2025, 4, 1))]]
    profiles = {"a": Profile(gender="female"), "c": Profile(gender="female")}
    result = new_member_stats_by_unit(tree, "H", year(2025), date(2025, 12, 31), admissions, profiles)
    rows = [(u["code"], u["depth"], u["exists_on_status_day"], u["admitted"]) for u in result["units"]]
    assert rows == [("H", 0, True, 4), ("X1", 1, True, 2), ("C1", 2, True, 1), ("X2", 1, True, 1), ("C2", 2, True, 2),
                    ("C3", 2, True, 1), ("X3", 1, False, 1)]
    for unit in result["units"]:  # each unit's figures are those of its own statistics
        alone = new_member_stats(tree, unit["code"], year(2025), admissions, profiles)
        assert (unit["admitted"], unit["axes"], unit["unknown"]) == (alone["admitted"], alone["axes"], alone["unknown"])
    assert form_figures(result["units"][1])[:2] == [2, 1]


def test_the_forms_figures_come_from_the_axes() -> None:
    stats = {"admitted": 3, "axes": [
        {"axis": "gender", "values": [{"value": "female", "count": 2}, {"value": "male", "count": 1}]},
        {"axis": "religion", "values": [{"value": "none", "count": 1}, {"value": "phật giáo", "count": 1}, {"value": "unknown", "count": 1}]},
        {"axis": "age_band", "values": [{"value": "18-30", "count": 3}]},
    ]}
    assert form_figures(stats)[:6] == [3, 2, 0, 1, 0, 3]
