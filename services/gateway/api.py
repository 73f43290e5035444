"""The HTTP API: one POST route per command and query of ketnap.services.gateway.access's table.

Every request goes the same way: who is asking (bearer token, read from the gateway's log), may
their role send this, is the body a JSON object of the right shape (the service's own model, less
the fields the gateway fills), does everything it names lie in their subtree (scope.py), then one
NATS request to the service, whose reply is returned as it came, with the HTTP status its error
code maps to (statuses.py). A refusal before the NATS request means nothing was sent or written.
"""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations, which name
# dependencies built inside `build_app`.

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import Depends, FastAPI, Header, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from nats.aio.client import Client as NatsClient
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ketnap.platform import tracing
from ketnap.platform.bus import requests
from ketnap.platform.commands import DomainError, ErrorBody, InvalidInput, Reply, Unavailable
from ketnap.platform.envelope import EventMetadata
from ketnap.platform.events import DomainEvent
from ketnap.platform.eventstore import EventStore
from ketnap.platform.eventstore.store import ANY_VERSION
from ketnap.platform.fields import labelled
from ketnap.platform.logging import get_logger
from ketnap.platform.outages import UNAVAILABLE, is_outage
from ketnap.platform.service import validation_error_body
from ketnap.services.gateway.access import PERSONAL_READERS
from ketnap.services.gateway.accounts import AccountsCache
from ketnap.services.gateway.answers import keep_answer, kept_answer, request_digest
from ketnap.services.gateway.authentication import authenticate
from ketnap.services.gateway.catalogue import FILLED_BY_GATEWAY, QUERY_FILLED_BY_GATEWAY, Endpoint
from ketnap.services.gateway.reads import names_shown, what_was_read
from ketnap.services.gateway.scope import OPENS_DOSSIER, Directory, Principal, authorise, refuse_role, with_own_organisation
from ketnap.services.gateway.statuses import status_of_code, status_of_reply

log = get_logger(__name__)

BODY_LIMIT_BYTES = 256 * 1024
NESTING_LIMIT = 64
"""Arrays and objects inside one another, at most: no model here nests deeper than a few levels,
and a parser (or a validator walking the value) recurses once per level."""
REQUEST_TIMEOUT_SECONDS = 15.0
REPORT_TIMEOUT_SECONDS = 300.0
"""A report as of a past date rebuilds projections first (operations/reports.py)."""
INTERNAL = "Lỗi hệ thống: yêu cầu chưa được thực hiện; hãy thử lại sau."


@dataclass
class Gateway:
    """What the routes use: the gateway's own log, the bus, and the names the services answer to."""

    store: EventStore
    nc: NatsClient
    directory: Directory
    names: Mapping[str, str]
    """Service name in the table and paths -> the name its subjects use (the same, except in tests)."""
    now: Callable[[], datetime]
    accounts: AccountsCache = field(default_factory=AccountsCache)
    """Tokens and users as authentication last read them; the gateway's own commands empty it."""
    body_limit: int = BODY_LIMIT_BYTES


class TooLarge(DomainError):
    code = "too_large"


class BadRequest(DomainError):
    """The request itself is incomplete (a required header missing or malformed): 400."""

    code = "bad_request"


IDEMPOTENCY_KEY = "Idempotency-Key"


def missing_key(errors: list[Any]) -> BadRequest | None:
    """A command without a well-formed Idempotency-Key header is 400 naming the header, as the IETF
    draft (httpapi-idempotency-key-header) suggests: the request is incomplete, not its data wrong."""
    if any(tuple(e["loc"][:2]) == ("header", IDEMPOTENCY_KEY) for e in errors):
        return BadRequest(
            f"Thiếu hoặc sai tiêu đề {IDEMPOTENCY_KEY}: mỗi lệnh ghi cần một khóa chống trùng lặp dài 8–128 ký tự.",
            header=IDEMPOTENCY_KEY,
        )
    return None


