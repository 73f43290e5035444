"""The demo organisation: part of Lạng Sơn province before and after the two-level reform.

Until 30/06/2025 the district committee of Cao Lộc (HU-CL) sat between the province and its
grassroots organisations; on 01/07/2025 three commune/ward committees (upper committees that decide
admissions themselves, domain.md §1) were established under the province, the grassroots
organisations moved under them and the district was dissolved. Cells keep their members through
the move, so long-standing members can introduce applicants (INTRO_12M). The cement company's
committee is later authorised to decide admissions itself, and has a partial committee (appraisal).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ketnap.domain.calendar import add_months, is_working_day
from ketnap.operations.demo.people import People, Person
from ketnap.operations.demo.tree import Authorisation, Dissolution, Move, OrganisationTree, Unit

PROVINCE = "TU-LS"
DISTRICT = "HU-CL"
REFORM_DAY = date(2025, 7, 1)
"""Two-level local government: the district level is gone from this day (rule set 2025-07)."""
COMMUNES = ("XA-CL", "PH-DD", "XA-BS")
MOUNTAIN_COMMUNE = "XA-BS"
"""Ba Sơn is a mountain commune: its applicants fall under the area education rule (EDU_AREA)."""

_U = Unit
UNITS: tuple[Unit, ...] = (
    _U(PROVINCE, "Tỉnh ủy Lạng Sơn", "province", None, date(2010, 1, 1)),
    _U(DISTRICT, "Huyện ủy Cao Lộc", "upper_committee", PROVINCE, date(2010, 1, 1), "12-QĐ/TU"),
    _U("DB-HT", "Đảng bộ xã Hợp Thành", "grassroots_committee", DISTRICT, date(2010, 3, 1)),
    _U("CB-HT-NT", "Chi bộ thôn Nà Tâm", "cell", "DB-HT", date(2010, 3, 1)),
    _U("CB-HT-BN", "Chi bộ thôn Bản Ngần", "cell", "DB-HT", date(2010, 3, 1)),
    _U("CB-HT-KP", "Chi bộ thôn Khuổi Phầy", "cell", "DB-HT", date(2012, 6, 1)),
    _U("DB-THPT", "Đảng bộ Trường THPT Cao Lộc", "grassroots_committee", DISTRICT, date(2011, 9, 1)),
    _U("CB-THPT-TN", "Chi bộ Tổ Khoa học tự nhiên", "cell", "DB-THPT", date(2011, 9, 1)),
    _U("CB-THPT-XH", "Chi bộ Tổ Khoa học xã hội", "cell", "DB-THPT", date(2011, 9, 1)),
    _U("CS-YT-CL", "Chi bộ Trung tâm Y tế Cao Lộc", "grassroots_cell", DISTRICT, date(2012, 1, 2)),
    _U("DB-XM", "Đảng bộ Công ty Cổ phần Xi măng Đồng Bành", "grassroots_committee", DISTRICT, date(2010, 6, 1)),
    _U("BP-XM-NM", "Đảng bộ bộ phận Nhà máy", "partial_committee", "DB-XM", date(2010, 6, 1)),
    _U("CB-XM-LN", "Chi bộ Phân xưởng Lò nung", "cell", "BP-XM-NM", date(2010, 6, 1)),
    _U("CB-XM-CK", "Chi bộ Phân xưởng Cơ khí", "cell", "BP-XM-NM", date(2010, 6, 1)),
    _U("CB-XM-VP", "Chi bộ Khối Văn phòng", "cell", "DB-XM", date(2010, 6, 1)),
    _U("DB-TTDD", "Đảng bộ thị trấn Đồng Đăng", "grassroots_committee", DISTRICT, date(2010, 1, 15)),
    _U("CB-DD-K1", "Chi bộ Khối 1", "cell", "DB-TTDD", date(2010, 1, 15)),
    _U("CB-DD-K3", "Chi bộ Khối 3", "cell", "DB-TTDD", date(2010, 1, 15)),
    _U("DB-MS", "Đảng bộ xã Mẫu Sơn", "grassroots_committee", DISTRICT, date(2010, 3, 1)),
    _U("CB-MS-KC", "Chi bộ thôn Khuổi Cáp", "cell", "DB-MS", date(2010, 3, 1)),
    _U("CB-MS-NC", "Chi bộ thôn Nà Cà", "cell", "DB-MS", date(2010, 3, 1)),
    _U("CS-THCS-BS", "Chi bộ Trường PTDTBT THCS Ba Sơn", "grassroots_cell", DISTRICT, date(2013, 9, 3)),
    _U("XA-CL", "Đảng bộ xã Cao Lộc", "upper_committee", PROVINCE, REFORM_DAY, "1021-QĐ/TU"),
    _U("PH-DD", "Đảng bộ phường Đồng Đăng", "upper_committee", PROVINCE, REFORM_DAY, "1022-QĐ/TU"),
    _U("XA-BS", "Đảng bộ xã Ba Sơn", "upper_committee", PROVINCE, REFORM_DAY, "1023-QĐ/TU"),
)
MOVES: tuple[Move, ...] = tuple(
    Move(code, commune, REFORM_DAY, "1030-QĐ/TU")
    for commune, codes in (
        ("XA-CL", ("DB-HT", "DB-THPT", "CS-YT-CL")),
        ("PH-DD", ("DB-XM", "DB-TTDD")),
        ("XA-BS", ("DB-MS", "CS-THCS-BS")),
    )
    for code in codes
)
DISSOLUTIONS = (Dissolution(DISTRICT, REFORM_DAY, "1031-QĐ/TU", "Kết thúc hoạt động cấp huyện từ 01/07/2025"),)
AUTHORISATIONS = (Authorisation("DB-XM", "PH-DD", "15-QĐ/ĐU", date(2025, 7, 25), date(2025, 8, 1)),)

MEMBERS_PER_CELL = {
    "CB-HT-NT": 8, "CB-HT-BN": 7, "CB-HT-KP": 2, "CB-THPT-TN": 7, "CB-THPT-XH": 6, "CS-YT-CL": 6, "CB-XM-LN": 8,
    "CB-XM-CK": 6, "CB-XM-VP": 6, "CB-DD-K1": 7, "CB-DD-K3": 6, "CB-MS-KC": 6, "CB-MS-NC": 6, "CS-THCS-BS": 5,
}
COMMITTEES = {"DB-HT": 5, "DB-THPT": 5, "DB-XM": 7, "DB-TTDD": 5, "DB-MS": 5}
COMMITTEE_SINCE = date(2020, 10, 15)
"""The grassroots congresses of the 2020-2025 term elected these committees."""
ETHNICITIES = {
    "DB-HT": ("Nùng", "Tày", "Nùng", "Kinh"), "DB-THPT": ("Kinh", "Tày", "Nùng"), "CS-YT-CL": ("Kinh", "Tày", "Nùng"),
    "DB-XM": ("Kinh", "Nùng", "Tày"), "DB-TTDD": ("Kinh", "Nùng", "Tày", "Hoa"), "DB-MS": ("Dao", "Nùng", "Tày"),
    "CS-THCS-BS": ("Nùng", "Dao", "Kinh"),
}
EMPTIED_CELL, EMPTIED_INTO = "CB-HT-KP", "CB-HT-NT"
"""Khuổi Phầy's last two members move to Nà Tâm: the locality is left with a cell and no member."""


