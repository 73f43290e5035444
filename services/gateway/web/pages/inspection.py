"""Kiểm tra: the integrity alarms of every service (who acknowledged each, when and why; an
administrator acknowledges one with a reason) and a dossier's whole timeline across services with
each event's log, position, hash and rule set (`reporting.audit_history`).

Everything goes through `Web.ask` / `Web.send`: the access table decides who reads the alarms
(administrator, inspector) and who acknowledges them (administrator); the scope check decides which
dossiers' timelines a person may read.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import Response

from ketnap.platform.commands import DomainError
from ketnap.services.gateway.access import ALARMED_SERVICES, QUERIES, VERIFIED_LOGS
from ketnap.services.gateway.web.page import MenuItem, SignedIn, Web, pages, redirect, render, signed_in, web_of
from ketnap.services.gateway.web.pages.links import may_read_links
from ketnap.services.gateway.web.system_words import SERVICE_TITLES, SystemWords, organisation_title, people, recorder

router = pages()

INSPECTION_PATH = "/kiem-tra"
MENU = [MenuItem("Kiểm tra", INSPECTION_PATH, roles=QUERIES[("registry", "integrity_alarms")].roles, order=60)]

REASON_MIN = 5
"""A reason says what was looked at; a word or two says nothing."""


async def alarms_of(web: Web, who: SignedIn) -> tuple[list[dict[str, Any]], list[str]]:
    """Every service's alarms, acknowledged ones too (newest first); and the services that did not answer."""
    found: list[dict[str, Any]] = []
    silent: list[str] = []
    words = SystemWords(web.gateway.names)
    for service in ALARMED_SERVICES:
        if ("query", service, "integrity_alarms") not in web.endpoints:  # the federation service of a deployment linked to none
            continue
        try:
            result = await web.ask(who, service, "integrity_alarms", include_acknowledged=True)
        except DomainError as refusal:  # the service's own refusal, or the gateway's when no one answers
            if refusal.code != "unavailable":
                raise
            silent.append(SERVICE_TITLES[service])
            continue
        found += [
            {**alarm, "service": service, "service_title": SERVICE_TITLES[service], "described": words.alarm(alarm)}
            for alarm in result.get("items", [])
        ]
    if acknowledgers := {str(a["acknowledged_by"]) for a in found if a.get("acknowledged_by")}:
        names = await people(web, acknowledgers, await units_known(web, who))
        for alarm in found:
            alarm["acknowledged_by_title"] = recorder(names, alarm.get("acknowledged_by"))
    found.sort(key=lambda a: a["last_seen"], reverse=True)
    found.sort(key=lambda a: a["acknowledged_at"] is not None)  # stable: open ones first, each part newest first
    return found, silent


async def _alarms_page(request: Request, who: SignedIn, status_code: int = 200, problem: dict[str, Any] | None = None) -> Response:
    web = web_of(request)
    alarms, silent = await alarms_of(web, who)
    return await render(
        request, who, "inspection.html", status_code=status_code, alarms=alarms, silent=silent, problem={"alarm": None, "message": None, "reason": "", **(problem or {})},
        may_acknowledge=web.may(who, "command", "registry", "acknowledge_alarm"),
        may_read_timeline=web.may(who, "query", "reporting", "audit_history"), key=str(uuid.uuid4()),
        may_read_links=may_read_links(web, who),
        may_check_logs=may_check_logs(web, who),
    )


def may_check_logs(web: Web, who: SignedIn) -> bool:
    """The access table lets this person's role have every log checked (web/pages/log_check.py)."""
    return all(web.may(who, "query", service, "verify_log") for service in VERIFIED_LOGS)


@router.get(INSPECTION_PATH)
async def inspection(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    return await _alarms_page(request, who)


@router.post(INSPECTION_PATH + "/canh-bao/{service}/{alarm_id}")
async def acknowledge(request: Request, service: str, alarm_id: int, who: SignedIn = Depends(signed_in)) -> Response:
    if service not in ALARMED_SERVICES or ("command", service, "acknowledge_alarm") not in web_of(request).endpoints:
        return await _alarms_page(request, who, 404)
    form = await request.form()
    reason = str(form.get("ly_do") or "").strip()
    key = str(form.get("idempotency_key") or uuid.uuid4())
    if len(reason) < REASON_MIN:
        problem = {"alarm": f"{service}-{alarm_id}", "reason": reason,
                   "message": f"Lý do xác nhận: hãy ghi rõ đã xem xét gì (ít nhất {REASON_MIN} ký tự)."}
        return await _alarms_page(request, who, 422, problem)
    reply = await web_of(request).send(who, service, "acknowledge_alarm", key, {"alarm_id": alarm_id, "reason": reason})
    if not reply.get("ok"):
        error = reply.get("error") or {}
        status = {"forbidden": 403, "not_found": 404, "unavailable": 503}.get(error.get("code"), 422)
        problem = {"alarm": f"{service}-{alarm_id}", "reason": reason, "message": error.get("message") or "Chưa xác nhận được."}
        return await _alarms_page(request, who, status, problem)
    return redirect(request, f"{INSPECTION_PATH}#canh-bao-{service}-{alarm_id}")


@router.get(INSPECTION_PATH + "/ho-so")
async def find_timeline(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    """The look-up form's answer: the timeline's own address (bookmarkable)."""
    typed = (request.query_params.get("ma") or "").strip()
    if not typed:
        return await _alarms_page(request, who, 422, {"alarm": "ho-so", "message": "Mã hồ sơ: hãy nhập mã hồ sơ cần xem."})
    return redirect(request, f"{INSPECTION_PATH}/ho-so/{quote(typed, safe='')}")


@router.get(INSPECTION_PATH + "/ho-so/{dossier_id}")
async def timeline(request: Request, dossier_id: str, who: SignedIn = Depends(signed_in)) -> Response:
    web = web_of(request)
    history = await web.ask(who, "reporting", "audit_history", dossier_id=dossier_id)
    return await render(request, who, "inspection_timeline.html", dossier_id=dossier_id, events=await _in_words(web, who, history.get("events", [])))


async def units_known(web: Web, who: SignedIn) -> dict[str, str]:
    """The names of the units in the reader's subtree by today's tree (code -> name)."""
    try:
        subtree = await web.ask(who, "registry", "subtree", code=who.principal.organisation, on=web.today().isoformat())
    except DomainError:  # the registry not answering: the units show by their codes, the page still does
        subtree = {}
    return {o["code"]: o["name"] for o in subtree.get("organisations", [])}


async def _in_words(web: Web, who: SignedIn, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each event's log, recorder (name, role and unit) and organisation as a person names them."""
    words = SystemWords(web.gateway.names)
    units = await units_known(web, who)
    names = await people(web, {str(e["actor"]) for e in events}, units)
    return [
        {**e, "log_title": words.log(e["log"]), "actor_title": recorder(names, e["actor"]), "organisation_title": organisation_title(e["organisation"], units)}
        for e in events
    ]
