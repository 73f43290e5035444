"""Taking over dossiers begun on paper (tiếp nhận hồ sơ giấy): each row of an import file is one
dossier in progress, at its current step, with the dates of the steps already done on paper.

A row is brought in by the commands of the services that own each step, in the order of the road,
as the people who did them on paper would have recorded them: the dossiers service opens the
dossier marked as taken over (`take_over_dossier`) and records its papers; verification takes over
the certification made on paper (`take_over_certification`); voting takes over the cell's
resolution with its counts (`take_over_cell_resolution`). Each judges its step exactly as live
(the rule set of the step's date, the same rule codes), so a dossier taken over is counted in every
report like one run here, and the later steps continue live. Between two owners the driver waits
for the consumer that carries the dossier from one to the next (a verification case opened, a
certification seen by the dossier, a voting chain opened), as `operations/demo` does.

It lives in the gateway, which speaks to every service over NATS as the person signed in: the web's
import page and the HTTP API take dossiers over as that person within their scope
(`web/pages/paper_import.py`), the operator's `ketnap registry import` as the operator.

All or nothing per file. A file is first checked row by row for what needs no service (fields,
order of dates, NO_RULE_SET), then every row is judged end to end without writing: each owning
service decides its steps of the row on a scratch copy (`<service>.query.judge`,
`ketnap.platform.judging`: its own handlers, the same rules and codes), given what the row's
earlier steps would record (its own events replayed, the other services' handed to its reactions
as their consumers would). Every problem of every row is listed (line, field, the Vietnamese reason
with its rule code); only a file without any is written, row by row as before. `--dry-run` judges
the same way. Writing is resumable: every command's idempotency key derives from the person, the
opening date and the step, so importing the same file again after a crash mid-write judges the
steps already written as the retries they are and continues from the first one missing. What the
judgement cannot promise is what changes between it and the writing (another person's act on the
same units): such a row is reported and the import continues with the next.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from typing import Any

import pydantic
from nats.aio.client import Client as NatsClient
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ketnap.domain.rules import check_rule_set_covers
from ketnap.domain.spreadsheet import Problem, Record, column_header, labelled, reason_of, records_of
from ketnap.platform.bus import requests
from ketnap.platform.commands import Unavailable
from ketnap.platform.logging import get_logger
from ketnap.platform.vietnamese import vn_date
from ketnap.services.dossiers.commands import TAKEN_OVER_STEPS
from ketnap.services.dossiers.values import STEP_LABELS, GeneralEducation, ProfessionalQualification, Relation, Step, UnionKind
from ketnap.services.registry.values import normalised_text, parse_user_date

log = get_logger(__name__)

_KEYS = uuid.UUID("6a1c9e34-2f57-4d0b-8c1e-93b4d7f2a610")
WAIT_SECONDS = 60.0
"""How long the driver waits for a consumer to carry the dossier to the next owner."""

_STEP_BY_LABEL = {normalised_text(STEP_LABELS[Step(s)]).lower(): s for s in TAKEN_OVER_STEPS}
_ORDER = {step: index for index, step in enumerate(TAKEN_OVER_STEPS)}
_GENDERS = {"nam": "male", "nữ": "female"}
_YES = {"có", "x", "1", "true", "yes", "đoàn viên"}
_NO = {"không", "0", "false", "no", ""}
_UNIONS = {
    "đoàn thanh niên": "youth_union", "đoàn tncs hồ chí minh": "youth_union", "đoàn thanh niên cộng sản hồ chí minh": "youth_union",
    "đoàn": "youth_union", "công đoàn": "trade_union", "công đoàn cơ sở": "trade_union",
}
_RELATIONS = {
    "cha": "father", "bố": "father", "mẹ": "mother", "cha vợ": "father_in_law", "cha chồng": "father_in_law",
    "bố vợ": "father_in_law", "bố chồng": "father_in_law", "mẹ vợ": "mother_in_law", "mẹ chồng": "mother_in_law",
    "người nuôi dưỡng": "guardian", "vợ": "spouse", "chồng": "spouse", "con": "child",
}

def _yes_no(value: Any) -> Any:
    if isinstance(value, str):
        text = normalised_text(value).lower()
        if text in _YES:
            return True
        if text in _NO:
            return False
    return value

class PaperRelative(BaseModel):
    """One relative of a personal history verified on paper (a `relative` row, `người thân`, naming
    the applicant by their CCCD): declared with the history, so verification knows its subjects."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    applicant_citizen_id: str = Field(pattern=r"^\d{12}$")
    relation: Relation
    full_name: str = Field(min_length=1, max_length=200)
    birth_year: int = Field(ge=1850, le=2200)
    residence_or_work: str = Field(min_length=1, max_length=200)
    is_party_member: bool = False
    foreign_national: bool = False
    adult_with_full_capacity: bool | None = None

    _relation = field_validator("relation", mode="before")(labelled(_RELATIONS, reverse=False))
    _bools = field_validator("is_party_member", "foreign_national", "adult_with_full_capacity", mode="before")(_yes_no)

    def facts(self) -> dict[str, Any]:
        """The relative as `declare_personal_history` takes it."""
        return self.model_dump(mode="json", exclude={"applicant_citizen_id"}, exclude_none=True)


