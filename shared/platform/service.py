"""The one way a service is declared and run: its commands, queries and consumers, wired at start.

A service module builds a `Service`, registers handlers with decorators, and its `__main__`
calls `run_service(service)`. The runtime connects to PostgreSQL and NATS, runs the relay of
the service's log, answers its NATS request subjects (with nats-py, `requests.Answering`;
FastStream only documents them as AsyncAPI) and runs its consumers.
"""

from __future__ import annotations

import asyncio
import gc
import json
import signal
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import nats
import pydantic
from faststream.nats import NatsBroker
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from opentelemetry.trace import SpanKind

from ketnap.platform import aggregates, alarms, heartbeat, logcheck, metrics, tracing
from ketnap.platform.anchors import Anchorer, load_or_create_key
from ketnap.platform.bus import requests, subjects
from ketnap.platform.bus.bootstrap import ConsumerSpec, durables_of
from ketnap.platform.bus.consumer import ConsumerRunner, EventHandler
from ketnap.platform.bus.logread import answer_log_request
from ketnap.platform.bus.relay import Relay, relay_state
from ketnap.platform.chaincheck import ChainWatch
from ketnap.platform.commands import (
    Alongside,
    Command,
    Conflict,
    Decision,
    DomainError,
    ErrorBody,
    InvalidInput,
    NotFound,
    Reply,
    Unavailable,
    idempotent_event_ids,
    nul_errors,
)
from ketnap.platform.envelope import EventMetadata, NewEvent
from ketnap.platform.eventstore import AppendResult, ConcurrencyConflict, DuplicateEventMismatch, EventStore
from ketnap.platform.eventstore.pool import create_pool
from ketnap.platform.fields import field_label
from ketnap.platform.logging import configure_logging, get_logger
from ketnap.platform.outages import UNAVAILABLE, is_outage
from ketnap.platform.problems import why
from ketnap.platform.projections import Projection
from ketnap.platform.settings import Settings
from ketnap.platform.turns import turn

log = get_logger(__name__)

MAX_EVENTS_PER_COMMAND = 64
"""Bounds the ids a retry looks up; no single decision of the domain records more."""

FOLLOW_UP_RETRIES = 3
"""How often a command is decided again when only services' own records were appended to its
stream meanwhile; a person's act in between is a `conflict` at once."""

CommandHandler = Callable[["ServiceContext", Any], Awaitable[Decision]]
QueryHandler = Callable[["ServiceContext", Any], Awaitable[Any]]
RawHandler = Callable[["ServiceContext", dict[str, Any]], Awaitable[dict[str, Any]]]
BackgroundTask = Callable[["ServiceContext", asyncio.Event], Awaitable[None]]
"""Extra work a service runs beside its endpoints (the gateway's HTTP server): it runs until the
event it is given is set, then finishes its own work (open requests) and returns."""

BACKGROUND_GRACE_SECONDS = 15.0
"""How long a stopping service waits for its background tasks to finish before cancelling them."""

REQUEST_GRACE_SECONDS = 10.0
"""How long a stopping service waits for the requests it has taken to be answered."""


@dataclass
class ServiceContext:
    """What a handler may use: the service's own database pool and log, and the bus."""

    name: str
    settings: Settings
    pool: asyncpg.Pool
    store: EventStore
    nc: NatsClient
    js: JetStreamContext
    projections: Sequence[Projection] = ()
    """The service's own projections, as it was built (several deployments may run in one test
    process, each service with its own sources)."""
    database_url: str | None = None
    """The URL `pool` was opened with: for a connection held apart from the pool (past snapshots)."""
    kept_relays: dict[str, Relay] = field(default_factory=dict)
    """The relay of each kept log, by name: what a keeper has just kept is offered to it
    (`Relay.offer`) rather than read back from the database."""


@dataclass
class _Endpoint:
    subject: str
    model: type[pydantic.BaseModel]
    handler: Callable[..., Awaitable[Any]]
    description: str
    records_events: bool = True
    """False for the runtime's own bookkeeping commands (acknowledging an alarm), which decide and
    record by themselves and answer at once: the alarm's own row says whether it was done before."""
    turn: str | None = None
    """Commands naming one turn (its full name, `turns.service_turn`) are decided and appended one
    at a time (turns.py), in this service or another of the deployment: their checks read what
    the others change."""
    recorded: Callable[[Decision], None] | None = None
    """Called with the decision once its events are committed, before the reply leaves: what the
    service keeps in memory about those streams is dropped before anyone hears of the change."""
    decides_ahead: bool = False
    """With a `turn`: the handler decides before the turn is taken, and only the decision's
    `in_turn` and the append run in it, so the handler's questions to other services do not hold
    up every other command of the turn (issue 21: opening a dossier asks the registry five things)."""


