"""Dossiers (hồ sơ): each applicant's dossier from the source list to official membership.

Its domain commands arrive with issue #4; today it owns its log and relays it.
"""

from shared.service import Service

service = Service("dossiers")