class PaperDossierRow(BaseModel):
    """One dossier in progress, as the paper holds it: the person and the cell (as for opening a
    dossier), the step it stands at, and the dates (and counts) of the steps done on paper."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    citizen_id: str = Field(pattern=r"^\d{12}$")
    full_name: str = Field(min_length=1, max_length=200)
    organisation: str = Field(min_length=1, max_length=64)
    """The cell holding the dossier."""
    helper_citizen_id: str = Field(pattern=r"^\d{12}$")
    opened_on: date
    step: str
    class_certificate_number: str | None = None
    class_issued_on: date | None = None
    class_issued_by: str | None = None
    letter_on: date | None = None
    declared_on: date | None = None
    birth_date: date | None = None
    gender: str | None = None
    ethnicity: str | None = None
    religion: str | None = None
    occupation: str | None = None
    general_education: GeneralEducation | None = None
    professional_qualification: ProfessionalQualification | None = None
    youth_union_member: bool = False
    youth_union_exists: bool = True
    introducer_1_citizen_id: str | None = Field(default=None, pattern=r"^\d{12}$")
    introducer_1_name: str | None = None
    introducer_2_citizen_id: str | None = Field(default=None, pattern=r"^\d{12}$")
    introducer_2_name: str | None = None
    introduced_on: date | None = None
    acquainted_since: date | None = None
    opinions_on: date | None = None
    certified_by: str | None = None
    certified_on: date | None = None
    ready_on: date | None = None
    cell_meeting_on: date | None = None
    cell_agree: int | None = Field(default=None, ge=0)
    cell_disagree: int = Field(default=0, ge=0)
    grassroots_committee: str | None = None
    grassroots_meeting_on: date | None = None
    grassroots_agree: int | None = Field(default=None, ge=0)
    grassroots_disagree: int = Field(default=0, ge=0)
    decided_by: str | None = None
    decision_number: str | None = None
    decision_date: date | None = None
    received_on: date | None = None
    ceremony_on: date | None = None
    ceremony_helper_citizen_id: str | None = Field(default=None, pattern=r"^\d{12}$")
    # The union's resolution introducing the applicant in place of a second member (Mẫu 4-KNĐ).
    union: UnionKind | None = None
    union_resolution_number: str | None = Field(default=None, max_length=64)
    union_resolution_on: date | None = None
    # The partial committee's appraisal (Mẫu 7-KNĐ), when the cell sits under one.
    appraised_by: str | None = None
    appraised_on: date | None = None
    appraisal_opinion: str | None = Field(default=None, max_length=4000)
    # The vote of an authorised grassroots committee that decided the admission itself.
    decision_agree: int | None = Field(default=None, ge=0)
    decision_disagree: int = Field(default=0, ge=0)
    # The papers of the probation the paper already holds.
    member_history_on: date | None = None
    new_member_class_number: str | None = Field(default=None, max_length=64)
    new_member_class_issued_on: date | None = None
    new_member_class_issued_by: str | None = Field(default=None, max_length=200)
    self_review_on: date | None = None
    helper_review_on: date | None = None
    recognition_opinions_on: date | None = None
    recognition_papers_on: date | None = None
    relatives: tuple[PaperRelative, ...] = ()
    """From the file's `relative` rows naming this applicant (`check_rows`)."""

    _dates = field_validator(
        "opened_on", "class_issued_on", "letter_on", "declared_on", "birth_date", "introduced_on", "acquainted_since",
        "opinions_on", "certified_on", "ready_on", "cell_meeting_on", "grassroots_meeting_on", "decision_date", "received_on",
        "ceremony_on", "union_resolution_on", "appraised_on", "member_history_on", "new_member_class_issued_on",
        "self_review_on", "helper_review_on", "recognition_opinions_on", "recognition_papers_on", mode="before",
    )(parse_user_date)
    _bools = field_validator("youth_union_member", "youth_union_exists", mode="before")(_yes_no)
    _union = field_validator("union", mode="before")(labelled(_UNIONS, reverse=False))
    _gender = field_validator("gender", mode="before")(labelled(_GENDERS, reverse=False))

    @field_validator("step", mode="before")
    @classmethod
    def _step(cls, value: Any) -> Any:
        key = normalised_text(str(value)).lower()
        step = _STEP_BY_LABEL.get(key, key)
        if step not in _ORDER:
            labels = ", ".join(f"«{STEP_LABELS[Step(s)]}»" for s in TAKEN_OVER_STEPS)
            raise ValueError(f"Bước hiện tại phải là một trong: {labels}")
        return step

    @model_validator(mode="after")
    def _what_the_step_needs(self) -> PaperDossierRow:
        for name in self.needed():
            if getattr(self, name) is None:
                raise ValueError(f"Hồ sơ ở bước «{STEP_LABELS[Step(self.step)]}» cần cột «{column_header(name)}»")
        for group in _TOGETHER:
            given = [name for name in group if getattr(self, name) is not None]
            if given and len(given) < len(group):
                missing = ", ".join(f"«{column_header(name)}»" for name in group if name not in given)
                raise ValueError(f"Đã ghi {', '.join(f'«{column_header(name)}»' for name in given)} thì cần cả {missing}")
        for name, step in _FROM_STEP.items():
            if getattr(self, name) not in (None, ()) and not self.at_least(step):
                raise ValueError(f"Cột «{column_header(name)}» chỉ ghi cho hồ sơ từ bước «{STEP_LABELS[Step(step)]}»")
        recognition = ("self_review_on", "helper_review_on", "recognition_opinions_on")
        if self.recognition_papers_on is None and any(getattr(self, name) is not None for name in recognition):
            raise ValueError(f"Hồ sơ công nhận trên giấy cần cột «{column_header('recognition_papers_on')}»")
        return self

    def at_least(self, step: str) -> bool:
        return _ORDER[self.step] >= _ORDER[step]

    def needed(self) -> list[str]:
        """The fields the paper must give for the dossier to stand at its step."""
        needed: list[str] = []
        if self.at_least("application"):
            needed += ["letter_on"]
        if self.at_least("verification"):
            needed += ["declared_on", "birth_date", "gender", "ethnicity", "religion", "occupation",
                       "general_education", "professional_qualification"]
        if self.at_least("ready_for_cell_vote"):
            needed += ["class_certificate_number", "class_issued_on", "class_issued_by", "introducer_1_citizen_id",
                       "introducer_1_name", "introduced_on", "acquainted_since", "opinions_on", "certified_by",
                       "certified_on", "ready_on", "cell_meeting_on"]
            # A second member, or the union's resolution in their place (INTRO_SET judges the set).
            needed += ["union_resolution_number", "union_resolution_on"] if self.union else ["introducer_2_citizen_id", "introducer_2_name"]
        if self.at_least("awaiting_decision"):
            needed += ["cell_agree"]
            if self.grassroots_meeting_on is not None:
                needed += ["grassroots_committee", "grassroots_agree"]
        if self.at_least("awaiting_ceremony"):
            needed += ["decided_by", "decision_number", "decision_date"]
        if self.at_least("probation"):
            needed += ["received_on", "ceremony_on"]
        return needed

    def acts(self) -> list[tuple[str, date]]:
        """The dated acts the paper holds, in the order of the road: each is judged on its date."""
        acts = [("opened_on", self.opened_on)]
        for name in ("letter_on", "declared_on", "introduced_on", "opinions_on", "certified_on", "ready_on"):
            value = getattr(self, name)
            if value is not None:
                acts.append((name, value))
        if self.at_least("awaiting_decision") and self.cell_meeting_on is not None:
            acts.append(("cell_meeting_on", self.cell_meeting_on))
        for name in ("appraised_on", "grassroots_meeting_on", "decision_date", "received_on", "ceremony_on"):
            value = getattr(self, name)
            if value is not None and self.at_least("awaiting_decision"):
                acts.append((name, value))
        # The union's resolution and the probation's papers are judged by their own steps, which
        # refuse one dated before the step it follows (so never before every rule set).
        return acts

