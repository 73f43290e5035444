"""New-member statistics (thống kê đảng viên mới): who was admitted, by gender, ethnic minority,
religion, youth-union membership, occupation, age band at admission, general education and
professional qualification (two separate axes).

The applicant's facts come from the dossiers log: `PersonalHistoryDeclared` (birth date,
gender, ethnicity, religion, occupation) and, since the contract's declaration lacks them,
`QualificationsDeclared` (education, qualification, youth-union membership) recorded in the same
append; a `PersonalHistoryCorrected` replaces both. A fact missing from the events is counted as
"không rõ" on its axis, never guessed. Sensitive data: only counts leave this module.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import asyncpg

from ketnap.domain.calendar import full_years
from ketnap.platform.envelope import RecordedEvent
from ketnap.platform.rows import Rows
from ketnap.services.reporting.admissions import Admission
from ketnap.services.reporting.base import Inbound, KeyedProjection, on, parse, text
from ketnap.services.reporting.organisation_tree import Tree
from ketnap.services.reporting.periods import Period, percent

UNKNOWN = "unknown"

AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("18-30", 18, 30), ("31-35", 31, 35), ("36-40", 36, 40), ("41-45", 41, 45),
    ("46-50", 46, 50), ("51-55", 51, 55), ("56-60", 56, 60), (">60", 61, None),
)
"""Age bands in completed years on the decision date, as the organisations report them."""

GENERAL_EDUCATION = {
    "none": "chưa qua trường lớp", "literate": "biết đọc, biết viết", "primary": "tiểu học",
    "lower_secondary_equivalent": "tương đương trung học cơ sở", "lower_secondary": "trung học cơ sở", "upper_secondary": "trung học phổ thông",
}
PROFESSIONAL_QUALIFICATION = {
    "none": "chưa qua đào tạo", "elementary": "sơ cấp", "intermediate": "trung cấp", "college": "cao đẳng",
    "university": "đại học", "master": "thạc sĩ", "doctorate": "tiến sĩ",
}
AXES = {
    "gender": "Giới tính",
    "ethnic_minority": "Dân tộc thiểu số",
    "religion": "Tôn giáo",
    "youth_union": "Đoàn viên thanh niên",
    "occupation": "Nghề nghiệp",
    "age_band": "Độ tuổi khi kết nạp",
    "general_education": "Trình độ giáo dục phổ thông",
    "professional_qualification": "Trình độ chuyên môn",
}
FORM_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("Tổng số", "", ""),
    ("Nữ", "gender", "female"),
    ("Dân tộc thiểu số", "ethnic_minority", "yes"),
    ("Có đạo", "religion", "*"),
    ("Đoàn viên TNCS Hồ Chí Minh", "youth_union", "yes"),
    ("Tuổi 18-30", "age_band", "18-30"),
    ("Tuổi 31-35", "age_band", "31-35"),
    ("Tuổi 36-40", "age_band", "36-40"),
    ("Tuổi 41-45", "age_band", "41-45"),
    ("Tuổi 46-50", "age_band", "46-50"),
    ("Tuổi 51-55", "age_band", "51-55"),
    ("Tuổi 56-60", "age_band", "56-60"),
    ("Trên 60 tuổi", "age_band", ">60"),
    ("GDPT: tiểu học", "general_education", "primary"),
    ("GDPT: trung học cơ sở", "general_education", "lower_secondary"),
    ("GDPT: trung học phổ thông", "general_education", "upper_secondary"),
    ("CM: sơ cấp", "professional_qualification", "elementary"),
    ("CM: trung cấp", "professional_qualification", "intermediate"),
    ("CM: cao đẳng", "professional_qualification", "college"),
    ("CM: đại học", "professional_qualification", "university"),
    ("CM: thạc sĩ", "professional_qualification", "master"),
    ("CM: tiến sĩ", "professional_qualification", "doctorate"),
)
"""The columns of the new members' statistics form (Biểu) as far as docs/reporting.md could
establish them: (header, axis, value); "Tổng số" is every member admitted, "Có đạo" every declared
religion but none and unknown."""
_NO_RELIGION = frozenset({"không", "khong", "none", "không có", "không tôn giáo", "không theo tôn giáo", "-"})
_MALE = frozenset({"male", "nam"})
_FEMALE = frozenset({"female", "nữ", "nu"})
_MAJORITY_ETHNICITY = "kinh"


class Applicant(Inbound):
    birth_date: date | None = None
    gender: str | None = None
    ethnicity: str | None = None
    religion: str | None = None
    occupation: str | None = None
    # Not in the contract's declaration today; read if a later version carries them.
    general_education: str | None = None
    professional_qualification: str | None = None
    youth_union_member: bool | None = None


class Qualifications(Inbound):
    general_education: str | None = None
    professional_qualification: str | None = None
    youth_union_member: bool | None = None


class Declared(Inbound):
    dossier_id: str
    applicant: Applicant


class QualificationsDeclared(Inbound):
    dossier_id: str
    qualifications: Qualifications


class Corrected(Inbound):
    dossier_id: str
    applicant: Applicant
    qualifications: Qualifications | None = None


_PROFILE_COLUMNS = (
    "birth_date", "gender", "ethnicity", "religion", "occupation", "general_education", "professional_qualification",
    "youth_union_member",
)


class NewMembers(KeyedProjection):
    concern = "new_members"
    roles = ("dossiers",)
    tables = {
        "applicant_profiles": """
            dossier_id                  text PRIMARY KEY,
            birth_date                  date,
            gender                      text,
            ethnicity                   text,
            religion                    text,
            occupation                  text,
            general_education           text,
            professional_qualification  text,
            youth_union_member          boolean
        """,
    }

    @on("dossiers", "PersonalHistoryDeclared")
    def declared(self, rows: Rows, event: RecordedEvent) -> None:
        e = parse(Declared, event)
        self._upsert(rows, e.dossier_id, _applicant(e.applicant), keep_missing=True)

    @on("dossiers", "QualificationsDeclared")
    def qualifications(self, rows: Rows, event: RecordedEvent) -> None:
        e = parse(QualificationsDeclared, event)
        self._upsert(rows, e.dossier_id, _qualifications(e.qualifications), keep_missing=True)

    @on("dossiers", "PersonalHistoryCorrected")
    def corrected(self, rows: Rows, event: RecordedEvent) -> None:
        e = parse(Corrected, event)
        values = _applicant(e.applicant)
        if e.qualifications is not None:
            values.update(_qualifications(e.qualifications))
        self._upsert(rows, e.dossier_id, values, keep_missing=False)

    def _upsert(self, rows: Rows, dossier_id: str, values: dict, keep_missing: bool) -> None:
        """`keep_missing`: a fact this event does not state keeps what an earlier event said."""
        profile = rows.get("applicant_profiles", dossier_id) or rows.add("applicant_profiles", dossier_id=dossier_id)
        profile.update({c: v for c, v in values.items() if v is not None or not keep_missing})


def _applicant(applicant: Applicant) -> dict:
    values = {
        "birth_date": applicant.birth_date,
        "gender": text(applicant.gender),
        "ethnicity": text(applicant.ethnicity),
        "religion": text(applicant.religion),
        "occupation": text(applicant.occupation),
    }
    values.update(
        {k: v for k, v in _qualifications(Qualifications(**applicant.model_dump(include=set(Qualifications.model_fields)))).items()
         if v is not None}
    )
    return values


def _qualifications(qualifications: Qualifications) -> dict:
    return {
        "general_education": text(qualifications.general_education),
        "professional_qualification": text(qualifications.professional_qualification),
        "youth_union_member": qualifications.youth_union_member,
    }


# --- the report --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    birth_date: date | None = None
    gender: str | None = None
    ethnicity: str | None = None
    religion: str | None = None
    occupation: str | None = None
    general_education: str | None = None
    professional_qualification: str | None = None
    youth_union_member: bool | None = None


def age_band(birth_date: date | None, on: date) -> str:
    """The band of the age in completed years on `on` (counted in months, ketnap.domain.calendar)."""
    if birth_date is None:
        return UNKNOWN
    age = full_years(birth_date, on)
    for label, low, high in AGE_BANDS:
        if age >= low and (high is None or age <= high):
            return label
    return "<18"


def categories(profile: Profile, decided_on: date) -> dict[str, str]:
    """The category of one new member on every axis."""

    def folded(value: str | None) -> str | None:
        return value.casefold() if value else None

    gender = folded(profile.gender)
    ethnicity = folded(profile.ethnicity)
    religion = folded(profile.religion)
    return {
        "gender": "male" if gender in _MALE else "female" if gender in _FEMALE else gender or UNKNOWN,
        "ethnic_minority": UNKNOWN if ethnicity is None else "no" if ethnicity == _MAJORITY_ETHNICITY else "yes",
        "religion": UNKNOWN if religion is None else "none" if religion in _NO_RELIGION else religion,
        "youth_union": UNKNOWN if profile.youth_union_member is None else "yes" if profile.youth_union_member else "no",
        "occupation": folded(profile.occupation) or UNKNOWN,
        "age_band": age_band(profile.birth_date, decided_on),
        "general_education": profile.general_education or UNKNOWN,
        "professional_qualification": profile.professional_qualification or UNKNOWN,
    }


_LABELS = {
    "gender": {"male": "nam", "female": "nữ"},
    "ethnic_minority": {"yes": "dân tộc thiểu số", "no": "dân tộc Kinh"},
    "religion": {"none": "không theo tôn giáo"},
    "youth_union": {"yes": "là đoàn viên", "no": "không là đoàn viên"},
    "general_education": GENERAL_EDUCATION,
    "professional_qualification": PROFESSIONAL_QUALIFICATION,
}
_ORDER = {
    "age_band": [b[0] for b in AGE_BANDS],
    "general_education": list(GENERAL_EDUCATION),
    "professional_qualification": list(PROFESSIONAL_QUALIFICATION),
}


@dataclass
class _Tally:
    """The new members counted for one unit: how many, and how many of each value on every axis."""

    depth: int
    admitted: int = 0
    counted: dict[str, Counter[str]] = field(default_factory=lambda: {axis: Counter() for axis in AXES})

    def add(self, found: dict[str, str]) -> None:
        self.admitted += 1
        for axis, value in found.items():
            self.counted[axis][value] += 1

    def figures(self) -> dict:
        return {
            "admitted": self.admitted,
            "axes": [
                {"axis": axis, "label": label, "values": _values(axis, self.counted[axis], self.admitted)}
                for axis, label in AXES.items()
            ],
            "unknown": {axis: self.counted[axis][UNKNOWN] for axis in AXES if self.counted[axis][UNKNOWN]},
        }


def _tallies(
    tree: Tree, organisation: str, period: Period, admissions: Iterable[Admission], profiles: dict[str, Profile]
) -> dict[str, _Tally]:
    """Per unit of `organisation`'s subtree, the members admitted in `period` under it: each counts
    for its cell and every unit above it up to `organisation`, in the tree on its decision date."""
    tallies: dict[str, _Tally] = {}
    for admission in admissions:
        if not period.contains(admission.decision_date):
            continue
        chain = tree.chain_on(admission.cell, admission.decision_date)
        if organisation not in chain:
            continue
        found = categories(profiles.get(admission.dossier_id, Profile()), admission.decision_date)
        counted = chain[: chain.index(organisation) + 1]
        for depth, unit in enumerate(reversed(counted)):
            tallies.setdefault(unit, _Tally(depth)).add(found)
    return tallies


def new_member_stats(
    tree: Tree, organisation: str, period: Period, admissions: Iterable[Admission], profiles: dict[str, Profile]
) -> dict:
    """Counts and shares per axis of the members admitted in `period` in `organisation`'s subtree
    (the tree on each decision date)."""
    tally = _tallies(tree, organisation, period, admissions, profiles).get(organisation, _Tally(0))
    return {**tree.describe(organisation, period.status_on(period.end)), **period.as_dict(), **tally.figures()}


def new_member_stats_by_unit(
    tree: Tree, organisation: str, period: Period, status_on: date, admissions: Iterable[Admission], profiles: dict[str, Profile]
) -> dict:
    """`new_member_stats` of `organisation` and of every unit of its subtree, in one pass: the units
    under it on `status_on` depth first (each under its parent, with its depth), then those that
    ended during the period with members admitted in them (a merged commune)."""
    tallies = _tallies(tree, organisation, period, admissions, profiles)
    units = tree.depth_first(organisation, status_on)
    listed = {code for code, _ in units}
    units += sorted(((c, t.depth) for c, t in tallies.items() if c not in listed), key=lambda item: (item[1], item[0]))
    return {
        **tree.describe(organisation, status_on),
        **period.as_dict(),
        "status_on": status_on.isoformat(),
        "units": [
            {**tree.describe(code, status_on), "depth": depth, "exists_on_status_day": tree.unit_on(code, status_on) is not None,
             **tallies.get(code, _Tally(depth)).figures()}
            for code, depth in units
        ],
    }


def form_figures(figures: dict) -> list[int]:
    """One row of the form from a unit's figures (`admitted`, `axes`): a count per `FORM_COLUMNS`."""
    counts = {(a["axis"], v["value"]): v["count"] for a in figures["axes"] for v in a["values"]}
    religious = sum(n for (axis, value), n in counts.items() if axis == "religion" and value not in ("none", UNKNOWN))
    return [figures["admitted"] if not axis else religious if value == "*" else counts.get((axis, value), 0)
            for _, axis, value in FORM_COLUMNS]


def _values(axis: str, counts: Counter[str], total: int) -> list[dict]:
    order = _ORDER.get(axis, [])
    keys = sorted(counts, key=lambda k: (k == UNKNOWN, order.index(k) if k in order else len(order), -counts[k], k))
    labels = _LABELS.get(axis, {})
    return [
        {"value": k, "label": "không rõ" if k == UNKNOWN else labels.get(k, k), "count": counts[k], "percent": percent(counts[k], total)}
        for k in keys
    ]


async def profiles_of(conn: asyncpg.Connection, schema: str, dossier_ids: list[str]) -> dict[str, Profile]:
    rows = await conn.fetch(
        f"SELECT dossier_id, {', '.join(_PROFILE_COLUMNS)} FROM {schema}.applicant_profiles WHERE dossier_id = ANY($1::text[])",
        dossier_ids,
    )
    return {r["dossier_id"]: Profile(**{c: r[c] for c in _PROFILE_COLUMNS}) for r in rows}
