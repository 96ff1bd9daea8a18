"""The apply path (网上申报): start (who applies, from identity), the form generated from the item's JSON
Schema (draft saved and resumed), materials (upload with type and size errors, or an e-licence held in the
wallet), pre-review, submit once (Idempotency-Key), confirmation with the tracking number."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from gov_web import forms
from gov_web.app import api, csrf_protected, render, runtime, session_of
from gov_web.gateway import problem
from portal import guide, usage

router = APIRouter()
KEY_RE = re.compile(r"^[0-9a-f]{32}$")
ID_NUMBER_RE = re.compile(r"^[0-9]{17}[0-9Xx]$")
# Form fields the portal fills from what identity knows of the person (they may still correct them).
PREFILL = {"applicant_name": "name", "legal_representative": "name", "phone": "phone"}
ALLOWED_TYPES = "PDF、JPG 或 PNG"


def _key(value: Any) -> str:
    """The Idempotency-Key a form carried (made when the page was shown), or a new one."""
    return value if isinstance(value, str) and KEY_RE.match(value) else uuid.uuid4().hex


async def _item(request: Request, code: str) -> dict[str, Any] | None:
    item = await runtime(request).gateway.public_json(request, f"/api/catalog/v1/items/{code}")
    return item if isinstance(item, dict) else None


async def _person(request: Request) -> dict[str, Any]:
    """What identity knows of the signed-in person: name, masked ID number, mobile number."""
    me = await api(request, "GET", "/api/identity/v1/me")
    info = await api(request, "GET", "/api/identity/userinfo")
    person = me.json() if me.status_code == 200 else {}
    claims = info.json() if info.status_code == 200 else {}
    phone = str(claims.get("phone_number") or "").removeprefix("+86")
    return {
        "name": person.get("real_name") or claims.get("name") or "",
        "id_masked": person.get("id_number_masked"),
        "phone": phone,
        "kind": person.get("kind"),
    }


async def _application(request: Request, app_id: uuid.UUID) -> dict[str, Any] | None:
    resp = await api(request, "GET", f"/api/application/v1/applications/{app_id}")
    return resp.json() if resp.status_code == 200 else None


def _errors_of(resp: Any) -> list[dict[str, Any]]:
    errors = problem(resp).get("errors")
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def _not_found(request: Request) -> Response:
    return render(request, "web/error.html", {"title": "页面不存在", "message": "没有这份申请，或您无权查看。"}, 404)


# ---------------------------------------------------------------- start


@router.get("/items/{code}/apply", include_in_schema=False)
async def start(request: Request, code: str) -> Response:
    if not guide.CODE_RE.match(code):
        return _not_found(request)
    item = await _item(request, code)
    if item is None:
        return _not_found(request)
    person = await _person(request)
    return _start_page(request, item, person, errors={}, id_number=session_of(request).get("id_number") or "")


def _ask_id(person: dict[str, Any], errors: dict[str, str]) -> bool:
    """Whether the start form asks for the ID number: not when identity holds the person's verified one (the
    application service takes it from there), unless that failed and the person is asked after all."""
    return not person.get("id_masked") or "id_number" in errors


def _start_page(
    request: Request,
    item: dict[str, Any],
    person: dict[str, Any],
    *,
    errors: dict[str, str],
    id_number: str,
    status: int = 200,
) -> Response:
    online, why_not = guide.can_apply_online(item["definition"])
    return render(
        request,
        "apply_start.html",
        {
            "item": item,
            "person": person,
            "errors": errors,
            "id_number": id_number,
            "ask_id": _ask_id(person, errors) or bool(id_number),
            "online": online,
            "why_not": why_not,
            "key": uuid.uuid4().hex,
        },
        status_code=status,
    )


@router.post("/items/{code}/apply", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def create(request: Request, code: str) -> Response:
    if not guide.CODE_RE.match(code):
        return _not_found(request)
    item = await _item(request, code)
    if item is None:
        return _not_found(request)
    form = await request.form()
    person = await _person(request)
    id_number = str(form.get("id_number") or "").strip().upper()
    # Left out when identity holds the verified number (application takes it from there); typed otherwise.
    if (id_number or not person.get("id_masked")) and not ID_NUMBER_RE.match(id_number):
        return _start_page(
            request, item, person, errors={"id_number": "请输入18位公民身份号码"}, id_number=id_number, status=422
        )
    online, _ = guide.can_apply_online(item["definition"])
    if not online:
        return _start_page(request, item, person, errors={}, id_number=id_number, status=409)
    properties = (item["definition"].get("form_schema") or {}).get("properties") or {}
    prefill = {name: person[source] for name, source in PREFILL.items() if name in properties and person.get(source)}
    resp = await api(
        request,
        "POST",
        "/api/application/v1/applications",
        json={
            "item_code": code,
            "applicant": {"name": person["name"], **({"id_number": id_number} if id_number else {})},
            "form": prefill,
        },
        headers={"Idempotency-Key": _key(form.get("key"))},
    )
    if resp.status_code == 422 or (resp.status_code == 503 and not id_number):
        messages = problem(resp)
        field_errors = (
            {"id_number": "公民身份号码不正确，请核对" if id_number else "请输入18位公民身份号码"}
            if "id_number" in str(messages) or resp.status_code == 503
            else {"": "无法开始申请，请稍后再试"}
        )
        return _start_page(request, item, person, errors=field_errors, id_number=id_number, status=422)
    if resp.status_code not in (200, 201):
        return render(
            request,
            "web/error.html",
            {"title": "无法开始申请", "message": problem(resp).get("detail") or "请稍后再试。"},
            resp.status_code,
        )
    if id_number:
        session_of(request).set("id_number", id_number)
    await usage.count_item(
        runtime(request).db,
        code=code,
        name=item["definition"]["name"],
        region=item["definition"]["region"],
        applied=True,
    )
    return RedirectResponse(f"/applications/{resp.json()['id']}/form", status_code=303)


# ---------------------------------------------------------------- the form


async def _draft_and_item(request: Request, app_id: uuid.UUID) -> tuple[dict[str, Any], dict[str, Any]] | None:
    app = await _application(request, app_id)
    if app is None:
        return None
    item = await _item(request, app["item"]["implementation_code"])
    if item is None:
        return None
    return app, item


def _form_page(
    request: Request,
    app: dict[str, Any],
    item: dict[str, Any],
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    schema = item["definition"]["form_schema"]
    fields = forms.with_errors(forms.fields_of(schema, values), errors)
    summary = [(f.id, f.error) for f in fields if f.error] + [("main", m) for k, m in errors.items() if k == ""]
    return render(request, "apply_form.html", {"app": app, "item": item, "fields": fields, "summary": summary}, status)


@router.get("/applications/{app_id}/form", include_in_schema=False)
async def form_page(request: Request, app_id: uuid.UUID) -> Response:
    found = await _draft_and_item(request, app_id)
    if found is None:
        return _not_found(request)
    app, item = found
    if app["status"] != "draft":
        return RedirectResponse(f"/me/applications/{app_id}", status_code=303)
    return _form_page(request, app, item, app["form"], {})


@router.post("/applications/{app_id}/form", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def save_form(request: Request, app_id: uuid.UUID) -> Response:
    found = await _draft_and_item(request, app_id)
    if found is None:
        return _not_found(request)
    app, item = found
    if app["status"] != "draft":
        return RedirectResponse(f"/me/applications/{app_id}", status_code=303)
    schema = item["definition"]["form_schema"]
    posted = await request.form()
    values, errors = forms.parse(schema, posted)
    if errors:  # the portal already knows: nothing is sent, nothing changes
        return _form_page(request, app, item, values, errors, 422)
    resp = await api(request, "PATCH", f"/api/application/v1/applications/{app_id}", json={"form": values})
    if resp.status_code == 422:
        return _form_page(request, app, item, values, forms.api_errors(schema, _errors_of(resp)), 422)
    if resp.status_code != 200:
        return _form_page(request, app, item, values, {"": "保存失败，请稍后再试"}, resp.status_code)
    if posted.get("action") != "next":
        session_of(request).set("flash", "草稿已保存。您可以随时在“个人空间”继续填写。")
        return RedirectResponse(f"/applications/{app_id}/form", status_code=303)
    review = await api(request, "GET", f"/api/application/v1/applications/{app_id}/pre-review")
    form_errors = review.json().get("form_errors", []) if review.status_code == 200 else []
    if form_errors:
        return _form_page(request, app, item, values, forms.api_errors(schema, form_errors), 422)
    return RedirectResponse(f"/applications/{app_id}/materials", status_code=303)


# ---------------------------------------------------------------- materials


@router.get("/applications/{app_id}/materials", include_in_schema=False)
async def materials_page(request: Request, app_id: uuid.UUID) -> Response:
    app = await _application(request, app_id)
    if app is None:
        return _not_found(request)
    if app["status"] not in ("draft", "supplement_requested"):
        return RedirectResponse(f"/me/applications/{app_id}", status_code=303)
    item = await _item(request, app["item"]["implementation_code"])
    review = await api(request, "GET", f"/api/application/v1/applications/{app_id}/pre-review")
    pre = review.json() if review.status_code == 200 else {"missing_materials": [], "ok": False}
    errors = session_of(request).pop("upload_errors") or {}
    return render(request, "apply_materials.html", _materials_context(app, item, pre, errors))


def _materials_context(
    app: dict[str, Any], item: dict[str, Any] | None, pre: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    needed = (item or {}).get("definition", {}).get("materials", [])
    held: dict[str, list[dict[str, Any]]] = {}
    for m in app["materials"]:
        held.setdefault(m["name"], []).append(m)
    missing = {m["name"]: m for m in pre.get("missing_materials", [])}
    if app["status"] == "supplement_requested":
        asked = [m["material"] for m in (app.get("supplement_request") or {}).get("missing", [])]
        needed = [m for m in needed if m["name"] in asked]
    rows = []
    for i, m in enumerate(needed):
        rows.append(
            {
                "index": i,
                "spec": m,
                "held": held.get(m["name"], []),
                "missing": missing.get(m["name"]),
                "error": errors.get(m["name"], ""),
            }
        )
    summary = [(f"m-{r['index']}-file", r["error"]) for r in rows if r["error"]]
    return {
        "app": app,
        "item": item,
        "rows": rows,
        "pre": pre,
        "summary": summary,
        "allowed": ALLOWED_TYPES,
        "upload_general": errors.get("", ""),
    }


def _upload_error(resp_status: int, body: dict[str, Any], limit_mb: int) -> str:
    if resp_status == 413:
        return f"文件太大，不能超过 {limit_mb} MB"
    if resp_status == 415:
        return f"文件类型不支持，请上传 {ALLOWED_TYPES} 文件"
    if resp_status == 409:
        return "当前状态不能再上传材料"
    return "上传失败：" + str(body.get("detail") or "请检查文件后重试")


def _then(request: Request, url: str) -> Response:
    """Where the browser goes next: a redirect, or for gov.js's upload with progress (XHR) that URL as JSON
    (the XHR would otherwise follow the redirect itself and use up the one-time errors it shows)."""
    if request.headers.get("x-requested-with") == "XMLHttpRequest":
        return JSONResponse({"location": url})
    return RedirectResponse(url, status_code=303)


@router.post("/applications/{app_id}/materials", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def upload(request: Request, app_id: uuid.UUID) -> Response:
    form = await request.form()
    name = str(form.get("name") or "")[:200]
    file = form.get("file")
    back = _then(request, f"/applications/{app_id}/materials")
    limit = runtime(request).settings.upload_max_bytes
    limit_mb = limit // (1024 * 1024)
    errors: dict[str, str] = {}
    if not name:
        return back
    if not isinstance(file, UploadFile) or not file.filename:
        errors[name] = "请选择要上传的文件"
    else:
        content = await file.read(limit + 1)
        if len(content) > limit:
            errors[name] = f"文件太大，不能超过 {limit_mb} MB"
        elif not content:
            errors[name] = "文件是空的，请重新选择"
        else:
            resp = await api(
                request,
                "POST",
                f"/api/application/v1/applications/{app_id}/materials",
                data={"name": name},
                files={"file": (file.filename[:200], content, file.content_type or "application/octet-stream")},
            )
            if resp.status_code != 201:
                errors[name] = _upload_error(resp.status_code, problem(resp), limit_mb)
    if errors:
        session_of(request).set("upload_errors", errors)
    else:
        session_of(request).set("flash", f"已上传：{name}")
    return back


@router.post(
    "/applications/{app_id}/materials/license", include_in_schema=False, dependencies=[Depends(csrf_protected)]
)
async def use_license(request: Request, app_id: uuid.UUID) -> Response:
    form = await request.form()
    name, license_id = str(form.get("name") or "")[:200], str(form.get("license_id") or "")
    if not guide.LICENSE_ID_RE.match(license_id) or not name:
        session_of(request).set("upload_errors", {name: "请选择要使用的电子证照"})
    else:
        resp = await api(
            request,
            "POST",
            f"/api/application/v1/applications/{app_id}/materials/license",
            json={"name": name, "license_id": license_id},
        )
        if resp.status_code == 201:
            session_of(request).set("flash", f"已使用电子证照代替：{name}")
        else:
            session_of(request).set("upload_errors", {name: "该电子证照不可用于此材料"})
    return RedirectResponse(f"/applications/{app_id}/materials", status_code=303)


@router.post(
    "/applications/{app_id}/materials/{material_id}/delete",
    include_in_schema=False,
    dependencies=[Depends(csrf_protected)],
)
async def remove(request: Request, app_id: uuid.UUID, material_id: uuid.UUID) -> Response:
    await api(request, "DELETE", f"/api/application/v1/applications/{app_id}/materials/{material_id}")
    return RedirectResponse(f"/applications/{app_id}/materials", status_code=303)


# ---------------------------------------------------------------- pre-review, submit, confirmation


@router.get("/applications/{app_id}/review", include_in_schema=False)
async def review_page(request: Request, app_id: uuid.UUID) -> Response:
    found = await _draft_and_item(request, app_id)
    if found is None:
        return _not_found(request)
    app, item = found
    if app["status"] != "draft":
        return RedirectResponse(f"/me/applications/{app_id}", status_code=303)
    review = await api(request, "GET", f"/api/application/v1/applications/{app_id}/pre-review")
    pre: dict[str, Any] = (
        review.json() if review.status_code == 200 else {"ok": False, "form_errors": [], "missing_materials": []}
    )
    schema = item["definition"]["form_schema"]
    labels = {f.name: f.label for f in forms.fields_of(schema)}
    return render(
        request,
        "apply_review.html",
        {
            "app": app,
            "item": item,
            "pre": pre,
            "labels": labels,
            "key": uuid.uuid4().hex,
            "form_errors": forms.api_errors(schema, list(pre.get("form_errors") or [])),
        },
    )


@router.post("/applications/{app_id}/submit", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def submit(request: Request, app_id: uuid.UUID) -> Response:
    form = await request.form()
    resp = await api(
        request,
        "POST",
        f"/api/application/v1/applications/{app_id}/submit",
        json={},
        headers={"Idempotency-Key": _key(form.get("key"))},
    )
    if resp.status_code == 200:
        return RedirectResponse(f"/applications/{app_id}/done", status_code=303)
    app = await _application(request, app_id)
    if app is not None and app["status"] != "draft":  # already submitted (a second click after a lost answer)
        return RedirectResponse(f"/applications/{app_id}/done", status_code=303)
    session_of(request).set("flash", "提交未成功：" + str(problem(resp).get("detail") or "请检查后重试"))
    return RedirectResponse(f"/applications/{app_id}/review", status_code=303)


@router.get("/applications/{app_id}/done", include_in_schema=False)
async def done(request: Request, app_id: uuid.UUID) -> Response:
    app = await _application(request, app_id)
    if app is None or not app.get("tracking_number"):
        return _not_found(request)
    return render(request, "apply_done.html", {"app": app})