_TOGETHER = (
    ("union", "union_resolution_number", "union_resolution_on"),
    ("appraised_by", "appraised_on"),
    ("new_member_class_number", "new_member_class_issued_on", "new_member_class_issued_by"),
)
"""Fields a paper gives together or not at all."""
_FROM_STEP = {
    "relatives": "verification",
    "appraised_by": "awaiting_decision",
    "decision_agree": "awaiting_ceremony",
    **dict.fromkeys((
        "member_history_on", "new_member_class_number", "new_member_class_issued_on", "new_member_class_issued_by",
        "self_review_on", "helper_review_on", "recognition_opinions_on", "recognition_papers_on",
    ), "probation"),
}
"""What a row may give only from a step on: a paper of a later step than the row's is a typing error,
not something to leave out silently (the probation's papers are recorded live when not on paper)."""


@dataclass
class TakeOverResult:
    problems: list[Problem] = field(default_factory=list)
    dossiers: dict[int, str] = field(default_factory=dict)
    """Line -> the dossier taken over."""

    @property
    def ok(self) -> bool:
        return not self.problems

def check_rows(records: list[Record]) -> tuple[list[tuple[int, PaperDossierRow]], list[Problem]]:
    """The dossier rows of a file, each checked for what needs no service: its fields, what its step
    needs, the order of its dates, and that each date falls under a known rule set (NO_RULE_SET, with
    the message every step gives)."""
    rows: list[tuple[int, PaperDossierRow]] = []
    relatives, problems = _relatives_of(records)
    seen: dict[str, int] = {}
    for record in records:
        if record.record != "dossier":
            continue
        try:
            own = relatives.pop(str(record.fields.get("citizen_id", "")), [])
            row = PaperDossierRow.model_validate({**record.fields, "relatives": [relative for _, relative in own]})
        except pydantic.ValidationError as error:
            for e in error.errors(include_url=False, include_input=False):
                problems.append(Problem(record.line, ".".join(str(p) for p in e["loc"]), reason_of(e)))
            continue
        found = _row_problems(row)
        if row.citizen_id in seen:
            found.append(Problem(record.line, "citizen_id", f"Số CCCD trùng với dòng {seen[row.citizen_id]}"))
        seen.setdefault(row.citizen_id, record.line)
        problems += [Problem(record.line, p.field, p.reason, p.code) for p in found]  # the rule's code kept for the reader
        if not found:
            rows.append((record.line, row))
    for unclaimed in relatives.values():
        problems += [Problem(line, "applicant_citizen_id", "Không có hồ sơ đang làm của số CCCD này trong tệp") for line, _ in unclaimed]
    return rows, problems


