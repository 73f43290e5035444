"""Judging commands without recording them (`<service>.query.judge`): a whole piece of work spread
over several services (a dossier taken over from paper, from its opening to its decision) is judged
end to end before anything of it is written, so it can be written all or nothing.

The service's own command handlers decide, exactly as live (the same rules, codes and Vietnamese
messages: no second copy of a rule), against a scratch copy of the streams they read: the log as
it stands, plus what the earlier steps of the same work would have recorded, held in memory and
never appended. Steps of other services reach this one as facts, applied by the service's own
reactions (its non-projection consumers) to the scratch copy, as their consumers would apply them
live. The judge answers the first refusal, and the events its accepted steps would record, which
the caller hands back (`replay`) and on to the next service (`facts`).

A command already recorded (its idempotency key found in the log) is accepted as live answers a
retry, and its recorded events are returned as what it produced: a piece of work written half way
(a crash) is judged again on what it did write, and continues.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import asyncpg
import pydantic
from pydantic import BaseModel, ConfigDict, Field

from ketnap.platform.commands import DomainError, ErrorBody, InvalidInput, idempotent_event_ids
from ketnap.platform.envelope import EventMetadata, NewEvent, RecordedEvent, new_recorded_at
from ketnap.platform.eventstore import AppendResult, ConcurrencyConflict, EventStore
from ketnap.platform.eventstore.store import ANY_VERSION

if TYPE_CHECKING:
    from ketnap.platform.service import Service, ServiceContext

MAX_STEPS = 64
"""Bounds one judgement: a dossier's whole road is a dozen commands."""


