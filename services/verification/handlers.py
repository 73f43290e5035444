"""Use cases of the verification service: each command handler loads the case, lets it decide,
and returns the `Decision` the platform appends; the consumer opens a case per declared history."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import asyncpg
import pydantic

from ketnap.domain.calendar import today_in_vietnam
from ketnap.domain.rules import NoRuleSetInForce, rule_set_on
from ketnap.platform.bus.consumer import EventHandler, Unapplicable
from ketnap.platform.commands import Conflict, Decision, InvalidInput
from ketnap.platform.envelope import EventMetadata, RecordedEvent
from ketnap.platform.eventstore import ConcurrencyConflict
from ketnap.platform.eventstore.store import ANY_VERSION
from ketnap.platform.logging import get_logger
from ketnap.platform.service import ServiceContext
from ketnap.platform.vietnamese import vn_date
from ketnap.services.verification.case import Case, open_case, stream_id
from ketnap.services.verification.commands import (
    CaseCommand,
    CertifyHistory,
    CloseByMemberRecord,
    LiftBlock,
    RecordReply,
    SendRequest,
    TakeOverCertification,
)
from ketnap.services.verification.events import Event, PersonalHistoryDeclared
from ketnap.services.verification.queries import load_case
from ketnap.services.verification.registry_client import RegistryClient
from ketnap.services.verification.subjects import HistoryNotVerifiable, TemplateRule

log = get_logger(__name__)

_OPENING_NAMESPACE = uuid.UUID("3d8f4a52-7c1b-4e0a-9f6d-2b5e8c1a7d40")
HISTORY_DECLARED = "PersonalHistoryDeclared"
HISTORY_CORRECTED = "PersonalHistoryCorrected"
HISTORY_SCHEMA_VERSION = 1


async def _case_for(ctx: ServiceContext, command: CaseCommand) -> Case:
    case = await load_case(ctx, command.dossier_id)
    if command.expected_version is not None and command.expected_version != case.version:
        raise Conflict(
            "Hồ sơ vừa được người khác cập nhật; hãy tải lại và thử lại.",
            stream=stream_id(case.dossier_id),
            expected_version=command.expected_version,
            actual_version=case.version,
        )
    return case


def _decided(case: Case, events: list[Event]) -> Decision:
    """Append at the version the case was decided on: anyone else's append in between is a conflict."""
    seen = case.version
    case.apply_all(events)
    return Decision(
        stream_id(case.dossier_id),
        seen,
        [e.to_new_event() for e in events],
        {"status": case.status, "missing": len(case.missing_replies())},
    )


async def send_request(ctx: ServiceContext, command: SendRequest) -> Decision:
    """Gửi yêu cầu thẩm tra cho một đối tượng."""
    case = await _case_for(ctx, command)
    return _decided(
        case,
        case.send_request(command.subject_id, sent_to=command.sent_to, sent_on=command.sent_on, sent_by=command.sent_by),
    )


async def record_reply(ctx: ServiceContext, command: RecordReply) -> Decision:
    """Ghi kết quả thẩm tra (hoặc đính chính kết quả)."""
    case = await _case_for(ctx, command)
    return _decided(
        case,
        case.record_reply(
            command.subject_id,
            replied_on=command.replied_on,
            responding_organisation=command.responding_organisation,
            finding=command.finding,
            note=command.note,
            correction_reason=command.correction_reason,
        ),
    )


async def close_by_member_record(ctx: ServiceContext, command: CloseByMemberRecord, registry: RegistryClient) -> Decision:
    """Đối chiếu hồ sơ đảng viên thay cho thẩm tra tại nơi cư trú, công tác."""
    case = await _case_for(ctx, command)
    citizen_id, organisation = case.cross_check_target(command.subject_id, command.organisation)
    membership = await registry.membership(citizen_id, organisation, command.checked_on)
    return _decided(
        case,
        case.close_by_member_record(
            command.subject_id,
            organisation=membership.organisation or organisation,  # recorded as the registry stores it
            checked_on=command.checked_on,
            membership=membership,
            finding=command.finding,
            note=command.note,
        ),
    )


async def certify_history(ctx: ServiceContext, command: CertifyHistory) -> Decision:
    """Cấp ủy cơ sở chứng nhận lý lịch."""
    case = await _case_for(ctx, command)
    return _decided(case, case.certify(certified_by=command.certified_by, certified_on=command.certified_on))


async def take_over_certification(ctx: ServiceContext, command: TakeOverCertification) -> Decision:
    """Tiếp nhận lý lịch đã chứng nhận trên hồ sơ giấy."""
    # What is taken over from paper has happened: a later date is a typing error, which would
    # otherwise hold the dossier's next steps to a day not come.
    today = today_in_vietnam()
    if command.certified_on > today:
        raise InvalidInput(
            f"Ngày chứng nhận lý lịch trên giấy ({vn_date(command.certified_on)}) không được sau ngày hôm nay ({vn_date(today)}).",
            field="certified_on",
        )
    case = await _case_for(ctx, command)
    return _decided(case, case.take_over_certification(certified_by=command.certified_by, certified_on=command.certified_on))