@dataclass
class Service:
    name: str
    owns_log: bool = True
    commands: list[_Endpoint] = field(default_factory=list)
    queries: list[_Endpoint] = field(default_factory=list)
    consumers: list[tuple[ConsumerSpec, Callable[[ServiceContext], EventHandler]]] = field(default_factory=list)
    projections: list[Projection] = field(default_factory=list)
    background: list[tuple[str, BackgroundTask]] = field(default_factory=list)
    kept_logs: list[str] = field(default_factory=list)
    """Logs of other deployments this service keeps verbatim (the federation service): each has
    its own schema, is relayed to JetStream and answers log reads, like a service's own log."""
    kept_origins: dict[str, tuple[str, str]] = field(default_factory=dict)
    """For a kept log, the service and deployment that wrote it: its relay names them as the
    messages' origin, so a log passed further up still says where it comes from."""
    tables: dict[str, str] = field(default_factory=dict)
    """Tables of the service's own bookkeeping (not projections), created by the bootstrap."""
    upgrades: list[str] = field(default_factory=list)
    """SQL the bootstrap runs after creating the tables, bringing a schema bootstrapped by an
    earlier version up to date (a table retired, its rows moved); each must be safe to run again."""
    listeners: list[tuple[str, RawHandler]] = field(default_factory=list)
    acknowledgements_in: str | None = None
    """For a service without a log of its own: the service (with a log) that records the
    acknowledgements of its integrity alarms. Without one, only the alarm's row keeps it."""
    events: Mapping[str, type[pydantic.BaseModel]] = field(default_factory=dict)
    """The event types its log records, by name: its relay publishes each on
    `ketnap.<deployment>.evt.<service>.<type>` (documented in AsyncAPI with the model's schema)."""

    def __post_init__(self) -> None:
        if self.owns_log:  # the runtime records acknowledgements of alarms in every log it keeps
            self.events = {**self.events, alarms.IntegrityAlarmAcknowledged.event_type(): alarms.IntegrityAlarmAcknowledged}
        # Every service keeps the integrity alarms of its consumers; they are listed and
        # acknowledged the same way everywhere.
        self.queries.append(
            _Endpoint(subjects.query_subject(self.name, "integrity_alarms"), alarms.AlarmsQuery, _list_alarms, _list_alarms.__doc__ or "")
        )
        owns_log, recorded_in = self.owns_log, self.acknowledgements_in

        async def acknowledge_alarm(ctx: ServiceContext, command: alarms.AcknowledgeAlarm) -> dict[str, Any]:
            return await _acknowledge_alarm(ctx, command, recorded=owns_log, recorded_in=recorded_in)

        self.commands.append(
            _Endpoint(
                subjects.command_subject(self.name, "acknowledge_alarm"), alarms.AcknowledgeAlarm, acknowledge_alarm,
                _acknowledge_alarm.__doc__ or "", records_events=False,
            )
        )
        if self.owns_log:  # the log that services without one name records their acknowledgements
            self.commands.append(
                _Endpoint(
                    subjects.command_subject(self.name, "record_alarm_acknowledgement"), alarms.RecordAcknowledgement,
                    _record_acknowledgement, _record_acknowledgement.__doc__ or "", records_events=False,
                )
            )
        if self.owns_log:  # an inspector checks each log from the web, part by part
            self.queries.append(
                _Endpoint(subjects.query_subject(self.name, "verify_log"), logcheck.VerifyLogQuery, _verify_log, _verify_log.__doc__ or "")
            )

    def listen(self, subject: str) -> Callable[[RawHandler], RawHandler]:
        """Answer requests on a subject outside the service's own `<service>.`-space with the
        handler's dict as it is (the federation service's cross-level log reads, which speak the
        log-read protocol of `ketnap.platform.bus.logread`, not the command/query reply)."""

        def register(handler: RawHandler) -> RawHandler:
            self.listeners.append((subject, handler))
            return handler

        return register

    def answer_judgements(self) -> None:
        """Answer `<service>.query.judge`: a list of this service's commands decided in order on a
        scratch copy of what they read, nothing recorded (`ketnap.platform.judging`): work spread
        over several services is judged end to end before any of it is written."""
        from ketnap.platform import judging

        async def judge(ctx: ServiceContext, query: judging.JudgeQuery) -> dict[str, Any]:
            """Xét trước một loạt lệnh của dịch vụ trên bản nháp, không ghi gì: lệnh đầu tiên bị từ chối, với mã quy tắc."""
            return await judging.judge(self, ctx, query)

        self.query("judge", judging.JudgeQuery)(judge)

    def add_background(self, name: str, task: BackgroundTask) -> None:
        """Run `task(ctx, closing)` for as long as the service runs; it ending on its own stops the service."""
        self.background.append((name, task))

    def add_projection(self, projection: Projection) -> None:
        """A projection is fed live by one consumer per source log, named after the projection
        (its checkpoints, dead letters and alarms), all of the service's projections of one log
        through one durable JetStream consumer, `<service>.projections` (`ConsumerRunner`)."""
        self.projections.append(projection)
        for source in projection.sources:
            self.consumers.append(
                (ConsumerSpec(projection.name, source, batched=True, events=projection.consumed(source), group=self.projections_group),
                 lambda _ctx, s=source: projection.live_handler(s))
            )

    @property
    def projections_group(self) -> str:
        """The durable consumer name shared by the service's projections of each log."""
        return f"{self.name}.projections"

    def command(
        self, name: str, model: type[Command], *, turn: str | None = None, recorded: Callable[[Decision], None] | None = None,
        decides_ahead: bool = False,
    ) -> Callable[[CommandHandler], CommandHandler]:
        """`turn`: the full name of a turn (`turns.service_turn`, this service's or another's):
        commands of the same turn are decided and appended one at a time (turns.py).
        `recorded`: see `_Endpoint.recorded` (the gateway forgets the accounts it keeps in memory).
        `decides_ahead`: see `_Endpoint.decides_ahead` (the handler's `Decision.in_turn` re-asks what the turn protects)."""

        def register(handler: CommandHandler) -> CommandHandler:
            self.commands.append(
                _Endpoint(
                    subjects.command_subject(self.name, name), model, handler, handler.__doc__ or "", turn=turn, recorded=recorded,
                    decides_ahead=decides_ahead,
                )
            )
            return handler

        return register

    def query(self, name: str, model: type[pydantic.BaseModel]) -> Callable[[QueryHandler], QueryHandler]:
        def register(handler: QueryHandler) -> QueryHandler:
            self.queries.append(_Endpoint(subjects.query_subject(self.name, name), model, handler, handler.__doc__ or ""))
            return handler

        return register

    def consumer(
        self, source: str, name: str | None = None, *, events: Iterable[str] | None = None
    ) -> Callable[[Callable[[ServiceContext], EventHandler]], Any]:
        """Register a factory that builds the event handler for the log of `source`; `events`: the
        types the handler acts on (None: every one), as AsyncAPI documents them."""

        def register(factory: Callable[[ServiceContext], EventHandler]) -> Callable[[ServiceContext], EventHandler]:
            spec = ConsumerSpec(name or f"{self.name}.{factory.__name__}", source, events=None if events is None else tuple(sorted(events)))
            self.consumers.append((spec, factory))
            return factory

        return register

    @property
    def consumer_specs(self) -> list[ConsumerSpec]:
        """Every consumer, one per source log it reads (each with its own checkpoint)."""
        return [spec for spec, _ in self.consumers]

    @property
    def durables(self) -> list[ConsumerSpec]:
        """The durable JetStream consumers the service reads through, once each (`ConsumerSpec.durable`)."""
        return list(durables_of(self.consumer_specs))