def _relatives_of(records: list[Record]) -> tuple[dict[str, list[tuple[int, PaperRelative]]], list[Problem]]:
    """The file's `relative` rows by the applicant they belong to, and the problems of those rows."""
    relatives: dict[str, list[tuple[int, PaperRelative]]] = {}
    problems: list[Problem] = []
    for record in records:
        if record.record != "relative":
            continue
        try:
            relative = PaperRelative.model_validate(record.fields)
        except pydantic.ValidationError as error:
            for e in error.errors(include_url=False, include_input=False):
                problems.append(Problem(record.line, ".".join(str(p) for p in e["loc"]), reason_of(e)))
            continue
        relatives.setdefault(relative.applicant_citizen_id, []).append((record.line, relative))
    return relatives, problems

def _row_problems(row: PaperDossierRow) -> list[Problem]:
    problems: list[Problem] = []
    for name, on in row.acts():
        if violation := check_rule_set_covers(on):
            problems.append(Problem(0, name, f"[{violation.code.value}] {violation.message}", f"rule:{violation.code.value}"))
    acts = row.acts()
    for (before, earlier), (name, later) in pairwise(acts):
        if later < earlier:
            problems.append(Problem(0, name, f"Ngày {vn_date(later)} trước {before} ({vn_date(earlier)})"))
    return problems

def dossier_id_of(row: PaperDossierRow) -> str:
    """The same person opened on the same day is the same dossier: importing the file again continues it."""
    return str(uuid.uuid5(_KEYS, f"dossier:{row.citizen_id}:{row.opened_on.isoformat()}"))

