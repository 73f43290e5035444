"""Tổ chức: the tree of the person's unit on any day, a unit's page (kind, authority to admit,
units below, localities and white zones, quotas), its history, its members and committee, its
classes, and the registry's commands as forms for the roles the access table allows.

Everything is read through the gateway's queries as the person (scope: their subtree; the members
and classes pages are personal reads, recorded) and written through its command path.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import Response

from ketnap.domain.spreadsheet import column_header, headers_of, records_of
from ketnap.domain.values import PARTY_FOUNDED
from ketnap.platform.commands import Conflict, Forbidden, NotFound
from ketnap.services.gateway.access import QUERIES
from ketnap.services.gateway.scope import covers
from ketnap.services.gateway.web.forms import FormState, blank, error_of, keeps_key, read, refused
from ketnap.services.gateway.web.organisation import taking_over
from ketnap.services.gateway.web.organisation.acts import BY_SLUG, UNIT_ACTS, UnitAct
from ketnap.services.gateway.web.organisation.spreadsheet import NotReadable, Upload, upload_of
from ketnap.services.gateway.web.organisation.tree import branches
from ketnap.services.gateway.web.page import MenuItem, SignedIn, Web, pages, redirect, render, signed_in, web_of
from ketnap.services.gateway.web.paging import addresses, asked_page
from ketnap.services.gateway.web.vietnamese import NotADate, shown_date, typed_date
from ketnap.services.registry.values import STATUS_LABELS

router = pages()
MENU = [MenuItem("Tổ chức", "/to-chuc", roles=QUERIES[("registry", "subtree")].roles, order=40)]

CHANGES = {
    "established": "Thành lập", "renamed": "Đổi tên", "reclassified": "Đổi loại tổ chức", "moved": "Chuyển trực thuộc",
    "authority_granted": "Được ủy quyền quyết định kết nạp", "authority_revoked": "Thu hồi ủy quyền quyết định kết nạp",
    "merged": "Sáp nhập", "split": "Chia tách", "dissolved": "Giải thể",
}
"""A unit's changes in words (`registry.history`)."""
STATUSES = {str(k): v for k, v in STATUS_LABELS.items()}
ROSTER_PAGE = 50
"""Members shown on one page of a unit's roster."""
STATUS_OF_REFUSAL = {"forbidden": 403, "not_found": 404, "unavailable": 503}


@dataclass(frozen=True)
class UnitOnDay:
    """What every page about a unit on a day starts from: the day asked (`?ngay=dd/mm/yyyy`, today
    when absent; a typed date that is not one is said, and today shown), and the registry's
    queries about the unit on that day, asked as the person."""

    web: Web
    who: SignedIn
    code: str
    on: date
    problem: str | None

    @classmethod
    def asked(cls, request: Request, who: SignedIn, code: str) -> UnitOnDay:
        web = web_of(request)
        typed = (request.query_params.get("ngay") or "").strip()
        try:
            day = typed_date(typed) if typed else web.today()
        except NotADate as error:
            return cls(web, who, code, web.today(), f"Ngày xem: {error}")
        if day < PARTY_FOUNDED:  # nothing to show before it: said, and today shown, as for a typed date that is not one
            return cls(web, who, code, web.today(), f"Ngày xem phải từ ngày thành lập Đảng ({shown_date(PARTY_FOUNDED)}) trở đi.")
        return cls(web, who, code, day, None)

    @property
    def is_today(self) -> bool:
        return self.on == self.web.today()

    async def read(self, query: str, **more: Any) -> dict[str, Any]:
        """`registry.<query>` of the unit on the day (the unit is `code` to `organisation` and
        `subtree`, `organisation` to the others), with `more` of the query's fields."""
        unit = {"code" if query in ("organisation", "subtree") else "organisation": self.code}
        return await self.web.ask(self.who, "registry", query, **unit, on=self.on.isoformat(), **more)

    async def tree(self) -> dict[str, Any]:
        """The units under it (as branches) and its localities, for the tree."""
        subtree = await self.read("subtree")
        return {"root": branches(subtree.get("organisations", []), self.code), "localities": await self.read("localities"),
                "names": names_of(subtree)}

    def shown(self) -> dict[str, Any]:
        """What the page shows of the day: the day, a typed date's problem, whether it is today, and
        the query that keeps the day on the page's links."""
        return {"on": self.on, "problem": self.problem, "is_today": self.is_today,
                "query": "" if self.is_today else f"?ngay={shown_date(self.on)}"}


