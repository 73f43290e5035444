"""What each printed paper says, built from the dossier's own records: the words only, the same for
the DOCX file and the print view (`docx.py`, templates/paper.html).

The layout is the one of the forms annexed to the Central Organisation Commission's guidance on
party member work (Hướng dẫn 12-HD/BTCTW, 18/01/2022, Phụ lục 1: Mẫu 6, 8, 9, 13, 15, 16, 18-KNĐ):
the party organisation above and the issuing one on the left with "*" and the number and symbol,
"ĐẢNG CỘNG SẢN VIỆT NAM" and the place and date on the right, the title, the grounds, the text,
then who signs for the body and where copies go. What the records do not hold (the applicant's
birth date and home town, who was present, the chair, the merits discussed, a resolution's number)
is left as a dotted line to fill in by hand before signing: the DOCX file is editable for that.
docs/web.md ("Giấy tờ in") says where the wording follows the forms and where it is ours.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ketnap.services.gateway.web.vietnamese import as_date, number, percent, shown_date

BLANK = "…………"
"""A part of the form the records do not hold: filled in by hand before signing."""
MOTTO = "ĐẢNG CỘNG SẢN VIỆT NAM"


@dataclass(frozen=True)
class Line:
    """One paragraph of a paper's text: `centered` and `bold` for a heading inside the text."""

    text: str
    centered: bool = False
    bold: bool = False
    italic: bool = False


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Paper:
    """One printed paper, in the layout of the official form."""

    code: str
    """The form's number, e.g. "6-KNĐ"."""
    file_name: str
    upper: str
    """The party organisation above the issuing one ("ĐẢNG BỘ XÃ A")."""
    issuer: str
    """The issuing organisation ("CHI BỘ THÔN 1")."""
    number: str
    """"Số 12-QĐ/HU", or the symbol with room for the number ("Số      -NQ/CB")."""
    place_date: str
    title: str
    subject: str
    preamble: tuple[Line, ...] = ()
    body: tuple[Line, ...] = ()
    sign_for: str = ""
    """"T/M CHI BỘ"."""
    sign_title: str = ""
    """"BÍ THƯ"."""
    recipients: tuple[str, ...] = ()
    table: Table | None = None
    sign_note: str = "(Ký, ghi rõ họ tên)"
    """Under who signs: a decision is also stamped."""


def date_line(day: Any) -> str:
    """The place and date line of a party document: "…………, ngày 05 tháng 02 năm 2026" (a day below
    10 and the months 1 and 2 are written with a leading zero); the place is written by hand."""
    d = as_date(day)
    if d is None:
        return f"{BLANK}, ngày {BLANK} tháng {BLANK} năm {BLANK}"
    month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    return f"{BLANK}, ngày {d.day:02d} tháng {month} năm {d.year}"


def upper_case(name: str | None) -> str:
    return (name or BLANK).upper()


@dataclass(frozen=True)
class Facts:
    """What a dossier's papers are built from: its `dossiers.dossier` and `voting.case` answers and
    the units they name (`registry.organisation` answers by code)."""

    dossier: Mapping[str, Any]
    case: Mapping[str, Any] | None
    units: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def _chain(self, code: str | None) -> list[Mapping[str, Any]]:
        """The unit and its ancestors, nearest first: from its own answer, else from the chain of a
        unit below it (a cell secretary may not read the committee above, but its cell's answer
        names every ancestor)."""
        if code in self.units:
            return [self.units[code], *(self.units[code].get("ancestors") or [])]
        for unit in self.units.values():
            chain = [unit, *(unit.get("ancestors") or [])]
            for i, link in enumerate(chain):
                if link.get("code") == code:
                    return chain[i:]
        return []

    def name(self, code: str | None) -> str:
        chain = self._chain(code)
        return str(chain[0].get("name")) if chain else (code or BLANK)

    def parent_name(self, code: str | None) -> str:
        chain = self._chain(code)
        return str(chain[1].get("name")) if len(chain) > 1 else BLANK

    @property
    def person(self) -> str:
        return str(self.dossier.get("full_name") or BLANK)

    @property
    def cell(self) -> str:
        return str(self.dossier.get("cell") or "")

    def voting(self, name: str) -> Mapping[str, Any] | None:
        return (self.case or {}).get(name)

    def codes(self) -> set[str]:
        """Every unit a paper of this dossier may name."""
        found = {self.cell}
        for name in ("grassroots_resolution", "recognition_cell_resolution", "recognition_grassroots_resolution"):
            found.add(str((self.voting(name) or {}).get("organisation") or ""))
        found.add(str((self.dossier.get("admission") or {}).get("decided_by") or ""))
        found.add(str((self.dossier.get("official") or {}).get("decided_by") or ""))
        return {c for c in found if c}


