"""Verification (thẩm tra lý lịch): background checks of the applicant and relatives.

Its domain commands arrive with issue #5; today it owns its log and relays it.
"""

from shared.service import Service

service = Service("verification")
