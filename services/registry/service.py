"""Registry (sổ đăng ký): the organisation tree, members, committees, localities, quotas, classes.

Its domain commands arrive with issue #3; today it owns its log and relays it.
"""

from shared.service import Service

service = Service("registry")
