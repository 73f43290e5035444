"""Fictional but realistic people of the demo province (Lạng Sơn): names in NFC, 12-digit citizen ids
shaped like real ones (province code, century and gender digit, year of birth, serial), ethnicities
of the region. Everything comes from one seeded generator, so a plan is the same every time.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date

PROVINCE_CODE = "020"
"""The first three digits of a citizen id registered in Lạng Sơn."""

FAMILY = {
    "Kinh": ("Nguyễn", "Trần", "Lê", "Phạm", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương"),
    "Tày": ("Hoàng", "Nông", "Lương", "Hà", "Lộc", "Chu", "Hứa", "Mã"),
    "Nùng": ("Vi", "Hoàng", "Lăng", "Triệu", "Lành", "Chu", "Nông", "Hứa"),
    "Dao": ("Triệu", "Bàn", "Đặng", "Lý"),
    "Hoa": ("Lý", "Trương", "Hoàng", "Lâm"),
}
MIDDLE = {
    "male": ("Văn", "Đức", "Minh", "Quang", "Hữu", "Thành", "Xuân"),
    "female": ("Thị", "Thu", "Ngọc", "Thanh", "Hồng", "Minh", "Thùy"),
}
GIVEN = {
    "male": ("An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Mạnh", "Nam", "Phong", "Quân", "Sơn",
             "Thắng", "Tuấn", "Việt", "Trung", "Đạt", "Kiên", "Lâm", "Thái", "Hưng"),
    "female": ("Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Ngân", "Nhung",
               "Phương", "Quỳnh", "Thảo", "Trang", "Uyên", "Vân", "Yến", "Huyền", "Loan"),
}


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True)
class Person:
    citizen_id: str
    full_name: str
    gender: str
    birth_date: date
    ethnicity: str


class People:
    """Hands out people with names and unique citizen ids from one seeded generator."""

    def __init__(self, seed: str) -> None:
        self.rng = random.Random(seed)
        self._serials: set[str] = set()

    def citizen_id(self, gender: str, birth_date: date) -> str:
        """Province, century-and-gender digit (0/1 before 2000, 2/3 from 2000), year, six-digit serial."""
        century = 0 if birth_date.year < 2000 else 2
        digit = century + (1 if gender == "female" else 0)
        while True:
            candidate = f"{PROVINCE_CODE}{digit}{birth_date.year % 100:02d}{self.rng.randrange(10**6):06d}"
            if candidate not in self._serials:
                self._serials.add(candidate)
                return candidate

    def name(self, gender: str, ethnicity: str, family: str | None = None) -> str:
        family = family or self.rng.choice(FAMILY.get(ethnicity, FAMILY["Kinh"]))
        return nfc(f"{family} {self.rng.choice(MIDDLE[gender])} {self.rng.choice(GIVEN[gender])}")

    def birth_date(self, year: int) -> date:
        return date(year, self.rng.randint(1, 12), self.rng.randint(1, 28))

    def person(
        self, *, gender: str | None = None, born: date | None = None, year: int | None = None, ethnicity: str = "Kinh",
        family: str | None = None,
    ) -> Person:
        gender = gender or self.rng.choice(("male", "female"))
        birth = born or self.birth_date(year or 1985)
        return Person(self.citizen_id(gender, birth), self.name(gender, ethnicity, family), gender, birth, ethnicity)

    def family_name(self, full_name: str) -> str:
        return full_name.split(" ", 1)[0]