def _vote_lines(resolution: Mapping[str, Any], counted: str) -> list[Line]:
    """The vote as the forms state it: how many were counted, for, against, and the share for."""
    agree, disagree, denominator = resolution.get("agree"), resolution.get("disagree"), resolution.get("denominator")
    lines = [Line(f"Tổng số {counted}: {number(denominator) if denominator is not None else BLANK} đồng chí. "
                  f"Có mặt: {BLANK} đồng chí; vắng mặt: {BLANK} đồng chí (lý do: {BLANK}).")]
    share = f" (đạt {percent(100 * agree / denominator)} so với tổng số {counted})" if agree is not None and denominator else ""
    against = f"; {number(disagree)} đồng chí không tán thành" if disagree is not None else ""
    lines.append(Line(f"Kết quả biểu quyết: {number(agree) if agree is not None else BLANK} đồng chí tán thành{share}{against}."))
    return lines


def _introducers(facts: Facts) -> str:
    found = ((facts.dossier.get("papers") or {}).get("introductions") or {}).get("introducers") or []
    names = ", ".join(f"đồng chí {i['full_name']}" for i in found if i.get("full_name"))
    return names or BLANK


def _applicant(facts: Facts) -> str:
    return f"quần chúng {facts.person}, số định danh cá nhân {facts.dossier.get('citizen_id') or BLANK}, sinh ngày {BLANK}, quê quán {BLANK}"


def cell_resolution(facts: Facts) -> Paper | None:
    """Mẫu 6-KNĐ: Nghị quyết của chi bộ đề nghị kết nạp đảng viên."""
    resolution = (facts.dossier.get("cell_vote") or {}).get("resolution")
    if not resolution or not resolution.get("adopted"):
        return None
    met = shown_date(resolution.get("meeting_on"))
    cell = facts.name(facts.cell)
    body = [
        Line(f"Ngày {met}, {cell} đã họp xét đề nghị kết nạp {_applicant(facts)} vào Đảng Cộng sản Việt Nam."),
        Line(f"Đảng viên giới thiệu: {_introducers(facts)}."),
        *_vote_lines(resolution, "đảng viên chính thức được tính khi biểu quyết"),
        Line(f"Những ưu điểm, khuyết điểm chính của quần chúng: {BLANK}"),
        Line(f"Chủ trì hội nghị: đồng chí {BLANK}; thư ký hội nghị: đồng chí {BLANK}."),
        Line(f"{cell} đề nghị {facts.parent_name(facts.cell)} xem xét, kết nạp quần chúng {facts.person} vào Đảng Cộng sản Việt Nam."),
    ]
    return Paper(
        "6-KNĐ", "mau-6-knd", upper_case(facts.parent_name(facts.cell)), upper_case(cell), "Số        -NQ/CB",
        date_line(resolution.get("meeting_on")), "NGHỊ QUYẾT", "Đề nghị kết nạp đảng viên",
        (Line("Căn cứ Điều 4 Điều lệ Đảng Cộng sản Việt Nam và hướng dẫn thi hành Điều lệ Đảng;", italic=True),),
        tuple(body), "T/M CHI BỘ", "BÍ THƯ", (facts.parent_name(facts.cell), "Lưu chi bộ"),
    )


