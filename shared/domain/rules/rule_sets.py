"""The versions of the admission rules (bộ quy định) and the date each came into force.

Rules change about once a year. Every check takes the `RuleSet` in force on the date that
matters to it and every decision records ``rule_set.id``, so a dossier judged under an older set
stays valid and can be re-checked exactly as it was. A new version is added to `RULE_SETS`;
an existing one is never edited once decisions have recorded its id.

Dates and parameters tagged [S]/[U] in domain.md are from secondary sources: they live here, in
one place, so that correcting them is a data change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from fractions import Fraction

from ketnap.domain.rules.codes import RuleCode, Violation
from ketnap.platform.vietnamese import vn_date


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The parameters of the admission rules that have changed or may change between versions."""

    id: str
    effective_from: date
    basis: str
    """The documents the version follows, for people reading a decision."""

    has_district_level: bool
    """Whether district committees (huyện ủy, quận ủy) exist between grassroots and province."""
    family_planning_check: bool
    """Whether verification asks about population / family-planning violations [S]."""

    lower_secondary_or_equivalent: bool = True
    """EDU_MIN: whether a diploma equivalent to lower secondary (tương đương) is enough; Quy định
    29-QĐ/TW (2016) added "hoặc tương đương", Quy định 45-QĐ/TW (2011) asked for the diploma itself."""
    note: str = ""
    """What of the text is not known and taken from the later rule set (domain.md: keep the later
    rule and say so), in English, for the docs and for people re-checking an old decision."""

    min_age_years: int = 18
    max_age_years: int = 60
    """Above this, admission needs the provincial standing committee's written agreement."""
    youth_union_min_age: int = 16
    youth_union_max_age: int = 30
    """Inclusive range, in completed years, of youth-union age [U]."""
    class_validity_months: int = 60
    """The awareness-class certificate is valid this long, to the cell meeting [S]."""
    dossier_validity_months: int = 12
    """Older dossiers need renewed introductions [S]."""
    introducer_acquaintance_months: int = 12
    adoption_share: Fraction = Fraction(2, 3)
    """Share of the denominator that must agree for a cell or committee resolution."""
    cell_min_official_members: int = 3
    decision_due_working_days: int = 60
    decision_extension_max_working_days: int = 30
    ceremony_due_working_days: int = 30
    member_history_due_working_days: int = 30
    recognition_vote_due_working_days: int = 30
    recognition_decision_due_working_days: int = 30
    recognition_max_failed_votes: int = 3
    readmit_min_months_out: int = 36
    readmit_months_after_conviction_cleared: int = 60


RULES_2021 = RuleSet(
    id="2021",
    # The date Quy định 24-QĐ/TW was signed (in force on signing).
    effective_from=date(2021, 7, 30),
    basis="Quy định 24-QĐ/TW ngày 30/7/2021; Hướng dẫn 01-HD/TW ngày 28/9/2021",
    has_district_level=True,
    family_planning_check=True,
)

_OLDER_TEXT_NOTE = (
    "Thresholds (age 18-60 counted in months, 2/3 of official members and of committee members, 12 months of "
    "probation, 60/30 working-day deadlines with one extension of at most 30, 60-month class validity, 12-month "
    "dossier validity, 3 failed recognition votes, re-admission periods) and the youth-union age range are not "
    "known to differ from Quy định 24-QĐ/TW and are kept from it; so is the family-planning check."
)

RULES_2011 = replace(
    RULES_2021,
    id="2011",
    # Quy định 45-QĐ/TW ngày 01/11/2011 thi hành Điều lệ Đảng (Charter of the XIth Congress), in force on signing.
    effective_from=date(2011, 11, 1),
    basis="Quy định 45-QĐ/TW ngày 01/11/2011; Hướng dẫn 01-HD/TW ngày 05/01/2012",
    lower_secondary_or_equivalent=False,
    note=(
        "Education: a lower-secondary diploma, without \"or equivalent\" [S]. Between 01/11/2011 and the guidance "
        "of 05/01/2012 the guidance's details (forms, deadlines) are taken as in force from the Quy định's date. "
        + _OLDER_TEXT_NOTE
    ),
)