async def _list_alarms(ctx: ServiceContext, query: alarms.AlarmsQuery) -> dict[str, Any]:
    """Cảnh báo toàn vẹn của dịch vụ (mặc định: những cảnh báo chưa được xác nhận)."""
    async with ctx.pool.acquire() as conn:
        found = await alarms.listed(conn, ctx.name, include_acknowledged=query.include_acknowledged)
    return {"items": [a.to_json() for a in found]}


async def _verify_log(ctx: ServiceContext, query: logcheck.VerifyLogQuery) -> dict[str, Any]:
    """Kiểm tra chuỗi băm nhật ký của dịch vụ, từng phần; phần cuối so với luồng và đầu nhật ký đã ký."""
    return await logcheck.verify_own_log(ctx.pool, ctx.js, ctx.settings, ctx.name, query)


async def _acknowledge_alarm(
    ctx: ServiceContext, command: alarms.AcknowledgeAlarm, *, recorded: bool, recorded_in: str | None
) -> dict[str, Any]:
    """Xác nhận đã xem xét một cảnh báo toàn vẹn; xác nhận lại không đổi người và thời điểm đã ghi."""
    # The event's id comes from the key, as a recorded command's does: a retry finds the alarm
    # acknowledged (or the log holding the event already) and records nothing twice.
    (event_id,) = idempotent_event_ids(ctx.name, "acknowledge_alarm", command.idempotency_key, 1)
    async with ctx.pool.acquire() as conn:
        if recorded:
            metadata = EventMetadata(actor=command.actor, organisation=command.scope, correlation_id=event_id)
            alarm = await alarms.acknowledge_recorded(conn, ctx.store, command.alarm_id, metadata, event_id, command.reason)
        elif recorded_in is not None:  # reporting, federation: recorded in the log they name

            async def record(event: alarms.IntegrityAlarmAcknowledged) -> tuple[str, str | None]:
                body = alarms.RecordAcknowledgement(
                    idempotency_key=command.idempotency_key, actor=command.actor, scope=command.scope, service=ctx.name,
                    event_id=event_id, acknowledged=event,
                )
                reply = await requests.command(ctx.nc, recorded_in, "record_alarm_acknowledgement", body.model_dump(mode="json"), timeout=10)
                if not reply.get("ok"):
                    raise Unavailable(f"Chưa ghi được việc xác nhận vào nhật ký {recorded_in}; hãy thử lại.", log=recorded_in)
                return reply["result"]["actor"], reply["result"]["reason"]

            alarm = await alarms.acknowledge_elsewhere(conn, ctx.name, command.alarm_id, record, command.reason)
        else:  # a service built without a log to name (a test's): the row is all it keeps
            alarm = await alarms.acknowledge(conn, ctx.name, command.alarm_id, command.actor, command.reason)
    if alarm is None:
        raise NotFound(f"Không có cảnh báo số {command.alarm_id}.", alarm_id=command.alarm_id)
    return alarm.to_json()