@dataclass(frozen=True)
class Act:
    """One command of a row's road, sent to the service owning its step; `field_name`: the row's
    field a refusal is reported at when the service names none."""

    service: str
    name: str
    body: dict[str, Any]
    field_name: str


@dataclass(frozen=True)
class Wait:
    """Writing only: until a consumer has carried the dossier to the next owner (a judgement hands
    the facts on itself)."""

    service: str
    query: str
    check: Callable[[dict[str, Any]], bool]


Progress = Callable[[str, int, int], None]
"""Told (stage «judged» or «written», rows done, rows in all) after each row."""


def road(row: PaperDossierRow) -> list[Act | Wait]:
    """The commands that bring a row in, in the order of the road, each where live would send it."""
    dossier_id = dossier_id_of(row)
    plan: list[Act | Wait] = [Act("dossiers", "take_over_dossier", {
        "dossier_id": dossier_id, "cell": row.organisation, "citizen_id": row.citizen_id, "full_name": row.full_name,
        "opened_on": row.opened_on, "helper_citizen_id": row.helper_citizen_id, "step": row.step,
    }, "opened_on")]
    if row.class_certificate_number and row.class_issued_on and row.class_issued_by:
        plan.append(Act("dossiers", "record_class_certificate", {
            "dossier_id": dossier_id, "certificate_number": row.class_certificate_number,
            "issued_on": row.class_issued_on, "issued_by": row.class_issued_by,
        }, "class_issued_on"))
    if row.at_least("application"):
        plan.append(Act("dossiers", "submit_application_letter", {"dossier_id": dossier_id, "submitted_on": row.letter_on}, "letter_on"))
    if row.at_least("verification"):
        plan.append(Act("dossiers", "declare_personal_history", _declaration(row, dossier_id), "declared_on"))
    if row.introduced_on and row.introducer_1_citizen_id and (row.introducer_2_citizen_id or row.union):
        plan.append(Act("dossiers", "record_introductions", _introductions(row, dossier_id), "introduced_on"))
    if row.opinions_on and row.at_least("verification"):
        plan.append(Act("dossiers", "record_opinions", {"dossier_id": dossier_id, "opinions": [
            {"source": "residence_cell", "given_on": row.opinions_on, "summary": "Nhận xét trên hồ sơ giấy."},
            {"source": "workplace_mass_organisations", "given_on": row.opinions_on, "summary": "Nhận xét trên hồ sơ giấy."},
        ]}, "opinions_on"))
    if row.at_least("ready_for_cell_vote"):
        plan += [
            Wait("verification", "case", lambda case: True),
            Act("verification", "take_over_certification", {
                "dossier_id": dossier_id, "certified_by": row.certified_by, "certified_on": row.certified_on,
            }, "certified_on"),
            Wait("dossiers", "dossier", _certified),
            Act("dossiers", "mark_ready_for_cell_vote", {
                "dossier_id": dossier_id, "ready_on": row.ready_on, "cell_meeting_on": row.cell_meeting_on,
            }, "ready_on"),
        ]
    if row.at_least("awaiting_decision"):
        plan += [
            Wait("voting", "case", lambda case: bool(case.get("ready_on"))),
            Act("voting", "take_over_cell_resolution", {
                "dossier_id": dossier_id, "cell": row.organisation, "meeting_on": row.cell_meeting_on,
                "agree": row.cell_agree, "disagree": row.cell_disagree,
            }, "cell_agree"),
            Wait("dossiers", "dossier", lambda d: d.get("step") not in (None, "ready_for_cell_vote")),
        ]
        if row.appraised_by is not None:
            # The partial committee's appraisal (Mẫu 7-KNĐ), as live: it follows the cell's resolution.
            plan.append(Act("voting", "record_appraisal", {
                "dossier_id": dossier_id, "organisation": row.appraised_by, "appraised_on": row.appraised_on,
                "opinion": row.appraisal_opinion or "Thẩm định trên hồ sơ giấy.",
            }, "appraised_on"))
        if row.grassroots_meeting_on is not None:
            plan.append(Act("voting", "take_over_grassroots_resolution", {
                "dossier_id": dossier_id, "organisation": row.grassroots_committee, "meeting_on": row.grassroots_meeting_on,
                "agree": row.grassroots_agree, "disagree": row.grassroots_disagree,
            }, "grassroots_agree"))
    if row.at_least("awaiting_ceremony"):
        plan += _admission(row, dossier_id)
    if row.at_least("probation"):
        plan.append(Act("dossiers", "record_ceremony", {
            "dossier_id": dossier_id, "held_on": row.ceremony_on,
            "helper_citizen_id": row.ceremony_helper_citizen_id or row.helper_citizen_id,
        }, "ceremony_on"))
        plan += _probation_papers(row, dossier_id)
    return plan


