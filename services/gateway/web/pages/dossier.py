"""Hồ sơ: one dossier's page (who, which cell, the step now, the rule sets applied, the road as a
task list with dates and deadlines, the next act as a form, the timeline), a page per act, and the
page that opens a new dossier.

Every act goes through `forms.read` -> `Web.send` (the API's command path, with the form's own
idempotency key and the dossier version the person saw) and its answer is shown where it happened;
a conflict (someone acted first) reloads the dossier with who did what.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import Response

from ketnap.platform.commands import Conflict, Forbidden, NotFound
from ketnap.services.dossiers.values import Step
from ketnap.services.gateway.accounts import load_user
from ketnap.services.gateway.web.acts import all_acts
from ketnap.services.gateway.web.forms import Act, FormState, blank, error_of, keeps_key, read, refused
from ketnap.services.gateway.web.options import options_for
from ketnap.services.gateway.web.page import Refusal, SignedIn, Web, pages, redirect, render, signed_in, web_of
from ketnap.services.gateway.web.road import RULE_STEPS, TITLES, road

router = pages()

NEW_DOSSIER = "mo-ho-so"
RULE_STEP_TITLES = {code: f"«{TITLES[step]}»" for code, step in RULE_STEPS.items()}
SYSTEM = "Hệ thống (tự động)"
"""Who recorded what a service recorded by itself (a process manager following another service)."""
STATUS_OF_REFUSAL = {"forbidden": 403, "not_found": 404, "unavailable": 503}


def _act(slug: str, *, about_dossier: bool = True) -> Act:
    act = all_acts().get(slug)
    if act is None or act.about_dossier != about_dossier:
        raise NotFound("Không có việc này trên hồ sơ.")
    return act


def offered(web: Web, who: SignedIn, dossier: Mapping[str, Any]) -> list[Act]:
    """The acts this person may do on this dossier now: their role may send the command, and the
    dossier is open, not paused, at a step the act belongs to. Those not done yet come first."""
    if dossier.get("closed") or dossier.get("suspended_on"):
        return []
    step = Step(str(dossier["step"]))
    acts = [
        a for a in all_acts().values()
        if a.about_dossier and (not a.steps or step in a.steps) and web.may(who, "command", a.service, a.command)
    ]
    return sorted(acts, key=lambda a: (bool(a.done and a.done(dossier)), a.order))


async def _dossier(web: Web, who: SignedIn, dossier_id: str) -> dict[str, Any]:
    return await web.ask(who, "dossiers", "dossier", dossier_id=dossier_id)


async def _cell_name(web: Web, who: SignedIn, cell: str) -> str:
    try:
        return str((await web.ask(who, "registry", "organisation", code=cell, on=web.today().isoformat())).get("name") or cell)
    except Refusal:
        return cell


# --- opening a dossier ------------------------------------------------------------------------------------


@router.get("/ho-so/mo-moi")
async def new_dossier_page(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    web = web_of(request)
    act = _act(NEW_DOSSIER, about_dossier=False)
    if not web.may(who, "command", act.service, act.command):
        raise Forbidden("Vai trò của bạn không mở hồ sơ; việc này của chi bộ, đảng ủy cơ sở và ban tổ chức.")
    state = blank(act, web.today(), options=await options_for(web, who, act))
    return await _show_form(request, who, state, None, action="/ho-so/mo-moi")


@router.post("/ho-so/mo-moi")
async def new_dossier_sent(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    return await _submit(request, who, _act(NEW_DOSSIER, about_dossier=False), None, action="/ho-so/mo-moi")


# --- the dossier page -----------------------------------------------------------------------------------


@router.get("/ho-so/{dossier_id}")
async def dossier_page(request: Request, dossier_id: str, who: SignedIn = Depends(signed_in)) -> Response:
    web = web_of(request)
    done = all_acts().get(request.query_params.get("xong", ""))
    return await _show_dossier(request, web, who, dossier_id, done=done)


async def _show_dossier(
    request: Request, web: Web, who: SignedIn, dossier_id: str, *, done: Act | None = None, conflict: list[dict[str, Any]] | None = None,
    status_code: int = 200,
) -> Response:
    dossier = await _dossier(web, who, dossier_id)
    voting = await web.ask_or_none(who, "voting", "case", dossier_id=dossier_id)
    acts = offered(web, who, dossier)
    next_form = blank(acts[0], web.today(), dossier["stream_version"]) if acts else None
    history = dossier.get("history") or []
    names = await _names(web, {str(e.get("actor") or "") for e in history})
    timeline = [{**entry, "who": _who(names, entry)} for entry in reversed(history)]
    return await render(
        request, who, "dossier.html", status_code=status_code, dossier=dossier, road=road(dossier, voting), acts=acts, form=next_form,
        cell_name=await _cell_name(web, who, dossier["cell"]), done=done, conflict=conflict, timeline=timeline,
        action=f"/ho-so/{dossier_id}",
    )


async def _names(web: Web, logins: set[str]) -> dict[str, str]:
    """The display names of the users who recorded acts; a service's own records have none."""
    found = {}
    for login in sorted(filter(None, logins)):
        user = await load_user(web.gateway.store, login)
        if user is not None:
            found[login] = user.display_name
    return found


