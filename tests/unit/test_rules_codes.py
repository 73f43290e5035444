"""Rule codes, their Vietnamese messages and the Violation value (ketnap.domain.rules.codes)."""

from __future__ import annotations

import unicodedata

import pytest

from ketnap.domain.rules import MESSAGES, RuleCode, Violation

DOMAIN_CODES = """
AGE_MIN AGE_MAX EDU_MIN EDU_AREA CLASS_VALID INTRO_SET INTRO_OFFICIAL INTRO_12M YOUTH_UNION
DOC_12M HISTORY_CERTIFIED VERIFY_COMPLETE CELL_2_3 CELL_MIN3 ONE_BY_ONE COMMITTEE_2_3 AUTHORITY
DECISION_60WD CEREMONY_30WD CEREMONY_HELPER RECOG_EARLY RECOG_DOCS RECOG_30WD RECOG_3_FAILS
PROBATIONARY_NO_VOTE READMIT SOURCE_HELPER ONE_DOSSIER ALREADY_MEMBER NO_RULE_SET DISSOLVE_EMPTY
ORG_CODE_UNIQUE
""".split()  # noqa: SIM905 (the codes as domain.md lists them)


def test_every_code_of_domain_md_section_4_and_no_other() -> None:
    assert [code.value for code in RuleCode] == DOMAIN_CODES


def test_codes_are_strings_equal_to_their_names() -> None:
    for code in RuleCode:
        assert code == code.name
        assert RuleCode(code.name) is code


@pytest.mark.parametrize("code", list(RuleCode))
def test_every_code_has_a_vietnamese_message_in_nfc(code: RuleCode) -> None:
    assert code.message == MESSAGES[code]
    assert code.message.strip() == code.message != ""
    assert unicodedata.is_normalized("NFC", code.message)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (RuleCode.AGE_MIN, "Chưa đủ 18 tuổi tại thời điểm chi bộ xét"),
        (RuleCode.EDU_MIN, "Không đủ trình độ học vấn"),
        (RuleCode.CLASS_VALID, "Giấy chứng nhận hết hạn, phải học lại"),
    ],
)
def test_messages_given_in_domain_md_are_used_verbatim(code: RuleCode, message: str) -> None:
    assert code.message == message


def test_a_violation_carries_the_code_s_message_unless_given_a_precise_one() -> None:
    assert Violation.of(RuleCode.AGE_MIN, age_months=215).message == RuleCode.AGE_MIN.message
    precise = Violation.of(RuleCode.DECISION_60WD, "Chỉ được gia hạn một lần")
    assert precise.message == "Chỉ được gia hạn một lần"
    assert precise.details == {}


def test_a_violation_cannot_be_changed() -> None:
    violation = Violation.of(RuleCode.CELL_2_3, agree=5)
    with pytest.raises(AttributeError):
        violation.code = RuleCode.AGE_MIN  # type: ignore[misc]
    with pytest.raises(TypeError):
        violation.details["agree"] = 6  # type: ignore[index]
