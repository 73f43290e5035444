"""The admission rules as pure functions (quy định về kết nạp đảng viên): each takes the facts and a
`RuleSet`, and returns None when satisfied or a `Violation` carrying its stable `RuleCode`.

Modules: `codes` (codes, messages, `Violation`), `rule_sets` (versions by effective date),
`thresholds` (2/3 votes), `ages`, `validity` (papers' validity), `deadlines` (working-day and
month deadlines, party age).
"""

from ketnap.domain.rules.codes import MESSAGES, RuleCode, Violation
from ketnap.domain.rules.rule_sets import (
    RULE_SETS,
    NoRuleSetInForce,
    RuleSet,
    check_rule_set_covers,
    recorded_rule_set,
    rule_set_by_id,
    rule_set_on,
)

__all__ = [
    "MESSAGES",
    "RULE_SETS",
    "NoRuleSetInForce",
    "RuleCode",
    "RuleSet",
    "Violation",
    "check_rule_set_covers",
    "recorded_rule_set",
    "rule_set_by_id",
    "rule_set_on",
]
