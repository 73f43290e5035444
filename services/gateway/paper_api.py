"""The HTTP API's take-over of dossiers begun on paper (issue 18): a system sends a file (.xlsx in
base64, or CSV text, as `registry.import_records` carries it) and gets 202 with the id of the job
the web's import page starts too (`paper_jobs`, one code path); it then reads the job's state.

As every command: a bearer token, the role and scope of the access table (`GATEWAY_JOBS`), an
`Idempotency-Key` whose retry gets the first answer (the same job, never a second one) kept as the
services' answers are (answers.py). The job is its starter's own: another login reads 404.
The file holds dossier rows only: the registry's rows (cells, members) go to `import_records` first.
"""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations.

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Literal

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from ketnap.domain.spreadsheet import records_of
from ketnap.platform.commands import DomainError, ErrorBody, InvalidInput, NotFound
from ketnap.platform.logging import get_logger
from ketnap.platform.outages import UNAVAILABLE, is_outage
from ketnap.services.gateway import paper_jobs
from ketnap.services.gateway.access import GATEWAY_JOBS, ROLE_TITLES
from ketnap.services.gateway.answers import keep_answer, kept_answer, request_digest
from ketnap.services.gateway.api import IDEMPOTENCY_KEY, INTERNAL, RESPONSES, Gateway, failure, own_key, read_object, validated, values_of
from ketnap.services.gateway.catalogue import Endpoint
from ketnap.services.gateway.scope import Principal, authorise, refuse_role
from ketnap.services.gateway.web.organisation.spreadsheet import NotReadable, Upload

log = get_logger(__name__)

TAKE_OVER = ("gateway", "take_over_paper_dossiers")
STATE = ("gateway", "paper_take_over")


class TakeOverPaperDossiers(BaseModel):
    """Tiếp nhận các hồ sơ đang làm trên giấy từ một tệp (Excel .xlsx mã hóa base64, hoặc CSV): mọi dòng được
    các dịch vụ xét trọn các bước; chỉ ghi khi không dòng nào bị từ chối (tất cả hoặc không gì cả). Trả lời 202
    với mã lượt nhập (`job_id`); đọc kết quả bằng `gateway/queries/paper_take_over`."""

    model_config = ConfigDict(extra="forbid")

    organisation: str = Field(min_length=1, max_length=64, description="tổ chức nhập tệp (như trang nhập của ứng dụng web)")
    file_name: str = Field(min_length=1, max_length=200, pattern=r"(?i)\.(xlsx|csv)$", description="tên tệp: .xlsx hoặc .csv")
    content: str = Field(min_length=1, max_length=512 * 1024, description="nội dung tệp: base64 (Excel) hoặc văn bản UTF-8 (CSV)")
    encoding: Literal["utf-8", "base64"] = Field(default="base64", description="cách ghi `content`")
    dry_run: bool = Field(default=True, description="chỉ xét, không ghi")


class PaperTakeOver(BaseModel):
    """Trạng thái một lượt tiếp nhận hồ sơ giấy: số dòng đã xét, đã ghi, tổng số; mọi lỗi (dòng, cột theo tiêu đề
    của tệp, lý do, mã quy định); xong hay chưa. Chỉ người bắt đầu lượt nhập mới đọc được."""

    model_config = ConfigDict(extra="forbid")

    job_id: str = Field(min_length=1, max_length=64)


