"""Voting (biểu quyết): resolutions and decisions of cells and committees.

Its domain commands arrive with issue #6; today it owns its log and relays it.
"""

from shared.service import Service

service = Service("voting")