def names_of(subtree: dict[str, Any]) -> dict[str, str]:
    """A subtree's units, code -> name: a page names a unit where the registry gives its code."""
    return {o["code"]: o["name"] for o in subtree.get("organisations", []) if o.get("name")}


async def persons_units(web: Web, who: SignedIn) -> dict[str, str]:
    """The names of the person's own subtree today (a class's organiser, a unit's parent)."""
    return names_of(await web.ask(who, "registry", "subtree", code=who.principal.organisation, on=web.today().isoformat()))


@router.get("/to-chuc")
async def tree_page(request: Request, who: SignedIn = Depends(signed_in)) -> Response:
    day = UnitOnDay.asked(request, who, who.principal.organisation)
    return await render(request, who, "organisation_tree.html", **await day.tree(), **day.shown())


async def _organisation(web: Web, who: SignedIn, code: str, on: date) -> dict[str, Any]:
    return await web.ask(who, "registry", "organisation", code=code, on=on.isoformat())


@router.get("/to-chuc/{code}")
async def unit_page(request: Request, code: str, who: SignedIn = Depends(signed_in)) -> Response:
    day = UnitOnDay.asked(request, who, code)
    web = day.web
    acts = [u.act for u in UNIT_ACTS if web.may(who, "command", u.act.service, u.act.command)] if day.is_today else []
    done = BY_SLUG.get(request.query_params.get("xong", ""))
    unit = await day.read("organisation")
    # The unit above is named always, but linked only when the person may open it: a cell's
    # secretary would otherwise be led to a refusal.
    above = [a["code"] for a in unit.get("ancestors") or []]
    return await render(
        request, who, "organisation_unit.html", unit=unit, **await day.tree(), may_open_above=covers(who.principal.organisation, above),
        quotas=(await day.read("quotas")).get("quotas", []), acts=acts, done=done.act if done else None,
        may_import=web.may(who, *IMPORT) and day.is_today, **day.shown(),
    )


@router.get("/to-chuc/{code}/lich-su")
async def history_page(request: Request, code: str, who: SignedIn = Depends(signed_in)) -> Response:
    web = web_of(request)
    history = await web.ask(who, "registry", "history", code=code)
    changes = history.get("changes", [])
    last = changes[-1] if changes else {}
    return await render(request, who, "organisation_history.html", code=code, name=last.get("name") or code, changes=changes,
                        words=CHANGES, names=await persons_units(web, who))


@router.get("/to-chuc/{code}/dang-vien")
async def members_page(request: Request, code: str, who: SignedIn = Depends(signed_in)) -> Response:
    day = UnitOnDay.asked(request, who, code)
    # A page of the roster at a time, like the dossier list: a commune's cells hold thousands of members.
    members = await day.read("members", page=asked_page(request.query_params), page_size=ROSTER_PAGE)
    rows = members.get("members", [])
    return await render(
        request, who, "organisation_members.html", unit=await day.read("organisation"), own=[m for m in rows if not m["temporary"]],
        hosted=[m for m in rows if m["temporary"]], committee=members.get("committee", []), statuses=STATUSES, found=members,
        rows=rows, address=addresses(request.url.path, request.query_params), **day.shown(),
    )


@router.get("/to-chuc/{code}/lop-boi-duong")
async def classes_page(request: Request, code: str, who: SignedIn = Depends(signed_in)) -> Response:
    web = web_of(request)
    on = web.today()
    unit = await _organisation(web, who, code, on)
    classes = await web.ask(who, "registry", "classes", organisation=code, on=on.isoformat())
    return await render(request, who, "organisation_classes.html", unit=unit, classes=classes.get("classes", []),
                        names=await persons_units(web, who))


