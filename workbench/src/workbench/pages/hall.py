"""The hall window portal (实体大厅政务服务门户) for window clerks, who are acceptors (identity has no separate
window role; svc-hall and svc-application treat hall staff as acceptors of the hall's region):

- look an appointment up by its reference (svc-application owns appointments) and check the person in at
  the hall that serves it (svc-hall issues the ticket);
- verify the person in front of the window: name and ID number typed (or read from the card) against the
  platform's real-name check (identity), which also names their account if they have one;
- register an application for that person (hall channel): the item, its form generated from the item's JSON
  Schema (gov_web.forms, as the portal's apply path), scanned paper materials, submit once
  (Idempotency-Key made when the page was shown);
- print the acceptance, refusal or supplement notice: a PDF sealed by the department in svc-certificates
  (verifiable by the QR code on it), fetched with the clerk's token and handed on as a download;
- hand over a result for pick-up (choose the hall, mark it ready, mark it collected) as far as the API allows.

Every call goes through the gateway with the clerk's own token, so the services decide what is theirs: an
appointment, application or notice of another region or department is a page that does not exist."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from gov_common.attachments import attachment_headers
from gov_web import forms
from gov_web.app import csrf_protected, flash, render, runtime, session_of
from gov_web.gateway import problem
from workbench.pages.calls import api, json_or_none, staff

router = APIRouter()
CLERK_ROLE = "acceptor"
KEY_RE = re.compile(r"^[0-9a-f]{32}$")
REFERENCE_RE = re.compile(r"^YY[2-9A-HJKMNP-Z]{8}$")  # svc-application's appointment references
ID_NUMBER_RE = re.compile(r"^[0-9]{17}[0-9X]$")
ITEM_CODE_RE = re.compile(r"^[0-9A-Za-z-]{1,64}$")
QUEUE_RE = re.compile(r"^[A-Z]$")
ALLOWED_TYPES = "PDF、JPG 或 PNG"
NOTICE_KIND = {"acceptance": "受理通知书", "refusal": "不予受理通知书", "supplement": "补正材料通知书"}
APPLICATION_STATUS = {
    "draft": "草稿",
    "submitted": "已提交",
    "supplemented": "已补正",
    "accepted": "已受理",
    "supplement_requested": "待补正",
    "refused": "不予受理",
    "approved": "准予许可",
    "rejected": "不予许可",
    "completed": "已办结",
    "withdrawn": "已撤回",
}
DELIVERY_STATUS = {
    "requested": "待交付",
    "ready_for_pickup": "待领取",
    "picked_up": "已领取",
    "shipped": "已寄出",
    "delivered": "已送达",
}


def _key(value: Any) -> str:
    """The Idempotency-Key a form carried (made when the page was shown), or a new one."""
    return value if isinstance(value, str) and KEY_RE.match(value) else uuid.uuid4().hex


def _not_found(request: Request, message: str = "没有找到，或不在本大厅的办理范围内。") -> Response:
    return render(request, "web/error.html", {"title": "页面不存在", "message": message}, 404)


async def _clerk(request: Request) -> dict[str, Any] | None:
    """The signed-in staff member if they serve at a hall window (acceptor role), else None."""
    me = await staff(request)
    return me if CLERK_ROLE in me.get("roles", []) else None


def _forbidden(request: Request) -> Response:
    return render(
        request, "web/error.html", {"title": "无权访问", "message": "窗口服务仅供大厅窗口受理人员使用。"}, 403
    )


def _person(request: Request) -> dict[str, Any] | None:
    """The person verified at this window in this session (name, ID number, account), if any."""
    held = session_of(request).get("hall_person")
    return held if isinstance(held, dict) and held.get("matches") else None


# ---------------------------------------------------------------- home


@router.get("/hall", include_in_schema=False)
async def home(request: Request) -> Response:
    me = await _clerk(request)
    if me is None:
        return _forbidden(request)
    errors = session_of(request).pop("hall_errors") or {}
    return render(
        request,
        "hall.html",
        {
            "me": me,
            "person": _person(request),
            "errors": errors,
            "error_list": [(k, v) for k, v in errors.items()],
            "registered": session_of(request).get("hall_registered") or [],
        },
        422 if errors else 200,
    )


# ---------------------------------------------------------------- appointments


async def _serving_hall(request: Request, appointment_hall_id: str) -> dict[str, Any] | None:
    """svc-hall's hall where appointments of svc-application's hall check in."""
    found = await json_or_none(request, "/api/hall/v1/halls", appointment_hall_id=appointment_hall_id)
    items = (found or {}).get("items") or []
    return items[0] if items else None


@router.get("/hall/appointments", include_in_schema=False)
async def appointment(request: Request, reference: str = "") -> Response:
    me = await _clerk(request)
    if me is None:
        return _forbidden(request)
    reference = reference.strip().upper()
    if not REFERENCE_RE.match(reference):
        session_of(request).set("hall_errors", {"reference": "请输入预约号（YY 开头的 10 位字母数字）"})
        return RedirectResponse("/hall#reference", status_code=303)
    found = await json_or_none(request, f"/api/application/v1/appointments/by-reference/{reference}")
    if not isinstance(found, dict):
        return _not_found(request, "没有这个预约号的预约，或预约的大厅不在您的辖区。")
    hall = await _serving_hall(request, str(found["hall_id"]))
    queues = [q for q in (hall or {}).get("queues", []) if not q.get("retired_at")]
    return render(
        request,
        "hall_appointment.html",
        {
            "me": me,
            "appointment": found,
            "hall": hall,
            "queues": queues,
            "ticket": session_of(request).pop("hall_ticket"),
            "error": session_of(request).pop("hall_check_in_error") or "",
        },
    )


@router.post("/hall/appointments/check-in", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def check_in(request: Request) -> Response:
    """The ticket for the appointment: the hall is found again from the appointment (never taken from the
    form), so a forged hall id checks nobody in anywhere."""
    me = await _clerk(request)
    if me is None:
        return _forbidden(request)
    form = await request.form()
    reference = str(form.get("reference") or "").strip().upper()
    queue = str(form.get("queue") or "")
    if not REFERENCE_RE.match(reference):
        return _not_found(request)
    back = RedirectResponse(f"/hall/appointments?reference={reference}", status_code=303)
    found = await json_or_none(request, f"/api/application/v1/appointments/by-reference/{reference}")
    if not isinstance(found, dict):
        return _not_found(request, "没有这个预约号的预约，或预约的大厅不在您的辖区。")
    hall = await _serving_hall(request, str(found["hall_id"]))
    if hall is None:
        session_of(request).set("hall_check_in_error", "该预约的大厅尚未接入叫号系统，请人工引导。")
        return back
    if not QUEUE_RE.match(queue) or queue not in {q["code"] for q in hall.get("queues", [])}:
        session_of(request).set("hall_check_in_error", "请选择排队的队列")
        return back
    resp = await api(
        request, "POST", f"/api/hall/v1/halls/{hall['id']}/check-ins", json={"reference": reference, "queue": queue}
    )
    if resp.status_code == 201:
        ticket = resp.json()
        session_of(request).set("hall_ticket", {"number": ticket.get("number"), "queue": queue})
        flash(request, f"已签到，排队号 {ticket.get('number')}。")
        return back
    slug = str(problem(resp).get("type") or "").rsplit(":", 1)[-1]
    message = {
        "appointment-not-today": "只能签到当天的预约。",
        "appointment-already-checked-in": "该预约已签到，请勿重复取号。",
        "appointment-not-found": "叫号系统尚未收到该预约，请稍后再试。",
    }.get(slug, "签到未成功：" + str(problem(resp).get("detail") or problem(resp).get("title") or "请稍后再试"))
    session_of(request).set("hall_check_in_error", message)
    return back


# ---------------------------------------------------------------- the person at the window


@router.post("/hall/people", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def verify_person(request: Request) -> Response:
    """Name and ID number (typed, or read from the ID card) against the platform's real-name check; the
    verified person is kept in this session (server-side) for registering their application."""
    me = await _clerk(request)
    if me is None:
        return _forbidden(request)
    form = await request.form()
    name = str(form.get("p-name") or "").strip()[:100]  # the fields' names are their ids (web/forms.html input)
    id_number = str(form.get("p-id-number") or "").strip().upper()
    errors: dict[str, str] = {}
    if not name:
        errors["p-name"] = "请输入姓名"
    if not ID_NUMBER_RE.match(id_number):
        errors["p-id-number"] = "请输入18位公民身份号码"
    if not errors:
        resp = await api(
            request, "POST", "/api/identity/v1/real-name-checks", json={"id_number": id_number, "name": name}
        )
        if resp.status_code == 422:
            errors["p-id-number"] = "公民身份号码不正确，请核对"
        elif resp.status_code == 429:
            errors["p-name"] = quota_spent(resp.headers.get("retry-after"))
        elif resp.status_code != 200:
            errors["p-name"] = "暂时无法核验，请稍后再试"
        elif not resp.json().get("matches"):
            session_of(request).pop("hall_person")
            errors["p-name"] = "姓名与公民身份号码不一致，核验未通过"
        else:
            found = resp.json()
            session_of(request).set(
                "hall_person",
                {
                    "matches": True,
                    "name": name,
                    "id_number": id_number,
                    "account_id": found.get("account_id"),
                    "assurance_level": found.get("assurance_level"),
                },
            )
            flash(request, f"{name} 身份核验通过。")
    if errors:
        session_of(request).set("hall_errors", errors)
        return RedirectResponse("/hall#person", status_code=303)
    return RedirectResponse("/hall#register", status_code=303)


def quota_spent(retry_after: str | None) -> str:
    """The clerk's message when identity refuses a check beyond their hourly quota (429 with Retry-After)."""
    seconds = int(retry_after) if retry_after and retry_after.isdigit() else 3600
    return f"您一小时内的实名核验次数已达上限，请 {-(-seconds // 60)} 分钟后再试"