# --- one act ---------------------------------------------------------------------------------------------


@router.get("/ho-so/{dossier_id}/{slug}")
async def act_page(request: Request, dossier_id: str, slug: str, who: SignedIn = Depends(signed_in)) -> Response:
    web = web_of(request)
    act = _act(slug)
    dossier = await _dossier(web, who, dossier_id)
    state = blank(act, web.today(), dossier["stream_version"], await options_for(web, who, act))
    if act not in offered(web, who, dossier):
        state.summary.append("Việc này không làm được lúc này: vai trò của bạn không làm việc này, hoặc hồ sơ không ở bước cần thiết.")
    return await _show_form(request, who, state, dossier, action=f"/ho-so/{dossier_id}/{slug}")


@router.post("/ho-so/{dossier_id}/{slug}")
async def act_sent(request: Request, dossier_id: str, slug: str, who: SignedIn = Depends(signed_in)) -> Response:
    return await _submit(request, who, _act(slug), dossier_id, action=f"/ho-so/{dossier_id}/{slug}")


async def _submit(request: Request, who: SignedIn, act: Act, dossier_id: str | None, *, action: str) -> Response:
    web = web_of(request)
    form = await request.form()
    state, body = read(act, {k: v for k, v in form.items() if isinstance(v, str)}, await options_for(web, who, act))
    if dossier_id is not None:
        body = {**body, "dossier_id": dossier_id, **({"expected_version": state.expected_version} if state.expected_version else {})}
    if state.has_errors:  # nothing was sent: the same key stays with the form
        return await _show_form(request, who, state, await _header(web, who, dossier_id), action=action, status_code=422)
    reply = await web.send(who, act.service, act.command, state.key, body)
    if reply.get("ok"):
        # A retried form gets the first answer again, which names the dossier by its stream.
        opened = dossier_id or str((reply.get("result") or {}).get("dossier_id") or str(reply.get("stream_id") or "").removeprefix("dossier-"))
        return redirect(request, f"/ho-so/{opened}?xong={act.slug}")
    error = error_of(reply)
    if error.code == Conflict.code and dossier_id is not None:
        changes = await _changes_since(web, who, dossier_id, state.expected_version)
        return await _show_dossier(request, web, who, dossier_id, conflict=changes, status_code=409)
    refused(state, error, RULE_STEP_TITLES)
    if not keeps_key(error):
        state.key = str(uuid.uuid4())
    status = STATUS_OF_REFUSAL.get(error.code, 422)
    return await _show_form(request, who, state, await _header(web, who, dossier_id), action=action, status_code=status)


async def _header(web: Web, who: SignedIn, dossier_id: str | None) -> dict[str, Any] | None:
    return await _dossier(web, who, dossier_id) if dossier_id else None


async def _show_form(
    request: Request, who: SignedIn, state: FormState, dossier: Mapping[str, Any] | None, *, action: str, status_code: int = 200
) -> Response:
    template = "_act_form.html" if request.headers.get("HX-Request") == "true" else "act.html"
    return await render(request, who, template, status_code=status_code, form=state, dossier=dossier, action=action)


async def _changes_since(web: Web, who: SignedIn, dossier_id: str, seen: int | None) -> list[dict[str, Any]]:
    """What was recorded on the dossier after the version the person saw: by whom, what, when."""
    history = (await _dossier(web, who, dossier_id)).get("history") or []
    later = [entry for entry in history if seen is None or int(entry.get("version") or 0) > seen]
    names = await _names(web, {str(e.get("actor") or "") for e in later})
    return [{**entry, "who": _who(names, entry)} for entry in later]


def _who(names: Mapping[str, str], entry: Mapping[str, Any]) -> str:
    """A user's name; a service's own record (its process manager) is the system's; any other
    actor (a system sending through the operator's connection) by the name it gave."""
    actor = str(entry.get("actor") or "")
    if actor in names:
        return names[actor]
    return SYSTEM if not actor or actor.endswith(".process_manager") or actor == "operator" else actor