async def _record_acknowledgement(ctx: ServiceContext, command: alarms.RecordAcknowledgement) -> dict[str, Any]:
    """Ghi vào nhật ký này việc xác nhận cảnh báo toàn vẹn của một dịch vụ không có nhật ký riêng;
    lần xác nhận đầu tiên được giữ."""
    first = await alarms.record_for(ctx.store, command)
    return {"actor": first.actor, "reason": first.data.get("reason"), "position": first.position}


def _error_reply(error: DomainError) -> Reply:
    return Reply(ok=False, error=error.body())


def validation_error_body(errors: Sequence[Mapping[str, Any]]) -> ErrorBody:
    """The `validation` error for pydantic's error list (`loc`, `type`, `msg`): the fields named in
    Vietnamese (`fields.field_label`), each with why in Vietnamese (`problems.why`), never the values
    given (they may be personal data)."""
    problems = [
        {"field": ".".join(str(p) for p in e["loc"]), "label": field_label(e["loc"]), "problem": e["type"], "detail": why(e)} for e in errors
    ]
    # The message names each field as a person does («ngày hiệu lực»); `field` keeps its name for programs.
    labels = ", ".join(dict.fromkeys(p["label"] for p in problems))
    return ErrorBody(code="validation", message=f"Dữ liệu không hợp lệ ở trường: {labels}", details={"problems": problems})


def _validation_reply(error: pydantic.ValidationError) -> Reply:
    return Reply(ok=False, error=validation_error_body(error.errors(include_url=False, include_input=False)))


async def execute_command(ctx: ServiceContext, endpoint: _Endpoint, body: Any) -> Reply:
    """Validate, decide, append with deterministic event ids; the same key twice gives one effect."""
    try:
        command = endpoint.model.model_validate(body)
    except pydantic.ValidationError as error:
        return _validation_reply(error)
    if not endpoint.records_events:
        try:
            return Reply(ok=True, result=await endpoint.handler(ctx, command))
        except DomainError as error:
            return _error_reply(error)
    command_name = endpoint.subject.rsplit(".", 1)[-1]
    # A retry after the stream moved on would be judged against the new state; the first answer stands.
    earlier = await ctx.store.find_append(
        idempotent_event_ids(ctx.name, command_name, command.idempotency_key, MAX_EVENTS_PER_COMMAND)
    )
    if earlier is not None:
        return Reply(
            ok=True,
            stream_id=earlier.stream_id,
            stream_version=earlier.stream_version,
            event_ids=[str(i) for i in earlier.event_ids],
            result=await kept_result(ctx, earlier.event_ids[0]),
        )
    try:
        async with _turn_of(ctx, endpoint, deciding=True):
            decision, result = await _decide_and_append(ctx, endpoint, command, command_name)
        if result is None:
            return Reply(ok=True, stream_id=decision.stream_id, result=decision.result)
    except DomainError as error:
        return _error_reply(error)
    except pydantic.ValidationError as error:
        return _validation_reply(error)
    except ConcurrencyConflict as error:
        return _error_reply(
            Conflict(
                "Hồ sơ vừa được người khác cập nhật; hãy tải lại và thử lại.",
                stream=error.stream_id,
                expected_version=error.expected_version,
                actual_version=error.actual_version,
            )
        )
    except DuplicateEventMismatch as error:
        return _error_reply(InvalidInput("Khóa chống trùng lặp đã được dùng cho một lệnh khác.", stream=error.stream_id))
    return Reply(
        ok=True,
        stream_id=result.stream_id,
        stream_version=result.stream_version,
        event_ids=[str(i) for i in result.event_ids],
        result=decision.result or None,
    )