def _admission(row: PaperDossierRow, dossier_id: str) -> list[Act | Wait]:
    """The decision made on paper by the committee above, recorded by voting as any decision of
    that committee (AUTHORITY, DECISION_60WD on its date); the registry then puts the person on
    the cell's roster from the decision date, counted as an admission. The cell's receipt, then.
    An authorised grassroots committee decided by its own vote: the paper's counts are taken over
    (`take_over_admission_decision`, COMMITTEE_2_3 as live)."""
    if row.decision_agree is not None:
        decision = Act("voting", "take_over_admission_decision", {
            "dossier_id": dossier_id, "decided_by": row.decided_by, "decision_date": row.decision_date,
            "decision_number": row.decision_number, "agree": row.decision_agree, "disagree": row.decision_disagree,
        }, "decision_agree")
    else:
        decision = Act("voting", "decide_admission", {
            "dossier_id": dossier_id, "decided_by": row.decided_by, "decision_date": row.decision_date, "admitted": True,
            "decision_number": row.decision_number,
        }, "decided_by")
    plan: list[Act | Wait] = [decision, Wait("dossiers", "dossier", lambda d: d.get("admission") is not None)]
    if row.received_on is not None:
        received = row.received_on.isoformat()
        plan += [
            Act("voting", "record_cell_notified", {"dossier_id": dossier_id, "received_on": row.received_on}, "received_on"),
            Wait("dossiers", "dossier", lambda d: (d.get("admission") or {}).get("received_by_cell_on") == received),
        ]
    return plan


def _probation_papers(row: PaperDossierRow, dossier_id: str) -> list[Act | Wait]:
    """The papers of the probation the paper holds, each by its live command (the order of the
    road: the member history, the new-member class, then the papers of recognition, RECOG_EARLY
    and RECOG_DOCS as live); what the paper does not hold is recorded live afterwards."""
    plan: list[Act | Wait] = []
    if row.member_history_on is not None:
        plan.append(Act("dossiers", "file_member_history", {"dossier_id": dossier_id, "filed_on": row.member_history_on},
                        "member_history_on"))
    if row.new_member_class_number is not None:
        plan.append(Act("dossiers", "record_new_member_class", {
            "dossier_id": dossier_id, "certificate_number": row.new_member_class_number,
            "issued_on": row.new_member_class_issued_on, "issued_by": row.new_member_class_issued_by,
        }, "new_member_class_issued_on"))
    if row.recognition_papers_on is not None:
        plan.append(Act("dossiers", "record_recognition_papers", {
            "dossier_id": dossier_id, "self_review_on": row.self_review_on, "helper_review_on": row.helper_review_on,
            "opinions_on": row.recognition_opinions_on, "completed_on": row.recognition_papers_on,
        }, "recognition_papers_on"))
    return plan


def _declaration(row: PaperDossierRow, dossier_id: str) -> dict[str, Any]:
    return {
        "dossier_id": dossier_id, "declared_on": row.declared_on,
        "applicant": {"birth_date": row.birth_date, "gender": row.gender, "ethnicity": row.ethnicity,
                      "religion": row.religion, "occupation": row.occupation},
        "relatives": [relative.facts() for relative in row.relatives],
        "qualifications": {"general_education": row.general_education, "professional_qualification": row.professional_qualification,
                           "youth_union_member": row.youth_union_member, "youth_union_exists": row.youth_union_exists},
    }


