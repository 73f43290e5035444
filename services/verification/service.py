"""Verification (thẩm tra, xác minh lý lịch): background checks of the applicant and relatives.

The one place the service is wired: its commands and queries on NATS, the consumer that opens a
case per declared history, and the overview projection the overdue list reads.
"""

from __future__ import annotations

from collections.abc import Mapping

from ketnap.platform.commands import Decision
from ketnap.platform.service import Service, ServiceContext
from ketnap.services.verification import handlers, queries
from ketnap.services.verification.commands import (
    CaseQuery,
    CertifyHistory,
    CloseByMemberRecord,
    LiftBlock,
    OverdueQuery,
    RecordReply,
    SendRequest,
    TakeOverCertification,
)
from ketnap.services.verification.events import EVENT_TYPES
from ketnap.services.verification.overview import VerificationOverview
from ketnap.services.verification.registry_client import RegistryClient
from ketnap.services.verification.subjects import DEFAULT_TEMPLATE_RULES, TemplateRule


def build_service(
    name: str = "verification",
    dossiers_source: str = "dossiers",
    registry_service: str = "registry",
    *,
    overdue_working_days: int = queries.DEFAULT_OVERDUE_WORKING_DAYS,
    template_rules: Mapping[str, TemplateRule] = DEFAULT_TEMPLATE_RULES,
) -> Service:
    """The verification service on schema `name`, opening cases from the log of `dossiers_source`
    and asking `registry_service` about memberships (tests point these at fresh ones)."""
    service = Service(name, events=EVENT_TYPES)
    service.answer_judgements()  # a dossier taken over from paper is judged end to end before it is written
    service.add_projection(VerificationOverview(name, dossiers_source))

    service.command("send_request", SendRequest)(handlers.send_request)
    service.command("record_reply", RecordReply)(handlers.record_reply)
    service.command("certify_history", CertifyHistory)(handlers.certify_history)
    service.command("take_over_certification", TakeOverCertification)(handlers.take_over_certification)
    service.command("lift_block", LiftBlock)(handlers.lift_block)

    @service.command("close_by_member_record", CloseByMemberRecord)
    async def close_by_member_record(ctx: ServiceContext, command: CloseByMemberRecord) -> Decision:
        """Đối chiếu hồ sơ đảng viên thay cho thẩm tra tại nơi cư trú, công tác."""
        return await handlers.close_by_member_record(ctx, command, RegistryClient(ctx.nc, registry_service))

    service.query("case", CaseQuery)(queries.case)

    @service.query("overdue", OverdueQuery)
    async def overdue(ctx: ServiceContext, query: OverdueQuery) -> dict:
        """Yêu cầu thẩm tra quá hạn trả lời, kèm lời nhắc."""
        registry = RegistryClient(ctx.nc, registry_service)
        return await queries.overdue(ctx, query, default_working_days=overdue_working_days, registry=registry)

    @service.consumer(dossiers_source, name=f"{name}.open_cases", events=(handlers.HISTORY_DECLARED, handlers.HISTORY_CORRECTED))
    def open_cases(ctx: ServiceContext) -> handlers.EventHandler:
        return handlers.open_cases_handler(ctx, template_rules)

    return service


service = build_service()