@dataclass(frozen=True)
class Member:
    """A member already on the rolls (registered, not admitted by the demo's dossiers)."""

    person: Person
    cell: str
    since: date
    admitted_on: date
    official_since: date


@dataclass(frozen=True)
class Seat:
    organisation: str
    citizen_id: str
    role: str
    since: date


@dataclass(frozen=True)
class StatusChange:
    citizen_id: str
    status: str
    on: date
    reason: str


@dataclass(frozen=True)
class MemberTransfer:
    citizen_id: str
    to_cell: str
    on: date
    reason: str


@dataclass(frozen=True)
class Locality:
    code: str
    name: str
    kind: str
    organisation: str
    covered_by: str | None
    since: date


@dataclass(frozen=True)
class Quota:
    organisation: str
    period: str
    quantity: int
    assigned_by: str
    decision_date: date
    decision_number: str


LOCALITIES: tuple[Locality, ...] = (
    Locality("TH-NATAM", "Thôn Nà Tâm", "thôn", "XA-CL", "CB-HT-NT", REFORM_DAY),
    Locality("TH-BANNGAN", "Thôn Bản Ngần", "thôn", "XA-CL", "CB-HT-BN", REFORM_DAY),
    Locality("TH-KHUOIPHAY", "Thôn Khuổi Phầy", "thôn", "XA-CL", "CB-HT-KP", REFORM_DAY),
    Locality("KP-KHOI1", "Khối 1", "khối phố", "PH-DD", "CB-DD-K1", REFORM_DAY),
    Locality("KP-KHOI3", "Khối 3", "khối phố", "PH-DD", "CB-DD-K3", REFORM_DAY),
    Locality("TH-KHUOICAP", "Thôn Khuổi Cáp", "thôn", "XA-BS", "CB-MS-KC", REFORM_DAY),
    Locality("TH-NACA", "Thôn Nà Cà", "thôn", "XA-BS", "CB-MS-NC", REFORM_DAY),
    Locality("TH-LUNGVAI", "Thôn Lũng Vài", "thôn", "XA-BS", None, REFORM_DAY),
)