class TakeOver:
    """Judges, then writes, the rows of a file through the owning services over NATS, as `actor` in
    `scope` (None: each row's cell, the unit the acts are about, as the operator's tool sends them)."""

    def __init__(
        self, nc: NatsClient, *, actor: str, scope: str | None, services: Mapping[str, str] | None = None,
        wait_seconds: float = WAIT_SECONDS, progress: Progress | None = None,
    ) -> None:
        self.nc, self.actor, self.scope = nc, actor, scope
        self.services = dict(services or {})
        self.wait_seconds = wait_seconds
        self.progress = progress or (lambda _stage, _done, _total: None)

    async def judge(self, rows: list[tuple[int, PaperDossierRow]]) -> list[Problem]:
        """Every row judged end to end, nothing written: each row's first refusal."""
        problems: list[Problem] = []
        for done, (line, row) in enumerate(rows, start=1):
            try:
                await self.judge_row(row)
            except Refused as refusal:
                problems.append(Problem(line, refusal.field, refusal.reason, refusal.code))
                log.info("paper dossier refused when judged", line=line, step=refusal.step, code=refusal.code)
            self.progress("judged", done, len(rows))
        return problems

    async def run(self, rows: list[tuple[int, PaperDossierRow]]) -> TakeOverResult:
        """Judged first; written only when no row is refused (all or nothing)."""
        result = TakeOverResult(problems=await self.judge(rows))
        if result.problems:
            return result
        for done, (line, row) in enumerate(rows, start=1):
            try:
                result.dossiers[line] = await self.take_over(row)
            except Refused as refusal:
                # Only what changed since the judgement (another act meanwhile, a service down):
                # importing the file again continues from the last step written.
                result.problems.append(Problem(line, refusal.field, refusal.reason, refusal.code))
                log.info("paper dossier refused when written", line=line, step=refusal.step, code=refusal.code)
            self.progress("written", done, len(rows))
        return result

    # --- one row ---------------------------------------------------------------------------------

    async def judge_row(self, row: PaperDossierRow) -> None:
        """The row's road judged service by service (`<service>.query.judge`), each given what the
        earlier steps of the row would record: its own (replayed) and the others' (as facts)."""
        acts = [step for step in road(row) if isinstance(step, Act)]
        produced: list[tuple[str, dict[str, Any]]] = []  # (log, event) in the order recorded
        handed: dict[str, int] = {}  # how many of `produced` each service was given
        own: dict[str, list[dict[str, Any]]] = {}
        index = 0
        while index < len(acts):
            service = acts[index].service
            segment = [acts[index]]
            while index + len(segment) < len(acts) and acts[index + len(segment)].service == service:
                segment.append(acts[index + len(segment)])
            log_name = self._service(service)
            facts = [{"source": source, "event": event} for source, event in produced[handed.get(service, 0):] if source != log_name]
            try:
                reply = await requests.query(self.nc, log_name, "judge", {
                    "steps": [{"command": act.name, "body": self._signed(row, act)} for act in segment],
                    "replay": own.get(service, []), "facts": facts,
                }, timeout=JUDGE_SECONDS)
            except Unavailable as error:  # a service down: this row's problem, the file is not written
                raise _refused(segment[0], error.body().model_dump()) from None
            if not reply.get("ok"):
                raise _refused(segment[0], reply.get("error") or {})
            answer = reply["result"]
            events = answer.get("events") or []
            own.setdefault(service, []).extend(events)
            produced += [(log_name, event) for event in events]
            handed[service] = len(produced)
            if (refusal := answer.get("refusal")) is not None:
                raise _refused(segment[min(int(refusal.get("index") or 0), len(segment) - 1)], refusal)
            index += len(segment)

    async def take_over(self, row: PaperDossierRow) -> str:
        for step in road(row):
            if isinstance(step, Wait):
                await self._wait(step, dossier_id_of(row))
            else:
                await self._send(row, step)
        return dossier_id_of(row)

    # --- the bus ---------------------------------------------------------------------------------

    def _service(self, service: str) -> str:
        return self.services.get(service, service)

    def _signed(self, row: PaperDossierRow, act: Act) -> dict[str, Any]:
        """The command as sent: its key derives from the person, the opening date and the step, so
        the same row imported again is the same command (a retry, one effect)."""
        key = str(uuid.uuid5(_KEYS, f"{row.citizen_id}:{row.opened_on.isoformat()}:{act.service}.{act.name}"))
        return {**_plain(act.body), "idempotency_key": key, "actor": self.actor, "scope": self.scope or row.organisation}

    async def _send(self, row: PaperDossierRow, act: Act) -> dict[str, Any]:
        try:
            reply = await requests.command(self.nc, self._service(act.service), act.name, self._signed(row, act))
        except Unavailable as error:  # importing the file again continues where this stopped
            raise _refused(act, error.body().model_dump()) from None
        if reply.get("ok"):
            return reply
        raise _refused(act, reply.get("error") or {})

    async def _wait(self, wait: Wait, dossier_id: str) -> None:
        """Until the consumer that carries the dossier to the next owner has done so."""
        deadline = asyncio.get_running_loop().time() + self.wait_seconds
        pause = 0.05
        while True:
            try:
                reply = await requests.query(self.nc, self._service(wait.service), wait.query, {"dossier_id": dossier_id})
            except Unavailable:  # asked again until the deadline
                reply = {}
            if reply.get("ok") and wait.check(reply.get("result") or {}):
                return
            if asyncio.get_running_loop().time() > deadline:
                raise Refused(
                    step=wait.query, code="unavailable", field="",
                    reason=f"Dịch vụ {wait.service} chưa nhận hồ sơ sau {self.wait_seconds:.0f} giây; hãy nhập lại tệp sau.",
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, 1.0)


