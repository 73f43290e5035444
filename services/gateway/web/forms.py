"""The form mechanism of the web application: one form per command, declared, never hand-written.

An `Act` names the command it sends (service and command of the access table), its title and the
fields a person fills in, with Vietnamese labels. From that declaration the web application
renders the form (templates/_form.html), reads what was typed (dates as dd/mm/yyyy, citizen ids,
numbers, choices, yes/no), builds the command's body (dotted names make nested objects and lists:
`introducers.0.citizen_id`), sends it through the same path as the HTTP API
(`api.command_reply`: the access table, the scope check, the service's own model) with the form's
own idempotency key, and shows the answer where it happened: a field's message beside the field,
a rule's refusal with its code at the top, the form kept as typed.

Who may see and send the form is the access table's answer for the command; at which steps of a
dossier it is offered is the act's `steps`. Adding an act is a declaration in a module of
`web/acts/` (see docs/web.md).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from ketnap.platform.commands import DomainError, ErrorBody, Unavailable
from ketnap.services.dossiers.values import Step
from ketnap.services.gateway.web.vietnamese import DATE_FORMAT_HINT, NotADate, rule_message, shown_date, typed_date

Kind = Literal["text", "long_text", "date", "citizen_id", "number", "choice", "yes_no", "fixed", "kept", "ballots"]
"""`fixed`: not shown; always sends `Field.fixed` (a relative's relation in the father's group).
`kept`: not shown; sends back what the form started from (a correction keeps a relative's
responding organisation, which this form does not ask).
`ballots`: one choice per voter of the body (its `Offer`), sent as `[{citizen_id, choice}]` for
those present; a body without voters to list (a standing committee deciding) leaves it out."""

BALLOT_CHOICES = {"agree": "Tán thành", "disagree": "Không tán thành", "abstain": "Không biểu quyết", "absent": "Vắng mặt"}
"""How a member voted, as the secretary records it; `absent` is not sent (only those present vote)."""


@dataclass(frozen=True)
class Offer:
    """What a form offers for one field, filled for the person and the dossier (`Field.options`):
    the choices (for `ballots`, the voters), the value first shown, and for a vote the body's
    denominator and the votes needed, shown before the vote is entered."""

    choices: Mapping[str, str] = field(default_factory=dict)
    preselect: str = ""
    note: str = ""
    denominator: int | None = None
    required: int | None = None
    rule: str | None = None


@dataclass(frozen=True)
class Field:
    """One input. `name` is its path in the command's body (`introducers.0.citizen_id`)."""

    name: str
    label: str
    kind: Kind = "text"
    hint: str = ""
    choices: Mapping[str, str] = field(default_factory=dict)
    """For `choice`: value sent -> the Vietnamese words shown, in the order shown."""
    required: bool = True
    today_by_default: bool = False
    """A date field filled with today's date when the form is first shown."""
    fixed: str = ""
    options: str | None = None
    """The name of what the page fills for the person and the dossier (`PROVIDERS` of web/options.py),
    e.g. `cells`: the cells of their subtree; `roster`: the cell's voters."""

    @property
    def html_id(self) -> str:
        return "f-" + re.sub(r"[^a-z0-9]+", "-", self.name.lower())

    @property
    def leaf(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    @property
    def shown_hint(self) -> str:
        if self.kind == "date":
            return f"{self.hint} Viết dạng {DATE_FORMAT_HINT}.".strip() if self.hint else f"Viết dạng {DATE_FORMAT_HINT}."
        if self.kind == "citizen_id":
            return self.hint or "12 chữ số."
        return self.hint


@dataclass(frozen=True)
class Group:
    """Fields shown together under a legend (a fieldset). An optional group is left out of the
    command when all its fields are empty (a second introducer, a union resolution)."""

    legend: str
    fields: tuple[Field, ...]
    optional: bool = False
    hint: str = ""
    rows: str = ""
    """The list this group is one row of (`con`: the children, declared up to a maximum): the form
    shows the rows filled and those the person added with its "Thêm" button (`FormState.rows`)."""
    add: str = ""
    """The words of the list's "Thêm" button (on its first row's declaration)."""


Part = Field | Group


@dataclass(frozen=True)
class Act:
    """One command as a form a person fills in."""

    service: str
    command: str
    slug: str
    """Its address under the dossier: /ho-so/<id>/<slug> (Vietnamese words without accents)."""
    title: str
    parts: tuple[Part, ...]
    lead: str = ""
    """One sentence under the title: what the act records, and when."""
    steps: frozenset[Step] = frozenset()
    """The dossier steps at which it is offered; empty: at any step of an open dossier."""
    road: str | None = None
    """The road step (road.py) it records, for the step tracker's links."""
    done: Callable[[Mapping[str, Any]], bool] | None = None
    """Whether the dossier (its `dossiers.dossier` answer) already has what this act records: an
    act not done yet comes first among the next acts."""
    submit: str = "Ghi vào hồ sơ"
    defaults: Mapping[str, str] = field(default_factory=dict)
    """What a field holds when the form is first shown (a yes/no field: "yes" ticks it)."""
    about_dossier: bool = True
    """Sends the id of the dossier it is shown on (`names_dossier`)."""
    names_dossier: Literal["dossier_id", "dossier_ids"] = "dossier_id"
    """How the command names the dossier: a vote takes a list (`dossier_ids`, ONE_BY_ONE)."""
    cell_as: str | None = None
    """Sends the dossier's cell under this name (the cell whose meeting voted)."""
    versioned: bool = True
    """Sends the version the person saw as `expected_version` (`seen_version`): someone acting
    first makes it a conflict, shown with the dossier reloaded."""
    confirm: bool = False
    """A consequential act (a vote, a decision): "check your answers" before it is sent."""
    follows: bool = False
    """The dossier records it after the service that takes it (a process manager): the page waits
    a moment for the dossier to follow before showing it."""
    rule_fields: Mapping[str, str] = field(default_factory=dict)
    """Rule code -> the field whose value it judges: its refusal is shown beside that field too
    (AUTHORITY beside the deciding committee)."""
    prefill: str | None = None
    """The name of what a blank form starts from (`PREFILLS` of web/options.py), read for the person
    and the dossier: a correction of the history starts from the history as it stands."""
    while_suspended: bool = False
    """Offered only while the dossier is paused for screening (resuming it); every other act waits."""
    order: int = 100

    @property
    def key(self) -> tuple[str, str]:
        return (self.service, self.command)

    def seen_version(self, facts: Mapping[str, Any] | None) -> int | None:
        """The version of what the act changes, as the page shows it: the dossier's for the dossiers
        service's acts; the verification or voting case's for theirs (`facts`: the dossier with its
        cases beside it, dossier.py `_facts`). None: nothing to compare (no case yet)."""
        if not self.versioned or facts is None:
            return None
        if self.service == "dossiers":
            return facts.get("stream_version")
        return ((facts.get(f"{self.service}_case") or {}).get("version")) or None

    def fields(self) -> Iterable[tuple[Field, Group | None]]:
        for part in self.parts:
            if isinstance(part, Group):
                for f in part.fields:
                    yield f, part
            else:
                yield part, None

    def row_groups(self, rows: str) -> list[Group]:
        """The groups of one list of rows, in order."""
        return [p for p in self.parts if isinstance(p, Group) and p.rows == rows]

    @property
    def lists(self) -> list[str]:
        """The names of the lists of rows of the form."""
        return list(dict.fromkeys(p.rows for p in self.parts if isinstance(p, Group) and p.rows))

    def field_named(self, name: str) -> Field | None:
        return next((f for f, _ in self.fields() if f.name == name), None)

    def field_for(self, path: str) -> Field | None:
        """The field an error names: its whole path, else the first field with that last segment."""
        return self.field_named(path) or next((f for f, _ in self.fields() if f.leaf == path.rsplit(".", 1)[-1]), None)


@dataclass
class FormState:
    """A form as shown: what is in each field, the messages, and the key of this rendering."""

    act: Act
    values: dict[str, str]
    key: str = field(default_factory=lambda: str(uuid.uuid4()))
    field_errors: dict[str, str] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)
    """Messages not about one field (a rule, the step, a refusal), shown at the top."""
    rule: str | None = None
    expected_version: int | None = None
    dossier_version: int | None = None
    """The dossier's version when the form was shown: an act the dossier follows (`Act.follows`)
    is shown once the dossier has moved past it, also when the form is sent twice."""
    offers: dict[str, Offer] = field(default_factory=dict)
    """What was filled for this person and dossier, by field name (`Field.options`)."""
    rows: dict[str, int] = field(default_factory=dict)
    """How many rows of each list (`Group.rows`) are shown: those filled, and one more per "Thêm"."""

    def row_shown(self, group: Group) -> bool:
        if not group.rows:
            return True
        return self.act.row_groups(group.rows).index(group) < self.rows.get(group.rows, 1)

    def adds_after(self, group: Group) -> str:
        """The "Thêm" button's words after this group when it is its list's last row shown and
        another may be added; "" otherwise."""
        if not group.rows:
            return ""
        rows = self.act.row_groups(group.rows)
        shown = self.rows.get(group.rows, 1)
        if rows.index(group) != shown - 1 or shown >= len(rows):
            return ""
        return rows[0].add or "Thêm"

    def add_row(self, rows: str) -> None:
        self.rows[rows] = min(self.rows.get(rows, 1) + 1, len(self.act.row_groups(rows)))

    def _count_rows(self, typed_rows: Mapping[str, Any] | None = None) -> None:
        """At least the rows that hold something, and as many as were shown (`so_hang.<list>`)."""
        for rows in self.act.lists:
            groups = self.act.row_groups(rows)
            filled = [n for n, g in enumerate(groups) if any(self.values.get(f.name) for f in g.fields if f.kind != "kept")]
            shown = _version((typed_rows or {}).get(f"{ROWS_FIELD}.{rows}")) or 1
            self.rows[rows] = min(max(shown, filled[-1] + 1 if filled else 1), len(groups))

    def choices(self, f: Field) -> Mapping[str, str]:
        offer = self.offers.get(f.name)
        return offer.choices if offer is not None else f.choices

    def offer(self, f: Field) -> Offer:
        return self.offers.get(f.name) or Offer(f.choices)

    def shown(self, f: Field) -> bool:
        """A vote's ballots are shown only when the body has voters to list."""
        return f.kind != "ballots" or bool(self.choices(f))

    def ballot(self, f: Field, citizen_id: str) -> str:
        return self.values.get(f"{f.name}.{citizen_id}", "")

    @property
    def ballot_choices(self) -> Mapping[str, str]:
        return BALLOT_CHOICES

    def count(self, f: Field, choice: str) -> int:
        """How many voters of a `ballots` field chose `choice`."""
        return sum(1 for v in self.choices(f) if self.ballot(f, v) == choice)

    def answers(self) -> list[tuple[str, str]]:
        """What was typed, as "check your answers" lists it: (label, the value in words)."""
        lines = []
        for f, group in self.act.fields():
            if f.kind in ("fixed", "kept") or not self.shown(f):
                continue
            label = f"{group.legend}: {f.label}" if group is not None and group.legend not in f.label else f.label
            if f.kind == "ballots":
                lines.append((label, "; ".join(f"{words}: {self.count(f, c)}" for c, words in BALLOT_CHOICES.items())))
            elif f.kind == "yes_no":
                lines.append((label, "Có" if self.values.get(f.name) == "yes" else "Không"))
            elif f.kind == "choice":
                lines.append((label, self.choices(f).get(self.values.get(f.name, ""), "")))
            elif self.values.get(f.name):
                lines.append((label, self.values[f.name]))
        return lines

    def hidden(self) -> list[tuple[str, str]]:
        """Every typed value, to carry through "check your answers" unchanged."""
        return [(name, value) for name, value in self.values.items() if value]

    @property
    def has_errors(self) -> bool:
        return bool(self.field_errors or self.summary)

    def error_list(self) -> list[tuple[str | None, str]]:
        """The error summary's lines: (the field's html id to link to, or None; the message)."""
        lines: list[tuple[str | None, str]] = [(None, m) for m in self.summary]
        for f, _ in self.act.fields():
            if f.name in self.field_errors:
                lines.append((f.html_id, self.field_errors[f.name]))
        return lines