def grassroots_resolution(facts: Facts) -> Paper | None:
    """Mẫu 8-KNĐ: Nghị quyết của đảng ủy cơ sở đề nghị kết nạp đảng viên."""
    resolution = facts.voting("grassroots_resolution")
    if not resolution or resolution.get("outcome") != "adopted":
        return None
    code = str(resolution["organisation"])
    committee = facts.name(code)
    cell_vote = (facts.dossier.get("cell_vote") or {}).get("resolution") or {}
    body = [
        Line(f"Ngày {shown_date(resolution.get('meeting_on'))}, {committee} đã họp xét Nghị quyết đề nghị kết nạp đảng viên của "
             f"{facts.name(facts.cell)} ngày {shown_date(cell_vote.get('meeting_on')) or BLANK} đối với {_applicant(facts)}."),
        *_vote_lines(resolution, "cấp ủy viên"),
        Line(f"{committee} đề nghị cấp ủy có thẩm quyền xem xét, quyết định kết nạp quần chúng {facts.person} vào Đảng Cộng sản Việt Nam."),
    ]
    return Paper(
        "8-KNĐ", "mau-8-knd", upper_case(facts.parent_name(code)), upper_case(committee), "Số        -NQ/ĐU",
        date_line(resolution.get("meeting_on")), "NGHỊ QUYẾT", "Đề nghị kết nạp đảng viên",
        (Line("Căn cứ Điều 4 Điều lệ Đảng Cộng sản Việt Nam và hướng dẫn thi hành Điều lệ Đảng;", italic=True),),
        tuple(body), "T/M ĐẢNG ỦY", "BÍ THƯ", (facts.parent_name(code), facts.name(facts.cell), "Lưu"),
    )


def _decision(
    facts: Facts, code: str, file_name: str, decided: Mapping[str, Any], subject: str, grounds: Sequence[str], articles: Sequence[str]
) -> Paper:
    """Mẫu 9 and 16-KNĐ share their frame: the standing committee of the competent body decides."""
    decider = str(decided.get("decided_by") or "")
    issuer = facts.name(decider)
    body = [Line(f"BAN THƯỜNG VỤ {upper_case(issuer)}", centered=True, bold=True), Line("QUYẾT ĐỊNH", centered=True, bold=True)]
    body += [Line(f"Điều {n}. {text}") for n, text in enumerate(articles, start=1)]
    decision_number = str(decided.get("decision_number") or "")
    return Paper(
        code, file_name, upper_case(facts.parent_name(decider)), upper_case(issuer),
        f"Số {decision_number}" if decision_number else "Số        -QĐ", date_line(decided.get("decision_date")),
        "QUYẾT ĐỊNH", subject,
        tuple(Line(g, italic=True) for g in ["Căn cứ Điều lệ Đảng Cộng sản Việt Nam;", *grounds]),
        tuple(body), "T/M BAN THƯỜNG VỤ", "BÍ THƯ", (f"Như Điều {len(articles)}", "Lưu"), sign_note="(Ký, ghi rõ họ tên, đóng dấu)",
    )


def _grounds(facts: Facts, what: str, cell_vote: Mapping[str, Any] | None, grassroots: Mapping[str, Any] | None) -> list[str]:
    """"Xét Nghị quyết ... của chi bộ ngày ... và của đảng ủy ngày ...;": the resolutions a decision rests on."""
    cell_on = shown_date((cell_vote or {}).get("meeting_on")) or BLANK
    above = (f" và của {facts.name(grassroots.get('organisation'))} ngày {shown_date(grassroots.get('meeting_on'))}"
             if grassroots and grassroots.get("outcome") == "adopted" else "")
    return [f"Xét Nghị quyết {what} của {facts.name(facts.cell)} ngày {cell_on}{above};"]


