"""The supervisor's board (电子监察): the open cases with a yellow (warning) or red (overdue) deadline in my
region subtree, the on-time rate and average handling time per department and per item as server-rendered
SVG charts (each with the same figures as a table), drill-down from a department to its items and cases and
from a case to its page; supervision orders (督办) issued from the board to a case's department or to a
department, and the orders still open."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from gov_web.app import csrf_protected, flash, render, session_of
from gov_web.gateway import problem_text
from workbench import display
from workbench.pages.calls import api, json_or_none, staff

router = APIRouter()
CLOSED = ("refused", "completed", "withdrawn")
REGION_RE = re.compile(r"^\d{6}$")
DEPARTMENT_RE = re.compile(r"^[0-9A-Z]{18}$")
ITEM_RE = re.compile(r"^[0-9A-Za-z._-]{1,100}$")
KEY_RE = re.compile(r"^[0-9a-f]{32}$")
PAGES = 5  # at most this many pages of 100 cases per colour on the board
REASON_MAX, DAYS_MAX = 2000, 60


async def _open_cases(request: Request, level: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The open cases of ``level`` (the API lists closed ones too: they are left out here)."""
    found: list[dict[str, Any]] = []
    cursor = None
    for _ in range(PAGES):
        page = await json_or_none(
            request, "/api/workflow/v1/supervision/cases", level=level, limit=100, cursor=cursor, **params
        )
        if not page:
            break
        found += [c for c in page.get("items", []) if c.get("status") not in CLOSED]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return found


def _forbidden(request: Request, me: dict[str, Any]) -> Response:
    return render(
        request, "web/error.html", {"title": "无权访问", "message": "电子监察仅对监察人员开放。", "me": me}, 403
    )


def _charts(rows: list[dict[str, Any]]) -> dict[str, display.Chart]:
    labelled = [(str(r.get("name") or r["key"]), r) for r in rows]
    return {
        "rate": display.bar_chart([(n, r.get("on_time_rate")) for n, r in labelled], percent=True, scale=1.0),
        "days": display.bar_chart([(n, r.get("average_handling_working_days")) for n, r in labelled]),
    }


@router.get("/supervision", include_in_schema=False)
async def board(
    request: Request,
    department: Annotated[str, Query(max_length=40)] = "",
    item: Annotated[str, Query(max_length=100)] = "",
    region: Annotated[str, Query(max_length=12)] = "",
) -> Response:
    me = await staff(request)
    if "supervisor" not in me.get("roles", []):
        return _forbidden(request, me)
    params = {
        "department": department if DEPARTMENT_RE.match(department) else None,
        "region": region if REGION_RE.match(region) else None,
    }
    cases_params = {**params, "item_code": item if params["department"] and ITEM_RE.match(item) else None}
    summary, red, yellow, by_department, by_item, orders = await asyncio.gather(
        json_or_none(request, "/api/workflow/v1/supervision/summary", **cases_params),
        _open_cases(request, "red", cases_params),
        _open_cases(request, "yellow", cases_params),
        json_or_none(request, "/api/workflow/v1/supervision/breakdown", by="department", region=params["region"]),
        json_or_none(request, "/api/workflow/v1/supervision/breakdown", by="item", **params),
        json_or_none(request, "/api/workflow/v1/supervision/orders", status="open", limit=50),
    )
    departments = (by_department or {}).get("items", [])
    items = (by_item or {}).get("items", [])
    names = {str(r["key"]): str(r.get("name") or r["key"]) for r in departments}
    return render(
        request,
        "supervision.html",
        {
            "me": me,
            "summary": summary or {},
            "red": red,
            "yellow": yellow,
            "departments": departments,
            "department_charts": _charts(departments),
            "items": items,
            "item_charts": _charts(items),
            "names": names,
            "orders": (orders or {}).get("items", []),
            "department": params["department"] or "",
            "item": cases_params["item_code"] or "",
        },
    )