async def _decide_and_append(
    ctx: ServiceContext, endpoint: _Endpoint, command: Any, command_name: str
) -> tuple[Decision, AppendResult | None]:
    """Decide, then append at the version decided on; decided again when only the service's own
    records came in between. No events: nothing appended (None)."""
    for attempt in range(FOLLOW_UP_RETRIES + 1):
        decision: Decision = await endpoint.handler(ctx, command)
        if len(decision.events) > MAX_EVENTS_PER_COMMAND:
            raise InvalidInput(f"Một lệnh ghi tối đa {MAX_EVENTS_PER_COMMAND} sự kiện.")
        if not decision.events:
            return decision, None
        ids = idempotent_event_ids(ctx.name, command_name, command.idempotency_key, len(decision.events))
        events = [e.model_copy(update={"event_id": i}) for e, i in zip(decision.events, ids, strict=True)]
        try:
            # The events keep this span's context: whatever applies them continues the trace.
            with tracing.span(f"{ctx.name} append", ctx.name, **{"ketnap.event_types": [e.event_type for e in events]}):
                metadata = EventMetadata(actor=command.actor, organisation=command.scope, correlation_id=ids[0])
                async with _turn_of(ctx, endpoint, deciding=False):
                    alongside = await decision.in_turn() if decision.in_turn is not None else None
                    result = await _append_with_result(ctx, decision, events, metadata, alongside or ())
            if endpoint.recorded is not None:
                endpoint.recorded(decision)
            break
        except ConcurrencyConflict as error:
            aggregates.forget(ctx.store, error.stream_id)  # decided on a state no longer current: loaded again
            if attempt == FOLLOW_UP_RETRIES or not await ctx.store.only_follow_ups_after(error.stream_id, error.expected_version):
                raise
            # Only a service's own records came in between (the process manager's step after a
            # decision): decide again on the stream as it is now; it is no other person's act.
            if getattr(command, "expected_version", None) == error.expected_version:
                command = command.model_copy(update={"expected_version": error.actual_version})
            log.info("command decided again after a service's own record", subject=endpoint.subject, attempt=attempt + 1)
    return decision, result


def _turn_of(ctx: ServiceContext, endpoint: _Endpoint, *, deciding: bool) -> AbstractAsyncContextManager[None]:
    """The endpoint's turn around its deciding (the usual way) or, for a command that decides
    ahead, around its `in_turn` and append only."""
    if endpoint.turn is None or deciding == endpoint.decides_ahead:
        return nullcontext()
    return turn(ctx.pool, endpoint.turn)


async def _append_with_result(
    ctx: ServiceContext, decision: Decision, events: list[NewEvent], metadata: EventMetadata, alongside: Sequence[Alongside] = ()
) -> AppendResult:
    """Append the decision's events, with what goes alongside them (`Alongside`), in one
    transaction; a result worth keeping is kept in the same transaction, so a retry after a reply
    lost to a crash between commit and reply still gets it."""
    if not (decision.result and decision.keep_result) and not alongside:
        return await ctx.store.append(decision.stream_id, decision.expected_version, events, metadata)
    async with ctx.pool.acquire() as conn, conn.transaction():
        *_, appended = await ctx.store.append_together(
            [*((a.stream_id, a.expected_version, a.events, a.metadata) for a in alongside),
             (decision.stream_id, decision.expected_version, events, metadata)],
            connection=conn,
        )
        if not (decision.result and decision.keep_result):
            return appended
        await conn.execute(
            f"INSERT INTO {ctx.name}.command_results (event_id, result) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            appended.event_ids[0], json.dumps(decision.result, default=str),
        )
    return appended


async def kept_result(ctx: ServiceContext, event_id: uuid.UUID) -> dict[str, Any] | None:
    """The result kept with a command's first event, if it gave one."""
    kept = await ctx.pool.fetchval(f"SELECT result FROM {ctx.name}.command_results WHERE event_id = $1", event_id)
    return (json.loads(kept) if isinstance(kept, str) else kept) or None


