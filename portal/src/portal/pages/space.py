"""The personal space (个人空间): my applications with their timeline, supplement requests answered,
fees paid in the payment channel, my licences (QR code to the public verification page, PDF), ratings."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any
from urllib.parse import quote

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from gov_common.attachments import attachment_headers
from gov_web.app import api, csrf_protected, json_or_none, render, runtime, session_of
from gov_web.gateway import problem
from portal import guide
from portal.pages.apply import _application, _key, _not_found

router = APIRouter()
LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}


@router.get("/me", include_in_schema=False)
async def space(request: Request) -> Response:
    me, apps, wallet, unpaid, ratings, asked = await asyncio.gather(
        json_or_none(request, "/api/identity/v1/me"),
        json_or_none(request, "/api/application/v1/applications", limit=50),
        json_or_none(request, "/api/certificates/v1/wallet/licenses"),
        json_or_none(request, "/api/payment/v1/orders", status="created", limit=50),
        json_or_none(request, "/api/evaluation/v1/ratings"),
        json_or_none(request, "/api/evaluation/v1/consultations"),
    )
    items = (apps or {}).get("items", [])
    return render(
        request,
        "space.html",
        {
            "me": me or {},
            "reminders": reminders(
                items,
                (unpaid or {}).get("items", []),
                (ratings or {}).get("items", []),
                (asked or {}).get("items", []),
            ),
            "drafts": [a for a in items if a["status"] == "draft"],
            "applications": [a for a in items if a["status"] != "draft"],
            "licences": (wallet or {}).get("items", []),
        },
    )


def reminders(
    apps: list[dict[str, Any]], unpaid: list[dict[str, Any]], ratings: list[dict[str, Any]], asked: list[dict[str, Any]]
) -> list[tuple[str, str]]:
    """消息提醒: what waits for the person, newest case first, as (text, link): materials to supplement, fees
    to pay, a finished case to rate, an answer to read and rate. Read from the services' own lists, so a
    reminder goes away as soon as the person has acted."""
    out: list[tuple[str, str]] = []
    by_case = {a.get("case_id"): a for a in apps if a.get("case_id")}
    rated = {r.get("case_id") for r in ratings}
    for a in apps:
        if a["status"] == "supplement_requested":
            out.append((f"“{a['item_name']}”需要补正材料，请按要求上传后重新提交。", f"/me/applications/{a['id']}"))
    for order in unpaid:
        app = by_case.get(order.get("case_id"))
        if app is not None:
            fee = guide.fen(order.get("amount_fen"))
            out.append((f"“{app['item_name']}”有一笔 {fee} 的费用待缴纳。", f"/me/applications/{app['id']}"))
    for a in apps:
        if a["status"] == "completed" and a.get("case_id") and a["case_id"] not in rated:
            out.append((f"“{a['item_name']}”已办结，欢迎评价本次服务。", f"/me/applications/{a['id']}#rate"))
    for c in asked:
        if c.get("answer") and not c.get("satisfaction"):
            out.append(
                (f"您的{'投诉' if c.get('kind') == 'complaint' else '咨询'}“{c['title']}”已答复。", "/me/consultations")
            )
    return out


@router.get("/me/applications/{app_id}", include_in_schema=False)
async def application(request: Request, app_id: uuid.UUID) -> Response:
    app = await _application(request, app_id)
    if app is None:
        return _not_found(request)
    history = await json_or_none(request, f"/api/application/v1/applications/{app_id}/history")
    orders: list[dict[str, Any]] = []
    rated = None
    if app.get("case_id"):
        page = await json_or_none(request, "/api/payment/v1/orders", case_id=app["case_id"])
        orders = (page or {}).get("items", [])
        mine = await json_or_none(request, "/api/evaluation/v1/ratings")
        rated = next((r for r in (mine or {}).get("items", []) if r.get("case_id") == app["case_id"]), None)
    reasons = (
        await json_or_none(request, "/api/evaluation/v1/reasons")
        if app["status"] == "completed" and not rated
        else None
    )
    errors = session_of(request).pop("rating_errors") or []
    return render(
        request,
        "application.html",
        {
            "app": app,
            "history": (history or {}).get("items", []),
            "orders": orders,
            "rated": rated,
            "reasons": reasons,
            "levels": LEVELS,
            "key": uuid.uuid4().hex,
            "errors": errors,
        },
    )


@router.post("/me/applications/{app_id}/supplement", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def resubmit(request: Request, app_id: uuid.UUID) -> Response:
    resp = await api(request, "POST", f"/api/application/v1/applications/{app_id}/supplement", json={})
    if resp.status_code == 200:
        session_of(request).set("flash", "补正材料已提交，请等待审核。")
        return RedirectResponse(f"/me/applications/{app_id}", status_code=303)
    session_of(request).set(
        "upload_errors", {"": "补正未提交：" + str(problem(resp).get("detail") or "请先上传所需材料")}
    )
    return RedirectResponse(f"/applications/{app_id}/materials", status_code=303)


@router.post("/me/orders/{order_id}/pay", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def pay(request: Request, order_id: uuid.UUID) -> Response:
    form = await request.form()
    back = str(form.get("back") or "/me")
    back = back if back.startswith("/me/applications/") else "/me"
    resp = await api(
        request,
        "POST",
        f"/api/payment/v1/orders/{order_id}/payments",
        json={"channel": "sandbox"},
        headers={"Idempotency-Key": _key(form.get("key"))},
    )
    pay_url = resp.json().get("pay_url") if resp.status_code == 200 else None
    gateway = runtime(request).settings.browser_gateway_url
    if not isinstance(pay_url, str) or not pay_url.startswith(gateway + "/"):
        session_of(request).set("flash", "暂时无法发起支付，请稍后再试。")
        return RedirectResponse(back, status_code=303)
    return RedirectResponse(pay_url, status_code=303)


@router.get("/me/orders/{order_id}/receipt", include_in_schema=False)
async def receipt(request: Request, order_id: uuid.UUID) -> Response:
    """The electronic receipt (电子票据) of a paid fee, printable; another person's order is a page that does
    not exist (the payment API answers 404 to anyone but the payer and the staff who may see it)."""
    got = await json_or_none(request, f"/api/payment/v1/orders/{order_id}/receipt")
    if got is None:
        return _not_found(request)
    # The payee is a department's credit code; its name from the public catalog (the code when unknown).
    listed = await api(request, "GET", "/api/catalog/v1/departments", signed_in=False)
    names = {d.get("code"): d.get("name") for d in listed.json().get("items", [])} if listed.status_code == 200 else {}
    return render(request, "receipt.html", {"receipt": got, "payee": names.get(got["payee_department"])})


@router.post("/me/applications/{app_id}/rating", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def rate(request: Request, app_id: uuid.UUID) -> Response:
    app = await _application(request, app_id)
    if app is None or not app.get("case_id"):
        return _not_found(request)
    form = await request.form()
    back = RedirectResponse(f"/me/applications/{app_id}#rate", status_code=303)
    level = str(form.get("level") or "")
    reasons = [r for r in form.getlist("reasons") if isinstance(r, str)][:10]
    comment = str(form.get("comment") or "")[:500]
    errors = []
    if level not in {"1", "2", "3", "4", "5"}:
        errors.append(("level-5", "请选择评价等级"))
    elif int(level) <= 2 and not reasons:
        errors.append(("reason-0", "不满意时请至少选择一个原因"))
    if errors:
        session_of(request).set("rating_errors", errors)
        return back
    resp = await api(
        request,
        "POST",
        "/api/evaluation/v1/ratings",
        json={"case_id": app["case_id"], "level": int(level), "reasons": reasons, "comment": comment, "channel": "web"},
        headers={"Idempotency-Key": _key(form.get("key"))},
    )
    if resp.status_code in (200, 201):
        session_of(request).set("flash", "感谢您的评价！")
    else:
        session_of(request).set(
            "rating_errors", [("level-5", "评价未提交：" + str(problem(resp).get("detail") or "请稍后再试"))]
        )
    return back


@router.get("/me/account", include_in_schema=False)
async def account(request: Request) -> Response:
    me, sessions = await asyncio.gather(
        json_or_none(request, "/api/identity/v1/me"), json_or_none(request, "/api/identity/v1/me/sessions", limit=50)
    )
    ws = session_of(request)
    return render(
        request,
        "account.html",
        {
            "me": me or {},
            "sessions": (sessions or {}).get("items", []),
            "errors": ws.pop("account_errors") or {},
            "values": ws.pop("account_values") or {},
            "change": ws.get("phone_change"),
        },
    )


# What identity's refusals of a security change mean, next to which field (slug -> field, message).
SECURITY_PROBLEMS = {
    "reauthentication-failed": ("current_password", "当前密码不正确"),
    "account-locked": ("current_password", "验证失败次数过多，请稍后再试"),
    "weak-password": ("new_password", "新密码至少 10 位，并同时包含字母和数字或符号"),
    "invalid-identifier": ("phone", "请输入正确的 11 位手机号码"),
    "same-phone": ("phone", "这已经是您的手机号码"),
    "too-many-changes": ("phone", "修改次数过多，请稍后再试"),
    "change-code-wrong": ("code", "验证码错误或已过期"),
    "validation-error": ("", "请检查填写的内容"),
}


REQUIRED = {
    "phone": "请输入新的手机号码",
    "current_password": "请输入当前密码",
    "old_password": "请输入当前密码",
    "new_password": "请输入新密码",
}
MISMATCH = "两次输入的新密码不一致"


def _security_refused(
    request: Request, resp: Any, values: dict[str, str], fallback: str, reauth_field: str = "current_password"
) -> Response:
    """Shows identity's refusal next to its field on the account page (``reauth_field``: the form's field
    for the current password); nothing was changed."""
    slug = re.split(r"[:/]", str(problem(resp).get("type") or ""))[-1]  # urn:...:<slug>
    field, message = SECURITY_PROBLEMS.get(slug, (fallback, "未能修改，请稍后再试"))
    field = reauth_field if field == "current_password" else field
    ws = session_of(request)
    ws.set("account_errors", {field or fallback: message})
    ws.set("account_values", {k: v for k, v in values.items() if "password" not in k})
    return RedirectResponse("/me/account#security", status_code=303)


async def _form_values(request: Request, *names: str) -> dict[str, str]:
    form = await request.form()
    return {n: str(form.get(n) or "").strip()[:200] for n in names}


@router.post("/me/account/phone", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def change_phone(request: Request) -> Response:
    """Step 1: the new number with the current password (re-authentication); a code goes to the new number."""
    values = await _form_values(request, "phone", "current_password")
    missing = {k: REQUIRED[k] for k in ("phone", "current_password") if not values[k]}
    if missing:
        session_of(request).set("account_errors", missing)
        session_of(request).set("account_values", {"phone": values["phone"]})
        return RedirectResponse("/me/account#security", status_code=303)
    resp = await api(
        request,
        "POST",
        "/api/identity/v1/me/phone-changes",
        json={"phone": values["phone"], "current_password": values["current_password"]},
    )
    if resp.status_code != 202:
        return _security_refused(request, resp, values, "phone")
    started = resp.json()
    session_of(request).set("phone_change", {"id": str(started["id"]), "masked": str(started["phone_masked"])})
    return RedirectResponse("/me/account#security", status_code=303)


@router.post("/me/account/phone/confirmation", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def confirm_phone(request: Request) -> Response:
    """Step 2: the code sent to the new number."""
    ws = session_of(request)
    change = ws.get("phone_change")
    values = await _form_values(request, "code")
    if not isinstance(change, dict):
        return RedirectResponse("/me/account", status_code=303)
    if not values["code"].isdigit() or len(values["code"]) != 6:
        ws.set("account_errors", {"code": "请输入短信中的 6 位验证码"})
        return RedirectResponse("/me/account#security", status_code=303)
    resp = await api(
        request,
        "POST",
        f"/api/identity/v1/me/phone-changes/{quote(change['id'], safe='')}/confirmation",
        json={"code": values["code"]},
    )
    if resp.status_code != 200:
        return _security_refused(request, resp, values, "code")
    ws.pop("phone_change")
    ws.set("flash", "手机号码已修改，其他设备上的登录已退出。")
    return RedirectResponse("/me/account", status_code=303)


@router.post("/me/account/password", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def change_password(request: Request) -> Response:
    """The current password, then the new one twice; every sign-in ends, so the person signs in again."""
    values = await _form_values(request, "old_password", "new_password", "confirm_password")
    errors = {k: REQUIRED[k] for k in ("old_password", "new_password") if not values[k]}
    if not errors and values["new_password"] != values["confirm_password"]:
        errors["confirm_password"] = MISMATCH
    if errors:
        session_of(request).set("account_errors", errors)
        return RedirectResponse("/me/account#security", status_code=303)
    resp = await api(
        request,
        "POST",
        "/api/identity/v1/me/password",
        json={"current_password": values["old_password"], "new_password": values["new_password"]},
    )
    if resp.status_code != 204:
        return _security_refused(request, resp, values, "new_password", reauth_field="old_password")
    ws = session_of(request)
    if ws.subject:
        await runtime(request).store.end_all(ws.subject)
    ws.end()
    return RedirectResponse("/login?next=/me/account", status_code=303)


@router.post("/me/account/sign-out-everywhere", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def sign_out_everywhere(request: Request) -> Response:
    """End every sign-in of the person at identity (each device's single sign-on) and every portal session
    of theirs on every replica, this one included."""
    ws = session_of(request)
    subject = ws.subject
    for _ in range(10):  # pages of 100; each call ends what it lists
        page = await json_or_none(request, "/api/identity/v1/me/sessions", limit=100)
        items = (page or {}).get("items", [])
        for item in items:
            await api(request, "DELETE", f"/api/identity/v1/me/sessions/{uuid.UUID(str(item['id']))}")
        if not items or not (page or {}).get("next_cursor"):
            break
    if subject:
        await runtime(request).store.end_all(subject)
    ws.end()
    return RedirectResponse("/", status_code=303)


@router.get("/me/licences", include_in_schema=False)
async def licences(request: Request) -> Response:
    wallet = await json_or_none(request, "/api/certificates/v1/wallet/licenses")
    return render(request, "licences.html", {"licences": (wallet or {}).get("items", [])})


def qr_svg(url: str) -> Markup:
    """The QR code of ``url`` as inline SVG (no script, no request of its own)."""
    svg = segno.make(url, error="m").svg_inline(scale=4, dark="#000", light="#fff", omitsize=True)
    return Markup(svg)  # noqa: S704 - segno's own markup of a URL we built


@router.get("/me/licences/{licence_id}", include_in_schema=False)
async def licence(request: Request, licence_id: str) -> Response:
    if not guide.LICENSE_ID_RE.match(licence_id):
        return _not_found(request)
    lic = await json_or_none(request, f"/api/certificates/v1/licenses/{licence_id}")
    if lic is None:
        return _not_found(request)
    verify_url = runtime(request).settings.public_url.rstrip("/") + f"/verify/{lic['identifier']}"
    labels: dict[str, str] = {}
    type_code = str(lic.get("type_code") or "")
    if guide.CODE_RE.match(type_code):  # the type's field labels (public)
        kind = await api(request, "GET", f"/api/certificates/v1/license-types/{type_code}", signed_in=False)
        labels = {f["name"]: f["label"] for f in kind.json().get("fields", [])} if kind.status_code == 200 else {}
    uses = await json_or_none(request, "/api/certificates/v1/wallet/uses")
    grants = await json_or_none(request, "/api/certificates/v1/wallet/grants")
    return render(
        request,
        "licence.html",
        {
            "lic": lic,
            "labels": labels,
            "verify_url": verify_url,
            "qr": qr_svg(verify_url),
            "uses": [u for u in (uses or {}).get("items", []) if u.get("license_id") == licence_id],
            "grants": [g for g in (grants or {}).get("items", []) if g.get("license_id") == licence_id],
        },
    )


@router.get("/me/licences/{licence_id}/pdf", include_in_schema=False)
async def licence_pdf(request: Request, licence_id: str) -> Response:
    if not guide.LICENSE_ID_RE.match(licence_id):
        return _not_found(request)
    resp = await api(request, "GET", f"/api/certificates/v1/licenses/{licence_id}/pdf")
    if resp.status_code != 200 or not resp.content.startswith(b"%PDF"):
        return _not_found(request)
    # The platform's download headers (attachment with a safe name, nosniff, a CSP that disables everything).
    headers = attachment_headers(f"licence-{licence_id[:40]}.pdf", media_type="application/pdf", fallback="licence")
    return Response(resp.content, media_type="application/pdf", headers=headers)