def _carry_out(facts: Facts) -> str:
    return f"{facts.name(facts.cell)}, các cơ quan có liên quan và đồng chí {facts.person} thi hành Quyết định này."


def admission_decision(facts: Facts) -> Paper | None:
    """Mẫu 9-KNĐ: Quyết định kết nạp đảng viên."""
    admission = facts.dossier.get("admission")
    if not admission or not admission.get("decision_number"):
        return None
    cell_vote = (facts.dossier.get("cell_vote") or {}).get("resolution") or {}
    grounds = _grounds(facts, "đề nghị kết nạp đảng viên", cell_vote, facts.voting("grassroots_resolution"))
    cell = facts.name(facts.cell)
    articles = [
        (f"Kết nạp quần chúng {facts.person}, số định danh cá nhân {facts.dossier.get('citizen_id') or BLANK}, sinh ngày {BLANK}, "
         f"vào Đảng Cộng sản Việt Nam; sinh hoạt tại {cell}."),
        "Thời gian dự bị 12 tháng, kể từ ngày chi bộ tổ chức lễ kết nạp.",
        _carry_out(facts),
    ]
    return _decision(facts, "9-KNĐ", "mau-9-knd", admission, "Kết nạp đảng viên", grounds, articles)


def _recognition_resolution(facts: Facts, name: str, code: str, file_name: str, counted: str, symbol: str, sign_for: str) -> Paper | None:
    resolution = facts.voting(name)
    if not resolution or resolution.get("outcome") != "adopted":
        return None
    unit = str(resolution["organisation"])
    body_name = facts.name(unit)
    admitted = (facts.dossier.get("admission") or {}).get("decision_date")
    body = [
        Line(f"Ngày {shown_date(resolution.get('meeting_on'))}, {body_name} đã họp xét, đề nghị công nhận đảng viên dự bị "
             f"{facts.person}, được kết nạp vào Đảng ngày {shown_date(admitted) or BLANK}, sinh hoạt tại {facts.name(facts.cell)}, "
             "trở thành đảng viên chính thức."),
        *_vote_lines(resolution, counted),
        Line(f"Ưu điểm, khuyết điểm chính trong thời gian dự bị: {BLANK}"),
        Line(f"{body_name} đề nghị cấp ủy có thẩm quyền xem xét, công nhận đồng chí {facts.person} là đảng viên chính thức."),
    ]
    return Paper(
        code, file_name, upper_case(facts.parent_name(unit)), upper_case(body_name), f"Số        -NQ/{symbol}",
        date_line(resolution.get("meeting_on")), "NGHỊ QUYẾT", "Đề nghị công nhận đảng viên chính thức",
        (Line("Căn cứ Điều 5 Điều lệ Đảng Cộng sản Việt Nam và hướng dẫn thi hành Điều lệ Đảng;", italic=True),),
        tuple(body), sign_for, "BÍ THƯ", (facts.parent_name(unit), "Lưu"),
    )


def recognition_cell_resolution(facts: Facts) -> Paper | None:
    """Mẫu 13-KNĐ: Nghị quyết của chi bộ đề nghị công nhận đảng viên chính thức."""
    return _recognition_resolution(facts, "recognition_cell_resolution", "13-KNĐ", "mau-13-knd",
                                   "đảng viên chính thức được tính khi biểu quyết", "CB", "T/M CHI BỘ")


def recognition_grassroots_resolution(facts: Facts) -> Paper | None:
    """Mẫu 15-KNĐ: Nghị quyết của đảng ủy cơ sở đề nghị công nhận đảng viên chính thức."""
    return _recognition_resolution(facts, "recognition_grassroots_resolution", "15-KNĐ", "mau-15-knd", "cấp ủy viên", "ĐU", "T/M ĐẢNG ỦY")


