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
    # The date Quy định 24-QĐ/TW was signed (in force on signing). Earlier dossiers followed
    # Quy định 29-QĐ/TW (2016), which is not modelled.
    effective_from=date(2021, 7, 30),
    basis="Quy định 24-QĐ/TW ngày 30/7/2021; Hướng dẫn 01-HD/TW ngày 28/9/2021",
    has_district_level=True,
    family_planning_check=True,
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

RULE_SETS: tuple[RuleSet, ...] = (RULES_2021, RULES_2025_01, RULES_2025_03, RULES_2025_07)
"""Every version, oldest first."""


class NoRuleSetInForce(LookupError):
    """A date before the oldest version of the rules this system knows."""


def rule_set_on(d: date, rule_sets: Sequence[RuleSet] = RULE_SETS) -> RuleSet:
    """The version in force on ``d``: the latest one whose ``effective_from`` is on or before it.

    Raises `NoRuleSetInForce` for a date before the oldest version rather than judging it under
    rules that did not exist yet.
    """
    in_force = [rules for rules in rule_sets if rules.effective_from <= d]
    if not in_force:
        raise NoRuleSetInForce(f"no admission rules known in force on {d.isoformat()}")
    return max(in_force, key=lambda rules: rules.effective_from)


def rule_set_by_id(rule_set_id: str, rule_sets: Sequence[RuleSet] = RULE_SETS) -> RuleSet:
    """The version a decision recorded, to re-check it as it was judged. KeyError if unknown."""
    for rules in rule_sets:
        if rules.id == rule_set_id:
            return rules
    raise KeyError(rule_set_id)