# --- the registry's commands -------------------------------------------------------------------------------


def _unit_act(web: Web, who: SignedIn, slug: str) -> UnitAct:
    found = BY_SLUG.get(slug)
    if found is None:
        raise NotFound("Không có việc này trên trang tổ chức.")
    if not web.may(who, "command", found.act.service, found.act.command):
        raise Forbidden("Vai trò của bạn không làm việc này.")
    return found


@router.get("/to-chuc/{code}/viec/{slug}")
async def unit_act_page(request: Request, code: str, slug: str, who: SignedIn = Depends(signed_in)) -> Response:
    web = web_of(request)
    found = _unit_act(web, who, slug)
    unit = await _organisation(web, who, code, web.today())
    state = blank(found.act, web.today(), unit.get("version") if found.versioned else None)
    return await _show(request, who, state, unit)


@router.post("/to-chuc/{code}/viec/{slug}")
async def unit_act_sent(request: Request, code: str, slug: str, who: SignedIn = Depends(signed_in)) -> Response:
    web = web_of(request)
    found = _unit_act(web, who, slug)
    form = await request.form()
    state, body = read(found.act, {k: v for k, v in form.items() if isinstance(v, str)})
    body = {**body, found.unit_field: code}
    if found.versioned and state.expected_version is not None:
        body["expected_version"] = state.expected_version
    unit = await _organisation(web, who, code, web.today())
    if state.has_errors:  # nothing was sent: the same key stays with the form
        return await _show(request, who, state, unit, status_code=422)
    reply = await web.send(who, found.act.service, found.act.command, state.key, body)
    if reply.get("ok"):
        return redirect(request, f"/to-chuc/{code}?xong={slug}")
    error = error_of(reply)
    refused(state, error)
    if error.code == Conflict.code:
        state.summary.append("Tổ chức vừa được người khác cập nhật: biểu mẫu đã được tải lại với dữ liệu mới; hãy xem lại rồi gửi lại.")
        state.expected_version = (await _organisation(web, who, code, web.today())).get("version") if found.versioned else None
    if not keeps_key(error):
        state.key = str(uuid.uuid4())
    return await _show(request, who, state, unit, status_code=409 if error.code == Conflict.code else STATUS_OF_REFUSAL.get(error.code, 422))


async def _show(request: Request, who: SignedIn, state: FormState, unit: dict[str, Any], status_code: int = 200) -> Response:
    action = f"/to-chuc/{unit['code']}/viec/{state.act.slug}"
    template = "_act_form.html" if request.headers.get("HX-Request") == "true" else "organisation_act.html"
    return await render(request, who, template, status_code=status_code, form=state, unit=unit, action=action)


# --- importing from a spreadsheet ----------------------------------------------------------------------

IMPORT = ("command", "registry", "import_records")
COUNT_WORDS = {"organisations": "tổ chức", "members": "đảng viên", "committees": "cấp ủy viên", "localities": "địa bàn"}


def _may_import(web: Web, who: SignedIn) -> None:
    if not web.may(who, *IMPORT):
        raise Forbidden("Vai trò của bạn không nhập dữ liệu tổ chức; việc này của ban tổ chức và quản trị hệ thống.")


@router.get("/to-chuc/{code}/nhap")
async def import_page(request: Request, code: str, who: SignedIn = Depends(signed_in)) -> Response:
    web = web_of(request)
    _may_import(web, who)
    unit = await _organisation(web, who, code, web.today())
    return await render(request, who, "organisation_import.html", unit=unit, checked=None, problem=None, key=str(uuid.uuid4()))