COMMUNE_YEAR_QUOTAS = {"XA-CL": 12, "PH-DD": 9, "XA-BS": 5}
UNIT_YEAR_QUOTAS = {
    "XA-CL": {"DB-HT": 4, "DB-THPT": 3, "CS-YT-CL": 2},
    "PH-DD": {"DB-XM": 5, "DB-TTDD": 3},
    "XA-BS": {"DB-MS": 3, "CS-THCS-BS": 1},
}


def working_on_or_after(d: date) -> date:
    while not is_working_day(d):
        d += timedelta(days=1)
    return d


def tree() -> OrganisationTree:
    return OrganisationTree(UNITS, MOVES, DISSOLUTIONS, AUTHORISATIONS)


def members(people: People) -> tuple[Member, ...]:
    """Each cell's official members: long-standing ones, so that they can help and introduce."""
    found = []
    units = {u.code: u for u in UNITS}
    grassroots = tree()
    for cell, count in MEMBERS_PER_CELL.items():
        ethnicities = ETHNICITIES[grassroots.grassroots_on(cell, date(2020, 1, 1))]
        for index in range(count):
            year = 1958 + (index * 7 + len(cell) * 3) % 36
            person = people.person(year=year, ethnicity=ethnicities[index % len(ethnicities)])
            earliest = max(units[cell].established_on, date(year + 25, 1, 1))
            since = working_on_or_after(earliest + timedelta(days=people.rng.randint(0, 5 * 365)))
            since = min(since, working_on_or_after(date(2021, 3, 1)))
            admitted = add_months(since, -people.rng.randint(14, 60))
            found.append(Member(person, cell, since, admitted, add_months(admitted, 12)))
    return tuple(found)


def committee_seats(roll: tuple[Member, ...]) -> tuple[Seat, ...]:
    seats = []
    placed = tree()
    for organisation, size in COMMITTEES.items():
        eligible = [
            m for m in roll
            if organisation in placed.chain_on(m.cell, COMMITTEE_SINCE) and m.since <= COMMITTEE_SINCE and m.cell != EMPTIED_CELL
        ]
        for index, member in enumerate(eligible[:size]):
            role = ("Bí thư", "Phó Bí thư")[index] if index < 2 else "Ủy viên"
            seats.append(Seat(organisation, member.person.citizen_id, role, COMMITTEE_SINCE))
    return tuple(seats)


def status_changes(roll: tuple[Member, ...]) -> tuple[StatusChange, ...]:
    """An elderly member of Nà Tâm is exempted from party activities (miễn sinh hoạt): counted in a
    vote only when present (CELL_2_3)."""
    oldest = min((m for m in roll if m.cell == "CB-HT-NT"), key=lambda m: m.person.birth_date)
    return (StatusChange(oldest.person.citizen_id, "exempted", date(2022, 1, 4), "Đảng viên cao tuổi, sức khỏe yếu"),)


def member_transfers(roll: tuple[Member, ...], reference: date) -> tuple[MemberTransfer, ...]:
    on = working_on_or_after(reference - timedelta(days=200))
    return tuple(
        MemberTransfer(m.person.citizen_id, EMPTIED_INTO, on, "Ghép sinh hoạt do thôn còn ít đảng viên")
        for m in roll
        if m.cell == EMPTIED_CELL
    )


def quotas(reference: date) -> tuple[Quota, ...]:
    """Quotas per year and per congress term, each decided by the unit above; none dated after the reference day."""
    found = [
        Quota(DISTRICT, "2020-2025", 60, PROVINCE, date(2020, 10, 20), "395-QĐ/TU"),
        Quota(DISTRICT, "2025", 14, PROVINCE, date(2025, 1, 20), "58-QĐ/TU"),
    ]
    decided = date(2025, 7, 21)
    for number, (commune, term) in enumerate((("XA-CL", 48), ("PH-DD", 40), ("XA-BS", 20)), start=1):
        found.append(Quota(commune, "2025-2030", term, PROVINCE, decided, f"{1040 + number}-QĐ/TU"))
        found.append(Quota(commune, "2025", (10, 8, 4)[number - 1], PROVINCE, decided, f"{1050 + number}-QĐ/TU"))
    for year in range(2026, reference.year + 1):
        by_province = working_on_or_after(date(year, 1, 20))
        by_commune = working_on_or_after(date(year, 2, 5))
        if by_province < reference:
            for number, (commune, quantity) in enumerate(COMMUNE_YEAR_QUOTAS.items(), start=1):
                found.append(Quota(commune, str(year), quantity, PROVINCE, by_province, f"{30 + number}-QĐ/TU"))
        if by_commune < reference:
            for commune, units in UNIT_YEAR_QUOTAS.items():
                for number, (unit, quantity) in enumerate(units.items(), start=1):
                    found.append(Quota(unit, str(year), quantity, commune, by_commune, f"{number:02d}-QĐ/ĐU"))
    return tuple(found)
