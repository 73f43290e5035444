"""Who must be verified for a declared personal history (đối tượng thẩm tra, xác minh lý lịch), and how.

domain.md §3: the applicant; the birth father and mother; the parents-in-law or the person who
raised the applicant (người trực tiếp nuôi dưỡng); the spouse; the biological children with full
civil capacity (con đẻ có năng lực hành vi dân sự đầy đủ) [V]. Never grandparents or siblings.
A relative who is a party member and fully declared may be cross-checked against the member
file instead of a field check [S].

Special templates (mẫu thẩm tra riêng) add a subject of their own, answered on that template:
police officers, religious applicants, people married to foreigners, private business owners,
and, under rule sets with `family_planning_check`, family-planning cases [S]. Where a template
is configured to need a higher-level opinion (ý kiến cấp trên), that opinion is one more
subject: it too must have a reply before the history can be certified.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ketnap.domain.rules import RuleSet
from ketnap.services.verification.events import DeclaredRelative, PersonalHistoryDeclared, SubjectDetail, SubjectSpec

APPLICANT = "applicant"
"""The applicant's own subject id; relatives keep the ids the dossiers service gave them."""

PARENT_RELATIONS = frozenset({"father", "mother"})
IN_LAW_OR_RAISER_RELATIONS = frozenset({"father_in_law", "mother_in_law", "guardian"})
REQUIRED_RELATIONS = PARENT_RELATIONS | IN_LAW_OR_RAISER_RELATIONS | {"spouse", "child"}
"""Every other declared relation (grandparents, siblings, ...) is never a subject."""

NO_RELIGION = frozenset({"", "không", "không có", "không theo tôn giáo", "khong", "none", "no"})
"""How a declared history says "no religion"; anything else makes the applicant religious."""


@dataclass(frozen=True)
class TemplateRule:
    higher_level_opinion: bool = False
    """Whether a higher-level committee's opinion is also required (an extra subject) [U]."""


DEFAULT_TEMPLATE_RULES: Mapping[str, TemplateRule] = MappingProxyType(
    {
        "police": TemplateRule(),
        "religious": TemplateRule(),
        # [U] secondary sources ask the committee above for an opinion on a marriage to a
        # foreigner; unverified, hence configurable (build_service(template_rules=...)).
        "married_to_foreigner": TemplateRule(higher_level_opinion=True),
        "private_business_owner": TemplateRule(),
        "family_planning": TemplateRule(),
    }
)

OPINION_SUFFIX = "opinion"


class HistoryNotVerifiable(ValueError):
    """A declared history this service cannot open a case for (e.g. two relatives with one id)."""


def is_required(relative: DeclaredRelative) -> bool:
    """Whether a declared relative is a subject: a required relation, and a child only when an
    adult with full civil capacity."""
    if relative.relation not in REQUIRED_RELATIONS:
        return False
    if relative.relation == "child":
        return relative.adult_with_full_capacity is True
    return True


def may_use_member_record(relative: DeclaredRelative) -> bool:
    """A party member who declared their history fully may be cross-checked against the member file."""
    return relative.is_party_member and relative.fully_declared and bool(relative.member_citizen_id)


def is_religious(religion: str | None) -> bool:
    return " ".join((religion or "").split()).casefold() not in NO_RELIGION


def special_templates(history: PersonalHistoryDeclared, rules: RuleSet) -> list[tuple[str, str, str]]:
    """(person's subject id, relation, template) for each special template the history calls for."""
    applicant = history.applicant
    found: list[tuple[str, str, str]] = []
    if applicant.police_officer:
        found.append((APPLICANT, "applicant", "police"))
    if is_religious(applicant.religion):
        found.append((APPLICANT, "applicant", "religious"))
    if applicant.private_business_owner:
        found.append((APPLICANT, "applicant", "private_business_owner"))
    if history.family_planning_case and rules.family_planning_check:
        found.append((APPLICANT, "applicant", "family_planning"))
    for relative in history.relatives:
        if relative.relation == "spouse" and relative.foreign_national:
            found.append((relative.subject_id, "spouse", "married_to_foreigner"))
    return found


def required_subjects(
    history: PersonalHistoryDeclared,
    rules: RuleSet,
    template_rules: Mapping[str, TemplateRule] = DEFAULT_TEMPLATE_RULES,
) -> list[SubjectSpec]:
    """The subjects of the case, in a stable order: the applicant, the required relatives as
    declared, then one subject per special template (and its higher-level opinion if configured)."""
    ids = [r.subject_id for r in history.relatives]
    if len(set(ids)) != len(ids):
        raise HistoryNotVerifiable("two declared relatives share one subject_id")
    if APPLICANT in ids or any(":" in i for i in ids):
        raise HistoryNotVerifiable(f"a relative's subject_id may not be {APPLICANT!r} nor contain ':'")
    subjects = [SubjectSpec(subject_id=APPLICANT, relation="applicant", method="field", template="standard")]
    for relative in history.relatives:
        if is_required(relative):
            method = "member_record" if may_use_member_record(relative) else "field"
            subjects.append(
                SubjectSpec(subject_id=relative.subject_id, relation=relative.relation, method=method, template="standard")
            )
    for person, relation, template in special_templates(history, rules):
        subject_id = f"{person}:{template}"
        subjects.append(SubjectSpec(subject_id=subject_id, relation=relation, method="field", template=template))
        if template_rules.get(template, TemplateRule()).higher_level_opinion:
            subjects.append(
                SubjectSpec(
                    subject_id=f"{subject_id}:{OPINION_SUFFIX}", relation=relation, method="field", template=template
                )
            )
    return subjects


def subject_details(history: PersonalHistoryDeclared, subjects: list[SubjectSpec]) -> list[SubjectDetail]:
    """Where each relative subject is answered from, and a member's citizen id for the cross-check."""
    by_id = {r.subject_id: r for r in history.relatives}
    details = []
    for subject in subjects:
        relative = by_id.get(subject.subject_id)
        if relative is None:
            continue
        details.append(
            SubjectDetail(
                subject_id=subject.subject_id,
                responding_organisation=relative.responding_organisation,
                member_citizen_id=relative.member_citizen_id if subject.method == "member_record" else None,
            )
        )
    return details


def is_higher_level_opinion(subject_id: str) -> bool:
    return subject_id.endswith(f":{OPINION_SUFFIX}")
