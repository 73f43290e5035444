"""Hồ sơ: one dossier's page (who, which cell, the step now, the rule sets applied, the road as a
task list with dates and deadlines, the next act as a form, the timeline), a page per act, and the
page that opens a new dossier.

Every act goes through `forms.read` -> `Web.send` (the API's command path, with the form's own
idempotency key and the dossier version the person saw) and its answer is shown where it happened;
a conflict (someone acted first) reloads the dossier with who did what.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import Response

from ketnap.platform.commands import Conflict, Forbidden, NotFound
from ketnap.services.dossiers.values import Step
from ketnap.services.gateway.web.acts import all_acts
from ketnap.services.gateway.web.forms import ADD_FIELD, Act, FormState, blank, error_of, keeps_key, read, refused
from ketnap.services.gateway.web.options import offers_for, prefill_for, with_declaration
from ketnap.services.gateway.web.page import Refusal, SignedIn, Web, pages, redirect, render, signed_in, web_of
from ketnap.services.gateway.web.pages.organisation import persons_units
from ketnap.services.gateway.web.road import RULE_STEPS, TITLES, road
from ketnap.services.gateway.web.system_words import display_names, recorder

router = pages()

NEW_DOSSIER = "mo-ho-so"
RULE_STEP_TITLES = {code: f"«{TITLES[step]}»" for code, step in RULE_STEPS.items()}
STATUS_OF_REFUSAL = {"forbidden": 403, "not_found": 404, "unavailable": 503}
CONFIRMED = "xac_nhan"
"""The field of "check your answers": `yes` sends the act, `sua` shows the form again to change it."""
FOLLOW_WAIT_S, FOLLOW_STEP_S = 5.0, 0.1
"""How long a page waits for the dossier to follow another service's act before showing it anyway."""
RESULT_PARAMS = ("ket-qua", "tan-thanh", "mau-so", "can", "quy-dinh")


def _act(slug: str, *, about_dossier: bool = True) -> Act:
    act = all_acts().get(slug)
    if act is None or act.about_dossier != about_dossier:
        raise NotFound("Không có việc này trên hồ sơ.")
    return act


def offered(web: Web, who: SignedIn, dossier: Mapping[str, Any]) -> list[Act]:
    """The acts this person may do on this dossier now: their role may send the command, and the
    dossier is open at a step the act belongs to (while it is paused for screening, only resuming
    it). Those not done yet come first. `dossier` is the `dossiers.dossier` answer, with the
    verification and voting cases beside it (`_facts`) for the acts that judge by them."""
    if dossier.get("closed"):
        return []
    step = Step(str(dossier["step"]))
    paused = bool(dossier.get("suspended_on"))
    acts = [
        a for a in all_acts().values()
        if a.about_dossier and a.while_suspended == paused and (not a.steps or step in a.steps)
        and web.may(who, "command", a.service, a.command)
    ]
    return sorted(acts, key=lambda a: (_rank(a, dossier), a.order))


def _rank(act: Act, dossier: Mapping[str, Any]) -> int:
    """Not done yet first, then those done (to record again), then the acts nothing requires
    (no `done`: an ending, a written agreement), which are never the next act's form by default."""
    if act.done is None:
        return 2
    return 1 if act.done(dossier) else 0


async def _dossier(web: Web, who: SignedIn, dossier_id: str) -> dict[str, Any]:
    return await web.ask(who, "dossiers", "dossier", dossier_id=dossier_id)


async def _facts(web: Web, who: SignedIn, dossier: Mapping[str, Any]) -> dict[str, Any]:
    """The dossier with its verification and voting cases, as far as this person may read them."""
    dossier_id = dossier["dossier_id"]
    verification = await web.ask_or_none(who, "verification", "case", dossier_id=dossier_id) \
        if web.may(who, "query", "verification", "case") else None
    voting = await web.ask_or_none(who, "voting", "case", dossier_id=dossier_id)
    return {**dossier, "verification_case": verification, "voting_case": voting}


async def _cell_name(web: Web, who: SignedIn, cell: str) -> str:
    try:
        return str((await web.ask(who, "registry", "organisation", code=cell, on=web.today().isoformat())).get("name") or cell)
    except Refusal:
        return cell


async def _request_units(web: Web, who: SignedIn, verification: Mapping[str, Any] | None) -> dict[str, str]:
    """The names of the units the verification requests went to, as far as this person's own subtree
    knows them (the scope the API reads the registry through); a unit elsewhere, or an address typed
    as free text, is shown as it was recorded."""
    if not any(subject.get("request") for subject in (verification or {}).get("subjects") or []):
        return {}
    try:
        return await persons_units(web, who)
    except Refusal:  # the registry not answering: the requests show their codes, the page still does
        return {}


# --- opening a dossier ------------------------------------------------------------------------------------


