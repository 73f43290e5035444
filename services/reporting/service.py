"""Reporting (báo cáo): projections over every other service's log; owns no log of its own."""

from services.reporting.audit_timeline import AuditTimeline
from shared.service import Service

service = Service("reporting", owns_log=False)
service.add_projection(AuditTimeline())