@dataclass(frozen=True)
class _Subject:
    """A request subject of the service: how it is answered (`requests.Answering`) and how
    AsyncAPI documents it (`documented`'s annotations name the payload; it is never called)."""

    answered: requests.Answered
    title: str
    description: str | None
    documented: Callable[..., Awaitable[Any]]


def request_subjects(service: Service, ctx_ref: dict[str, ServiceContext]) -> list[_Subject]:
    """Every subject the service answers: its commands and queries, the listeners, its log's
    reads (and its kept logs'), its status. Every one is in a queue group (replicas share its
    requests, one answers) but status, which every replica answers."""
    found = [_command(endpoint, ctx_ref) for endpoint in service.commands]
    found += [_query(endpoint, ctx_ref) for endpoint in service.queries]
    found += [_raw(subject, handler, ctx_ref) for subject, handler in service.listeners]
    if service.owns_log:

        async def read_log(ctx: ServiceContext, request: Any) -> dict[str, Any]:
            return await answer_log_request(ctx.store, request)

        found.append(_raw(subjects.log_read_subject(service.name), read_log, ctx_ref, queue=service.name, title=f"{service.name}: read log"))
    found += [_kept_log_read(kept, ctx_ref) for kept in service.kept_logs]

    async def status(_: Any, headers: requests.Headers = None) -> dict[str, Any]:
        ctx = ctx_ref["ctx"]
        state = None
        if service.owns_log:
            async with ctx.pool.acquire() as conn:
                state = await relay_state(conn, ctx.name)
        return {"service": service.name, "head": state.head if state else None, "relay_lag": state.lag if state else None}

    async def documented_status(_: dict[str, Any] | None = None) -> dict[str, Any]:
        raise NotImplementedError  # documentation only

    subject = subjects.status_subject(service.name)
    found.append(_Subject(requests.Answered(subject, None, status), f"{service.name}: status", None, documented_status))
    return found


def build_broker(service: Service, ctx_ref: dict[str, ServiceContext], nats_url: str) -> NatsBroker:
    """A FastStream broker with the service's request subjects, for their AsyncAPI document only:
    the service answers them with nats-py (`requests.Answering`), FastStream's dispatch costing
    about a fifth of the registry's request work (issue 21's profile)."""
    broker = NatsBroker(nats_url, logger=None, apply_types=False)
    for each in request_subjects(service, ctx_ref):
        subject, queue = each.answered.subject, each.answered.queue
        options = {"title": each.title} if queue is None else {"queue": queue, "title": each.title, "description": each.description}
        broker.subscriber(subject, **options)(each.documented)
    return broker


def _raw(
    subject: str, handler: RawHandler, ctx_ref: dict[str, ServiceContext], *, queue: str | None = None, title: str | None = None
) -> _Subject:
    async def answer(request: Any, headers: requests.Headers = None) -> dict[str, Any]:
        if isinstance(request, requests.MalformedBody):
            return request.reply()
        try:
            return await handler(ctx_ref["ctx"], request)
        except pydantic.ValidationError as error:
            return _validation_reply(error).model_dump(mode="json")
        except DomainError as error:
            return _error_reply(error).model_dump(mode="json")
        except Exception as error:  # noqa: BLE001 - the caller gets an answer, not a time-out
            return _internal_error(subject, error).model_dump(mode="json")

    async def documented(request: Any) -> dict[str, Any]:
        raise NotImplementedError  # documentation only

    return _Subject(requests.Answered(subject, queue or subject, answer), title or subject, handler.__doc__, documented)


def _kept_log_read(log_name: str, ctx_ref: dict[str, ServiceContext]) -> _Subject:
    async def read_log(ctx: ServiceContext, request: Any) -> dict[str, Any]:
        return await answer_log_request(EventStore(ctx.pool, log_name), request)

    return _raw(subjects.log_read_subject(log_name), read_log, ctx_ref, queue=log_name, title=f"{log_name}: read kept log")


def _internal_error(subject: str, error: Exception) -> Reply:
    # The exception's text may quote personal data: only its type is logged.
    if is_outage(error):  # the database (or the bus) is down: "try again", not a bug
        log.warning("request met an outage", subject=subject, error=type(error).__name__)
        return Reply(ok=False, error=ErrorBody(code="unavailable", message=UNAVAILABLE))
    log.error("request failed", subject=subject, error=type(error).__name__)
    return Reply(
        ok=False,
        error=ErrorBody(code="internal", message="Lỗi hệ thống: yêu cầu chưa được thực hiện; hãy thử lại sau."),
    )