@router.get("/supervision/orders/new", include_in_schema=False)
async def order_form(
    request: Request,
    case_id: uuid.UUID | None = None,
    department: Annotated[str, Query(max_length=40)] = "",
    region: Annotated[str, Query(max_length=12)] = "",
) -> Response:
    """The form of an order on a case (drilled down from the board) or on a department's work."""
    me = await staff(request)
    if "supervisor" not in me.get("roles", []):
        return _forbidden(request, me)
    target = await _target(request, case_id, department, region or str(me.get("region") or ""))
    if target is None:
        return render(request, "web/error.html", {"title": "页面不存在", "message": "没有可督办的办件或部门。"}, 404)
    ws = session_of(request)
    errors = ws.pop("order_errors") or {}
    values = ws.pop("order_values") or {}
    return render(
        request,
        "supervision_order.html",
        {
            "me": me,
            "target": target,
            "errors": errors,
            "error_list": [(f"o-{k}", v) for k, v in errors.items()],
            "values": values,
            "key": uuid.uuid4().hex,
        },
    )


async def _target(request: Request, case_id: uuid.UUID | None, department: str, region: str) -> dict[str, Any] | None:
    """What the order is on, as the API shows it to this supervisor (a case outside their subtree: None)."""
    if case_id is not None:
        case = await json_or_none(request, f"/api/workflow/v1/cases/{case_id}")
        if not isinstance(case, dict):
            return None
        return {
            "kind": "case",
            "case_id": str(case["id"]),
            "title": f"{case['tracking_number']} {case.get('item_name', '')}",
            "department": case.get("department_name") or case.get("department"),
        }
    if DEPARTMENT_RE.match(department) and REGION_RE.match(region):
        return {"kind": "department", "department_code": department, "region": region, "title": department}
    return None


@router.post("/supervision/orders", include_in_schema=False, dependencies=[Depends(csrf_protected)])
async def issue_order(request: Request) -> Response:
    me = await staff(request)
    if "supervisor" not in me.get("roles", []):
        return _forbidden(request, me)
    form = await request.form()
    raw_case = str(form.get("case_id") or "")
    department, region = str(form.get("department") or ""), str(form.get("region") or "")
    try:
        case_id = uuid.UUID(raw_case) if raw_case else None
    except ValueError:
        case_id = None
    back = "/supervision/orders/new?" + (
        f"case_id={case_id}" if case_id else f"department={department[:18]}&region={region[:6]}"
    )
    reason = str(form.get("reason") or "").strip()[:REASON_MAX]
    days_text = str(form.get("working_days") or "").strip()
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = "请填写督办事由"
    days = int(days_text) if days_text.isdigit() else 0
    if not 1 <= days <= DAYS_MAX:
        errors["working_days"] = f"请填写 1 至 {DAYS_MAX} 之间的工作日数"
    if errors:
        session_of(request).set("order_errors", errors)
        session_of(request).set("order_values", {"reason": reason, "working_days": days_text[:3]})
        return RedirectResponse(back, status_code=303)
    if case_id:
        body: dict[str, Any] = {"target": "case", "case_id": str(case_id)}
    else:
        body = {"target": "department", "department": department, "region": region}
    key = str(form.get("key") or "")
    resp = await api(
        request,
        "POST",
        "/api/workflow/v1/supervision/orders",
        json={**body, "reason": reason, "working_days": days},
        headers={"Idempotency-Key": key if KEY_RE.match(key) else uuid.uuid4().hex},
    )
    if resp.status_code == 201:
        order = resp.json()
        flash(request, f"已下达督办，回复期限 {order.get('deadline')}。")
        return RedirectResponse("/supervision#orders", status_code=303)
    session_of(request).set("order_errors", {"reason": "督办未成功：" + problem_text(resp)})
    session_of(request).set("order_values", {"reason": reason, "working_days": days_text[:3]})
    return RedirectResponse(back, status_code=303)