def failure(error: ErrorBody) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if error.code == "unauthenticated" else None
    return JSONResponse(Reply(ok=False, error=error).model_dump(mode="json"), status_code=status_of_code(error.code), headers=headers)


def own_key(login: str, key: str) -> str:
    """The key the service sees: scoped to the user, so two users who pick the same key never
    get each other's answer (event ids derive from it)."""
    return hashlib.sha256(f"{login}\n{key}".encode()).hexdigest()


async def read_object(request: Request, limit: int) -> dict[str, Any]:
    """The body as a JSON object; an empty body is `{}`."""
    too_large = TooLarge(f"Thân yêu cầu quá lớn: tối đa {limit // 1024} KiB.", limit_bytes=limit)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise too_large
    if not raw.strip():
        return {}
    if nesting_depth(raw) > NESTING_LIMIT:
        raise InvalidInput(f"Thân yêu cầu lồng nhau quá sâu: tối đa {NESTING_LIMIT} cấp mảng và đối tượng.", limit=NESTING_LIMIT)
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise InvalidInput("Thân yêu cầu không phải JSON hợp lệ: phải mã hóa UTF-8.") from None
    except json.JSONDecodeError as error:
        raise InvalidInput(f"Thân yêu cầu không phải JSON hợp lệ (dòng {error.lineno}, cột {error.colno}).") from None
    except ValueError:
        raise InvalidInput("Thân yêu cầu không phải JSON hợp lệ: NaN và Infinity không phải số JSON.") from None
    if not isinstance(value, dict):
        raise InvalidInput("Thân yêu cầu phải là một đối tượng JSON: {\"tên trường\": giá trị, ...}.")
    return value


def nesting_depth(raw: bytes | bytearray) -> int:
    """How deep arrays and objects nest in a JSON text, counted before parsing it (brackets inside
    strings do not count): json.loads recurses once per level and fails on thousands."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _no_constant(name: str) -> Any:
    raise ValueError(name)  # NaN, Infinity: not JSON


def validated(model: type[BaseModel], body: Mapping[str, Any]) -> BaseModel:
    """The service's own model, checked here too so the scope check reads typed, normalised values."""
    try:
        return model.model_validate(body)
    except ValidationError as error:
        refusal = validation_error_body(error.errors(include_url=False, include_input=False))
        raise InvalidInput(refusal.message, **refusal.details) from None


def values_of(model: BaseModel) -> dict[str, Any]:
    return {name: getattr(model, name) for name in type(model).model_fields}


async def send_command(gateway: Gateway, endpoint: Endpoint, user: Principal, key: str, request: Request) -> JSONResponse:
    if refusal := refuse_role(endpoint.access, user.role, endpoint.what):  # before reading a body it may not send
        raise refusal
    reply = await command_reply(gateway, endpoint, user, key, await read_object(request, gateway.body_limit))
    return JSONResponse(reply, status_code=status_of_reply(reply))