def mount(app: FastAPI, gateway: Gateway, endpoints: list[Endpoint], principal: Callable[..., Awaitable[Principal]]) -> None:
    """The two routes, each row judged with `take_over` (the access table's `dossiers.take_over_dossier`)."""
    take_over = next(e for e in endpoints if e.key == ("dossiers", "take_over_dossier"))
    start_access, state_access = GATEWAY_JOBS[TAKE_OVER], GATEWAY_JOBS[STATE]

    async def start(
        request: Request,
        user: Principal = Depends(principal),
        idempotency_key: str = Header(alias=IDEMPOTENCY_KEY, min_length=8, max_length=128,
                                      description="Khóa chống trùng lặp: gửi lại cùng khóa thì nhận lại cùng lượt nhập."),
    ) -> Response:
        try:
            if refusal := refuse_role(start_access, user.role, ".".join(TAKE_OVER)):
                raise refusal
            body = await read_object(request, gateway.body_limit * 3)  # a file in base64 is a third larger
            owned, digest = own_key(user.login, idempotency_key), request_digest(".".join(TAKE_OVER), body)
            async with one_at_a_time(owned):
                return await started(user, owned, digest, body)
        except DomainError as refusal:
            log.info("request refused", route=".".join(TAKE_OVER), code=refusal.code)
            return failure(refusal.body())
        except Exception as error:  # noqa: BLE001 - as every route (api._guarded): an answer, the type only in the log
            return _failed(".".join(TAKE_OVER), error)

    async def started(user: Principal, owned: str, digest: str, body: dict[str, Any]) -> Response:
        """The job of this key: the one kept for it, or a new one (the caller holds the key's turn)."""
        if kept := await kept_answer(gateway.store.pool, gateway.store.schema, owned, digest, gateway.now()):
            return JSONResponse(kept[1], status_code=kept[0])
        sent = validated(TakeOverPaperDossiers, body)
        assert isinstance(sent, TakeOverPaperDossiers)
        spelled: dict[str, str] = {}
        await authorise(user, start_access, values_of(sent), gateway.directory, spelled=spelled)
        raw = _raw(sent)
        if unreadable := records_of(raw, sent.file_name)[1]:  # not a spreadsheet at all: say why, not "registry rows"
            raise InvalidInput(unreadable[0].reason, field="content")
        if paper_jobs.has_registry_rows(raw, sent.file_name) or not paper_jobs.has_dossier_rows(raw, sent.file_name):
            raise InvalidInput("Tệp chỉ được có các dòng hồ sơ đang làm và người thân; các dòng tổ chức, đảng viên "
                               "hãy nhập trước bằng lệnh registry/import_records.", field="content")
        job = paper_jobs.start(gateway, user, take_over, spelled.get("organisation", sent.organisation), sent.file_name, raw,
                               writing=not sent.dry_run)
        answer = {"ok": True, "result": {"job_id": job.id, "dry_run": sent.dry_run}}
        await keep_answer(gateway.store.pool, gateway.store.schema, owned, ".".join(TAKE_OVER), digest, 202, answer, gateway.now())
        return JSONResponse(answer, status_code=202)

    async def state(request: Request, user: Principal = Depends(principal)) -> Response:
        try:
            if refusal := refuse_role(state_access, user.role, ".".join(STATE)):
                raise refusal
            asked = validated(PaperTakeOver, await read_object(request, gateway.body_limit))
            assert isinstance(asked, PaperTakeOver)
            job = paper_jobs.job_of(asked.job_id, user.login)
            if job is None:
                raise NotFound("Không có lượt nhập này (đã quá lâu hoặc của người khác); hãy gửi lại tệp.", job_id=asked.job_id)
            return JSONResponse({"ok": True, "result": job.state()})
        except DomainError as refusal:
            log.info("request refused", route=".".join(STATE), code=refusal.code)
            return failure(refusal.body())
        except Exception as error:  # noqa: BLE001
            return _failed(".".join(STATE), error)

    for (service, name), model, handle, kind in (
        (TAKE_OVER, TakeOverPaperDossiers, start, "commands"), (STATE, PaperTakeOver, state, "queries"),
    ):
        access = GATEWAY_JOBS[(service, name)]
        roles = ", ".join(f"{ROLE_TITLES[r]} (`{r.value}`)" for r in access.roles)
        doc = (model.__doc__ or "").strip()
        app.add_api_route(
            f"/api/v1/{service}/{kind}/{name}", handle, methods=["POST"], name=f"{service}.{name}", operation_id=f"{service}_{name}",
            summary=doc.splitlines()[0], description=f"{doc}\n\n**Vai trò được phép:** {roles}.", tags=[service],
            responses={**RESPONSES, **({202: {"description": "Đã bắt đầu lượt nhập: `{ok: true, result: {job_id, dry_run}}`"}}
                                        if kind == "commands" else {})},
            response_class=JSONResponse,
            openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{schema_name(service, kind, name)}"}}}}},
        )


_TURNS: dict[str, tuple[asyncio.Lock, int]] = {}


@asynccontextmanager
async def one_at_a_time(owned_key: str) -> AsyncIterator[None]:
    """One request of a key at a time in this gateway: two sent at once (a double click, a client's
    retry before the first answer) would both find no kept answer and start two jobs. The second
    waits, then finds the first's answer kept (jobs live in the gateway's one process: paper_jobs.py)."""
    lock, users = _TURNS.get(owned_key, (asyncio.Lock(), 0))
    _TURNS[owned_key] = (lock, users + 1)
    try:
        async with lock:
            yield
    finally:
        lock, users = _TURNS[owned_key]
        if users == 1:
            del _TURNS[owned_key]
        else:
            _TURNS[owned_key] = (lock, users - 1)


def schema_name(service: str, kind: str, name: str) -> str:
    """Named as the services' bodies are (`catalogue.Endpoint.schema_name`)."""
    return f"{service}.{'command' if kind == 'commands' else 'query'}.{name}"


def schemas() -> dict[str, dict[str, Any]]:
    """The two bodies' schemas, for the OpenAPI document's components (api.py)."""
    return {schema_name(TAKE_OVER[0], "commands", TAKE_OVER[1]): TakeOverPaperDossiers.model_json_schema(),
            schema_name(STATE[0], "queries", STATE[1]): PaperTakeOver.model_json_schema()}


def _failed(route: str, error: Exception) -> Response:
    if is_outage(error):  # PostgreSQL or NATS down or restarting: "try again", not a bug
        log.warning("request met an outage", route=route, error=type(error).__name__)
        return failure(ErrorBody(code="unavailable", message=UNAVAILABLE))
    log.error("request failed", route=route, error=type(error).__name__)
    return failure(ErrorBody(code="internal", message=INTERNAL))


def _raw(sent: TakeOverPaperDossiers) -> bytes:
    try:
        return Upload(sent.content, sent.encoding).raw()
    except NotReadable as error:
        raise InvalidInput(str(error), field="content") from None