def _endpoint_subject(
    kind: str, endpoint: _Endpoint, answer: Callable[[Any], Awaitable[dict[str, Any]]], ctx_ref: dict[str, ServiceContext]
) -> _Subject:
    """A command's or query's subject: `answer`, its latency and outcome observed
    (ketnap.platform.metrics), inside a span that continues the caller's trace from the request's
    headers (ketnap.platform.tracing); documented with the endpoint's model as its payload."""
    name = endpoint.subject.rsplit(".", 1)[-1]

    async def handle(body: Any, headers: requests.Headers = None) -> dict[str, Any]:
        started = time.perf_counter()
        service = ctx_ref["ctx"].name
        with tracing.span(
            f"{endpoint.subject} process", service, kind=SpanKind.SERVER, carrier=headers,
            **{"messaging.system": "nats", "messaging.destination.name": endpoint.subject, "ketnap.kind": kind},
        ) as current:
            reply = await answer(body)
            if current is not None:
                current.set_attribute("ketnap.outcome", metrics.outcome(reply))
        metrics.observe_request(service, kind, name, reply, time.perf_counter() - started)
        return reply

    async def documented(body: Any) -> dict[str, Any]:
        raise NotImplementedError  # documentation only

    # The payload schema AsyncAPI shows is the endpoint's model; validation stays ours.
    documented.__annotations__ = {"body": endpoint.model, "return": Reply}
    answered = requests.Answered(endpoint.subject, endpoint.subject, handle)
    return _Subject(answered, endpoint.subject, endpoint.description or endpoint.model.__doc__, documented)


def _command(endpoint: _Endpoint, ctx_ref: dict[str, ServiceContext]) -> _Subject:
    async def answer(body: Any) -> dict[str, Any]:
        if isinstance(body, requests.MalformedBody):
            return body.reply()
        try:
            reply = await execute_command(ctx_ref["ctx"], endpoint, body)
        except Exception as error:  # noqa: BLE001 - the caller gets an answer, not a time-out
            reply = _internal_error(endpoint.subject, error)
        return reply.model_dump(mode="json")

    return _endpoint_subject("command", endpoint, answer, ctx_ref)


def _query(endpoint: _Endpoint, ctx_ref: dict[str, ServiceContext]) -> _Subject:
    async def answer(body: Any) -> dict[str, Any]:
        if isinstance(body, requests.MalformedBody):
            return body.reply()
        if nul := nul_errors(body):
            return Reply(ok=False, error=validation_error_body(nul)).model_dump(mode="json")
        try:
            query = endpoint.model.model_validate(body)
            result = await endpoint.handler(ctx_ref["ctx"], query)
        except pydantic.ValidationError as error:
            return _validation_reply(error).model_dump(mode="json")
        except DomainError as error:
            return _error_reply(error).model_dump(mode="json")
        except Exception as error:  # noqa: BLE001 - the caller gets an answer, not a time-out
            return _internal_error(endpoint.subject, error).model_dump(mode="json")
        return Reply(ok=True, result=result if isinstance(result, dict) else {"items": result}).model_dump(mode="json")

    return _endpoint_subject("query", endpoint, answer, ctx_ref)