async def command_reply(gateway: Gateway, endpoint: Endpoint, user: Principal, key: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """A command as `user` sends it, whoever carries it here (an API route, a web form): the role,
    the fields only the gateway fills, the answer kept for this key if it is a retry (answers.py),
    the service's model, the scope, then one NATS request, whose successful answer is kept.
    A refusal before the request raises its `DomainError`: nothing was sent or written."""
    if refusal := refuse_role(endpoint.access, user.role, endpoint.what):
        raise refusal
    if filled := [name for name in FILLED_BY_GATEWAY if name in body]:
        raise InvalidInput(
            f"Trường {labelled(filled)} do hệ thống điền (từ tiêu đề Idempotency-Key và mã truy cập); không gửi trong thân lệnh.",
            fields=filled,
        )
    owned = own_key(user.login, key)
    request = request_digest(endpoint.what, body)
    # A retry gets its first answer, whatever happened since and whatever the checks say now; the
    # kept answer is looked up while the scope is checked (each a round trip, issue 21).
    kept = asyncio.ensure_future(kept_answer(gateway.store.pool, gateway.store.schema, owned, request, gateway.now()))
    message = {**body, "idempotency_key": owned, "actor": user.login, "scope": user.organisation}
    spelled: dict[str, str] = {}
    try:
        command = validated(endpoint.model, message)
        await authorise(
            user, endpoint.access, values_of(command), gateway.directory, opens_dossier=endpoint.key in OPENS_DOSSIER, spelled=spelled,
        )
    except asyncio.CancelledError:
        kept.cancel()
        raise
    except Exception:
        if answer := await kept:
            return answer[1]
        raise
    if answer := await kept:
        return answer[1]
    message = {**message, **spelled}  # a unit typed in another case is sent as the registry stores it
    reply = await requests.command(gateway.nc, gateway.names[endpoint.service], endpoint.name, message, timeout=REQUEST_TIMEOUT_SECONDS)
    if endpoint.key in OPENS_DOSSIER and reply.get("ok") and message.get("dossier_id"):
        gateway.directory.opened(str(message["dossier_id"]), spelled.get("cell") or values_of(command)["cell"])  # as stored, stripped
    await keep_answer(gateway.store.pool, gateway.store.schema, owned, endpoint.what, request, status_of_reply(reply), reply, gateway.now())
    return reply


async def send_query(gateway: Gateway, endpoint: Endpoint, user: Principal, request: Request) -> JSONResponse:
    if refusal := refuse_role(endpoint.access, user.role, endpoint.what):  # before reading a body it may not send
        raise refusal
    reply = await query_reply(gateway, endpoint, user, await read_object(request, gateway.body_limit))
    return JSONResponse(reply, status_code=status_of_reply(reply))


async def query_reply(gateway: Gateway, endpoint: Endpoint, user: Principal, body: Mapping[str, Any]) -> dict[str, Any]:
    """A query as `user` asks it, whoever carries it here: the role, the user's own organisation
    where the query names none, the model, the scope, one NATS request, and the record of a
    personal read before the answer leaves."""
    if refusal := refuse_role(endpoint.access, user.role, endpoint.what):
        raise refusal
    if filled := [name for name in QUERY_FILLED_BY_GATEWAY if name in body]:
        raise InvalidInput(f"Trường {labelled(filled)} do hệ thống điền (theo vai trò của người dùng); không gửi trong thân truy vấn.",
                           fields=filled)
    optional = {name for name, field in endpoint.model.model_fields.items() if not field.is_required()}
    body = with_own_organisation(endpoint.access, body, user.organisation, optional)
    if "names" in endpoint.model.model_fields:  # a report names applicants only to those who may read personal data
        body = {**body, "names": user.role in PERSONAL_READERS}
    query = validated(endpoint.model, body)
    spelled: dict[str, str] = {}
    cells = await authorise(user, endpoint.access, values_of(query), gateway.directory, spelled=spelled)
    body = {**body, **spelled}  # a unit typed in another case is asked about as the registry stores it
    timeout = REPORT_TIMEOUT_SECONDS if endpoint.service == "reporting" else REQUEST_TIMEOUT_SECONDS
    reply = await requests.query(gateway.nc, gateway.names[endpoint.service], endpoint.name, body, timeout=timeout)
    if reply.get("ok") and (endpoint.access.personal or names_shown(reply)):
        await record_read(gateway, user, endpoint, *what_was_read(user, endpoint.what, query, cells, reply))
    return reply


async def record_read(gateway: Gateway, user: Principal, endpoint: Endpoint, stream_id: str, event: DomainEvent) -> None:
    """The read is on the log before the data leaves; if it cannot be written, the data does not leave."""
    try:
        metadata = EventMetadata(actor=user.login, organisation=user.organisation)
        await gateway.store.append(stream_id, ANY_VERSION, [event.to_new_event()], metadata)
    except Exception as error:
        log.error("personal read not recorded; answer withheld", route=endpoint.what, error=type(error).__name__)
        raise Unavailable("Không ghi được nhật ký đọc hồ sơ nên chưa trả dữ liệu; hãy thử lại sau.") from None


async def _guarded(endpoint: Endpoint, work: Awaitable[Response]) -> Response:
    try:
        return await work
    except DomainError as refusal:
        log.info("request refused", route=endpoint.what, code=refusal.code)
        return failure(refusal.body())
    except Exception as error:  # the user gets an answer; the log gets the type only (values may be personal)
        if is_outage(error):  # PostgreSQL or NATS down or restarting: "try again", not a bug
            log.warning("request met an outage", route=endpoint.what, error=type(error).__name__)
            return failure(ErrorBody(code="unavailable", message=UNAVAILABLE))
        log.error("request failed", route=endpoint.what, error=type(error).__name__)
        return failure(ErrorBody(code="internal", message=INTERNAL))


RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": Reply, "description": "Thành công: `{ok: true, stream_id, stream_version, event_ids, result}`"},
    400: {"model": Reply, "description": "`bad_request`: thiếu hoặc sai tiêu đề Idempotency-Key (lệnh ghi)"},
    401: {"model": Reply, "description": "`unauthenticated`: thiếu, sai, đã thu hồi hoặc hết hạn mã truy cập"},
    403: {"model": Reply, "description": "`forbidden`: vai trò không được phép, hoặc ngoài phạm vi tổ chức"},
    404: {"model": Reply, "description": "`not_found`"},
    409: {"model": Reply, "description": "`conflict`: hồ sơ vừa được người khác cập nhật (expected_version)"},
    413: {"model": Reply, "description": f"`too_large`: thân yêu cầu quá {BODY_LIMIT_BYTES // 1024} KiB"},
    422: {"model": Reply, "description": "`validation` hoặc `rule:<MÃ>`: dữ liệu sai hoặc trái quy định"},
    503: {"model": Reply, "description": "`unavailable`: dịch vụ không trả lời; chưa có gì được ghi, hãy thử lại"},
}

