"""The admission rules only a dossier can judge (domain.md §4), as pure functions over plain facts.

Each returns None when satisfied or a `ketnap.domain.rules.Violation` with its code and Vietnamese message;
the aggregate decides whether that refuses a command or flags the dossier. The rules shared with
other services (ages, papers' validity, deadlines) live in `ketnap.domain.rules` and are only composed
here, in `eligibility_for_cell_vote`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from ketnap.domain.calendar import age_in_months
from ketnap.domain.rules import RuleCode, RuleSet, Violation
from ketnap.domain.rules.ages import check_maximum_age, check_minimum_age, check_youth_union_membership
from ketnap.domain.rules.readmission import LeftFor, check_readmission_timing
from ketnap.domain.rules.validity import check_class_certificate_validity, check_introductions_current
from ketnap.services.dossiers.values import GeneralEducation


def check_source_helper(helper_citizen_id: str, applicant_citizen_id: str, *, helper_is_official: bool) -> Violation | None:
    """SOURCE_HELPER — danh sách cảm tình Đảng: the assigned helper (đảng viên giúp đỡ) is an
    official member of the applicant's cell on the day the person is put on the list."""
    if helper_citizen_id == applicant_citizen_id:
        return Violation.of(RuleCode.SOURCE_HELPER, "Người giúp đỡ không thể là chính người vào Đảng", reason="self")
    if helper_is_official:
        return None
    return Violation.of(RuleCode.SOURCE_HELPER, reason="not_official_member_of_cell")


# --- education ------------------------------------------------------------------------------------


def check_education_minimum(general_education: GeneralEducation, *, area_exemption: str | None, rules: RuleSet) -> Violation | None:
    """EDU_MIN — trình độ học vấn: a lower-secondary diploma (tốt nghiệp trung học cơ sở), or since
    Quy định 29-QĐ/TW (2016) an equivalent one (hoặc tương đương), unless the applicant lives in an area
    with its own education condition (then EDU_AREA applies)."""
    if area_exemption is not None or general_education.rank >= GeneralEducation.LOWER_SECONDARY.rank:
        return None
    if general_education is GeneralEducation.LOWER_SECONDARY_EQUIVALENT and rules.lower_secondary_or_equivalent:
        return None
    return Violation.of(RuleCode.EDU_MIN, general_education=general_education.value, rule_set=rules.id)


def check_area_education(
    general_education: GeneralEducation,
    *,
    area_exemption: str | None,
    village_elder_or_head: bool,
    literacy_agreement_on: date | None,
    judged_on: date,
) -> Violation | None:
    """EDU_AREA — vùng cao, biên giới, hải đảo, dân tộc thiểu số, đặc biệt khó khăn, ngư dân bám
    biển: primary school completed is enough; reading and writing only is enough for a village elder
    or head (già làng, trưởng bản) with the provincial standing committee's written agreement dated
    no later than ``judged_on``."""
    if area_exemption is None or general_education.rank >= GeneralEducation.PRIMARY.rank:
        return None
    if general_education is GeneralEducation.LITERATE and village_elder_or_head:
        if literacy_agreement_on is not None and literacy_agreement_on <= judged_on:
            return None
        return Violation.of(RuleCode.EDU_AREA, area=area_exemption, reason="provincial_agreement_missing")
    return Violation.of(RuleCode.EDU_AREA, area=area_exemption, general_education=general_education.value)


# --- introductions ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IntroducerStanding:
    """One introducer, as declared in the dossier and as the registry answered for them."""

    citizen_id: str
    introduced_on: date
    acquainted_since: date
    replacement: bool
    official_on_date: bool
    """The registry: an official member (đảng viên chính thức) of their organisation on `introduced_on`."""
    in_unit_since: date | None
    """The registry: since when they have been in that unit without a break, None if not there."""


def check_introducer_set(introducer_ids: Sequence[str], *, has_union_resolution: bool, applicant_citizen_id: str) -> Violation | None:
    """INTRO_SET — two official members, or one official member and the youth-union or
    trade-union executive committee's resolution (nghị quyết giới thiệu đoàn viên / công đoàn viên)."""
    if len(set(introducer_ids)) != len(introducer_ids):
        return Violation.of(RuleCode.INTRO_SET, "Một người không thể giới thiệu hai lần", reason="duplicate_introducer")
    if applicant_citizen_id in introducer_ids:
        return Violation.of(RuleCode.INTRO_SET, "Người vào Đảng không thể tự giới thiệu", reason="self_introduction")
    if len(introducer_ids) == 2 or (len(introducer_ids) == 1 and has_union_resolution):
        return None
    return Violation.of(
        RuleCode.INTRO_SET, introducers=len(introducer_ids), union_resolution=has_union_resolution
    )


