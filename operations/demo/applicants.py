"""The applicants of the plan and what their personal histories declare (Mẫu 2-KNĐ): fictional people
whose occupation, education and family suit the cell they join and the path their dossier takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ketnap.domain.calendar import add_months
from ketnap.operations.demo.organisation import MOUNTAIN_COMMUNE, Member
from ketnap.operations.demo.people import People
from ketnap.operations.demo.schedule import Path

AGES = (24, 27, 33, 22, 36, 28, 41, 26, 38, 23, 45, 29, 34, 25, 48, 27, 39, 22, 52, 26)
"""Ages at the cell meeting, kept away from the youth-union limit (30) so the rule is clear."""

OCCUPATIONS = {
    # kind of cell -> (occupation, professional qualification), general education upper secondary
    "village": (("Nông dân", "none"), ("Cán bộ thôn", "intermediate"), ("Kinh doanh tự do", "elementary")),
    "school": (("Giáo viên", "university"), ("Giáo viên", "master"), ("Nhân viên thiết bị", "college")),
    "health": (("Bác sĩ", "university"), ("Điều dưỡng", "college"), ("Dược sĩ", "university")),
    "plant": (("Công nhân", "intermediate"), ("Kỹ sư", "university"), ("Công nhân", "elementary"), ("Nhân viên văn phòng", "college")),
    "ward": (("Công chức", "university"), ("Chủ hộ kinh doanh", "none"), ("Công nhân", "intermediate")),
}
CELL_KIND = {
    "CB-HT-NT": "village", "CB-HT-BN": "village", "CB-MS-KC": "village", "CB-MS-NC": "village",
    "CB-THPT-TN": "school", "CB-THPT-XH": "school", "CS-THCS-BS": "school", "CS-YT-CL": "health",
    "CB-XM-LN": "plant", "CB-XM-CK": "plant", "CB-XM-VP": "plant", "CB-DD-K1": "ward", "CB-DD-K3": "ward",
}
RESIDENCE = {
    "XA-CL": "xã Cao Lộc, tỉnh Lạng Sơn", "PH-DD": "phường Đồng Đăng, tỉnh Lạng Sơn", "XA-BS": "xã Ba Sơn, tỉnh Lạng Sơn",
}
ELSEWHERE = (
    ("DU-PH-TAMTHANH", "phường Tam Thanh, tỉnh Lạng Sơn"), ("DU-XA-VANLANG", "xã Văn Lãng, tỉnh Lạng Sơn"),
    ("DU-PH-HOANGVANTHU", "phường Hoàng Văn Thụ, tỉnh Thái Nguyên"), ("DU-XA-CHILANG", "xã Chi Lăng, tỉnh Lạng Sơn"),
)


@dataclass(frozen=True)
class Relative:
    relation: str
    full_name: str
    birth_year: int
    residence_or_work: str
    responding_organisation: str | None
    is_party_member: bool = False
    member_citizen_id: str | None = None
    fully_declared: bool = False
    adult_with_full_capacity: bool | None = None

    def declared(self) -> dict:
        facts = {
            "relation": self.relation, "full_name": self.full_name, "birth_year": self.birth_year,
            "residence_or_work": self.residence_or_work, "responding_organisation": self.responding_organisation,
            "is_party_member": self.is_party_member, "member_citizen_id": self.member_citizen_id,
            "fully_declared": self.fully_declared, "foreign_national": False,
        }
        if self.relation == "child":
            facts["adult_with_full_capacity"] = self.adult_with_full_capacity
        return facts


@dataclass(frozen=True)
class Applicant:
    citizen_id: str
    full_name: str
    birth_date: date
    gender: str
    ethnicity: str
    religion: str
    occupation: str
    general_education: str
    professional_qualification: str
    youth_union_member: bool
    area_exemption: str | None
    private_business_owner: bool
    relatives: tuple[Relative, ...]

    def history(self) -> dict:
        """The body of `declare_personal_history` without its date."""
        return {
            "applicant": {
                "birth_date": self.birth_date.isoformat(), "gender": self.gender, "ethnicity": self.ethnicity,
                "religion": self.religion, "occupation": self.occupation, "police_officer": False,
                "private_business_owner": self.private_business_owner,
            },
            "relatives": [r.declared() for r in self.relatives],
            "family_planning_case": False,
            "qualifications": {
                "general_education": self.general_education, "professional_qualification": self.professional_qualification,
                "youth_union_member": self.youth_union_member, "youth_union_exists": True,
                "area_exemption": self.area_exemption, "village_elder_or_head": False,
            },
        }


def make_applicant(
    people: People, *, occurrence: int, path: Path, cell: str, commune: str, meeting: date, ethnicities: tuple[str, ...],
    fathers: list[Member], primary_with_exemption: bool = False,
) -> Applicant:
    """An applicant for `cell`, aged to suit `path` on the (planned) cell meeting day."""
    rng = people.rng
    gender = rng.choice(("male", "female"))
    ethnicity = rng.choice(ethnicities)
    if path is Path.REJECTED_AGE_MIN:
        birth = add_months(meeting, -(17 * 12 + 8))  # 17 years and 8 months on the meeting day
    else:
        age = AGES[occurrence % len(AGES)]
        birth = date(meeting.year - age, rng.randint(1, 12), rng.randint(1, 28))
    years = meeting.year - birth.year
    occupation, qualification = rng.choice(OCCUPATIONS[CELL_KIND[cell]])
    general = "upper_secondary" if rng.random() < 0.8 or qualification != "none" else "lower_secondary"
    if path is Path.REJECTED_AGE_MIN:
        occupation, qualification, general = "Học sinh", "none", "lower_secondary"
    if path is Path.REJECTED_EDU_MIN or primary_with_exemption:
        occupation, qualification, general = "Nông dân", "none", "primary"
    roll = rng.random()
    religion = "Không" if roll < 0.8 else "Phật giáo" if roll < 0.92 else "Công giáo" if roll < 0.97 else "Tin lành"
    father = next((m for m in fathers if m.person.gender == "male" and 22 <= birth.year - m.person.birth_date.year <= 34), None)
    linked = father is not None and rng.random() < 0.5 and path is not Path.REJECTED_AGE_MIN
    family = people.family_name(father.person.full_name) if linked and father else None
    if linked and father:
        ethnicity = father.person.ethnicity
    person = people.person(gender=gender, born=birth, ethnicity=ethnicity, family=family)
    relatives = _relatives(people, person.full_name, birth, gender, years, commune, father if linked else None)
    return Applicant(
        citizen_id=person.citizen_id, full_name=person.full_name, birth_date=birth, gender=gender, ethnicity=ethnicity,
        religion=religion, occupation=occupation, general_education=general, professional_qualification=qualification,
        youth_union_member=years <= 30, area_exemption="mountain" if commune == MOUNTAIN_COMMUNE else None,
        private_business_owner=occupation == "Chủ hộ kinh doanh", relatives=relatives,
    )


def _relatives(
    people: People, full_name: str, birth: date, gender: str, years: int, commune: str, father: Member | None
) -> tuple[Relative, ...]:
    """Parents always; a spouse and parents-in-law for most adults over 26; children, adult ones
    (subjects of verification) only for applicants old enough."""
    rng = people.rng
    home = RESIDENCE[commune]
    family = people.family_name(full_name)
    found = []
    if father is not None:
        found.append(Relative("father", father.person.full_name, father.person.birth_date.year, home, father.cell,
                              is_party_member=True, member_citizen_id=father.person.citizen_id, fully_declared=True))
    else:
        found.append(Relative("father", people.name("male", "Kinh", family), birth.year - rng.randint(24, 33), home, commune))
    found.append(Relative("mother", people.name("female", "Kinh"), birth.year - rng.randint(21, 30), home, commune))
    if years >= 26 and rng.random() < 0.7:
        spouse_gender = "female" if gender == "male" else "male"
        spouse = people.name(spouse_gender, "Kinh")
        code, place = rng.choice(ELSEWHERE)
        found.append(Relative("spouse", spouse, birth.year + rng.randint(-3, 3), home, commune))
        found.append(Relative("father_in_law", people.name("male", "Kinh", people.family_name(spouse)), birth.year - 27, place, code))
        found.append(Relative("mother_in_law", people.name("female", "Kinh"), birth.year - 25, place, code))
        children_family = family if gender == "male" else people.family_name(spouse)
        if years >= 30:
            child_year = birth.year + (23 if years >= 45 else rng.randint(years - 8, years - 3) if years > 32 else years - 2)
            child_year = min(child_year, birth.year + years - 1)
            adult = birth.year + years - child_year >= 19
            found.append(Relative("child", people.name(rng.choice(("male", "female")), "Kinh", children_family), child_year,
                                  home, commune if adult else None, adult_with_full_capacity=adult))
    return tuple(found)
