"""The staff admin's pages (人员管理): the staff accounts of the admin's region subtree; create one (the initial
password and the TOTP enrolment are shown once, never stored by the workbench); set roles; issue a new TOTP
secret. Identity decides every change by its security rules (own subtree only; only a platform admin grants or
takes away the privileged roles or acts on an account holding one; nobody acts on their own account here);
its refusals are shown next to the field they concern."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

import segno
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from starlette.datastructures import FormData

from gov_standards.regions import region_covers
from gov_web.app import csrf_protected, flash, render, session_of
from gov_web.gateway import problem
from workbench import display
from workbench.pages.calls import api, json_or_none, staff

router = APIRouter()
ADMINS = frozenset({"staff_admin", "platform_admin"})
PRIVILEGED = ("staff_admin", "platform_admin")
# Identity's roles (identity.policy.ROLES), in the order the form offers them.
ROLES = (
    "acceptor",
    "reviewer",
    "approver",
    "supervisor",
    "hotline_operator",
    "catalog_editor",
    "catalog_publisher",
    "finance",
    "staff_admin",
    "platform_admin",
)
STAFF = "/api/identity/v1/staff"
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,63}$")
FIELDS = ("username", "real_name", "phone", "region", "department_id", "roles")
# Identity's refusals (problem slugs) → (the field they concern, what the page says).
REFUSALS: dict[str, tuple[str, str]] = {
    "username-taken": ("username", "该用户名已被使用，请换一个"),
    "outside-region": ("region", "该区划不在您的管理范围内"),
    "region-not-found": ("region", "没有这个区划"),
    "department-not-found": ("department_id", "该部门不在所选区划内，请重新选择"),
    "unknown-role": ("roles", "包含未知的角色"),
    "role-not-grantable": ("roles", "只有平台管理员可以授予或收回这些角色：{roles}"),
    "privileged-account": ("roles", "该账号具有管理员角色（{roles}），只有平台管理员可以修改"),
    "not-on-yourself": ("roles", "不能在人员管理中修改自己的账号，请在个人设置中办理"),
    "invalid-identifier": ("phone", "请填写正确的手机号码"),
    "forbidden": ("roles", "您没有人员管理权限"),
}
MESSAGES = {
    "username": "用户名为 3-64 位小写字母、数字、点、下划线或连字符，以字母或数字开头",
    "real_name": "请填写姓名（最多 100 字）",
    "phone": "请填写正确的手机号码",
    "region": "请选择区划",
    "department_id": "请选择所在部门",
    "roles": "角色选择有误",
}


def _refused(request: Request, me: dict[str, Any]) -> Response:
    return render(
        request, "web/error.html", {"title": "无权访问", "message": "人员管理仅对人员管理员开放。", "me": me}, 403
    )


def _not_found(request: Request, me: dict[str, Any]) -> Response:
    return render(
        request,
        "web/error.html",
        {"title": "页面不存在", "message": "该人员不存在或不在您的管理范围内。", "me": me},
        404,
    )


def refusal_errors(body: dict[str, Any]) -> dict[str, str]:
    """Identity's refusal (its problem+json) as field → message, in Chinese."""
    slug = str(body.get("type") or "").rsplit(":", 1)[-1]
    if slug == "validation-error":
        out: dict[str, str] = {}
        for err in body.get("errors") or []:
            name = str(err.get("pointer") or "").strip("/").split("/", 1)[0]
            field = name if name in FIELDS else "username"
            out.setdefault(field, MESSAGES.get(name, "填写有误"))
        return out or {"username": "填写有误"}
    field, message = REFUSALS.get(slug, ("roles", "操作未成功：" + str(body.get("detail") or body.get("title") or "")))
    roles = "、".join(display.ROLE.get(r, r) for r in body.get("roles") or [])
    return {field: message.format(roles=roles or "管理员角色")}


async def _departments(request: Request, region: str) -> list[dict[str, Any]]:
    """The departments of ``region``'s subtree (at most 1000)."""
    out: list[dict[str, Any]] = []
    cursor = None
    for _ in range(5):
        page = await json_or_none(request, "/api/identity/v1/departments", region=region, limit=200, cursor=cursor)
        if not page:
            break
        out += page.get("items", [])
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return out


async def _regions(request: Request, mine: str) -> list[dict[str, Any]]:
    page = await json_or_none(request, "/api/identity/v1/regions")
    return [r for r in (page or {}).get("items", []) if not mine or region_covers(mine, r.get("code"))]


@router.get("/staff", include_in_schema=False)
async def staff_list(request: Request, cursor: Annotated[str, Query(max_length=500)] = "") -> Response:
    me = await staff(request)
    if not set(me.get("roles") or []) & ADMINS:
        return _refused(request, me)
    page = await json_or_none(request, STAFF, limit=50, cursor=cursor or None)
    if page is None and cursor:
        return RedirectResponse("/staff", status_code=303)
    departments = {str(d["id"]): d["name"] for d in await _departments(request, me.get("region") or "")}
    return render(
        request,
        "staff/list.html",
        {
            "me": me,
            "accounts": (page or {}).get("items", []),
            "next_cursor": (page or {}).get("next_cursor"),
            "departments": departments,
        },
    )