async def serve(service: Service, settings: Settings, stop: asyncio.Event, *, database_url: str | None = None) -> None:
    """Run one service until `stop` is set: relay, request endpoints, consumers."""
    url = database_url or settings.database_url
    if not url or not settings.nats_url:
        raise RuntimeError("NATS_URL and DATABASE_URL must be set (ketnap up sets them)")
    pool = await create_pool(url)
    nc = await nats.connect(
        settings.nats_url, name=f"ketnap-{service.name}", max_reconnect_attempts=-1, inbox_prefix=subjects.inbox_prefix(settings.nats_url)
    )
    js = nc.jetstream()
    ctx = ServiceContext(service.name, settings, pool, EventStore(pool, service.name), nc, js, tuple(service.projections), url)
    answering = requests.Answering(nc)
    tasks: list[asyncio.Task[None]] = []
    background: list[asyncio.Task[None]] = []
    closing = asyncio.Event()
    anchorer: Anchorer | None = None
    metrics_server: Any | None = None
    try:
        await answering.start(each.answered for each in request_subjects(service, {"ctx": ctx}))
        if service.owns_log:
            relay = Relay(ctx.store, js, service.name, settings.deployment_id)
            tasks.append(asyncio.create_task(relay.run(stop), name=f"{service.name}.relay"))
            key = load_or_create_key(settings.signing_key_file(service.name))
            anchorer = Anchorer(pool, js, service.name, settings.deployment_id, key)
            tasks.append(asyncio.create_task(anchorer.run(stop, settings.anchor_interval_seconds), name=f"{service.name}.anchor"))
        for kept in service.kept_logs:
            relay = Relay(EventStore(pool, kept), js, kept, settings.deployment_id, origin=service.kept_origins.get(kept))
            ctx.kept_relays[kept] = relay
            tasks.append(asyncio.create_task(relay.run(stop), name=f"{kept}.relay"))
        turns: dict[str, asyncio.Lock] = {}
        for durable in service.durables:
            members = [(spec, factory(ctx)) for spec, factory in service.consumers if spec.durable == durable]
            runner = ConsumerRunner(
                pool=pool, schema=service.name, nc=nc, js=js, spec=durable, members=members, deployment=settings.deployment_id, turns=turns,
            )
            tasks.append(asyncio.create_task(runner.run(stop), name=f"{durable.name} {durable.source}"))
        for checked in ([service.name] if service.owns_log else []) + list(service.kept_logs):
            watch = ChainWatch(pool, service.name, checked, settings.chain_check_interval_seconds)
            tasks.append(asyncio.create_task(watch.run(stop), name=f"{checked}.chain_check"))
        if settings.metrics_port:
            metrics_server = metrics.serve_metrics(settings.metrics_port, settings.metrics_host)
            logs = ([service.name] if service.owns_log else []) + list(service.kept_logs)
            tasks.append(asyncio.create_task(
                metrics.watch(pool, js, service.name, settings.deployment_id, logs, service.durables, stop), name=f"{service.name}.metrics"
            ))
        if settings.heartbeat_file is not None:
            tasks.append(asyncio.create_task(heartbeat.beat(settings.heartbeat_file, nc, pool, stop), name=f"{service.name}.heartbeat"))
        for name, run in service.background:
            background.append(asyncio.create_task(run(ctx, closing), name=f"{service.name}.{name}"))
        tasks.extend(background)
        log.info("service started", consumers=len(service.consumers), commands=len(service.commands))
        await _until_stopped(stop, tasks)
    finally:
        # Background tasks finish first (an HTTP server answers its open requests), while the
        # bus and the database they use are still there.
        closing.set()
        if pending := [t for t in background if not t.done()]:
            await asyncio.wait(pending, timeout=BACKGROUND_GRACE_SECONDS)
        # Then the requests already taken are answered, before what they use goes away.
        await answering.close(REQUEST_GRACE_SECONDS)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if anchorer is not None:
            await _sign_last_head(anchorer)
        await nc.drain()
        await pool.close()
        if metrics_server is not None:
            metrics_server.shutdown()
            metrics_server.server_close()
        log.info("service stopped")


async def _sign_last_head(anchorer: Anchorer) -> None:
    """The head as the service leaves it, signed: a cut or rewrite while it is down shows."""
    try:
        await asyncio.wait_for(anchorer.sign_head(), timeout=5)
    except Exception as error:  # noqa: BLE001 - stopping goes on; the last anchor signed still stands
        log.warning("last log head not signed", error=type(error).__name__)


async def _until_stopped(stop: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    """Wait for `stop`; a relay or consumer task that ends on its own is a bug: stop the process
    loudly so its supervisor (`ketnap up`, the container runtime) starts it again."""
    stopping = asyncio.ensure_future(stop.wait())
    try:
        while not stop.is_set():
            done, _ = await asyncio.wait([stopping, *tasks], return_when=asyncio.FIRST_COMPLETED)
            ended = [t for t in done if t is not stopping]
            if ended and not stop.is_set():
                error = ended[0].exception() if not ended[0].cancelled() else None
                log.error("a background task ended; stopping the service", task=ended[0].get_name(), error=repr(error))
                raise RuntimeError(f"background task {ended[0].get_name()} ended") from error
    finally:
        stopping.cancel()


def run_service(service: Service) -> None:
    """Entry point of `python -m services.<name>`: runs until SIGTERM or Ctrl-C."""
    settings = Settings.from_env()
    configure_logging(settings.log_format, settings.log_level, service=service.name)
    tracing.configure(settings.traces_exporters, service.name)
    # Everything imported so far lives as long as the process: kept out of the collector's full
    # walks, which otherwise go over the whole import-time heap while events are built (a NewEvent
    # cost up to twice as much with it: docs/platform.md, perf-log2).
    gc.freeze()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await serve(service, settings, stop)

    try:
        try:
            import uvloop  # not on every platform (pyproject.toml)
        except ImportError:
            asyncio.run(main())
        else:
            uvloop.run(main())
    finally:
        tracing.shutdown()  # the spans still buffered are exported before the process ends
