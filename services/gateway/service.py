"""The gateway (cổng API): its log of users, tokens, sessions and personal reads; its NATS commands;
and the HTTP API with the staff web application (web/), served by the same process (server.py).

`build_service` takes the names of the other services' subjects and where to listen, so tests run
it beside services on fresh schemas and on a free port.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime

from fastapi import FastAPI
from prometheus_fastapi_instrumentator import Instrumentator
from prometheus_fastapi_instrumentator import metrics as metrics_info

from ketnap.domain.calendar import today_in_vietnam
from ketnap.platform import metrics
from ketnap.platform.logging import get_logger
from ketnap.platform.service import Service, ServiceContext
from ketnap.services.gateway import answers, handlers
from ketnap.services.gateway.access import LINKED_ONLY
from ketnap.services.gateway.accounts import AccountsCache
from ketnap.services.gateway.api import Gateway, build_app
from ketnap.services.gateway.catalogue import catalogue
from ketnap.services.gateway.directory import BusDirectory
from ketnap.services.gateway.events import EVENTS
from ketnap.services.gateway.listing import Accounts
from ketnap.services.gateway.server import Listener, serve_http
from ketnap.services.gateway.web.app import mount_web

FORGET_EVERY_SECONDS = 3600
"""How often answers older than 7 days are dropped from `kept_answers` (answers.py); until then
they are no longer given anyway."""

log = get_logger(__name__)

SERVICES = ("registry", "dossiers", "verification", "voting", "reporting")


def utc_now() -> datetime:
    return datetime.now(UTC)


def instrument(app: FastAPI, service: str) -> None:
    """Every HTTP request observed by route template (`none` for a path no route matches, so a
    scan of random paths cannot grow the metrics), method and status (ketnap.platform.metrics)."""

    def observe(info: metrics_info.Info) -> None:
        metrics.HTTP_REQUESTS.labels(service, info.modified_handler, info.method, info.modified_status).observe(info.modified_duration)

    Instrumentator(should_group_status_codes=False).add(observe).instrument(app)


def build_service(
    name: str = "gateway",
    services: Mapping[str, str] | None = None,
    *,
    listener: Listener | None = None,
    today: Callable[[], date] = today_in_vietnam,
    now: Callable[[], datetime] = utc_now,
) -> Service:
    """`services` maps a service's name in paths and ketnap.services.gateway.access to the name its subjects use;
    `listener` overrides the settings' KETNAP_GATEWAY_HOST and KETNAP_GATEWAY_PORT."""
    names = {s: s for s in (*SERVICES, *LINKED_ONLY)} | dict(services or {}) | {"gateway": name}
    service = Service(name, events=EVENTS, tables={answers.TABLE: answers.COLUMNS}, upgrades=[answers.copy_from_log(name)])
    accounts = Accounts(name)
    service.add_projection(accounts)
    known = AccountsCache()  # shared by the commands that change accounts and the HTTP API that reads them
    handlers.register(service, handlers.Deps(names["registry"], names["dossiers"], today, now), accounts, known)

    async def http(ctx: ServiceContext, closing) -> None:
        from ketnap.services import all_services  # every service's models; imported once all are

        gateway = Gateway(ctx.store, ctx.nc, BusDirectory(ctx.nc, names["registry"], names["dossiers"], today), names, now, known)
        where = listener or Listener(ctx.settings.gateway_host, ctx.settings.gateway_port)
        endpoints = catalogue(all_services(ctx.settings))
        app = build_app(gateway, endpoints)
        mount_web(app, gateway, endpoints)
        instrument(app, ctx.name)
        await serve_http(app, where, closing)

    async def forget_expired_answers(ctx: ServiceContext, closing: asyncio.Event) -> None:
        while not closing.is_set():
            try:
                await answers.forget_expired(ctx.pool, ctx.name, now())
            except Exception as error:  # noqa: BLE001 - an old answer left one more hour is harmless
                log.warning("expired answers not dropped", error=type(error).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(closing.wait(), FORGET_EVERY_SECONDS)

    service.add_background("http", http)
    service.add_background("answers", forget_expired_answers)
    return service


service = build_service()