def check_introducers_official(standings: Sequence[IntroducerStanding]) -> Violation | None:
    """INTRO_OFFICIAL — each introducer is an official member on the date of their introduction
    (giấy giới thiệu); a probationary member cannot introduce."""
    failing = [i for i, s in enumerate(standings, start=1) if not s.official_on_date]
    if not failing:
        return None
    return Violation.of(RuleCode.INTRO_OFFICIAL, introducers=tuple(failing))


def check_introducers_acquainted(standings: Sequence[IntroducerStanding], *, rules: RuleSet) -> Violation | None:
    """INTRO_12M — each introducer has worked, studied or lived with the applicant in the same unit
    for at least 12 months on the date of the introduction: counted from the later of the declared
    acquaintance and the introducer's arrival in the unit (the registry's tenure), the anniversary
    itself counting. A replacement introducer is exempt."""
    required = rules.introducer_acquaintance_months
    failing = []
    for position, standing in enumerate(standings, start=1):
        if standing.replacement:
            continue
        if standing.in_unit_since is None:
            failing.append(position)
            continue
        since = max(standing.acquainted_since, standing.in_unit_since)
        if age_in_months(since, standing.introduced_on) < required:
            failing.append(position)
    if not failing:
        return None
    return Violation.of(RuleCode.INTRO_12M, introducers=tuple(failing), required_months=required)


# --- verification as the dossier sees it ------------------------------------------------------------


def check_history_certified(certified_on: date | None, cell_meeting_on: date) -> Violation | None:
    """HISTORY_CERTIFIED — the cell may consider the applicant only once the grassroots committee has
    certified the personal history, on or before the meeting date."""
    if certified_on is not None and certified_on <= cell_meeting_on:
        return None
    return Violation.of(
        RuleCode.HISTORY_CERTIFIED, reason="not_certified" if certified_on is None else "certified_after_meeting"
    )


def check_verification_complete(
    *, open_blocks: Collection[str], certified: bool, certification_covers_latest_declaration: bool
) -> Violation | None:
    """VERIFY_COMPLETE — as seen from the dossier: no subject's disqualifying finding is still
    waiting for the competent committee, and the certification covers the history as last
    corrected (a correction after it is not verified)."""
    if open_blocks:
        return Violation.of(
            RuleCode.VERIFY_COMPLETE,
            "Có kết quả thẩm tra không đạt đang chờ cấp ủy có thẩm quyền quyết định",
            reason="blocked",
            subjects=len(open_blocks),
        )
    if certified and not certification_covers_latest_declaration:
        return Violation.of(
            RuleCode.VERIFY_COMPLETE,
            "Lý lịch đã được đính chính sau khi chứng nhận; phải thẩm tra và chứng nhận lại",
            reason="corrected_after_certification",
        )
    return None


# --- eligibility at the cell meeting ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EligibilityFacts:
    """What the cell-vote rules read from a dossier; plain values, so the rules stay pure."""

    birth_date: date
    general_education: GeneralEducation
    area_exemption: str | None
    village_elder_or_head: bool
    youth_union_member: bool
    youth_union_exists: bool
    opened_on: date
    class_certificate_issued_on: date
    introductions_dated: tuple[date, ...]
    over_60_agreement_on: date | None
    literacy_agreement_on: date | None
    certified_on: date | None
    open_blocks: frozenset[str]
    certification_covers_latest_declaration: bool
    readmission: Readmitted | None = None
    """A former member admitted again (READMIT), with the provincial agreement recorded for it."""


@dataclass(frozen=True)
class Readmitted:
    left_on: date
    left_for: LeftFor
    conviction_cleared_on: date | None
    agreement_on: date | None