JUDGE_SECONDS = 30.0
"""How long one service may take to judge its steps of a row (it asks the registry on each)."""


_FIELD_OF_RULE = {"rule:SOURCE_HELPER": "helper_citizen_id"}
"""The row's field a rule's refusal is about when the service names none and it is not the act's own
date: the page shows the problem under that column (the helper's, not the opening date's)."""


def _refused(act: Act, error: Mapping[str, Any]) -> Refused:
    details = error.get("details") or {}
    code = str(error.get("code") or "")
    return Refused(
        step=act.name, code=code, field=str(details.get("field") or _FIELD_OF_RULE.get(code) or act.field_name),
        reason=str(error.get("message") or "Dịch vụ từ chối"),
    )


class Refused(Exception):
    def __init__(self, *, step: str, code: str, field: str, reason: str) -> None:
        super().__init__(reason)
        self.step, self.code, self.field, self.reason = step, code, field, reason

def _introductions(row: PaperDossierRow, dossier_id: str) -> dict[str, Any]:
    """Two official members, or one and the union's resolution in place of the second (Mẫu 3, 4-KNĐ)."""
    introducers = [(row.introducer_1_citizen_id, row.introducer_1_name)]
    if row.introducer_2_citizen_id:
        introducers.append((row.introducer_2_citizen_id, row.introducer_2_name))
    body: dict[str, Any] = {"dossier_id": dossier_id, "recorded_on": row.introduced_on, "introducers": [
        {"citizen_id": citizen_id, "full_name": name, "introduced_on": row.introduced_on, "acquainted_since": row.acquainted_since}
        for citizen_id, name in introducers
    ]}
    if row.union:
        body["union_resolution"] = {"union": row.union, "number": row.union_resolution_number, "dated": row.union_resolution_on}
    return body


def _certified(dossier: dict[str, Any]) -> bool:
    history = (dossier.get("papers") or {}).get("personal_history") or {}
    return bool(history.get("certified_on"))

def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value

Permit = Callable[[int, PaperDossierRow], Awaitable[Problem | None]]
"""Whether the person importing may take the row over (its cell within their scope): None, or the
row's problem. The web's import page asks the gateway's access table (`web/organisation/taking_over.py`)."""


async def take_over_file(
    nc: NatsClient, raw: bytes, name: str, *, actor: str, scope: str | None, dry_run: bool = False,
    services: Mapping[str, str] | None = None, wait_seconds: float = WAIT_SECONDS, progress: Progress | None = None,
    permit: Permit | None = None,
) -> tuple[TakeOverResult, int]:
    """The dossier rows of a file taken over, all or nothing: every row checked and judged end to
    end (`dry_run`: only that), and written only when no row has a problem. The result and how many rows."""
    records, problems = records_of(raw, name)
    if problems:
        return TakeOverResult(problems=sorted(problems)), 0
    rows, row_problems = check_rows(records)
    if permit is not None:
        # A row outside the person's scope is a problem of that row, and is not even judged.
        refused = [(line, found) for line, row in rows if (found := await permit(line, row)) is not None]
        row_problems += [found for _, found in refused]
        rows = [(line, row) for line, row in rows if line not in {line for line, _ in refused}]
    count = len(rows) + len({p.line for p in row_problems})
    take_over = TakeOver(nc, actor=actor, scope=scope, services=services, wait_seconds=wait_seconds, progress=progress)
    if row_problems or dry_run:
        # The rows whose fields pass are judged all the same: every problem of the file at once.
        return TakeOverResult(problems=sorted(row_problems + await take_over.judge(rows))), count
    result = await take_over.run(rows)
    result.problems.sort()
    return result, count