DESCRIPTION = """API của Ketnap: mỗi lệnh (`/api/v1/{dịch vụ}/commands/{lệnh}`) và mỗi truy vấn
(`/api/v1/{dịch vụ}/queries/{truy vấn}`) là một đường dẫn POST với thân JSON.

- Xác thực: `Authorization: Bearer <mã truy cập>` (cấp bằng `ketnap users token`).
- Lệnh ghi cần tiêu đề `Idempotency-Key` (8–128 ký tự); thiếu hoặc sai: 400 `bad_request`. Gửi lại cùng khóa
  thì nhận lại đúng câu trả lời lần đầu.
- Trả lời: `{ok, stream_id, stream_version, event_ids, result}` hoặc `{ok: false, error: {code, message, details}}`;
  mã lỗi → HTTP: `bad_request` 400; `validation`, `rule:*` 422; `conflict` 409; `forbidden` 403; `not_found` 404;
  `unauthenticated` 401; `too_large` 413; `unavailable` 503; `internal` 500.

Xem docs/gateway.md."""


def build_app(gateway: Gateway, endpoints: list[Endpoint]) -> FastAPI:
    # /docs is served by the web application from vendored Swagger UI files (web/app.py): no CDN.
    # Traced by FastAPI itself when the process traces (ketnap.platform.tracing).
    app = FastAPI(
        title="Ketnap API", version="1", description=DESCRIPTION, docs_url=None, redoc_url=None, openapi_url="/openapi.json",
        telemetry=tracing.fastapi_telemetry(),
    )
    bearer = HTTPBearer(auto_error=False, scheme_name="token", description="`Authorization: Bearer ketnap.<id>.<bí mật>`")

    async def principal(credentials: HTTPAuthorizationCredentials | None = Security(bearer)) -> Principal:
        try:
            return await authenticate(gateway.store, gateway.accounts, credentials.credentials if credentials else None, gateway.now())
        except DomainError:
            raise
        except Exception as error:
            log.error("authentication failed", error=type(error).__name__)
            raise Unavailable("Không kiểm tra được mã truy cập lúc này; hãy thử lại sau.") from None

    for endpoint in endpoints:
        handle = _command_handler(gateway, endpoint, principal) if endpoint.kind == "command" else _query_handler(gateway, endpoint, principal)
        app.add_api_route(
            endpoint.path, handle, methods=["POST"], name=endpoint.what, operation_id=f"{endpoint.service}_{endpoint.name}",
            summary=(endpoint.doc.strip().splitlines() or [endpoint.what])[0], description=endpoint.description(),
            tags=[endpoint.service], responses=RESPONSES, response_class=JSONResponse,
            openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{endpoint.schema_name}"}}}}},
        )

    # The gateway's own job of taking over paper dossiers, beside the services' routes (imported
    # here: it builds on this module).
    from ketnap.services.gateway import paper_api

    if any(endpoint.key == ("dossiers", "take_over_dossier") for endpoint in endpoints):
        paper_api.mount(app, gateway, endpoints, principal)

    @app.get("/healthz", tags=["gateway"], summary="Gateway is serving")
    async def healthz() -> dict[str, bool]:
        return {"ok": True}

    @app.exception_handler(DomainError)
    async def refused(_: Request, error: DomainError) -> JSONResponse:
        return failure(error.body())

    @app.exception_handler(RequestValidationError)
    async def malformed(_: Request, error: RequestValidationError) -> JSONResponse:
        if refusal := missing_key(list(error.errors())):
            return failure(refusal.body())
        return failure(validation_error_body(error.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def no_route(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 405:
            return failure(ErrorBody(code="method_not_allowed", message="Phương thức không được hỗ trợ: dùng POST với thân JSON."))
        if error.status_code == 404:
            return failure(ErrorBody(code="not_found", message=f"Không có đường dẫn {request.url.path}; xem /docs."))
        return JSONResponse(Reply(ok=False, error=ErrorBody(code="internal", message=INTERNAL)).model_dump(mode="json"), status_code=error.status_code)

    app.openapi = _openapi(app, endpoints)  # type: ignore[method-assign]
    return app


def _command_handler(gateway: Gateway, endpoint: Endpoint, principal: Callable[..., Awaitable[Principal]]) -> Callable[..., Awaitable[Response]]:
    async def handle(
        request: Request,
        user: Principal = Depends(principal),
        idempotency_key: str = Header(
            alias=IDEMPOTENCY_KEY, min_length=8, max_length=128,
            description="Khóa chống trùng lặp: gửi lại cùng khóa (cùng người dùng) thì lệnh chỉ có một tác dụng.",
        ),
    ) -> Response:
        return await _guarded(endpoint, send_command(gateway, endpoint, user, idempotency_key, request))

    return handle


def _query_handler(gateway: Gateway, endpoint: Endpoint, principal: Callable[..., Awaitable[Principal]]) -> Callable[..., Awaitable[Response]]:
    async def handle(request: Request, user: Principal = Depends(principal)) -> Response:
        return await _guarded(endpoint, send_query(gateway, endpoint, user, request))

    return handle


def _openapi(app: FastAPI, endpoints: list[Endpoint]) -> Callable[[], dict[str, Any]]:
    """FastAPI's document, plus each route's body schema from the service's model."""

    def document() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for endpoint in endpoints:
            body, referred = endpoint.body_schema()
            components.update(referred)
            components[endpoint.schema_name] = body
        from ketnap.services.gateway import paper_api  # builds on this module

        components.update(paper_api.schemas())
        app.openapi_schema = schema
        return schema

    return document