@router.get("/ho-so/mo-moi")
async def new_dossier_page(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    web = web_of(request)
    act = _act(NEW_DOSSIER, about_dossier=False)
    if not web.may(who, "command", act.service, act.command):
        raise Forbidden("Vai trò của bạn không mở hồ sơ; việc này của chi bộ, đảng ủy cơ sở và ban tổ chức.")
    state = blank(act, web.today(), offers=await offers_for(web, who, act))
    return await _show_form(request, who, state, None, action="/ho-so/mo-moi")


@router.post("/ho-so/mo-moi")
async def new_dossier_sent(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    return await _submit(request, who, _act(NEW_DOSSIER, about_dossier=False), None, action="/ho-so/mo-moi")


# --- the dossier page -----------------------------------------------------------------------------------


@router.get("/ho-so/{dossier_id}")
async def dossier_page(request: Request, dossier_id: str, who: SignedIn = Depends(signed_in)) -> Response:
    web = web_of(request)
    done = all_acts().get(request.query_params.get("xong", ""))
    result = {name: request.query_params[name] for name in RESULT_PARAMS if name in request.query_params}
    return await _show_dossier(request, web, who, dossier_id, done=done, result=result)


async def _show_dossier(
    request: Request, web: Web, who: SignedIn, dossier_id: str, *, done: Act | None = None, conflict: list[dict[str, Any]] | None = None,
    conflict_note: str | None = None, status_code: int = 200, result: Mapping[str, str] | None = None,
) -> Response:
    dossier = await _facts(web, who, await _dossier(web, who, dossier_id))
    voting = dossier["voting_case"]
    acts = offered(web, who, dossier)
    # The next act's form is one the dossier still needs; acts done or optional are offered as links.
    first = acts[0] if acts and _rank(acts[0], dossier) == 0 else None
    next_form = await _blank(web, who, first, dossier) if first else None
    others = acts[1:] if first else acts
    history = dossier.get("history") or []
    names = await display_names(web, {str(e.get("actor") or "") for e in history})
    timeline = [{**entry, "who": recorder(names, entry.get("actor"))} for entry in reversed(history)]
    page = await render(
        request, who, "dossier.html", status_code=status_code, dossier=dossier, road=road(dossier, voting), others=others, form=next_form,
        cell_name=await _cell_name(web, who, dossier["cell"]), done=done, conflict=conflict, conflict_note=conflict_note, timeline=timeline,
        action=f"/ho-so/{dossier_id}", result=result or {}, verification=dossier["verification_case"],
        unit_names=await _request_units(web, who, dossier["verification_case"]),
        audit=web.may(who, "query", "reporting", "audit_history"),
    )
    if conflict is not None and request.headers.get("HX-Request") == "true":
        # The form was sent by htmx, but a conflict shows the whole dossier again, reloaded.
        page.headers.update({"HX-Retarget": "body", "HX-Reswap": "innerHTML"})
    return page


async def _blank(web: Web, who: SignedIn, act: Act, dossier: Mapping[str, Any]) -> FormState:
    """An act's form on a dossier, with what it offers and starts from for this person, and the
    versions the person sees (`Act.seen_version`, the dossier's)."""
    if act.prefill:  # what it starts from and offers are read once for both
        dossier = await with_declaration(web, who, dossier) or dossier
    return blank(
        act, web.today(), act.seen_version(dossier), await offers_for(web, who, act, dossier), dossier_version=dossier["stream_version"],
        values=await prefill_for(web, who, act, dossier),
    )


# --- one act ---------------------------------------------------------------------------------------------


@router.get("/ho-so/{dossier_id}/{slug}")
async def act_page(request: Request, dossier_id: str, slug: str, who: SignedIn = Depends(signed_in)) -> Response:
    web = web_of(request)
    act = _act(slug)
    dossier = await _facts(web, who, await _dossier(web, who, dossier_id))
    state = await _blank(web, who, act, dossier)
    if act not in offered(web, who, dossier):
        state.summary.append("Việc này không làm được lúc này: vai trò của bạn không làm việc này, hoặc hồ sơ không ở bước cần thiết.")
    return await _show_form(request, who, state, dossier, action=f"/ho-so/{dossier_id}/{slug}")


@router.post("/ho-so/{dossier_id}/{slug}")
async def act_sent(request: Request, dossier_id: str, slug: str, who: SignedIn = Depends(signed_in)) -> Response:
    return await _submit(request, who, _act(slug), dossier_id, action=f"/ho-so/{dossier_id}/{slug}")


async def _submit(request: Request, who: SignedIn, act: Act, dossier_id: str | None, *, action: str) -> Response:
    web = web_of(request)
    if not web.may(who, "command", act.service, act.command):  # as the API: the role first, before anything typed is read
        raise Forbidden("Vai trò của bạn không làm việc này.")
    typed = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    dossier = await _dossier(web, who, dossier_id) if dossier_id else None
    state, body = read(act, typed, await offers_for(web, who, act, dossier, typed))
    if typed.get(ADD_FIELD) in act.lists:
        # "Thêm": one more row of a list (a child), the form as typed; nothing is sent or judged yet.
        state.add_row(typed[ADD_FIELD])
        state.field_errors.clear()
        state.summary.clear()
        return await _show_form(request, who, state, dossier, action=action)
    if dossier is not None:
        body = {**body, **_about(act, dossier, state)}
    if state.has_errors:  # nothing was sent: the same key stays with the form
        return await _show_form(request, who, state, dossier, action=action, status_code=422)
    if act.confirm and typed.get(CONFIRMED) != "yes":
        # Check your answers: the same key and values go back with the confirmation ("sua" shows the form).
        template = None if typed.get(CONFIRMED) == "sua" else "confirm"
        return await _show_form(request, who, state, dossier, action=action, check=template is not None)
    reply = await web.send(who, act.service, act.command, state.key, body)
    if reply.get("ok"):
        # A retried form gets the first answer again, which names the dossier by its stream.
        opened = dossier_id or str((reply.get("result") or {}).get("dossier_id") or str(reply.get("stream_id") or "").removeprefix("dossier-"))
        if act.follows and dossier is not None:
            await _follow(web, who, dossier["dossier_id"], state.dossier_version or dossier["stream_version"])
        return redirect(request, f"/ho-so/{opened}?{urlencode({'xong': act.slug, **_result_params(reply)})}")
    error = error_of(reply)
    if error.code == Conflict.code and dossier_id is not None:
        # Who did what is read from the history of what the act changes (the dossier, or the
        # verification or voting case); the service's own words too, unless only "stale version".
        changes = await _changes_since(web, who, act, dossier_id, state.expected_version)
        note = None if "expected_version" in (error.details or {}) else error.message
        return await _show_dossier(request, web, who, dossier_id, conflict=changes, conflict_note=note, status_code=409)
    refused(state, error, RULE_STEP_TITLES)
    if not keeps_key(error):
        state.key = str(uuid.uuid4())
    status = STATUS_OF_REFUSAL.get(error.code, 422)
    return await _show_form(request, who, state, await _header(web, who, dossier_id), action=action, status_code=status)


def _about(act: Act, dossier: Mapping[str, Any], state: FormState) -> dict[str, Any]:
    """What the command needs of the dossier the form was shown on: its id (a list for a vote),
    its cell for a cell's vote, and the version the person saw for the dossiers service's acts."""
    about: dict[str, Any] = {act.names_dossier: [dossier["dossier_id"]] if act.names_dossier == "dossier_ids" else dossier["dossier_id"]}
    if act.cell_as:
        about[act.cell_as] = dossier["cell"]
    if act.versioned and state.expected_version:
        about["expected_version"] = state.expected_version
    return about


def _result_params(reply: Mapping[str, Any]) -> dict[str, str]:
    """A vote's count, for the banner: outcome, agree, denominator, required, the rule not met."""
    result = reply.get("result") or {}
    if "outcome" not in result:
        return {}
    values = (result.get("outcome"), result.get("agree"), result.get("denominator"), result.get("required"), result.get("rule"))
    return {name: str(value) for name, value in zip(RESULT_PARAMS, values, strict=True) if value is not None}


async def _follow(web: Web, who: SignedIn, dossier_id: str, seen: int | None) -> None:
    """Wait a moment for the dossier to record what another service just decided (its process
    manager follows), so the page shows the new step; `dossiers.progress` records no personal read."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + FOLLOW_WAIT_S
    while loop.time() < deadline:
        progress = await web.ask_or_none(who, "dossiers", "progress", dossier_id=dossier_id)
        if progress is None or seen is None or int(progress.get("stream_version") or 0) > seen:
            return
        await asyncio.sleep(FOLLOW_STEP_S)


async def _header(web: Web, who: SignedIn, dossier_id: str | None) -> dict[str, Any] | None:
    return await _dossier(web, who, dossier_id) if dossier_id else None


async def _show_form(
    request: Request, who: SignedIn, state: FormState, dossier: Mapping[str, Any] | None, *, action: str, status_code: int = 200,
    check: bool = False,
) -> Response:
    """The act's form (or, `check`, its answers to confirm): alone for htmx, else in its page."""
    fragment = request.headers.get("HX-Request") == "true"
    template = ("_check.html" if check else "_act_form.html") if fragment else "act.html"
    return await render(request, who, template, status_code=status_code, form=state, dossier=dossier, action=action, check=check)


async def _changes_since(web: Web, who: SignedIn, act: Act, dossier_id: str, seen: int | None) -> list[dict[str, Any]]:
    """What was recorded after the version the person saw (`Act.seen_version`) on what the act
    changes: the dossier, or its verification or voting case (their `case` answers carry their
    history, versions of their own streams): by whom, what, when."""
    if act.service == "dossiers":
        history = (await _dossier(web, who, dossier_id)).get("history") or []
    elif web.may(who, "query", act.service, "case"):
        history = ((await web.ask_or_none(who, act.service, "case", dossier_id=dossier_id)) or {}).get("history") or []
    else:
        history = []
    later = [entry for entry in history if entry.get("version") is not None and (seen is None or int(entry["version"]) > seen)]
    names = await display_names(web, {str(e.get("actor") or "") for e in later})
    return [{**entry, "who": recorder(names, entry.get("actor"))} for entry in later]