@router.post("/to-chuc/{code}/nhap")
async def import_sent(request: Request, code: str, who: SignedIn = Depends(signed_in)) -> Response:
    """"Kiểm tra" sends the uploaded file as a dry run and shows every row's problem; "Nhập" sends
    the checked file again (kept in the page, a workbook in base64) to be written, all or nothing.
    The registry reads it with the CLI import's reader (spreadsheet.py)."""
    web = web_of(request)
    _may_import(web, who)
    unit = await _organisation(web, who, code, web.today())
    form = await request.form()
    writing = form.get("buoc") == "nhap"
    upload = form.get("tep")
    try:
        if writing:
            name = str(form.get("file_name") or "tep.csv")
            file = Upload(str(form.get("content") or ""), "base64" if form.get("encoding") == "base64" else "utf-8")
            if not file.content:
                raise NotReadable("Hãy kiểm tra tệp trước khi nhập.")
        elif upload is None or isinstance(upload, str) or not upload.filename:
            raise NotReadable("Hãy chọn tệp cần nhập.")
        else:
            name, file = upload.filename, upload_of(upload.filename, await upload.read())
    except NotReadable as error:
        return await render(request, who, "organisation_import.html", status_code=422, unit=unit, checked=None, problem=str(error),
                            key=str(uuid.uuid4()))
    key = str(form.get("idempotency_key") or uuid.uuid4()) if writing else str(uuid.uuid4())
    raw = file.raw()
    dossiers = taking_over.has_dossier_rows(raw, name)
    result: dict[str, Any] = {}
    if not dossiers or taking_over.has_registry_rows(raw, name):
        # The registry's rows first, as the CLI: the dossiers taken over may be in cells the file establishes.
        reply = await web.send(who, "registry", "import_records", key, {
            "organisation": code, "file_name": name, "content": file.content, "encoding": file.encoding, "dry_run": not writing,
            "dossiers_taken_over": dossiers,
        })
        if not reply.get("ok"):
            error = error_of(reply)
            return await render(request, who, "organisation_import.html", status_code=STATUS_OF_REFUSAL.get(error.code, 422),
                                unit=unit, checked=None, problem=error.message, key=str(uuid.uuid4()))
        result = reply.get("result") or {}
    if dossiers and not result.get("problems"):
        job = taking_over.start(web, who, unit["code"], name, file, writing=writing)
        return redirect(request, f"/to-chuc/{unit['code']}/nhap/ho-so/{job.id}")
    counts = ", ".join(f"{n} {COUNT_WORDS.get(k, k)}" for k, n in (result.get("counts") or {}).items() if n)
    return await render(
        request, who, "organisation_import.html", status_code=200 if not result.get("problems") else 422, unit=unit,
        checked=_with_columns(result, raw, name), counts=counts, file_name=name, content=file.content, encoding=file.encoding,
        problem=None, key=str(uuid.uuid4()),
    )


def _with_columns(result: dict[str, Any], raw: bytes, name: str) -> dict[str, Any]:
    """Each problem under the column header the spreadsheet gives its field (the registry names the field)."""
    headers = headers_of(records_of(raw, name)[0])
    problems = [
        {**p, "column": column_header(p.get("field") or "", headers) if p.get("field") else ""} for p in result.get("problems") or []
    ]
    return {**result, "problems": problems}


@router.get("/to-chuc/{code}/nhap/ho-so/{job_id}")
async def taking_over_page(request: Request, code: str, job_id: str, who: SignedIn = Depends(signed_in)) -> Response:
    """The dossiers of an import being judged or taken over: progress until done, then every
    problem (line, column, rule code) or what was taken over. The page asks again while it runs."""
    web = web_of(request)
    _may_import(web, who)
    job = taking_over.job_of(job_id, who)
    if job is None or job.unit != code:
        raise NotFound("Không có lượt nhập này (đã quá lâu hoặc của người khác); hãy chọn tệp và kiểm tra lại.")
    unit = await _organisation(web, who, code, web.today())
    status = 200 if not job.finished or not job.problems else 422
    return await render(request, who, "organisation_taking_over.html", status_code=status, unit=unit, job=job, key=str(uuid.uuid4()))