async def _form_context(
    request: Request, me: dict[str, Any], values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    region = me.get("region") or ""
    return {
        "me": me,
        "values": values,
        "errors": errors,
        "summary": [(f"s-{k}", v) for k, v in errors.items()],
        "regions": await _regions(request, region),
        "departments": await _departments(request, region),
        "roles": ROLES,
        "privileged": PRIVILEGED,
    }


@router.get("/staff/new", include_in_schema=False)
async def new_staff_page(request: Request) -> Response:
    me = await staff(request)
    if not set(me.get("roles") or []) & ADMINS:
        return _refused(request, me)
    values: dict[str, Any] = {"region": me.get("region") or "", "roles": []}
    return render(request, "staff/new.html", await _form_context(request, me, values, {}))


def _staff_in(form: FormData) -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {
        "username": str(form.get("username") or "").strip().lower(),
        "real_name": str(form.get("real_name") or "").strip(),
        "phone": str(form.get("phone") or "").strip(),
        "region": str(form.get("region") or "").strip(),
        "department_id": str(form.get("department_id") or "").strip(),
        "roles": [r for r in form.getlist("roles") if isinstance(r, str) and r in ROLES],
    }
    errors: dict[str, str] = {}
    if not USERNAME_RE.match(values["username"]):
        errors["username"] = MESSAGES["username"]
    if not values["real_name"] or len(values["real_name"]) > 100:
        errors["real_name"] = MESSAGES["real_name"]
    if len(values["phone"]) > 20:
        errors["phone"] = MESSAGES["phone"]
    if not re.fullmatch(r"\d{6}", values["region"]):
        errors["region"] = MESSAGES["region"]
    try:
        uuid.UUID(values["department_id"])
    except ValueError:
        errors["department_id"] = MESSAGES["department_id"]
    return values, errors


def _enrolment(uri: str) -> dict[str, Any]:
    """The TOTP enrolment as the page hands it over: the URI as a QR code for an authenticator app (inline SVG,
    made here: the secret never leaves for a QR service), the URI itself and its secret for typing in."""
    secret = (parse_qs(urlsplit(uri).query).get("secret") or [""])[0]
    qr = None
    if uri.startswith("otpauth://"):
        svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff", omitsize=True)
        qr = Markup(svg)  # noqa: S704 - segno's own markup of identity's otpauth URI
    return {"uri": uri, "secret": secret, "qr": qr}


def _once(response: Response) -> Response:
    """A page with a secret shown once: never kept by the browser or a proxy."""
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/staff/new", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def create_staff(request: Request) -> Response:
    me = await staff(request)
    if not set(me.get("roles") or []) & ADMINS:
        return _refused(request, me)
    values, errors = _staff_in(await request.form())
    if not errors:
        body = {k: v for k, v in values.items() if v or k == "roles"}
        resp = await api(request, "POST", STAFF, json=body)
        if resp.status_code == 201:
            made = resp.json()
            return _once(
                render(
                    request,
                    "staff/secret.html",
                    {
                        "me": me,
                        "account": made,
                        "password": made.get("initial_password", ""),
                        "totp": _enrolment(str(made.get("totp_provisioning_uri") or "")),
                        "created": True,
                    },
                )
            )
        errors = refusal_errors(problem(resp))
    return render(request, "staff/new.html", await _form_context(request, me, values, errors), 422)


async def _account(request: Request, staff_id: uuid.UUID) -> dict[str, Any] | None:
    found = await json_or_none(request, f"{STAFF}/{staff_id}")
    return found if isinstance(found, dict) else None


@router.get("/staff/{staff_id}", include_in_schema=False)
async def staff_page(request: Request, staff_id: uuid.UUID) -> Response:
    me = await staff(request)
    if not set(me.get("roles") or []) & ADMINS:
        return _refused(request, me)
    account = await _account(request, staff_id)
    if account is None:
        return _not_found(request, me)
    errors = session_of(request).pop("staff_errors") or {}
    chosen = session_of(request).pop("staff_roles")
    departments = {str(d["id"]): d["name"] for d in await _departments(request, me.get("region") or "")}
    return render(
        request,
        "staff/account.html",
        {
            "me": me,
            "account": account,
            "department": departments.get(str(account.get("department")), ""),
            "chosen": chosen if isinstance(chosen, list) else account.get("roles", []),
            "errors": errors,
            "summary": [(f"s-{k}", v) for k, v in errors.items()],
            "roles": ROLES,
            "privileged": PRIVILEGED,
            "yourself": str(account.get("id")) == str(me.get("sub")),
        },
    )


@router.post("/staff/{staff_id}/roles", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def set_roles(request: Request, staff_id: uuid.UUID) -> Response:
    me = await staff(request)
    if not set(me.get("roles") or []) & ADMINS:
        return _refused(request, me)
    form = await request.form()
    roles = [r for r in form.getlist("roles") if isinstance(r, str) and r in ROLES]
    resp = await api(request, "PUT", f"{STAFF}/{staff_id}/roles", json={"roles": roles})
    if resp.status_code == 200:
        flash(request, "角色已更新，下次登录时生效。")
    elif resp.status_code == 404:
        return _not_found(request, me)
    else:
        session_of(request).set("staff_errors", refusal_errors(problem(resp)))
        session_of(request).set("staff_roles", roles)
    return RedirectResponse(f"/staff/{staff_id}", status_code=303)


@router.post("/staff/{staff_id}/totp", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def reset_totp(request: Request, staff_id: uuid.UUID) -> Response:
    me = await staff(request)
    if not set(me.get("roles") or []) & ADMINS:
        return _refused(request, me)
    account = await _account(request, staff_id)
    if account is None:
        return _not_found(request, me)
    resp = await api(request, "POST", f"{STAFF}/{staff_id}/totp")
    if resp.status_code == 200:
        uri = str(resp.json().get("totp_provisioning_uri") or "")
        return _once(
            render(
                request,
                "staff/secret.html",
                {"me": me, "account": account, "password": None, "totp": _enrolment(uri), "created": False},
            )
        )
    if resp.status_code == 404:
        return _not_found(request, me)
    refused = refusal_errors(problem(resp))
    session_of(request).set("staff_errors", {"totp": next(iter(refused.values()))})
    return RedirectResponse(f"/staff/{staff_id}#totp", status_code=303)
