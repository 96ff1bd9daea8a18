"""A case (办件): the applicant's form and materials (downloaded through the workbench with the staff
member's token, never a token in the browser), the trace with who did what, the time left in working days,
and the actions of the step my role handles: accept, refuse, request a supplement (which materials and why),
review, approve or reject with an opinion."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import date
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from gov_common.attachments import attachment_headers
from gov_standards.china_time import today_in_china
from gov_web.app import csrf_protected, flash, render, runtime, session_of
from gov_web.forms import fields_of
from gov_web.gateway import problem_text, relay
from gov_web.security import PREVIEWABLE, preview_headers
from workbench import display
from workbench.pages.calls import UUID_RE, api, json_or_none, staff
from workbench.pages.orders import open_orders_in_trace

router = APIRouter()
OPINION_MAX, REASON_MAX, NOTE_MAX = 2000, 1000, 2000
KEY_RE = re.compile(r"^[0-9a-f]{32}$")
DEPARTMENT_RE = re.compile(r"^[0-9A-Z]{18}$")
REGION_RE = re.compile(r"^\d{6}$")


def _not_found(request: Request) -> Response:
    return render(
        request, "web/error.html", {"title": "页面不存在", "message": "您访问的办件不存在或不在您的办理范围内。"}, 404
    )


async def _case(request: Request, case_id: uuid.UUID) -> dict[str, Any] | None:
    """The case as the workflow API shows it to this staff member (None: not theirs to see, or none)."""
    found = await json_or_none(request, f"/api/workflow/v1/cases/{case_id}")
    return found if isinstance(found, dict) else None


async def _staff_names(request: Request, actors: list[Any]) -> dict[str, str]:
    """The names of the staff the trace and the notes name by account id (identity's staff directory answers
    for those of my region's branch; anyone else stays an id)."""
    ids = sorted({str(a) for a in actors if UUID_RE.match(str(a))})
    if not ids:
        return {}
    found = await json_or_none(request, "/api/identity/v1/staff-directory", id=ids[:50])
    return {str(i["id"]): str(i["name"]) for i in (found or {}).get("items", []) if i.get("name")}


@router.get("/cases/{case_id}", include_in_schema=False)
async def case_page(
    request: Request, case_id: uuid.UUID, preview: Annotated[str, Query(max_length=36)] = ""
) -> Response:
    case = await _case(request, case_id)
    if case is None:
        return _not_found(request)
    me = await staff(request)
    trace, tasks, application, licences, notes, countersigns = await asyncio.gather(
        json_or_none(request, f"/api/workflow/v1/cases/{case_id}/trace"),
        json_or_none(request, "/api/workflow/v1/tasks", case_id=str(case_id), limit=20),
        json_or_none(request, f"/api/application/v1/applications/{uuid.UUID(str(case['application_id']))}"),
        json_or_none(request, f"/api/certificates/v1/cases/{case_id}/licenses")
        if case.get("decision") == "approved"
        else asyncio.sleep(0, None),
        json_or_none(request, f"/api/workflow/v1/cases/{case_id}/notes"),  # None: I watch, not handle, it
        json_or_none(request, f"/api/workflow/v1/cases/{case_id}/countersigns"),
    )
    item = await runtime(request).gateway.public_json(request, f"/api/catalog/v1/items/{case['item_code']}")
    schema = ((item or {}).get("definition") or {}).get("form_schema") or {}
    form = (case.get("applicant") or {}).get("form") or {}
    labelled = [(f.label, f.value) for f in fields_of(schema, form)] if schema else []
    shown = {f for f in (schema.get("properties") or {})}
    labelled += [(str(k), str(v)) for k, v in form.items() if k not in shown]
    entries = (trace or {}).get("entries", [])
    note_items = notes.get("items", []) if isinstance(notes, dict) else None
    actors = [e.get("actor") for e in entries if e.get("actor_kind") == "staff"]
    asked = countersigns.get("items", []) if isinstance(countersigns, dict) else None
    people = [n.get("author") for n in note_items or []] + [r.get("answered_by") for r in asked or []]
    names = await _staff_names(request, actors + people)
    departments = await _departments(request, str(case["region"])) if asked is not None else []
    ws = session_of(request)
    deadline = date.fromisoformat(str(case["deadline"]))
    errors = ws.pop("action_errors") or {}
    note_error = ws.pop("note_error") or ""
    countersign_errors = ws.pop("countersign_errors") or {}
    return render(
        request,
        "case.html",
        {
            "case": case,
            "me": me,
            "form": labelled,
            "materials": (application or {}).get("materials", []),
            "previewable": PREVIEWABLE,
            "preview": preview,
            "supplement_request": (application or {}).get("supplement_request"),
            "trace": entries,
            "names": names,
            "notes": note_items,
            "note_error": note_error,
            "note_key": uuid.uuid4().hex,
            "countersigns": asked,
            "departments": [dep for dep in departments if dep["code"] != case.get("department")],
            "countersign_errors": countersign_errors,
            "licences": (licences or {}).get("items", []),
            "tasks": (tasks or {}).get("items", []),
            "days_left": display.working_days_left(deadline, today_in_china()),
            # 督办 still open, read off the trace (no extra call), for those handling the case and supervisors
            "open_orders": open_orders_in_trace(entries, today_in_china())
            if note_items is not None or "supervisor" in me.get("roles", [])
            else [],
            "errors": errors,
            "error_list": [(f"a-{k}", v) for k, v in errors.items()],
            "closed": case["status"] in ("refused", "completed", "withdrawn"),
        },
    )


async def _material_file(
    request: Request, case_id: uuid.UUID, material_id: uuid.UUID
) -> tuple[dict[str, Any], httpx.Response] | None:
    """The uploaded material's description and its open file, fetched through the gateway with the staff
    member's token (the application service decides whether they may read it); None: not theirs, or none."""
    case = await _case(request, case_id)
    if case is None:
        return None
    app_id = uuid.UUID(str(case["application_id"]))
    path = f"/api/application/v1/applications/{app_id}/materials/{material_id}"
    meta = await json_or_none(request, path)
    if not isinstance(meta, dict) or meta.get("source") != "upload":
        return None
    upstream = await runtime(request).gateway.stream(request, "GET", path + "/content")
    if upstream.status_code != 200:
        await upstream.aclose()
        return None
    return meta, upstream


def _media_type(upstream: httpx.Response) -> str:
    return upstream.headers.get("content-type", "application/octet-stream").split(";")[0].strip().lower()


@router.get("/cases/{case_id}/materials/{material_id}", include_in_schema=False)
async def material(request: Request, case_id: uuid.UUID, material_id: uuid.UUID) -> Response:
    """The material's file as a download with the platform's safe headers."""
    found = await _material_file(request, case_id, material_id)
    if found is None:
        return _not_found(request)
    meta, upstream = found
    media_type = _media_type(upstream)
    name = str(meta.get("filename") or meta.get("name") or "material")[:100]
    return relay(
        upstream, media_type=media_type, headers=attachment_headers(name, media_type=media_type, fallback="material")
    )


@router.get("/cases/{case_id}/materials/{material_id}/preview", include_in_schema=False)
async def preview(request: Request, case_id: uuid.UUID, material_id: uuid.UUID) -> Response:
    """The material shown inside the case page (a PDF in an ``<object>``, an image in an ``<img>``): inline
    for PDF, PNG and JPEG only, by the type the application service read from the file's bytes; anything
    else is not previewed (download it)."""
    found = await _material_file(request, case_id, material_id)
    if found is None:
        return _not_found(request)
    meta, upstream = found
    media_type = _media_type(upstream)
    if media_type not in PREVIEWABLE:
        await upstream.aclose()
        return _not_found(request)
    name = str(meta.get("filename") or meta.get("name") or "material")[:100]
    return relay(
        upstream, media_type=media_type, headers=preview_headers(name, media_type=media_type, fallback="material")
    )


def _completion(form: Any, kind: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The workflow API's completion body from the action form, or the errors to show next to its fields."""
    action = str(form.get("action") or "")
    opinion = str(form.get("opinion") or "").strip()[:OPINION_MAX]
    reason = str(form.get("reason") or "").strip()[:REASON_MAX]
    legal_basis = str(form.get("legal_basis") or "").strip()[:REASON_MAX]
    missing = [m.strip()[:200] for m in form.getlist("missing") if isinstance(m, str) and m.strip()][:50]
    errors: dict[str, str] = {}
    allowed = dict(display.ACTIONS.get(kind, []))
    if action not in allowed:
        errors["action"] = "请选择办理结果"
    if not opinion:
        errors["opinion"] = "请填写办理意见"
    if action in ("refuse", "reject") and not reason:
        errors["reason"] = "不予受理或不予许可时请填写理由"
    if action == "reject" and not legal_basis:
        errors["legal_basis"] = "不予许可时请填写法律依据"
    if action == "request_supplement":
        if not missing:
            errors["missing"] = "请选择需要补正的材料"
        if not reason:
            errors["reason"] = "请写明需要补正的原因"
    body: dict[str, Any] = {"action": action, "opinion": opinion}
    if action in ("refuse", "reject"):
        body["reason"] = reason
    if action == "reject":
        body["legal_basis"] = legal_basis
    if action == "request_supplement":
        body["missing"] = [{"material": m, "reason": reason} for m in missing]
    return body, errors


@router.post(
    "/cases/{case_id}/tasks/{task_id}/complete", include_in_schema=False, dependencies=[Depends(csrf_protected)]
)
async def complete(request: Request, case_id: uuid.UUID, task_id: uuid.UUID) -> Response:
    back = f"/cases/{case_id}"
    form = await request.form()
    kind = str(form.get("kind") or "")
    body, errors = _completion(form, kind)
    if errors:
        session_of(request).set("action_errors", errors)
        return RedirectResponse(back + "#actions", status_code=303)
    # The task must be this case's (a form posted with another case's task id acts on nothing).
    mine = await json_or_none(request, "/api/workflow/v1/tasks", case_id=str(case_id), limit=20)
    if not any(str(t.get("id")) == str(task_id) for t in (mine or {}).get("items", [])):
        return _not_found(request)
    resp = await api(request, "POST", f"/api/workflow/v1/tasks/{task_id}/complete", json=body)
    if resp.status_code == 200:
        flash(request, f"已办理：{dict(display.ACTIONS[kind])[body['action']]}。")
        return RedirectResponse(back, status_code=303)
    if resp.status_code == 404:
        return _not_found(request)
    session_of(request).set("action_errors", {"action": "办理未成功：" + problem_text(resp)})
    return RedirectResponse(back + "#actions", status_code=303)


@router.post("/cases/{case_id}/notes", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def add_note(request: Request, case_id: uuid.UUID) -> Response:
    """A note for the colleagues handling the case (the workflow API decides who may write one)."""
    back = f"/cases/{case_id}#notes"
    form = await request.form()
    text = str(form.get("body") or "").strip()
    if not text or len(text) > NOTE_MAX:
        session_of(request).set("note_error", "请填写留言内容" if not text else f"留言不超过 {NOTE_MAX} 字")
        return RedirectResponse(back, status_code=303)
    resp = await api(
        request,
        "POST",
        f"/api/workflow/v1/cases/{case_id}/notes",
        json={"body": text},
        headers={"Idempotency-Key": key_of(form.get("key"))},
    )
    if resp.status_code == 201:
        flash(request, "留言已发布。")
    elif resp.status_code == 404:
        return _not_found(request)
    else:
        session_of(request).set("note_error", "留言未成功：" + problem_text(resp))
    return RedirectResponse(back, status_code=303)


def key_of(value: Any) -> str:
    """The Idempotency-Key the form carried (made when the page was shown: a second click posts nothing new)."""
    return value if isinstance(value, str) and KEY_RE.match(value) else uuid.uuid4().hex


async def _departments(request: Request, region: str) -> list[dict[str, str]]:
    """The departments that may be asked to countersign: those of the case's region and of the province
    above it (identity's department list, which every staff member reads)."""
    province = region[:2] + "0000"
    found = await asyncio.gather(
        *(
            json_or_none(request, "/api/identity/v1/departments", region=r, limit=200)
            for r in sorted({region, province})
        )
    )
    out: dict[str, dict[str, str]] = {}
    for page in found:
        for dep in (page or {}).get("items", []):
            code, where = str(dep.get("code") or ""), str(dep.get("region") or "")
            if DEPARTMENT_RE.match(code) and where in (region, province):
                out[code] = {"code": code, "name": str(dep.get("name") or code), "region": where}
    return sorted(out.values(), key=lambda d: (d["region"] != region, d["name"]))


@router.post("/cases/{case_id}/countersigns", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def ask_countersign(request: Request, case_id: uuid.UUID) -> Response:
    """Ask another department to countersign (the workflow API decides who may and which departments)."""
    back = f"/cases/{case_id}#countersigns"
    form = await request.form()
    department, _, region = str(form.get("department") or "").partition(":")
    question = str(form.get("question") or "").strip()
    errors: dict[str, str] = {}
    if not DEPARTMENT_RE.match(department) or not REGION_RE.match(region):
        errors["department"] = "请选择会签部门"
    if not question or len(question) > NOTE_MAX:
        errors["question"] = "请填写会签事项" if not question else f"会签事项不超过 {NOTE_MAX} 字"
    if errors:
        session_of(request).set("countersign_errors", errors)
        return RedirectResponse(back, status_code=303)
    resp = await api(
        request,
        "POST",
        f"/api/workflow/v1/cases/{case_id}/countersigns",
        json={"department": department, "region": region, "question": question},
        headers={"Idempotency-Key": key_of(form.get("key"))},
    )
    if resp.status_code == 201:
        flash(request, "已发起会签。")
    elif resp.status_code == 404:
        return _not_found(request)
    else:
        session_of(request).set("countersign_errors", {"department": "会签未发起：" + problem_text(resp)})
    return RedirectResponse(back, status_code=303)


@router.get("/countersigns", include_in_schema=False)
async def countersign_inbox(request: Request) -> Response:
    """The countersign requests to my department: the open ones to answer, then the answered ones."""
    me = await staff(request)
    open_, answered = await asyncio.gather(
        json_or_none(request, "/api/workflow/v1/countersigns", status="open", limit=100),
        json_or_none(request, "/api/workflow/v1/countersigns", status="answered", limit=20),
    )
    errors = session_of(request).pop("countersign_answer_errors") or {}
    return render(
        request,
        "countersigns.html",
        {
            "me": me,
            "open": (open_ or {}).get("items", []),
            "answered": (answered or {}).get("items", []),
            "errors": errors,
        },
    )


@router.post("/countersigns/{countersign_id}/answer", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def answer_countersign(request: Request, countersign_id: uuid.UUID) -> Response:
    form = await request.form()
    choice = str(form.get("agree") or "")
    opinion = str(form.get("opinion") or "").strip()
    errors: dict[str, str] = {}
    if choice not in ("yes", "no"):
        errors["agree"] = "请选择是否同意"
    if not opinion or len(opinion) > NOTE_MAX:
        errors["opinion"] = "请填写会签意见" if not opinion else f"会签意见不超过 {NOTE_MAX} 字"
    if errors:
        session_of(request).set("countersign_answer_errors", {str(countersign_id): errors})
        return RedirectResponse(f"/countersigns#cs-{countersign_id}", status_code=303)
    resp = await api(
        request,
        "POST",
        f"/api/workflow/v1/countersigns/{countersign_id}/answer",
        json={"agree": choice == "yes", "opinion": opinion},
    )
    if resp.status_code == 200:
        flash(request, "会签意见已提交。")
    elif resp.status_code == 404:
        return _not_found(request)
    else:
        message = "提交未成功：" + problem_text(resp)
        session_of(request).set("countersign_answer_errors", {str(countersign_id): {"agree": message}})
    return RedirectResponse(f"/countersigns#cs-{countersign_id}", status_code=303)