async def lift_block(ctx: ServiceContext, command: LiftBlock) -> Decision:
    """Cấp ủy có thẩm quyền quyết định sau kết quả thẩm tra không đủ điều kiện."""
    case = await _case_for(ctx, command)
    return _decided(
        case, case.lift_block(decided_by=command.decided_by, decided_on=command.decided_on, outcome=command.outcome)
    )


def open_cases_handler(ctx: ServiceContext, template_rules: Mapping[str, TemplateRule]) -> EventHandler:
    """Opens one case per declared history, exactly once: the runner commits the case with its
    checkpoint, the event ids derive from the declaration's, and a case already open stays as is."""

    async def apply(conn: asyncpg.Connection, event: RecordedEvent) -> None:
        if event.event_type == HISTORY_CORRECTED:
            await _corrected(ctx, conn, event, template_rules)
            return
        if event.event_type != HISTORY_DECLARED:
            return
        if event.schema_version != HISTORY_SCHEMA_VERSION:
            raise Unapplicable(f"{HISTORY_DECLARED} schema_version {event.schema_version} is not known here")
        try:
            history = PersonalHistoryDeclared.model_validate(event.data)
            events = open_case(history, rule_set_on(history.declared_on), template_rules)
        except pydantic.ValidationError as error:
            # The reason names fields and problems only: the rejected values are personal data.
            problems = ", ".join(f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in error.errors())
            raise Unapplicable(f"{HISTORY_DECLARED} does not match the contract: {problems}") from None
        except (HistoryNotVerifiable, NoRuleSetInForce) as error:
            raise Unapplicable(str(error)) from None
        ids = [uuid.uuid5(_OPENING_NAMESPACE, f"{ctx.name}:open:{event.event_id}:{i}") for i in range(len(events))]
        metadata = EventMetadata(
            actor=ctx.name,
            organisation=history.cell,
            correlation_id=event.correlation_id or event.event_id,
            causation_id=event.event_id,
        )
        try:
            await ctx.store.append(
                stream_id(history.dossier_id),
                0,
                [e.to_new_event(i) for e, i in zip(events, ids, strict=True)],
                metadata,
                connection=conn,
            )
        except ConcurrencyConflict:
            # A case per dossier: a later declaration (or a replay past every dedupe) leaves it as is.
            log.info("verification case already open", dossier_id=history.dossier_id, source_position=event.position)
            return
        log.info("verification case opened", dossier_id=history.dossier_id, events=len(events))

    return apply


async def _corrected(ctx: ServiceContext, conn: asyncpg.Connection, event: RecordedEvent, template_rules: Mapping[str, TemplateRule]) -> None:
    """A correction of a history: the case withdraws a certification of the earlier declaration and
    adds the subjects the correction brings, once (event ids derive from the correction's)."""
    if event.schema_version != HISTORY_SCHEMA_VERSION:
        raise Unapplicable(f"{HISTORY_CORRECTED} schema_version {event.schema_version} is not known here")
    try:
        corrected = PersonalHistoryDeclared.model_validate({**event.data, "declared_on": event.data.get("corrected_on")})
        recorded = await ctx.store.read_stream(stream_id(corrected.dossier_id), connection=conn)
        if not recorded:
            raise Unapplicable(f"{HISTORY_CORRECTED} for a dossier with no verification case")
        case = Case.from_events(recorded)
        events = case.correction(corrected, rule_set_on(corrected.declared_on), template_rules)
    except pydantic.ValidationError as error:
        problems = ", ".join(f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in error.errors())
        raise Unapplicable(f"{HISTORY_CORRECTED} does not match the contract: {problems}") from None
    except (HistoryNotVerifiable, NoRuleSetInForce) as error:
        raise Unapplicable(str(error)) from None
    if not events:
        return
    ids = [uuid.uuid5(_OPENING_NAMESPACE, f"{ctx.name}:correct:{event.event_id}:{i}") for i in range(len(events))]
    await ctx.store.append(
        stream_id(corrected.dossier_id),
        ANY_VERSION,  # a fact: it happened whatever an officer recorded meanwhile
        [e.to_new_event(i) for e, i in zip(events, ids, strict=True)],
        EventMetadata(actor=ctx.name, organisation=corrected.cell, correlation_id=event.correlation_id or event.event_id,
                      causation_id=event.event_id),
        connection=conn,
    )
    log.info("verification case reopened by a correction", dossier_id=corrected.dossier_id, events=len(events))