ROWS_FIELD = "so_hang"
"""The hidden fields `so_hang.<list>`: how many rows of a list the form showed."""
ADD_FIELD = "them"
"""The "Thêm" button's field: the list to show one more row of (nothing is sent)."""


def blank(
    act: Act, today: date, expected_version: int | None = None, offers: Mapping[str, Offer] | None = None, dossier_version: int | None = None,
    values: Mapping[str, str] | None = None,
) -> FormState:
    """A form as first shown; `values`: what it starts from (a correction: the history as it stands)."""
    offers = dict(offers or {})
    shown = {f.name: shown_date(today) if f.today_by_default else "" for f, _ in act.fields()}
    shown.update({name: offer.preselect for name, offer in offers.items() if offer.preselect})
    state = FormState(
        act, {**shown, **act.defaults, **(values or {})}, expected_version=expected_version, offers=offers, dossier_version=dossier_version,
    )
    state._count_rows()
    return state


# --- reading what was typed ----------------------------------------------------------------------------


def read(act: Act, form: Mapping[str, Any], offers: Mapping[str, Offer] | None = None) -> tuple[FormState, dict[str, Any]]:
    """What was typed, kept as typed, and the command's body built from it; the state carries a
    message per field that could not be read."""
    state = FormState(act, {}, key=_key(form.get("idempotency_key")), offers=dict(offers or {}))
    state.expected_version, state.dossier_version = (_version(form.get(name)) for name in ("expected_version", "dossier_version"))
    body: dict[str, Any] = {}
    for part in act.parts:
        fields = part.fields if isinstance(part, Group) else (part,)
        for f in fields:
            if f.kind == "ballots":
                _read_ballots(state, body, f, form)
        fields = tuple(f for f in fields if f.kind != "ballots")
        typed = {f.name: _typed(f, form) for f in fields}
        state.values.update(typed)
        if isinstance(part, Group) and part.optional and not any(typed[f.name] for f in fields if f.kind != "kept"):
            continue  # what a group only carries along (`kept`) does not make it filled
        for f in fields:
            value, problem = _value(f, typed[f.name], state.choices(f))
            if problem:
                state.field_errors[f.name] = problem
            elif value is not None:
                _put(body, f.name, value)
    state._count_rows(form)
    return state, _lists(body)