@router.post("/hall/people/in-person", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def in_person(request: Request) -> Response:
    """Record that the verified person's account was checked face to face (level 3), at identity."""
    me = await _clerk(request)
    if me is None:
        return _forbidden(request)
    person = _person(request)
    if person is None or not person.get("account_id"):
        return RedirectResponse("/hall#person", status_code=303)
    account = uuid.UUID(str(person["account_id"]))
    resp = await api(request, "POST", f"/api/identity/v1/accounts/{account}/in-person-verification")
    if resp.status_code == 200:
        session_of(request).set("hall_person", {**person, "assurance_level": resp.json().get("assurance_level")})
        flash(request, "已记录现场身份核验，账户升级为实名三级。")
    else:
        flash(request, "记录现场核验未成功：" + str(problem(resp).get("detail") or "请稍后再试"))
    return RedirectResponse("/hall#person", status_code=303)


@router.post("/hall/people/clear", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def clear_person(request: Request) -> Response:
    session_of(request).pop("hall_person")
    flash(request, "已结束本次接待。")
    return RedirectResponse("/hall", status_code=303)


# ---------------------------------------------------------------- registering an application


async def _department_code(request: Request, me: dict[str, Any]) -> str | None:
    """My department's credit code, as the catalog names departments (identity's ``/v1/me`` names it by its
    id): looked up once per session in identity's department list of my region."""
    ws = session_of(request)
    held = ws.get("hall_department")
    if isinstance(held, dict) and held.get("id") == me["department"]:
        return str(held["code"]) if held.get("code") else None
    cursor = None
    for _ in range(10):
        page = await json_or_none(
            request, "/api/identity/v1/departments", region=me["region"], limit=200, cursor=cursor
        )
        for d in (page or {}).get("items", []):
            if d.get("id") == me["department"]:
                ws.set("hall_department", {"id": d["id"], "code": d.get("code")})
                return str(d["code"]) if d.get("code") else None
        cursor = (page or {}).get("next_cursor")
        if not cursor:
            break
    return None


@router.get("/hall/apply", include_in_schema=False)
async def choose_item(request: Request, q: str = "") -> Response:
    """The items of my department available in my region, to register one for the verified person."""
    me = await _clerk(request)
    if me is None:
        return _forbidden(request)
    person = _person(request)
    if person is None:
        session_of(request).set("hall_errors", {"p-name": "请先核验办事人身份"})
        return RedirectResponse("/hall#person", status_code=303)
    code = await _department_code(request, me)
    items: list[dict[str, Any]] = []
    if code:
        params: dict[str, Any] = {"available_in": me["region"], "department": code, "limit": 50}
        if q.strip():
            params["q"] = q.strip()[:50]
        page = await runtime(request).gateway.public_json(request, "/api/catalog/v1/items", params)
        items = [i for i in (page or {}).get("items", []) if (i.get("department") or {}).get("code") == code]
    return render(
        request, "hall_apply.html", {"me": me, "person": person, "items": items, "q": q, "key": uuid.uuid4().hex}
    )


@router.post("/hall/apply", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def register(request: Request) -> Response:
    me = await _clerk(request)
    if me is None:
        return _forbidden(request)
    person = _person(request)
    if person is None:
        session_of(request).set("hall_errors", {"p-name": "请先核验办事人身份"})
        return RedirectResponse("/hall#person", status_code=303)
    form = await request.form()
    code = str(form.get("item_code") or "")
    if not ITEM_CODE_RE.match(code):
        return RedirectResponse("/hall/apply", status_code=303)
    applicant: dict[str, Any] = {"name": person["name"], "id_number": person["id_number"], "kind": "citizen"}
    if person.get("account_id"):
        applicant["subject"] = str(person["account_id"])
    resp = await api(
        request,
        "POST",
        "/api/application/v1/applications",
        json={"item_code": code, "applicant": applicant, "form": {}},
        headers={"Idempotency-Key": _key(form.get("key"))},
    )
    if resp.status_code not in (200, 201):
        return render(
            request,
            "web/error.html",
            {"title": "无法登记申请", "message": str(problem(resp).get("detail") or "请稍后再试。")},
            resp.status_code if 400 <= resp.status_code < 500 else 502,
        )
    app_id = str(resp.json()["id"])
    ws = session_of(request)
    registered = [r for r in (ws.get("hall_registered") or []) if r.get("id") != app_id][:9]
    ws.set("hall_registered", [{"id": app_id, "item": resp.json()["item"]["name"]}, *registered])
    return RedirectResponse(f"/hall/applications/{app_id}/form", status_code=303)


async def _application(request: Request, app_id: uuid.UUID) -> dict[str, Any] | None:
    found = await json_or_none(request, f"/api/application/v1/applications/{app_id}")
    return found if isinstance(found, dict) and found.get("channel") == "hall" else None


async def _item(request: Request, code: str) -> dict[str, Any] | None:
    found = await runtime(request).gateway.public_json(request, f"/api/catalog/v1/items/{code}")
    return found if isinstance(found, dict) else None


async def _draft(
    request: Request, app_id: uuid.UUID
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]] | Response:
    """(me, the hall draft, its item) for a page that fills it in, or the page to answer instead: 403 for
    someone who is no clerk, 404 for what is not theirs, the application's page once it is submitted."""
    me = await _clerk(request)
    if me is None:
        return _forbidden(request)
    app = await _application(request, app_id)
    item = await _item(request, app["item"]["implementation_code"]) if app else None
    if app is None or item is None:
        return _not_found(request)
    if app["status"] != "draft":
        return RedirectResponse(f"/hall/applications/{app_id}", status_code=303)
    return me, app, item


def _form_page(
    request: Request,
    me: dict[str, Any],
    app: dict[str, Any],
    item: dict[str, Any],
    values: dict[str, Any],
    errors: dict[str, str],
) -> Response:
    schema = item["definition"].get("form_schema") or {}
    fields = forms.with_errors(forms.fields_of(schema, values), errors)
    summary = [(f.id, f.error) for f in fields if f.error] + [("main", m) for k, m in errors.items() if k == ""]
    return render(
        request,
        "hall_form.html",
        {"me": me, "app": app, "item": item, "fields": fields, "summary": summary},
        422 if summary else 200,
    )


@router.get("/hall/applications/{app_id}/form", include_in_schema=False)
async def form_page(request: Request, app_id: uuid.UUID) -> Response:
    found = await _draft(request, app_id)
    if isinstance(found, Response):
        return found
    me, app, item = found
    return _form_page(request, me, app, item, app["form"], {})


@router.post("/hall/applications/{app_id}/form", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def save_form(request: Request, app_id: uuid.UUID) -> Response:
    found = await _draft(request, app_id)
    if isinstance(found, Response):
        return found
    me, app, item = found
    schema = item["definition"].get("form_schema") or {}
    values, errors = forms.parse(schema, await request.form())
    if errors:
        return _form_page(request, me, app, item, values, errors)
    resp = await api(request, "PATCH", f"/api/application/v1/applications/{app_id}", json={"form": values})
    if resp.status_code == 422:
        listed = problem(resp).get("errors")
        errs = [e for e in listed if isinstance(e, dict)] if isinstance(listed, list) else []
        return _form_page(request, me, app, item, values, forms.api_errors(schema, errs) or {"": "表单内容有误"})
    if resp.status_code != 200:
        return _form_page(request, me, app, item, values, {"": "保存失败，请稍后再试"})
    review = await json_or_none(request, f"/api/application/v1/applications/{app_id}/pre-review")
    form_errors = list((review or {}).get("form_errors") or [])
    if form_errors:
        return _form_page(request, me, app, item, values, forms.api_errors(schema, form_errors))
    return RedirectResponse(f"/hall/applications/{app_id}/materials", status_code=303)


@router.get("/hall/applications/{app_id}/materials", include_in_schema=False)
async def materials_page(request: Request, app_id: uuid.UUID) -> Response:
    found = await _draft(request, app_id)
    if isinstance(found, Response):
        return found
    me, app, item = found
    pre = await json_or_none(request, f"/api/application/v1/applications/{app_id}/pre-review") or {}
    errors = session_of(request).pop("hall_upload_errors") or {}
    held: dict[str, list[dict[str, Any]]] = {}
    for m in app["materials"]:
        held.setdefault(m["name"], []).append(m)
    missing = {m["name"] for m in pre.get("missing_materials", [])}
    rows = [
        {
            "index": i,
            "spec": m,
            "held": held.get(m["name"], []),
            "missing": m["name"] in missing,
            "error": errors.get(m["name"], ""),
        }
        for i, m in enumerate(item["definition"].get("materials", []))
    ]
    return render(
        request,
        "hall_materials.html",
        {
            "me": me,
            "app": app,
            "rows": rows,
            "pre": pre,
            "allowed": ALLOWED_TYPES,
            "summary": [(f"m-{r['index']}-file", r["error"]) for r in rows if r["error"]],
            "key": uuid.uuid4().hex,
            "submit_error": session_of(request).pop("hall_submit_error") or "",
        },
        422 if errors else 200,
    )


@router.post("/hall/applications/{app_id}/materials", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def upload(request: Request, app_id: uuid.UUID) -> Response:
    """A scanned paper material, sent on to the application service (which judges its type by content)."""
    if await _clerk(request) is None:
        return _forbidden(request)
    form = await request.form()
    name = str(form.get("name") or "")[:200]
    file = form.get("file")
    back = RedirectResponse(f"/hall/applications/{app_id}/materials", status_code=303)
    limit = runtime(request).settings.upload_max_bytes
    error = ""
    if not name:
        return back
    if not isinstance(file, UploadFile) or not file.filename:
        error = "请选择扫描件"
    else:
        content = await file.read(limit + 1)
        if len(content) > limit:
            error = f"文件太大，不能超过 {limit // (1024 * 1024)} MB"
        elif not content:
            error = "文件是空的，请重新扫描"
        else:
            resp = await api(
                request,
                "POST",
                f"/api/application/v1/applications/{app_id}/materials",
                data={"name": name},
                files={"file": (file.filename[:200], content, file.content_type or "application/octet-stream")},
            )
            if resp.status_code == 404:
                return _not_found(request)
            if resp.status_code == 415:
                error = f"文件类型不支持，请上传 {ALLOWED_TYPES} 文件"
            elif resp.status_code == 413:
                error = "文件太大"
            elif resp.status_code != 201:
                error = "上传失败：" + str(problem(resp).get("detail") or "请检查文件后重试")
    if error:
        session_of(request).set("hall_upload_errors", {name: error})
    else:
        flash(request, f"已上传：{name}")
    return back


@router.post("/hall/applications/{app_id}/submit", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def submit(request: Request, app_id: uuid.UUID) -> Response:
    if await _clerk(request) is None:
        return _forbidden(request)
    form = await request.form()
    resp = await api(
        request,
        "POST",
        f"/api/application/v1/applications/{app_id}/submit",
        json={},
        headers={"Idempotency-Key": _key(form.get("key"))},
    )
    if resp.status_code == 200:
        flash(request, f"已提交，办件编号 {resp.json().get('tracking_number')}。")
        return RedirectResponse(f"/hall/applications/{app_id}", status_code=303)
    if resp.status_code == 404:
        return _not_found(request)
    app = await _application(request, app_id)
    if app is not None and app["status"] != "draft":  # a second click after a lost answer
        return RedirectResponse(f"/hall/applications/{app_id}", status_code=303)
    session_of(request).set("hall_submit_error", "提交未成功：" + str(problem(resp).get("detail") or "请检查后重试"))
    return RedirectResponse(f"/hall/applications/{app_id}/materials#submit", status_code=303)


# ---------------------------------------------------------------- the registered case: notices, pick-up


@router.get("/hall/applications/{app_id}", include_in_schema=False)
async def application_page(request: Request, app_id: uuid.UUID) -> Response:
    me = await _clerk(request)
    if me is None:
        return _forbidden(request)
    app = await _application(request, app_id)
    if app is None:
        return _not_found(request)
    notices: list[dict[str, Any]] = []
    delivery = None
    if app.get("case_id"):
        case_id = uuid.UUID(str(app["case_id"]))
        found = await json_or_none(request, f"/api/certificates/v1/cases/{case_id}/notices")
        notices = list((found or {}).get("items") or [])
        delivery = await json_or_none(request, f"/api/application/v1/applications/{app_id}/delivery")
    halls = await json_or_none(request, "/api/application/v1/halls", region=me["region"])
    return render(
        request,
        "hall_application.html",
        {
            "me": me,
            "app": app,
            "notices": notices,
            "notice_kind": NOTICE_KIND,
            "delivery": delivery,
            "delivery_status": DELIVERY_STATUS,
            "app_status": APPLICATION_STATUS,
            "halls": (halls or {}).get("items", []),
        },
    )


@router.get("/hall/applications/{app_id}/notices/{notice_id}", include_in_schema=False)
async def notice_pdf(request: Request, app_id: uuid.UUID, notice_id: uuid.UUID) -> Response:
    """The sealed notice as svc-certificates made it, fetched with the clerk's token (certificates decides
    who may read it) and handed on as a download; only a notice of this application's case is fetched."""
    if await _clerk(request) is None:
        return _forbidden(request)
    app = await _application(request, app_id)
    if app is None or not app.get("case_id"):
        return _not_found(request)
    listed = await json_or_none(request, f"/api/certificates/v1/cases/{uuid.UUID(str(app['case_id']))}/notices")
    notice = next((n for n in (listed or {}).get("items", []) if n.get("id") == str(notice_id)), None)
    if notice is None:
        return _not_found(request)
    resp = await api(request, "GET", f"/api/certificates/v1/notices/{notice_id}/pdf")
    if resp.status_code != 200 or not resp.content.startswith(b"%PDF"):
        return _not_found(request)
    name = f"{notice['title']}-{notice['number']}.pdf"
    return Response(
        resp.content, media_type="application/pdf", headers=attachment_headers(name, media_type="application/pdf")
    )


@router.post(
    "/hall/applications/{app_id}/delivery/{action}", include_in_schema=False, dependencies=[Depends(csrf_protected)]
)
async def delivery(request: Request, app_id: uuid.UUID, action: str) -> Response:
    """Pick-up (窗口领取): choose the hall, mark the result ready (case staff), or hand it over (领取)."""
    me = await _clerk(request)
    if me is None:
        return _forbidden(request)
    if action not in ("choose", "ready", "handover"):
        return _not_found(request)
    back = RedirectResponse(f"/hall/applications/{app_id}#pickup", status_code=303)
    base = f"/api/application/v1/applications/{app_id}/delivery"
    if action == "choose":
        hall = str((await request.form()).get("hall_id") or "")
        try:
            hall_id = str(uuid.UUID(hall))
        except ValueError:
            flash(request, "请选择领取结果的大厅")
            return back
        resp = await api(request, "PUT", base, json={"method": "pickup", "hall_id": hall_id})
        done = "已设为窗口领取。"
    elif action == "ready":
        resp = await api(request, "POST", base + "/dispatch")
        done = "结果已备好，待申请人领取。"
    else:
        resp = await api(request, "POST", base + "/handover")
        done = "已交付申请人（窗口领取）。"
    if resp.status_code == 404 and action == "handover":
        flash(request, "平台尚不支持登记当面领取。")
    elif resp.status_code == 404:
        return _not_found(request)
    elif resp.status_code == 200:
        flash(request, done)
    else:
        flash(request, "未成功：" + str(problem(resp).get("detail") or problem(resp).get("title") or "请稍后再试"))
    return back