def eligibility_for_cell_vote(facts: EligibilityFacts, cell_meeting_on: date, *, rules: RuleSet, agreements_due_by: date) -> list[Violation]:
    """Every rule the cell meeting must satisfy, judged on the meeting date, in the order a user
    should fix them. Agreements of the provincial committee count when dated no later than
    ``agreements_due_by`` (the day the dossier goes to the vote: the last moment the dossier can
    still guarantee "before the decision")."""
    found = [
        check_history_certified(facts.certified_on, cell_meeting_on),
        check_verification_complete(
            open_blocks=facts.open_blocks,
            certified=facts.certified_on is not None,
            certification_covers_latest_declaration=facts.certification_covers_latest_declaration,
        ),
        check_minimum_age(facts.birth_date, cell_meeting_on, rules=rules),
        check_maximum_age(
            facts.birth_date,
            cell_meeting_on,
            rules=rules,
            decision_on=agreements_due_by,
            provincial_agreement_on=facts.over_60_agreement_on,
        ),
        check_education_minimum(facts.general_education, area_exemption=facts.area_exemption, rules=rules),
        check_area_education(
            facts.general_education,
            area_exemption=facts.area_exemption,
            village_elder_or_head=facts.village_elder_or_head,
            literacy_agreement_on=facts.literacy_agreement_on,
            judged_on=agreements_due_by,
        ),
        check_youth_union_membership(
            facts.birth_date,
            cell_meeting_on,
            rules=rules,
            is_union_member=facts.youth_union_member,
            union_exists=facts.youth_union_exists,
        ),
        check_class_certificate_validity(facts.class_certificate_issued_on, cell_meeting_on, rules=rules),
        check_introductions_current(
            facts.opened_on, cell_meeting_on, rules=rules, introductions_dated=facts.introductions_dated
        ),
    ]
    if facts.readmission is not None:
        r = facts.readmission
        found.append(check_readmission_timing(
            r.left_on, r.left_for, cell_meeting_on,
            conviction_cleared_on=r.conviction_cleared_on, provincial_agreement_on=r.agreement_on, agreements_due_by=agreements_due_by,
        ))
    return [v for v in found if v is not None]


def cell_vote_rules(readmission: bool) -> tuple[RuleCode, ...]:
    """The codes checked for this dossier's cell vote: READMIT only for a re-admission."""
    return (*CELL_VOTE_RULES, RuleCode.READMIT) if readmission else CELL_VOTE_RULES


CELL_VOTE_RULES: tuple[RuleCode, ...] = (
    RuleCode.HISTORY_CERTIFIED,
    RuleCode.VERIFY_COMPLETE,
    RuleCode.AGE_MIN,
    RuleCode.AGE_MAX,
    RuleCode.EDU_MIN,
    RuleCode.EDU_AREA,
    RuleCode.YOUTH_UNION,
    RuleCode.CLASS_VALID,
    RuleCode.DOC_12M,
)
"""The codes `eligibility_for_cell_vote` checks, recorded with the decision."""

INTRODUCTION_RULES: tuple[RuleCode, ...] = (RuleCode.INTRO_SET, RuleCode.INTRO_OFFICIAL, RuleCode.INTRO_12M)


# --- ceremony and recognition -------------------------------------------------------------------------


def check_ceremony_helper(helper_citizen_id: str | None, applicant_citizen_id: str, *, helper_is_official: bool) -> Violation | None:
    """CEREMONY_HELPER — at the ceremony the cell assigns an official member of the cell to help
    the probationary member (phân công đảng viên chính thức giúp đỡ)."""
    if helper_citizen_id is None:
        return Violation.of(RuleCode.CEREMONY_HELPER, reason="missing")
    if helper_citizen_id == applicant_citizen_id:
        return Violation.of(RuleCode.CEREMONY_HELPER, "Người giúp đỡ không thể là chính đảng viên dự bị", reason="self")
    if not helper_is_official:
        return Violation.of(RuleCode.CEREMONY_HELPER, reason="not_official_member_of_cell")
    return None


def check_recognition_papers(
    *,
    self_review_on: date | None,
    helper_review_on: date | None,
    opinions_on: date | None,
    new_member_class_on: date | None,
) -> Violation | None:
    """RECOG_DOCS — the recognition vote needs the self-review (10-KNĐ), the helper's review
    (11-KNĐ), the opinions of the mass organisations and the residence cell (12-KNĐ) and the
    new-member class certificate."""
    missing = tuple(
        name
        for name, value in (
            ("self_review", self_review_on),
            ("helper_review", helper_review_on),
            ("opinions", opinions_on),
            ("new_member_class_certificate", new_member_class_on),
        )
        if value is None
    )
    if not missing:
        return None
    return Violation.of(RuleCode.RECOG_DOCS, missing=missing)