def _read_ballots(state: FormState, body: dict[str, Any], f: Field, form: Mapping[str, Any]) -> None:
    """One choice per voter listed; those absent are not sent (only members present vote)."""
    voters = state.choices(f)
    if not voters:
        return
    ballots, unanswered = [], 0
    for citizen_id in voters:
        typed = str(form.get(f"{f.name}.{citizen_id}") or "")
        typed = typed if typed in BALLOT_CHOICES else ""
        state.values[f"{f.name}.{citizen_id}"] = typed
        if not typed:
            unanswered += 1
        elif typed != "absent":
            ballots.append({"citizen_id": citizen_id, "choice": typed})
    if unanswered:
        state.field_errors[f.name] = f"Hãy ghi biểu quyết của cả {unanswered} đảng viên còn trống (chọn «Vắng mặt» nếu không dự họp)."
    else:
        body[f.name] = ballots


def _version(value: Any) -> int | None:
    return int(value) if str(value or "").isdigit() else None


def _key(value: Any) -> str:
    """The form's idempotency key as rendered (a UUID); anything else gets a fresh one."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return str(uuid.uuid4())


def _typed(f: Field, form: Mapping[str, Any]) -> str:
    if f.kind == "fixed":
        return ""  # not typed: an optional group of only fixed values is empty
    if f.kind == "yes_no":
        return "yes" if form.get(f.name) in ("yes", "on", "true") else ""
    return str(form.get(f.name) or "").strip()


def _value(f: Field, typed: str, choices: Mapping[str, str]) -> tuple[Any, str | None]:
    if f.kind == "fixed":
        return f.fixed, None
    if f.kind == "yes_no":
        return typed == "yes", None
    if not typed:
        if f.required:
            return None, (f"Hãy chọn {f.label.lower()}." if f.kind == "choice" else f"Hãy nhập {f.label.lower()}.")
        return None, None
    if f.kind == "date":
        try:
            return typed_date(typed).isoformat(), None
        except NotADate as error:
            return None, f"{f.label}: {error}"
    if f.kind == "citizen_id":
        digits = typed.replace(" ", "").replace(".", "")
        return (digits, None) if re.fullmatch(r"\d{12}", digits) else (None, f"{f.label} gồm đúng 12 chữ số.")
    if f.kind == "number":
        digits = typed.replace(".", "").replace(" ", "")
        return (int(digits), None) if re.fullmatch(r"-?\d{1,9}", digits) else (None, f"{f.label} phải là một số nguyên.")
    if f.kind == "choice" and typed not in choices:
        return None, f"Hãy chọn {f.label.lower()} trong danh sách."
    return typed, None


def _put(body: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = body
    for name in parents:
        node = node.setdefault(name, {})
    node[leaf] = value


def _lists(node: Any) -> Any:
    """Objects whose keys are all numbers become lists, in that order."""
    if not isinstance(node, dict):
        return node
    converted = {k: _lists(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


# --- showing the answer where it happened ----------------------------------------------------------------

_PROBLEMS = {
    "missing": "Hãy nhập {label}.",
    "string_too_short": "Hãy nhập {label}.",
    "string_too_long": "{Label} quá dài.",
    "string_pattern_mismatch": "{Label} không đúng dạng.",
    "enum": "Hãy chọn {label} trong danh sách.",
    "literal_error": "Hãy chọn {label} trong danh sách.",
    "int_parsing": "{Label} phải là một số nguyên.",
    "int_type": "{Label} phải là một số nguyên.",
    "greater_than_equal": "{Label} nhỏ hơn mức cho phép.",
    "less_than_equal": "{Label} lớn hơn mức cho phép.",
    "too_long": "{Label}: quá nhiều mục.",
    "too_short": "{Label}: cần ít nhất một mục.",
}


def problem_message(f: Field | None, problem: Mapping[str, Any]) -> str:
    """A validation problem (pydantic's type and message) in Vietnamese, naming the field by its label."""
    kind, detail = str(problem.get("problem") or ""), str(problem.get("detail") or "")
    if kind == "value_error" and detail:
        return detail.removeprefix("Value error, ").rstrip(".") + "."
    label = f.label if f else "Một trường"
    template = _PROBLEMS.get(kind, "{Label} chưa hợp lệ.")
    return template.format(label=label.lower(), Label=label)


def refused(state: FormState, error: ErrorBody, steps: Mapping[str, str] | None = None) -> FormState:
    """Put a refusal on the form: beside the field it names, else at the top. A rule's refusal
    names its code and, when the rule is about an earlier step, that step (`steps`: rule -> words)."""
    act = state.act
    details = error.details or {}
    if error.code == "validation":
        for problem in details.get("problems") or []:
            target = act.field_for(str(problem.get("field") or ""))
            message = problem_message(target, problem)
            if target is not None:
                state.field_errors.setdefault(target.name, message)
            else:
                state.summary.append(message)
        named = act.field_for(str(details["field"])) if isinstance(details.get("field"), str) else None
        if named is not None:
            state.field_errors.setdefault(named.name, error.message)
        elif not details.get("problems"):
            state.summary.append(error.message)
        return state
    if error.code.startswith("rule:") or (error.code == "conflict" and isinstance(details.get("rule"), str)):
        code = error.code.removeprefix("rule:") if error.code.startswith("rule:") else str(details["rule"])  # a rule's conflict (ONE_DOSSIER)
        state.rule = code
        message = _without_code(error.message, code) or rule_message(code)
        where = (steps or {}).get(code)
        state.summary.append(f"{message} (quy định {code}{', bước ' + where if where else ''}).")
        if code in act.rule_fields:
            state.field_errors.setdefault(act.rule_fields[code], f"{message} (quy định {code}).")
        for other in details.get("violations") or []:
            if other.get("rule") != code:
                state.summary.append(f"{other.get('message') or rule_message(other.get('rule'))} (quy định {other.get('rule')}).")
        return state
    state.summary.append(error.message)
    return state


def _without_code(message: str, code: str) -> str:
    return re.sub(rf"^\[{re.escape(code)}\]\s*", "", message or "").strip()


def error_of(failure: DomainError | Mapping[str, Any]) -> ErrorBody:
    """A refusal as the API would answer it: raised before the request (`DomainError`) or in the reply."""
    if isinstance(failure, DomainError):
        return failure.body()
    return ErrorBody.model_validate(failure.get("error") or {"code": "internal", "message": "Lỗi hệ thống."})


def keeps_key(error: ErrorBody) -> bool:
    """After an answer that may not be the end of it (the service did not answer), the form keeps
    its key, so sending it again cannot do the act twice; after a refusal it gets a fresh one, so
    the corrected form is judged anew."""
    return error.code == Unavailable.code