def recognition_decision(facts: Facts) -> Paper | None:
    """Mẫu 16-KNĐ: Quyết định công nhận đảng viên chính thức."""
    official = facts.dossier.get("official")
    if not official or not official.get("decision_number"):
        return None
    grounds = _grounds(facts, "đề nghị công nhận đảng viên chính thức", facts.voting("recognition_cell_resolution"),
                       facts.voting("recognition_grassroots_resolution"))
    articles = [
        (f"Công nhận đồng chí {facts.person}, đảng viên dự bị, sinh hoạt tại {facts.name(facts.cell)}, là đảng viên chính thức kể từ "
         f"ngày {shown_date(official.get('official_date'))}. Tuổi đảng của đồng chí tính từ ngày {shown_date(official.get('admitted_on'))}."),
        _carry_out(facts),
    ]
    return _decision(facts, "16-KNĐ", "mau-16-knd", official, "Công nhận đảng viên chính thức", grounds, articles)


DOSSIER_PAPERS: dict[str, tuple[str, Callable[[Facts], Paper | None]]] = {
    "mau-6-knd": ("Nghị quyết chi bộ đề nghị kết nạp (Mẫu 6-KNĐ)", cell_resolution),
    "mau-8-knd": ("Nghị quyết đảng ủy cơ sở đề nghị kết nạp (Mẫu 8-KNĐ)", grassroots_resolution),
    "mau-9-knd": ("Quyết định kết nạp đảng viên (Mẫu 9-KNĐ)", admission_decision),
    "mau-13-knd": ("Nghị quyết chi bộ đề nghị công nhận đảng viên chính thức (Mẫu 13-KNĐ)", recognition_cell_resolution),
    "mau-15-knd": ("Nghị quyết đảng ủy cơ sở đề nghị công nhận đảng viên chính thức (Mẫu 15-KNĐ)", recognition_grassroots_resolution),
    "mau-16-knd": ("Quyết định công nhận đảng viên chính thức (Mẫu 16-KNĐ)", recognition_decision),
}
"""The papers of one dossier, by address: each exists once the dossier has what it records."""


REGISTER_COLUMNS = (
    "STT", "Họ và tên", "Chi bộ", "Số, ngày quyết định kết nạp", "Ngày lễ kết nạp", "Ngày hết thời gian dự bị",
    "Ngày công nhận chính thức", "Ghi chú",
)


def register(unit: Mapping[str, Any], dossiers: Sequence[Mapping[str, Any]], cells: Mapping[str, str], on: date) -> Paper:
    """Mẫu 18-KNĐ: the register of probationary members of a unit and the cells below it: one row
    per member admitted (from each dossier's admission and probation), in the order admitted."""
    rows = []
    ordered = sorted(dossiers, key=lambda d: ((d.get("admission") or {}).get("decision_date") or "", d.get("full_name") or ""))
    for n, d in enumerate(ordered, start=1):
        admission, probation, official = d.get("admission") or {}, d.get("probation") or {}, d.get("official") or {}
        note = "" if d.get("step") != "name_removed" else "Đã xóa tên"
        rows.append((
            str(n), str(d.get("full_name") or ""), cells.get(str(d.get("cell")), str(d.get("cell") or "")),
            f"{admission.get('decision_number') or ''}, {shown_date(admission.get('decision_date'))}".strip(", "),
            shown_date(probation.get("starts_on")), shown_date(probation.get("ends_on")), shown_date(official.get("official_date")), note,
        ))
    ancestors = unit.get("ancestors") or []
    return Paper(
        "18-KNĐ", "mau-18-knd", upper_case(ancestors[0]["name"] if ancestors else None), upper_case(unit.get("name")), "",
        date_line(on), "SỔ THEO DÕI ĐẢNG VIÊN DỰ BỊ", f"{unit.get('name')}, lập ngày {shown_date(on)}",
        table=Table(REGISTER_COLUMNS, tuple(rows)), sign_for="T/M CẤP ỦY", sign_title="BÍ THƯ",
    )