RULES_2016 = replace(
    RULES_2011,
    id="2016",
    # Quy định 29-QĐ/TW ngày 25/07/2016, in force on signing; "tốt nghiệp trung học cơ sở hoặc tương đương trở lên" [V].
    effective_from=date(2016, 7, 25),
    basis="Quy định 29-QĐ/TW ngày 25/7/2016; Hướng dẫn 01-HD/TW ngày 20/9/2016",
    lower_secondary_or_equivalent=True,
    note=(
        "Education: a lower-secondary diploma or equivalent [V]. Age 18 to 60 at the cell meeting [V]. "
        "Between 25/07/2016 and the guidance of 20/09/2016 the guidance's details are taken as in force from the "
        "Quy định's date. " + _OLDER_TEXT_NOTE
    ),
)

RULES_2025_01 = replace(
    RULES_2021,
    id="2025-01",
    # Quy định 232-QĐ/TW, in force on signing.
    effective_from=date(2025, 1, 20),
    basis="Quy định 232-QĐ/TW ngày 20/01/2025",
)

RULES_2025_03 = replace(
    RULES_2025_01,
    id="2025-03",
    # domain.md: the family-planning check is off "for decisions after 20/03/2025" [S]
    # (Hướng dẫn 15-HD/UBKTTW is dated 20/03/2025); the day after is taken literally.
    effective_from=date(2025, 3, 21),
    basis="Quy định 232-QĐ/TW ngày 20/01/2025; Hướng dẫn 15-HD/UBKTTW ngày 20/03/2025",
    family_planning_check=False,
)

RULES_2025_07 = replace(
    RULES_2025_03,
    id="2025-07",
    # Two-level local government: district committees are gone from this day.
    effective_from=date(2025, 7, 1),
    basis=(
        "Quy định 232-QĐ/TW ngày 20/01/2025; Hướng dẫn 15-HD/UBKTTW ngày 20/03/2025; "
        "tổ chức chính quyền địa phương hai cấp từ 01/07/2025"
    ),
    has_district_level=False,
)

RULE_SETS: tuple[RuleSet, ...] = (RULES_2011, RULES_2016, RULES_2021, RULES_2025_01, RULES_2025_03, RULES_2025_07)
"""Every version, oldest first."""


class NoRuleSetInForce(LookupError):
    """A date before the oldest version of the rules this system knows. ``violation`` is the refusal
    every step gives for it (NO_RULE_SET), so that no step accepts a date a later step cannot judge."""

    def __init__(self, on: date) -> None:
        super().__init__(f"no admission rules known in force on {on.isoformat()}")
        self.on = on
        self.violation = Violation.of(
            RuleCode.NO_RULE_SET,
            f"Ngày {vn_date(on)}: {RuleCode.NO_RULE_SET.message}",
            on=on,
            earliest=RULE_SETS[0].effective_from,
        )


def check_rule_set_covers(d: date, rule_sets: Sequence[RuleSet] = RULE_SETS) -> Violation | None:
    """NO_RULE_SET — every date of an act (a step of a dossier, a vote, a decision, a verification)
    falls under a known rule set; an earlier date is refused at the step that brings it."""
    try:
        rule_set_on(d, rule_sets)
    except NoRuleSetInForce as error:
        return error.violation
    return None


def rule_set_on(d: date, rule_sets: Sequence[RuleSet] = RULE_SETS) -> RuleSet:
    """The version in force on ``d``: the latest one whose ``effective_from`` is on or before it.

    Raises `NoRuleSetInForce` for a date before the oldest version rather than judging it under
    rules that did not exist yet.
    """
    in_force = [rules for rules in rule_sets if rules.effective_from <= d]
    if not in_force:
        raise NoRuleSetInForce(d)
    return max(in_force, key=lambda rules: rules.effective_from)


def recorded_rule_set(rule_set_id: str | None, on: date, rule_sets: Sequence[RuleSet] = RULE_SETS) -> RuleSet:
    """The version a step or decision recorded, to judge what follows from it as it was judged. An id
    this code does not know (recorded by a newer release of another service) or none: the version in
    force on `on`; a day before every version: the oldest. For what is already recorded; a new act
    is refused on such a day instead (`check_rule_set_covers`)."""
    if rule_set_id:
        try:
            return rule_set_by_id(rule_set_id, rule_sets)
        except KeyError:
            pass
    try:
        return rule_set_on(on, rule_sets)
    except NoRuleSetInForce:
        return rule_sets[0]


def rule_set_by_id(rule_set_id: str, rule_sets: Sequence[RuleSet] = RULE_SETS) -> RuleSet:
    """The version a decision recorded, to re-check it as it was judged. KeyError if unknown."""
    for rules in rule_sets:
        if rules.id == rule_set_id:
            return rules
    raise KeyError(rule_set_id)