class JudgedCommand(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    command: str = Field(min_length=1, max_length=64, description="the command's name, as in `<service>.cmd.<name>`")
    body: dict[str, Any] = Field(description="the command as it would be sent (idempotency key, actor, scope included)")


class SourcedEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(min_length=1, max_length=64, description="the log the event would be recorded in")
    event: dict[str, Any] = Field(description="the event as a log read gives it (`RecordedEvent.to_json_dict`)")


class JudgeQuery(BaseModel):
    """Commands of this service judged in order on a scratch copy; nothing is recorded."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: list[JudgedCommand] = Field(min_length=1, max_length=MAX_STEPS)
    replay: list[dict[str, Any]] = Field(default_factory=list, max_length=4 * MAX_STEPS,
                                         description="this log's events an earlier judgement of the same work returned")
    facts: list[SourcedEvent] = Field(default_factory=list, max_length=4 * MAX_STEPS,
                                      description="other logs' events of the same work, not yet handed to this service")


class ScratchStore(EventStore):
    """The service's log as it stands, with appends kept in memory: what a stream would be after
    the judged steps. Reads see both; nothing is ever written to the database."""

    def __init__(self, real: EventStore) -> None:
        super().__init__(real.pool, real.schema)
        self._added: dict[str, list[RecordedEvent]] = defaultdict(list)
        self.produced: list[RecordedEvent] = []

    def replay(self, events: Sequence[RecordedEvent]) -> None:
        """Events an earlier judgement of the same work would have recorded (not produced again);
        those the log now holds are already read from it."""
        for event in events:
            held = self._added[event.stream_id]
            if all(e.event_id != event.event_id for e in held):
                held.append(event)

    async def read_stream(
        self, stream_id: str, after_version: int = 0, *, connection: asyncpg.Connection | None = None
    ) -> list[RecordedEvent]:
        recorded = await super().read_stream(stream_id, connection=connection)
        ids = {e.event_id for e in recorded}
        version = recorded[-1].stream_version if recorded else 0
        for event in self._added.get(stream_id, []):
            if event.event_id not in ids:
                version += 1
                recorded.append(replace(event, stream_version=version))
        return [e for e in recorded if e.stream_version > after_version]

    async def append(
        self, stream_id: str, expected_version: int, events: Sequence[NewEvent], metadata: EventMetadata, *,
        connection: asyncpg.Connection | None = None,
    ) -> AppendResult:
        if not events:
            raise ValueError("append needs at least one event")
        current = await self.read_stream(stream_id, connection=connection)
        version = current[-1].stream_version if current else 0
        known = {e.event_id for e in current}
        if all(e.event_id in known for e in events):  # a retry, as the log answers one
            return AppendResult(stream_id, version, (), tuple(e.event_id for e in events), duplicate=True)
        if expected_version != ANY_VERSION and expected_version != version:
            raise ConcurrencyConflict(stream_id, expected_version, version)
        recorded_at = new_recorded_at()
        added = [
            RecordedEvent(
                position=0, stream_id=stream_id, stream_version=version + offset, event_id=e.event_id, event_type=e.event_type,
                schema_version=e.schema_version, data=e.data, actor=metadata.actor, organisation=metadata.organisation,
                correlation_id=metadata.correlation_id, causation_id=metadata.causation_id, recorded_at=recorded_at,
                previous_hash="", hash="",
            )
            for offset, e in enumerate(events, start=1)
        ]
        self._added[stream_id].extend(added)
        self.produced.extend(added)
        return AppendResult(stream_id, version + len(added), (), tuple(e.event_id for e in added))

    async def only_follow_ups_after(self, stream_id: str, version: int) -> bool:
        return False  # a judgement decides once, on what it holds

    async def recorded(self, found: AppendResult) -> list[RecordedEvent]:
        """The events of an append the log already holds."""
        ids = set(found.event_ids)
        return [e for e in await super().read_stream(found.stream_id) if e.event_id in ids]


def _event(body: dict[str, Any]) -> RecordedEvent:
    try:
        return RecordedEvent.from_json_dict(body)
    except (KeyError, TypeError, ValueError):
        raise InvalidInput("Một sự kiện gửi kèm yêu cầu xét không đúng dạng sự kiện của nhật ký.", field="event") from None


async def judge(service: Service, ctx: ServiceContext, query: JudgeQuery) -> dict[str, Any]:
    """Decide `query.steps` in order against a scratch copy (see the module's docstring). The
    answer: how many steps were accepted, the events they (and the reactions to the facts) would
    record, and the first refusal with its code, Vietnamese message and details (the field)."""
    scratch = ScratchStore(ctx.store)
    scratch.replay([_event(e) for e in query.replay])
    judged = replace(ctx, store=scratch)
    endpoints = {e.subject.rsplit(".", 1)[-1]: e for e in service.commands if e.records_events}
    reactions = [(spec, factory(judged)) for spec, factory in service.consumers if not spec.batched]
    async with ctx.pool.acquire() as conn, conn.transaction(readonly=True):
        # The reactions read through this connection; read-only, so nothing can be written by mistake.
        for fact in query.facts:
            event = _event(fact.event)
            for spec, react in reactions:
                if spec.source == fact.source and (spec.events is None or event.event_type in spec.events):
                    try:
                        await react(conn, event)
                    except ConcurrencyConflict:
                        continue  # the fact is recorded already: the log holds it
                    except Exception as error:  # noqa: BLE001 — live, the fact would be dead-lettered
                        message = f"Dịch vụ {service.name} không áp dụng được kết quả của bước trước ({event.event_type})."
                        return _answer(scratch, 0, ErrorBody(code="unapplicable", message=message,
                                                                      details={"event_type": event.event_type, "reason": str(error)}))
    for index, step in enumerate(query.steps):
        endpoint = endpoints.get(step.command)
        if endpoint is None:
            return _answer(scratch, index, ErrorBody(code="validation", message=f"Dịch vụ {service.name} không có lệnh {step.command}.",
                                                              details={"command": step.command}), step.command)
        refusal = await _decide(judged, scratch, endpoint, step)
        if refusal is not None:
            return _answer(scratch, index, refusal, step.command)
    return _answer(scratch, len(query.steps), None)


async def _decide(ctx: ServiceContext, scratch: ScratchStore, endpoint: Any, step: JudgedCommand) -> ErrorBody | None:
    from ketnap.platform.service import MAX_EVENTS_PER_COMMAND, validation_error_body

    try:
        command = endpoint.model.model_validate(step.body)
    except pydantic.ValidationError as error:
        return validation_error_body(error.errors(include_url=False, include_input=False))
    ids = idempotent_event_ids(ctx.name, step.command, command.idempotency_key, MAX_EVENTS_PER_COMMAND)
    if (found := await scratch.find_append(ids)) is not None:
        # Recorded by an earlier import: accepted as live answers a retry; what it did goes on.
        recorded = await scratch.recorded(found)
        scratch.replay(recorded)
        scratch.produced.extend(recorded)
        return None
    try:
        decision = await endpoint.handler(ctx, command)
        if decision.events:
            alongside = await decision.in_turn() if decision.in_turn is not None else None
            for also in alongside or ():
                await scratch.append(also.stream_id, also.expected_version, also.events, also.metadata)
            events = [e.model_copy(update={"event_id": i}) for e, i in zip(decision.events, ids, strict=False)]
            metadata = EventMetadata(actor=command.actor, organisation=command.scope, correlation_id=ids[0])
            await scratch.append(decision.stream_id, decision.expected_version, events, metadata)
    except DomainError as error:
        return error.body()
    except pydantic.ValidationError as error:
        return validation_error_body(error.errors(include_url=False, include_input=False))
    except ConcurrencyConflict as error:
        return ErrorBody(code="conflict", message="Hồ sơ vừa được người khác cập nhật; hãy tải lại và thử lại.",
                         details={"stream": error.stream_id})
    return None


def _answer(scratch: ScratchStore, accepted: int, refusal: ErrorBody | None, command: str | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"accepted": accepted, "events": [e.to_json_dict() for e in scratch.produced], "refusal": None}
    if refusal is not None:
        answer["refusal"] = {"index": accepted, "command": command, **refusal.model_dump(mode="json")}
    return answer

